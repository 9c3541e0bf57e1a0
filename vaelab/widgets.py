"""Live widgets: move through the latent space and watch the decoded digit.

Introduced in notebook 02b (:class:`PosteriorExplorer`, :class:`PosteriorSketch`), 04
(:class:`LatentExplorer`) and 05 (:class:`InterpolationExplorer`, :class:`ConceptEditor`). Each
is an ``ipywidgets.VBox`` with its controls as attributes, so it composes with other widgets
(``HBox([explorer, other])``).

The explorer and the drawing pad decode in the page: :func:`page_decoder` sends the decoder's
layers and weights (~225 KB for the course's models) to an anywidget whose ES module
(``vaelab/static/latent.js``) runs the same forward pass in WebAssembly with SIMD (under 1 ms
a digit; plain JavaScript, ~5–10 ms, where a browser lacks SIMD) and paints the digit, so a
dragged slider never waits for the kernel (the kernel's reply to each move had held the page at
~28 paints a second). A decoder the page cannot run falls back to the kernel with a
one-line notice. The other widgets decode in the kernel with one compiled call
(:func:`vaelab.latent.decoder_function`), turn the digit into a 28×28 PNG with Pillow and assign
it to an ``ipywidgets.Image``; the browser enlarges it with crisp pixels. Errors in a callback
go to an ``Output`` widget under the controls. The widgets use the model's weights as they are
when the widget is made (the kernel-side ones: its current weights).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets

from vaelab._checks import as_images, as_labels, as_latent, positive_int
from vaelab.latent import (
    concept_vectors,
    decoder_function,
    encode,
    encode_means,
    image_pair,
    latent_dim_of,
)

#: Each 28-pixel digit is shown at 28 × PIXEL_SCALE screen pixels, nearest neighbour (crisp).
PIXEL_SCALE = 6
#: Sliders span ±SLIDER_RANGE prior standard deviations.
SLIDER_RANGE = 3.0
#: Above this many latent dimensions the explorer shows a slice (the first MAX_SLIDERS dims).
MAX_SLIDERS = 8
#: Half the width of the crosshair's arms, in screen pixels.
CROSSHAIR_ARM = 11

#: CSS the widgets bring along: enlarged digits keep square pixels; the crosshair layer lets
#: clicks through to the scatter beneath it.
_STYLE = (
    "<style>.vaelab-pixels{image-rendering:crisp-edges;image-rendering:pixelated}"
    ".vaelab-overlay{pointer-events:none}</style>"
)


def digit_png(image) -> bytes:
    """PNG bytes (8-bit grey) of one image in [0, 1], of shape 28×28 or 28×28×1."""
    from PIL import Image

    grey = np.asarray(image, dtype=np.float32)
    grey = grey[..., 0] if grey.ndim == 3 else grey
    if grey.ndim != 2:
        raise ValueError(f"digit_png needs one 2-D image, got shape {grey.shape}.")
    pixels = (np.clip(grey, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class DigitImage(widgets.Image):
    """A 28×28 digit shown at ``size`` screen pixels with crisp pixels; ``show(z)`` decodes z."""

    def __init__(self, decoder=None, size: int = 28 * PIXEL_SCALE, **kwargs):
        layout = widgets.Layout(width=f"{size}px", height=f"{size}px")
        super().__init__(format="png", width=size, height=size, layout=layout, **kwargs)
        self.add_class("vaelab-pixels")
        if decoder is not None:
            self.latent_dim = latent_dim_of(decoder)
            self.run = decoder_function(decoder)

    def show(self, z) -> None:
        batch = np.asarray(z, dtype=np.float32).reshape(1, self.latent_dim)
        self.value = digit_png(self.run(batch)[0])


def _style():
    """An invisible widget carrying the CSS above."""
    return widgets.HTML(_STYLE, layout=widgets.Layout(display="none"))


def _guarded(output, function):
    """Run ``function`` from a widget callback; show any error in ``output``."""

    def handler(*args):
        try:
            function(*args)
        except Exception as error:  # shown to the learner, not swallowed
            output.outputs = ()
            output.append_stdout(f"vaelab: {type(error).__name__}: {error}\n")

    return handler


def _slider(description: str, low: float, high: float, step: float = 0.01):
    return widgets.FloatSlider(
        value=float(np.clip(0.0, low, high)),
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=True,
        readout_format=".2f",
        layout=widgets.Layout(width="320px"),
    )


def _subscript(index: int) -> str:
    return f"z{chr(0x2081 + index)}" if index < 9 else f"z_{index + 1}"


# ----- the decoder in the page ------------------------------------------------------------------

#: The page-side module of the explorer and the drawing pad (an anywidget ES module).
STATIC = Path(__file__).resolve().parent / "static"
#: Layer types the page's forward pass runs; any other decoder is decoded in the kernel.
PAGE_LAYERS = ("Dense", "Reshape", "Flatten", "Conv2D", "Conv2DTranspose", "Activation")
PAGE_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")


@dataclass
class PageDecoder:
    """A decoder as the page runs it: a chain of layers (``spec``) and their float32 weights.

    Made from a Keras decoder by :func:`page_decoder`, or read from a file without Keras (the
    explorer app: :func:`vaelab.app.load_page_decoder`). ``latent_dim`` makes it a decoder to
    the widgets.
    """

    spec: dict
    weights: bytes

    @property
    def latent_dim(self) -> int:
        return int(self.spec["latent_dim"])


def _activation(layer) -> str:
    name = layer.get_config().get("activation", "linear")
    if name not in PAGE_ACTIVATIONS:
        raise ValueError(f"{layer.name} uses the activation {name!r}")
    return name


def page_decoder(decoder) -> PageDecoder:
    """Describe a Keras decoder for the page's forward pass (``vaelab/static/latent.js``).

    The decoder must be one chain of Dense, Reshape, Flatten, Conv2D, Conv2DTranspose and
    Activation layers (channels last, no dilation, groups or output padding) ending in a 28×28×1
    image: the course's decoders are. Otherwise a ``ValueError`` says which layer is not, and the
    widgets decode in the kernel. The weights are the model's current ones (call it again after
    training). Kernels are sent as (kh, kw, out, in) for both convolution kinds.
    """
    if isinstance(decoder, PageDecoder):
        return decoder
    import keras

    if not isinstance(decoder, keras.Model):
        raise ValueError(f"{type(decoder).__name__} is not a Keras model")
    if len(decoder.inputs) != 1 or len(decoder.outputs) != 1:
        raise ValueError("the decoder has several inputs or outputs")
    if tuple(decoder.outputs[0].shape[1:]) != (28, 28, 1):
        raise ValueError(f"the decoder's output has shape {decoder.outputs[0].shape[1:]}")
    numpy = keras.ops.convert_to_numpy
    previous, layers, parts, offset = decoder.inputs[0], [], [], 0

    def add(array, layout=None) -> list[int]:
        nonlocal offset
        array = np.asarray(array, np.float32)
        flat = np.ascontiguousarray(array if layout is None else array.transpose(layout)).ravel()
        parts.append(flat)
        offset += flat.size
        return [offset - flat.size, flat.size]

    for layer in decoder.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        kind = type(layer).__name__
        try:
            chained = layer.input is previous
        except (AttributeError, ValueError):  # a layer called more than once
            chained = False
        if not chained:
            raise ValueError(f"the decoder is not one chain of layers (at {layer.name})")
        previous = layer.output
        if kind not in PAGE_LAYERS:
            raise ValueError(f"{layer.name} is a {kind}")
        config = layer.get_config()
        if kind == "Reshape":
            layers.append({"type": "reshape", "shape": list(layer.output.shape[1:])})
        elif kind == "Flatten":
            layers.append({"type": "flatten"})
        elif kind == "Activation":
            layers.append({"type": "activation", "activation": _activation(layer)})
        elif kind == "Dense":
            entry = {"type": "dense", "units": layer.units, "activation": _activation(layer)}
            entry["kernel"] = add(numpy(layer.kernel))
            entry["bias"] = add(numpy(layer.bias)) if layer.use_bias else None
            layers.append(entry)
        else:
            plain = (
                config.get("data_format", "channels_last") == "channels_last"
                and tuple(config.get("dilation_rate", (1, 1))) == (1, 1)
                and config.get("groups", 1) == 1
                and config.get("output_padding") is None
            )
            if not plain:
                raise ValueError(f"{layer.name} uses dilation, groups, output padding or NCHW")
            transpose = kind == "Conv2DTranspose"
            entry = {
                "type": "conv2d_transpose" if transpose else "conv2d",
                "filters": layer.filters,
                "kernel_size": list(layer.kernel_size),
                "strides": list(layer.strides),
                "padding": layer.padding,
                "activation": _activation(layer),
                # Sent as (kh, kw, out, in): Conv2DTranspose's own layout, Conv2D's transposed.
                "kernel": add(numpy(layer.kernel), None if transpose else (0, 1, 3, 2)),
                "bias": add(numpy(layer.bias)) if layer.use_bias else None,
            }
            layers.append(entry)
    if previous is not decoder.outputs[0]:
        raise ValueError("the decoder's output is not the end of its chain of layers")
    spec = {"latent_dim": latent_dim_of(decoder), "layers": layers}
    return PageDecoder(spec, np.concatenate(parts).astype("<f4").tobytes())


def _bytes_from_page(value, widget):
    """Binary traits come from the page as memoryview (a live kernel): keep them as bytes."""
    return bytes(value) if value is not None else b""


class LatentView(anywidget.AnyWidget):
    """The part of the explorer (``kind="explorer"``) or of :class:`PosteriorSketch` in the page.

    It draws the digit with the page's decoder (``decoder_spec`` and ``decoder_weights``), or
    the kernel's ``pixels`` when the spec is empty, and the scatter of ``codes`` and ``labels``
    within ``limits`` (z₁ from, to, z₂ from, to) on a canvas. The explorer's ``sliders`` drive it
    in the page; ``z`` holds the dimensions beyond the sliders.
    """

    _esm = STATIC / "latent.js"
    kind = traitlets.Unicode("explorer").tag(sync=True)
    decoder_spec = traitlets.Dict().tag(sync=True)
    decoder_weights = traitlets.Bytes(b"").tag(sync=True)
    sliders = traitlets.List(traitlets.Instance(widgets.FloatSlider)).tag(
        sync=True, **widgets.widget_serialization
    )
    z = traitlets.List(traitlets.Float()).tag(sync=True)
    pixels = traitlets.Bytes(b"").tag(sync=True)
    codes = traitlets.Bytes(b"").tag(sync=True)
    labels = traitlets.Bytes(b"").tag(sync=True)
    limits = traitlets.List(traitlets.Float()).tag(sync=True)
    scale = traitlets.Int(PIXEL_SCALE).tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    # PosteriorSketch: the 28×28 drawing (grey levels 0-255) and what the kernel made of it.
    drawing = traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_page)
    posterior = traitlets.Dict().tag(sync=True)
    samples = traitlets.List().tag(sync=True)
    magnify = traitlets.Float(1.0).tag(sync=True)

    def use_decoder(self, decoder):
        """Send ``decoder`` to the page; where the page cannot run it, return a kernel decoder.

        Returns None when the page decodes, else the function the kernel decodes with (and
        ``notice`` says so in one line).
        """
        try:
            page = page_decoder(decoder)
        except ValueError as reason:
            self.decoder_spec, self.decoder_weights = {}, b""
            self.notice = (
                f"vaelab: the page cannot run this decoder ({reason}): the kernel decodes."
            )
            return decoder_function(decoder)
        self.decoder_spec, self.decoder_weights, self.notice = page.spec, page.weights, ""
        return None

    def show_scatter(self, codes, y, limits) -> None:
        count = len(codes)
        y = np.zeros(count, dtype=np.int64) if y is None else as_labels(y[:count], count, "y")
        self.codes = np.ascontiguousarray(codes[:, :2], dtype="<f4").tobytes()
        self.labels = (np.asarray(y) % 10).astype(np.uint8).tobytes()
        self.limits = [float(v) for v in limits]


def latent_limits(codes, low: float = 0.005, high: float = 0.995, pad: float = 0.1):
    """Slider and scatter limits per dimension from the codes: their 0.5%–99.5% quantiles,
    widened by ``pad`` of that width on each side (a fixed ±3 left out a third of the 1s)."""
    codes = np.asarray(codes, dtype=np.float64)
    lo, hi = np.quantile(codes, [low, high], axis=0)
    width = np.maximum(hi - lo, 1e-3)
    return np.round(lo - pad * width, 2), np.round(hi + pad * width, 2)


class LatentExplorer(widgets.VBox):
    """Sliders for z and the decoded digit; with an encoder and images, the latent scatter too.

    The digit is decoded in the page (:func:`page_decoder`), so it follows a drag at the
    browser's frame rate even while the kernel is busy or gone; the sliders tell the kernel
    where they ended when the pointer is released. ``sliders`` move z (``z`` is where they
    are), ``set_z(z)`` moves every slider at once; clicking or dragging on the scatter moves z₁,
    z₂ there. ``codes`` (with ``y``) draws the scatter from codes computed beforehand, without an
    encoder: the explorer app does so. The sliders span the codes' 0.5%–99.5% quantiles
    (:func:`latent_limits`), or ±SLIDER_RANGE without codes. A decoder the page cannot run is
    decoded in the kernel, with a one-line notice. Introduced in notebook 04.
    """

    def __init__(self, decoder, encoder=None, x=None, y=None, max_points: int = 2000, codes=None):
        super().__init__()
        if (x is None) != (encoder is None):
            raise ValueError(
                "Pass both encoder and x (and optionally y) to show the scatter, or neither."
            )
        if codes is not None and encoder is not None:
            raise ValueError("Pass codes or an encoder with images for the scatter, not both.")
        self.latent_dim = (
            decoder.latent_dim if isinstance(decoder, PageDecoder) else latent_dim_of(decoder)
        )
        max_points = positive_int(max_points, "max_points")
        if codes is None and encoder is not None:
            codes = encode(encoder, as_images(x, "x")[:max_points])[0]
        shown = None if codes is None else as_latent(codes, self.latent_dim)[:max_points]
        if shown is None:
            low = np.full(self.latent_dim, -SLIDER_RANGE)
            high = np.full(self.latent_dim, SLIDER_RANGE)
        else:
            low, high = latent_limits(shown)
        # The origin, or its nearest point in range when the codes lie away from it.
        self.z = np.clip(0.0, low, high).astype(np.float32)
        self.sliders = [
            _slider(_subscript(i), float(low[i]), float(high[i]))
            for i in range(min(self.latent_dim, MAX_SLIDERS))
        ]
        self.output = widgets.Output()
        self.view = LatentView(kind="explorer", sliders=self.sliders, z=self.z.tolist())
        self._decode = self.view.use_decoder(decoder)
        self.limits = (low, high)
        if shown is not None and self.latent_dim >= 2:
            self.view.show_scatter(shown, y, [low[0], high[0], low[1], high[1]])
        controls = list(self.sliders)
        if self.latent_dim > MAX_SLIDERS:
            hidden = self.latent_dim - MAX_SLIDERS
            controls.append(
                widgets.Label(f"showing a slice: z₁…z₈ move, the other {hidden} stay as set")
            )
        self._holding = False
        for i, slider in enumerate(self.sliders):
            moved = _guarded(self.output, lambda change, i=i: self._moved(i, change["new"]))
            slider.observe(moved, names="value")
        self.children = [widgets.VBox(controls), self.view, self.output]
        self._draw()

    def _draw(self) -> None:
        """The kernel's part of a move: nothing when the page decodes, else decode and send."""
        if self._decode is not None:
            batch = self.z.reshape(1, self.latent_dim).astype(np.float32)
            image = np.asarray(self._decode(batch))[0, ..., 0]
            self.view.pixels = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8).tobytes()

    def _moved(self, index: int, value: float) -> None:
        self.z[index] = value
        if not self._holding:  # several sliders are being set at once: draw once, afterwards
            self._draw()

    def set_z(self, z) -> None:
        """Move every slider to ``z`` (a point of the latent space), then draw once."""
        z = as_latent(z, self.latent_dim)[0]
        self.z[len(self.sliders) :] = z[len(self.sliders) :]
        self._holding = True
        try:
            self.view.z = [float(v) for v in z]  # the page reads dims past the sliders here
            for slider, value in zip(self.sliders, z):
                slider.value = float(np.clip(value, slider.min, slider.max))
        finally:
            self._holding = False
        self._draw()


