# %% [markdown]
# # 3 · Spot the bug
#
# The chapter this course follows has two mistakes in its VAE, and its model still trains and
# still draws a nice digit map. That is what makes them worth studying: a VAE with a wrong loss
# does not crash, it quietly becomes a different model. Here we put the chapter's version and the
# correct one side by side.
#
# ## What you'll learn
#
# - **Bug 1, the sampling:** the chapter draws z = μ + exp(z_log_var) · ε. What should σ be?
# - **Bug 2, the KL weight:** the chapter adds 5e-4 × (a mean of the KL integrand) to a *per-pixel
#   mean* cross-entropy. What weight does that give the KL, compared to the ELBO?
# - what each bug changes in the loss, the latent space and the samples.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 1_000 if QUICK else 8_000
NUM_EPOCHS = 1 if QUICK else 2

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
# ## Bug 1: σ = exp(z_log_var)
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
# ## Bug 2: the KL weight
#
# The chapter's loss, reproduced in `vaelab.models.chapter_loss`, is
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
# ## Training both
#
# `build_vae(chapter_replica=True)` trains with both bugs (and the chapter's `rmsprop`, batch 16).
# The correct model uses vaelab's recipe. We score both with the **same** ruler: the negative
# ELBO of
# the Gaussian each model actually samples from, in nats per image.

# %%
keras.utils.set_random_seed(0)
chapter_vae = build_vae(chapter_replica=True, seed=0)
train(chapter_vae, x_train, num_epochs=NUM_EPOCHS, batch_size=16, learning_rate=1e-3,
      schedule="constant", verbose=2)

keras.utils.set_random_seed(0)
correct_vae = build_vae(seed=0)
train(correct_vae, x_train, num_epochs=NUM_EPOCHS, verbose=2)

for name, model in (("chapter", chapter_vae), ("correct", correct_vae)):
    s = elbo_terms(model, x_test)
    print(f"{name:8s} negative ELBO {s['neg_elbo']:6.1f} = "
          f"reconstruction {s['reconstruction_loss']:6.1f} + KL {s['kl_loss']:4.1f} nats")

# %% [markdown]
# ## What changes in the latent space
#
# With a KL weight of 0.39 instead of 1, the chapter's model pays less for spreading its codes
# away from the origin, and with the too-narrow σ its clouds overlap less. Compare the spread of the
# two scatters and how far they extend beyond the unit circle where the prior puts most of its mass.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
plot_latent_scatter(chapter_vae.encoder, x_test, y_test, ax=axes[0])
axes[0].set_title("chapter (both bugs)")
plot_latent_scatter(correct_vae.encoder, x_test, y_test, ax=axes[1])
axes[1].set_title("correct ELBO");

# %% [markdown]
# ## What changes in the samples
#
# Sampling z from the prior N(0, I) and decoding is how a VAE *generates*. A model whose codes do
# not
# match the prior generates worse: some prior samples fall where no code lives.

# %%
plot_prior_samples(chapter_vae.decoder, n=16).suptitle("chapter: samples from the prior")
plot_prior_samples(correct_vae.decoder, n=16).suptitle("correct: samples from the prior");

# %% [markdown]
# ## What we did
#
# - Found the chapter's σ = exp(z_log_var), which should be exp(½ · z_log_var).
# - Showed that its 5e-4 on a per-pixel mean weighs the KL by 0.392 instead of 1 at
#   `latent_dim = 2`.
# - Trained both models and compared them with one ruler: nats per image, latent spread, prior
#   samples.
# - Next, **04 · Exploring the latent space** with the correct, pretrained model.
