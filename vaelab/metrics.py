"""How good is a VAE, in nats per image; introduced in notebook 02b (Evaluating the VAE).

Every figure here is a *Bernoulli* score of grey-level pixels: the decoder's output is read as
the probability that a pixel is white, and a grey pixel x contributes the binary cross-entropy
−x log p − (1 − x) log(1 − p). On grey-level MNIST that is not the log-probability of an image
(a grey level is not a coin flip), and it has a floor, :func:`bce_floor` (about 46 nats per
image on this data), that no decoder can go below. We call these numbers "BCE nats". Published
VAE likelihoods (85–100 nats with many latent dimensions) are on *binarised* MNIST, where the
floor is 0 and the BCE is a true −log p(x | z); compare with those only after
:func:`vaelab.data.binarize`.

``neg_elbo`` is what training minimizes (at beta=1), computed independently of Keras' metrics
with NumPy noise; ``log_likelihood`` integrates p(x|z) p(z) over the latent plane so a learner
can see how loose the ELBO is; ``posterior_map`` draws the true posterior p(z|x) (notebook 02b).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from vaelab._checks import as_images, positive_int
from vaelab.defaults import IMAGE_SHAPE
from vaelab.latent import decode, encode

EPSILON = 1e-7  # Keras clips probabilities to [EPSILON, 1 - EPSILON] in its BCE


def bernoulli_log_likelihood(x, probabilities):
    """log p(x|z) summed over pixels, with Keras' clipping; shape (..., N)."""
    p = np.clip(probabilities, EPSILON, 1.0 - EPSILON)
    flat_x = x.reshape(x.shape[0], -1)
    flat_p = p.reshape(*p.shape[:-3], -1)
    return (flat_x * np.log(flat_p) + (1.0 - flat_x) * np.log1p(-flat_p)).sum(axis=-1)


def _model_parts(vae):
    if not (hasattr(vae, "encoder") and hasattr(vae, "decoder")):
        raise TypeError(
            f"expected a vaelab VAE (with .encoder and .decoder), got {type(vae).__name__}."
        )
    return vae.encoder, vae.decoder


def _log_var_scale(vae) -> float:
    """σ = exp(scale · z_log_var): ½ for a correct model, 1 for the chapter's sampling."""
    return vae.sampler.log_var_scale if hasattr(vae, "sampler") else 0.5


def elbo_terms(vae, x, seed: int = 0, batch_size: int = 500) -> dict:
    """Mean reconstruction loss, KL and negative ELBO (BCE nats per image), one z per image.

    ε comes from ``numpy.random.default_rng(seed)``, so the result is the same
    on every run and every backend. σ is the model's own (exp(½ z_log_var), or
    exp(z_log_var) with the chapter's ``"sigma"`` bug), and the KL is that of the Gaussian
    actually sampled, so the result is a true bound for the chapter's model too.
    """
    encoder, decoder = _model_parts(vae)
    x = as_images(x, "x")
    batch_size = positive_int(batch_size, "batch_size")
    log_var_scale = _log_var_scale(vae)
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = encode(encoder, x, batch_size=batch_size)
    z = z_mean + np.exp(log_var_scale * z_log_var) * rng.standard_normal(z_mean.shape).astype(
        np.float32
    )
    recon = -bernoulli_log_likelihood(x, decode(decoder, z, batch_size=batch_size))
    # The KL of the Gaussian we actually sampled from: its log variance is
    # 2 · log_var_scale · z_log_var (z_log_var itself for a correct model).
    log_variance = 2.0 * log_var_scale * z_log_var
    kl = -0.5 * np.sum(1.0 + log_variance - z_mean**2 - np.exp(log_variance), axis=1)
    return {
        "neg_elbo": float(np.mean(recon + kl)),
        "reconstruction_loss": float(np.mean(recon)),
        "kl_loss": float(np.mean(kl)),
    }


def neg_elbo(vae, x, seed: int = 0, batch_size: int = 500) -> float:
    """Negative ELBO in BCE nats per image, mean over ``x`` (one z sample, fixed ``seed``)."""
    return elbo_terms(vae, x, seed=seed, batch_size=batch_size)["neg_elbo"]


def bce_floor(x) -> float:
    """The lowest BCE any decoder can reach on ``x``, in nats per image; notebook 02b.

    A pixel of grey level x scores at best −x log x − (1 − x) log(1 − x) (with p = x), so the
    floor is the summed binary entropy of the grey levels: 0 for black-and-white images, about
    46 nats per image on grey-level MNIST. Every "BCE nats" figure of the course contains it.
    """
    x = as_images(x, "x").astype(np.float64)
    inside = np.clip(x, EPSILON, 1.0 - EPSILON)
    entropy = -(x * np.log(inside) + (1.0 - x) * np.log1p(-inside))
    return float(entropy.reshape(len(x), -1).sum(axis=1).mean())


