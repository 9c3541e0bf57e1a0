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
