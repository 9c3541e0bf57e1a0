"""Self-checks for the exercises: each says "Correct" or gives a hint.

Every ``check_*`` function prints its verdict and returns ``True`` or
``False``, so a notebook cell can both show it and (in tests) assert it. The
notebook that poses each exercise is named in its docstring.
"""

from __future__ import annotations

import math

import numpy as np

CORRECT = "Correct! "


def _verdict(ok: bool, praise: str, hint: str) -> bool:
    print(CORRECT + praise if ok else "Not yet. Hint: " + hint)
    return ok


def check_compression_ratio(answer) -> bool:
    """Notebook 01: how many times fewer numbers does the 2-D code hold than the image?"""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return _verdict(False, "", "give a number: pixels per image divided by numbers per code.")
    return _verdict(
        math.isclose(value, 392.0),
        "784 pixels squeezed into 2 numbers: 392 times fewer.",
        "an MNIST image has 28 × 28 pixels and the code has latent_dim = 2 numbers.",
    )


def check_sampling(sample) -> bool:
    """Notebook 02: ``sample(z_mean, z_log_var, epsilon)`` must return z = z_mean + σ·ε."""
    rng = np.random.default_rng(7)
    z_mean, z_log_var, epsilon = (rng.normal(size=(5, 2)) for _ in range(3))
    try:
        got = np.asarray(sample(z_mean, z_log_var, epsilon), dtype=float)
    except Exception as error:
        return _verdict(False, "", f"your function raised {type(error).__name__}: {error}")
    want = z_mean + np.exp(0.5 * z_log_var) * epsilon
    if got.shape != want.shape:
        return _verdict(False, "", f"return one z per row, shape {want.shape}; got {got.shape}.")
    if np.allclose(got, z_mean + np.exp(z_log_var) * epsilon):
        return _verdict(
            False, "", "z_log_var is the log of the variance σ², so σ = exp(½ · z_log_var)."
        )
    return _verdict(
        np.allclose(got, want),
        "z = z_mean + exp(½ · z_log_var) · ε.",
        "shift ε by z_mean and scale it by σ = exp(½ · z_log_var).",
    )


def check_kl(kl) -> bool:
    """Notebook 02: ``kl(z_mean, z_log_var)`` must return KL(q‖N(0, I)) per image, in nats."""
    rng = np.random.default_rng(8)
    z_mean, z_log_var = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    want = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var, axis=1)
    try:
        got = np.asarray(kl(z_mean, z_log_var), dtype=float)
    except Exception as error:
        return _verdict(False, "", f"your function raised {type(error).__name__}: {error}")
    if got.shape != want.shape:
        return _verdict(
            False,
            "",
            f"sum over the latent axis (axis=1): one value per image, shape {want.shape}.",
        )
    if np.allclose(got, -want):
        return _verdict(False, "", "check the sign: a KL divergence is never negative.")
    if np.allclose(got, 2 * want):
        return _verdict(False, "", "you are missing the factor ½.")
    return _verdict(
        np.allclose(got, want),
        "KL = ½ Σ (σ² + μ² − 1 − log σ²).",
        "per dimension the KL is ½ (exp(z_log_var) + z_mean² − 1 − z_log_var).",
    )


def check_effective_beta(answer) -> bool:
    """Notebook 03: the chapter's KL weight measured against a *summed* BCE, at latent_dim = 2."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return _verdict(False, "", "give a number.")
    return _verdict(
        math.isclose(value, 0.392, rel_tol=0.01),
        "784 × 5e-4 = 0.392: the chapter's KL counts about 2.5 times less than the ELBO says.",
        "the chapter divides the BCE by 784 pixels (a mean) and the KL integrand by 2 "
        "dimensions (a mean); multiply 5e-4 back up by 784 and compare with ½ Σ.",
    )


def check_quantile_grid(values, n: int = 15) -> bool:
    """Notebook 04: the ``n`` z values of the chapter's grid (Gaussian quantiles from 5% to 95%)."""
    from scipy.stats import norm

    want = norm.ppf(np.linspace(0.05, 0.95, n))
    got = np.asarray(values, dtype=float).ravel()
    if got.shape != want.shape:
        return _verdict(False, "", f"make {n} values, one per row of the grid.")
    if np.allclose(got, np.linspace(0.05, 0.95, n)):
        return _verdict(
            False, "", "those are probabilities; turn them into z values with norm.ppf."
        )
    return _verdict(
        np.allclose(got, want),
        "equal steps of prior probability, not of distance.",
        "use scipy.stats.norm.ppf(np.linspace(0.05, 0.95, n)).",
    )


def check_concept_vector(vector, codes, labels, digit: int) -> bool:
    """Notebook 05: the "``digit``-ness" vector: mean code of that digit minus mean code of all."""
    codes = np.asarray(codes, dtype=float)
    labels = np.asarray(labels)
    want = codes[labels == digit].mean(axis=0) - codes.mean(axis=0)
    got = np.asarray(vector, dtype=float).ravel()
    if got.shape != want.shape:
        return _verdict(False, "", f"the vector lives in the latent space: shape {want.shape}.")
    if np.allclose(got, codes[labels == digit].mean(axis=0)):
        return _verdict(
            False, "", "subtract the mean code of *all* images, so the vector is a direction."
        )
    if np.allclose(got, -want):
        return _verdict(
            False, "", "the direction points the wrong way: digit mean minus overall mean."
        )
    return _verdict(
        np.allclose(got, want, atol=1e-5),
        f"adding it makes an image more like a {digit}.",
        "codes[labels == digit].mean(axis=0) - codes.mean(axis=0).",
    )


def check_beta_effect(answer: str) -> bool:
    """Notebook 06: as beta grows, does the KL term go "up" or "down"?"""
    text = str(answer).strip().lower()
    return _verdict(
        text == "down",
        "a heavier KL weight pulls q(z|x) towards the prior, so the KL shrinks "
        "and reconstructions blur.",
        "the loss is reconstruction + beta · KL: what does "
        "the optimizer do to a term whose price goes up?",
    )


def check_midpoint(midpoint) -> bool:
    """Notebook 01: ``midpoint(code_a, code_b)`` returns the point halfway between two codes."""
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=2), rng.normal(size=2)
    try:
        got = np.asarray(midpoint(a, b), dtype=float)
    except Exception as error:
        return _verdict(False, "", f"your function raised {type(error).__name__}: {error}")
    if got.shape == a.shape and np.allclose(got, a + b):
        return _verdict(False, "", "that is the sum; halfway is the average.")
    return _verdict(
        got.shape == a.shape and np.allclose(got, (a + b) / 2),
        "halfway is (a + b) / 2.",
        "average the two codes, coordinate by coordinate.",
    )