class PosteriorSketch(widgets.VBox):
    """Draw a digit: when a stroke ends, the kernel encodes it and the scatter shows q(z|x).

    The page averages the 280×280 drawing into 28×28 grey levels (``drawing``, what MNIST
    digits are) and sends them; the kernel runs :func:`vaelab.latent.encode` on exactly those
    pixels, and the page draws q(z|x)'s 1σ and 2σ ellipses and ``num_samples`` samples
    z = μ + σ·ε, their spread magnified ``magnify`` times (σ is a few hundredths: unmagnified
    the ellipse would be a dot), and the decoded mean beside the drawing. "resample ε" draws new
    ε. ``x`` (the image), ``z_mean`` and ``z_log_var`` hold the last drawing's encoding. Only for
    a 2-D latent space. Introduced in notebook 02b (Evaluating the VAE).
    """

    def __init__(
        self,
        vae,
        x=None,
        y=None,
        max_points: int = 2000,
        num_samples: int = 8,
        magnify: float = 10.0,
        seed: int = 0,
    ):
        super().__init__()
        if latent_dim_of(vae.decoder) != 2:
            raise ValueError("PosteriorSketch draws a 2-D latent space; use latent_dim=2.")
        self.vae, self.encoder = vae, vae.encoder
        self.num_samples = positive_int(num_samples, "num_samples")
        self.rng = np.random.default_rng(seed)
        self.output = widgets.Output()
        self.view = LatentView(kind="sketch", z=[0.0, 0.0], magnify=float(magnify))
        self._decode = self.view.use_decoder(vae.decoder)
        if x is not None:
            codes = encode(
                self.encoder, as_images(x, "x")[: positive_int(max_points, "max_points")]
            )[0]
            low, high = latent_limits(codes)
        else:
            codes, low, high = np.zeros((0, 2)), np.full(2, -3.0), np.full(2, 3.0)
        self.view.show_scatter(codes, y, [low[0], high[0], low[1], high[1]])
        self.x = self.z_mean = self.z_log_var = None
        self.resample = widgets.Button(description="resample ε")
        self.resample.on_click(_guarded(self.output, lambda button: self.draw_samples()))
        self.view.observe(_guarded(self.output, lambda change: self.encode_drawing()), "drawing")
        self.children = [self.view, self.resample, self.output]

    def encode_drawing(self) -> None:
        """Encode the page's 28×28 drawing (an empty one clears the posterior)."""
        pixels = np.frombuffer(self.view.drawing, dtype=np.uint8)
        if pixels.size == 0:
            self.x = self.z_mean = self.z_log_var = None
            self.view.posterior, self.view.samples = {}, []
            return
        if pixels.size != 784:
            raise ValueError(f"the drawing has {pixels.size} pixels, not 28×28 = 784.")
        self.x = (pixels.astype(np.float32) / 255.0).reshape(1, 28, 28, 1)
        z_mean, z_log_var = encode(self.encoder, self.x)
        self.z_mean, self.z_log_var = z_mean[0], z_log_var[0]
        with self.view.hold_sync():
            self.view.z = [float(v) for v in self.z_mean]
            self.draw_samples()
            self.view.posterior = {
                "mean": [float(v) for v in self.z_mean],
                "log_var": [float(v) for v in self.z_log_var],
            }
        if self._decode is not None:
            image = np.asarray(self._decode(self.z_mean[None].astype(np.float32)))[0, ..., 0]
            self.view.pixels = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8).tobytes()

    def draw_samples(self) -> None:
        """New ε: z = μ + σ·ε for ``num_samples`` draws of ε ~ N(0, I)."""
        if self.z_mean is None:
            return
        epsilon = self.rng.standard_normal((self.num_samples, 2))
        self.samples = self.z_mean + np.exp(0.5 * self.z_log_var) * epsilon
        self.view.samples = self.samples.tolist()


