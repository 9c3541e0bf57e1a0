"""The figures that notebook prose quotes for the pretrained model, recomputed from its weights.

Notebook 04 (*Exploring the latent space*) states how the pretrained model's codes sit in the
prior: 63% of the held-out codes inside the 5–95% box (81% of the prior), 33% outside the 2σ
circle (14% of the prior), E[μ² + σ²] about 1.7 per dimension on the training and the test
digits. Prose cannot be re-run by nbval, so this test recomputes each figure from the bundled
weights and digits and checks that the notebook quotes the same rounded value.
"""

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_04 = ROOT / "notebooks" / "source" / "04_exploring_the_latent_space.py"


@pytest.fixture(scope="module")
def codes():
    from vaelab import load_vae
    from vaelab.data import load_bundled_mnist
    from vaelab.latent import encode

    (x_train, _), (x_test, _) = load_bundled_mnist()
    encoder = load_vae("mnist").encoder
    return {name: encode(encoder, x) for name, x in (("train", x_train), ("test", x_test))}


def prose() -> str:
    return " ".join(line.lstrip("# ").strip() for line in NOTEBOOK_04.read_text().splitlines())


def test_the_share_of_test_codes_in_the_box_and_outside_the_circle(codes):
    z_mean, _ = codes["test"]
    in_box = np.mean(np.all(np.abs(z_mean) < 1.6448536, axis=1))
    outside = np.mean(np.linalg.norm(z_mean, axis=1) > 2)
    assert round(100 * in_box) == 63 and round(100 * outside) == 33, (in_box, outside)
    text = prose()
    assert "63% of the test codes lie in the box that holds 81% of the prior" in text
    assert "33% lie outside the 2σ circle, which holds 14% of the prior" in text
    assert round(100 * np.exp(-2)) == 14 and round(100 * 0.9**2) == 81


@pytest.mark.parametrize("split", ["train", "test"])
def test_the_second_moment_of_the_codes(codes, split):
    z_mean, z_log_var = codes[split]
    second_moment = np.mean(z_mean**2 + np.exp(z_log_var), axis=0)
    assert np.all(np.abs(second_moment - 1.7) < 0.15), second_moment
    assert round(float(second_moment.mean()), 1) == 1.7
    assert "E[μ² + σ²] is about 1.7 per dimension (the same on the training digits" in prose()
