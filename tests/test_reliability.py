"""Bad input teaches instead of crashing; nothing half written; same seed, same model."""

import os
import signal
import subprocess
import sys
import time

import keras
import nbformat
import numpy as np
import pytest

from vaelab import data, metrics, models, plotting, training
from vaelab.latent import decode, interpolate, manifold_image

GOOD = np.zeros((8, 28, 28, 1), np.float32)


@pytest.fixture(scope="module")
def vae():
    return models.build_vae(seed=0)


@pytest.mark.parametrize(
    "images, error, message",
    [
        (np.zeros((8, 32, 32, 1), np.float32), ValueError, "28x28"),
        (np.zeros((8, 32, 32), np.float32), ValueError, "28x28"),
        (np.zeros((8, 784), np.float32), ValueError, "rank 2"),
        (np.zeros((28, 28), np.float32), ValueError, "single 28x28 image"),
        (np.zeros((8, 28, 28, 3), np.float32), ValueError, "1 grey channel"),
        (np.full((8, 28, 28, 1), 255.0, np.float32), ValueError, "Divide by 255"),
        (np.full((8, 28, 28, 1), -0.5, np.float32), ValueError, r"values in \[0, 1\]"),
        (np.full((8, 28, 28, 1), np.nan, np.float32), ValueError, "NaN"),
        (np.zeros((0, 28, 28, 1), np.float32), ValueError, "empty"),
        (None, TypeError, "None"),
        (np.array([["a"]]), TypeError, "numbers"),
    ],
)
def test_bad_images_everywhere(vae, images, error, message):
    for call in (
        lambda: training.train(vae, images, num_epochs=1, verbose=0),
        lambda: metrics.neg_elbo(vae, images),
        lambda: metrics.log_likelihood(vae, images),
        lambda: plotting.plot_reconstructions(vae, images),
    ):
        with pytest.raises(error, match=message):
            call()


def test_harmless_conversions_come_with_a_notice(vae, capsys):
    uint8 = np.zeros((4, 28, 28), np.uint8)
    assert np.isfinite(metrics.neg_elbo(vae, uint8))
    out = capsys.readouterr().out
    assert "no channel axis" in out and "dividing by 255" in out


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"num_epochs": 0}, ValueError, "num_epochs"),
        ({"num_epochs": 1.5}, TypeError, "num_epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"learning_rate": "0.001"}, TypeError, "learning_rate"),
        ({"learning_rate": True}, TypeError, "learning_rate"),
        ({"schedule": "cyclic"}, ValueError, "schedule"),
    ],
)
def test_bad_training_settings(vae, kwargs, error, message):
    with pytest.raises(error, match=message):
        training.train(vae, GOOD, verbose=0, **kwargs)


@pytest.mark.slow
def test_numpy_scalars_are_numbers_everywhere(x_small, capsys):
    """A rate read from a NumPy array (np.float32) is a number like any other."""
    vae = models.build_vae(seed=0, beta=np.float32(1.0))
    history = training.train(
        vae,
        x_small[:64],
        num_epochs=np.int64(1),
        batch_size=np.int32(32),
        seed=np.int64(0),
        learning_rate=np.float32(1e-3),
        schedule="constant",
        verbose=0,
    )
    assert len(history.epoch) == 1
    assert np.isclose(float(vae.optimizer.learning_rate.numpy()), 1e-3)
    binary = data.binarize(x_small[:4], threshold=np.float64(0.5))
    assert set(np.unique(binary)) <= {0.0, 1.0}
    grid = manifold_image(vae.decoder, n=np.int64(3), grid="linear", extent=np.float32(1.5))
    assert grid.shape == (84, 84)


def test_train_needs_a_compiled_vaelab_model():
    with pytest.raises(TypeError, match="vaelab model"):
        training.train(keras.Sequential(), GOOD)
    with pytest.raises(ValueError, match="not compiled"):
        training.train(models.build_vae(compile=False), GOOD)


