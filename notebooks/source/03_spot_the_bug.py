# %% [markdown]
# # 3 · Spot the bug
#
# The chapter this course follows trains its VAE and draws a fine digit map, yet its program
# departs from the ELBO in two places. A VAE with a wrong loss does not crash: it quietly becomes
# a different model. Your job in this notebook is a reviewer's: read the program, find the two
# places, fix them, and then measure what each one changed.
#
# ## What you'll learn
#
# - to read a VAE program against its formulas: the sampling step and the loss;
# - to fix what you find, checked by running your functions against correct ones;
# - what each mistake changes: four models trained alike, one ruler, the chapter's own number.

# %%
import os

import vaelab  # noqa: F401 (first: keeps TensorFlow's start-up lines out of the notebook)

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 5_000
NUM_EPOCHS = 1 if QUICK else 2  # four models train here: a few minutes in all

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from vaelab.data import load_mnist
from vaelab.metrics import elbo_terms
from vaelab.models import build_vae, chapter_loss
from vaelab.plotting import plot_latent_scatter, plot_prior_samples
from vaelab.training import train

(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = x_train[:NUM_IMAGES]

# %% [markdown]
# ## 1. The chapter's program
#
# Below is our replica of the two functions of the chapter's program that decide what the model
# learns: how it draws z, and its loss. It is our own code, in NumPy, with the same arithmetic as
# the book's; the encoder and the decoder are the ones you built in *Building the VAE*. Read it
# line by line against that notebook's formulas:
#
# - z = μ + σ · ε, where the encoder's `z_log_var` is log σ², and ε ~ N(0, 1);
# - the loss per image is the negative ELBO: the binary cross-entropy *summed* over the 784
#   pixels, plus KL = ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²), *summed* over the latent dimensions.
#
# The cell runs both functions on made-up values. Nothing in its output looks wrong: that is
# the point.

# %%
def chapter_sample(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(z_log_var) * epsilon


def chapter_loss_replica(x, decoded, z_mean, z_log_var):
    """x, decoded: (batch, 28, 28, 1) grey levels and probabilities; z_*: (batch, latent_dim)."""
    p = np.clip(decoded, 1e-7, 1 - 1e-7)
    cross_entropy = -np.mean(x * np.log(p) + (1 - x) * np.log(1 - p))
    kl = -5e-4 * np.mean(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    return np.mean(cross_entropy + kl)


rng = np.random.default_rng(0)
x = rng.uniform(size=(8, 28, 28, 1))
decoded = rng.uniform(0.05, 0.95, size=(8, 28, 28, 1))
mu, log_var = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
print("z:", np.round(chapter_sample(mu, log_var, rng.normal(size=(8, 2)))[0], 3))
print("loss:", round(float(chapter_loss_replica(x, decoded, mu, log_var)), 4))

# %% [markdown]
# ### Exercise: fix the sampling step
#
# Write `fixed_sample(z_mean, z_log_var, epsilon)`: `chapter_sample` as it should have been.
# The check runs your function on random values against a correct one.

# %%
from vaelab.exercises import fixed_sample as q


def fixed_sample(z_mean, z_log_var, epsilon):
    # BEGIN SOLUTION
    return z_mean + np.exp(0.5 * z_log_var) * epsilon
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(fixed_sample)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %% [markdown]
# ### Exercise: fix the loss
#
# Write `fixed_loss(x, decoded, z_mean, z_log_var)`: `chapter_loss_replica` as it should have
# been, the negative ELBO in nats per image, averaged over the batch. The check runs it on random
# images and codes against a correct negative ELBO.

# %%
from vaelab.exercises import fixed_loss as q


def fixed_loss(x, decoded, z_mean, z_log_var):
    # BEGIN SOLUTION
    p = np.clip(decoded, 1e-7, 1 - 1e-7)
    cross_entropy = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    return np.mean(cross_entropy + kl)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(fixed_loss)
# q.hint()      # stuck? a question to think about; q.hint(2), q.hint(3) say more
# q.solution()  # the answer

# %% [markdown]
# ## 2. What the two mistakes are
#
# If both checks said *Correct*, you found them; if not, this section gives them away, so
# finish the hunt first.
#
# ### The first mistake, in `chapter_sample`
#
# `z_log_var` is the log of the **variance** σ². So σ = exp(½ · z_log_var). The chapter uses
# exp(z_log_var), which is σ², not σ. The KL term, however, is written for a log-variance. The
# model is therefore charged a KL for one Gaussian and sampled from another: where σ < 1, it samples
# from a *narrower* cloud than the one it pays for.
#
# A one-line demonstration with σ² = 0.25 (so σ should be 0.5):

# %% tags=["nbval-check-output"]
z_log_var = np.log(0.25)
print("correct sigma = exp(z_log_var / 2) =", round(float(np.exp(0.5 * z_log_var)), 3))
print("chapter sigma = exp(z_log_var)     =", round(float(np.exp(z_log_var)), 3))

# %% [markdown]
# ### The second mistake, in the loss
#
# The chapter's loss (your `chapter_loss_replica`; in Keras, `vaelab.models.chapter_loss`) is
#
#     mean over all pixels of BCE
#       +  5e-4 × mean over latent dims of −(1 + z_log_var − μ² − exp(z_log_var))
#
# The ELBO instead *sums* the BCE over the 784 pixels and *sums* the KL over the dimensions,
# with weight 1. To compare, multiply the chapter's loss by 784: the BCE becomes the ELBO's, and the
# KL weight becomes 784 × 5e-4 × (the ratio between the chapter's KL mean and the true KL).
#
# ### Exercise: the chapter's effective β
#
# Write `effective_beta(latent_dim)`: the weight the chapter's loss really gives the KL,
# measured against a *summed* BCE, for a latent space of any size. (Check it against the ELBO's
# weight of 1: is the chapter's KL worth more or less than it should be?)

# %%
from vaelab.exercises import effective_beta as q


def effective_beta(latent_dim):
    # BEGIN SOLUTION
    return 784 * 5e-4 * 2 / latent_dim
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(effective_beta)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# Let's confirm it numerically on random values: 784 × the chapter's loss equals the summed BCE plus
# 0.392 × the KL.

# %% tags=["nbval-check-output"]
import keras.ops as ops

rng = np.random.default_rng(0)
x = rng.uniform(size=(8, 28, 28, 1)).astype("float32")
p = rng.uniform(0.05, 0.95, size=(8, 28, 28, 1)).astype("float32")
mu, log_var = rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
summed_bce = float(np.mean(-np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))))
kl = float(np.mean(0.5 * np.sum(np.exp(log_var) + mu**2 - 1 - log_var, axis=1)))
chapter = float(ops.convert_to_numpy(chapter_loss(x, p, mu, log_var)))
print("effective beta:", round((784 * chapter - summed_bce) / kl, 3))

# %% [markdown]
# Later editions of the book average the KL over the latent dimensions and drop the 5e-4
# against a summed BCE: at 2 dimensions that is an effective β of 0.5. Either way, the weight of
# the KL changes with `latent_dim` when it should not.
#
# ### Exercise: the KL the chapter should have written
#
# If a model samples with σ = exp(s), its loss must charge the KL of *that* Gaussian. Write
# `chapter_kl(z_mean, s)`: KL(N(z_mean, exp(s)²) ‖ N(0, 1)) per image, summed over dimensions.
# The answer shows why the scale of s is irrelevant: the network can learn s = ½ · z_log_var
# as easily as z_log_var. The bug is the *mismatch* between sampling and KL, not the choice.

# %%
from vaelab.exercises import chapter_kl as q


def chapter_kl(z_mean, s):
    # BEGIN SOLUTION
    return 0.5 * np.sum(np.exp(2 * s) + z_mean**2 - 1 - 2 * s, axis=1)
    # END SOLUTION


# %% tags=["nbval-check-output"]
q.check(chapter_kl)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ## 3. One bug at a time
#
# To see what each bug does, we train **four** models that differ only in their bugs: the
# chapter's (both), σ fixed only, KL weight fixed only, and both fixed. Everything else is the
# same: the data, the optimizer and its schedule (vaelab's recipe), the batch size, the epochs
# and the seed. `build_vae(bugs=...)` brings back either mistake.
#
# We score all four with the **same ruler**: the negative ELBO of the Gaussian each model
# actually samples from, in BCE nats per image (for the σ bug that is N(μ, exp(z_log_var)²),
# whatever its loss claimed).

# %%
variants = {
    "chapter (both bugs)": ("sigma", "kl_weight"),
    "σ fixed only": ("kl_weight",),
    "KL weight fixed only": ("sigma",),
    "both fixed": (),
}
trained, histories, table = {}, {}, {}
for name, bugs in variants.items():
    keras.utils.set_random_seed(0)
    trained[name] = build_vae(bugs=bugs, seed=0)
    histories[name] = train(trained[name], x_train, validation_data=x_test,
                            num_epochs=NUM_EPOCHS, verbose=0)
    table[name] = elbo_terms(trained[name], x_test)

print(f"{'model':22s} {'negative ELBO':>14s} {'reconstruction':>15s} {'KL':>6s}")
for name, s in table.items():
    print(f"{name:22s} {s['neg_elbo']:14.1f} {s['reconstruction_loss']:15.1f} "
          f"{s['kl_loss']:6.1f}")

# %%
fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
names = list(table)
ax.barh(names[::-1], [table[n]["neg_elbo"] for n in names[::-1]], color="C0")
low = min(table[n]["neg_elbo"] for n in names)
ax.set_xlim(low - 15, None)
ax.set_xlabel("held-out negative ELBO, BCE nats per image (lower is better)");

# %% [markdown]
# Each bug can be fixed with the other one present or absent, so each fix is measured twice:
# by two pairs of rows of the table that differ in that bug only. The cell prints both
# differences (negative: the fix lowered the negative ELBO).

# %%
pairs = {
    "fixing σ": [("chapter (both bugs)", "σ fixed only"), ("KL weight fixed only", "both fixed")],
    "fixing the KL weight": [("chapter (both bugs)", "KL weight fixed only"),
                             ("σ fixed only", "both fixed")],
}
for fix, rows in pairs.items():
    changes = [table[after]["neg_elbo"] - table[before]["neg_elbo"] for before, after in rows]
    print(f"{fix}: {changes[0]:+.1f} nats with the other bug present, "
          f"{changes[1]:+.1f} with it fixed")

# %% [markdown]
# What to look for, and why. The σ bug samples a narrower cloud than the one the KL is computed
# for wherever σ < 1, and the ruler charges the KL of the cloud actually sampled, which is larger.
# The weight bug makes the KL cheap (0.392 instead of 1), so the codes drift from the prior and
# the ruler, at weight 1, charges for the drift. How much each fix helps depends on the run (the
# data, the epochs, the seed): read the sizes in your own table; with a short training a
# difference can be large, small, or even of the other sign.
#
# ## The chapter's own number, in nats
#
# The chapter's run ends with `val_loss: 0.1801`. Its loss is a per-pixel *mean*, so multiply by
# 784: 0.1801 × 784 ≈ 141.2. That looks better than any score above, but it is not a negative
# ELBO: it is the summed BCE plus only 0.392 times the KL, and the KL of a Gaussian the model does
# not sample from. The chapter also trained on all 60,000 digits for 10 epochs. Our chapter
# replica shows the difference on one model: its own loss against the ruler.

# %%
replica = "chapter (both bugs)"
own = 784 * histories[replica].history["val_loss"][-1]
print(f"the chapter's val_loss × 784: {own:.1f};  the same model on the ruler: "
      f"{table[replica]['neg_elbo']:.1f} BCE nats per image")

# %% [markdown]
# ## What changes in the latent space
#
# With a KL weight of 0.39 instead of 1, the models with the weight bug pay less for spreading
# their codes away from the origin; with the σ bug the clouds they sample are narrower than the
# ones they pay for. Compare how far each scatter extends beyond the prior's circles: the 1σ
# circle holds 39% of its mass, the 2σ circle 86%.

# %%
fig, axes = plt.subplots(1, 4, figsize=(16, 4), layout="constrained")
for ax, (name, model) in zip(axes, trained.items()):
    plot_latent_scatter(model.encoder, x_test, y_test, ax=ax, show_prior=True)
    ax.set_title(name)
    ax.get_legend().remove()
    ax.set(xlim=(-4, 4), ylim=(-4, 4))

# %% [markdown]
# ## What changes in the samples
#
# Sampling z from the prior N(0, I) and decoding is how a VAE *generates*. A model whose codes do
# not match the prior generates worse: some prior samples fall where no code lives.

# %%
for name, model in trained.items():
    plot_prior_samples(model.decoder, n=12).suptitle(f"{name}: samples from the prior")

# %% [markdown]
# ## What we did
#
# - Read a replica of the chapter's program against the ELBO, found its two mistakes and fixed
#   them: σ = exp(z_log_var), which should be exp(½ · z_log_var), and the KL's weight; wrote
#   the KL that would go with the chapter's σ.
# - Showed that its 5e-4 on a per-pixel mean weighs the KL by 0.392 instead of 1 at
#   `latent_dim = 2`, and turned its printed `val_loss` into nats.
# - Trained four models that differ in one bug at a time and compared them with one ruler: nats
#   per image, latent spread, prior samples.
# - Next, **04 · Exploring the latent space** with the correct, pretrained model.
