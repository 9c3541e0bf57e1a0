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
#   points that decode to nothing recognisable. That is the problem the VAE solves.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 8_000
NUM_EPOCHS = 1 if QUICK else 3

# %%
import matplotlib.pyplot as plt
import numpy as np

import vaelab
from vaelab.data import load_mnist
from vaelab.latent import encode_means, manifold_image
from vaelab.models import build_autoencoder
from vaelab.plotting import plot_reconstructions

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
# The loss is the **binary cross-entropy** between input and output pixels, *summed* over the 784
# pixels. Read each output pixel as the probability that the pixel is white; the summed
# cross-entropy is then −log p(image | code) in **nats** (natural-log units). An untrained decoder
# that outputs 0.5 everywhere scores 784 · ln 2 ≈ 543 nats.

# %%
history = autoencoder.fit(x_train, x_train, epochs=NUM_EPOCHS, batch_size=16,
                          validation_data=(x_test, x_test), verbose=2)
print(f"held-out reconstruction loss: {history.history['val_loss'][-1]:.1f} nats per image")

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
# ## Exercise: halfway between two digits
#
# Write `midpoint(code_a, code_b)`, the point halfway between two codes, and check it. Then decode
# the midpoint between a *1* and a *0*: does the result look like a digit?

# %%
from vaelab.exercises import midpoint as q


def midpoint(code_a, code_b):
    # BEGIN SOLUTION
    return (code_a + code_b) / 2
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(midpoint)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# The cell below decodes the point halfway between the first *1* and the first *0* of the test
# set. It computes the midpoint itself, so it runs whether or not your function is done yet.

# %%
one, zero = codes[np.flatnonzero(y_test == 1)[0]], codes[np.flatnonzero(y_test == 0)[0]]
between = vaelab.decode(autoencoder.decoder, ((one + zero) / 2)[None])
plt.figure(figsize=(1.6, 1.6))
plt.imshow(between[0, ..., 0], cmap="Greys_r")
plt.axis("off");

# %% [markdown]
# ## What we did
#
# - Built the chapter's encoder and decoder as a plain autoencoder and trained it on its own input.
# - Measured reconstructions in nats per image (summed binary cross-entropy).
# - Saw that its 2-D codes leave gaps: the plane is not a map where every point means a digit.
# - Next, **02 · Building the VAE** makes the encoder output a *distribution* and pays it to stay
#   close to a standard Gaussian, which fills the gaps.