def _log_normal(z, mean, log_var):
    return -0.5 * np.sum(np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var), axis=-1)


def _pixel_tables(probabilities):
    """log p(x|z) = x · A + B for every image x: one matrix product instead of a loop.

    A is kept in float32: its rounding moves a log-likelihood by about 1e-5 nats.
    """
    p = np.clip(
        probabilities.reshape(len(probabilities), -1).astype(np.float64), EPSILON, 1 - EPSILON
    )
    log_not = np.log1p(-p)
    return (np.log(p) - log_not).astype(np.float32), log_not.sum(axis=1)


class PriorGrid:
    """p(x|z) p(z) on an evenly spaced grid over the prior, decoded once, reused for any image.

    The grid spans ±``extent`` on both axes of a 2-D latent space with ``n`` points per axis
    (the default spacing, 0.0625, is about the narrowest posterior width of the course's models,
    where a Riemann sum of a Gaussian is still exact to a thousandth of a nat).
    :func:`log_likelihood` and :func:`posterior_map` use it; build one yourself to score many
    images against the same decoder (notebook 02b's posterior explorer does).
    """

    def __init__(self, decoder, extent: float = 5.0, n: int = 161):
        n = positive_int(n, "n")
        if n < 2 or not extent > 0:
            raise ValueError(f"PriorGrid needs n >= 2 and extent > 0, got n={n}, extent={extent}.")
        self.values = np.linspace(-extent, extent, n)
        z1, z2 = np.meshgrid(self.values, self.values, indexing="xy")  # rows follow z₂
        self.points = np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)
        self.log_cell_area = 2 * np.log(self.values[1] - self.values[0])
        self.log_prior = _log_normal(self.points.astype(np.float64), 0.0, np.zeros(2))
        # Decoded and tabled a slice at a time: 26,000 points cost 81 MB, not a gigabyte.
        self.slope = np.empty((len(self.points), int(np.prod(IMAGE_SHAPE))), dtype=np.float32)
        self.offset = np.empty(len(self.points))
        for start in range(0, len(self.points), 4096):
            part = slice(start, start + 4096)
            probabilities = decode(decoder, self.points[part])
            self.slope[part], self.offset[part] = _pixel_tables(probabilities)

    def log_joint(self, x, chunk: int = 8192) -> np.ndarray:
        """log p(x|z) + log p(z) for each image of ``x`` (rows) at each grid point (columns)."""
        flat = x.reshape(len(x), -1).astype(np.float64)
        result = np.empty((len(x), len(self.points)))
        for start in range(0, len(self.points), chunk):
            part = self.slope[start : start + chunk].astype(np.float64)
            result[:, start : start + chunk] = flat @ part.T
        return result + self.offset + self.log_prior


def _posterior_box(z_mean, sigma, grid_size, width):
    """Grid points covering ±width σ of q(z|x) around z_mean, and the log area of one cell."""
    steps = np.linspace(-width, width, grid_size)
    offsets = np.stack(np.meshgrid(steps, steps, indexing="ij"), axis=-1).reshape(-1, 2)
    spacing = (steps[1] - steps[0]) * sigma
    return (z_mean + offsets * sigma).astype(np.float32), float(np.log(np.prod(spacing)))


def _two_dimensional(vae, x, prior_grid, grid_size, width, block: int = 16, keep_grid=False):
    """log p(x) and the ELBO per image, by quadrature over the prior grid ∪ each q(z|x) box.

    Returns a dict of arrays: ``log_px``, ``elbo``, ``z_mean``, ``sigma`` and, with
    ``keep_grid=True``, ``log_joint`` (each image's row on the prior grid, for a map).
    """
    encoder, decoder = _model_parts(vae)
    z_mean, z_log_var = encode(encoder, x)
    sigma = np.exp(_log_var_scale(vae) * z_log_var.astype(np.float64))
    prior_grid = PriorGrid(decoder) if prior_grid is None else prior_grid
    log_px, elbo, rows = np.empty(len(x)), np.empty(len(x)), []
    for start in range(0, len(x), block):
        chunk = range(start, min(start + block, len(x)))
        boxes = [_posterior_box(z_mean[i], sigma[i], grid_size, width) for i in chunk]
        decoded = decode(decoder, np.concatenate([z for z, _ in boxes]))
        log_joint_grid = prior_grid.log_joint(x[chunk.start : chunk.stop])
        if keep_grid:
            rows.extend(log_joint_grid)
        for k, i in enumerate(chunk):
            z, log_area = boxes[k]
            z64 = z.astype(np.float64)
            probabilities = decoded[k * len(z) : (k + 1) * len(z), None]
            log_joint_q = bernoulli_log_likelihood(x[i : i + 1], probabilities)[:, 0]
            log_joint_q += _log_normal(z64, 0.0, np.zeros(2))
            # Prior-grid points inside the box are replaced by the box's finer points.
            outside = np.any(np.abs(prior_grid.points - z_mean[i]) > width * sigma[i], axis=1)
            log_px[i] = logsumexp(
                np.concatenate(
                    [log_joint_q + log_area, log_joint_grid[k, outside] + prior_grid.log_cell_area]
                )
            )
            # The ELBO, E_q[log p(x, z) − log q(z|x)], by quadrature with q's normalized weights.
            log_q = _log_normal(z64, z_mean[i], 2 * np.log(sigma[i]))
            weights = np.exp(log_q + log_area)
            elbo[i] = np.sum(weights * (log_joint_q - log_q)) / weights.sum()
    result = {"log_px": log_px, "elbo": elbo, "z_mean": z_mean, "sigma": sigma}
    return {**result, "log_joint": rows} if keep_grid else result


