# %% [markdown]
# # 2 · Building the VAE
#
# A variational autoencoder keeps the encoder–decoder shape of notebook 01 but starts from the
# other end: from a story of how an image is *made*. This notebook follows the argument in the
# order it is usually understood, and only then writes the code.
#
# ## What you'll learn
#
# - the **generative story**: a code z drawn from a prior, pixels drawn from a decoder;
# - why the probability of an image, p(x), is hard to compute, and what the encoder is for;
# - the **ELBO**, derived in a few lines, and how training estimates it with one random z;
# - why the gradient of that estimate needs the **reparameterization trick** (variance, not
#   a missing derivative);
# - the encoder, the sampling step, the two losses, the decoder and the model: written by you,
#   checked against `vaelab`; then training with a live loss curve.
#
# The model is due to Kingma & Welling, *Auto-Encoding Variational Bayes* (2013,
# arXiv:1312.6114) and, at the same time, Rezende, Mohamed & Wierstra, *Stochastic
# Backpropagation and Approximate Inference in Deep Generative Models* (ICML 2014,
# arXiv:1401.4082). The next notebook, *Evaluating the VAE*, measures what we train here.

# %%
import os

import vaelab  # first, before Keras: keeps TensorFlow's start-up lines out of the notebook

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 8_000
NUM_EPOCHS = 1 if QUICK else 4  # vaelab's recipe (its default is 5); 4 keep this under 5 minutes
NUM_DRAWS = 1_000 if QUICK else 10_000  # prior draws in section 2

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers, ops
from scipy.special import logsumexp

from vaelab.data import load_mnist
from vaelab.metrics import bernoulli_log_likelihood

