"""The exercises of notebook 00 (Start here)."""

from __future__ import annotations

import math

from ._core import Exercise, Wrong, _number


def _compression_ratio(ratio):
    value = _number(ratio, "the ratio")
    if math.isclose(value, 1 / 392, rel_tol=1e-3):
        raise Wrong("that is the code's size over the image's; the question asks image over code.")
    if math.isclose(value, 28 / 2, rel_tol=1e-3):
        raise Wrong("an image has 28 × 28 pixels, not 28.")
    if not math.isclose(value, 392, rel_tol=1e-3):
        raise Wrong(f"{value:g} is not the number of pixels per number of the code.")
    return "784 pixels squeezed into 2 numbers: 392 times fewer."


compression_ratio = Exercise(
    "compression_ratio",
    "00",
    "how many times fewer numbers does the 2-D code hold than one image?",
    _compression_ratio,
    [
        "How many numbers is one image? Look at x_train.shape.",
        "One image has 28 × 28 = 784 pixels, the code latent_dim = 2 numbers.",
    ],
)
