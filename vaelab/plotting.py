"""Figures for every idea of the course (matplotlib, no global state).

Figures only: the numbers they draw come from :mod:`vaelab.latent`. Every function returns the
figure or axes it drew on; those that take ``ax=None`` draw into a given axes or make their own.
``plot_reconstructions`` is introduced in notebook 01, ``plot_history``,
``live_history_plot`` in 02, ``plot_posterior`` in 02b, ``plot_latent_manifold``,
``plot_latent_scatter`` and ``plot_prior_samples`` in 04, ``plot_interpolation`` in 05.
"""

from __future__ import annotations

import numpy as np

from vaelab._checks import as_images, as_labels, positive_int
from vaelab.latent import (
    decode,
    encode,
    encode_means,
    grid_values,
    interpolate,
    latent_dim_of,
    manifold_image,
)

Z_LABELS = ("z₁", "z₂")


def _new_axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def plot_latent_manifold(
    decoder,
    n: int = 15,
    grid: str = "quantile",
    extent: float | None = None,
    ax=None,
    figsize=(7, 7),
):
    """Draw :func:`manifold_image` with the z values on the axes; returns the axes."""
    image = manifold_image(decoder, n=n, grid=grid, extent=extent)
    values = grid_values(n, grid, extent)
    fig, ax = _new_axes(ax, figsize)
    ax.imshow(image, cmap="Greys_r", interpolation="nearest")
    size = image.shape[0] // n
    ticks = np.arange(n) * size + size / 2
    step = max(1, n // 8)

    def label(v):
        return f"{round(float(v), 1) + 0.0:.1f}"  # + 0.0 turns -0.0 into 0.0

    ax.set_xticks(ticks[::step], [label(v) for v in values[::step]])
    ax.set_yticks(ticks[::step], [label(v) for v in values[::-1][::step]])
    ax.set_xlabel(Z_LABELS[0])
    ax.set_ylabel(Z_LABELS[1])
    ax.set_title(f"Decoded latent grid ({n}×{n}, {grid})")
    return ax


def plot_latent_scatter(
    encoder,
    x,
    y,
    num_ellipses: int = 0,
    ax=None,
    figsize=(6.5, 5.5),
    seed: int = 0,
    show_prior: bool = False,
):
    """Scatter the test codes z_mean coloured by label; optional ±1σ ellipses of q(z|x).

    ``show_prior=True`` adds the prior's 1σ and 2σ circles (39% and 86% of its mass in 2-D)
    and the manifold's 5–95% quantile box (81%), as in notebook 04.
    """
    from matplotlib.patches import Ellipse

    x = as_images(x, "x")
    y = as_labels(y, len(x), "y")
    z_mean, z_log_var = encode(encoder, x)
    if z_mean.shape[1] < 2:
        raise ValueError("plot_latent_scatter needs latent_dim >= 2.")
    fig, ax = _new_axes(ax, figsize)
    points = ax.scatter(
        z_mean[:, 0], z_mean[:, 1], c=y, cmap="tab10", s=6, alpha=0.8, vmin=-0.5, vmax=9.5
    )
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    if num_ellipses:
        sigma = np.exp(0.5 * z_log_var)
        chosen = np.random.default_rng(seed).choice(
            len(x), size=min(num_ellipses, len(x)), replace=False
        )
        for i in chosen:
            ax.add_patch(
                Ellipse(
                    z_mean[i, :2],
                    2 * sigma[i, 0],
                    2 * sigma[i, 1],
                    fill=False,
                    lw=1.2,
                    color="black",
                )
            )
    if show_prior:
        _draw_prior(ax)
    ax.set_xlabel(Z_LABELS[0])
    ax.set_ylabel(Z_LABELS[1])
    ax.set_title("Where each test digit lands (z_mean)")
    return ax


def _draw_prior(ax):
    from matplotlib.patches import Circle, Rectangle

    edge = float(grid_values(2)[1])  # the 95% quantile, 1.645
    for radius, style, label in ((1, "-", "prior 1σ (39%)"), (2, "--", "prior 2σ (86%)")):
        ax.add_patch(Circle((0, 0), radius, fill=False, ls=style, lw=1.3, label=label))
    ax.add_patch(
        Rectangle(
            (-edge, -edge),
            2 * edge,
            2 * edge,
            fill=False,
            color="C3",
            lw=1.3,
            label="5–95% box (81%)",
        )
    )
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)


def plot_posterior(result, ax=None, figsize=(5, 4.4), span: float = 12.0):
    """Draw :func:`vaelab.metrics.posterior_map`'s result: p(z|x) and the encoder's q(z|x).

    The heat-map is log p(z|x) down to ``span`` nats below its peak, cropped to where the
    posterior has mass and where q lies; the ellipses are q's 1σ and 2σ. Notebook 02.
    """
    from matplotlib.patches import Ellipse

    density, values = result["log_density"], result["values"]
    fig, ax = _new_axes(ax, figsize)
    floor = density.max() - span
    rows, columns = np.nonzero(density > floor)
    low = np.minimum(
        [values[columns].min(), values[rows].min()], result["z_mean"] - 3 * result["sigma"]
    )
    high = np.maximum(
        [values[columns].max(), values[rows].max()], result["z_mean"] + 3 * result["sigma"]
    )
    centre, half = (low + high) / 2, max(0.5, float(np.max(high - low)) / 2 + 0.15)
    step = values[1] - values[0]
    shown = ax.imshow(
        np.where(density > floor, density, np.nan),
        origin="lower",
        extent=(values[0] - step / 2, values[-1] + step / 2) * 2,
        cmap="magma",
        vmin=floor,
        interpolation="nearest",
    )
    fig.colorbar(shown, ax=ax, label="log p(z | x), nats")
    for scale, style in ((1, "-"), (2, "--")):
        ax.add_patch(
            Ellipse(
                result["z_mean"],
                2 * scale * result["sigma"][0],
                2 * scale * result["sigma"][1],
                fill=False,
                color="cyan",
                ls=style,
                lw=1.5,
            )
        )
    ax.set(xlim=(centre[0] - half, centre[0] + half), ylim=(centre[1] - half, centre[1] + half))
    ax.set_xlabel(Z_LABELS[0])
    ax.set_ylabel(Z_LABELS[1])
    ax.set_title(
        f"log p(x) {result['log_px']:.1f}, ELBO {result['elbo']:.1f}, gap {result['gap']:.1f} nats",
        fontsize=9,
    )
    return ax


