"""The exercises that build the course's tools (issue 21): each accepts its right answer written
two ways, rejects at least three typical wrong answers with a message that names the mistake,
and never says "Correct" to a wrong one.

- ``quadrature`` (Evaluating the VAE): log p(x) of one digit by 2-D quadrature;
- ``fixed_sample`` and ``fixed_loss`` (Spot the bug): the chapter's program, fixed;
- ``codes_vs_prior`` (04): the share of codes in the 81% box and E[μ² + σ²] per dimension;
- ``kl_per_dimension`` (06): the KL each latent dimension carries.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

from vaelab.exercises import (
    codes_vs_prior,
    fixed_loss,
    fixed_sample,
    kl_estimate,
    kl_per_dimension,
    quadrature,
)


def verdict(exercise, *answer):
    kind, message = exercise.verdict(*answer)
    assert message.startswith("Correct") == (kind == "correct"), message
    return kind, message


def accepted(exercise, *answer):
    kind, message = verdict(exercise, *answer)
    assert kind == "correct", message


def rejected(exercise, *answer, because):
    kind, message = verdict(exercise, *answer)
    assert kind == "wrong" and because in message, message


def unanswered(exercise, *answer):
    assert verdict(exercise, *answer)[0] == "unanswered"


def blank(*args): ...  # your code here


# -- quadrature ---------------------------------------------------------------------------------


def log_prior(z):
    return -0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi)


def test_quadrature_accepts_logsumexp_and_a_hand_made_log_sum():
    def with_scipy(log_px_given_z, z, spacing):
        return logsumexp(log_px_given_z + log_prior(z)) + 2 * np.log(spacing)

    def by_hand(log_px_given_z, z, spacing):
        terms = log_px_given_z - 0.5 * (z**2).sum(axis=1) - np.log(2 * np.pi)
        top = terms.max()
        return top + np.log(np.exp(terms - top).sum() * spacing**2)

    accepted(quadrature, with_scipy)
    accepted(quadrature, by_hand)
    unanswered(quadrature, blank)


@pytest.mark.parametrize(
    "wrong, because",
    [
        (lambda lp, z, h: logsumexp(lp + log_prior(z)), "cell area is missing"),
        (lambda lp, z, h: logsumexp(lp + log_prior(z)) + np.log(h), "spacing × spacing"),
        (lambda lp, z, h: logsumexp(lp) + 2 * np.log(h), "log p(z) is missing"),
        (lambda lp, z, h: np.log(np.sum(np.exp(lp + log_prior(z))) * h**2), "Stay in logs"),
        (lambda lp, z, h: np.log(np.mean(np.exp(lp))), "Stay in logs"),
        (lambda lp, z, h: logsumexp(lp + log_prior(z)) - np.log(len(z)), "not the integral"),
        (
            lambda lp, z, h: (
                logsumexp(lp - 0.5 * (z**2).sum(1) - 0.5 * np.log(2 * np.pi)) + 2 * np.log(h)
            ),
            "normalizer of a 1-D normal",
        ),
        (
            lambda lp, z, h: logsumexp(lp - 0.5 * (z**2).sum(1)) + 2 * np.log(h),
            "missing its normalizer",
        ),
    ],
    ids=[
        "no area",
        "1-D area",
        "no prior",
        "plain sum",
        "plain mean",
        "grid average",
        "1-D normalizer",
        "no normalizer",
    ],
)
def test_quadrature_rejects_by_name(wrong, because):
    with np.errstate(divide="ignore"):
        rejected(quadrature, wrong, because=because)


@pytest.mark.slow
def test_quadrature_is_the_metric_of_the_course():
    """The solution, on a real digit and the pretrained decoder, gives log_likelihood's value."""
    import vaelab
    from vaelab.data import load_bundled_mnist
    from vaelab.metrics import PriorGrid, log_likelihood

    vae = vaelab.load_vae("mnist")
    x = load_bundled_mnist()[1][0][:1]
    grid = PriorGrid(vae.decoder)
    log_px_given_z = grid.log_joint(x)[0] - grid.log_prior
    spacing = grid.values[1] - grid.values[0]
    mine = logsumexp(log_px_given_z + log_prior(grid.points.astype(float))) + 2 * np.log(spacing)
    assert abs(mine - log_likelihood(vae, x, prior_grid=grid)) < 0.05


# -- the chapter's program, fixed ---------------------------------------------------------------


