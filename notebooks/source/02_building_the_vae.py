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
# - the two losses, reconstruction and KL, the decoder and the model: written by you, checked
#   against `vaelab`;
# - where the loss comes from: the **ELBO**, derived in a few lines;
# - training with a progress bar and a live loss curve, and the score in **nats per image**, with
#   what such a number is (and is not) on grey-level digits;
# - **log p(x)** by integrating over the latent plane, the **true posterior** p(z | x) beside the
#   encoder's guess q(z | x), and the *gap* between them.
#
# The model is due to Kingma & Welling, *Auto-Encoding Variational Bayes* (2013,
# arXiv:1312.6114) and, at the same time, Rezende, Mohamed & Wierstra, *Stochastic
# Backpropagation and Approximate Inference in Deep Generative Models* (ICML 2014,
# arXiv:1401.4082).

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 8_000
NUM_EPOCHS = 1 if QUICK else 4  # vaelab's recipe (its default is 5); 4 keep this under 5 minutes
NUM_LIKELIHOOD_IMAGES = 10 if QUICK else 100

# %%
import keras
import matplotlib.pyplot as plt
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

# %% tags=["nbval-check-output"]
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
from vaelab.exercises import sampling as q


def sample(z_mean, z_log_var, epsilon):
    # BEGIN SOLUTION
    return z_mean + np.exp(0.5 * z_log_var) * epsilon
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(sample)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# In Keras this step is a layer. `vaelab.Sampling` draws ε from a `keras.random.SeedGenerator`, so a
# seeded model samples the same way on every run. Let's check its statistics: with
# `z_log_var = log 4`, σ should be 2.

# %% tags=["nbval-check-output"]
sampler = vaelab.Sampling(seed=0)
means = np.zeros((50_000, 2), "float32")
log_vars = np.full((50_000, 2), np.log(4.0), "float32")
draws = ops.convert_to_numpy(sampler(means, log_vars))
print("standard deviation of z:", np.round(draws.std(axis=0), 1))

# %% [markdown]
# ## 3. Where the loss comes from: the ELBO
#
# The model is a story of how an image is made: draw a code z from the prior p(z) = N(0, I), then
# draw the pixels from the decoder's p(x | z). Training should make the real images likely, that
# is, raise log p(x) = log ∫ p(x | z) p(z) dz. That integral is out of reach in general, so we
# bring in the encoder's guess q(z | x) and rewrite it as an average over q:
#
# $$ \log p(x) = \log \mathbb{E}_{z \sim q(z \mid x)}
#    \left[ \frac{p(x \mid z)\, p(z)}{q(z \mid x)} \right]
#    \;\ge\; \mathbb{E}_{q}\left[ \log p(x \mid z) \right]
#    - \mathrm{KL}\left( q(z \mid x) \,\|\, p(z) \right)
#    \;=\; \mathrm{ELBO}(x). $$
#
# The inequality is Jensen's (the log of an average is at least the average of the logs). It
# becomes an equality when q(z | x) is the true posterior p(z | x); in general
#
# $$ \log p(x) - \mathrm{ELBO}(x) = \mathrm{KL}\left( q(z \mid x) \,\|\, p(z \mid x)
#    \right) \;\ge\; 0. $$
#
# So the loss has two terms: a **reconstruction** term, −log p(x | z) for a z sampled from q, and
# a **KL** term. Their sum is the negative ELBO. Section 8 computes both sides of that equation.
#
# **Reconstruction.** As in notebook 01: the binary cross-entropy between the image and the
# decoded pixel probabilities, summed over the 784 pixels, in nats. On black-and-white images it
# is exactly −log p(x | z) of a decoder with one coin per pixel (a Bernoulli decoder). On our
# grey-level digits it is a score with the same formula, "BCE nats", whose meaning section 7
# makes precise.
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
from vaelab.exercises import kl as q


def kl(z_mean, z_log_var):
    # BEGIN SOLUTION
    return 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var, axis=1)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(kl)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ### Exercise: the reconstruction loss in Keras
#
# Inside a model the losses must be written with Keras operations (`keras.ops`, which run on
# every Keras backend), not NumPy. `keras.losses.binary_crossentropy(x, p)` gives one value per
# pixel (it averages over the last axis, the single grey channel). Write
# `reconstruction_loss(x, probabilities)`: one number per image, in nats.

# %%
from vaelab.exercises import reconstruction as q


