"""The exercises of notebook 03 (Spot the bug)."""

from __future__ import annotations

import math

import numpy as np

from ._core import Exercise, Wrong, _call, _close, _number


def _effective_beta(effective_beta):
    """The chapter's KL weight against a summed BCE, as a function of latent_dim."""
    got = [_number(_call(effective_beta, d), "β") for d in (2, 3, 8)]
    want = [784 * 5e-4 * 2 / d for d in (2, 3, 8)]
    if all(math.isclose(g, 0.392, rel_tol=1e-3) for g in got):
        raise Wrong(
            "0.392 holds at latent_dim = 2 only: the chapter averages the KL over the "
            "latent dimensions."
        )
    if all(math.isclose(g, 784 * 5e-4 / d, rel_tol=1e-3) for g, d in zip(got, (2, 3, 8))):
        raise Wrong(
            "the chapter's mean over dimensions of the un-halved terms is 2 · KL / d, not KL / d."
        )
    if all(math.isclose(g, 5e-4 * 2 / d, rel_tol=1e-3) for g, d in zip(got, (2, 3, 8))):
        raise Wrong(
            "the chapter's BCE is a mean over 784 pixels: scale the KL weight up by "
            "that to compare with a summed BCE."
        )
    if not all(math.isclose(g, w, rel_tol=1e-3) for g, w in zip(got, want)):
        raise Wrong(f"at latent_dim = 2, 3, 8 you give {[round(g, 4) for g in got]}.")
    return "β = 784 · 5e-4 · 2 / latent_dim: 0.392 at 2 dimensions, 0.098 at 8."


effective_beta = Exercise(
    "effective_beta",
    "03",
    "write effective_beta(latent_dim): the chapter's KL weight measured against a summed BCE.",
    _effective_beta,
    [
        "The chapter divides the BCE by the number of pixels and the KL terms by the number of "
        "latent dimensions. What do you multiply its loss by to get a summed BCE, and what "
        "happens to its 5e-4 then?",
        "Multiplied by 784, its KL term is 784 · 5e-4 · (1/d) · Σ(σ² + μ² − 1 − log σ²) = "
        "784 · 5e-4 · (2/d) · KL.",
    ],
)


def _chapter_kl(chapter_kl):
    """The KL of the Gaussian the chapter really samples from: σ = exp(s)."""
    rng = np.random.default_rng(11)
    z_mean, s = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    want = 0.5 * np.sum(np.exp(2 * s) + z_mean**2 - 1 - 2 * s, axis=1)
    got = _call(chapter_kl, z_mean, s)
    if np.shape(got) != want.shape:
        raise Wrong(f"return one KL per image, shape {want.shape}; got {np.shape(got)}.")
    if _close(got, 0.5 * np.sum(np.exp(s) + z_mean**2 - 1 - s, axis=1)):
        raise Wrong(
            "that is the KL the chapter writes, for σ² = exp(s); it samples with σ = exp(s)."
        )
    if not _close(got, want):
        raise Wrong("write σ² and log σ² in terms of s, then use the usual KL.")
    return "with σ = exp(s): KL = ½ Σ (exp(2s) + μ² − 1 − 2s). s is just another scale."


chapter_kl = Exercise(
    "chapter_kl",
    "03",
    "write chapter_kl(z_mean, s): the KL of N(z_mean, exp(s)²), the Gaussian the chapter samples.",
    _chapter_kl,
    ["If σ = exp(s), what are σ² and log σ²?", "σ² = exp(2s) and log σ² = 2s."],
)