def _image_row(axes, images, title=None):
    for ax, image in zip(axes, images):
        ax.imshow(image[..., 0], cmap="Greys_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        axes[0].set_ylabel(title, rotation=0, ha="right", va="center")


def plot_reconstructions(model, x, n: int = 8):
    """Originals (top) and reconstructions (bottom) of the first ``n`` images; returns the figure.

    For a VAE the reconstruction decodes z_mean (no sampling); for a plain
    autoencoder it decodes the code z.
    """
    import matplotlib.pyplot as plt

    n = positive_int(n, "n")
    x = as_images(x, "x")[:n]
    codes = encode_means(model, x)
    reconstructions = decode(model.decoder, codes)
    fig, axes = plt.subplots(
        2, len(x), figsize=(1.1 * len(x) + 1, 2.6), squeeze=False, layout="constrained"
    )
    _image_row(axes[0], x, "original")
    _image_row(axes[1], reconstructions, "decoded")
    return fig


def plot_prior_samples(decoder, n: int = 16, seed: int = 0):
    """Decode ``n`` points drawn from the prior N(0, I); returns the figure."""
    import matplotlib.pyplot as plt

    n = positive_int(n, "n")
    latent_dim = latent_dim_of(decoder)
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    images = decode(decoder, z)
    columns = min(n, 8)
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(1.1 * columns, 1.1 * rows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    _image_row(axes.ravel()[:n], images)
    fig.suptitle("Samples from the prior z ~ N(0, I)")
    return fig


def plot_interpolation(model, x_a, x_b, steps: int = 9):
    """One row: the decoded path from ``x_a`` to ``x_b`` in latent space; returns the figure."""
    import matplotlib.pyplot as plt

    images = interpolate(model, x_a, x_b, steps)
    fig, axes = plt.subplots(
        1, len(images), figsize=(1.1 * len(images), 1.5), squeeze=False, layout="constrained"
    )
    _image_row(axes[0], images)
    for ax, t in zip(axes[0], np.linspace(0, 1, len(images))):
        ax.set_title(f"t={t:.2f}", fontsize=8)
    return fig


def plot_history(history, axes=None, figsize=(9, 3.2)):
    """Loss curves per epoch (train solid, validation dashed); returns the two axes.

    The loss and the reconstruction (≈ 150 nats) on the left, the KL (a few nats) on its own
    axis on the right, where its changes are visible. Takes a Keras ``History`` or its
    ``.history`` dict; ``axes`` is a pair of axes to draw into.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError(
            "plot_history needs a Keras History (what train() returns) or its .history dict."
        )
    if not logs["loss"]:
        raise ValueError("The history is empty: train for at least one epoch first.")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    epochs = np.arange(1, len(logs["loss"]) + 1)
    panels = ((axes[0], ("loss", "reconstruction_loss")), (axes[1], ("kl_loss",)))
    for ax, keys in panels:
        for key in keys:
            color = {"loss": "C0", "reconstruction_loss": "C1", "kl_loss": "C2"}[key]
            if key in logs:
                ax.plot(epochs, logs[key], color=color, marker="o", label=key)
            if "val_" + key in logs:
                ax.plot(
                    epochs, logs["val_" + key], color=color, ls="--", marker="x", label="val_" + key
                )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    axes[0].set_ylabel("BCE nats per image")
    axes[1].set_ylabel("KL, nats per image")
    return axes


def live_history_plot(figsize=(9, 3.2)):
    """A Keras callback that redraws :func:`plot_history` in place after every epoch; notebook 02.

    Pass it to ``train(..., callbacks=[live_history_plot()])``. The figure is
    shown once and then updated through its display handle, not appended.
    """
    import keras

    class LiveHistoryPlot(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            import matplotlib.pyplot as plt

            self.logs = {}
            with plt.ioff():
                self.figure, self.axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
            self.handle = None

        def on_epoch_end(self, epoch, logs=None):
            from IPython.display import display

            for key, value in (logs or {}).items():
                self.logs.setdefault(key, []).append(float(value))
            for ax in self.axes:
                ax.clear()
            plot_history(self.logs, axes=self.axes)
            self.figure.suptitle(f"after epoch {epoch + 1}", fontsize=10)
            if self.handle is None:
                self.handle = display(self.figure, display_id=True)
            else:
                self.handle.update(self.figure)

        def on_train_end(self, logs=None):
            import matplotlib.pyplot as plt

            plt.close(self.figure)

    return LiveHistoryPlot()
