# %% [markdown]
# # 2 · Building the VAE
#
# A variational autoencoder keeps the encoder–decoder shape of notebook 01 but changes what the
# code *is*. The encoder no longer returns one point: it returns a small Gaussian cloud, a mean
# `z_mean` and a log-variance `z_log_var` per latent dimension. We draw one point `z` from that
# cloud, decode it, and pay a price, the **KL divergence**, whenever the cloud strays from a
# standard Gaussian. Both changes together fill the gaps we saw in the plain autoencoder.
#
# ## What you'll learn
#
# - the encoder that outputs a distribution, and the **reparameterization trick** that samples
#   from it;
# - the two losses, reconstruction and KL, written out by hand and checked against `vaelab`;
# - training with a progress bar and a live loss curve, and the score in **nats per image**;
# - **log p(x)**, computed by integrating over the latent plane, and the *ELBO gap*.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 8_000
NUM_EPOCHS = 1 if QUICK else 4  # vaelab's recipe (its default is 5); 4 keep this under 5 minutes
NUM_LIKELIHOOD_IMAGES = 10 if QUICK else 100

# %%
import keras
import numpy as np
from keras import layers, ops

import vaelab
from vaelab.data import load_mnist

(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = x_train[:NUM_IMAGES]

# %% [markdown]
# ## 1. An encoder that outputs a distribution
#
# The convolutional trunk is the one from notebook 01. At the end, instead of one `Dense` layer for
# the code, there are two heads of `latent_dim` units each: `z_mean` and `z_log_var`. We predict the
# *log* of the variance because it can be any real number, while a variance must be positive.

# %%
latent_dim = 2

image = keras.Input(shape=(28, 28, 1))
h = layers.Conv2D(32, 3, padding="same", activation="relu")(image)
h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
h = layers.Conv2D(64, 3, padding="same", activation="relu")(h)
h = layers.Dense(32, activation="relu")(layers.Flatten()(h))
z_mean = layers.Dense(latent_dim, name="z_mean")(h)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
my_encoder = keras.Model(image, [z_mean, z_log_var], name="encoder")

# %%
# NBVAL_CHECK_OUTPUT
print("my encoder:    ", f"{my_encoder.count_params():,}", "parameters")
print("vaelab encoder:", f"{vaelab.build_encoder(latent_dim).count_params():,}", "parameters")

# %% [markdown]
# Same layers, same count. From here on we use `vaelab.build_encoder` and `vaelab.build_decoder`,
# which are exactly these layers with names attached.
#
# ## 2. Sampling: the reparameterization trick
#
# To decode we need a point, not a distribution. Drawing `z` directly would block the gradient:
# a random draw has no derivative with respect to `z_mean`. The trick is to draw the randomness
# *outside* the network, ε ~ N(0, 1), and then *compute* z from it:
#
# $$ z = \mu + \sigma \cdot \varepsilon, \qquad
#    \sigma = \exp\left(\tfrac{1}{2}\,\texttt{z\_log\_var}\right). $$
#
# Now z depends smoothly on `z_mean` and `z_log_var`, and backpropagation flows through it.
#
# ### Exercise: write the sampling step
#
# `sample(z_mean, z_log_var, epsilon)` should return z, with NumPy.

# %%
from vaelab.exercises import check_sampling


def sample(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon  # your answer


check_sampling(sample)

# %% [markdown]
# In Keras this step is a layer. `vaelab.Sampling` draws ε from a `keras.random.SeedGenerator`, so a
# seeded model samples the same way on every run. Let's check its statistics: with
# `z_log_var = log 4`, σ should be 2.

# %%
# NBVAL_CHECK_OUTPUT
sampler = vaelab.Sampling(seed=0)
means = np.zeros((50_000, 2), "float32")
log_vars = np.full((50_000, 2), np.log(4.0), "float32")
draws = ops.convert_to_numpy(sampler(means, log_vars))
print("standard deviation of z:", np.round(draws.std(axis=0), 1))

# %% [markdown]
# ## 3. The two losses
#
# **Reconstruction.** As in notebook 01: the binary cross-entropy between the image and the
# decoded pixel probabilities, summed over the 784 pixels. It is −log p(x | z), in nats.
#
# **KL divergence.** How far the encoder's Gaussian q(z | x) = N(μ, σ²) is from the prior
# N(0, 1), per latent dimension, summed:
#
# $$ \mathrm{KL} = \tfrac{1}{2} \sum_j \left( \sigma_j^2 + \mu_j^2 - 1 - \log \sigma_j^2 \right). $$
#
# It is zero only when μ = 0 and σ = 1. It pulls every image's cloud towards the centre and keeps
# the clouds wide, so they overlap and leave no gaps.
#
# The sum of the two is the **negative ELBO** (evidence lower bound): an upper bound on
# −log p(x), the number of nats the model needs to describe an image. Lower is better.
#
# ### Exercise: write the KL term
#
# `kl(z_mean, z_log_var)` should return one KL value per image (sum over the latent axis).

# %%
from vaelab.exercises import check_kl


def kl(z_mean, z_log_var):
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var, axis=1)  # your answer


check_kl(kl)


# %% [markdown]
# Here are both losses in `keras.ops` (so they run on any Keras backend), compared with `vaelab`'s.

# %%
def my_reconstruction_loss(x, reconstruction):
    per_pixel = keras.losses.binary_crossentropy(x, reconstruction)  # averages the 1 channel
    return ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=1)