def test_bad_latent_points_and_grids(vae):
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        decode(vae.decoder, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        decode(vae.decoder, [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        manifold_image(vae.decoder, n=-3)
    with pytest.raises(ValueError, match="steps"):
        interpolate(vae, GOOD[0], GOOD[1], steps=0)


def test_missing_corrupt_and_foreign_model_files(tmp_path, vae):
    with pytest.raises(FileNotFoundError, match="No saved model at"):
        models.load_vae(tmp_path / "nope.keras")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="could not be loaded as a Keras model"):
        models.load_vae(corrupt)
    other = tmp_path / "autoencoder.keras"
    models.build_autoencoder().save(other)
    with pytest.raises(ValueError, match="holds a Functional, not a vaelab VAE"):
        models.load_vae(other)
    weights = tmp_path / "vae.weights.h5"
    vae.save_weights(weights)
    with pytest.raises(ValueError, match="holds only weights"):
        models.load_vae(weights)
    with pytest.raises(ValueError, match="does not fit this model"):
        models.load_weights(models.build_vae(latent_dim=8, compile=False), weights)
    fresh = models.load_weights(models.build_vae(compile=False), weights)
    np.testing.assert_array_equal(fresh.decoder.get_weights()[0], vae.decoder.get_weights()[0])


@pytest.mark.slow
def test_nan_loss_stops_and_restores_the_last_good_epoch(x_small):
    keras.utils.set_random_seed(0)
    vae = models.build_vae(seed=0)
    saved = {}

    class Sabotage(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                saved["weights"] = [w.copy() for w in self.model.get_weights()]

        def on_train_batch_begin(self, batch, logs=None):
            if len(saved) and batch == 2:
                kernel = self.model.decoder.layers[-1].kernel
                kernel.assign(np.full(kernel.shape, np.nan, np.float32))

    history = training.train(
        vae, x_small, num_epochs=3, batch_size=32, callbacks=[Sabotage()], verbose=0
    )
    assert len(history.epoch) == 2  # stopped at the end of the second epoch (its loss is NaN)
    for restored, good in zip(vae.get_weights(), saved["weights"]):
        np.testing.assert_array_equal(restored, good)
    assert np.isfinite(metrics.neg_elbo(vae, x_small[:16]))


@pytest.mark.slow
def test_ctrl_c_stops_after_the_batch_and_a_second_one_at_once(x_small, capsys):
    """Ctrl-C is a SIGINT to the main thread; send it from a callback at a known step."""
    import signal

    class CtrlC(keras.callbacks.Callback):
        def __init__(self, times):
            super().__init__()
            self.times, self.steps = times, 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == 3:
                for _ in range(self.times):
                    os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    vae = models.build_vae(seed=0)
    once = CtrlC(1)
    history = training.train(vae, x_small, num_epochs=5, batch_size=32, callbacks=[once], verbose=0)
    assert (
        history.interrupted and once.steps == 3 and len(history.epoch) == 1
    )  # stopped after that batch
    assert "training interrupted in epoch 1 of 5" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
    twice = CtrlC(2)
    history = training.train(
        models.build_vae(seed=0), x_small, num_epochs=5, batch_size=32, callbacks=[twice], verbose=0
    )
    assert (
        history.interrupted and twice.steps == 3 and history.epoch == []
    )  # the second one: at once
    assert signal.getsignal(signal.SIGINT) is before
    history = training.train(vae, x_small, num_epochs=1, batch_size=32, verbose=0)
    assert not history.interrupted


@pytest.mark.slow
def test_ctrl_c_during_cli_training_leaves_nothing_or_a_loadable_model(tmp_path, mnist):
    (x_train, _), _ = mnist
    npz = tmp_path / "d.npz"
    np.savez(npz, x=x_train[:3000])
    out = tmp_path / "run"
    env = {**os.environ, "VAELAB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vaelab", "train", "--dataset", npz, "--epochs", "50", "--out", out],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    seen = ""
    while (
        "Epoch 2/" not in seen and time.monotonic() < deadline
    ):  # one epoch done, the next running
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    seen += rest
    assert "interrupted" in seen, seen[-2000:]
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert files in ([], ["history.json", "metrics.json", "vae.keras"]), files
    if files:
        assert models.load_vae(out / "vae.keras").latent_dim == 2


def test_offline_never_hangs_on_a_dead_network(monkeypatch, tmp_path):
    import socket

    monkeypatch.delenv("VAELAB_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def hang(*args, **kwargs):  # nothing for an hour, then a timeout
        time.sleep(3600)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    assert not data.network_available(timeout=1.0)
    assert time.perf_counter() - start < 2.0


RUN_TWICE = """
import keras
import hashlib, os
import numpy as np
from vaelab.data import load_mnist
from vaelab.models import build_vae
from vaelab.plotting import manifold_image
from vaelab.training import train
import keras
keras.utils.set_random_seed(3)
(x_train, _), _ = load_mnist(verbose=False)
vae = build_vae(seed=3)
train(vae, x_train[:512], num_epochs=1, seed=3, verbose=0)
print(hashlib.sha256(manifold_image(vae.decoder, n=15).tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_restart_and_run_all_twice_gives_the_same_manifold_within_the_memory_budget():
    from nbclient import NotebookClient

    digests = []
    for _ in range(2):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RUN_TWICE)])
        client = NotebookClient(notebook, timeout=300, kernel_name="python3")
        with client.setup_kernel():
            client.execute_cell(notebook.cells[0], 0)
            pid = client.km.provisioner.process.pid
            peak_kb = int(
                next(
                    line.split()[1]
                    for line in open(f"/proc/{pid}/status")
                    if line.startswith("VmHWM")
                )
            )
        assert peak_kb < 1.5 * 1024 * 1024, f"kernel peak RSS {peak_kb / 1024:.0f} MB"
        stderr = [o["text"] for o in notebook.cells[0].outputs if o.get("name") == "stderr"]
        assert not stderr, f"red log noise in the notebook: {stderr}"
        digests.append(notebook.cells[0].outputs[-1]["text"].strip())
    assert digests[0] == digests[1] and len(digests[0]) == 64
