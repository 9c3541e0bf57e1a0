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
# - where each digit class lives (the labelled scatter, with the encoder's clouds magnified);
# - the codes against the prior: the **aggregate posterior**, the KL split into the information
#   of the code and the mismatch of all codes with the prior, measured;
# - reconstructions and samples from the prior, and why the samples look worse;
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
# Encode the test digits and plot `z_mean`, coloured by label, with the prior drawn over it: its
# 1σ and 2σ circles (in two dimensions they hold 39% and 86% of its mass, less than the 68% and
# 95% of one dimension) and, in red, the box the manifold above decodes, which holds the 81% you
# predicted. Each code is really a small cloud q(z | x), not a point; at the scale of the map a
# cloud is a dot, so the right panel magnifies the small black square marked on the left and
# draws the clouds there (±1σ ellipses, in their digit's colour).

# %%
from matplotlib.patches import Ellipse, Rectangle

from vaelab.latent import encode

z_mean, z_log_var = encode(vae.encoder, x_test)
sigma = np.exp(0.5 * z_log_var)
fig, (ax, zoom) = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
plot_latent_scatter(vae.encoder, x_test, y_test, ax=ax, show_prior=True)
# The square: 6 median σ wide, around the code whose square holds closest to 25 other codes.
half = 3 * float(np.median(sigma))
counts = np.array([np.all(np.abs(z_mean - z) < half, axis=1).sum() - 1 for z in z_mean])
centre = z_mean[int(np.argmin(np.abs(counts - 25)))]
ax.add_patch(Rectangle(centre - half, 2 * half, 2 * half, fill=False, lw=1.5, color="black"))
colours = plt.get_cmap("tab10")
inside = np.flatnonzero(np.all(np.abs(z_mean - centre) < half + 2 * sigma, axis=1))
for i in inside:
    zoom.add_patch(Ellipse(z_mean[i], 2 * sigma[i, 0], 2 * sigma[i, 1], fill=False, lw=1,
                           color=colours(y_test[i])))
zoom.scatter(z_mean[inside, 0], z_mean[inside, 1], c=y_test[inside], cmap="tab10", s=8,
             vmin=-0.5, vmax=9.5)
zoom.set(xlim=(centre[0] - half, centre[0] + half), ylim=(centre[1] - half, centre[1] + half),
         aspect="equal", xlabel="z₁", ylabel="z₂",
         title=f"magnified: the clouds q(z | x) of {len(inside)} test digits (±1σ)");

# %% [markdown]
# The clouds overlap their neighbours, of the same digit and of others: the decoder is trained
# on the space between codes too, so nearby points decode to similar digits.
#
# ### The codes against the prior
#
# The prior says where *new* codes come from; the encoder says where the data's codes are. Do
# the two agree? The KL term of each image pulls that image's μ towards 0 and its σ towards 1;
# if it won outright, every cloud would be the prior itself and the code would say nothing (the
# collapse of notebook 06). Averaged over the data, the KL splits in two (Hoffman & Johnson,
# *ELBO surgery*, 2016):
#
# $$ \mathbb{E}_x\left[\mathrm{KL}\left(q(z \mid x) \,\|\, p(z)\right)\right]
#    = I(x; z) + \mathrm{KL}\left(q(z) \,\|\, p(z)\right),
#    \qquad q(z) = \mathbb{E}_x\left[q(z \mid x)\right]. $$
#
# q(z), the **aggregate posterior**, is the average of all the clouds: the distribution of the
# codes of the data. I(x; z) is the information the code carries about the image, the price any
# useful code pays. Only the second term asks for agreement with the prior, and it asks it of
# q(z), the codes as a whole. So: does the cloud of all codes look like N(0, I)? The cell
# measures it on the test digits, next to the prior's own figures, and splits the average KL
# into its two parts (KL(q(z) ‖ p(z)) by Monte Carlo, q(z) being a mixture of one Gaussian per
# test digit).
#
# ### Exercise: predict, then measure
#
# First commit to a prediction, before any cell shows the answer: what share of the test codes
# lies inside the red box, which holds 81% of the prior? Then write the two measures:
# `box_share(z_mean, edge)`, the share of codes with both coordinates inside ±`edge`, and
# `second_moment(z_mean, z_log_var)`, E[z²] of the codes' clouds per dimension (a code is
# N(μ, σ²), so its E[z²] is μ² + σ²; the prior's is 1).

# %%
from vaelab.exercises import codes_vs_prior as q

my_prediction = 0.8  # LEARNER: my_prediction = ...  # a share between 0 and 1


def box_share(z_mean, edge):
    # BEGIN SOLUTION
    return np.mean(np.all(np.abs(z_mean) < edge, axis=1))
    # END SOLUTION


def second_moment(z_mean, z_log_var):
    # BEGIN SOLUTION
    return np.mean(z_mean**2 + np.exp(z_log_var), axis=0)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(box_share, second_moment)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %% [markdown]
# The measurement (computed here, so that it runs whether or not your functions are done):

# %%
from scipy.special import logsumexp

edge = float(norm.ppf(0.95))
if my_prediction is not Ellipsis:
    print(f"your prediction: {my_prediction:.0%} of the codes in the box")
radius = np.linalg.norm(z_mean, axis=1)
print(f"inside the 5–95% box: codes {np.mean(np.all(np.abs(z_mean) < edge, axis=1)):.0%}, "
      f"prior {0.9**2:.0%}")
