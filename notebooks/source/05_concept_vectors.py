# %% [markdown]
# # 5 · Concept vectors and image editing
#
# If nearby points decode to similar digits, then *directions* in the latent space should mean
# something too. A **concept vector** is such a direction: add it to an image's code and the image
# gains more of that concept. The simplest recipe uses labels: the arrow from where the average
# digit sits to where the 4s sit points towards "four-ness".
#
# ## What you'll learn
#
# - how to compute a concept vector from class means;
# - how to **edit** an image by moving its code along a concept, with a slider;
# - interpolation: the straight path between two codes, decoded;
# - simple arithmetic in latent space;
# - what two dimensions cannot do: four-ness and nine-ness at 2 and at 8 dimensions;
# - an **attribute vector** found without labels (slant, measured on the pixels), applied to every
#   digit class, and where such edits stop working.

# %%
import os

import vaelab  # first, before Keras: keeps TensorFlow's start-up lines out of the notebook

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 500 if QUICK else 2_000
NUM_TRAIN_IMAGES = 1_000 if QUICK else 4_000  # for the 8-dimensional model of section 5
NUM_EPOCHS = 1 if QUICK else 2

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaelab.data import load_mnist
from vaelab.latent import encode_means
from vaelab.models import load_vae
from vaelab.plotting import plot_interpolation

(x_train, _), (x_test, y_test) = load_mnist()
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
# as α grows, the digit should drift towards a 4. Keep going, and the code leaves the region
# where training put any image: the distance to the nearest test code (under each image) grows,
# and the decoder draws whatever it extrapolates.

# %%
index = int(np.flatnonzero(y_test == 7)[0])
alphas = np.array([0, 0.5, 1, 1.5, 2.5, 4, 6, 8])
moved_codes = codes[index] + alphas[:, None] * vectors[4]
edited = vaelab.decode(vae.decoder, moved_codes)
nearest = np.min(np.linalg.norm(moved_codes[:, None] - codes[None], axis=-1), axis=1)
fig, axes = plt.subplots(1, len(alphas), figsize=(10, 1.9), layout="constrained")
for ax, image, alpha, gap in zip(axes, edited, alphas, nearest):
    ax.imshow(image[..., 0], cmap="Greys_r")
    ax.set_title(f"α={alpha:g}", fontsize=9)
    ax.set_xlabel(f"{gap:.2f} away", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])

# %% [markdown]
# The same, live: pick an image and a concept, and slide α.

# %%
from vaelab.widgets import ConceptEditor

editor = ConceptEditor(vae, x_test, y_test)
editor

# %% [markdown]
# ## 3. Interpolation
#
# Decode evenly spaced points on the straight line between the codes of two images. The latent
# space has few holes, so the steps change gradually; whether each one is a *plausible* digit
# depends on what the line crosses (between a 1 and a 0 it passes other classes on the way).

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
# Concept vectors add up, or so the recipe hopes: does "a 1, minus one-ness, plus seven-ness"
# land near the 7s? The cell counts the labels of the 25 test codes nearest to it.

# %%
moved = codes[a] - vectors[1] + vectors[7]
nearest = y_test[np.argsort(np.linalg.norm(codes - moved, axis=1))[:25]]
print("labels of the 25 test codes nearest to 1 − one-ness + seven-ness:",
      np.bincount(nearest, minlength=10))
plt.figure(figsize=(1.6, 1.6))
plt.imshow(vaelab.decode(vae.decoder, moved[None])[0, ..., 0], cmap="Greys_r")
plt.axis("off");

# %% [markdown]
# ## 5. Two dimensions are not enough: four-ness and nine-ness
#
# In two dimensions there are only so many directions, so concepts must share them. Compare
# four-ness and nine-ness: the cosine of the angle between them is 1 when they point the same way
# and 0 when they are at right angles. We train a model with 8 latent dimensions (vaelab's
# recipe, the same for any size) and measure the angle in both.
#
# A cosine needs a baseline: two directions drawn at random are rarely at right angles in a
# plane. In d dimensions the average |cos| of two random directions is about 0.64 for d = 2 and
# 0.29 for d = 8; the cell measures it too, with 100,000 random pairs.

# %%
import keras

from vaelab.models import build_vae
from vaelab.training import train

keras.utils.set_random_seed(0)
vae8 = build_vae(latent_dim=8, seed=0)
train(vae8, x_train[:NUM_TRAIN_IMAGES], num_epochs=NUM_EPOCHS, verbose=0)
vectors8 = concept_vectors(vae8, x_test, y_test)


def cosine(u, v):
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


