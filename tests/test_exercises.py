"""Each exercise check passes a right answer and fails a wrong one with a hint."""

import numpy as np
from scipy.stats import norm

from vaelab import exercises


def test_compression_ratio(capsys):
    assert exercises.check_compression_ratio(784 / 2)
    assert not exercises.check_compression_ratio(784)
    assert not exercises.check_compression_ratio("lots")
    assert "Hint" in capsys.readouterr().out


def test_sampling(capsys):
    assert exercises.check_sampling(lambda m, lv, e: m + np.exp(0.5 * lv) * e)
    assert "Correct" in capsys.readouterr().out
    assert not exercises.check_sampling(lambda m, lv, e: m + np.exp(lv) * e)  # the chapter's bug
    assert "σ = exp(½ · z_log_var)" in capsys.readouterr().out
    assert not exercises.check_sampling(lambda m, lv, e: m)
    assert not exercises.check_sampling(lambda m, lv, e: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_kl(capsys):
    def right(m, lv):
        return 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=1)

    assert exercises.check_kl(right)
    assert not exercises.check_kl(lambda m, lv: -right(m, lv))
    assert "sign" in capsys.readouterr().out
    assert not exercises.check_kl(lambda m, lv: 2 * right(m, lv))
    assert "½" in capsys.readouterr().out
    assert not exercises.check_kl(lambda m, lv: right(m, lv).sum())
    assert "axis=1" in capsys.readouterr().out


def test_effective_beta():
    assert exercises.check_effective_beta(784 * 5e-4)
    assert not exercises.check_effective_beta(5e-4)
    assert not exercises.check_effective_beta(1.0)


def test_quantile_grid(capsys):
    assert exercises.check_quantile_grid(norm.ppf(np.linspace(0.05, 0.95, 15)))
    assert not exercises.check_quantile_grid(np.linspace(0.05, 0.95, 15))
    assert "norm.ppf" in capsys.readouterr().out
    assert not exercises.check_quantile_grid(np.linspace(-2, 2, 15))
    assert not exercises.check_quantile_grid(np.zeros(3))


def test_concept_vector(capsys):
    rng = np.random.default_rng(0)
    codes, labels = rng.normal(size=(100, 2)), rng.integers(0, 10, 100)
    right = codes[labels == 4].mean(0) - codes.mean(0)
    assert exercises.check_concept_vector(right, codes, labels, 4)
    assert not exercises.check_concept_vector(codes[labels == 4].mean(0), codes, labels, 4)
    assert "all" in capsys.readouterr().out
    assert not exercises.check_concept_vector(-right, codes, labels, 4)
    assert not exercises.check_concept_vector(np.zeros(3), codes, labels, 4)


def test_beta_effect():
    assert exercises.check_beta_effect(" Down")
    assert not exercises.check_beta_effect("up")


def test_midpoint(capsys):
    assert exercises.check_midpoint(lambda a, b: (a + b) / 2)
    assert not exercises.check_midpoint(lambda a, b: a + b)
    assert "sum" in capsys.readouterr().out
    assert not exercises.check_midpoint(lambda a, b: a)
