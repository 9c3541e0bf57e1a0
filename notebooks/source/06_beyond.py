# %% [markdown]
# # 6 · Beyond
#
# The chapter's VAE is one point in a space of choices. This notebook moves along three axes: the
# weight β of the KL term, the size of the latent space, and the data.
#
# ## What you'll learn
#
# - how β trades sharp reconstructions for a tidy latent space;
# - what a larger `latent_dim` buys in nats, and how to explore it with sliders;
# - training on Fashion-MNIST, on your own `.npz` file, and on full MNIST when you are online.

# %%
import os

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"
NUM_IMAGES = 500 if QUICK else 4_000
NUM_EPOCHS = 1 if QUICK else 3
USE_FULL_MNIST = False  # True when online: 60,000 training digits (slower)

# %%
import keras
import matplotlib.pyplot as plt

from vaelab.data import load_fashion_mnist, load_mnist
from vaelab.metrics import elbo_terms
from vaelab.models import build_vae
from vaelab.plotting import plot_latent_manifold, plot_latent_scatter
from vaelab.training import train

(x_train, y_train), (x_test, y_test) = load_mnist("full" if USE_FULL_MNIST else "auto")
x_small = x_train[:NUM_IMAGES]

# %% [markdown]
# ## 1. The KL weight β
#
# The loss is `reconstruction + beta * KL`. At β = 1 it is the negative ELBO. A smaller β lets each
# code's cloud shrink and wander, which sharpens reconstructions; a larger β pulls codes towards the
# prior, which smooths the map and blurs the digits (β > 1 is the "β-VAE"). We train three models
# and
# always report the *true* negative ELBO (β = 1), whatever β trained them.

# %%
results = {}
models = {}
for beta in (0.5, 1.0, 4.0):
    keras.utils.set_random_seed(0)
    vae = build_vae(beta=beta, seed=0)
    train(vae, x_small, num_epochs=NUM_EPOCHS, verbose=0)
    models[beta] = vae
    results[beta] = elbo_terms(vae, x_test)
    s = results[beta]
    print(f"beta={beta}: reconstruction {s['reconstruction_loss']:6.1f}  KL {s['kl_loss']:5.2f}  "
          f"negative ELBO {s['neg_elbo']:6.1f} nats")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
for ax, (beta, vae) in zip(axes, models.items()):
    plot_latent_manifold(vae.decoder, n=10, ax=ax)
    ax.set_title(f"beta = {beta}")

# %% [markdown]
# ### Exercise: read your own results
#
# As β grows from 0.5 to 4, does the KL term of the trained model go "up" or "down"? Answer from
# the table your run printed above; the check reads the same table (`results`).

# %%
from vaelab.exercises import beta_effect as q

answer = "down"  # LEARNER: answer = ...  # "up" or "down"

# %% tags=["nbval-check-output"]
q.check(answer, results)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ## 2. A larger latent space
#
# Two dimensions make a map we can draw, but they are a tight bottleneck. With `latent_dim = 8` the
# model describes digits in fewer nats. The explorer then shows one slider per dimension.

# %%
keras.utils.set_random_seed(0)
vae8 = build_vae(latent_dim=8, seed=0)
train(vae8, x_small, num_epochs=NUM_EPOCHS, verbose=0)
print(f"latent_dim=8: negative ELBO {elbo_terms(vae8, x_test)['neg_elbo']:.1f} nats "
      f"(latent_dim=2 with the same training: {results[1.0]['neg_elbo']:.1f})")

# %%
from vaelab.widgets import LatentExplorer

LatentExplorer(vae8.decoder)

# %% [markdown]
# ## 3. Other data
#
# **Fashion-MNIST** has the same shape as MNIST (28 × 28 grey images, 10 classes) but shows
# clothes. Offline, `load_fashion_mnist` reads Debian's `dataset-fashion-mnist` package; online it
# downloads through Keras.

# %%
try:
    (f_train, f_labels), (f_test, f_test_labels) = load_fashion_mnist()
except FileNotFoundError as error:
    print(error)
else:
    # keep only what we use: the full 70,000 images take 220 MB as floats
    f_train, f_test = f_train[:NUM_IMAGES].copy(), f_test[:2000].copy()
    f_test_labels = f_test_labels[:2000].copy()
    del f_labels
    keras.utils.set_random_seed(0)
    fashion_vae = build_vae(seed=0)
    train(fashion_vae, f_train, num_epochs=NUM_EPOCHS, verbose=0)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    plot_latent_manifold(fashion_vae.decoder, n=10, ax=axes[0])
    plot_latent_scatter(fashion_vae.encoder, f_test, f_test_labels, ax=axes[1])

# %% [markdown]
# **Your own images:** save them as `numpy.savez("mine.npz", x=images, y=labels)` with `images` of
# shape `(N, 28, 28)`, uint8 or floats in [0, 1]; then `vaelab.load_npz("mine.npz")` or, from a
# terminal, `vaelab train --dataset mine.npz`.
#
# **Full MNIST:** set `USE_FULL_MNIST = True` at the top when you are online, or run
# `vaelab train --dataset mnist --epochs 5` in a terminal. The defaults are the same; each epoch
# sees 7.5 times more digits.
#
# ## What we did
#
# - Traded reconstruction against KL with β and watched the map change.
# - Gave the model more latent dimensions and explored them with sliders.
# - Trained on Fashion-MNIST, and saw how to bring your own data or full MNIST.
# - That is the course. The `vaelab` package is yours to reuse: every function used here has a
#   docstring naming the notebook that introduces it.
