"""Fast, compiled encode and decode: the one path every figure and widget uses.

First used in notebook 01, explained in notebook 04. ``keras.Model.predict`` costs about 50 ms a call
(it builds a data pipeline each time), far too slow for a slider. Here each
model gets one compiled function, made on first use and cached on the model,
that maps a NumPy batch to a NumPy batch in about a millisecond. It reads the
model's variables live, so it stays right after more training.
"""

from __future__ import annotations

import numpy as np

import keras  # vaelab/__init__ has already imported it quietly

from vaelab._checks import as_latent

_CACHE_ATTRIBUTE = "_vaelab_compiled_call"


class _NoRetracingWarning:
    """Drop TensorFlow's "triggered tf.function retracing" warning.

    Every model gets its own compiled function, each traced once (fixed input
    signature). TensorFlow counts first traces of *different* functions as
    retracing and warns after a few models: a false alarm in a course that builds
    many models, and red noise in a notebook.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def _compile(model):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import logging

        import tensorflow as tf

        tf_logger = logging.getLogger("tensorflow")
        if not any(isinstance(f, _NoRetracingWarning) for f in tf_logger.filters):
            tf_logger.addFilter(_NoRetracingWarning())

        spec = [tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32)]
        function = tf.function(lambda inputs: model(inputs, training=False), input_signature=spec)

        def run(batch):
            outputs = function(batch)
            if isinstance(outputs, (list, tuple)):
                return [output.numpy() for output in outputs]
            return outputs.numpy()

        return run
    if backend == "jax":
        import jax

        @jax.jit
        def pure(trainable, non_trainable, inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return outputs

        def run(batch):
            outputs = pure([v.value for v in model.trainable_variables],
                           [v.value for v in model.non_trainable_variables], batch)
            if isinstance(outputs, (list, tuple)):
                return [np.asarray(output) for output in outputs]
            return np.asarray(outputs)

        return run

    def run(batch):  # torch and others: eager, without gradients
        outputs = model(batch, training=False)
        if isinstance(outputs, (list, tuple)):
            return [keras.ops.convert_to_numpy(output) for output in outputs]
        return keras.ops.convert_to_numpy(outputs)

    return run


def compiled_call(model):
    """The cached compiled ``model(inputs, training=False)`` as NumPy → NumPy."""
    function = getattr(model, _CACHE_ATTRIBUTE, None)
    if function is None:
        function = _compile(model)
        object.__setattr__(model, _CACHE_ATTRIBUTE, function)
    return function


def _latent_dim(decoder) -> int:
    if not isinstance(decoder, keras.Model):
        raise TypeError(f"expected a Keras decoder model (e.g. vae.decoder), got {type(decoder).__name__}.")
    return int(decoder.inputs[0].shape[-1])


def decode(decoder, z, batch_size: int = 4096) -> np.ndarray:
    """Decode latent points ``z`` (N, latent_dim) to images (N, 28, 28, 1) in [0, 1]."""
    z = as_latent(z, _latent_dim(decoder))
    run = compiled_call(decoder)
    if len(z) <= batch_size:
        return run(z)
    return np.concatenate([run(z[i:i + batch_size]) for i in range(0, len(z), batch_size)])


def encode(encoder, x, batch_size: int = 1000):
    """Encode images ``x`` to ``(z_mean, z_log_var)`` NumPy arrays, batch by batch."""
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"expected a Keras encoder model (e.g. vae.encoder), got {type(encoder).__name__}.")
    x = np.asarray(x, dtype=np.float32)
    run = compiled_call(encoder)
    parts = [run(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