print(f"inside the 1σ circle: codes {np.mean(radius < 1):.0%}, prior {1 - np.exp(-0.5):.0%}")
print(f"outside the 2σ circle: codes {np.mean(radius > 2):.0%}, prior {np.exp(-2):.0%}")
moment = np.mean(z_mean**2 + sigma**2, axis=0)  # not second_moment: that is your function
print(f"E[μ² + σ²] per dimension: {np.round(moment, 2)} (prior: 1)")
kl_each = 0.5 * np.sum(sigma**2 + z_mean**2 - 1 - 2 * np.log(sigma), axis=1)
z = z_mean + sigma * np.random.default_rng(0).standard_normal(z_mean.shape)  # z ~ q(z)
# log q(z): the log of the mean over all clouds of N(z; μ, σ²), 256 z at a time (memory)
log_q = np.concatenate([
    logsumexp(norm.logpdf(chunk[:, None], z_mean, sigma).sum(axis=-1), axis=1)
    for chunk in np.array_split(z, -(-len(z) // 256))
]) - np.log(len(z_mean))
aggregate_kl = np.mean(log_q - norm.logpdf(z).sum(axis=1))
print(f"average KL {kl_each.mean():.2f} nats = I(x; z) {kl_each.mean() - aggregate_kl:.2f} "
      f"+ KL(q(z) ‖ p(z)) {aggregate_kl:.2f}")

# %% [markdown]
# For the pretrained model and the course's 2,000 bundled test digits (the data the cells use
# offline), 63% of the test codes lie in the box that holds 81% of the prior, 33% lie outside the
# 2σ circle, which holds 14% of the prior, and E[μ² + σ²] is about 1.7 per dimension (the same
# on the training digits; `tests/test_pretrained_figures.py` recomputes these figures from the
# bundled weights). Most of the average KL is the information the codes carry;
# the rest measures how far the codes as a whole are from the prior, and the shares say in which
# way: they spread **wider** than the prior.
#
# Should they? At the end of training, no. The decoder's first layer is a `Dense` layer, so
# multiplying every code's dimension j by a factor c (μ and σ alike) and dividing that layer's
# weights by c changes no reconstruction. Only the KL sees the change, and its derivative in c
# at c = 1 is, per dimension, E[μ² + σ²] − 1. At a stationary point of the loss that derivative
# is 0: E[μ² + σ²] = 1, exactly the prior's second moment. A measured 1.7 says that ten epochs
# have not finished along this direction, where only the small KL pushes.
#
# ## 3. Reconstructions and samples
#
# Reconstructions decode each image's `z_mean`. Prior samples decode z ~ N(0, I): new digits the
# model invents. Which look better?

# %%
plot_reconstructions(vae, x_test, n=10)
plot_prior_samples(vae.decoder, n=16);

# %% [markdown]
# A reconstruction decodes a code where a real digit sits. A prior sample lands where the prior
# puts it, and the prior crowds the middle of the map more than the codes do (the shares above),
# where the codes of several digits meet and the decoder draws shapes between them. The cell
# counts, for 2,000 prior draws and for the test codes, how often the 10 nearest test codes
# agree on one digit (8 or more of them with the same label).

# %%
from scipy.spatial import cKDTree

tree = cKDTree(z_mean)
draws = np.random.default_rng(1).standard_normal((2_000, 2))
_, near_draws = tree.query(draws, k=10)
_, near_codes = tree.query(z_mean, k=11)  # the first neighbour of a code is itself


def agree(neighbours):
    counts = np.array([np.bincount(y_test[row], minlength=10).max() for row in neighbours])
    return np.mean(counts >= 8)


print(f"10 nearest codes agree on a digit: around prior draws {agree(near_draws):.0%}, "
      f"around the test codes {agree(near_codes[:, 1:]):.0%}")

# %% [markdown]
# ## 4. The live latent explorer
#
# Move the sliders (or click or drag on the scatter) and the digit is decoded again on every
# move. The decoding happens in your browser: the explorer sends the decoder's layers and
# weights (225 KB) to the page, which runs the same Dense, transposed-convolution and
# convolution layers in JavaScript, so the digit follows your hand even while the kernel is
# busy. The sliders span where the test codes are (their 0.5%-99.5% quantiles), and Python
# learns where they ended when you let go: `explorer.z`. The explorer takes the weights the
# model has when you run the cell; after training more, run it again.

# %%
from vaelab.widgets import LatentExplorer

explorer = LatentExplorer(vae.decoder, codes=z_mean, y=y_test)  # the codes encoded above
explorer

# %% [markdown]
# Try: start at the origin and move z₁ slowly. Which digits do you pass? Find a point where a 4
# turns into a 9.
#
# ## What we did
#
# - Drew the 15 × 15 manifold on a quantile grid, and predicted the share of the prior it shows.
# - Saw where each digit class lives and how small each code's cloud is.
# - Measured the codes against the prior: they spread wider than N(0, I), which a finished
#   training would not allow, and the average KL is mostly the information the codes carry.
# - Looked at reconstructions and at new digits sampled from the prior, and saw why the prior's
#   draws land more often where digits meet.
# - Walked the latent space live. Next, **05 · Concept vectors**: directions with a meaning.
