"""Widgets, headless: the PNG shown is what the decoder gives for z (checked against Keras)."""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import io  # noqa: E402

import ipywidgets as widgets  # noqa: E402
from PIL import Image  # noqa: E402

from vaelab.latent import concept_vectors  # noqa: E402
from vaelab.widgets import (  # noqa: E402
    PIXEL_SCALE,
    ConceptEditor,
    InterpolationExplorer,
    LatentExplorer,
    PosteriorExplorer,
    digit_png,
)


def png_to_array(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "L"
        return np.asarray(image)


def shown(image_widget):
    """The digit a widget shows: a 28×28 PNG that the browser enlarges with crisp pixels."""
    assert "vaelab-pixels" in image_widget._dom_classes
    assert image_widget.layout.width == f"{28 * PIXEL_SCALE}px"
    pixels = png_to_array(image_widget.value)
    assert pixels.shape == (28, 28)
    return pixels.astype(np.int16)


def expected(decoder, z):
    """What Keras itself decodes (the model's own eager call), as grey levels."""
    images = np.asarray(decoder(np.atleast_2d(np.asarray(z, dtype="float32")), training=False))
    return (np.clip(images[0, ..., 0], 0, 1) * 255 + 0.5).astype(np.int16)


def assert_same_digit(image_widget, decoder, z):
    # Equal up to one grey level: compiled and eager calls may round float32 sums differently.
    assert np.abs(shown(image_widget) - expected(decoder, z)).max() <= 1


def test_slider_redraws_the_decoded_digit(pretrained):
    explorer = LatentExplorer(pretrained.decoder)
    before = explorer.image.value
    explorer.sliders[0].value = 1.25
    explorer.sliders[1].value = -0.5
    assert explorer.image.value != before
    assert_same_digit(explorer.image, pretrained.decoder, [1.25, -0.5])
    first = explorer.image.value
    explorer.sliders[0].value = 0.0
    explorer.sliders[0].value = 1.25
    assert explorer.image.value == first  # same z, same bytes


def test_scatter_click_moves_the_sliders_and_crosshair(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:500], y_test[:500])
    assert explorer.scatter_axes.collections[0].get_offsets().shape == (500, 2)
    explorer.on_click(SimpleNamespace(inaxes=explorer.scatter_axes, xdata=0.7, ydata=-1.1))
    assert explorer.sliders[0].value == pytest.approx(0.7) and explorer.sliders[
        1
    ].value == pytest.approx(-1.1)
    # The crosshair (an SVG over the scatter) sits where matplotlib draws z = (0.7, -1.1).
    left, top = explorer.crosshair_pixels()
    width, height = explorer.figure.get_size_inches() * explorer.figure.dpi
    fx, fy = explorer.figure.transFigure.inverted().transform(
        explorer.scatter_axes.transData.transform((0.7, -1.1))
    )
    assert (left, top) == pytest.approx((fx * width, (1 - fy) * height))
    assert 0 < left < width and 0 < top < height
    assert f"M{left - 11:.1f} {top:.1f}" in explorer.crosshair.value
    assert explorer.crosshair.layout.width == f"{round(width)}px"
    assert "vaelab-overlay" in explorer.crosshair._dom_classes
    assert_same_digit(explorer.image, pretrained.decoder, [0.7, -1.1])
    explorer.on_click(SimpleNamespace(inaxes=None, xdata=None, ydata=None))  # outside: ignored
    assert explorer.sliders[0].value == pytest.approx(0.7)


@pytest.mark.parametrize("pixel_ratio", [1, 2])
def test_crosshair_follows_a_resized_figure(pretrained, mnist, pixel_ratio):
    """Voilà shows ipympl's corner handle although the canvas is not resizable: after a resize
    the crosshair layer takes the figure's new size on screen, and the cross stays on z."""
    (_, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:200], y_test[:200])
    explorer.set_z([0.7, -1.1])
    # The messages ipympl's front end sends (sizes in CSS pixels), as on a HiDPI screen for ratio 2.
    explorer.canvas._handle_message(
        explorer.canvas, {"type": "set_device_pixel_ratio", "device_pixel_ratio": pixel_ratio}, []
    )
    explorer.canvas._handle_message(
        explorer.canvas, {"type": "resize", "width": 520, "height": 450}, []
    )
    assert (explorer.crosshair.layout.width, explorer.crosshair.layout.height) == ("520px", "450px")
    fx, fy = explorer.figure.transFigure.inverted().transform(
        explorer.scatter_axes.transData.transform((0.7, -1.1))
    )
    left, top = explorer.crosshair_pixels()
    assert (left, top) == pytest.approx((fx * 520, (1 - fy) * 450))
    assert f"M{left - 11:.1f} {top:.1f}" in explorer.crosshair.value
    assert '<svg width="520" height="450"' in explorer.crosshair.value
    assert explorer.output.outputs == ()  # no error from the resize handler


def test_larger_latent_spaces_get_one_slider_per_dimension():
    from vaelab.models import build_vae

    vae = build_vae(latent_dim=5)
    explorer = LatentExplorer(vae.decoder)
    assert len(explorer.sliders) == 5
    explorer.sliders[4].value = 2.0
    assert_same_digit(explorer.image, vae.decoder, [0, 0, 0, 0, 2.0])
    big = LatentExplorer(build_vae(latent_dim=12).decoder)
    assert len(big.sliders) == 8


