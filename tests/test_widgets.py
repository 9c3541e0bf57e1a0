"""Widgets, headless: what each widget sends to the page, and the PNGs the kernel-side ones show.

The page's own decoding (pixels against Keras) is checked in Chromium: tests/test_browser.py.
"""

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
    PageDecoder,
    PosteriorExplorer,
    PosteriorSketch,
    digit_png,
    latent_limits,
    page_decoder,
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


@pytest.mark.slow
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


# ----- the explorer and the drawing pad: what they send to the page ---------------------------


def weights_of(page, entry):
    return np.frombuffer(page.weights, "<f4")[entry[0] : entry[0] + entry[1]]


def test_the_page_gets_the_decoders_layers_and_current_weights(pretrained):
    page = page_decoder(pretrained.decoder)
    kinds = [layer["type"] for layer in page.spec["layers"]]
    assert kinds == ["dense", "reshape", "conv2d_transpose", "conv2d"]
    dense, _, deconv, pixels = page.spec["layers"]
    keras_dense, keras_deconv, keras_pixels = (
        pretrained.decoder.get_layer(n) for n in ("dense", "deconv", "pixel_means")
    )
    np.testing.assert_array_equal(weights_of(page, dense["kernel"]), np.ravel(keras_dense.kernel))
    np.testing.assert_array_equal(weights_of(page, dense["bias"]), np.ravel(keras_dense.bias))
    # both kernels in (kh, kw, out, in): Conv2DTranspose's own layout, Conv2D's transposed
    np.testing.assert_array_equal(weights_of(page, deconv["kernel"]), np.ravel(keras_deconv.kernel))
    np.testing.assert_array_equal(
        weights_of(page, pixels["kernel"]),
        np.ravel(np.transpose(np.asarray(keras_pixels.kernel), (0, 1, 3, 2))),
    )
    assert deconv["strides"] == [2, 2] and deconv["padding"] == "same"
    assert [dense["activation"], deconv["activation"], pixels["activation"]] == [
        "relu",
        "relu",
        "sigmoid",
    ]
    assert len(page.weights) == 4 * pretrained.decoder.count_params() < 3_000_000


def test_the_explorer_decodes_in_the_page_and_python_knows_z(pretrained):
    explorer = LatentExplorer(pretrained.decoder)
    view = explorer.view
    assert view.notice == "" and explorer._decode is None and view.pixels == b""
    assert view.decoder_spec == page_decoder(pretrained.decoder).spec
    assert view.sliders == explorer.sliders  # the page reads the sliders' own models
    assert view.get_state()["sliders"] == [f"IPY_MODEL_{s.model_id}" for s in explorer.sliders]
    explorer.sliders[0].value = 1.25  # what a drag's end sends
    np.testing.assert_allclose(explorer.z, [1.25, 0.0])
    explorer.set_z([0.5, -0.75])
    assert [s.value for s in explorer.sliders] == [0.5, -0.75]
    np.testing.assert_allclose(explorer.z, [0.5, -0.75])


@pytest.mark.slow
def test_the_range_comes_from_the_codes(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test, y_test)
    codes = np.frombuffer(explorer.view.codes, "<f4").reshape(-1, 2)
    from vaelab.latent import encode

    np.testing.assert_allclose(codes, encode(pretrained.encoder, x_test[:2000])[0], atol=1e-6)
    np.testing.assert_array_equal(np.frombuffer(explorer.view.labels, np.uint8), y_test[:2000])
    low = [s.min for s in explorer.sliders]
    high = [s.max for s in explorer.sliders]
    assert explorer.view.limits == [low[0], high[0], low[1], high[1]]
    inside = np.all((codes >= low) & (codes <= high), axis=1)
    assert inside.mean() >= 0.995
    ones = codes[y_test[:2000] == 1]  # a fixed ±3 cut off a third of them
    assert np.all((ones >= low) & (ones <= high), axis=1).mean() >= 0.99
    lo, hi = latent_limits(codes)
    np.testing.assert_allclose([low, high], [lo, hi])
    assert all(s.min <= s.value == 0.0 <= s.max for s in explorer.sliders)


