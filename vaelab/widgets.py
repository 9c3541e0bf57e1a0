"""Live widgets: move through the latent space and watch the decoded digit.

Introduced in notebook 04 (``latent_explorer``) and 05 (``interpolation_explorer``,
``concept_editor``). Each widget is built once and updated in place: a slider move decodes
one point in NumPy (:func:`vaelab.decoding.decoder_function`, about 0.3 ms, no ``predict``),
turns it into a 28×28 PNG and assigns the bytes to an ``ipywidgets.Image``; the browser
enlarges it with crisp pixels. The explorer's crosshair is a small SVG laid over the scatter,
so a move never redraws the matplotlib figure. Errors go to an ``Output`` widget under the
controls instead of vanishing in a callback. The widgets decode with the weights the model has
when they are built: build them again after more training.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from vaelab._checks import as_images, as_labels, as_latent, positive_int
from vaelab.decoding import decoder_function, encode
from vaelab.plotting import encode_means, image_pair

#: Each 28-pixel digit is shown at 28 × PIXEL_SCALE screen pixels, nearest neighbour (crisp).
PIXEL_SCALE = 6
#: Sliders span ±SLIDER_RANGE prior standard deviations.
SLIDER_RANGE = 3.0
#: Above this many latent dimensions the explorer shows a 2-D slice (first two dims).
MAX_SLIDERS = 8
#: Half the width of the crosshair's arms, in screen pixels.
CROSSHAIR_ARM = 11

#: CSS the widgets bring along: enlarged digits keep square pixels; the crosshair layer lets
#: clicks through to the scatter beneath it.
_STYLE = ("<style>.vaelab-pixels{image-rendering:crisp-edges;image-rendering:pixelated}"
          ".vaelab-overlay{pointer-events:none}</style>")


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def digit_png(image, scale: int = 1) -> bytes:
    """PNG bytes of one grey image in [0, 1] (28×28 or 28×28×1), optionally enlarged ``scale``×.

    Written directly (8-bit greyscale, one zlib stream): about 15 µs for 28×28. The widgets send
    the 28×28 image and let the browser enlarge it (CSS ``image-rendering: pixelated``).
    """
    grey = np.asarray(image, dtype=np.float32)
    if grey.ndim == 3:
        grey = grey[..., 0]
    if grey.ndim != 2:
        raise ValueError(f"digit_png needs one 2-D image, got shape {grey.shape}.")
    pixels = (np.clip(grey, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    scale = positive_int(scale, "scale")
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    height, width = pixels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # each row starts with filter type 0
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def png_to_array(data: bytes) -> np.ndarray:
    """Decode PNG bytes back to a uint8 array (for tests and checks)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def _style_widget():
    """An invisible widget carrying the CSS above (shown once per widget tree)."""
    import ipywidgets as widgets

    return widgets.HTML(_STYLE, layout=widgets.Layout(display="none"))


def _pixel_image(size: int, value: bytes = b""):
    """An ``ipywidgets.Image`` that shows a 28×28 PNG at ``size`` screen pixels, crisp."""
    import ipywidgets as widgets

    image = widgets.Image(value=value, format="png", width=size, height=size,
                          layout=widgets.Layout(width=f"{size}px", height=f"{size}px"))
    image.add_class("vaelab-pixels")
    return image


class _DigitView:
    """An ``ipywidgets.Image`` that shows decoded latent points, updated in place."""

    def __init__(self, decoder, scale: int = PIXEL_SCALE):
        self.decoder = decoder
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.run = decoder_function(decoder)
        self.image = _pixel_image(28 * scale)

    def show(self, z) -> None:
        batch = np.asarray(z, dtype=np.float32).reshape(1, self.latent_dim)
        self.image.value = digit_png(self.run(batch)[0])