def reconstruction_loss(x, probabilities):
    # BEGIN SOLUTION
    per_pixel = keras.losses.binary_crossentropy(x, probabilities)
    return ops.sum(per_pixel, axis=(1, 2))
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(reconstruction_loss)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ## 4. The decoder
#
# The decoder runs the encoder backwards: a `Dense` layer from z to the 14 × 14 × 64 values the
# encoder flattened, a `Reshape` back into that grid, a `Conv2DTranspose` with stride 2 that
# doubles it to 28 × 28 with 32 channels, and a last `Conv2D` with one channel and a *sigmoid*,
# so every output is a probability: the mean of a Bernoulli variable per pixel.
#
# ### Exercise: write the decoder
#
# Write `build_my_decoder(latent_dim)` with Keras's functional API, the chapter's layers
# (ReLU everywhere but the last layer), returning a `keras.Model`.

# %%
from vaelab.exercises import decoder as q


def build_my_decoder(latent_dim):
    # BEGIN SOLUTION
    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(14 * 14 * 64, activation="relu")(z)
    h = layers.Reshape((14, 14, 64))(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    pixels = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h)
    return keras.Model(z, pixels, name="decoder")
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(build_my_decoder)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ## 5. The model
#
# A VAE is a `keras.Model` with its own loss. `call(x)` runs the encoder and returns
# `(z_mean, z_log_var)`; Keras then calls `compute_loss(x=x, y_pred=(z_mean, z_log_var))`, where
# we sample z, decode it, and return the batch mean of `reconstruction + beta * KL` in nats per
# image. With `beta = 1` that is exactly the negative ELBO.
#
# ### Exercise: write the model
#
# Complete `MyVAE.compute_loss`. Use `self.sampler` (a `vaelab.Sampling` layer, the same step as
# your `sample` in Keras), `self.decoder`, and the two losses (`vaelab.reconstruction_loss` and
# `vaelab.kl_divergence` are the Keras versions of yours).

# %%
from vaelab.exercises import model as q


class MyVAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.beta = encoder, decoder, beta
        self.sampler = vaelab.Sampling(seed=0)

    def call(self, x):
        return self.encoder(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        # BEGIN SOLUTION
        reconstruction = self.decoder(self.sampler(z_mean, z_log_var))
        nats = vaelab.reconstruction_loss(x, reconstruction) + self.beta * vaelab.kl_divergence(
            z_mean, z_log_var
        )
        return ops.mean(nats)
        # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(MyVAE)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# Once the check says *Correct*, train your model briefly: build it from `vaelab.build_encoder(2)`
# and your decoder, compile it with the `"rmsprop"` optimizer (no `loss=`: the model brings its
# own) and `fit` it for one epoch on 1,000 training digits. Watch the loss fall from about 543
# nats. Nothing below depends on this cell.

# %%
# BEGIN SOLUTION
my_vae = MyVAE(vaelab.build_encoder(2), build_my_decoder(2))
my_vae.compile(optimizer="rmsprop")
my_vae.fit(x_train[:1_000], epochs=1, batch_size=16, verbose=2)
# END SOLUTION

# %% [markdown]
# Your model's own digits: reconstructions of test images (top: the originals) and new digits
# decoded from the prior. After one epoch on 1,000 digits they are rough; section 6 trains longer.

# %%
from vaelab.plotting import plot_prior_samples, plot_reconstructions

if "my_vae" in globals():
    plot_reconstructions(my_vae, x_test, n=8)
    plot_prior_samples(my_vae.decoder, n=8)
else:
    print("Train your model in the cell above to see its reconstructions and samples here.")

# %% [markdown]
# `vaelab.VAE` is the same model with two extras: it records the reconstruction and the KL as
# metrics, and it can reproduce the chapter's mistakes for notebook 03. `build_vae()` builds and
# compiles it; from here on the course uses it.
#
# Before training, the decoder outputs about 0.5 for every pixel, so the loss should be close to
# 784 · ln 2 ≈ 543 nats.

# %% tags=["nbval-check-output"]
from vaelab.metrics import elbo_terms, log_likelihood, neg_elbo
from vaelab.models import build_vae

keras.utils.set_random_seed(0)
vae = build_vae(latent_dim=2, beta=1.0, seed=0)
untrained = neg_elbo(vae, x_test[:500])
print(f"784 ln 2 = {784 * np.log(2):.0f} nats;  untrained model: {untrained:.0f} nats")

# %% [markdown]
# ## 6. Training
#
# `vaelab.training.train` wraps `fit` with vaelab's recipe: RMSprop, batch 16, and a learning
# rate that warms up and then decays (a Keras `CosineDecay` schedule). `benchmarks/README.md`
# shows how it compares with the chapter's own program. The live plot below redraws after each
# epoch; the KL, a few nats against the reconstruction's hundred and fifty, has its own panel.

# %%
from vaelab.plotting import live_history_plot
from vaelab.training import train

history = train(vae, x_train, validation_data=x_test, num_epochs=NUM_EPOCHS,
                callbacks=[live_history_plot()])

# %% [markdown]
# ## 7. How good is it, in nats?
#
# `elbo_terms` scores held-out images with one sample of z each (seeded, so the number is
# reproducible): the reconstruction, the KL, and their sum, the negative ELBO.

# %%
scores = elbo_terms(vae, x_test)
print(f"held-out negative ELBO: {scores['neg_elbo']:.1f} BCE nats per image "
      f"= reconstruction {scores['reconstruction_loss']:.1f} + KL {scores['kl_loss']:.1f}")

# %% [markdown]
# ### What kind of number is this?
#
# About 18% of MNIST's pixels are grey, neither 0 nor 1. A grey pixel is not a coin flip, so the
# summed BCE is not the log-probability of an image; and it cannot reach 0, even for a decoder
# that reproduces every grey level exactly.
#
# ### Exercise: predict, then check
#
# What is the smallest BCE any decoder can score on one pixel of grey level x = 0.3, in nats?

# %%
from vaelab.exercises import pixel_floor as q

floor = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))  # LEARNER: floor = ...