def _labelled(label: str, image) -> widgets.VBox:
    return widgets.VBox([widgets.Label(label), image])


class InterpolationExplorer(widgets.VBox):
    """A slider ``t`` from 0 to 1 along the straight line between the codes of two images.

    Introduced in notebook 05.
    """

    def __init__(self, model, x_a, x_b):
        super().__init__()
        pair = image_pair(x_a, x_b)
        self.codes = encode_means(model, pair)
        self.image = DigitImage(model.decoder)
        self.output = widgets.Output()
        self.slider = _slider("t", 0.0, 1.0)
        ends = [DigitImage(size=84, value=digit_png(image)) for image in pair]
        self.slider.observe(
            _guarded(self.output, lambda change: self.show(change["new"])), names="value"
        )
        row = widgets.HBox(
            [_labelled("from", ends[0]), self.image, _labelled("to", ends[1])],
            layout={"align_items": "center"},
        )
        self.children = [_style(), row, self.slider, self.output]
        self.show(0.0)

    def point(self, t: float) -> np.ndarray:
        return (1.0 - t) * self.codes[0] + t * self.codes[1]

    def show(self, t: float) -> None:
        self.image.show(self.point(t))


class ConceptEditor(widgets.VBox):
    """Pick a test image and a concept, slide α: the image's code moves by α × the concept.

    The concepts are :func:`vaelab.latent.concept_vectors` of ``x``, ``y``. Notebook 05.
    """

    def __init__(self, model, x, y, max_images: int = 200):
        super().__init__()
        self.x = as_images(x, "x")
        self.y = as_labels(y, len(self.x), "y")
        self.concepts = concept_vectors(model, self.x, self.y)
        self.codes = encode_means(model, self.x[: positive_int(max_images, "max_images")])
        self.image = DigitImage(model.decoder)
        self.output = widgets.Output()
        self.picker = widgets.IntSlider(
            value=0, min=0, max=len(self.codes) - 1, description="image", layout={"width": "320px"}
        )
        labels = sorted(self.concepts)
        self.concept = widgets.Dropdown(
            options=[(f"{c}-ness", c) for c in labels], value=labels[0], description="concept"
        )
        self.alpha = _slider("α", -3.0, 3.0, step=0.05)
        self.original = DigitImage(size=84)
        for control in (self.picker, self.concept, self.alpha):
            control.observe(_guarded(self.output, lambda change: self.update()), names="value")
        row = widgets.HBox(
            [_labelled("original", self.original), self.image], layout={"align_items": "center"}
        )
        self.children = [_style(), row, self.picker, self.concept, self.alpha, self.output]
        self.update()

    def edited_code(self) -> np.ndarray:
        return self.codes[self.picker.value] + self.alpha.value * self.concepts[self.concept.value]

    def update(self) -> None:
        self.original.value = digit_png(self.x[self.picker.value])
        self.image.show(self.edited_code())


