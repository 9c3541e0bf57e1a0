"""The vaelab command, end to end in a subprocess, as a user runs it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# As a user runs it: no TF_CPP_MIN_LOG_LEVEL, so vaelab's filter of TensorFlow's start-up lines
# is on (a level the user sets turns it off), and the one-line errors below are the whole stderr.
ENV = {**os.environ, "VAELAB_OFFLINE": "1"}
ENV.pop("TF_CPP_MIN_LOG_LEVEL", None)


def vaelab(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "vaelab", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory, mnist):
    (x_train, y_train), _ = mnist
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, x=(x_train[:1000, ..., 0] * 255).round().astype(np.uint8), y=y_train[:1000])
    return path


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, small_npz):
    out = tmp_path_factory.mktemp("run")
    result = vaelab(
        "train", "--dataset", small_npz, "--epochs", 1, "--batch-size", 16, "--quiet", "--out", out
    )
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.mark.slow
def test_train_writes_model_history_and_metrics(trained_run):
    out, result = trained_run
    assert {"vae.keras", "history.json", "metrics.json"} <= {p.name for p in out.iterdir()}
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert metrics["epochs_completed"] == 1 and len(history["loss"]) == 1
    assert 100 < metrics["neg_elbo"] < 300  # untrained: ~540; one epoch of 50 steps: ~220
    assert metrics["neg_elbo"] == pytest.approx(
        metrics["reconstruction_loss"] + metrics["kl_loss"], rel=1e-5
    )
    assert "held-out negative ELBO" in result.stdout
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


@pytest.mark.slow
def test_evaluate_and_manifold(trained_run, small_npz, tmp_path):
    out, _ = trained_run
    result = vaelab("evaluate", out / "vae.keras", "--dataset", small_npz)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"{metrics['neg_elbo']:.2f}" in result.stdout  # same held-out split, same seed
    png = tmp_path / "grid.png"
    result = vaelab("manifold", out / "vae.keras", "--out", png, "--n", 15)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) >= 500


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--epochs", "0"], "must be a positive integer"),
        (["train", "--latent-dim", "two"], "not a number"),
        (["train", "--beta", "-1"], ">= 0, got -1.0"),
        (["train", "--dataset", "cifar"], "unknown dataset"),
        (["train", "--dataset", "missing.npz"], "No npz file at"),
        (["evaluate", "nowhere.keras"], "No saved model at"),
        (["evaluate", "mnsit"], "neither a pretrained model"),
        (["manifold", "m.keras"], "--out"),
        (["fly"], "invalid choice"),
        ([], "required"),
    ],
)
@pytest.mark.slow
def test_bad_arguments_give_one_line_and_exit_2(args, message):
    result = vaelab(*args, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("vaelab: error:") and message in lines[0], (
        result.stderr
    )


@pytest.mark.slow
def test_evaluate_rejects_a_non_keras_file(tmp_path):
    bogus = tmp_path / "model.keras"
    bogus.write_bytes(b"this is not a zip archive")
    result = vaelab("evaluate", bogus)
    assert result.returncode == 2 and "could not be loaded as a Keras model" in result.stderr
    assert "Traceback" not in result.stderr
