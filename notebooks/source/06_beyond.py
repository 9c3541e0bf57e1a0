# %% [markdown]
# # 6 · Beyond
#
# The chapter's VAE is one point in a space of choices. This notebook moves along three axes: the
# weight β of the KL term, the size of the latent space, and the data.
#
# ## What you'll learn
#
# - how β trades sharp reconstructions for a tidy latent space, and the KL in **bits**;
# - **posterior collapse**: a setting where the code carries nothing;
# - why VAE digits look **blurry**: the mean image, not a sample;
# - what a larger `latent_dim` buys in nats, which dimensions it uses, and how to explore it;
# - training on Fashion-MNIST, on your own `.npz` file, and on full MNIST when you are online.

# %%
import os

import vaelab  # noqa: F401 (first: keeps TensorFlow's start-up lines out of the notebook)

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 500 if QUICK else 4_000
NUM_EPOCHS = 1 if QUICK else 3
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
# ## 1. The KL weight β
#
# The loss is `reconstruction + beta * KL`. At β = 1 it is the negative ELBO. A smaller β lets each
# code's cloud shrink and wander, which sharpens reconstructions; a larger β pulls codes towards the
# prior, which smooths the map and blurs the digits (β > 1 is the "β-VAE"). We train three models
# and
# always report the *true* negative ELBO (β = 1), whatever β trained them.

# %%
results = {}
models = {}
for beta in (0.5, 1.0, 4.0):
    keras.utils.set_random_seed(0)
    vae = build_vae(beta=beta, seed=0)
    train(vae, x_small, num_epochs=NUM_EPOCHS, verbose=0)
    models[beta] = vae
    results[beta] = elbo_terms(vae, x_test)
    s = results[beta]
    print(f"beta={beta}: reconstruction {s['reconstruction_loss']:6.1f}  KL {s['kl_loss']:5.2f}  "
          f"negative ELBO {s['neg_elbo']:6.1f} nats")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
for ax, (beta, vae) in zip(axes, models.items()):
    plot_latent_manifold(vae.decoder, n=10, ax=ax)
    ax.set_title(f"beta = {beta}")

# %% [markdown]
# ### Exercise: read your own results
#
# As β grows from 0.5 to 4, does the KL term of the trained model go "up" or "down"? Answer from
# the table your run printed above; the check reads the same table (`results`).

# %%
from vaelab.exercises import beta_effect as q

answer = "down"  # LEARNER: answer = ...  # "up" or "down"

# %% tags=["nbval-check-output"]
q.check(answer, results)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ### Exercise: the KL in bits
#
# The KL term is the price of the code: how much the encoder tells the decoder about each image,
# beyond what the prior already says. Notebook 00 counted the code as 2 numbers, 392 times
# fewer than the pixels; information counts it in **bits**. Turn the KL of the β = 1 model
# (`results[1.0]["kl_loss"]`, in nats per image) into bits per image.

# %%
from vaelab.exercises import kl_bits as q

kl_nats = results[1.0]["kl_loss"]
bits = kl_nats / np.log(2)  # LEARNER: bits = ...

# %% tags=["nbval-check-output"]
q.check(bits, kl_nats)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# A few bits per image: far fewer than the 2 × 32 bits of two floating-point numbers. The two
# numbers are a fine *address*, but the noise of q(z | x) blurs all but the first few bits of it,
# and the KL counts only what survives.
#
# ## 2. Posterior collapse
#
# Push β high enough and a different thing happens: the KL wins outright. The cheapest loss is
# then q(z | x) = N(0, I) for *every* image (KL = 0) and a decoder that ignores z and draws the
# average digit. The code carries nothing: this is **posterior collapse**. It appears whenever a
# code costs more in KL than it saves in reconstruction; with a powerful decoder (one that can
# model the pixels without z) it happens even at β = 1.

# %%
keras.utils.set_random_seed(0)
collapsed = build_vae(beta=30.0, seed=0)
train(collapsed, x_small, num_epochs=NUM_EPOCHS, verbose=0)
s = elbo_terms(collapsed, x_test)
print(f"beta=30: reconstruction {s['reconstruction_loss']:.1f}, KL {s['kl_loss']:.3f} nats "
      f"= {s['kl_loss'] / np.log(2):.3f} bits per image")
plot_prior_samples(collapsed.decoder, n=8).suptitle("β = 30: samples from the prior");

# %% [markdown]
# If the KL printed above is near 0, the eight "samples" are one and the same blur: the decoder
# draws it wherever z is. Watch for this in your own models: a KL of (almost) zero nats means an
# autoencoder that forgot its code.
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
# Two dimensions make a map we can draw, but they are a tight bottleneck. With `latent_dim = 8` the
# model describes digits in fewer nats. The explorer then shows one slider per dimension.

# %%
keras.utils.set_random_seed(0)
vae8 = build_vae(latent_dim=8, seed=0)
train(vae8, x_small, num_epochs=NUM_EPOCHS, verbose=0)
print(f"latent_dim=8: negative ELBO {elbo_terms(vae8, x_test)['neg_elbo']:.1f} nats "
      f"(latent_dim=2 with the same training: {results[1.0]['neg_elbo']:.1f})")

# %% [markdown]
# Does the model use all eight dimensions? The KL per dimension says how much each one carries.
# A dimension whose KL is about 0 is *inactive*: its q(z | x) is the prior for every image, so the
# decoder learns to ignore it (collapse, one dimension at a time). After a short training every
# dimension may still carry a little; with a larger β or more dimensions, some drop to zero.

# %%
from vaelab.latent import encode

z_mean, z_log_var = encode(vae8.encoder, x_test)
kl_per_dimension = 0.5 * np.mean(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=0)
fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
ax.bar([f"z{i + 1}" for i in range(8)], kl_per_dimension)
ax.set_ylabel("KL, nats per image")
ax.set_title(f"latent_dim = 8: {kl_per_dimension.sum():.1f} nats in all");

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
# **Full MNIST:** set `USE_FULL_MNIST = True` at the top when you are online, or run
# `vaelab train --dataset mnist --epochs 5` in a terminal. The defaults are the same; each epoch
# sees 7.5 times more digits.
#
# ## What we did
#
# - Traded reconstruction against KL with β and watched the map change; counted the KL in bits.
# - Made a posterior collapse on purpose, and saw why the digits we show are blurry means.
# - Gave the model more latent dimensions, saw which ones it uses, and explored them with sliders.
# - Trained on Fashion-MNIST, and saw how to bring your own data or full MNIST.
# - That is the course. The `vaelab` package is yours to reuse: every function used here has a
#   docstring naming the notebook that introduces it.