def test_codes_away_from_the_origin_start_z_where_the_sliders_are(pretrained):
    """A model whose codes all lie at z > 0: the sliders start at their minimum, and Python's z
    says so (it stayed at the origin, unlike the digit the page showed)."""
    codes = np.random.default_rng(0).uniform(1.0, 2.0, size=(300, 2)).astype("float32")
    explorer = LatentExplorer(pretrained.decoder, codes=codes)
    shown = [s.value for s in explorer.sliders]
    assert all(value > 0 for value in shown)
    np.testing.assert_allclose(explorer.z, shown, atol=1e-6)
    np.testing.assert_allclose(explorer.view.z, shown, atol=1e-6)


def test_a_decoder_the_page_cannot_run_is_decoded_in_the_kernel(pretrained):
    import keras

    z = keras.Input((2,))
    h = keras.layers.Dense(7 * 7 * 8, activation="relu")(z)
    h = keras.layers.Reshape((7, 7, 8))(h)
    h = keras.layers.UpSampling2D(4)(h)
    decoder = keras.Model(z, keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h))
    explorer = LatentExplorer(decoder)
    assert (
        "cannot run this decoder" in explorer.view.notice and "UpSampling2D" in explorer.view.notice
    )
    assert "\n" not in explorer.view.notice and explorer.view.decoder_spec == {}
    explorer.sliders[1].value = 0.6
    shown = np.frombuffer(explorer.view.pixels, np.uint8).reshape(28, 28).astype(np.int16)
    assert np.abs(shown - expected(decoder, [0.0, 0.6])).max() <= 1
    explorer._decode = "not a decoder"  # a broken decoder: the next move reports, not crashes
    explorer.sliders[0].value = 0.5
    assert "TypeError" in str(explorer.output.outputs)


@pytest.mark.parametrize("latent_dim, sliders", [(5, 5), (12, 8)])
def test_larger_latent_spaces_get_one_slider_per_dimension(latent_dim, sliders):
    from vaelab.models import build_vae

    explorer = LatentExplorer(build_vae(latent_dim=latent_dim).decoder)
    assert len(explorer.sliders) == sliders == len(explorer.view.sliders)
    assert explorer.view.decoder_spec["latent_dim"] == latent_dim and explorer.view.notice == ""
    point = np.linspace(-1, 1, latent_dim)
    explorer.set_z(point)
    np.testing.assert_allclose(explorer.view.z, point, atol=1e-6)  # the hidden dims too
    np.testing.assert_allclose([s.value for s in explorer.sliders], point[:sliders], atol=1e-6)


def test_the_explorer_app_decoder_is_the_pretrained_one(pretrained):
    from vaelab.app import load_page_decoder

    shipped = load_page_decoder("mnist")
    assert isinstance(shipped, PageDecoder)
    fresh = page_decoder(pretrained.decoder)
    assert shipped.spec == fresh.spec and shipped.weights == fresh.weights


def test_widgets_compose_like_any_ipywidget(pretrained, mnist):
    (x_train, _), (x_test, y_test) = mnist
    explorer = LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:100], y_test[:100])
    path = InterpolationExplorer(pretrained, x_train[0], x_train[1])
    editor = ConceptEditor(pretrained, x_test[:100], y_test[:100])
    for widget in (explorer, path, editor):
        assert isinstance(widget, widgets.VBox)
    row = widgets.HBox([explorer, widgets.Label("beside it"), editor])
    assert row.children[0] is explorer and explorer.view in explorer.children
    explorer.sliders[0].value = 0.8  # still live inside the row
    np.testing.assert_allclose(explorer.z, [0.8, 0.0])


def test_explorer_input_errors(pretrained, mnist):
    (_, _), (x_test, y_test) = mnist
    codes = np.zeros((5, 2), "float32")
    with pytest.raises(ValueError, match="not both"):
        LatentExplorer(pretrained.decoder, pretrained.encoder, x_test[:5], codes=codes)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        LatentExplorer(pretrained.decoder, codes=np.zeros((5, 3)))


