# %% [markdown]
# # 2b · Evaluating the VAE
#
# The notebook *Building the VAE* trained a model by lowering its negative ELBO. Here we ask what
# that number means, and how far it is from the quantity the ELBO bounds: with a 2-D latent
# space, log p(x) and even the true posterior p(z | x) can be computed on a grid, so for once we
# can see the bound, the real thing and the gap between them.
#
# ## What you'll learn
#
# - the held-out score in **BCE nats** per image, and what such a number is (and is not) on
#   grey-level digits: the **floor** no decoder removes, and the score on binarised digits;
# - the encoder's Gaussian clouds q(z | x), and how small they are;
# - **log p(x)** by integrating over the latent plane, against the ELBO;
# - the **true posterior** p(z | x) beside the encoder's guess q(z | x), and the **gap** between
#   them, KL(q ‖ p(z | x)).

# %%
import os

import vaelab  # first, before Keras: keeps TensorFlow's start-up lines out of the notebook

# Quick mode (CI sets VAELAB_QUICK=1): fewer images, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
TRAIN_FROM_SCRATCH = False  # True: train your own model instead of loading the pretrained one
NUM_EPOCHS = 1 if QUICK else 5
NUM_LIKELIHOOD_IMAGES = 10 if QUICK else 100

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaelab.data import load_mnist
from vaelab.metrics import elbo_terms, log_likelihood, neg_elbo

(x_train, y_train), (x_test, y_test) = load_mnist()
if TRAIN_FROM_SCRATCH:
    from vaelab.models import build_vae
    from vaelab.training import train

    vae = build_vae(seed=0)
    train(vae, x_train[:1_000] if QUICK else x_train, num_epochs=NUM_EPOCHS)
else:
    vae = vaelab.load_vae("mnist")  # trained with the same recipe for 10 epochs on 8,000 digits

# %% [markdown]
# ## 1. The score, in nats
#
# `elbo_terms` scores held-out images with one sample of z each (seeded, so the number is
# reproducible): the reconstruction, the KL, and their sum, the negative ELBO, in nats per image.

# %%
scores = elbo_terms(vae, x_test)
print(f"held-out negative ELBO: {scores['neg_elbo']:.1f} BCE nats per image "
      f"= reconstruction {scores['reconstruction_loss']:.1f} + KL {scores['kl_loss']:.1f}")

# %% [markdown]
# ### What kind of number is this?
#
# On black-and-white images the summed binary cross-entropy is exactly −log p(x | z) of the
# Bernoulli decoder. MNIST's pixels are grey levels, though: a grey pixel is not a coin flip, so
# the same formula gives a *score*, not the log-probability of an image, and we call it "BCE
# nats". Nor can it reach 0, even for a decoder that reproduces every grey level exactly. The
# next cell counts the grey pixels.

# %%
grey = np.mean((x_test > 0) & (x_test < 1))
print(f"pixels that are neither 0 nor 1: {grey:.0%} of the test digits' pixels")

# %% [markdown]
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
# Summed over the pixels of an image, that floor is `vaelab.metrics.bce_floor`, and
# every BCE figure of this course contains it. Published VAE figures (around 85–100 nats with many
# latent dimensions) are on **binarised** MNIST, where the floor is 0 and the BCE is a true −log
# p(x | z): they cannot be compared with ours. To connect to them, score the same model on a fixed
# binarisation of the test digits (`vaelab.data.binarize`: a pixel is white when its grey level is
# above 0.5; published figures binarise at random instead, each pixel white with probability equal
# to its grey level, so this is only a rough bridge). Our model was trained on grey levels, so on
# binary digits it is a stranger, not a contender.

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
# ## 2. The encoder's clouds
#
# Each image's code is a Gaussian cloud q(z | x), not a point. Below, four test digits: their
# 1σ and 2σ ellipses and 200 points sampled from each, the very points the decoder sees during
# training. The grey dots are the means z_mean of all test digits. On the whole map (left) a
# cloud is a dot; the zoom (right) shows the most crowded cloud of the test set (black) with the
# means of other digits inside it. Such overlaps mean the decoder is trained on the space
# between codes too, so nearby points decode to similar digits.

# %%
from matplotlib.patches import Ellipse

from vaelab.latent import encode

z_mean, z_log_var = encode(vae.encoder, x_test)
sigma = np.exp(0.5 * z_log_var)
print(f"σ of q(z | x), median over the test digits: {np.round(np.median(sigma, axis=0), 3)}")
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
crowd = np.array([np.all(np.abs(z_mean - m) < 2 * s, axis=1).sum() for m, s in zip(z_mean, sigma)])
crowd -= 1  # the digit's own mean
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
# ### Draw a digit, see its cloud
#
# Draw a digit in the black square. When you lift the pen, your drawing is shrunk to 28 × 28
# pixels and the encoder maps it to q(z | x): the map shows its 1σ and 2σ ellipses and a few
# samples z = μ + σ · ε (the spread magnified ×10, or the cloud would be a dot), and beside the
# drawing the digit decoded from μ. "resample ε" draws new samples. Where does a sloppy 7
# land? A digit that is half 4, half 9?

# %%
from vaelab.widgets import PosteriorSketch

sketch = PosteriorSketch(vae, x_test, y_test)
sketch