class PosteriorExplorer(widgets.VBox):
    """Pick a test image: the true posterior p(z|x) beside the encoder's q(z|x), and the gap.

    The decoder is evaluated once on :class:`vaelab.metrics.PriorGrid` (or pass ``prior_grid``);
    each pick then costs one matrix product and q's small grid. Only for a 2-D latent space.
    Notebook 02.
    """

    def __init__(self, vae, x, y=None, max_images: int = 500, prior_grid=None):
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        from vaelab.metrics import PriorGrid

        super().__init__()
        self.vae = vae
        self.x = as_images(x, "x")[: positive_int(max_images, "max_images")]
        self.y = None if y is None else as_labels(y[: len(self.x)], len(self.x), "y")
        if latent_dim_of(vae.decoder) != 2:
            raise ValueError("PosteriorExplorer draws a 2-D latent space; use latent_dim=2.")
        self.grid = PriorGrid(vae.decoder) if prior_grid is None else prior_grid
        self.output = widgets.Output()
        self.picker = widgets.IntSlider(
            value=0,
            min=0,
            max=len(self.x) - 1,
            description="image",
            continuous_update=False,
            layout={"width": "320px"},
        )
        self.original = DigitImage(size=112)
        self.caption = widgets.HTML()
        self.figure = Figure(figsize=(5.2, 4.2), dpi=100, layout="constrained")
        self.canvas = Canvas(self.figure)
        FigureManager(self.canvas, 0)
        self.canvas.header_visible = self.canvas.toolbar_visible = False
        self.canvas.footer_visible = self.canvas.resizable = False
        self.picker.observe(_guarded(self.output, lambda change: self.update()), names="value")
        left = widgets.VBox([self.original, self.caption], layout={"width": "190px"})
        self.children = [
            _style(),
            self.picker,
            widgets.HBox([left, self.canvas], layout={"align_items": "center"}),
            self.output,
        ]
        self.update()

    def update(self) -> None:
        from vaelab.metrics import posterior_map
        from vaelab.plotting import plot_posterior

        index = self.picker.value
        self.result = posterior_map(self.vae, self.x[index], prior_grid=self.grid)
        self.original.value = digit_png(self.x[index])
        label = "" if self.y is None else f"a {self.y[index]}: "
        r = self.result
        self.caption.value = (
            f"<b>{label}</b>log p(x) = {r['log_px']:.1f}<br>ELBO = {r['elbo']:.1f}<br>"
            f"gap = KL(q ‖ p(z|x)) = <b>{r['gap']:.1f}</b> nats"
        )
        self.figure.clear()
        ax = self.figure.add_subplot()
        plot_posterior(r, ax=ax)
        ax.set_title("p(z | x) (colour) and q(z | x) (cyan: 1σ, 2σ)", fontsize=9)
        self.canvas.draw_idle()
