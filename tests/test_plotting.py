"""Figures: right content, one batched decode, on the pretrained and an untrained model."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import norm  # noqa: E402

from vaelab import plotting  # noqa: E402
from vaelab.latent import decode, encode_means, interpolate, manifold_image  # noqa: E402
from vaelab.models import build_autoencoder, build_vae  # noqa: E402


@pytest.fixture(scope="module", params=["pretrained", "untrained"])
def model(request):
    if request.param == "pretrained":
        return request.getfixturevalue("pretrained")
    return build_vae(seed=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_manifold_image_is_one_batched_decode_in_the_right_layout(model):
    image = manifold_image(model.decoder, n=15)
    assert image.shape == (15 * 28, 15 * 28)
    values = norm.ppf(np.linspace(0.05, 0.95, 15))
    # top-left tile is z = (lowest z1, highest z2); bottom-right is (highest z1, lowest z2)
    top_left = decode(model.decoder, [[values[0], values[-1]]])[0, ..., 0]
    bottom_right = decode(model.decoder, [[values[-1], values[0]]])[0, ..., 0]
    np.testing.assert_allclose(image[:28, :28], top_left, atol=1e-5)
    np.testing.assert_allclose(image[-28:, -28:], bottom_right, atol=1e-5)
    linear = manifold_image(model.decoder, n=4, grid="linear", extent=1.0)
    assert linear.shape == (112, 112)


def test_manifold_rejects_bad_grids(model):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        manifold_image(model.decoder, n=0)
    with pytest.raises(ValueError, match="grid must be"):
        manifold_image(model.decoder, grid="log")
    with pytest.raises(ValueError, match="extent only applies"):
        manifold_image(model.decoder, extent=3)


def test_plot_latent_manifold_labels_the_axes(model):
    ax = plotting.plot_latent_manifold(model.decoder, n=15)
    assert ax.get_xlabel() == "z₁" and ax.get_ylabel() == "z₂"
    assert ax.images[0].get_array().shape == (420, 420)


def test_scatter_has_one_point_per_image_and_ellipses(model, mnist):
    (_, _), (x_test, y_test) = mnist
    ax = plotting.plot_latent_scatter(model.encoder, x_test[:300], y_test[:300], num_ellipses=5)
    assert ax.collections[0].get_offsets().shape == (300, 2)
    assert len(ax.patches) == 5


def test_reconstructions_prior_samples_interpolation_history(model, mnist):
    (x_train, _), _ = mnist
    fig = plotting.plot_reconstructions(model, x_train, n=6)
    assert len(fig.axes) == 12
    fig = plotting.plot_prior_samples(model.decoder, n=10)
    assert sum(1 for ax in fig.axes if ax.images) == 10
    fig = plotting.plot_interpolation(model, x_train[0], x_train[1], steps=7)
    assert len(fig.axes) == 7
    path = interpolate(model, x_train[0], x_train[1], steps=5)
    ends = decode(model.decoder, encode_means(model, x_train[:2]))
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-5)
    left, right = plotting.plot_history(
        {"loss": [200.0, 180.0], "val_loss": [190.0, 185.0], "kl_loss": [3, 4]}
    )
    # the KL (a few nats) has its own axis, not the reconstruction's (≈ 150)
    assert len(left.lines) == 2 and len(right.lines) == 1
    assert right.get_ylim()[1] < 10 and "BCE nats" in left.get_ylabel()


def test_plain_autoencoder_reconstructions(mnist):
    (x_train, _), _ = mnist
    fig = plotting.plot_reconstructions(build_autoencoder(), x_train, n=4)
    assert len(fig.axes) == 8


def test_plot_history_ticks_whole_epochs():
    logs = {"loss": [210.0, 168.0, 163.0, 161.0], "kl_loss": [6.5, 4.8, 5.0, 5.1]}
    for ax in plotting.plot_history(logs):
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 4]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_plot_history_needs_a_history():
    with pytest.raises(ValueError, match="History"):
        plotting.plot_history([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_history({"loss": []})


def test_interpolation_takes_single_images_in_any_layout(pretrained, mnist):
    (x_train, _), _ = mnist
    flat = interpolate(pretrained, x_train[0, ..., 0], x_train[1, ..., 0], steps=3)
    batched = interpolate(pretrained, x_train[:1], x_train[1:2], steps=3)
    np.testing.assert_array_equal(flat, batched)


@pytest.mark.slow
def test_prior_overlay_and_posterior_figure(pretrained, mnist):
    from vaelab.metrics import posterior_map

    (_, _), (x_test, y_test) = mnist
    ax = plotting.plot_latent_scatter(
        pretrained.encoder, x_test[:300], y_test[:300], show_prior=True
    )
    labels = [patch.get_label() for patch in ax.patches]
    assert labels == ["prior 1σ (39%)", "prior 2σ (86%)", "5–95% box (81%)"]
    result = posterior_map(pretrained, x_test[0])
    ax = plotting.plot_posterior(result)
    assert len(ax.images) == 1 and len(ax.patches) == 2
    low, high = ax.get_xlim()
    assert low < result["z_mean"][0] < high and high - low < 5  # zoomed on the posterior
    assert "gap" in ax.get_title()
