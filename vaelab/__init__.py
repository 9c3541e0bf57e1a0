"""vaelab: the variational autoencoder of Deep Learning with Python 8.4, as a course.

Importing vaelab sets two environment defaults before Keras loads (both can be
overridden by setting them first): ``KERAS_BACKEND=tensorflow`` and
``TF_CPP_MIN_LOG_LEVEL=2`` (no TensorFlow start-up log in the notebooks).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from vaelab.data import load_fashion_mnist, load_mnist, load_npz  # noqa: E402
from vaelab.decoding import decode, encode  # noqa: E402
from vaelab.metrics import elbo_terms, log_likelihood, neg_elbo  # noqa: E402
from vaelab.models import (  # noqa: E402
    VAE,
    Autoencoder,
    Sampling,
    build_autoencoder,
    build_decoder,
    build_encoder,
    build_vae,
    kl_divergence,
    load_vae,
    reconstruction_loss,
)
from vaelab.training import train  # noqa: E402

__all__ = [
    "VAE", "Autoencoder", "Sampling", "build_autoencoder", "build_decoder", "build_encoder",
    "build_vae", "decode", "elbo_terms", "encode", "kl_divergence", "load_fashion_mnist",
    "load_mnist", "load_npz", "load_vae", "log_likelihood", "neg_elbo", "reconstruction_loss",
    "train",
]
