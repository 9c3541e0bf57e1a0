"""Live widgets: move through the latent space and watch the decoded digit.

Introduced in notebook 02 (:class:`PosteriorExplorer`), 04 (:class:`LatentExplorer`) and 05
(:class:`InterpolationExplorer`, :class:`ConceptEditor`). Each is an ``ipywidgets.VBox`` with
its controls as attributes, so it composes with other widgets (``HBox([explorer, other])``).
Built once, updated in place: a slider move decodes one point with one compiled call
(:func:`vaelab.latent.decoder_function`), turns it into a 28×28 PNG with Pillow and assigns
the bytes to an ``ipywidgets.Image``; the browser enlarges it with crisp pixels. The
explorer's crosshair is a small SVG laid over the scatter, so a move never redraws the
matplotlib figure. Errors in a callback go to an ``Output`` widget under the controls. The
widgets decode with the model's current weights.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np

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
        value=0.0,
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


class LatentExplorer(widgets.VBox):
    """Sliders for z and the decoded digit; with an encoder and images, the latent scatter too.

    ``sliders`` move z, ``image`` shows the digit, ``set_z(z)`` moves every slider at once;
    clicking the scatter moves z₁, z₂ there. ``codes`` (with ``y``) draws the scatter from codes
    computed beforehand, without an encoder: the explorer app does so. Introduced in notebook 04.
    """

    def __init__(self, decoder, encoder=None, x=None, y=None, max_points: int = 2000, codes=None):
        super().__init__()
        if (x is None) != (encoder is None):
            raise ValueError(
                "Pass both encoder and x (and optionally y) to show the scatter, or neither."
            )
        if codes is not None and encoder is not None:
            raise ValueError("Pass codes or an encoder with images for the scatter, not both.")
        self.image = DigitImage(decoder)
        self.latent_dim = self.image.latent_dim
        self.output = widgets.Output()
        self.sliders = [
            _slider(_subscript(i), -SLIDER_RANGE, SLIDER_RANGE)
            for i in range(min(self.latent_dim, MAX_SLIDERS))
        ]
        self.z = np.zeros(self.latent_dim, dtype=np.float32)
        controls = [*self.sliders, self.image]
        if self.latent_dim > MAX_SLIDERS:
            hidden = self.latent_dim - MAX_SLIDERS
            controls.append(
                widgets.Label(f"showing a slice: z₁…z₈ move, the other {hidden} stay at 0")
            )
        self.figure = self.canvas = self.crosshair = None
        self._holding = False
        row = [widgets.VBox(controls)]
        if (encoder is not None or codes is not None) and self.latent_dim >= 2:
            max_points = positive_int(max_points, "max_points")
            if codes is None:
                codes = encode(encoder, as_images(x, "x")[:max_points])[0]
            row.append(self._scatter(as_latent(codes, self.latent_dim)[:max_points], y))
        for i, slider in enumerate(self.sliders):
            moved = _guarded(self.output, lambda change, i=i: self._moved(i, change["new"]))
            slider.observe(moved, names="value")
        self.children = [_style(), widgets.HBox(row, layout={"align_items": "center"}), self.output]
        self.image.show(self.z)

    def _scatter(self, z_mean, y):
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        count = len(z_mean)
        y = np.zeros(count, dtype=np.int64) if y is None else as_labels(y[:count], count, "y")
        self.figure = Figure(figsize=(4.4, 3.8), dpi=100, layout="constrained")
        self.canvas = Canvas(self.figure)
        FigureManager(self.canvas, 0)
        self.canvas.header_visible = self.canvas.toolbar_visible = False
        self.canvas.footer_visible = self.canvas.resizable = False
        ax = self.scatter_axes = self.figure.add_subplot()
        points = ax.scatter(
            z_mean[:, 0], z_mean[:, 1], c=y, cmap="tab10", s=4, alpha=0.7, vmin=-0.5, vmax=9.5
        )
        self.figure.colorbar(points, ax=ax, ticks=range(10))
        ax.set(
            xlabel="z₁",
            ylabel="z₂",
            xlim=(-SLIDER_RANGE, SLIDER_RANGE),
            ylim=(-SLIDER_RANGE, SLIDER_RANGE),
        )
        ax.set_title("click to move z", fontsize=10)
        # Fix the layout now: the axes keep their place as fractions of the figure, so the
        # crosshair layer only needs the figure's size on screen.
        self.figure.draw_without_rendering()
        self.figure.set_layout_engine("none")
        self.crosshair = widgets.HTML(layout=widgets.Layout(grid_area="stack"))
        self.crosshair.add_class("vaelab-overlay")
        self.canvas.layout.grid_area = "stack"
        self.canvas.mpl_connect("button_press_event", _guarded(self.output, self.on_click))
        # `resizable = False` hides ipympl's corner handle in JupyterLab, but Voilà shows it;
        # after a resize the crosshair layer takes the figure's new size.
        self.canvas.mpl_connect("resize_event", _guarded(self.output, self._fit_crosshair))
        self._fit_crosshair()
        return widgets.GridBox(
            [self.canvas, self.crosshair],
            layout=widgets.Layout(grid_template_areas='"stack"', align_items="flex-start"),
        )

    def _fit_crosshair(self, event=None) -> None:
        """Size the crosshair layer like the figure on screen (CSS pixels), then draw the cross."""
        size = (self.figure.bbox.size / self.canvas.device_pixel_ratio).round().astype(int)
        self._screen_size = (int(size[0]), int(size[1]))
        self.crosshair.layout.width, self.crosshair.layout.height = (f"{v}px" for v in size)
        self._draw_crosshair()

    def crosshair_pixels(self) -> tuple[float, float]:
        """Where the crosshair is: (z₁, z₂) in screen pixels from the figure's top-left corner."""
        z_on_screen = self.scatter_axes.transData.transform((float(self.z[0]), float(self.z[1])))
        fx, fy = self.figure.transFigure.inverted().transform(z_on_screen)
        width, height = self._screen_size
        return float(fx * width), float((1.0 - fy) * height)

    def _draw_crosshair(self) -> None:
        left, top = self.crosshair_pixels()
        width, height = self._screen_size
        arm = CROSSHAIR_ARM
        path = (
            f"M{left - arm:.1f} {top:.1f}H{left + arm:.1f}"
            f"M{left:.1f} {top - arm:.1f}V{top + arm:.1f}"
        )
        self.crosshair.value = (
            f'<svg width="{width}" height="{height}" style="display:block">'
            f'<path d="{path}" stroke="black" stroke-width="2.5"/></svg>'
        )

    def on_click(self, event) -> None:
        """Move z₁, z₂ to the clicked point of the scatter."""
        if event.inaxes is self.scatter_axes and event.xdata is not None:
            self._move_sliders([event.xdata, event.ydata])

    def _moved(self, index: int, value: float) -> None:
        self.z[index] = value
        if self._holding:  # several sliders are being set at once: redraw once, afterwards
            return
        self.image.show(self.z)
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
        self.image.show(self.z)
        if self.crosshair is not None:
            self._draw_crosshair()

    def set_z(self, z) -> None:
        """Move every slider to ``z`` (a point of the latent space)."""
        z = as_latent(z, self.latent_dim)[0]
        self.z[len(self.sliders) :] = z[len(self.sliders) :]
        self._move_sliders(z[: len(self.sliders)])


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
