"""The chapter's architecture and the loss, checked against independent NumPy."""

import math

import keras
import numpy as np
import pytest

from vaelab import models
from vaelab.metrics import elbo_terms, log_likelihood, neg_elbo
from vaelab.models import build_autoencoder, build_decoder, build_encoder, build_vae, load_vae


def test_architecture_matches_the_chapter():
    vae = build_vae()
    assert (
        vae.encoder.count_params() + vae.decoder.count_params()
        == models.CHAPTER_PARAMETER_COUNT
        == 550_629
    )
    assert [layer.name for layer in vae.encoder.layers][-2:] == ["z_mean", "z_log_var"]
    assert vae.encoder.output_shape == [(None, 2), (None, 2)]
    assert vae.decoder.output_shape == (None, 28, 28, 1)
    assert vae.decoder.layers[-1].activation.__name__ == "sigmoid"


@pytest.mark.parametrize("latent_dim", [1, 2, 8])
def test_shapes_for_any_latent_dim(latent_dim, x_small):
    vae = build_vae(latent_dim=latent_dim)
    z_mean, z_log_var = vae(x_small[:5])
    assert z_mean.shape == z_log_var.shape == (5, latent_dim)
    assert vae.decoder(np.zeros((3, latent_dim), "float32")).shape == (3, 28, 28, 1)


@pytest.mark.slow
def test_untrained_loss_is_about_784_ln2(x_small):
    keras.utils.set_random_seed(1)
    vae = build_vae()
    result = vae.evaluate(x_small, batch_size=64, verbose=0, return_dict=True)
    assert abs(result["loss"] - 784 * math.log(2)) < 5.0
    assert result["loss"] == pytest.approx(
        result["reconstruction_loss"] + result["kl_loss"], rel=1e-5
    )
    assert abs(neg_elbo(vae, x_small) - 784 * math.log(2)) < 5.0


def test_sampling_statistics():
    layer = models.Sampling(seed=3)
    z_mean = np.tile(np.array([[1.5, -2.0]], "float32"), (20_000, 1))
    z_log_var = np.tile(np.array([[math.log(0.25), math.log(4.0)]], "float32"), (20_000, 1))
    z = keras.ops.convert_to_numpy(layer(z_mean, z_log_var))
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0], atol=0.04)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)  # σ = exp(½ log σ²)
    chapter = models.Sampling(seed=3, log_var_scale=1.0)
    z = keras.ops.convert_to_numpy(chapter(z_mean, z_log_var))
    np.testing.assert_allclose(
        z.std(axis=0), [0.25, 4.0], rtol=0.03
    )  # the chapter's σ = exp(log σ²)


def test_kl_matches_the_closed_form(rng):
    z_mean = rng.normal(size=(50, 3)).astype("float32")
    z_log_var = rng.normal(size=(50, 3)).astype("float32")
    variance = np.exp(z_log_var)
    expected = 0.5 * np.sum(variance + z_mean**2 - 1.0 - np.log(variance), axis=1)
    got = keras.ops.convert_to_numpy(models.kl_divergence(z_mean, z_log_var))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.all(got >= 0)


def test_reconstruction_loss_is_summed_bce(rng):
    x = rng.uniform(size=(4, 28, 28, 1)).astype("float32")
    p = rng.uniform(0.01, 0.99, size=(4, 28, 28, 1)).astype("float32")
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    got = keras.ops.convert_to_numpy(models.reconstruction_loss(x, p))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


@pytest.mark.slow
def test_neg_elbo_against_an_independent_numpy_computation(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    x = x_test[:100]
    z_mean, z_log_var = (np.asarray(t) for t in pretrained.encoder.predict(x, verbose=0))
    eps = np.random.default_rng(0).standard_normal(z_mean.shape).astype("float32")
    z = z_mean + np.exp(0.5 * z_log_var) * eps
    p = np.clip(np.asarray(pretrained.decoder.predict(z, verbose=0)), 1e-7, 1 - 1e-7).reshape(
        100, -1
    )
    flat = x.reshape(100, -1)
    recon = -np.sum(flat * np.log(p) + (1 - flat) * np.log(1 - p), axis=1)
    kl = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)
    terms = elbo_terms(pretrained, x, seed=0)
    assert terms["neg_elbo"] == pytest.approx(float(np.mean(recon + kl)), rel=1e-3)
    assert terms["kl_loss"] == pytest.approx(float(np.mean(kl)), rel=1e-4)
    assert neg_elbo(pretrained, x, seed=0) == terms["neg_elbo"]  # deterministic given the seed
    assert neg_elbo(pretrained, x, seed=1) != terms["neg_elbo"]