def test_errors_in_callbacks_go_to_the_output_widget(pretrained):
    explorer = LatentExplorer(pretrained.decoder)
    explorer.image.run = None  # break the decoder: the next move must report, not crash
    explorer.sliders[0].value = 0.5
    assert "TypeError" in str(explorer.output.outputs)


def test_interpolation_ends_are_the_two_codes(pretrained, mnist):
    (x_train, _), _ = mnist
    widget = InterpolationExplorer(pretrained, x_train[0], x_train[1])
    codes = pretrained.encoder(x_train[:2])[0]
    assert_same_digit(widget.image, pretrained.decoder, np.asarray(codes[0]))
    widget.slider.value = 1.0
    assert_same_digit(widget.image, pretrained.decoder, np.asarray(codes[1]))


def test_concept_editor_at_alpha_zero_shows_the_reconstruction(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    editor = ConceptEditor(pretrained, x_test[:400], y_test[:400])
    editor.picker.value = 3
    code = np.asarray(pretrained.encoder(x_test[3:4])[0])[0]
    assert_same_digit(editor.image, pretrained.decoder, code)
    editor.concept.value = 4
    editor.alpha.value = 1.5
    vectors = concept_vectors(pretrained, x_test[:400], y_test[:400])
    np.testing.assert_allclose(editor.edited_code(), code + 1.5 * vectors[4], atol=1e-5)
    assert_same_digit(editor.image, pretrained.decoder, code + 1.5 * vectors[4])


def test_widgets_compose_like_any_ipywidget(pretrained, mnist):
    (x_train, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:100], y_test[:100])
    path = InterpolationExplorer(pretrained, x_train[0], x_train[1])
    editor = ConceptEditor(pretrained, x_test[:100], y_test[:100])
    for widget in (explorer, path, editor):
        assert isinstance(widget, widgets.VBox)
    row = widgets.HBox([explorer, widgets.Label("beside it"), editor])
    assert (
        row.children[0] is explorer and explorer.image in explorer.children[1].children[0].children
    )
    explorer.sliders[0].value = 0.8  # still live inside the row
    assert_same_digit(explorer.image, pretrained.decoder, [0.8, 0.0])


def test_digit_png_is_the_image_in_grey_levels():
    image = np.linspace(0, 1, 784, dtype="float32").reshape(28, 28, 1)
    pixels = png_to_array(digit_png(image))
    np.testing.assert_array_equal(pixels, (image[..., 0] * 255 + 0.5).astype(np.uint8))
    with pytest.raises(ValueError, match="one 2-D image"):
        digit_png(np.zeros((2, 28, 28, 1)))


def test_widget_functions_reject_bad_input(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    with pytest.raises(TypeError, match="decoder model"):
        LatentExplorer("decoder")
    with pytest.raises(ValueError, match="both encoder and x"):
        LatentExplorer(pretrained.decoder, encoder=pretrained.encoder)
    explorer = LatentExplorer(pretrained.decoder)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        explorer.set_z([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="28x28"):
        InterpolationExplorer(pretrained, np.zeros((32, 32, 1)), np.zeros((32, 32, 1)))


def test_setting_several_sliders_decodes_once(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:200], y_test[:200])
    calls = []
    run = explorer.image.run
    explorer.image.run = lambda batch: calls.append(batch.copy()) or run(batch)
    explorer.set_z([1.0, -1.0])
    assert len(calls) == 1
    assert_same_digit(explorer.image, pretrained.decoder, [1.0, -1.0])
    explorer.on_click(SimpleNamespace(inaxes=explorer.scatter_axes, xdata=-0.4, ydata=0.6))
    assert len(calls) == 2
    np.testing.assert_allclose(calls[-1], [[-0.4, 0.6]], atol=1e-6)
    assert f"M{explorer.crosshair_pixels()[0] - 11:.1f}" in explorer.crosshair.value


def test_posterior_explorer_follows_the_picked_digit(pretrained, mnist):
    from vaelab.metrics import log_likelihood

    (_, _), (x_test, y_test) = mnist
    explorer = PosteriorExplorer(pretrained, x_test[:20], y_test[:20])
    assert isinstance(explorer, widgets.VBox)
    first = explorer.result
    explorer.picker.value = 5
    assert explorer.result["log_px"] != first["log_px"]
    assert f"a {y_test[5]}:" in explorer.caption.value and "gap" in explorer.caption.value
    np.testing.assert_array_equal(
        png_to_array(explorer.original.value), np.round(x_test[5, ..., 0] * 255)
    )
    # the figures agree with the library's own log p(x)
    assert explorer.result["log_px"] == pytest.approx(
        log_likelihood(pretrained, x_test[5:6]), abs=1e-6
    )
    assert explorer.output.outputs == ()


def test_posterior_explorer_needs_two_dimensions():
    from vaelab.models import build_vae

    with pytest.raises(ValueError, match="2-D"):
        PosteriorExplorer(build_vae(latent_dim=3), np.zeros((2, 28, 28, 1), "float32"))


def test_the_explorer_draws_codes_computed_beforehand(pretrained, mnist):
    from vaelab.latent import encode

    (_, _), (x_test, y_test) = mnist
    codes = encode(pretrained.encoder, x_test[:100])[0]
    explorer = LatentExplorer(pretrained.decoder, codes=codes, y=y_test[:100])
    offsets = explorer.scatter_axes.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, codes)
    with pytest.raises(ValueError, match="not both"):
        LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:5], codes=codes)
