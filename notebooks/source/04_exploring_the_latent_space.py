# %% [markdown]
# # 4 · Exploring the latent space
#
# A trained VAE turns the plane into a map of handwriting: every point decodes to a digit, and
# nearby points decode to similar digits. In this notebook we look at that map in four ways and
# then walk through it live with sliders.
#
# ## What you'll learn
#
# - the chapter's 15 × 15 **manifold**, laid out on Gaussian quantiles (and why the inverse CDF);
# - where each digit class lives (the labelled scatter, with the encoder's uncertainty);
# - reconstructions and samples from the prior;
# - the **live latent explorer**: sliders for z₁ and z₂, the digit redrawn as you drag.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
TRAIN_FROM_SCRATCH = False  # True: train your own model instead of loading the pretrained one
NUM_EPOCHS = 1 if QUICK else 5

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from vaelab.data import load_mnist
from vaelab.latent import decode, manifold_image
from vaelab.plotting import (
    plot_latent_manifold,
    plot_latent_scatter,
    plot_prior_samples,
    plot_reconstructions,
)

(x_train, y_train), (x_test, y_test) = load_mnist()
if TRAIN_FROM_SCRATCH:
    from vaelab.models import build_vae
    from vaelab.training import train

    vae = build_vae(seed=0)
    train(vae, x_train[:1_000] if QUICK else x_train, num_epochs=NUM_EPOCHS)
else:
    from vaelab import load_vae
    from vaelab.pretrained import metadata

    vae = load_vae("mnist")
    score = metadata("mnist")["held_out_neg_elbo"]
    print("pretrained model:", score, "nats per image on held-out digits")

# %% [markdown]
# ## 1. The manifold, on Gaussian quantiles
#
# The prior says z ~ N(0, I). Most of its mass is near the origin. An evenly spaced grid from −3 to
# 3
# would spend most of its tiles on the thin tails. The chapter instead spaces the grid evenly in
# *probability*: take 15 probabilities from 5% to 95%, and turn each into a z value with the inverse
# of the Gaussian CDF (`norm.ppf`). Each row and column then covers the same share of the prior.

# %%
probabilities = np.linspace(0.05, 0.95, 15)
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(probabilities, norm.ppf(probabilities), "o-")
ax.set_xlabel("probability (CDF)")
ax.set_ylabel("z = norm.ppf(probability)")
ax.set_title("Quantile grid: dense near 0, sparse in the tails");

# %% [markdown]
# ### Exercise: make the chapter's grid
#
# Compute the 15 z values of the chapter's grid.

# %%
from vaelab.exercises import check_quantile_grid

grid_values = norm.ppf(np.linspace(0.05, 0.95, 15))  # your answer
check_quantile_grid(grid_values)

# %% [markdown]
# The chapter decoded the 225 grid points with 225 separate `predict` calls. A decoder takes a
# whole batch at once, so `manifold_image` stacks the 225 points into one array and decodes them
# in **one** call. Here is the same idea by hand: the grid's points, row by row from the top.

# %%
z_grid = np.array([[a, b] for b in grid_values[::-1] for a in grid_values], dtype="float32")
digits = decode(vae.decoder, z_grid)  # one call: shape (225, 28, 28, 1)
by_hand = digits[..., 0].reshape(15, 15, 28, 28).transpose(0, 2, 1, 3).reshape(420, 420)
print("same image as manifold_image:", np.allclose(by_hand, manifold_image(vae.decoder, n=15)))

# %%
plot_latent_manifold(vae.decoder, n=15);

# %% [markdown]
# ## 2. Where each digit lives
#
# Encode the test digits and plot `z_mean`, coloured by label. The black ellipses show ±1σ of
# q(z | x) for a few images: each code is a small cloud, not a point, and the clouds overlap.
# That overlap is what makes the space continuous.

# %%
plot_latent_scatter(vae.encoder, x_test, y_test, num_ellipses=12);

# %% [markdown]
# ## 3. Reconstructions and samples
#
# Reconstructions decode each image's `z_mean`. Prior samples decode z ~ N(0, I): new digits the
# model invents.

# %%
plot_reconstructions(vae, x_test, n=10)
plot_prior_samples(vae.decoder, n=16);

# %% [markdown]
# ## 4. The live latent explorer
#
# Move the sliders (or click the scatter) and the digit is decoded again on every move. A slider
# move decodes one point with one compiled Keras call (about a millisecond) and sends a 28 × 28
# PNG that the browser enlarges with square pixels; no `predict`, and the scatter is never redrawn
# (the cross is a small drawing laid over it). The explorer always decodes with the model's
# current weights, so it follows along if you train more.

# %%
from vaelab.widgets import LatentExplorer

explorer = LatentExplorer(vae.decoder, vae.encoder, x_test, y_test)
explorer

# %% [markdown]
# Try: start at the origin and move z₁ slowly. Which digits do you pass? Find a point where a 4
# turns into a 9.
#
# ## What we did
#
# - Drew the 15 × 15 manifold on a quantile grid, in one batched decode.
# - Saw where each digit class lives and how wide each code's cloud is.
# - Looked at reconstructions and at new digits sampled from the prior.
# - Walked the latent space live. Next, **05 · Concept vectors**: directions with a meaning.
