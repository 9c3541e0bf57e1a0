"""vaelab: the variational autoencoder of Deep Learning with Python 8.4, as a course.

``import vaelab`` is light and changes nothing outside this process: it sets no environment
variable (Keras picks its backend as usual: ``KERAS_BACKEND``, else ``~/.keras/keras.json``,
else TensorFlow), installs the hook that keeps TensorFlow's known start-up lines out of
notebooks in this process only (:mod:`vaelab._quiet`) and imports nothing else. Keras and
TensorFlow load when a module that needs them is first used. The public names below come from
their modules on first use: ``vaelab.build_vae`` is ``vaelab.models.build_vae``.
"""

import importlib

from vaelab import _quiet

__version__ = "0.2.0"

_quiet.install()


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
