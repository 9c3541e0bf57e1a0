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
# - where each digit class lives (the labelled scatter, with the encoder's uncertainty), and how
#   it sits in the prior: its 1σ and 2σ circles and the grid's box;
# - reconstructions and samples from the prior;
# - the **live latent explorer**: sliders for z₁ and z₂, the digit redrawn as you drag.

# %%
import os

import vaelab  # noqa: F401 (first: keeps TensorFlow's start-up lines out of the notebook)

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
    print("pretrained model:", score, "BCE nats per image (negative ELBO) on held-out digits")

# %% [markdown]
# ## 1. The manifold, on Gaussian quantiles
#
# The prior says z ~ N(0, I). Most of its mass is near the origin. An evenly spaced grid from
# −3 to 3 would spend most of its tiles on the thin tails. The chapter instead spaces the grid
# evenly in *probability*: take 15 probabilities from 5% to 95%, and turn each into a z value
# with the inverse of the Gaussian CDF. Each row and column then covers the same share of the
# prior. Here is the inverse CDF (`scipy.stats.norm.ppf`) over the whole range:

# %%
probability = np.linspace(0.01, 0.99, 200)
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(probability, norm.ppf(probability))
ax.set_xlabel("probability (CDF)")
ax.set_ylabel("z = norm.ppf(probability)")
ax.set_title("The inverse CDF: steep in the tails, flat near 0");

# %% [markdown]
# ### Exercise: make the chapter's grid
#
# Compute `grid`, the 15 z values of the chapter's grid (one axis).

# %%
from vaelab.exercises import quantile_grid as q

grid = norm.ppf(np.linspace(0.05, 0.95, 15))  # LEARNER: grid = ...

# %% tags=["nbval-check-output"]
q.check(grid)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ### Exercise: predict, then check
#
# Before you look at the map: what share of the prior's probability lies inside the grid's
# square, from the 5% to the 95% quantile on both axes? Write your prediction as a fraction.

# %%
from vaelab.exercises import grid_coverage as q

coverage = 0.9 * 0.9  # LEARNER: coverage = ...

# %% tags=["nbval-check-output"]
q.check(coverage)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ### Exercise: the grid, point by point
#
# The map is a picture of the plane, so its tiles must follow the plane's axes. Build `points`,
# a (225, 2) array of the grid's points in the order of the image: row by row from the top
# (largest z₂ first), and within a row from left to right (z₁ growing). Use
# `vaelab.latent.grid_values(15)` for one axis, so that the rest runs before your grid is done.
# (Aside: a decoder takes the 225 points as one batch, where the chapter made 225 calls.)

# %%
from vaelab.exercises import grid_points as q
from vaelab.latent import grid_values

values = grid_values(15)
points = np.array([[a, b] for b in values[::-1] for a in values])  # LEARNER: points = ...

# %% tags=["nbval-check-output"]
q.check(points)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# With the points in that order, decoding them and a reshape give the whole map:

# %%
z1, z2 = np.meshgrid(values, values[::-1])  # the same order, computed here
points = np.stack([z1.ravel(), z2.ravel()], axis=1)
digits = decode(vae.decoder, points)  # one call: shape (225, 28, 28, 1)
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
#
# The prior is drawn too: its 1σ and 2σ circles (in two dimensions they hold 39% and 86% of its
# mass, less than the 68% and 95% of one dimension) and, in red, the box the manifold above
# decodes, which holds the 81% you predicted. The codes fill the circles without clinging to
# their centre: what the KL asks of the *average* of all clouds, not of each code.

# %%
plot_latent_scatter(vae.encoder, x_test, y_test, num_ellipses=12, show_prior=True);

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
# Move the sliders (or click the scatter) and the digit is decoded again on every move. The
# explorer always decodes with the model's current weights, so it follows along if you train
# more.

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
# - Drew the 15 × 15 manifold on a quantile grid, and predicted the share of the prior it shows.
# - Saw where each digit class lives, how wide each code's cloud is, and how the codes sit in
#   the prior's circles.
# - Looked at reconstructions and at new digits sampled from the prior.
# - Walked the latent space live. Next, **05 · Concept vectors**: directions with a meaning.
