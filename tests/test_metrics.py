"""The honest-nats helpers: the BCE floor, binarisation, log p(x) by quadrature, the posterior."""

import math

import keras
import numpy as np
import pytest
from scipy.special import logsumexp

from vaelab.data import binarize
from vaelab.latent import decode, encode
from vaelab.metrics import (
    PriorGrid,
    _log_normal,
    _posterior_box,
    bce_floor,
    bernoulli_log_likelihood,
    elbo_terms,
    log_likelihood,
    neg_elbo,
    posterior_map,
)


def test_the_bce_floor_is_the_entropy_of_the_grey_levels(mnist, pretrained):
    (_, _), (x_test, _) = mnist
    assert bce_floor(binarize(x_test[:50])) == pytest.approx(0.0, abs=1e-3)
    half = np.full((3, 28, 28, 1), 0.5, "float32")
    assert bce_floor(half) == pytest.approx(784 * math.log(2), rel=1e-6)
    floor = bce_floor(x_test)
    assert 40 < floor < 52  # grey-level MNIST: about 46 nats no decoder can remove
    # no decoder goes below it, not even the pretrained one on its best images
    assert elbo_terms(pretrained, x_test[:200])["reconstruction_loss"] > floor


def test_binarize_is_a_fixed_threshold(mnist):
    (_, _), (x_test, _) = mnist
    x = x_test[:20]
    binary = binarize(x)
    assert binary.dtype == np.float32 and set(np.unique(binary)) <= {0.0, 1.0}
    np.testing.assert_array_equal(binary, (x > 0.5).astype("float32"))
    assert binarize(x, threshold=0.9).sum() < binary.sum()
    for bad in (0, 1, 1.5, -0.2):
        with pytest.raises(ValueError, match="threshold"):
            binarize(x, threshold=bad)


def _q_box_only(vae, x):
    """The old quadrature: a grid over q(z|x) alone (misses mass far from q)."""
    z_mean, z_log_var = encode(vae.encoder, x)
    sigma = np.exp(0.5 * z_log_var.astype(np.float64))
    result = []
    for i in range(len(x)):
        z, log_area = _posterior_box(z_mean[i], sigma[i], 41, 7.0)
        log_joint = bernoulli_log_likelihood(x[i : i + 1], decode(vae.decoder, z)[:, None])[:, 0]
        result.append(
            logsumexp(log_joint + _log_normal(z.astype(float), 0.0, np.zeros(2))) + log_area
        )
    return np.array(result)


@pytest.fixture(scope="module")
def brute_force(pretrained, mnist):
    """log p(x) of 300 test digits on one fine grid over the whole prior (±5.5, spacing 0.04)."""
    (_, _), (x_test, _) = mnist
    x = x_test[:300]
    grid = PriorGrid(pretrained.decoder, extent=5.5, n=276)
    return x, logsumexp(grid.log_joint(x) + grid.log_cell_area, axis=1)


@pytest.mark.slow
def test_log_likelihood_finds_the_mass_far_from_q(pretrained, brute_force):
    x, exact = brute_force
    old = _q_box_only(pretrained, x)
    # Digits whose posterior has mass far from the encoder's q(z|x): a grid over q alone
    # misses it by many nats. Take the three worst and three ordinary digits.
    worst = np.argsort(old - exact)[:3]
    assert np.all(exact[worst] - old[worst] > 5.0)
    chosen = np.concatenate([worst, [0, 1, 2]])
    new = log_likelihood(pretrained, x[chosen], per_image=True)
    np.testing.assert_allclose(new, exact[chosen], atol=0.25)


@pytest.mark.slow
def test_the_posterior_map_is_a_normalized_density_and_the_gap_a_kl(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    grid = PriorGrid(pretrained.decoder)
    for image in x_test[:3]:
        result = posterior_map(pretrained, image, prior_grid=grid)
        assert result["log_density"].shape == (161, 161)
        total = logsumexp(result["log_density"]) + grid.log_cell_area
        assert total == pytest.approx(0.0, abs=0.05)
        assert result["gap"] >= 0 and result["log_px"] >= result["elbo"]
        # The quadrature ELBO agrees with the sampled one (averaged over many draws).
        sampled = -np.mean([neg_elbo(pretrained, image[None], seed=s) for s in range(200)])
        assert result["elbo"] == pytest.approx(sampled, abs=1.0)
    with pytest.raises(ValueError, match="2-D"):
        from vaelab.models import build_vae

        posterior_map(build_vae(latent_dim=3), x_test[0])


def test_log_likelihood_checks_its_grid(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    with pytest.raises(ValueError, match="grid_size"):
        log_likelihood(pretrained, x_test[:1], grid_size=1)
    with pytest.raises(ValueError, match="extent"):
        PriorGrid(pretrained.decoder, extent=-1.0)


@pytest.mark.slow
def test_importance_sampling_is_below_the_quadrature_for_a_2d_model(pretrained, mnist):
    """IS with few draws from q is a stochastic lower bound: on average below the exact value."""
    (_, _), (x_test, _) = mnist
    x = x_test[:20]
    exact = log_likelihood(pretrained, x, per_image=True)
    keras.utils.set_random_seed(0)
    z_mean, z_log_var = encode(pretrained.encoder, x)
    draws = []
    rng = np.random.default_rng(0)
    for i in range(len(x)):
        sigma = np.exp(0.5 * z_log_var[i])
        z = (z_mean[i] + sigma * rng.standard_normal((5, 2))).astype("float32")
        log_w = (
            bernoulli_log_likelihood(x[i : i + 1], decode(pretrained.decoder, z)[:, None])[:, 0]
            + _log_normal(z.astype(float), 0.0, np.zeros(2))
            - _log_normal(z.astype(float), z_mean[i], z_log_var[i])
        )
        draws.append(logsumexp(log_w) - np.log(5))
    assert np.mean(draws) < exact.mean()


@pytest.mark.slow
def test_the_pretrained_metadata_is_what_the_weights_score(pretrained, mnist):
    """The figures shipped in mnist.json are recomputed here, not trusted."""
    from vaelab.pretrained import metadata

    (_, _), (x_test, _) = mnist
    info = metadata("mnist")
    assert "BCE nats" in info["units"] and "grey-level" in info["units"]
    terms = elbo_terms(pretrained, x_test)
    assert info["held_out_neg_elbo"] == pytest.approx(terms["neg_elbo"], abs=0.05)
    assert info["held_out_bce_floor"] == pytest.approx(bce_floor(x_test), abs=0.01)
    binary = elbo_terms(pretrained, binarize(x_test))["neg_elbo"]
    assert info["held_out_binarized_neg_elbo"] == pytest.approx(binary, abs=0.05)
    first = log_likelihood(pretrained, x_test[:200])
    assert info["held_out_log_likelihood_first_200"] == pytest.approx(first, abs=0.05)