# %% [markdown]
# After a stroke, `sketch.x` holds the 28 × 28 pixels the encoder saw, and `sketch.z_mean`,
# `sketch.z_log_var` and `sketch.samples` its encoding.

# %% [markdown]
# ## 3. The true log-likelihood and the ELBO gap
#
# The ELBO is a *bound*. With a 2-D latent space we can compute the real thing,
#
# $$ \log p(x) = \log \int p(x \mid z)\, p(z)\, dz, $$
#
# by summing the integrand over a grid of z values: log p(x) ≈ log Σ_k p(x | z_k) p(z_k) · A,
# with A the area of one grid cell. `log_likelihood` uses two grids: a fine one around each
# image's q(z | x), and one over the whole prior, decoded once (`PriorGrid`), which finds
# posterior mass far from where the encoder looked. (On grey-level digits this "log p(x)" is in
# BCE nats too: the same formula, not a probability of the image.) The ELBO below is averaged
# over ten draws of z, so that its sampling noise does not hide the gap.

# %%
from vaelab.metrics import PriorGrid

prior_grid = PriorGrid(vae.decoder)  # the decoder on 161 × 161 points over ±5, once
subset = x_test[:NUM_LIKELIHOOD_IMAGES]
log_px = log_likelihood(vae, subset, per_image=True, prior_grid=prior_grid)
elbo = -np.mean([neg_elbo(vae, subset, seed=s) for s in range(10)])
print(f"log p(x) = {log_px.mean():.1f} nats;  ELBO = {elbo:.1f} nats;  "
      f"gap = {log_px.mean() - elbo:.1f} nats")

# %% [markdown]
# ### Exercise: log p(x) by quadrature
#
# Quadrature is numerical integration on a grid: the integral becomes a sum over the grid's
# points, each weighted by the area of its cell. Build the integral yourself. Write
# `log_px_by_grid(log_px_given_z, z, spacing)`: given log p(x | z) of one digit at every point of
# an evenly spaced 2-D grid (`z`, one point per row, `spacing` apart on both axes), return
# log p(x). The prior is the 2-D standard normal, log p(z) = −½ |z|² − log 2π. Mind the sizes:
# p(x | z) is around e⁻¹⁵⁰ here.

# %%
from scipy.special import logsumexp

from vaelab.exercises import quadrature as q


def log_px_by_grid(log_px_given_z, z, spacing):
    # BEGIN SOLUTION
    log_prior = -0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi)
    return logsumexp(log_px_given_z + log_prior) + 2 * np.log(spacing)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(log_px_by_grid)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %% [markdown]
# Your function on the first test digit, over the prior grid alone, beside `log_likelihood`
# (which also adds a finer grid around q(z | x)): the two should agree to a few hundredths.

# %%
x = x_test[:1]
log_px_given_z = prior_grid.log_joint(x)[0] - prior_grid.log_prior
spacing = prior_grid.values[1] - prior_grid.values[0]
mine = log_px_by_grid(log_px_given_z, prior_grid.points.astype("float64"), spacing)
print("yours:         ", "not written yet" if mine is None else f"{float(mine):.2f} nats")
print(f"log_likelihood: {log_likelihood(vae, x, prior_grid=prior_grid):.2f} nats")

# %% [markdown]
# ## 4. The true posterior
#
# With the same grid we can draw the true posterior p(z | x) = p(x | z) p(z) / p(x) of one image
# and lay the encoder's q(z | x) over it. The gap of that image, log p(x) − ELBO, is exactly
# KL(q ‖ p(z | x)): how much the encoder's single Gaussian misses. Below, among the first 40
# digits of the test set, the one with the smallest gap (left) and the one with the largest;
# each panel's title gives its log p(x), its ELBO and its gap.

# %%
from vaelab.metrics import posterior_map
from vaelab.plotting import plot_posterior

maps = [posterior_map(vae, image, prior_grid=prior_grid) for image in x_test[:40]]
gaps = np.array([m["gap"] for m in maps])
print(f"gaps of the 40 digits: median {np.median(gaps):.2f} nats, largest {gaps.max():.2f}")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
for ax, i in zip(axes, (int(np.argmin(gaps)), int(np.argmax(gaps)))):
    plot_posterior(maps[i], ax=ax)
    ax.inset_axes([0.02, 0.74, 0.24, 0.24]).imshow(x_test[i, ..., 0], cmap="Greys_r")
    ax.child_axes[0].axis("off")

# %% [markdown]
# Where the heat-map and the ellipses agree, the gap is small. Where the posterior is bent, or
# has a second mode far from q (a digit the decoder can draw from two places), the encoder's
# Gaussian cannot follow and the gap grows. Pick other digits and watch both move:

# %%
from vaelab.widgets import PosteriorExplorer

PosteriorExplorer(vae, x_test, y_test, prior_grid=prior_grid)

# %% [markdown]
# ## What we did
#
# - Scored the model in BCE nats per image, saw the floor of grey-level pixels inside that
#   score, and scored it on binarised digits.
# - Looked at the encoder's clouds q(z | x), dots on the map of all codes.
# - Computed log p(x) by quadrature over the latent plane and measured the gap to the ELBO.
# - Drew the true posterior beside q(z | x) and saw where a single Gaussian misses.
# - Next, *Spot the bug*: the program of the chapter this course follows departs from the ELBO
#   in two places. Can you find them?
