"""Input checks shared by every public entry point of vaelab.

Each check raises a ``ValueError``/``TypeError`` whose message names what was
wrong and how to fix it, so that a learner never has to read a TensorFlow
traceback to find a shape mistake.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

from vaelab.defaults import IMAGE_SHAPE


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int, or raise if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {value!r} ({type(value).__name__})."
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (1 or more), got {value}.")
    return int(value)


def non_negative_float(value, name: str) -> float:
    """Return ``value`` as a float, or raise if it is negative or not a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number >= 0, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}.")
    return value


def between_zero_and_one(value, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a number strictly between 0 and 1.

    Any real number counts, NumPy scalars (``np.float32(1e-3)``) included.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number between 0 and 1, got {value!r} ({type(value).__name__})."
        )
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}.")
    return float(value)


def as_images(x, name: str = "x", image_shape=IMAGE_SHAPE, notify: bool = True) -> np.ndarray:
    """Return ``x`` as float32 images of shape ``(N, *image_shape)`` in [0, 1].

    Two harmless, unambiguous conversions are made, each with a one-line
    notice: a missing channel axis is added, and uint8 grey levels 0-255 are
    divided by 255. Everything else that does not fit is an error.
    """
    if x is None:
        raise TypeError(f"{name} is None: pass an array of images of shape (N, 28, 28, 1).")
    try:
        array = np.asarray(x)
    except Exception as error:  # e.g. a ragged list
        raise TypeError(f"{name} could not be turned into an array of images: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}.")
    height, width, channels = image_shape
    if array.ndim == 2 and array.shape == (height, width):
        raise ValueError(
            f"{name} is a single {height}x{width} image; pass a batch, e.g. {name}[None] "
            f"(shape (1, {height}, {width}))."
        )
    if (
        array.ndim == 3
        and channels == 1
        and array.shape[1:] != (height, width)
        and array.shape[0] > 0
    ):
        raise ValueError(
            f"{name} holds images of shape {array.shape[1:]}, but the model expects "
            f"{height}x{width} pixels (shape (N, {height}, {width}, 1)). Resize or crop the "
            f"images to {height}x{width}."
        )
    if array.ndim == 3 and array.shape[1:] == (height, width) and channels == 1:
        array = array[..., None]
        if notify:
            print(f"vaelab: {name} had no channel axis; using shape {array.shape}.")
    if array.ndim != 4:
        raise ValueError(
            f"{name} must have shape (N, {height}, {width}, {channels}) (rank 4), "
            f"got rank {array.ndim} with shape {array.shape}."
        )
    if array.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"{name} holds images of shape {array.shape[1:]}, but the model expects "
            f"{tuple(image_shape)}. Resize or crop the images to {height}x{width} pixels"
            f"{' with 1 grey channel' if array.shape[1:3] == (height, width) else ''}."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 images); pass at least one image.")
    if array.dtype == np.uint8:
        if notify:
            print(f"vaelab: {name} is uint8 (0-255); dividing by 255 to get floats in [0, 1].")
        converted = array.astype(np.float32)
        converted /= 255.0  # in place: one float copy, not two (matters for 70,000 images)
        return converted
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite values; clean or drop those images."
        )
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        hint = " Divide by 255 first." if high > 1.0 and high <= 255.0 and low >= 0 else ""
        raise ValueError(
            f"{name} must hold pixel values in [0, 1], got values from {low:g} to {high:g}.{hint}"
        )
    return array


def as_labels(y, count: int, name: str = "y") -> np.ndarray:
    """Return integer labels, one per image."""
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != count:
        raise ValueError(
            f"{name} must be a 1-D array with one label per image ({count}), "
            f"got shape {labels.shape}."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}.")
    return labels.astype(np.int64)


def as_latent(z, latent_dim: int, name: str = "z") -> np.ndarray:
    """Return latent points as float32 of shape ``(N, latent_dim)``."""
    array = np.asarray(z, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != latent_dim:
        raise ValueError(
            f"{name} must have shape (N, {latent_dim}) for this model's latent_dim={latent_dim}, "
            f"got shape {np.shape(z)}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def existing_file(path, what: str = "file") -> Path:
    """Return ``path`` as a Path, or raise FileNotFoundError with a hint."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"expected a path to a {what}, got {type(path).__name__}.")
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        where = resolved.parent if str(resolved.parent) not in ("", ".") else Path.cwd()
        raise FileNotFoundError(
            f"No {what} at '{path}' (looked in {where.resolve()}). Check the spelling and the "
            "working directory."
        )
    return resolved
