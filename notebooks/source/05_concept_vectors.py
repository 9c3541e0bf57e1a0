# %% [markdown]
# # 5 · Concept vectors and image editing
#
# If nearby points decode to similar digits, then *directions* in the latent space should mean
# something too. A **concept vector** is such a direction: add it to an image's code and the image
# gains more of that concept. The simplest recipe uses labels: the mean code of all 4s minus the
# mean code of all digits points towards "four-ness".
#
# ## What you'll learn
#
# - how to compute a concept vector from class means;
# - how to **edit** an image by moving its code along a concept, with a slider;
# - interpolation: the straight path between two codes, decoded;
# - simple arithmetic in latent space.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 500 if QUICK else 2_000

# %%
import matplotlib.pyplot as plt
import numpy as np

import vaelab
from vaelab.data import load_mnist
from vaelab.latent import encode_means
from vaelab.models import load_vae
from vaelab.plotting import plot_interpolation

(_, _), (x_test, y_test) = load_mnist()
x_test, y_test = x_test[:NUM_IMAGES], y_test[:NUM_IMAGES]
vae = load_vae("mnist")
codes = encode_means(vae, x_test)  # z_mean of every test image

# %% [markdown]
# ## 1. A concept vector from class means
#
# ### Exercise: four-ness
#
# Compute `four_ness`, a vector in the latent plane that points from the average digit towards
# the average 4. Use `codes`, the `z_mean` of every test image (not a sampled z: sampling adds
# noise that has nothing to do with the concept).

# %%
from vaelab.exercises import concept_vector as q

four_ness = codes[y_test == 4].mean(axis=0) - codes.mean(axis=0)  # LEARNER: four_ness = ...

# %% tags=["nbval-check-output"]
q.check(four_ness, x_test, y_test)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# `vaelab.latent.concept_vectors` computes this for every label at once; the cells below use it,
# so they run whether or not your answer is done.

# %%
from vaelab.latent import concept_vectors

vectors = concept_vectors(vae, x_test, y_test)
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=4, alpha=0.3, vmin=-0.5, vmax=9.5)
centre = codes.mean(axis=0)
for digit, vector in vectors.items():
    ax.annotate("", xy=centre + vector, xytext=centre, arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.text(*(centre + 1.12 * vector), str(digit), fontsize=12, ha="center", va="center")
ax.set_xlabel("z₁")
ax.set_ylabel("z₂")
ax.set_title("Concept vectors from the mean code");

# %% [markdown]
# ## 2. Editing an image
#
# Take a test image's code and add α × four-ness. At α = 0 you see the model's reconstruction;
# as α grows, the digit should drift towards a 4.

# %%
index = int(np.flatnonzero(y_test == 7)[0])
alphas = np.linspace(0, 2.5, 7)
edited = vaelab.decode(vae.decoder, codes[index] + alphas[:, None] * vectors[4])
fig, axes = plt.subplots(1, len(alphas), figsize=(9, 1.8), layout="constrained")
for ax, image, alpha in zip(axes, edited, alphas):
    ax.imshow(image[..., 0], cmap="Greys_r")
    ax.set_title(f"α={alpha:.1f}", fontsize=9)
    ax.axis("off")

# %% [markdown]
# The same, live: pick an image and a concept, and slide α.

# %%
from vaelab.widgets import ConceptEditor

editor = ConceptEditor(vae, x_test, y_test)
editor

# %% [markdown]
# ## 3. Interpolation
#
# Decode evenly spaced points on the straight line between the codes of two images. Because the
# latent space has no gaps, every step is a plausible digit.

# %%
a, b = int(np.flatnonzero(y_test == 1)[0]), int(np.flatnonzero(y_test == 0)[0])
plot_interpolation(vae, x_test[a], x_test[b], steps=9);

# %%
from vaelab.widgets import InterpolationExplorer

InterpolationExplorer(vae, x_test[a], x_test[b])

# %% [markdown]
# ### Exercise: the same walk in pixel space
#
# Why walk in the latent space at all? Blend the two images directly instead: make
# `pixel_images`, 9 images (1 − t) · x_a + t · x_b for t evenly spaced from 0 to 1, with
# `x_a = x_test[a]` and `x_b = x_test[b]` (shape (9, 28, 28, 1)).

# %%
from vaelab.exercises import pixel_path as q

x_a, x_b = x_test[a], x_test[b]
t = np.linspace(0, 1, 9)[:, None, None, None]  # LEARNER: t = ...
pixel_images = (1 - t) * x_a + t * x_b  # LEARNER: pixel_images = ...

# %% tags=["nbval-check-output"]
q.check(pixel_images, x_a, x_b)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# Both paths side by side (computed here, not from your cell): the latent path passes through
# digits, the pixel path through two digits laid over each other.

# %%
from vaelab.latent import interpolate

steps = np.linspace(0, 1, 9)[:, None, None, None]
rows = {"latent": interpolate(vae, x_a, x_b, steps=9), "pixels": (1 - steps) * x_a + steps * x_b}
fig, axes = plt.subplots(2, 9, figsize=(9, 2.3), layout="constrained")
for row, (name, images) in zip(axes, rows.items()):
    for ax, image in zip(row, images):
        ax.imshow(image[..., 0], cmap="Greys_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name)

# %% [markdown]
# ## 4. Arithmetic
#
# Concept vectors add up: "a 1, minus one-ness, plus seven-ness" should land near the 7s.

# %%
moved = codes[a] - vectors[1] + vectors[7]
nearest = y_test[np.argsort(np.linalg.norm(codes - moved, axis=1))[:25]]
print("labels of the 25 test codes nearest to 1 − one-ness + seven-ness:",
      np.bincount(nearest, minlength=10))
plt.figure(figsize=(1.6, 1.6))
plt.imshow(vaelab.decode(vae.decoder, moved[None])[0, ..., 0], cmap="Greys_r")
plt.axis("off");

# %% [markdown]
# In two dimensions there are only so many directions, so concepts share them: four-ness and
# nine-ness point almost the same way. With more latent dimensions (notebook 06), concepts
# separate.
#
# ## What we did
#
# - Built concept vectors from class means, and edited images along them with a slider.
# - Interpolated between two digits and did arithmetic with codes.
# - Next, **06 · Beyond**: the KL weight β, bigger latent spaces, other data.