def test_fixed_sample_accepts_two_ways_and_rejects_by_name():
    accepted(fixed_sample, lambda m, lv, e: m + np.exp(0.5 * lv) * e)
    accepted(fixed_sample, lambda m, lv, e: m + np.sqrt(np.exp(lv)) * e)
    unanswered(fixed_sample, blank)
    rejected(fixed_sample, lambda m, lv, e: m + np.exp(lv) * e, because="unchanged")
    rejected(fixed_sample, lambda m, lv, e: m + np.exp(2 * lv) * e, because="σ⁴")
    rejected(fixed_sample, lambda m, lv, e: m + np.exp(-0.5 * lv) * e, because="sign")
    rejected(fixed_sample, lambda m, lv, e: np.exp(0.5 * lv) * e, because="centred on z_mean")


def bce(x, p, reduce):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return reduce(-(x * np.log(p) + (1 - x) * np.log(1 - p)))


def per_image_sum(values):
    return values.sum(axis=(1, 2, 3))


def per_image_mean(values):
    return values.mean(axis=(1, 2, 3))


def kl_terms(m, lv):
    return np.exp(lv) + m**2 - 1 - lv


def test_fixed_loss_accepts_two_ways():
    def loops(x, p, m, lv):
        total = 0.0
        for i in range(len(x)):
            q = np.clip(p[i], 1e-7, 1 - 1e-7)
            total += -np.sum(x[i] * np.log(q) + (1 - x[i] * 1) * np.log1p(-q))
            total += 0.5 * np.sum(np.exp(lv[i]) + m[i] ** 2 - 1 - lv[i])
        return total / len(x)

    accepted(fixed_loss, loops)
    accepted(
        fixed_loss,
        lambda x, p, m, lv: np.mean(bce(x, p, per_image_sum) + 0.5 * kl_terms(m, lv).sum(1)),
    )
    unanswered(fixed_loss, blank)


@pytest.mark.parametrize(
    "wrong, because",
    [
        (
            lambda x, p, m, lv: bce(x, p, np.mean) + 5e-4 * kl_terms(m, lv).mean(1).mean(),
            "unchanged",
        ),
        (
            lambda x, p, m, lv: np.mean(bce(x, p, per_image_sum) + 5e-4 * kl_terms(m, lv).mean(1)),
            "still carries the chapter's 5e-4",
        ),
        (
            lambda x, p, m, lv: np.mean(bce(x, p, per_image_mean) + 0.5 * kl_terms(m, lv).sum(1)),
            "784 times",
        ),
        (
            lambda x, p, m, lv: np.mean(bce(x, p, per_image_sum) + 0.5 * kl_terms(m, lv).mean(1)),
            "averaged over the latent",
        ),
        (
            lambda x, p, m, lv: np.mean(bce(x, p, per_image_sum) + kl_terms(m, lv).sum(1)),
            "factor ½",
        ),
        (
            lambda x, p, m, lv: np.mean(bce(x, p, per_image_sum) - 0.5 * kl_terms(m, lv).sum(1)),
            "subtracted",
        ),
    ],
    ids=["unchanged", "5e-4 kept", "mean BCE", "mean KL", "no half", "sign"],
)
def test_fixed_loss_rejects_by_name(wrong, because):
    rejected(fixed_loss, wrong, because=because)


# -- the codes against the prior ----------------------------------------------------------------


def right_share(z, edge):
    return np.mean(np.all(np.abs(z) < edge, axis=1))


def right_moment(z, lv):
    return np.mean(z**2 + np.exp(lv), axis=0)


def test_codes_vs_prior_accepts_two_ways():
    accepted(codes_vs_prior, right_share, right_moment)
    accepted(
        codes_vs_prior,
        lambda z, edge: sum(abs(a) < edge and abs(b) < edge for a, b in z) / len(z),
        lambda z, lv: (z**2).mean(axis=0) + np.exp(lv).mean(axis=0),
    )
    unanswered(codes_vs_prior, blank, right_moment)


@pytest.mark.parametrize(
    "share, because",
    [
        (lambda z, e: np.mean(np.any(np.abs(z) < e, axis=1)), "either axis"),
        (lambda z, e: np.mean(np.abs(z[:, 0]) < e), "z₁ only"),
        (lambda z, e: np.sum(np.all(np.abs(z) < e, axis=1)), "a count"),
        (lambda z, e: np.mean(np.linalg.norm(z, axis=1) < e), "circle"),
    ],
)
def test_box_share_rejects_by_name(share, because):
    rejected(codes_vs_prior, share, right_moment, because=because)


