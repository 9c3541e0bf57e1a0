"""vaelab: the variational autoencoder of Deep Learning with Python 8.4, as a course.

``import vaelab`` is light: it sets two environment defaults (``KERAS_BACKEND=tensorflow`` and
``TF_CPP_MIN_LOG_LEVEL=3``; set them first to override), installs the hook that keeps
TensorFlow's start-up lines quiet (:mod:`vaelab._quiet`) and imports nothing else. Keras and
TensorFlow load when a module that needs them is first used. The public names below come from
their modules on first use: ``vaelab.build_vae`` is ``vaelab.models.build_vae``.
"""

import importlib
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.2.0"

from vaelab import _quiet  # noqa: E402

_quiet.install()


def load_ipython_extension(ipython) -> None:
    """Loaded by every kernel of the environment (see :mod:`vaelab._quiet`); importing is enough."""


_PUBLIC = {
    "data": ["load_mnist", "load_fashion_mnist", "load_npz"],
    "latent": ["decode", "encode", "encode_means", "manifold_image", "interpolate"],
    "metrics": ["elbo_terms", "log_likelihood", "neg_elbo"],
    "models": [
        "VAE",
        "Sampling",
        "build_autoencoder",
        "build_decoder",
        "build_encoder",
        "build_vae",
        "kl_divergence",
        "load_vae",
        "reconstruction_loss",
    ],
    "training": ["train"],
}
_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    if name in _MODULE_OF:
        return getattr(importlib.import_module(f"vaelab.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module 'vaelab' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_MODULE_OF])
