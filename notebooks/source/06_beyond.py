# %% [markdown]
# # 6 · Beyond
#
# The chapter's VAE is one point in a space of choices. This notebook moves along three axes: the
# weight β of the KL term, the size of the latent space, and the data.
#
# ## What you'll learn
#
# - how β trades sharp reconstructions for a tidy latent space, and the KL in **bits**;
# - **posterior collapse**: a setting where the code carries nothing, and free bits, a remedy;
# - why VAE digits look **blurry**: the mean image, not a sample;
# - what a larger `latent_dim` buys in nats, which dimensions it uses, and how to explore it;
# - training on Fashion-MNIST, on your own `.npz` file, and on full MNIST when you are online.

# %%
import os

import vaelab  # noqa: F401 (first: keeps TensorFlow's start-up lines out of the notebook)

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 500 if QUICK else 3_000
NUM_EPOCHS = 1 if QUICK else 2  # six models train here: a few minutes in all
NUM_LIKELIHOOD_IMAGES = 20 if QUICK else 50  # log p(x) in section 4
NUM_SAMPLES = 100 if QUICK else 300  # importance samples per image for the 8-D model
USE_FULL_MNIST = False  # True when online: 60,000 training digits (slower)

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from vaelab.data import load_fashion_mnist, load_mnist
from vaelab.metrics import elbo_terms
from vaelab.models import build_vae
from vaelab.plotting import plot_latent_manifold, plot_latent_scatter, plot_prior_samples
from vaelab.training import train

(x_train, y_train), (x_test, y_test) = load_mnist("full" if USE_FULL_MNIST else "auto")
x_small = x_train[:NUM_IMAGES]

# %% [markdown]
# ## 1. Rate and distortion: the KL weight β
#
# The loss is `reconstruction + beta * KL`. The two terms have names in information theory: the
# KL is the **rate**, what the code tells the decoder about each image beyond what the prior
# already says (in nats, or in bits after dividing by ln 2), and the reconstruction is the
# **distortion**, what the decoder still gets wrong (Alemi et al., *Fixing a Broken ELBO*, 2018,
# draw VAEs on this plane). At β = 1 the loss is the negative ELBO, their plain sum; β > 1 is the
# "β-VAE". We train four models that differ only in β and always report the *true* negative
# ELBO (β = 1), whatever β trained them.
#
# ### Exercise: predict before you train
#
# As β grows from the smallest value of the table below (0.5) to the largest (30), does the KL
# of the trained model go "up" or "down"? Commit to an answer here; the table then shows your
# run.

# %%
from vaelab.exercises import beta_effect as q

prediction = "down"  # LEARNER: prediction = ...  # "up" or "down"

# %% tags=["nbval-check-output"]
q.check(prediction)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %%
BETAS = (0.5, 1.0, 4.0, 30.0)
results, models = {}, {}
for beta in BETAS:
    keras.utils.set_random_seed(0)
    models[beta] = build_vae(beta=beta, seed=0)
    train(models[beta], x_small, num_epochs=NUM_EPOCHS, verbose=0)
    results[beta] = s = elbo_terms(models[beta], x_test)
    print(f"beta={beta:4}: reconstruction {s['reconstruction_loss']:6.1f}  "
          f"KL {s['kl_loss']:5.2f} nats = {s['kl_loss'] / np.log(2):5.2f} bits  "
          f"negative ELBO {s['neg_elbo']:6.1f} nats")

# %% [markdown]
# A smaller β makes bits of code cheap, so the model buys more of them and reconstructs better; a
# larger β makes them dear. One picture holds the whole trade-off: each model is a point, its rate
# across and its distortion up. A model trained with weight β minimizes distortion + β · rate, so
# (if training finds the optimum) it sits where a line of slope −β touches the set of reachable
# points. The dotted lines are the negative ELBO's contours (slope −1): the lower-left the contour
# a point sits on, the better its ELBO.

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.3), layout="constrained")
rate = np.array([results[b]["kl_loss"] for b in BETAS])
distortion = np.array([results[b]["reconstruction_loss"] for b in BETAS])
ax.plot(rate, distortion, "-", color="lightgrey", zorder=0)
for beta, r, d in zip(BETAS, rate, distortion):
    ax.scatter(r, d, s=40, zorder=2)
    ax.annotate(f"β = {beta:g}", (r, d), textcoords="offset points", xytext=(6, 6))
span = np.linspace(0, rate.max() * 1.1 + 0.5, 2)
for total in rate + distortion:
    ax.plot(span, total - span, ":", color="grey", lw=0.8)
ax.set(xlim=(-0.3, span[-1]), ylim=(distortion.min() - 5, distortion.max() + 5),
       xlabel="rate: KL, nats per image", ylabel="distortion: reconstruction, BCE nats",
       title="The β sweep on the rate–distortion plane");

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
for ax, beta in zip(axes, (0.5, 1.0, 4.0)):
    plot_latent_manifold(models[beta].decoder, n=10, ax=ax)
    ax.set_title(f"beta = {beta}")

