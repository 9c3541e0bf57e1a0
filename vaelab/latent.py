"""The latent space in numbers: encode, decode, grids, the manifold, paths and concepts.

Every function here runs a Keras model through Keras' own ``predict_on_batch`` (compiled once
per model by Keras, NumPy in and out) on whole batches: never ``predict`` in a loop. Notebook
01 introduces :func:`decode`, :func:`encode_means` and :func:`hole_share`, 02 :func:`encode`,
04 :func:`grid_values` and :func:`manifold_image`, 05 :func:`interpolate`,
:func:`concept_vectors` and :func:`attribute_vector`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri  # the Gaussian's inverse CDF (norm.ppf), without scipy.stats

from vaelab._checks import as_images, as_labels, as_latent, positive_int
from vaelab.defaults import DECODE_BATCH_SIZE, ENCODE_BATCH_SIZE


def keras_call(model):
    """``model.predict_on_batch``: NumPy in, NumPy out, the model's current weights.

    Keras compiles it per model (a ``tf.function`` or ``jax.jit``);
    ``benchmarks/decode_call.py`` measured it against a hand-written compiled call. With
    TensorFlow, see :func:`_trace_for_any_batch`.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a Keras model (e.g. vae.decoder), got {type(model).__name__}.")
    if (
        keras.backend.backend() == "tensorflow"
        and model.predict_function is None
        and not model.run_eagerly
        and len(model.inputs) == 1
    ):
        _trace_for_any_batch(model)
    return model.predict_on_batch


def _trace_for_any_batch(model) -> None:
    """Trace Keras' TensorFlow predict function once, for batches of any size.

    Left alone, Keras' ``tf.function`` is traced at the first batch's size and again at the
    first other size (a shorter last batch, a 100-point manifold after 512-point batches).
    TensorFlow counts the traces of every model's predict function together (they share one
    Python function), so a notebook that decodes through a few fresh models (notebook 06's β
    sweep) printed "triggered tf.function retracing" warnings. A trace asked for with
    ``get_concrete_function`` and a ``None`` batch axis serves every later batch and is not
    counted in those warnings.
    """
    import tensorflow as tf

    model.make_predict_function()
    spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), model.inputs[0].dtype)
    try:
        model.predict_function.get_concrete_function([(spec,)])
    except (TypeError, ValueError):  # another Keras signature: it traces per batch size itself
        pass


def latent_dim_of(decoder) -> int:
    """How many numbers a decoder takes: a Keras decoder, or a callable with ``latent_dim``."""
    if hasattr(decoder, "inputs"):
        return int(decoder.inputs[0].shape[-1])
    if callable(decoder) and hasattr(decoder, "latent_dim"):
        return int(decoder.latent_dim)
    raise TypeError(f"expected a decoder model (e.g. vae.decoder), got {type(decoder).__name__}.")


def decoder_function(decoder):
    """NumPy (N, latent_dim) → NumPy (N, 28, 28, 1): how widgets and :func:`decode` decode."""
    latent_dim_of(decoder)
    return decoder if not hasattr(decoder, "inputs") else keras_call(decoder)