# %% tags=["nbval-check-output"]
q.check(floor)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# Summed over the pixels of an image, that floor is `vaelab.metrics.bce_floor`. Every BCE figure
# of this course contains it. Published VAE figures (around 85–100 nats with many latent
# dimensions) are on **binarised** MNIST, where the floor is 0 and the BCE is a true
# −log p(x | z): they cannot be compared with ours. To connect to them, score the same model on a
# fixed binarisation of the test digits (`vaelab.data.binarize`: a pixel is white when its grey
# level is above 0.5). Our model was trained on grey levels, so on binary digits it is a
# stranger, not a contender.

# %%
from vaelab.data import binarize
from vaelab.metrics import bce_floor

grey_floor = bce_floor(x_test)
print(f"grey-level test digits: negative ELBO {scores['neg_elbo']:.1f} BCE nats, of which "
      f"{grey_floor:.1f} is the floor no model removes")
binary_scores = elbo_terms(vae, binarize(x_test))
print(f"binarised test digits:  negative ELBO {binary_scores['neg_elbo']:.1f} nats "
      f"(floor {bce_floor(binarize(x_test)):.0f}): a real −log-likelihood bound")

# %% [markdown]
# ### The encoder's clouds
#
# Each image's code is a Gaussian cloud q(z | x), not a point. Below, four test digits: their
# 1σ and 2σ ellipses and 200 points sampled from each, the very points the decoder sees during
# training. The grey dots are the means z_mean of all test digits. Each cloud is small next to the
# whole map, but not next to its neighbours where the map is crowded: on the right, the most
# crowded cloud of the test set (black) with the means of other digits inside it. Such overlaps
# are what keep the decoder's map continuous.

# %%
from matplotlib.patches import Ellipse

from vaelab.latent import encode

z_mean, z_log_var = encode(vae.encoder, x_test)
sigma = np.exp(0.5 * z_log_var)
rng = np.random.default_rng(0)
fig, (ax, zoom) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
for panel in (ax, zoom):
    panel.scatter(z_mean[:, 0], z_mean[:, 1], s=2, c="lightgrey")
for colour, digit in zip(("C0", "C1", "C2", "C3"), (0, 1, 4, 7)):
    i = int(np.flatnonzero(y_test == digit)[0])
    points = z_mean[i] + sigma[i] * rng.standard_normal((200, 2))
    for panel in (ax, zoom):
        panel.scatter(points[:, 0], points[:, 1], s=3, color=colour, label=f"a {digit}")
        for scale in (1, 2):
            panel.add_patch(Ellipse(z_mean[i], 2 * scale * sigma[i, 0], 2 * scale * sigma[i, 1],
                                    fill=False, color=colour, lw=1.2))
