"""Loaders: the bundled real MNIST, the offline fallback, Fashion-MNIST, any .npz."""

import gzip
import socket
import time

import numpy as np
import pytest

from vaelab import data


def _check_split(split, num_train, num_test):
    (x_train, y_train), (x_test, y_test) = split
    assert x_train.shape == (num_train, 28, 28, 1) and x_test.shape == (num_test, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert y_train.shape == (num_train,) and np.issubdtype(y_train.dtype, np.integer)
    assert set(np.unique(y_test)) <= set(range(10))


def test_bundled_mnist_is_real_and_fixed(mnist):
    _check_split(mnist, 8000, 2000)
    (x_train, y_train), (x_test, y_test) = mnist
    assert set(np.unique(y_train)) == set(range(10))
    assert np.bincount(y_train).min() > 600  # every class is present in quantity
    assert 0.10 < x_train.mean() < 0.16  # MNIST's mean grey level is about 0.13
    again = data.load_bundled_mnist()
    np.testing.assert_array_equal(again[1][0], x_test)  # a fixed split
    assert data.bundled_mnist_path().stat().st_size < 2_500_000


def test_offline_flag_never_touches_the_network(monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was touched")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("VAELAB_OFFLINE", "1")
    _check_split(data.load_mnist(), 8000, 2000)
    assert "VAELAB_OFFLINE" in capsys.readouterr().out


def test_offline_fallback_without_the_flag_is_quick(monkeypatch, tmp_path, capsys):
    """No flag, no cache, and a network that never answers: bundled data within seconds."""
    monkeypatch.delenv("VAELAB_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached full MNIST

    def hang(*args, **kwargs):  # a dead network: nothing for a minute, then a timeout
        time.sleep(60)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    split = data.load_mnist()
    assert time.perf_counter() - start < data.NETWORK_TIMEOUT + 3
    _check_split(split, 8000, 2000)
    assert "bundled real-MNIST subset" in capsys.readouterr().out


def test_full_source_offline_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(
        socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(OSError("down"))
    )
    monkeypatch.delenv("VAELAB_OFFLINE", raising=False)
    with pytest.raises(RuntimeError, match="Full MNIST is not available"):
        data.load_mnist(source="full")
    with pytest.raises(ValueError, match="source"):
        data.load_mnist(source="internet")


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_from_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (30, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 30))
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (12, 28, 28)))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 12))
    _check_split(data.load_fashion_mnist(directory=tmp_path, verbose=False), 30, 12)


def test_fashion_mnist_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no Keras cache either
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        data.load_fashion_mnist(source="local", directory=tmp_path)
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        data.load_fashion_mnist(directory=tmp_path)  # VAELAB_OFFLINE=1: no network either


def _fake_keras_home(tmp_path, monkeypatch):
    """A ``KERAS_HOME`` laid out as Keras caches Fashion-MNIST: a *directory* of four files."""
    cache = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(1)
    _write_idx(cache / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (20, 28, 28)))
    _write_idx(cache / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 20))
    _write_idx(cache / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (8, 28, 28)))
    _write_idx(cache / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 8))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return cache


@pytest.mark.parametrize("offline_flag", [True, False])
def test_fashion_mnist_offline_from_the_keras_cache(tmp_path, monkeypatch, capsys, offline_flag):
    """Offline, with Keras' cache and without Debian's files: the cache, never the network."""

    def refuse(*args, **kwargs):
        raise OSError("the network is down")

    monkeypatch.setattr(socket, "create_connection", refuse)
    if offline_flag:
        monkeypatch.setenv("VAELAB_OFFLINE", "1")
    else:
        monkeypatch.delenv("VAELAB_OFFLINE", raising=False)
    cache = _fake_keras_home(tmp_path, monkeypatch)
    no_debian = tmp_path / "no-debian-package"
    _check_split(data.load_fashion_mnist(directory=no_debian), 20, 8)
    assert str(cache) in capsys.readouterr().out
    _check_split(data.load_fashion_mnist(source="full", directory=no_debian), 20, 8)
    with pytest.raises(FileNotFoundError, match="not found in"):  # "local" is the directory only
        data.load_fashion_mnist(source="local", directory=no_debian)


def test_fashion_mnist_prefers_the_given_directory_to_the_keras_cache(tmp_path, monkeypatch):
    _fake_keras_home(tmp_path, monkeypatch)
    debian = tmp_path / "debian"
    debian.mkdir()
    rng = np.random.default_rng(2)
    _write_idx(debian / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (6, 28, 28)))
    _write_idx(debian / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 6))
    _write_idx(debian / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (3, 28, 28)))
    _write_idx(debian / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 3))
    _check_split(data.load_fashion_mnist(directory=debian, verbose=False), 6, 3)
    _check_split(data.load_fashion_mnist(source="full", directory=debian, verbose=False), 20, 8)


@pytest.mark.skipif(
    not data.DEBIAN_FASHION_MNIST_DIR.is_dir(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_real_fashion_mnist_from_debian():
    _check_split(data.load_fashion_mnist(verbose=False), 60000, 10000)


@pytest.mark.parametrize("with_channel", [True, False])
@pytest.mark.parametrize("as_uint8", [True, False])
def test_load_npz_accepts_both_layouts(tmp_path, with_channel, as_uint8):
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28)).astype(np.uint8)
    if with_channel:
        images = images[..., None]
    x = images if as_uint8 else images.astype(np.float32) / 255
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(50) % 10)
    (x_train, y_train), (x_test, y_test) = data.load_npz(tmp_path / "d.npz", verbose=False)
    assert len(x_train) == 40 and len(x_test) == 10 and x_train.shape[1:] == (28, 28, 1)
    assert x_train.max() <= 1.0


def test_load_npz_without_labels(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 28, 28), np.float32))
    (_, y_train), _ = data.load_npz(tmp_path / "d.npz", verbose=False)
    assert np.all(y_train == 0)


def test_load_npz_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No npz file at"):
        data.load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "no_x.npz", images=np.zeros((4, 28, 28)))
    with pytest.raises(ValueError, match="no array named 'x'.*images"):
        data.load_npz(tmp_path / "no_x.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        data.load_npz(tmp_path / "junk.npz")
    np.savez(tmp_path / "big.npz", x=np.zeros((4, 32, 32)))
    with pytest.raises(ValueError, match="28x28"):
        data.load_npz(tmp_path / "big.npz")


def test_slant_measures_the_lean_on_the_pixels():
    upright = np.zeros((28, 28), "float32")
    upright[4:24, 13:15] = 1.0
    right = np.zeros((28, 28), "float32")
    for row in range(4, 24):  # top to the right: column falls as the row grows
        right[row, 20 - (row - 4) // 2] = 1.0
    values = data.slant(np.stack([upright, right, right[:, ::-1]]))
    assert values[0] == pytest.approx(0.0, abs=1e-9)
    assert values[1] == pytest.approx(0.5, abs=0.05) and values[2] == pytest.approx(-values[1])
    with pytest.raises(ValueError, match="ink"):
        data.slant(np.zeros((2, 28, 28)))