@pytest.mark.parametrize(
    "moment, because",
    [
        (lambda z, lv: np.mean(z**2, axis=0), "E[μ²] only"),
        (lambda z, lv: np.var(z, axis=0) + np.exp(lv).mean(axis=0), "subtracts the codes' mean"),
        (lambda z, lv: np.mean(z**2 + np.exp(0.5 * lv), axis=0), "needs σ²"),
        (lambda z, lv: np.mean(z**2 + lv, axis=0), "take its exp"),
        (lambda z, lv: np.mean(z**2 + np.exp(lv)), "one number per dimension"),
    ],
)
def test_second_moment_rejects_by_name(moment, because):
    rejected(codes_vs_prior, right_share, moment, because=because)


# -- KL per latent dimension --------------------------------------------------------------------


def test_kl_per_dimension_accepts_two_ways_and_rejects_by_name():
    accepted(kl_per_dimension, lambda m, lv: 0.5 * np.mean(kl_terms(m, lv), axis=0))
    accepted(
        kl_per_dimension, lambda m, lv: -0.5 * (1 + lv - m**2 - np.exp(lv)).sum(axis=0) / len(m)
    )
    unanswered(kl_per_dimension, blank)
    rejected(kl_per_dimension, lambda m, lv: 0.5 * kl_terms(m, lv).sum(axis=1), because="per image")
    rejected(kl_per_dimension, lambda m, lv: 0.5 * kl_terms(m, lv).sum(axis=0), because="sums over")
    rejected(kl_per_dimension, lambda m, lv: kl_terms(m, lv).mean(axis=0), because="factor ½")
    rejected(kl_per_dimension, lambda m, lv: -0.5 * kl_terms(m, lv).mean(axis=0), because="sign")
    rejected(
        kl_per_dimension,
        lambda m, lv: 0.5 * np.mean(np.exp(0.5 * lv) + m**2 - 1 - lv, axis=0),
        because="needs σ²",
    )


# -- the KL by Monte Carlo ----------------------------------------------------------------------


def test_kl_estimate_accepts_two_ways_and_rejects_by_name():
    from scipy.stats import norm

    def with_scipy(m, lv, e):
        s = np.exp(0.5 * lv)
        z = m + s * e
        return (norm.logpdf(z, m, s) - norm.logpdf(z)).sum(axis=-1).mean(axis=0)

    def by_hand(m, lv, e):
        z = m + np.sqrt(np.exp(lv)) * e
        log_q = -0.5 * (np.log(2 * np.pi) + lv + e**2)
        log_p = -0.5 * (np.log(2 * np.pi) + z**2)
        return np.mean(np.sum(log_q - log_p, axis=2), axis=0)

    accepted(kl_estimate, with_scipy)
    accepted(kl_estimate, by_hand)
    unanswered(kl_estimate, blank)
    rejected(kl_estimate, lambda m, lv, e: -with_scipy(m, lv, e), because="sign is flipped")

    def variance_as_scale(m, lv, e):
        s = np.exp(0.5 * lv)
        z = m + s * e
        return (norm.logpdf(z, m, s**2) - norm.logpdf(z)).sum(axis=-1).mean(axis=0)

    rejected(kl_estimate, variance_as_scale, because="variance σ² as its scale")
    rejected(
        kl_estimate,
        lambda m, lv, e: 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=-1),
        because="closed form",
    )
    rejected(
        kl_estimate,
        lambda m, lv, e: (norm.logpdf(e, m, np.exp(0.5 * lv)) - norm.logpdf(e)).sum(-1).mean(0),
        because="from the prior",
    )
    rejected(
        kl_estimate,
        lambda m, lv, e: (
            (norm.logpdf(m + np.exp(lv) * e, m, np.exp(0.5 * lv)) - norm.logpdf(m + np.exp(lv) * e))
            .sum(-1)
            .mean(0)
        ),
        because="which is σ²",
    )
    rejected(kl_estimate, lambda m, lv, e: with_scipy(m, lv, e) / 3, because="averages over")


def test_kl_estimate_settles_on_the_closed_form():
    """The right estimator, with many draws, is the closed-form KL (what the notebook shows)."""
    rng = np.random.default_rng(0)
    m, lv = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    s = np.exp(0.5 * lv)
    z = m + s * rng.normal(size=(200_000, 3, 2))
    estimate = np.mean(np.sum(-0.5 * ((z - m) / s) ** 2 - np.log(s) + 0.5 * z**2, axis=-1), 0)
    closed = 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=1)
    assert np.allclose(estimate, closed, atol=0.02)