# %% [markdown]
# Compare the rate of the β = 1 model, in bits (your table), with the 2 × 32 bits of the two
# floating-point numbers that hold its code: the two numbers are a fine *address*, but the noise
# of q(z | x) blurs all but its leading bits, and the KL prices only the bits that survive. (A
# short training, such as quick mode's single epoch, can leave narrow clouds and a higher rate.)
#
# ## 2. Posterior collapse
#
# At β = 30 the KL dominates the loss, which pushes towards q(z | x) = N(0, I) for *every* image (a
# rate of 0) and a decoder that ignores z and draws the average digit. If it gets there, the code
# carries nothing: this is **posterior collapse**, the left end of the picture above. It appears
# whenever a code costs more in KL than it saves in reconstruction; with a powerful decoder (one
# that can model the pixels without z, such as an autoregressive one) it happens even at β = 1.

# %%
plot_prior_samples(models[30.0].decoder, n=8).suptitle("β = 30: samples from the prior");

# %% [markdown]
# If the β = 30 row of the table shows a KL near 0, the eight "samples" are one and the same
# blur: the decoder draws it wherever z is. Watch for this in your own models: a KL of (almost)
# zero nats means an autoencoder that forgot its code. Two remedies are standard:
#
# - **KL annealing** (Bowman et al., 2016): start training with β = 0 and raise it to 1 over the
#   first epochs, so that the decoder learns to use z before the KL makes z expensive;
# - **free bits** (Kingma et al., 2016): charge the KL of each latent dimension only above a
#   floor of λ nats, so that the encoder may spend λ nats per dimension without a price.
#
# Free bits is one line of the loss: each dimension's KL, averaged over the batch, is charged as
# max(λ, KL), so below λ it costs a constant and no gradient pushes it further down.
# `build_vae(free_bits=λ)` does that (the `kl_loss` it reports stays the true KL). Train the
# β = 30 model again, the same way, with λ = 2 nats per dimension:

# %%
keras.utils.set_random_seed(0)
floored = build_vae(beta=30.0, free_bits=2.0, seed=0)
train(floored, x_small, num_epochs=NUM_EPOCHS, verbose=0)
s = elbo_terms(floored, x_test)
for name, terms in (("β = 30", results[30.0]), ("β = 30, free bits λ = 2", s)):
    print(f"{name:24s} KL {terms['kl_loss']:5.2f} nats  reconstruction "
          f"{terms['reconstruction_loss']:6.1f}  negative ELBO {terms['neg_elbo']:6.1f}")
plot_prior_samples(floored.decoder, n=8).suptitle("β = 30 with free bits: samples from the prior");

# %% [markdown]
# Compare the two rows: with its first nats free, the model keeps more of a code than the β = 30
# model of the table and reconstructs better with it. The β of the loss is the same; only the
# price of the first nats changed.
#
# ## 3. Why VAE digits look blurry
#
# The decoder returns, for each pixel, the *probability* that it is white: the **mean** of its
# pixel distribution. Every figure of this course shows that mean. A *sample* from the model
# flips a coin for each pixel with that probability. Compare the two for a few prior draws:

# %%
from vaelab.latent import decode

rng = np.random.default_rng(0)
means = decode(models[1.0].decoder, rng.standard_normal((6, 2)).astype("float32"))
samples = (rng.uniform(size=means.shape) < means).astype("float32")
fig, axes = plt.subplots(2, 6, figsize=(7, 2.6), layout="constrained")
for column, (mean, sample) in enumerate(zip(means, samples)):
    axes[0, column].imshow(mean[..., 0], cmap="Greys_r", vmin=0, vmax=1)
    axes[1, column].imshow(sample[..., 0], cmap="Greys_r", vmin=0, vmax=1)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("mean")
axes[1, 0].set_ylabel("sample");

# %% [markdown]
# The samples are speckled: each pixel is drawn on its own, so the decoder cannot say "this
# stroke *or* that one", only "each pixel here is white with probability 0.4". Where the model is
# unsure between two strokes, the mean is grey in both places: that grey is the blur. Sharper
# VAEs need decoders whose pixels depend on each other, or a lower β (section 1), which
# buys sharper means with a less tidy latent space.
#
# ## 4. A larger latent space
#
# Two dimensions make a map we can draw, but they are a tight bottleneck. With `latent_dim = 8`
# the model has room to describe digits in fewer nats; the cell compares it with the β = 1 model
# of section 1, trained the same way (a short training may not have used that room yet: compare
# the two lines).
#
# In eight dimensions no grid can integrate p(x | z) p(z) (a grid of 100 points per axis would
# have 10¹⁶ points), so `log_likelihood` *estimates* log p(x) by **importance sampling**: it
# draws K codes from q(z | x) and averages p(x | z) p(z) / q(z | x), the ratio inside the ELBO's
# derivation, before taking the log. With K = 1 that is the one-sample ELBO; as K grows the
# estimate rises towards log p(x), always from below on average (Burda et al., 2016, call it the
# importance-weighted bound). The 2-D model's log p(x) comes from the grid, as in the notebook
# *Evaluating the VAE*.

# %%
from vaelab.metrics import log_likelihood

