"""The exercises of notebook 05 (Concept vectors)."""

from __future__ import annotations

import functools

import numpy as np

from ._core import Exercise, Wrong, _array, _close


@functools.cache
def _pretrained_encoder():
    """The pretrained model's encoder, loaded once however often the learner checks."""
    from vaelab.models import load_vae

    return load_vae("mnist").encoder


def _concept_vector(four_ness, x_test, y_test):
    """Against the z_mean of ``x_test`` under the pretrained model, computed here."""
    from vaelab.latent import encode

    got = _array(four_ness, (2,), "the concept vector")
    z_mean = encode(_pretrained_encoder(), np.asarray(x_test, "float32"))[0]
    labels = np.asarray(y_test)
    want = z_mean[labels == 4].mean(axis=0) - z_mean.mean(axis=0)
    if _close(got, z_mean[labels == 4].mean(axis=0), 1e-3):
        raise Wrong("that is where the 4s are, not a direction: subtract the mean code of all.")
    if _close(got, -want, 1e-3):
        raise Wrong("the direction points the wrong way: the 4s' mean minus the overall mean.")
    if _close(got, z_mean[labels == 4].mean(axis=0) - z_mean[labels != 4].mean(axis=0), 1e-3):
        raise Wrong(
            "that subtracts the mean of the *other* digits: the concept vector starts from the "
            "mean code of all images, the average image, 4s included."
        )
    if np.linalg.norm(got - want) < 0.05 and not _close(got, want, 1e-3):
        raise Wrong(
            "close, but not the means of z_mean: did you use sampled codes? "
            "Sampling adds noise; the concept lives in the means."
        )
    if not _close(got, want, 1e-3):
        raise Wrong("the mean z_mean of the 4s minus the mean z_mean of all images.")
    return "adding it moves an image towards the 4s."


concept_vector = Exercise(
    "concept_vector",
    "05",
    "compute the four-ness vector from the z_mean codes of the test images.",
    _concept_vector,
    [
        "Where, on average, do the 4s land? And all digits? Which arrow goes from one to the "
        "other?",
        "codes[y_test == 4].mean(axis=0) - codes.mean(axis=0), with codes the z_mean of x_test.",
    ],
)


def _pixel_path(pixel_images, x_a, x_b):
    got = _array(pixel_images, (9, 28, 28, 1), "the 9 blended images")
    x_a, x_b = (np.asarray(x, dtype=float).reshape(28, 28, 1) for x in (x_a, x_b))
    t = np.linspace(0, 1, 9).reshape(9, 1, 1, 1)
    want = (1 - t) * x_a + t * x_b
    if _close(got, want[::-1]):
        raise Wrong("the path runs backwards: at t = 0 it should be x_a.")
    if not _close(got, want, 1e-4):
        raise Wrong("at each t, (1 − t) · x_a + t · x_b, pixel by pixel.")
    return "a cross-fade: the middle images are two digits on top of each other, not one digit."


pixel_path = Exercise(
    "pixel_path",
    "05",
    "blend the two images directly: 9 images (1 − t) · x_a + t · x_b for t from 0 to 1.",
    _pixel_path,
    [
        "What does the blend look like at t = 0, t = 1 and t = 0.5?",
        "t = np.linspace(0, 1, 9)[:, None, None, None]; (1 - t) * x_a + t * x_b.",
    ],
)