def _guarded(output, function):
    """Run ``function`` from a widget callback; show any error in ``output``."""

    def handler(*args):
        try:
            function(*args)
        except Exception as error:  # shown to the learner, not swallowed
            output.outputs = ()
            output.append_stdout(f"vaelab: {type(error).__name__}: {error}\n")

    return handler


def _latent_slider(index: int, value: float = 0.0, description: str | None = None):
    import ipywidgets as widgets

    return widgets.FloatSlider(
        value=float(value), min=-SLIDER_RANGE, max=SLIDER_RANGE, step=0.01,
        description=description or f"z{chr(0x2081 + index) if index < 9 else '_' + str(index + 1)}",
        continuous_update=True, readout_format=".2f", layout=widgets.Layout(width="320px"),
    )


class _Displayed:
    """Displaying the object displays its ``.widget`` (the last line of a cell is enough)."""

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class LatentExplorer(_Displayed):
    """Sliders for z, the decoded digit, and (with data) the latent scatter with a crosshair.

    Built by :func:`latent_explorer`; ``.widget`` is what the notebook displays,
    ``.sliders`` the z sliders, ``.image`` the digit, ``.set_z(z)`` moves them.
    """

    def __init__(self, decoder, encoder=None, x=None, y=None, max_points: int = 2000):
        import ipywidgets as widgets

        self.view = _DigitView(decoder)
        self.latent_dim = self.view.latent_dim
        self.image = self.view.image
        self.output = widgets.Output()
        shown = min(self.latent_dim, MAX_SLIDERS)
        self.sliders = [_latent_slider(i) for i in range(shown)]
        self.z = np.zeros(self.latent_dim, dtype=np.float32)
        note = ""
        if self.latent_dim > MAX_SLIDERS:
            note = f"showing a slice: z₁…z₈ move, the other {self.latent_dim - MAX_SLIDERS} stay at 0"
        self.figure = self.canvas = self.crosshair = None
        self._holding = False
        children = [widgets.VBox([*self.sliders, self.image, widgets.Label(note)] if note else
                                 [*self.sliders, self.image])]
        if encoder is not None and x is not None and self.latent_dim >= 2:
            children.append(self._scatter(encoder, x, y, max_points))
        self.widget = widgets.VBox([_style_widget(),
                                    widgets.HBox(children, layout=widgets.Layout(align_items="center")),
                                    self.output])
        for i, slider in enumerate(self.sliders):
            slider.observe(_guarded(self.output, lambda change, i=i: self._moved(i, change["new"])),
                           names="value")
        self.view.show(self.z)

    def _scatter(self, encoder, x, y, max_points):
        import ipywidgets as widgets
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        x = as_images(x, "x")
        y = np.zeros(len(x), dtype=np.int64) if y is None else as_labels(y, len(x), "y")
        x, y = x[:max_points], y[:max_points]
        z_mean, _ = encode(encoder, x)
        self.figure = Figure(figsize=(4.4, 3.8), dpi=100, layout="constrained")
        self.canvas = Canvas(self.figure)
        FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.toolbar_visible = False
        self.canvas.footer_visible = False
        self.canvas.resizable = False
        ax = self.figure.add_subplot()
        points = ax.scatter(z_mean[:, 0], z_mean[:, 1], c=y, cmap="tab10", s=4, alpha=0.7, vmin=-0.5, vmax=9.5)
        self.figure.colorbar(points, ax=ax, ticks=range(10))
        ax.set_xlabel("z₁")
        ax.set_ylabel("z₂")
        ax.set_title("click to move z", fontsize=10)
        ax.set_xlim(-SLIDER_RANGE, SLIDER_RANGE)
        ax.set_ylim(-SLIDER_RANGE, SLIDER_RANGE)
        self.scatter_axes = ax
        # Fix the layout now: axes keep their place as fractions of the figure, so the crosshair
        # layer only needs the figure's size on screen.
        self.figure.draw_without_rendering()
        self.figure.set_layout_engine("none")
        self.crosshair = widgets.HTML(layout=widgets.Layout(grid_area="stack"))
        self.crosshair.add_class("vaelab-overlay")
        self.canvas.layout.grid_area = "stack"
        self.canvas.mpl_connect("button_press_event", _guarded(self.output, self.on_click))
        # `resizable = False` hides ipympl's corner handle in JupyterLab, but Voilà still shows
        # it; after a resize the crosshair layer takes the figure's new size.
        self.canvas.mpl_connect("resize_event", _guarded(self.output, self._fit_crosshair))
        self._fit_crosshair()
        return widgets.GridBox([self.canvas, self.crosshair],
                               layout=widgets.Layout(grid_template_areas='"stack"', align_items="flex-start"))

    def _fit_crosshair(self, event=None) -> None:
        """Size the crosshair layer like the figure on screen (CSS pixels), then draw the cross."""
        width, height = (self.figure.bbox.size / self.canvas.device_pixel_ratio).round().astype(int)
        self._screen_size = (int(width), int(height))
        self.crosshair.layout.width, self.crosshair.layout.height = f"{width}px", f"{height}px"
        self._draw_crosshair()

    def crosshair_pixels(self) -> tuple[float, float]:
        """Where the crosshair is: (z₁, z₂) in screen pixels from the figure's top-left corner."""
        fx, fy = self.figure.transFigure.inverted().transform(
            self.scatter_axes.transData.transform((float(self.z[0]), float(self.z[1]))))
        width, height = self._screen_size
        return float(fx * width), float((1.0 - fy) * height)

    def _draw_crosshair(self) -> None:
        left, top = self.crosshair_pixels()
        width, height = self._screen_size
        arm = CROSSHAIR_ARM
        self.crosshair.value = (
            f'<svg width="{width}" height="{height}" style="display:block">'
            f'<path d="M{left - arm:.1f} {top:.1f}H{left + arm:.1f}M{left:.1f} {top - arm:.1f}V{top + arm:.1f}" '
            'stroke="black" stroke-width="2.5"/></svg>')

    def on_click(self, event) -> None:
        """Move z₁, z₂ to the clicked point of the scatter."""
        if event.inaxes is not self.scatter_axes or event.xdata is None:
            return
        self._move_sliders([event.xdata, event.ydata])

    def _moved(self, index: int, value: float) -> None:
        self.z[index] = value
        if self._holding:  # several sliders are being set at once: redraw once, afterwards
            return
        self.view.show(self.z)
        if self.crosshair is not None and index < 2:
            self._draw_crosshair()

    def _move_sliders(self, values) -> None:
        """Set the first len(values) sliders, then decode and draw once (not once per slider)."""
        self._holding = True
        try:
            for slider, value in zip(self.sliders, values):
                slider.value = float(np.clip(value, -SLIDER_RANGE, SLIDER_RANGE))
        finally:
            self._holding = False
        self.view.show(self.z)
        if self.crosshair is not None:
            self._draw_crosshair()

    def set_z(self, z) -> None:
        """Move every slider to ``z`` (a point of the latent space)."""
        z = as_latent(z, self.latent_dim)[0]
        self.z[len(self.sliders):] = z[len(self.sliders):]
        self._move_sliders(z[:len(self.sliders)])