def _fixed_sample(fixed_sample):
    """The chapter's sampling step with its mistake removed: σ = exp(½ · z_log_var)."""
    rng = np.random.default_rng(31)
    z_mean, z_log_var, epsilon = (rng.normal(size=(6, 2)) for _ in range(3))
    got = _call(fixed_sample, z_mean, z_log_var, epsilon)
    if np.shape(got) != z_mean.shape:
        raise Wrong(f"return one z per row: shape {z_mean.shape}, got {np.shape(got)}.")
    if _close(got, z_mean + np.exp(z_log_var) * epsilon):
        raise Wrong(
            "this is chapter_sample unchanged: compare the factor in front of ε with the "
            "formula z = μ + σ · ε, remembering what z_log_var is the log of."
        )
    if _close(got, z_mean + np.exp(2 * z_log_var) * epsilon):
        raise Wrong("exp(2 · z_log_var) is σ⁴: the log of σ² must be halved, not doubled.")
    if _close(got, z_mean + np.exp(-0.5 * z_log_var) * epsilon):
        raise Wrong("exp(−½ · z_log_var) is 1/σ: check the sign.")
    if _close(got, np.exp(0.5 * z_log_var) * epsilon):
        raise Wrong("the draw must be centred on z_mean.")
    if not _close(got, z_mean + np.exp(0.5 * z_log_var) * epsilon):
        raise Wrong("z should be z_mean shifted by σ · ε, with σ the standard deviation.")
    return "σ = exp(½ · z_log_var): the chapter multiplied ε by σ², not σ."


fixed_sample = Exercise(
    "fixed_sample",
    "03",
    "write fixed_sample(z_mean, z_log_var, epsilon): chapter_sample without its mistake.",
    _fixed_sample,
    [
        "z_log_var is the log of which quantity: σ or σ²? And what does exp(z_log_var) give?",
        "Compare chapter_sample's factor in front of ε with σ = exp(½ · z_log_var).",
    ],
)


def _bce_sum(x, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))


def _fixed_loss(fixed_loss):
    """The negative ELBO per image, batch mean: the chapter's loss without its mistake."""
    rng = np.random.default_rng(32)
    x = rng.uniform(size=(5, 28, 28, 1))
    decoded = rng.uniform(0.05, 0.95, size=(5, 28, 28, 1))
    z_mean, z_log_var = 2 * rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    bce, bce_mean = _bce_sum(x, decoded), _bce_sum(x, decoded) / 784
    terms = np.exp(z_log_var) + z_mean**2 - 1 - z_log_var  # 2 · KL per dimension
    kl = 0.5 * terms.sum(axis=1)
    got = _call(fixed_loss, x, decoded, z_mean, z_log_var)
    if np.size(got) != 1:
        raise Wrong(f"return one number, the mean over the batch; got shape {np.shape(got)}.")
    got = float(np.reshape(got, ()))
    wrong = [
        (
            np.mean(bce_mean + 5e-4 * terms.mean(axis=1)),
            "this is chapter_loss_replica unchanged: "
            "compare each of its two terms with the negative ELBO's.",
        ),
        (
            np.mean(bce + 5e-4 * terms.mean(axis=1)),
            "the cross-entropy is now summed over the "
            "pixels, but the KL still carries the chapter's 5e-4 and its mean over dimensions.",
        ),
        (
            np.mean(bce_mean + kl),
            "the KL is right, but the cross-entropy is still a mean over the "
            "784 pixels, so the KL weighs 784 times too much against it.",
        ),
        (
            np.mean(bce + 0.5 * terms.mean(axis=1)),
            "the KL is averaged over the latent dimensions: the ELBO sums it.",
        ),
        (np.mean(bce + terms.sum(axis=1)), "the KL is missing its factor ½."),
        (np.mean(bce - kl), "the KL is subtracted: the negative ELBO adds it."),
    ]
    for value, message in wrong:
        if math.isclose(got, value, rel_tol=1e-5):
            raise Wrong(message)
    if not math.isclose(got, np.mean(bce + kl), rel_tol=1e-5):
        raise Wrong("the negative ELBO per image is the summed cross-entropy plus the summed KL.")
    return "the cross-entropy summed over the 784 pixels plus the KL summed, with weight 1."


fixed_loss = Exercise(
    "fixed_loss",
    "03",
    "write fixed_loss(x, decoded, z_mean, z_log_var): chapter_loss_replica without its mistake.",
    _fixed_loss,
    [
        "Which of the replica's two terms is a sum and which a mean, and what does the ELBO ask "
        "of each? What is 5e-4 doing there?",
        "The negative ELBO per image is the cross-entropy summed over the pixels "
        "(np.sum(..., axis=(1, 2, 3))) plus ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²), with weight 1.",
    ],
)
