# %% [markdown]
# # 1 · Autoencoders
#
# An **autoencoder** is two networks trained as one: an *encoder* that squeezes an image into a
# short code, and a *decoder* that rebuilds the image from that code. The only teacher is the
# image itself: the network learns to reproduce its input through a narrow bottleneck.
#
# ## What you'll learn
#
# - how the chapter's convolutional encoder and decoder fit together;
# - how to train an autoencoder and measure its reconstructions in **nats**;
# - why the 2-D codes of a plain autoencoder make a poor map: clumps, gaps, and
#   points that decode to nothing recognisable;
# - a fair test of the course's central claim: an autoencoder, a VAE without its KL term and a
#   VAE, trained on one budget, with a number for the holes each one leaves.

# %%
import os

import vaelab  # first, before Keras: keeps TensorFlow's start-up lines out of the notebook

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 6_000
NUM_EPOCHS = 1 if QUICK else 2  # three models train here: a few minutes in all

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaelab.data import load_mnist
from vaelab.latent import encode_means, hole_share, manifold_image
from vaelab.models import build_autoencoder, build_vae
from vaelab.plotting import plot_reconstructions
from vaelab.training import train

(x_train, y_train), (x_test, y_test) = load_mnist()
x_train, y_train = x_train[:NUM_IMAGES], y_train[:NUM_IMAGES]

# %% [markdown]
# ## The data
#
# Each image is 28 × 28 grey levels between 0 (black) and 1 (white), with a channel axis at the
# end: shape `(N, 28, 28, 1)`.

# %%
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4), layout="constrained")
for ax, image, label in zip(axes, x_train, y_train):
    ax.imshow(image[..., 0], cmap="Greys_r")
    ax.set_title(str(label))
    ax.axis("off")

# %% [markdown]
# ## Encoder, bottleneck, decoder
#
# `build_autoencoder()` uses the chapter's layers: four convolutions (the second halves the image
# to 14 × 14), a dense layer of 32 units, and a code `z` of `latent_dim = 2` numbers. The decoder
# undoes this: a dense layer back to 14 × 14 × 64 values, a transposed convolution up to 28 × 28,
# and a final convolution with a *sigmoid*, so every output pixel lies between 0 and 1.

# %%
autoencoder = build_autoencoder(latent_dim=2)
autoencoder.encoder.summary()

# %% [markdown]
# ## Training: the image is its own target
#
# The loss is the **binary cross-entropy** (BCE) between input and output pixels, *summed* over
# the 784 pixels, in **nats** (natural-log units). Read each output pixel as the probability that
# the pixel is white. An untrained decoder that outputs 0.5 everywhere scores 784 · ln 2 ≈ 543
# nats. (For black-and-white pixels this sum would be −log p(image | code). Ours are grey levels,
# so we call it what it is, "BCE nats"; the notebook *Evaluating the VAE* measures the floor it
# can never go below.)
#
# `vaelab.training.train` is the course's training recipe: RMSprop, batches of 16, a learning
# rate that warms up and then decays, a fixed seed. We use it for every model of this notebook,
# so they all get the same budget.

# %%
history = train(autoencoder, x_train, validation_data=x_test, num_epochs=NUM_EPOCHS, verbose=2)
print(f"held-out reconstruction loss: {history.history['val_loss'][-1]:.1f} BCE nats per image")

# %%
plot_reconstructions(autoencoder, x_test, n=10);

# %% [markdown]
# ## Where do the codes land?
#
# Each test image becomes one point in the plane. Colour them by digit.

# %%
codes = encode_means(autoencoder, x_test)
fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
points = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
ax.set_xlabel("z₁")
ax.set_ylabel("z₂")
ax.set_title("Autoencoder codes of the test digits");

# %% [markdown]
# The codes spread over a region of arbitrary size and shape, with dense streaks and empty space
# between them. Nothing in the loss asks for more: the encoder may put a digit anywhere, as long
# as the decoder can find it again.
#
# ## Decoding the space in between
#
# Decode an evenly spaced grid that covers the region the codes occupy. Points inside the streaks
# give digits; points between them often give smudges, because no training image ever landed there.