def latent_explorer(decoder, encoder=None, x=None, y=None, max_points: int = 2000) -> LatentExplorer:
    """Sliders → decoded digit, live; with ``encoder``, ``x``, ``y`` the scatter too. Notebook 04.

    Returns a :class:`LatentExplorer`; display it (last line of a cell) to use it.
    """
    import keras

    if not isinstance(decoder, keras.Model):
        raise TypeError(f"latent_explorer needs a decoder model (e.g. vae.decoder), got {type(decoder).__name__}.")
    if (x is None) != (encoder is None):
        raise ValueError("Pass both encoder and x (and optionally y) to show the scatter, or neither.")
    return LatentExplorer(decoder, encoder, x, y, max_points=positive_int(max_points, "max_points"))


class InterpolationExplorer(_Displayed):
    """A slider t ∈ [0, 1] along the straight line between the codes of two images."""

    def __init__(self, model, x_a, x_b):
        import ipywidgets as widgets

        pair = image_pair(x_a, x_b)
        self.codes = encode_means(model, pair)
        self.view = _DigitView(model.decoder)
        self.image = self.view.image
        self.output = widgets.Output()
        self.slider = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="t",
                                          continuous_update=True, layout=widgets.Layout(width="320px"))
        ends = [_pixel_image(84, digit_png(image)) for image in pair]
        self.slider.observe(_guarded(self.output, lambda change: self.show(change["new"])), names="value")
        self.widget = widgets.VBox([
            _style_widget(),
            widgets.HBox([widgets.VBox([widgets.Label("from"), ends[0]]), self.image,
                          widgets.VBox([widgets.Label("to"), ends[1]])],
                         layout=widgets.Layout(align_items="center")),
            self.slider, self.output])
        self.show(0.0)

    def point(self, t: float) -> np.ndarray:
        return (1.0 - t) * self.codes[0] + t * self.codes[1]

    def show(self, t: float) -> None:
        self.view.show(self.point(t))



