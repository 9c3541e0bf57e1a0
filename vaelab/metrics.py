"""How good is a VAE, in nats per image; introduced in notebook 02.

``neg_elbo`` is what training minimizes (at beta=1), computed independently
of Keras' metrics with NumPy noise; ``log_likelihood`` integrates p(x|z) p(z)
over the latent plane so a learner can see how loose the ELBO bound is.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from vaelab._checks import as_images, positive_int
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


def elbo_terms(vae, x, seed: int = 0, batch_size: int = 500) -> dict:
    """Mean reconstruction loss, KL and negative ELBO (nats/image) with one z per image.

    ε comes from ``numpy.random.default_rng(seed)``, so the result is the same
    on every run and every backend. σ is the model's own (exp(½ z_log_var), or
    exp(z_log_var) for the chapter replica), and the KL is that of the Gaussian
    actually sampled, so the result is a true bound for the replica too.
    """
    encoder, decoder = _model_parts(vae)
    x = as_images(x, "x")
    batch_size = positive_int(batch_size, "batch_size")
    log_var_scale = vae.sampler.log_var_scale if hasattr(vae, "sampler") else 0.5
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
    """Negative ELBO in nats per image, mean over ``x`` (one z sample, fixed ``seed``)."""
    return elbo_terms(vae, x, seed=seed, batch_size=batch_size)["neg_elbo"]


def _log_normal(z, mean, log_var):
    return -0.5 * np.sum(np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var), axis=-1)


def log_likelihood(
    vae,
    x,
    grid_size: int = 41,
    width: float = 7.0,
    num_samples: int = 1000,
    seed: int = 0,
    per_image: bool = False,
):
    """log p(x) in nats (mean over ``x``, or one per image with ``per_image=True``).

    For latent_dim = 2: numerical integration of p(x|z) p(z) on a
    ``grid_size`` × ``grid_size`` grid centred on each image's z_mean and
    spanning ±``width`` posterior standard deviations (the integrand is
    negligible beyond). For larger latent_dim: importance sampling with
    ``num_samples`` draws from q(z|x). Either way, log p(x) ≥ −neg_elbo, and the
    difference is the ELBO gap: KL(q(z|x) ‖ p(z|x)).
    """
    encoder, decoder = _model_parts(vae)
    x = as_images(x, "x")
    grid_size = positive_int(grid_size, "grid_size")
    z_mean, z_log_var = encode(encoder, x)
    sigma = np.exp(0.5 * z_log_var)
    latent_dim = z_mean.shape[1]
    result = np.empty(len(x))
    if latent_dim == 2:
        steps = np.linspace(-width, width, grid_size)
        offsets = np.stack(np.meshgrid(steps, steps, indexing="ij"), axis=-1).reshape(-1, 2)
        for i in range(len(x)):
            spacing = (steps[1] - steps[0]) * sigma[i] if grid_size > 1 else 2 * width * sigma[i]
            z = (z_mean[i] + offsets * sigma[i]).astype(np.float32)
            log_px_z = bernoulli_log_likelihood(x[i : i + 1], decode(decoder, z)[:, None])[:, 0]
            log_pz = _log_normal(z, 0.0, np.zeros(2))
            result[i] = logsumexp(log_px_z + log_pz) + np.log(np.prod(spacing))
    else:
        num_samples = positive_int(num_samples, "num_samples")
        rng = np.random.default_rng(seed)
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