keras.utils.set_random_seed(0)
vae8 = build_vae(latent_dim=8, seed=0)
train(vae8, x_small, num_epochs=NUM_EPOCHS, verbose=0)
few = x_test[:NUM_LIKELIHOOD_IMAGES]  # both measures on the same digits: −log p(x) ≤ −ELBO
estimates = {k: log_likelihood(vae8, few, num_samples=k) for k in (1, 10, NUM_SAMPLES)}
log_px = {"latent_dim=2": log_likelihood(models[1.0], few), "latent_dim=8": estimates[NUM_SAMPLES]}
print(f"the first {len(few)} test digits, nats per digit:")
for name, model in (("latent_dim=2", models[1.0]), ("latent_dim=8", vae8)):
    print(f"{name}: negative ELBO {elbo_terms(model, few)['neg_elbo']:6.1f};  "
          f"−log p(x) {-log_px[name]:6.1f}")
for k, estimate in estimates.items():
    print(f"latent_dim=8, K = {k:4d}: log p(x) ≈ {estimate:.2f}")

# %% [markdown]
# The estimate grows with K, as the bound says. Does the model use all eight dimensions? The KL
# per dimension says how much each one carries.
# A dimension whose KL is about 0 is *inactive*: its q(z | x) is the prior for every image, so the
# decoder learns to ignore it (collapse, one dimension at a time). After a short training every
# dimension may still carry a little; with a larger β or more dimensions, some drop to zero.
#
# ### Exercise: the KL of each dimension
#
# Write `kl_per_dimension(z_mean, z_log_var)`: for codes of shape (images, dimensions), the KL
# of each latent dimension, averaged over the images (shape: one value per dimension).

# %%
from vaelab.exercises import kl_per_dimension as q


def kl_per_dimension(z_mean, z_log_var):
    # BEGIN SOLUTION
    return 0.5 * np.mean(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=0)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(kl_per_dimension)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %% [markdown]
# The 8-D model's dimensions (computed here, whether or not your function is done). A second,
# common count of the dimensions in use is the number of **active units** (Burda et al., 2016):
# dimensions whose μ varies across the images by more than 0.01 (variance), since a dimension
# whose μ is the same for every image tells the decoder nothing.

# %%
from vaelab.latent import encode

z_mean, z_log_var = encode(vae8.encoder, x_test)
kl_dims = 0.5 * np.mean(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=0)
active = np.var(z_mean, axis=0) > 0.01
print(f"active units: {active.sum()} of 8;  KL per dimension: {np.round(kl_dims, 2)} nats")
fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
ax.bar([f"z{i + 1}" for i in range(8)], kl_dims, color=["C0" if a else "C7" for a in active])
ax.set_ylabel("KL, nats per image")
ax.set_title(f"latent_dim = 8: {kl_dims.sum():.1f} nats in all (grey: inactive)");

# %%
from vaelab.widgets import LatentExplorer

LatentExplorer(vae8.decoder)

# %% [markdown]
# ## 5. Other data
#
# **Fashion-MNIST** has the same shape as MNIST (28 × 28 grey images, 10 classes) but shows
# clothes. Offline, `load_fashion_mnist` reads Debian's `dataset-fashion-mnist` package; online it
# downloads through Keras.

# %%
try:
    (f_train, f_labels), (f_test, f_test_labels) = load_fashion_mnist()
except FileNotFoundError as error:
    print(error)
else:
    # keep only what we use: the full 70,000 images take 220 MB as floats
    f_train, f_test = f_train[:NUM_IMAGES].copy(), f_test[:2000].copy()
    f_test_labels = f_test_labels[:2000].copy()
    del f_labels
    keras.utils.set_random_seed(0)
    fashion_vae = build_vae(seed=0)
    train(fashion_vae, f_train, num_epochs=NUM_EPOCHS, verbose=0)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    plot_latent_manifold(fashion_vae.decoder, n=10, ax=axes[0])
    plot_latent_scatter(fashion_vae.encoder, f_test, f_test_labels, ax=axes[1])

# %% [markdown]
# **Your own images:** save them as `numpy.savez("mine.npz", x=images, y=labels)` with `images` of
# shape `(N, 28, 28)`, uint8 or floats in [0, 1]; then `vaelab.load_npz("mine.npz")` or, from a
# terminal, `vaelab train --dataset mine.npz`.
#
# **Full MNIST:** set `USE_FULL_MNIST = True` at the top when you are online: the scores then use
# all 10,000 test digits, and raising `NUM_IMAGES` (up to 60,000) trains on more of the training
# digits. In a terminal, `vaelab train --dataset mnist --epochs 5` trains the course's model on
# all 60,000 with the same defaults: 7.5 times the 8,000 digits of the pretrained model.
#
# ## What we did
#
# - Traded reconstruction against KL with β and watched the map change; counted the KL in bits.
# - Made a posterior collapse on purpose, undid it with free bits at the same β, and saw why
#   the digits we show are blurry means.
# - Gave the model more latent dimensions, saw which ones it uses, and explored them with sliders.
# - Trained on Fashion-MNIST, and saw how to bring your own data or full MNIST.
# - That is the course. The `vaelab` package is yours to reuse: every function used here has a
#   docstring naming the notebook that introduces it.
