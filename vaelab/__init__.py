"""vaelab: the variational autoencoder of Deep Learning with Python 8.4, as a course.

Importing vaelab sets two environment defaults before Keras loads (both can be
overridden by setting them first): ``KERAS_BACKEND=tensorflow`` and
``TF_CPP_MIN_LOG_LEVEL=3`` (no TensorFlow C++ log in the notebooks: ipykernel shows it as red
text, and on a machine without a GPU the GPU build of TensorFlow logs a harmless CUDA error).
``import vaelab`` also imports Keras (and TensorFlow) with TensorFlow's C++ start-up lines
silenced, so a later ``import keras`` (here, in a submodule or in a notebook) prints nothing in
red. The public names below are imported from their modules on first use.
"""

import importlib
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"

from vaelab._quiet import import_keras_quietly  # noqa: E402

import_keras_quietly()

_PUBLIC = {
    "load_mnist": "data", "load_fashion_mnist": "data", "load_npz": "data",
    "decode": "decoding", "encode": "decoding",
    "elbo_terms": "metrics", "log_likelihood": "metrics", "neg_elbo": "metrics",
    "VAE": "models", "Autoencoder": "models", "Sampling": "models", "build_autoencoder": "models",
    "build_decoder": "models", "build_encoder": "models", "build_vae": "models",
    "kl_divergence": "models", "load_vae": "models", "load_weights": "models", "reconstruction_loss": "models",
    "train": "training",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"vaelab.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'vaelab' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_PUBLIC])