def my_kl_divergence(z_mean, z_log_var):
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


rng = np.random.default_rng(0)
mu, log_var = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")
probabilities = rng.uniform(0.05, 0.95, size=(4, 28, 28, 1)).astype("float32")
np.testing.assert_allclose(my_kl_divergence(mu, log_var), vaelab.kl_divergence(mu, log_var),
                           rtol=1e-6)
np.testing.assert_allclose(my_reconstruction_loss(x_test[:4], probabilities),
                           vaelab.reconstruction_loss(x_test[:4], probabilities), rtol=1e-6)
print("my losses match vaelab's")

# %% [markdown]
# ## 4. The model
#
# `vaelab.VAE` puts it together as a `keras.Model`: `call(x)` runs the encoder, and
# `compute_loss` samples z, decodes it and returns the batch mean of
# `reconstruction_loss + beta * kl_loss`. With `beta = 1` that is exactly the negative ELBO.
# `build_vae()` builds and compiles it.
#
# Before training, the decoder outputs about 0.5 for every pixel, so the loss should be close to
# 784 · ln 2 ≈ 543 nats.

# %%
# NBVAL_CHECK_OUTPUT
from vaelab.metrics import elbo_terms, log_likelihood, neg_elbo
from vaelab.models import build_vae

keras.utils.set_random_seed(0)
vae = build_vae(latent_dim=2, beta=1.0, seed=0)
untrained = neg_elbo(vae, x_test[:500])
print(f"784 ln 2 = {784 * np.log(2):.0f} nats;  untrained model: {untrained:.0f} nats")

# %% [markdown]
# ## 5. Training
#
# `vaelab.training.train` wraps `fit` with vaelab's recipe: RMSprop, batch 16, and a learning
# rate that warms up and then decays (a Keras `CosineDecay` schedule). `benchmarks/README.md`
# shows how it compares with the chapter's own program. The live plot below redraws after each
# epoch.

# %%
from vaelab.plotting import live_history_plot
from vaelab.training import train

history = train(vae, x_train, validation_data=x_test, num_epochs=NUM_EPOCHS,
                callbacks=[live_history_plot()])

# %% [markdown]
# ## 6. How good is it, in nats?
#
# `elbo_terms` scores held-out images with one sample of z each (seeded, so the number is
# reproducible): the reconstruction, the KL, and their sum, the negative ELBO.

# %%
scores = elbo_terms(vae, x_test)
print(f"held-out negative ELBO: {scores['neg_elbo']:.1f} nats per image "
      f"= reconstruction {scores['reconstruction_loss']:.1f} + KL {scores['kl_loss']:.1f}")

# %% [markdown]
# ## 7. The true log-likelihood and the ELBO gap
#
# The ELBO is a *bound*. With a 2-D latent space we can compute the real thing,
#
# $$ \log p(x) = \log \int p(x \mid z)\, p(z)\, dz, $$
#
# by summing the integrand over a fine grid of z values around each image's code.
# `log_likelihood` does this. The difference between log p(x) and the ELBO is the **gap**: it is
# the KL divergence between the encoder's Gaussian and the true posterior p(z | x), i.e. how much
# the encoder's simple Gaussian costs us.

# %%
subset = x_test[:NUM_LIKELIHOOD_IMAGES]
log_px = log_likelihood(vae, subset)
elbo = -np.mean([neg_elbo(vae, subset, seed=s) for s in range(10)])
print(f"log p(x) = {log_px:.1f} nats;  ELBO = {elbo:.1f} nats;  gap = {log_px - elbo:.1f} nats")

# %% [markdown]
# ## 8. Saving and loading
#
# A trained model saves to one `.keras` file and loads back with `vaelab.load_vae`, which keeps
# Keras's `safe_mode` on.

# %%
import tempfile
from pathlib import Path

path = Path(tempfile.mkdtemp()) / "my_vae.keras"
vae.save(path)
again = vaelab.load_vae(path)
origin = np.zeros((1, 2))
print("same decoder output:", np.array_equal(again.decoder(origin), vae.decoder(origin)))

# %% [markdown]
# ## What we did
#
# - Gave the encoder two heads, `z_mean` and `z_log_var`, and sampled z = μ + exp(½ log σ²) · ε.
# - Wrote the reconstruction loss and the KL by hand, and checked them against `vaelab`.
# - Trained the VAE and scored it in nats per image; computed log p(x) and the ELBO gap.
# - Next, **03 · Spot the bug**: the original chapter got two of these formulas wrong.