def draw(sketch, image):
    """What the page sends at a stroke's end: 28×28 grey levels as bytes (memoryview)."""
    grey = (np.asarray(image)[..., 0] * 255 + 0.5).astype(np.uint8)
    sketch.view.set_state({"drawing": memoryview(grey.tobytes())})
    return grey


def test_a_drawing_is_encoded_and_its_posterior_sent_to_the_page(pretrained, mnist):
    from vaelab.latent import encode

    (_, _), (x_test, y_test) = mnist
    sketch = PosteriorSketch(pretrained, x_test[:300], y_test[:300], num_samples=6)
    assert sketch.view.kind == "sketch" and sketch.view.notice == ""
    assert sketch.view.posterior == {} and sketch.view.samples == []
    grey = draw(sketch, x_test[7])
    x = grey.reshape(1, 28, 28, 1).astype(np.float32) / 255
    np.testing.assert_array_equal(sketch.x, x)  # exactly the page's pixels
    z_mean, z_log_var = encode(pretrained.encoder, x)
    np.testing.assert_allclose(sketch.view.posterior["mean"], z_mean[0], atol=1e-6)
    np.testing.assert_allclose(sketch.view.posterior["log_var"], z_log_var[0], atol=1e-6)
    np.testing.assert_allclose(sketch.view.z, z_mean[0], atol=1e-6)  # the page decodes the mean
    samples = np.asarray(sketch.view.samples)
    assert samples.shape == (6, 2)
    spread = (samples - z_mean[0]) / np.exp(0.5 * z_log_var[0])  # the ε drawn
    assert np.all(np.abs(spread) < 5) and np.std(spread) > 0.1
    sketch.resample.click()
    assert not np.allclose(sketch.view.samples, samples)
    np.testing.assert_allclose(sketch.view.posterior["mean"], z_mean[0], atol=1e-6)
    draw(sketch, x_test[8])
    assert not np.allclose(sketch.view.posterior["mean"], z_mean[0])
    sketch.view.set_state({"drawing": memoryview(b"")})  # "clear"
    assert sketch.view.posterior == {} and sketch.z_mean is None
    sketch.view.set_state({"drawing": memoryview(b"\x00" * 100)})
    assert "784" in str(sketch.output.outputs)


def test_the_sketch_needs_two_dimensions():
    from vaelab.models import build_vae

    with pytest.raises(ValueError, match="2-D"):
        PosteriorSketch(build_vae(latent_dim=3))


def test_a_moves_latency_ends_at_the_paint_of_its_own_z():
    """The browser probe's arithmetic (tests/test_browser.py): a paint of an older decode that
    lands after a move does not end that move's wait; pages that number no decodes fall back to
    the first paint after the move."""
    from test_browser import move_latencies

    moves, asked = [0.0, 10.0, 20.0], [0, 1, 2]  # decodes asked before each move
    paints = [(5.0, 1), (12.0, 1), (26.0, 3)]  # decode 1 lands again after the second move
    assert move_latencies(moves, asked, paints) == [5.0, 16.0, 6.0]
    assert move_latencies(moves, [None] * 3, paints) == [5.0, 2.0, 6.0]
    assert move_latencies([30.0], [3], paints) == []  # never painted: not counted as fast


def test_the_pages_webassembly_is_the_compiled_committed_source():
    """latent.js carries js/wasm/forward.wasm as base64, built from today's forward.ts, compiler
    options and compiler version (tools/build_wasm.py writes both and their sha256): changing
    any of them without rebuilding fails here."""
    import base64
    import re
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "tools"))
    try:
        import build_wasm
    finally:
        sys.path.remove(str(root / "tools"))
    text = (root / "vaelab" / "static" / "latent.js").read_text()
    found = re.search(r'const FORWARD_WASM = "([A-Za-z0-9+/=]+)";  // build sha256: (\w+)', text)
    assert found, "latent.js has no embedded forward.wasm: run python tools/build_wasm.py"
    binary = base64.b64decode(found.group(1))
    assert binary[:4] == b"\0asm"
    assert binary == (root / "js" / "wasm" / "forward.wasm").read_bytes()
    assert found.group(2) == build_wasm.build_digest(), "run python tools/build_wasm.py"