@pytest.mark.slow
def test_log_likelihood_bounds_the_elbo(pretrained, mnist):
    (_, _), (x_test, _) = mnist
    x = x_test[:20]
    log_px = log_likelihood(pretrained, x, per_image=True)
    assert np.all(np.isfinite(log_px))
    # log p(x) >= ELBO on average (the ELBO averaged over many z samples)
    elbo = -np.mean([neg_elbo(pretrained, x, seed=s) for s in range(5)])
    assert log_px.mean() >= elbo
    assert log_px.mean() - elbo < 15.0  # the gap of a 2-D VAE is a few nats, not hundreds


@pytest.mark.slow
def test_log_likelihood_matches_brute_force_on_a_tiny_model(x_small):
    keras.utils.set_random_seed(2)
    vae = build_vae()
    vae.fit(x_small, epochs=1, batch_size=64, verbose=0)
    x = x_small[:3]
    # After one epoch on 256 digits q(z|x) is still about N(0, 1): a wide window is needed.
    fast = log_likelihood(vae, x, grid_size=81, width=14.0, per_image=True)
    # brute force: a fine grid over a wide square, no knowledge of q(z|x)
    from scipy.special import logsumexp

    from vaelab.metrics import bernoulli_log_likelihood

    values = np.linspace(-16, 16, 321)
    z = np.stack(np.meshgrid(values, values, indexing="ij"), -1).reshape(-1, 2).astype("float32")
    decoded = np.asarray(vae.decoder.predict(z, batch_size=4096, verbose=0))
    log_prior = -0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi)
    area = (values[1] - values[0]) ** 2
    for i in range(3):
        log_px_z = bernoulli_log_likelihood(x[i : i + 1], decoded[:, None])[:, 0]
        brute = logsumexp(log_px_z + log_prior) + np.log(area)
        assert fast[i] == pytest.approx(brute, abs=0.2)


def test_importance_sampling_for_larger_latent_dim(x_small):
    vae = build_vae(latent_dim=4)
    values = log_likelihood(vae, x_small[:3], num_samples=200, per_image=True)
    assert values.shape == (3,) and np.all(np.isfinite(values))


@pytest.mark.slow
def test_determinism_same_seed_same_weights(x_small):
    from vaelab.training import train

    def trained(seed):
        keras.utils.set_random_seed(seed)
        vae = build_vae(seed=seed)
        train(vae, x_small, num_epochs=1, batch_size=64, seed=seed, verbose=0)
        return vae.get_weights()

    first, second, other = trained(5), trained(5), trained(6)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))


@pytest.mark.slow
def test_save_and_load_round_trip(tmp_path, pretrained, mnist):
    (_, _), (x_test, _) = mnist
    path = tmp_path / "vae.keras"
    pretrained.save(path)
    loaded = load_vae(path)
    z = np.random.default_rng(0).normal(size=(10, 2)).astype("float32")
    np.testing.assert_array_equal(np.asarray(loaded.decoder(z)), np.asarray(pretrained.decoder(z)))
    np.testing.assert_array_equal(
        np.asarray(loaded(x_test[:10])[0]), np.asarray(pretrained(x_test[:10])[0])
    )
    assert loaded.beta == pretrained.beta and loaded.latent_dim == 2
    weights = tmp_path / "vae.weights.h5"
    pretrained.save_weights(weights)
    fresh = build_vae()
    fresh.load_weights(weights)
    np.testing.assert_array_equal(np.asarray(fresh.decoder(z)), np.asarray(pretrained.decoder(z)))
    # a loaded model keeps training
    loaded.fit(x_test[:64], epochs=1, batch_size=32, verbose=0)


def test_the_chapters_model_reproduces_the_chapter_formula(rng):
    x = rng.uniform(size=(6, 28, 28, 1)).astype("float32")
    p = rng.uniform(0.05, 0.95, size=(6, 28, 28, 1)).astype("float32")
    z_mean = rng.normal(size=(6, 2)).astype("float32")
    z_log_var = rng.normal(size=(6, 2)).astype("float32")
    pixel_mean_bce = -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p))
    kl_term = -5e-4 * np.mean(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    expected = np.mean(pixel_mean_bce + kl_term)
    got = float(keras.ops.convert_to_numpy(models.chapter_loss(x, p, z_mean, z_log_var)))
    assert got == pytest.approx(expected, rel=1e-4)
    # effective KL weight against the summed BCE: 784 * 5e-4 at latent_dim=2
    kl = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)
    assert got * 784 == pytest.approx(784 * pixel_mean_bce + 784 * 5e-4 * np.mean(kl), rel=1e-4)
    replica = build_vae(bugs=models.CHAPTER_BUGS)
    assert replica.sampler.log_var_scale == 1.0 and build_vae().sampler.log_var_scale == 0.5
    assert isinstance(replica.optimizer, keras.optimizers.RMSprop)


