# %% [markdown]
# # 0 · Start here
#
# Welcome to **vaelab**, a hands-on course on *variational autoencoders* (VAEs). We follow the
# model of *Deep Learning with Python* (1st edition, section 8.4): a small convolutional network
# that squeezes each handwritten digit of MNIST into just **two numbers**, and a second network that
# turns any two numbers back into a digit. By the end you will steer a point through that 2-D
# space with sliders and watch digits morph into each other.
#
# ## What you'll learn
#
# - what each notebook covers and in which order to read them;
# - how to run the course (Binder or your own machine) and what *quick mode* is;
# - how to check that everything works, in one cell.

# %% [markdown]
# ## The path through the course
#
# | notebook | the one idea |
# | --- | --- |
# | 01 · Autoencoders | rebuild an image; the holes an autoencoder leaves, and what fills them |
# | 02 · Building the VAE | the generative story, the ELBO, the reparameterization; the model |
# | 02b · Evaluating the VAE | what the nats mean; log p(x); the true posterior beside q(z \| x) |
# | 03 · Spot the bug | read a replica of the chapter's program and find its two mistakes |
# | 04 · Exploring the latent space | the digit map, the codes against the prior, the explorer |
# | 05 · Concept vectors | "four-ness" and "slant", editing and interpolating images |
# | 06 · Beyond | β and bits, posterior collapse, blur, bigger latent spaces, other data |
#
# Each notebook opens with *What you'll learn*, ends with *What we did*, and has at least one
# exercise whose answer you can check with a `vaelab.exercises` function.
#
# **What you need first:**
#
# - Python and NumPy, and training a neural network in Keras (layers, `fit`, a loss, gradients
#   by backpropagation);
# - logarithms (the log of a product is a sum of logs) and the idea of a gradient;
# - probability at the level of a first course: a density, the **expectation** E[f(z)] as an
#   average over draws of z, a **Gaussian** with a mean and a variance (in several dimensions,
#   one per coordinate), a **conditional** probability p(x | z) and **Bayes' rule**
#   p(z | x) = p(x | z) p(z) / p(x).
#
# The notebook *Building the VAE* introduces what it needs beyond that, the **KL divergence** and
# **Jensen's inequality**, where the loss is derived.

# %% [markdown]
# ## How to run it
#
# - **Binder:** the *launch* badge in the README opens this course in your browser; nothing to
#   install. A Binder machine has 2 CPU cores and about 2 GB of memory, so every notebook uses a
#   **pretrained** model by default and runs in a few minutes.
# - **Your machine:** `python3 -m venv .venv && .venv/bin/pip install -e ".[lab]"`, then
#   `.venv/bin/jupyter lab notebooks/00_start_here.ipynb`.
# - **Training yourself:** notebooks that train have a `TRAIN_FROM_SCRATCH` switch near the top.
# - **Quick mode:** if the environment variable `VAELAB_QUICK` is `1`, notebooks use less data and
#   one epoch. The code path is the same; only the sizes change. Our tests run the course this way.

# %%
import os

import vaelab  # noqa: F401 (first: keeps TensorFlow's start-up lines out of the notebook)

# Quick mode (CI sets VAELAB_QUICK=1): less data and fewer epochs, the same code.
QUICK = os.environ.get("VAELAB_QUICK", "0") == "1"

# %% [markdown]
# ## Check your setup
#
# The cell below loads MNIST and builds the chapter's model with `vaelab` (which picks Keras's
# TensorFlow backend and keeps TensorFlow's start-up log out of the notebook). Offline, `load_mnist`
# falls back to 10,000 real MNIST digits shipped with the package and tells you so.

# %%
import keras

from vaelab.data import load_mnist
from vaelab.models import build_vae

print("Keras", keras.__version__, "with the", keras.backend.backend(), "backend")
(x_train, y_train), (x_test, y_test) = load_mnist()
print("training images:", x_train.shape, "test images:", x_test.shape)

# %% tags=["nbval-check-output"]
vae = build_vae()
print("parameters:", f"{vae.encoder.count_params() + vae.decoder.count_params():,}")
print("encoder outputs:", [tuple(output.shape) for output in vae.encoder.outputs])

# %% [markdown]
# 550,629 parameters, exactly the chapter's model, and an encoder with two outputs of size 2 per
# image: `z_mean` and `z_log_var`. Those names come back in every notebook.
#
# ## Exercise
#
# The encoder turns each image into a code of `latent_dim = 2` numbers. How many times fewer
# numbers is that than the pixels of one image? Compute it from `x_train.shape`.
#
# Every exercise of the course works the same way: replace the `...` with your answer, run the
# cell, then run the check below it. It answers *Correct*, names what is wrong, or reminds you
# that the exercise is still open. `q.hint()` asks you a question first; `q.hint(2)` says more;
# `q.solution()` shows the answer.

# %%
from vaelab.exercises import compression_ratio as q

ratio = x_train.shape[1] * x_train.shape[2] / 2  # LEARNER: ratio = ...

# %% tags=["nbval-check-output"]
q.check(ratio)
# q.hint()      # stuck? a question to think about
# q.solution()  # the answer

# %% [markdown]
# ## What we did
#
# - Met the plan of the course: autoencoders → VAE → its bugs → exploring → editing → beyond.
# - Checked that Keras, the data and the chapter's 550,629-parameter model are ready.
# - Next: **01 · Autoencoders**.