(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = x_train[:NUM_IMAGES]
trained = vaelab.load_vae("mnist")  # a finished model, to look at before we build our own

# %% [markdown]
# ## 1. The generative story
#
# A VAE is a claim about how a digit comes about, in two draws:
#
# 1. draw a code z from the **prior** p(z) = N(0, I), a standard Gaussian in 2 dimensions;
# 2. draw the 784 pixels from the **decoder**'s p(x | z): the decoder is a network that turns z
#    into one probability per pixel, and each pixel is white with that probability (a
#    *Bernoulli* decoder, one coin per pixel).
#
# The cell below runs the story with the course's pretrained decoder: eight codes from the prior,
# the probabilities the decoder gives them (top), and one draw of the pixels from each (bottom).
# The figures of the course show the top row, the *mean* of p(x | z); notebook 06 comes back to
# why the bottom row is speckled.

# %%
rng = np.random.default_rng(0)
z = rng.standard_normal((8, 2)).astype("float32")  # step 1: z ~ p(z)
probabilities = vaelab.decode(trained.decoder, z)  # the decoder: p(x | z), pixel by pixel
pixels = (rng.uniform(size=probabilities.shape) < probabilities).astype("float32")  # step 2
fig, axes = plt.subplots(2, 8, figsize=(9, 2.5), layout="constrained")
for column in range(8):
    axes[0, column].imshow(probabilities[column, ..., 0], cmap="Greys_r", vmin=0, vmax=1)
    axes[1, column].imshow(pixels[column, ..., 0], cmap="Greys_r", vmin=0, vmax=1)
    axes[0, column].set_title(f"z=({z[column, 0]:.1f}, {z[column, 1]:.1f})", fontsize=7)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("p(x | z)")
axes[1, 0].set_ylabel("x");

# %% [markdown]
# ## 2. Why p(x) is hard
#
# Training should make the real digits likely under this story: raise, for each training image,
#
# $$ \log p(x) = \log \int p(x \mid z)\, p(z)\, dz = \log \mathbb{E}_{z \sim p(z)}
#    \left[ p(x \mid z) \right]. $$
#
# An average over the prior: draw many z, decode each, average p(x | z). The trouble is that
# almost every z decodes to a different digit, for which p(x | z) is astronomically small; the
# average is carried by the few draws that land where *this* image's codes live. The cell
# below estimates log p(x) of the first test digit this way, four times with different draws,
# and reports how many draws carry 99% of the sum.

# %%
x = x_test[:1]
draws = np.random.default_rng(1).standard_normal((4, NUM_DRAWS, 2)).astype("float32")
log_p = np.stack([bernoulli_log_likelihood(x, vaelab.decode(trained.decoder, d)[:, None])[:, 0]
                  for d in draws])  # log p(x | z) for every draw, shape (4, NUM_DRAWS)
for n in (10, 100, NUM_DRAWS):
    estimates = logsumexp(log_p[:, :n], axis=1) - np.log(n)  # log of the mean of p(x | z)
    weights = np.sort(np.exp(log_p[0, :n] - logsumexp(log_p[0, :n])))[::-1]
    carrying = int(np.searchsorted(np.cumsum(weights), 0.99)) + 1
    print(f"{n:6,d} draws: log p(x) ≈ {np.round(estimates, 1)} nats; "
          f"{carrying} of the draws carry 99% of the sum")

# %% [markdown]
# With a few draws the estimates disagree by tens of nats; with thousands they agree, but only
# a small share of the draws does the work. The useful draws are those inside the small region where
# the decoder draws *this* digit, and its share of the prior shrinks with every dimension: if it
# is a tenth of each axis, it is 1/100 of a 2-D prior and 10⁻²⁰ of a 20-D one. No number of
# prior draws reaches it then. (In 2-D a grid can still do the integral: the notebook
# *Evaluating the VAE* does exactly that.)
#
# The way out is to **ask where to look**. A second network, the **encoder**, reads the image and
# proposes a Gaussian q(z | x) around the codes that could have made it. Its ideal answer would
# be the *posterior* p(z | x) = p(x | z) p(z) / p(x) (Bayes' rule), but that needs p(x), the
# very thing we cannot compute. So the encoder only *approximates* it, and the loss tells us how
# good the approximation is.
#
# ## 3. The ELBO
#
# Multiply and divide by q inside the integral: the average over the prior becomes an average
# over q,
#
# $$ \log p(x) = \log \mathbb{E}_{z \sim q(z \mid x)}
#    \left[ \frac{p(x \mid z)\, p(z)}{q(z \mid x)} \right]
#    \;\ge\; \mathbb{E}_{q}\left[ \log p(x \mid z) + \log p(z) - \log q(z \mid x) \right]
#    \;=\; \mathbb{E}_{q}\left[ \log p(x \mid z) \right]
#    - \mathrm{KL}\left( q(z \mid x) \,\|\, p(z) \right)
#    \;=\; \mathrm{ELBO}(x). $$
#
# The inequality is **Jensen's**: the log is concave, so the log of an average is at least the
# average of the logs. The **KL divergence** of two distributions is
# KL(q ‖ p) = E_q[log q(z) − log p(z)]: zero when q = p, positive otherwise. The bound is tight
# exactly when q(z | x) is the true posterior; in general (substitute
# p(z | x) = p(x | z) p(z) / p(x) into the KL on the left to see it)
#
# $$ \log p(x) - \mathrm{ELBO}(x) = \mathrm{KL}\left( q(z \mid x) \,\|\, p(z \mid x)
#    \right) \;\ge\; 0. $$
#
# So the ELBO can rise in two ways: log p(x) rises (a better decoder), or q moves towards the true
# posterior (a smaller gap); training usually does both. The loss we minimize is the **negative
# ELBO**, with two terms:
#
# - **reconstruction**, −E_q[log p(x | z)]: for a Bernoulli decoder, the binary cross-entropy
#   between the image and the decoded probabilities, summed over the 784 pixels, in nats (as in
#   notebook 01);
# - **KL**, the price of the code. For a Gaussian q(z | x) = N(μ, σ²) per dimension against the
#   prior N(0, 1) it has a closed form, summed over the latent dimensions:
#
# $$ \mathrm{KL} = \tfrac{1}{2} \sum_j \left( \sigma_j^2 + \mu_j^2 - 1 - \log \sigma_j^2 \right). $$
#
# For one image the KL is smallest at μ = 0 and σ = 1: it pulls each image's cloud towards the
# centre and keeps it wide, so that the clouds of different images overlap and leave no gaps.
#
# ## 4. Estimating the ELBO by sampling
#
# The KL has a formula; the reconstruction term, an average over q of a decoder's output, does not.
# Training estimates it with **one** z drawn from q(z | x) per image and per step. The estimate is
# noisy but unbiased (right on average), and the noise averages out over a batch and over many
# steps. The same digit as above, with the trained model's encoder choosing where to draw:

# %%
mu_x, log_var_x = vaelab.encode(trained.encoder, x)
kl_x = float(vaelab.kl_divergence(mu_x, log_var_x)[0])  # section 3's formula, in Keras
print(f"q(z | x): μ = {np.round(mu_x[0], 2)}, log σ² = {np.round(log_var_x[0], 2)};  "
      f"KL = {kl_x:.2f} nats")
for n in (1, 10, 1_000):
    estimates = []
    for _ in range(4):
        # The trained model's own sampling step draws z from q(z | x) (you write it in section 5).
        z = trained.sampler(np.repeat(mu_x, n, axis=0), np.repeat(log_var_x, n, axis=0))
        probabilities = vaelab.decode(trained.decoder, keras.ops.convert_to_numpy(z))[:, None]
        estimates.append(bernoulli_log_likelihood(x, probabilities).mean() - kl_x)
    print(f"{n:5,d} draws from q: ELBO ≈ {np.round(estimates, 1)} nats")

# %% [markdown]
# Even one draw from q lands where p(x | z) is large: its estimates scatter by a few nats, not
# tens, and settle close to section 2's estimate from thousands of draws. The bound says they
# sit below log p(x) *on average*: a single draw can land above it. With many draws the estimate
# settles a little below log p(x); that difference is the gap, smaller here than the noise of
# section 2's estimate (the notebook *Evaluating the VAE* measures it exactly, on a grid).
#
# ## 5. Why the gradient needs the reparameterization trick
#
# Training needs the gradient of E_q[f(z)] (f = log p(x | z)) with respect to the encoder's μ
# and σ. There are two unbiased ways to estimate it from samples:
#
# - the **score function** (REINFORCE): ∇_μ E_q[f(z)] = E_q[f(z) ∇_μ log q(z)], which for a
#   Gaussian is E_q[f(z) (z − μ) / σ²]. It works for any f, even one without a derivative, but
#   it multiplies the *value* of f, about −150 nats here, by a random factor;
# - the **reparameterization**: write z = μ + σ ε with ε ~ N(0, 1) drawn *outside* the model.
#   Then E_q[f(z)] = E_ε[f(μ + σ ε)], and its gradient is E_ε[f′(μ + σ ε)]: it uses the slope
#   of f, and a backward pass computes it for every sample.
#
# Both average to the same gradient; they differ in **variance**. A one-dimensional stand-in
# for log p(x | z), a parabola 150 nats below zero and as narrow as a posterior, shows by how
# much (σ = 0.1, the encoder's current μ at 0, the best z at 0.3):

# %% tags=["nbval-check-output"]
def f(z):
    return -150.0 - (z - 0.3) ** 2 / (2 * 0.1**2)


def f_slope(z):
    return -(z - 0.3) / 0.1**2


mu, sd = 0.0, 0.1
epsilon = np.random.default_rng(0).standard_normal(100_000)
z = mu + sd * epsilon
score = f(z) * (z - mu) / sd**2  # one gradient estimate per sample
reparameterized = f_slope(z)
print(f"true gradient:                {f_slope(mu):8.1f}")
for name, estimate in (("score function", score), ("reparameterization", reparameterized)):
    print(f"{name + ':':29s} {estimate.mean():8.1f}  ± {estimate.std():7.1f} (one sample)")
ratio = score.var() / reparameterized.var()
print(f"score-function samples worth one reparameterized sample: {ratio:,.0f}")
baselined = (f(z) - f(z).mean()) * (z - mu) / sd**2  # the score function, f minus its mean
ratio = baselined.var() / reparameterized.var()
print(f"{'the same, with a baseline subtracted from f:':56s} {ratio:,.0f}")

# %% [markdown]
# Both are right on average, but one score-function sample is off by about fifty times the
# gradient itself, and it takes the average of tens of thousands of them (the ratio of the
# variances) to be as accurate as one reparameterized sample. Subtracting a baseline from f, the
# usual remedy (last line), narrows the gap but does not close it. That is why the VAE samples as
#
# $$ z = \mu + \sigma \cdot \varepsilon, \qquad \varepsilon \sim N(0, 1). $$
#
# The encoder does not output σ. It outputs `z_mean` = μ and `z_log_var` = log σ², the *log* of
# the **variance**, because that can be any real number while a variance must be positive.
#
# ### Exercise: write the sampling step
#
# `sample(z_mean, z_log_var, epsilon)` should return z, with NumPy. You get σ from `z_log_var`
# yourself: which function undoes a log, and what lies between a variance and a standard
# deviation?

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
# ## 6. The code: an encoder that outputs a distribution
#
# The convolutional trunk is the one from notebook 01. At the end, instead of one `Dense` layer
# for the code, there are two heads of `latent_dim` units each: `z_mean` and `z_log_var`.

# %% tags=["nbval-check-output"]
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
print("my encoder:    ", f"{my_encoder.count_params():,}", "parameters")
print("vaelab encoder:", f"{vaelab.build_encoder(latent_dim).count_params():,}", "parameters")

# %% [markdown]
# Same layers, same count: from here on we use `vaelab.build_encoder`, which is exactly these
# layers. In Keras the sampling step is a layer too, `vaelab.Sampling`: your `sample`, with ε
# drawn from a seeded `keras.random.SeedGenerator`.
#
# ### Exercise: the KL by sampling
#
# The KL has a closed form (section 3), but it is also an average, KL(q ‖ p) =
# E_q[log q(z) − log p(z)], and can be estimated by sampling like the reconstruction term. Write
# `kl_estimate(z_mean, z_log_var, epsilon)`: for codes of shape (images, dimensions) and noise
# `epsilon` of shape (draws, images, dimensions), the Monte Carlo estimate of each image's KL.
# (`scipy.stats.norm.logpdf(z, loc, scale)` is the log density of a Gaussian.)

# %%
from scipy.stats import norm

from vaelab.exercises import kl_estimate as q


def kl_estimate(z_mean, z_log_var, epsilon):
    # BEGIN SOLUTION
    sigma = np.exp(0.5 * z_log_var)
    z = z_mean + sigma * epsilon
    log_ratio = norm.logpdf(z, z_mean, sigma) - norm.logpdf(z)
    return log_ratio.sum(axis=-1).mean(axis=0)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(kl_estimate)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %%
# The estimate for the first test digit as the draws grow (computed here, whether or not your
# function is done), against the closed form: it wanders, then settles.
draws = np.arange(1, 20_001)
sigma_x = np.exp(0.5 * log_var_x)
epsilon = np.random.default_rng(2).standard_normal((len(draws), 2))
z = mu_x[0] + sigma_x[0] * epsilon
log_ratio = np.sum(norm.logpdf(z, mu_x[0], sigma_x[0]) - norm.logpdf(z), axis=1)
fig, ax = plt.subplots(figsize=(6.5, 2.8), layout="constrained")
ax.plot(draws, np.cumsum(log_ratio) / draws, label="Monte Carlo estimate")
ax.axhline(kl_x, color="black", ls="--", label=f"closed form, {kl_x:.2f} nats")
ax.set(xscale="log", xlabel="draws from q", ylabel="KL, nats", title="KL(q ‖ p) by sampling")
ax.legend();

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
# ## 7. The decoder
#
# The decoder runs the encoder backwards: a `Dense` layer from z to the 14 × 14 × 64 values the
# encoder flattened, a `Reshape` back into that grid, a `Conv2DTranspose` with stride 2 that
# doubles it to 28 × 28 with 32 channels, and a last `Conv2D` with one channel and a *sigmoid*,
# so every output is a probability: the mean of a Bernoulli variable per pixel.
#
# ### Exercise: write the decoder
#
# Write `build_my_decoder(latent_dim)` with Keras's functional API, the chapter's layers
# (3 × 3 kernels and `padding="same"` as in the encoder, ReLU everywhere but the last layer),
# returning a `keras.Model`.

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
# ## 8. The model
#
# A VAE is a `keras.Model` with its own loss. `call(x)` runs the encoder and returns
# `(z_mean, z_log_var)`; Keras then calls `compute_loss(x=x, y_pred=(z_mean, z_log_var))`, where
# we sample z, decode it, and return the batch mean of `reconstruction + beta * KL` in nats per
# image. With `beta = 1` that is the one-sample estimate of the negative ELBO of section 4.
#
# ### Exercise: write the model
#
# Complete `MyVAE.compute_loss`. Use `self.sampler` (a `vaelab.Sampling` layer), `self.decoder`,
# and the two losses: `vaelab.reconstruction_loss`, the Keras version of yours, and
# `vaelab.kl_divergence`, the closed-form KL of section 3 in Keras.
#
# Once the check says *Correct*, the cell after it trains your model briefly: built from
# `vaelab.build_encoder(2)` and your decoder, compiled with the `"rmsprop"` optimizer, and trained
# for one epoch on 1,000 digits with `vaelab.training.train` (section 9 says what it adds to Keras'
# `fit`: among others a learning rate that warms up, without which the first steps of this model
# can blow up), it shows its reconstructions of test images (top: the originals) and digits decoded
# from the prior. The line printed is the epoch's *average* loss; an untrained decoder, saying
# about 0.5 for every pixel, starts near 784 · ln 2 ≈ 543 nats (section 9 prints it). One short
# epoch gives blurry, similar digits: the check above, not this picture, says your code is right.
# Nothing below depends on that cell.

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

# %%
from vaelab.plotting import plot_prior_samples, plot_reconstructions

# BEGIN SOLUTION
from vaelab.training import train

my_vae = MyVAE(vaelab.build_encoder(2), build_my_decoder(2))
my_vae.compile(optimizer="rmsprop")  # no loss=: the model brings its own
train(my_vae, x_train[:1_000], num_epochs=1, verbose=2)
plot_reconstructions(my_vae, x_test, n=8)
plot_prior_samples(my_vae.decoder, n=8);
# END SOLUTION

# %% [markdown]
# ## 9. Training
#
# `vaelab.VAE` is the same model with two extras: it records the reconstruction and the KL as
# metrics, and it can reproduce the chapter's mistakes for the notebook *Spot the bug*.
# `build_vae()` builds and compiles it; `vaelab.training.train` wraps `fit` with vaelab's recipe:
# RMSprop, batch 16, and a learning rate that warms up and then decays (a Keras `CosineDecay`
# schedule). The live plot redraws after each epoch; the KL, much smaller than the
# reconstruction, has its own panel.

# %%
from vaelab.metrics import neg_elbo
from vaelab.models import build_vae
from vaelab.plotting import live_history_plot
from vaelab.training import train

keras.utils.set_random_seed(0)
vae = build_vae(latent_dim=2, beta=1.0, seed=0)
print(f"784 ln 2 = {784 * np.log(2):.0f} nats;  untrained: {neg_elbo(vae, x_test[:500]):.0f} nats")
history = train(vae, x_train, validation_data=x_test, num_epochs=NUM_EPOCHS,
                callbacks=[live_history_plot()])

# A trained model saves to one .keras file and loads back with vaelab.load_vae (safe_mode on).
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:  # removed again after the cell
    path = Path(folder) / "my_vae.keras"
    vae.save(path)
    again = vaelab.load_vae(path)
origin = np.zeros((1, 2))
print("same decoder output:", np.array_equal(again.decoder(origin), vae.decoder(origin)))

# %% [markdown]
# ## What we did
#
# - Told the generative story, z ~ p(z) and x ~ p(x | z), and saw why p(x), an average over the
#   prior, needs an encoder that says where to look.
# - Derived the ELBO with Jensen's inequality: reconstruction minus KL, tight when q(z | x) is
#   the true posterior; estimated it with one draw of z.
# - Measured why the gradient uses z = μ + σ ε: the score function is unbiased too, but its
#   variance is far larger.
# - Wrote the sampling step, a Monte Carlo KL, the reconstruction loss, the decoder and the
#   model yourself, checked each against `vaelab`, and trained the VAE.
# - Next, *Evaluating the VAE*: what its score in nats means, its true log p(x), and the true
#   posterior beside the encoder's guess.