@pytest.mark.slow
def test_autoencoder_is_deterministic_and_shares_the_decoder(x_small):
    autoencoder = build_autoencoder()
    assert autoencoder.encoder.output_shape == (None, 2)
    assert autoencoder.decoder.count_params() == build_decoder().count_params()
    first = np.asarray(autoencoder(x_small[:4]))
    np.testing.assert_array_equal(first, np.asarray(autoencoder(x_small[:4])))
    history = autoencoder.fit(x_small, x_small, epochs=2, batch_size=16, verbose=0)
    assert (
        100 < history.history["loss"][-1] < 784 * math.log(2)
    )  # nats per image, better than chance


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="latent_dim"):
        build_encoder(0)
    with pytest.raises(TypeError, match="latent_dim"):
        build_decoder(2.5)
    with pytest.raises(ValueError, match="beta"):
        build_vae(beta=-1.0)


@pytest.mark.parametrize(
    "bugs, scale, chapter_loss_used",
    [
        ((), 0.5, False),
        (("sigma",), 1.0, False),
        (("kl_weight",), 0.5, True),
        (("sigma", "kl_weight"), 1.0, True),
    ],
)
@pytest.mark.slow
def test_the_chapters_bugs_one_at_a_time(bugs, scale, chapter_loss_used, x_small, tmp_path):
    vae = build_vae(bugs=bugs, seed=0)
    assert vae.sampler.log_var_scale == scale and vae.bugs == bugs
    loss = float(vae.compute_loss(x=x_small[:32], y_pred=vae(x_small[:32])))
    # the chapter's loss is a per-pixel mean (≈ 0.7 untrained), the ELBO a sum (≈ 543)
    assert (loss < 1.0) if chapter_loss_used else (400 < loss < 700)
    path = tmp_path / "model.keras"
    vae.save(path)
    assert load_vae(path).bugs == bugs


def test_unknown_bugs_are_named():
    with pytest.raises(ValueError, match="'sigmas'"):
        build_vae(bugs=("sigmas",))
    assert build_vae(bugs="sigma").bugs == ("sigma",)
    assert build_vae(bugs=("kl_weight", "sigma")).bugs == models.CHAPTER_BUGS


@pytest.mark.slow
def test_train_takes_the_plain_autoencoder_with_the_same_recipe(x_small):
    from vaelab.training import train

    autoencoder = build_autoencoder()
    history = train(autoencoder, x_small, validation_data=x_small[:64], num_epochs=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] < 784 * math.log(2)
    assert np.isfinite(history.history["val_loss"]).all()


def test_free_bits_charge_each_dimension_at_least_lambda(x_small, tmp_path):
    """Notebook 06's remedy for collapse: the KL term charges max(λ, batch-mean KL) per
    dimension, the reported KL stays the true KL, and a saved model keeps its λ."""
    x = x_small[:64]
    plain, floored = build_vae(seed=3), build_vae(seed=3, free_bits=2.0)
    floored.set_weights(plain.get_weights())
    z_mean = np.array([[0.1, 3.0]] * len(x), "float32")  # dimension 0 under 2 nats, 1 over
    z_log_var = np.zeros_like(z_mean)
    for model in (plain, floored):
        model.sampler = models.Sampling(seed=9)  # the same noise for both
    losses = [float(m.compute_loss(x=x, y_pred=(z_mean, z_log_var))) for m in (plain, floored)]
    # plain: reconstruction + (0.005 + 4.5); floored: reconstruction + (2 + 4.5)
    assert losses[1] - losses[0] == pytest.approx(2.0 - 0.005, abs=1e-3)
    assert float(floored.kl_loss_tracker.result()) == pytest.approx(4.505, abs=1e-3)
    with pytest.raises(ValueError, match="free_bits"):
        build_vae(free_bits=-1.0)
    floored.save(tmp_path / "floored.keras")
    assert load_vae(tmp_path / "floored.keras").free_bits == 2.0
