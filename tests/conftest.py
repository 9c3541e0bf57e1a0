import os

os.environ["VAELAB_OFFLINE"] = "1"  # also forced by /conftest.py, which runs first
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    from vaelab.data import load_mnist

    return load_mnist(source="bundled", verbose=False)


@pytest.fixture(scope="session")
def x_small(mnist):
    (x_train, _), _ = mnist
    return x_train[:256]


@pytest.fixture(scope="session")
def pretrained():
    from vaelab.models import load_vae

    return load_vae("mnist")


@pytest.fixture()
def rng():
    return np.random.default_rng(0)