# %%
half_width = float(np.percentile(np.abs(codes), 98))
grid = manifold_image(autoencoder.decoder, n=12, grid="linear", extent=half_width)
fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
ax.imshow(grid, cmap="Greys_r")
ax.set_title(f"Decoded grid over [-{half_width:.1f}, {half_width:.1f}]²")
ax.axis("off");

# %% [markdown]
# ## Halfway between two digits
#
# Before you run the next cell, guess: the point halfway between the codes of a *1* and a *0*,
# decoded, will it look like a digit? The cell decodes it.

# %%
one, zero = codes[np.flatnonzero(y_test == 1)[0]], codes[np.flatnonzero(y_test == 0)[0]]
between = vaelab.decode(autoencoder.decoder, ((one + zero) / 2)[None])
plt.figure(figsize=(1.6, 1.6))
plt.imshow(between[0, ..., 0], cmap="Greys_r")
plt.axis("off");

# %% [markdown]
# ## One budget, three models
#
# The claim of this course is that a VAE fills the holes an autoencoder leaves. Notebook 02
# derives the VAE; for this comparison, three facts about it are enough:
#
# - its encoder outputs, for each image, a small Gaussian **cloud** (a mean and a variance per
#   latent dimension) instead of a point, and the decoder sees a random draw from that cloud;
# - new digits are made by decoding codes drawn from the **prior**, the standard Gaussian
#   N(0, I) centred on the origin of the latent plane;
# - its loss adds a price to the reconstruction: the **KL divergence** between each image's cloud
#   and the prior, zero when the cloud *is* N(0, I) and growing as the cloud moves away from the
#   origin or its spread moves away from 1 (wider or narrower). Its weight is called **β**: loss =
#   reconstruction + β · KL.
#
# A fair test trains the models the same way: the same digits, epochs, optimizer, schedule,
# batch size and seed. Beside the autoencoder we train two with the very same `train` call:
#
# - a **VAE with β = 0**: clouds and draws, but nothing charges for a cloud's size or place. It
#   separates the effect of the noise from the effect of the KL;
# - the **VAE** (β = 1), which notebook 02 builds step by step.

# %%
models = {"autoencoder": autoencoder}
for name, beta in (("VAE, β = 0", 0.0), ("VAE, β = 1", 1.0)):
    models[name] = build_vae(beta=beta, seed=0)
    train(models[name], x_train, num_epochs=NUM_EPOCHS, verbose=0)
train_codes = {name: encode_means(model, x_train) for name, model in models.items()}

fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    test_codes = encode_means(model, x_test)
    ax.scatter(test_codes[:, 0], test_codes[:, 1], c=y_test, cmap="tab10", s=3,
               vmin=-0.5, vmax=9.5)
    ax.set_title(name)
    ax.set_xlabel("z₁")
axes[0].set_ylabel("z₂");

# %% [markdown]
# Look at the axes first: each model chose its own scale. The two models without a KL term spread
# their codes over a wide range; the VAE keeps them near the origin, where its prior N(0, I) is.
#
# ## A number for the holes
#
# To compare maps of different scales, put each on the same footing: centre its codes and divide
# each axis by its standard deviation. Then lay a grid over the box from −1.645 to 1.645 (the
# 5%–95% range of a standard Gaussian, the box notebook 04 decodes) and call a grid point a
# **hole** when no training code lies within 0.25 of it. The share of holes is our number.
#
# ### Exercise: the share of holes
#
# Write `hole_fraction(codes, points, distance)`: the fraction of the `points` (shape `(P, 2)`)
# that are farther than `distance` from every one of the `codes` (shape `(N, 2)`).

# %%
from vaelab.exercises import holes as q


