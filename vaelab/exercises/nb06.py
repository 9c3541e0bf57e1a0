"""The exercises of notebook 06 (Beyond)."""

from __future__ import annotations

import numpy as np

from ._core import Exercise, Wrong, _call, _close


def _beta_effect(prediction):
    """A prediction, made before the β sweep runs: judged by the loss, not by a run."""
    if not isinstance(prediction, str):
        raise Wrong(f'predict with a word, "up" or "down", not a {type(prediction).__name__}.')
    text = prediction.strip().lower()
    if text in ("same", "unchanged", "neither", "flat"):
        raise Wrong(
            "β is the price of each nat of KL in the loss: when a price changes, does the "
            'optimizer keep buying the same amount? Answer "up" or "down".'
        )
    if text not in ("up", "down"):
        raise Wrong(f'predict "up" or "down", not {prediction!r}.')
    if text == "up":
        raise Wrong(
            "up would mean the model buys more of what just got dearer. The loss is "
            "reconstruction + β · KL: a larger β makes each nat of code cost more, so the "
            "optimizer trades some reconstruction for a smaller KL."
        )
    return (
        "a heavier KL weight makes each nat of code dearer, so the trained model buys fewer: "
        "the KL goes down and the reconstructions blur. The table below shows whether your "
        "run agrees."
    )


beta_effect = Exercise(
    "beta_effect",
    "06",
    "predict, before the sweep runs: from the smallest β of the table to the largest, does the "
    'KL of the trained model go "up" or "down"?',
    _beta_effect,
    [
        "The loss is reconstruction + β · KL. What does the optimizer do to a term whose price "
        "goes up?",
        "From the smallest β to the largest, each nat of KL costs more in the loss; the "
        "reconstruction term's price stays the same.",
    ],
)


def _kl_per_dimension(kl_per_dimension):
    """The KL of each latent dimension, averaged over the images: which dimensions carry."""
    rng = np.random.default_rng(61)
    z_mean = rng.normal(size=(50, 8)) * np.array([2, 1.5, 1, 0.5, 0.1, 0.05, 0.01, 0.0])
    z_log_var = rng.normal(size=(50, 8)) * 0.3 - np.array([4, 3, 2, 1, 0.1, 0.05, 0, 0])
    terms = np.exp(z_log_var) + z_mean**2 - 1 - z_log_var  # 2 · KL, per image and dimension
    want = 0.5 * terms.mean(axis=0)
    got = _call(kl_per_dimension, z_mean, z_log_var)
    if np.shape(got) == (50,):
        raise Wrong(
            "that is one value per image (a sum over the dimensions): average over the "
            "images instead, axis 0, to get one value per dimension."
        )
    if np.shape(got) != want.shape:
        raise Wrong(f"return one KL per latent dimension, shape {want.shape}; got {np.shape(got)}.")
    wrong = [
        (0.5 * terms.sum(axis=0), "that sums over the images: the KL per image is a mean."),
        (terms.mean(axis=0), "the KL is missing its factor ½."),
        (-want, "the sign is flipped: a KL is never negative."),
        (
            0.5 * np.mean(np.exp(0.5 * z_log_var) + z_mean**2 - 1 - z_log_var, axis=0),
            "exp(½ · z_log_var) is σ; the KL needs σ² = exp(z_log_var).",
        ),
    ]
    for value, message in wrong:
        if _close(got, value):
            raise Wrong(message)
    if not _close(got, want):
        raise Wrong("each dimension's KL is ½ (σ² + μ² − 1 − log σ²), averaged over the images.")
    return "the KL of each dimension, averaged over the images; their sum is the model's KL."


kl_per_dimension = Exercise(
    "kl_per_dimension",
    "06",
    "write kl_per_dimension(z_mean, z_log_var): the mean KL of each latent dimension.",
    _kl_per_dimension,
    [
        "The KL of a diagonal Gaussian is a sum of one term per dimension. Which axis of "
        "z_mean is the images, which the dimensions, and which do you average over?",
        "Per image and dimension the term is ½ (exp(z_log_var) + z_mean² − 1 − z_log_var); "
        "average it over axis 0.",
    ],
)