rng = np.random.default_rng(0)
for name, concepts in (("2 dimensions", vectors), ("8 dimensions", vectors8)):
    d = len(concepts[4])
    u, v = rng.standard_normal((2, 100_000, d))
    chance = np.mean(np.abs(np.sum(u * v, axis=1)) / np.linalg.norm(u, axis=1)
                     / np.linalg.norm(v, axis=1))
    print(f"{name}: cos(four-ness, nine-ness) = {cosine(concepts[4], concepts[9]):.2f};  "
          f"random directions: |cos| = {chance:.2f} on average")

# %% [markdown]
# Read the size of each cosine against its baseline: near ±1, the two concepts lie along one
# axis (the same way or opposite ways); near the random baseline, they are no more related than
# two random directions. Now start from the average digit (the mean code) and walk along
# four-ness, then along nine-ness, in both models. Where the cosine is high the two walks look
# alike; with more room each concept can take a direction of its own (how much depends on the
# training run of the 8-D model: check the cosines above).

# %%
codes8 = encode_means(vae8, x_test)
steps = np.linspace(0, 3, 7)[:, None]
fig, axes = plt.subplots(4, 7, figsize=(8, 5.2), layout="constrained")
rows = [("2-D, four-ness", vae, codes, vectors[4]), ("2-D, nine-ness", vae, codes, vectors[9]),
        ("8-D, four-ness", vae8, codes8, vectors8[4]),
        ("8-D, nine-ness", vae8, codes8, vectors8[9])]
for row, (label, model, all_codes, vector) in zip(axes, rows):
    walk = all_codes.mean(axis=0) + steps * vector
    for ax, image in zip(row, vaelab.decode(model.decoder, walk)):
        ax.imshow(image[..., 0], cmap="Greys_r")
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(label, fontsize=9)
for ax, step in zip(axes[0], steps[:, 0]):
    ax.set_title(f"α={step:g}", fontsize=9)

# %% [markdown]
# ## 6. An attribute vector, without labels
#
# The book's most famous concept vector is the *smile vector*: the mean code of smiling faces
# minus the mean code of the others, added to any face. Digits do not smile, but they **slant**.
# `vaelab.data.slant` measures how far each digit leans, on its pixels alone; no labels are
# used. The attribute vector is then the mean code of the 20% most right-leaning digits minus that
# of the 20% most left-leaning ones (`vaelab.latent.attribute_vector`). We use the 8-D model, where
# slant has room to be a direction of its own.

# %%
from vaelab.data import slant
from vaelab.latent import attribute_vector

lean = slant(x_test)
print("mean slant of each class, 0 to 9:",
      np.round([lean[y_test == digit].mean() for digit in range(10)], 2))

# %%
slant_vector = attribute_vector(vae8, x_test, lean, fraction=0.2)
alphas = np.linspace(-1.5, 1.5, 5)
examples = [int(np.flatnonzero(y_test == digit)[0]) for digit in (0, 2, 3, 5, 7)]
fig, axes = plt.subplots(len(examples), len(alphas), figsize=(5.5, 5.6), layout="constrained")
measured = np.zeros((len(examples), len(alphas)))
for r, (row, i) in enumerate(zip(axes, examples)):
    images = vaelab.decode(vae8.decoder, codes8[i] + alphas[:, None] * slant_vector)
    measured[r] = slant(images)
    for ax, image in zip(row, images):
        ax.imshow(image[..., 0], cmap="Greys_r")
        ax.set_xticks([])
        ax.set_yticks([])
for ax, alpha in zip(axes[0], alphas):
    ax.set_title(f"α={alpha:g}", fontsize=9)
print("slant of the edited images, averaged over the five digits:",
      np.round(measured.mean(axis=0), 2))

# %% [markdown]
# Read the printed row: where the slant measured on the decoded images grows with α, the same
# direction tilts a 0, a 2, a 3, a 5 and a 7, and one direction of the latent space, found
# without a single label, means "lean right" for every class. (The 8-D model trains briefly
# here; after quick mode's single epoch the row may hardly move.) The vector is not pure: slant
# correlates with class (the class means printed above: 5s, for one, lean clearly more than 7s
# and 9s), so the most right-leaning fifth of the digits holds more of some classes than the most
# left-leaning fifth, and the vector also carries a little of "which digit". Large α leaves the
# data as in section 2.
#
# ## What we did
#
# - Built concept vectors from class means, and edited images along them with a slider; saw the
#   edits leave the data when pushed far.
# - Interpolated between two digits and did arithmetic with codes.
# - Measured the angle between four-ness and nine-ness in 2-D and in 8-D, against the angle
#   between random directions.
# - Found a slant vector without labels and applied it to every digit class.
# - Next, **06 · Beyond**: the KL weight β, bigger latent spaces, posterior collapse, blur and
#   other data.