def hole_fraction(codes, points, distance):
    # BEGIN SOLUTION
    gaps = np.linalg.norm(points[:, None] - codes[None], axis=-1)
    return np.mean(gaps.min(axis=1) > distance)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(hole_fraction)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# `vaelab.latent.hole_share` does the same on a 60 × 60 grid (with a tree search, so that it stays
# fast for thousands of codes) and also returns where the holes are. Red marks a hole; the dots
# are the standardized training codes.

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4.3), layout="constrained")
for ax, (name, z) in zip(axes, train_codes.items()):
    result = hole_share(z, distance=0.25)
    edge = result["values"][[0, -1]]
    ax.imshow(result["holes"], origin="lower", extent=(*edge, *edge), cmap="Reds",
              vmin=0, vmax=1.3)
    ax.scatter(*result["standardized"].T, s=1, c="black", alpha=0.25)
    ax.set(xlim=edge, ylim=edge, title=f"{name}: {result['share']:.1%} holes")
    ax.set_xlabel("z₁, standardized")
axes[0].set_ylabel("z₂, standardized");

# %% [markdown]
# ## Decoding the same box
#
# Decode a 10 × 10 grid over that standardized box for each model (each grid point turned back
# into the model's own units). Where a model has holes, its decoder never learned what to draw.

# %%
steps = np.linspace(-1.645, 1.645, 10)
u1, u2 = np.meshgrid(steps, steps[::-1])
unit_grid = np.stack([u1.ravel(), u2.ravel()], axis=1)
fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    z = train_codes[name].mean(axis=0) + train_codes[name].std(axis=0) * unit_grid
    tiles = vaelab.decode(model.decoder, z)[..., 0]
    ax.imshow(tiles.reshape(10, 10, 28, 28).transpose(0, 2, 1, 3).reshape(280, 280),
              cmap="Greys_r")
    ax.set_title(name)
    ax.axis("off")

# %% [markdown]
# ## The same midpoints
#
# Finally, the midpoint test from above, for four pairs of test digits and all three
# models. A model whose space has no holes should draw something digit-like halfway.

# %%
pairs = [(1, 0), (4, 7), (3, 6), (2, 9)]
first = {d: int(np.flatnonzero(y_test == d)[0]) for d in range(10)}
fig, axes = plt.subplots(3, len(pairs), figsize=(6, 4.8), layout="constrained")
for row, (name, model) in zip(axes, models.items()):
    test_codes = encode_means(model, x_test[[first[d] for d in range(10)]])
    middles = np.stack([(test_codes[a] + test_codes[b]) / 2 for a, b in pairs])
    for ax, image, (a, b) in zip(row, vaelab.decode(model.decoder, middles), pairs):
        ax.imshow(image[..., 0], cmap="Greys_r")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{a} ↔ {b}", fontsize=9)
    row[0].set_ylabel(name, fontsize=9)

# %% [markdown]
# The midpoints usually differ less than the hole maps do: a straight line between two codes
# mostly stays where codes are, while the holes sit towards the edges of the box, where a sample
# from the prior (notebook 04) lands but an interpolation rarely goes.
#
# What to take away (the titles of the hole maps give your run's shares; they change from run
# to run, and with the short training of quick mode the differences can be small):
#
# - the **autoencoder** leaves holes: nothing in its loss asks it to use the space between codes;
# - the **noise alone** (β = 0) does not fill them: the encoder is free to shrink its clouds and
#   push them apart until the noise hardly matters;
# - the **KL term** does: it pulls every cloud towards N(0, I) and keeps it wide, so the clouds
#   overlap and cover the box.
#
# ## What we did
#
# - Built the chapter's encoder and decoder as a plain autoencoder and trained it on its own input.
# - Measured reconstructions in BCE nats per image (summed binary cross-entropy).
# - Saw that its 2-D codes leave gaps: the plane is not a map where every point means a digit.
# - Trained a β = 0 VAE and a VAE on the same budget, counted the holes, and saw that the KL
#   term, not the sampling noise, fills them.
# - Next, **02 · Building the VAE** writes that VAE yourself: the encoder that outputs a
#   *distribution*, the sampling step, and the KL term.
