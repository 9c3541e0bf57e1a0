"""Fast encode and decode: the one path every figure and widget uses.

First used in notebook 01, explained in notebook 04. ``keras.Model.predict`` costs about 50 ms a
call (it builds a data pipeline each time), far too slow for a slider. Two faster paths:

* decoders made of plain layers (the chapter's and its variants) run in NumPy
  (:mod:`vaelab._numpy_forward`): about 0.3 ms for one point on 2 cores, the 15×15 manifold in
  one batched pass;
* any other model gets one compiled Keras function (``tf.function`` or ``jax.jit``), made on
  first use and cached on the model: about a millisecond a call.

:func:`decode` always uses the model's current weights (it compares them with the copy it
decoded with last time). :func:`decoder_function` copies them once, for widgets.
"""

from __future__ import annotations

import numpy as np

import keras  # vaelab/__init__ has already imported it quietly

from vaelab._checks import as_latent
from vaelab._numpy_forward import numpy_forward

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


_FORWARD_ATTRIBUTE = "_vaelab_numpy_forward"
_READER_ATTRIBUTE = "_vaelab_weight_reader"


def _read_weights(model) -> list:
    """The values of ``model.weights`` as NumPy arrays, in one compiled call on TensorFlow."""
    if keras.backend.backend() != "tensorflow":
        return [keras.ops.convert_to_numpy(variable.value) for variable in model.weights]
    reader = getattr(model, _READER_ATTRIBUTE, None)
    if reader is None:
        import tensorflow as tf

        variables = [variable.value for variable in model.weights]
        reader = tf.function(lambda: [tf.identity(variable) for variable in variables])
        object.__setattr__(model, _READER_ATTRIBUTE, reader)
    return [value.numpy() for value in reader()]


def _current_function(model):
    """NumPy → NumPy ``model(inputs)`` with the weights as they are now."""
    cached = getattr(model, _FORWARD_ATTRIBUTE, None)
    if cached is False:  # layers the NumPy path does not support
        return compiled_call(model)
    weights = _read_weights(model)
    if cached is not None and all(np.array_equal(old, new) for old, new in zip(cached[0], weights)):
        return cached[1]
    forward = numpy_forward(model, weights)
    object.__setattr__(model, _FORWARD_ATTRIBUTE, False if forward is None else (weights, forward))
    return compiled_call(model) if forward is None else forward


def decoder_function(decoder):
    """NumPy → NumPy decoding with a copy of the decoder's weights as they are now.

    For widgets, where every slider move counts: the NumPy path if the decoder's layers allow
    it (about 0.3 ms a point), else the compiled Keras call. Build a new one after training.
    Introduced in notebook 04.
    """
    _latent_dim(decoder)
    forward = numpy_forward(decoder)
    return compiled_call(decoder) if forward is None else forward


def _latent_dim(decoder) -> int:
    if not isinstance(decoder, keras.Model):
        raise TypeError(f"expected a Keras decoder model (e.g. vae.decoder), got {type(decoder).__name__}.")
    return int(decoder.inputs[0].shape[-1])


def decode(decoder, z, batch_size: int = 4096) -> np.ndarray:
    """Decode latent points ``z`` (N, latent_dim) to images (N, 28, 28, 1) in [0, 1]."""
    z = as_latent(z, _latent_dim(decoder))
    run = _current_function(decoder)
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