def log_likelihood(
    vae,
    x,
    grid_size: int = 31,
    width: float = 6.0,
    num_samples: int = 1000,
    seed: int = 0,
    per_image: bool = False,
    prior_grid: PriorGrid | None = None,
):
    """log p(x) in BCE nats (mean over ``x``, or one per image with ``per_image=True``).

    latent_dim = 2: quadrature of p(x|z) p(z) over the union of two grids, a :class:`PriorGrid`
    (±5 with spacing 0.0625; pass ``prior_grid`` to reuse one) and, for each image, a
    ``grid_size`` × ``grid_size`` grid over ±``width`` standard deviations of q(z|x). The second
    resolves narrow posteriors; the first finds mass far from q, as for a digit whose posterior
    has two modes (a 4 that could be a 9). Up to the quadrature's error (tested against a
    brute-force grid) this is the exact value, so log p(x) ≥ ELBO holds for it.

    Larger latent_dim: importance sampling with ``num_samples`` draws from q(z|x). That is an
    *estimate* whose expectation is a lower bound on log p(x) (Jensen): it tightens as
    ``num_samples`` grows and, for a poor q, can stay far below the true value.
    """
    encoder, decoder = _model_parts(vae)
    x = as_images(x, "x")
    grid_size = positive_int(grid_size, "grid_size")
    if grid_size < 2:
        raise ValueError(f"grid_size must be at least 2, got {grid_size}.")
    latent_dim = encoder.outputs[0].shape[-1]
    if latent_dim == 2:
        result = _two_dimensional(vae, x, prior_grid, grid_size, width)["log_px"]
    else:
        num_samples = positive_int(num_samples, "num_samples")
        z_mean, z_log_var = encode(encoder, x)
        sigma = np.exp(0.5 * z_log_var)
        rng = np.random.default_rng(seed)
        result = np.empty(len(x))
        for i in range(len(x)):
            z = (z_mean[i] + sigma[i] * rng.standard_normal((num_samples, latent_dim))).astype(
                np.float32
            )
            log_px_z = bernoulli_log_likelihood(x[i : i + 1], decode(decoder, z)[:, None])[:, 0]
            log_w = (
                log_px_z
                + _log_normal(z, 0.0, np.zeros(latent_dim))
                - _log_normal(z, z_mean[i], z_log_var[i])
            )
            result[i] = logsumexp(log_w) - np.log(num_samples)
    return result if per_image else float(result.mean())


def posterior_map(vae, image, prior_grid: PriorGrid | None = None) -> dict:
    """The true posterior p(z | x) of one image on the prior grid, and the ELBO gap; notebook 02b.

    Returns ``log_density`` (log p(z|x), rows following z₂ and columns z₁, to draw with
    ``imshow(origin="lower")``), ``values`` (the grid's coordinates on each axis), ``z_mean`` and
    ``sigma`` of the encoder's q(z|x), and, in nats, ``log_px``, the ``elbo`` (exact, by
    quadrature) and their difference ``gap`` = KL(q(z|x) ‖ p(z|x)) ≥ 0. Only for latent_dim = 2.
    """
    encoder, decoder = _model_parts(vae)
    image = as_images(image if np.ndim(image) == 4 else np.asarray(image)[None], "image")[:1]
    if encoder.outputs[0].shape[-1] != 2:
        raise ValueError("posterior_map draws a 2-D latent space; this model has more dimensions.")
    prior_grid = PriorGrid(decoder) if prior_grid is None else prior_grid
    parts = _two_dimensional(vae, image, prior_grid, 31, 6.0, keep_grid=True)
    log_px, elbo = float(parts["log_px"][0]), float(parts["elbo"][0])
    n = len(prior_grid.values)
    return {
        "log_density": (parts["log_joint"][0] - log_px).reshape(n, n),
        "values": prior_grid.values,
        "z_mean": parts["z_mean"][0],
        "sigma": parts["sigma"][0],
        "log_px": log_px,
        "elbo": elbo,
        "gap": log_px - elbo,
    }