def _in_batches(run, inputs, batch_size: int):
    """``run`` over ``inputs`` in slices of ``batch_size``, outputs joined back together."""
    batch_size = positive_int(batch_size, "batch_size")
    parts = [run(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
    if isinstance(parts[0], (list, tuple)):
        return [np.concatenate([part[k] for part in parts]) for k in range(len(parts[0]))]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def decode(decoder, z, batch_size: int = DECODE_BATCH_SIZE) -> np.ndarray:
    """Decode latent points ``z`` (N, latent_dim) to images (N, 28, 28, 1) in [0, 1].

    ``batch_size`` points per call: larger batches only grow the backend's scratch memory
    (see ``DECODE_BATCH_SIZE`` in :mod:`vaelab.defaults`).
    """
    z = as_latent(z, latent_dim_of(decoder))
    return _in_batches(decoder_function(decoder), z, batch_size)


def encode(encoder, x, batch_size: int = ENCODE_BATCH_SIZE):
    """Encode images ``x`` to ``(z_mean, z_log_var)`` NumPy arrays, batch by batch; notebook 02.

    ``x`` is checked like every image input of vaelab: uint8 grey levels are divided by 255
    (with a notice), a missing channel axis is added, anything else out of [0, 1] is an error.
    """
    run = keras_call(encoder)
    z_mean, z_log_var = _in_batches(run, as_images(x, "x"), batch_size)
    return z_mean, z_log_var


def encode_means(model, x) -> np.ndarray:
    """The code of each image: ``z_mean`` for a VAE, ``z`` for a plain autoencoder."""
    codes = _in_batches(keras_call(model.encoder), as_images(x, "x"), ENCODE_BATCH_SIZE)
    return codes[0] if isinstance(codes, list) else codes


def grid_values(n: int = 15, grid: str = "quantile", extent: float | None = None) -> np.ndarray:
    """The ``n`` latent coordinates along one axis of the manifold.

    ``grid="quantile"`` (the chapter's choice): the Gaussian quantiles of ``n`` evenly spaced
    probabilities from 0.05 to 0.95, so each row holds the same prior mass.
    ``grid="linear"``: evenly spaced from −extent to +extent (extent defaults to 2).
    """
    n = positive_int(n, "n")
    if grid == "quantile":
        if extent is not None:
            raise ValueError(
                "extent only applies to grid='linear'; the quantile grid spans 5%-95% of the prior."
            )
        return ndtri(np.linspace(0.05, 0.95, n))
    if grid == "linear":
        extent = 2.0 if extent is None else float(extent)
        if not extent > 0:
            raise ValueError(f"extent must be positive, got {extent}.")
        return np.linspace(-extent, extent, n)
    raise ValueError(f"grid must be 'quantile' or 'linear', got {grid!r}.")


def manifold_image(decoder, n: int = 15, grid: str = "quantile", extent=None, fixed=None):
    """Decode an ``n`` × ``n`` grid of latent points into one ``(n·28, n·28)`` image.

    Row i, column j shows z = (values[j], values[n-1-i]), so z₂ grows upwards as on a plot.
    One batched decode. For latent_dim > 2 the grid spans the first two dimensions and the
    others stay at ``fixed`` (zeros by default).
    """
    values = grid_values(n, grid, extent)
    latent_dim = latent_dim_of(decoder)
    z1, z2 = np.meshgrid(values, values[::-1])
    z = np.zeros((n * n, latent_dim), dtype=np.float32)
    if fixed is not None:
        z[:] = np.asarray(fixed, dtype=np.float32).reshape(1, latent_dim)
    z[:, 0] = z1.ravel()
    if latent_dim > 1:
        z[:, 1] = z2.ravel()
    digits = decode(decoder, z)[..., 0]
    size = digits.shape[1]
    return digits.reshape(n, n, size, size).transpose(0, 2, 1, 3).reshape(n * size, n * size)


def image_pair(x_a, x_b) -> np.ndarray:
    """Two images (28×28, 28×28×1, or a batch of one each) as one checked (2, 28, 28, 1) array."""
    images = [np.asarray(x) for x in (x_a, x_b)]
    images = [x[0] if x.ndim == 4 and len(x) == 1 else x for x in images]
    return as_images(np.stack(images), "x_a and x_b", notify=False)


def interpolate(model, x_a, x_b, steps: int = 9) -> np.ndarray:
    """Images decoded along the straight line between the codes of ``x_a`` and ``x_b``."""
    steps = positive_int(steps, "steps")
    codes = encode_means(model, image_pair(x_a, x_b))
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return decode(model.decoder, (1 - t) * codes[0] + t * codes[1])


def concept_vectors(model, x, y) -> dict:
    """For each label c: the mean code of the images labelled c minus the mean code of all."""
    x = as_images(x, "x")
    y = as_labels(y, len(x), "y")
    codes = encode_means(model, x)
    overall = codes.mean(axis=0)
    return {int(label): codes[y == label].mean(axis=0) - overall for label in np.unique(y)}


def attribute_vector(model, x, scores, fraction: float = 0.2) -> np.ndarray:
    """A direction found without labels: mean code of the images scoring highest minus lowest.

    ``scores`` is one number per image measured on the pixels (e.g. :func:`vaelab.data.slant`);
    the top and bottom ``fraction`` of the images are compared. Notebook 05.
    """
    x = as_images(x, "x")
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(x):
        raise ValueError(f"scores has {len(scores)} values for {len(x)} images; give one each.")
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction!r}.")
    order = np.argsort(scores)
    count = max(1, int(round(fraction * len(x))))
    codes = encode_means(model, x)
    return codes[order[-count:]].mean(axis=0) - codes[order[:count]].mean(axis=0)


def hole_share(codes, distance: float = 0.25, extent: float = 1.645, n: int = 60) -> dict:
    """How much of the latent box lies far from every code: a number for the "holes"; notebook 01.

    The codes are first standardized (each axis centred and divided by its standard deviation),
    so that an autoencoder, whose codes have an arbitrary scale, and a VAE, whose prior fixes
    one, are measured alike. A point of an ``n`` × ``n`` grid over ±``extent`` (by default the
    5–95% quantile box of a standard Gaussian) is a *hole* when no code lies within
    ``distance``. Returns ``share`` (the fraction of holes), ``holes`` (n × n booleans, rows
    following z₂ upwards, for ``imshow(origin="lower")``), ``values`` (the grid's coordinates)
    and ``standardized`` (the codes as measured).
    """
    from scipy.spatial import cKDTree

    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] != 2 or len(codes) < 2:
        raise ValueError(f"codes must have shape (N, 2) with N >= 2, got {codes.shape}.")
    if not (distance > 0 and extent > 0):
        raise ValueError(f"distance and extent must be positive, got {distance} and {extent}.")
    spread = codes.std(axis=0)
    if np.any(spread == 0):
        raise ValueError("The codes do not vary along one axis; there is no box to measure.")
    standardized = (codes - codes.mean(axis=0)) / spread
    values = np.linspace(-extent, extent, positive_int(n, "n"))
    z1, z2 = np.meshgrid(values, values)
    nearest, _ = cKDTree(standardized).query(np.stack([z1.ravel(), z2.ravel()], axis=1))
    holes = (nearest > distance).reshape(z1.shape)
    return {
        "share": float(holes.mean()),
        "holes": holes,
        "values": values,
        "standardized": standardized,
    }