def interpolation_explorer(model, x_a, x_b) -> InterpolationExplorer:
    """Slide t from 0 to 1 to walk from the code of ``x_a`` to that of ``x_b``; notebook 05."""
    return InterpolationExplorer(model, x_a, x_b)


def concept_vectors(model, x, y) -> dict:
    """For each label c: mean code of the images labelled c minus the mean code of all; notebook 05."""
    x = as_images(x, "x")
    y = as_labels(y, len(x), "y")
    codes = encode_means(model, x)
    overall = codes.mean(axis=0)
    return {int(label): codes[y == label].mean(axis=0) - overall for label in np.unique(y)}


class ConceptEditor(_Displayed):
    """Pick a test image and a concept, slide α: the image's code moves by α × concept."""

    def __init__(self, model, x, y, max_images: int = 200):
        import ipywidgets as widgets

        self.x = as_images(x, "x")
        self.y = as_labels(y, len(self.x), "y")
        self.concepts = concept_vectors(model, self.x, self.y)
        self.codes = encode_means(model, self.x[:max_images])
        self.view = _DigitView(model.decoder)
        self.image = self.view.image
        self.output = widgets.Output()
        self.picker = widgets.IntSlider(value=0, min=0, max=len(self.codes) - 1, description="image",
                                        layout=widgets.Layout(width="320px"))
        labels = sorted(self.concepts)
        self.concept = widgets.Dropdown(options=[(f"{c}-ness", c) for c in labels], value=labels[0],
                                        description="concept")
        self.alpha = widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.05, description="α",
                                         continuous_update=True, layout=widgets.Layout(width="320px"))
        self.original = _pixel_image(84)
        for control in (self.picker, self.concept, self.alpha):
            control.observe(_guarded(self.output, lambda change: self.update()), names="value")
        self.widget = widgets.VBox([
            _style_widget(),
            widgets.HBox([widgets.VBox([widgets.Label("original"), self.original]), self.image],
                         layout=widgets.Layout(align_items="center")),
            self.picker, self.concept, self.alpha, self.output])
        self.update()

    def edited_code(self) -> np.ndarray:
        return self.codes[self.picker.value] + self.alpha.value * self.concepts[self.concept.value]

    def update(self) -> None:
        self.original.value = digit_png(self.x[self.picker.value])
        self.view.show(self.edited_code())



def concept_editor(model, x, y, max_images: int = 200) -> ConceptEditor:
    """Edit a test image along a class-mean concept vector with a slider; notebook 05."""
    return ConceptEditor(model, x, y, max_images=positive_int(max_images, "max_images"))