ax.set(xlabel="z₁", ylabel="z₂", title="q(z | x) for four digits: 1σ, 2σ and samples")
ax.legend(loc="upper right")
# Zoom in where the map is crowded: the test digit whose 2σ box holds the most other means.
crowd = (np.abs(z_mean[:, None] - z_mean[None]) < 2 * sigma[:, None]).all(axis=-1).sum(axis=1) - 1
j = int(np.argmax(crowd))
points = z_mean[j] + sigma[j] * rng.standard_normal((200, 2))
zoom.scatter(points[:, 0], points[:, 1], s=3, color="black")
for scale in (1, 2):
    zoom.add_patch(Ellipse(z_mean[j], 2 * scale * sigma[j, 0], 2 * scale * sigma[j, 1],
                           fill=False, color="black", lw=1.2))
half = 4 * sigma[j].max()
zoom.set(xlim=(z_mean[j, 0] - half, z_mean[j, 0] + half),
         ylim=(z_mean[j, 1] - half, z_mean[j, 1] + half), xlabel="z₁",
         title=f"a crowded spot: {crowd[j]} other test digits' means inside a {y_test[j]}'s cloud");

# %% [markdown]
# ## 8. The true log-likelihood and the ELBO gap
#
# The ELBO is a *bound*. With a 2-D latent space we can compute the real thing,
#
# $$ \log p(x) = \log \int p(x \mid z)\, p(z)\, dz, $$
#
# by summing the integrand over a grid of z values. `log_likelihood` uses two grids: a fine one
# around each image's q(z | x), and one over the whole prior, decoded once (`PriorGrid`), which
# finds posterior mass far from where the encoder looked. (On grey-level digits this "log p(x)"
# is in BCE nats too: the same formula, not a probability of the image.)

# %%
from vaelab.metrics import PriorGrid

prior_grid = PriorGrid(vae.decoder)  # the decoder on 161 × 161 points over ±5, once
subset = x_test[:NUM_LIKELIHOOD_IMAGES]
log_px = log_likelihood(vae, subset, per_image=True, prior_grid=prior_grid)
elbo = -np.mean([neg_elbo(vae, subset, seed=s) for s in range(10)])
print(f"log p(x) = {log_px.mean():.1f} nats;  ELBO = {elbo:.1f} nats;  "
      f"gap = {log_px.mean() - elbo:.1f} nats")

# %% [markdown]
# ## 9. The true posterior
#
# With the same grid we can draw the true posterior p(z | x) = p(x | z) p(z) / p(x) of one image
# and lay the encoder's q(z | x) over it. The gap of that image, log p(x) − ELBO, is exactly
# KL(q ‖ p(z | x)): how much the encoder's single Gaussian misses. Below, among the first 40
# digits of the subset, the one with the smallest gap (left) and the one with the largest.

# %%
from vaelab.metrics import posterior_map
from vaelab.plotting import plot_posterior

maps = [posterior_map(vae, image, prior_grid=prior_grid) for image in subset[:40]]
gaps = np.array([m["gap"] for m in maps])
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
for ax, i in zip(axes, (int(np.argmin(gaps)), int(np.argmax(gaps)))):
    plot_posterior(maps[i], ax=ax)
    ax.inset_axes([0.02, 0.74, 0.24, 0.24]).imshow(subset[i, ..., 0], cmap="Greys_r")
    ax.child_axes[0].axis("off")

# %% [markdown]
# Where the heat-map and the ellipses agree, the gap is a few tenths of a nat. Where the posterior
# is bent, or has a second mode far from q (a digit the decoder can draw from two places), the
# encoder's Gaussian cannot follow and the gap grows. Pick other digits and watch both move:

# %%
from vaelab.widgets import PosteriorExplorer

PosteriorExplorer(vae, x_test, y_test, prior_grid=prior_grid)

# %% [markdown]
# ## 10. Saving and loading
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
# - Wrote the sampling step, the KL, the reconstruction loss, the decoder and the model
#   yourself, and checked each against `vaelab`.
# - Derived the ELBO, trained the VAE and scored it in BCE nats per image, with its floor.
# - Computed log p(x), drew the true posterior beside q(z | x), and read the gap between them.
# - Next, **03 · Spot the bug**: the original chapter got two of these formulas wrong.
