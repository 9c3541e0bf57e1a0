"""The exercises of notebook 02 (Building the VAE)."""

from __future__ import annotations

import inspect
import math

import numpy as np

from ._core import Blank, Exercise, Wrong, _call, _close


def _sampling(sample):
    rng = np.random.default_rng(7)
    z_mean, z_log_var, epsilon = (rng.normal(size=(5, 3)) for _ in range(3))
    got = _call(sample, z_mean, z_log_var, epsilon)
    want = z_mean + np.exp(0.5 * z_log_var) * epsilon
    if np.shape(got) != want.shape:
        raise Wrong(f"return one z per row: shape {want.shape}, got {np.shape(got)}.")
    if _close(got, z_mean + np.exp(z_log_var) * epsilon):
        raise Wrong("exp(z_log_var) is σ², not σ: z_log_var is the log of the variance.")
    if _close(got, z_mean + z_log_var * epsilon) or _close(
        got, z_mean + np.exp(z_log_var) ** 2 * epsilon
    ):
        raise Wrong("z_log_var is a log-variance: turn it into a standard deviation first.")
    if _close(got, z_mean + np.sqrt(np.abs(z_log_var)) * epsilon):
        raise Wrong("the square root of z_log_var is not σ: undo the log first.")
    if not _close(got, want):
        raise Wrong("shift ε by z_mean and scale it by the standard deviation.")
    return "z = z_mean + exp(½ · z_log_var) · ε."


sampling = Exercise(
    "sampling",
    "02",
    "write sample(z_mean, z_log_var, epsilon), returning z with NumPy.",
    _sampling,
    [
        "z_log_var is log σ². Which operations turn it into σ?",
        "exp(z_log_var) is the variance σ², not σ: σ is its square root (and √exp(a) = "
        "exp(a / 2)). Then z = z_mean + σ · ε.",
    ],
)


def _log_normal(z, mean, log_var):
    return -0.5 * (np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var))


def _kl_estimate(kl_estimate):
    """KL(q ‖ p) by Monte Carlo: the mean over draws z ~ q of log q(z) − log p(z)."""
    rng = np.random.default_rng(21)
    z_mean, z_log_var = 1.5 * rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) - 1
    epsilon = rng.normal(size=(500, 4, 3))
    got = _call(kl_estimate, z_mean, z_log_var, epsilon)
    if np.shape(got) != (4,):
        raise Wrong(f"return one estimate per image, shape (4,); got {np.shape(got)}.")

    def estimate(z, log_q_var=z_log_var, reduce=np.sum, sign=1.0):
        log_q = _log_normal(z, z_mean, log_q_var)
        log_p = _log_normal(z, 0.0, np.zeros_like(z_log_var))
        return sign * reduce(log_q - log_p, axis=-1).mean(axis=0)

    sigma = np.exp(0.5 * z_log_var)
    z = z_mean + sigma * epsilon
    wrong = [
        (
            estimate(z, sign=-1.0),
            "the sign is flipped: the KL of q from p averages "
            "log q − log p, and it is never negative.",
        ),
        (
            estimate(epsilon),
            "those draws come from the prior p = N(0, 1): KL(q ‖ p) averages "
            "over draws from q, z = μ + σ · ε.",
        ),
        (
            estimate(z_mean + np.exp(z_log_var) * epsilon),
            "the draws use σ = exp(z_log_var), which is σ²: σ = exp(½ · z_log_var).",
        ),
        (
            estimate(z, reduce=np.mean),
            "that averages over the latent dimensions: the KL of "
            "independent dimensions is their sum.",
        ),
        (
            np.mean(np.sum(-0.5 * epsilon**2 + 0.5 * z**2, axis=-1), axis=0),
            "log q(z) is missing −log σ: the density of N(μ, σ²) has it in its normalizer.",
        ),
        (
            # norm.logpdf(z, z_mean, sigma**2): the variance passed where the scale goes
            estimate(z, log_q_var=2 * z_log_var),
            "log q(z) was given the variance σ² as its scale: norm.logpdf(z, loc, scale) takes "
            "the standard deviation σ.",
        ),
        (
            0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=-1),
            "that is the closed form of section 3: the exercise asks for the estimate from the "
            "draws epsilon, which comes near it but not exactly.",
        ),
    ]
    for value, message in wrong:
        if _close(got, value, 1e-4):
            raise Wrong(message)
    if not _close(got, estimate(z), 1e-4):
        raise Wrong(
            "with the same ε, your estimate differs from the mean of log q(z) − log p(z) "
            "over the draws z = μ + σ · ε, summed over the dimensions."
        )
    return (
        "the mean of log q(z) − log p(z) over draws from q: unbiased, and it settles on "
        "the closed form as the draws grow."
    )


kl_estimate = Exercise(
    "kl_estimate",
    "02",
    "write kl_estimate(z_mean, z_log_var, epsilon): KL(q ‖ p) by Monte Carlo.",
    _kl_estimate,
    [
        "KL(q ‖ p) = E_q[log q(z) − log p(z)]. Which distribution must the draws come from, and "
        "how do you turn ε into a draw from it?",
        "z = z_mean + exp(½ · z_log_var) · ε (broadcast over the first axis of ε); "
        "scipy.stats.norm.logpdf(z, loc, scale) gives log q and log p per dimension; sum over "
        "the last axis, average over the first.",
    ],
)


def _reconstruction(reconstruction_loss):
    rng = np.random.default_rng(3)
    x = rng.random((4, 28, 28, 1)).round()
    p = np.clip(rng.random((4, 28, 28, 1)), 0.01, 0.99)
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    want = per_pixel.reshape(4, -1).sum(axis=1)
    got = np.asarray(
        _call(reconstruction_loss, x.astype("float32"), p.astype("float32")), dtype=float
    )
    if np.shape(got) != want.shape:
        raise Wrong(f"return one loss per image, shape {want.shape}; got {np.shape(got)}.")
    if _close(got, per_pixel.reshape(4, -1).mean(axis=1), 1e-4):
        raise Wrong(
            "that is the mean over pixels; the negative "
            "log-likelihood of an image sums over its pixels."
        )
    if _close(got, -want, 1e-4):
        raise Wrong("check the sign: a loss in nats is positive.")
    if not _close(got, want, 1e-4):
        raise Wrong("the binary cross-entropy of each pixel, summed over the 784 pixels.")
    return "−log p(x|z): the binary cross-entropy summed over the pixels, in nats."


reconstruction = Exercise(
    "reconstruction",
    "02",
    "write reconstruction_loss(x, probabilities): the summed binary cross-entropy per image.",
    _reconstruction,
    [
        "Each pixel is a coin with probability p of being white. What is −log of the chance of "
        "what we saw, for one pixel? And for all of them at once?",
        "ops.sum of keras.losses.binary_crossentropy(x, p) over the pixel axes (1, 2).",
    ],
)


def _decoder(build_my_decoder):
    import keras

    from vaelab.models import build_decoder

    if not callable(build_my_decoder) or isinstance(build_my_decoder, keras.Model):
        raise Wrong("pass the function that builds the decoder (no parentheses).")
    try:
        mine = build_my_decoder(2)
    except NotImplementedError:
        raise Blank from None
    except Exception as error:
        raise Wrong(f"building the decoder raised {type(error).__name__}: {error}") from None
    if mine is None or mine is Ellipsis:
        raise Blank
    if not isinstance(mine, keras.Model):
        raise Wrong(f"return a keras.Model, got {type(mine).__name__}.")
    reference = build_decoder(2)
    if tuple(mine.output_shape[1:]) != (28, 28, 1):
        raise Wrong(
            f"the decoder must output images of shape (28, 28, 1), got {mine.output_shape[1:]}."
        )
    if mine.count_params() != reference.count_params():
        raise Wrong(
            f"{mine.count_params():,} parameters instead of the chapter's "
            f"{reference.count_params():,}: compare your layers with the chapter's."
        )
    try:
        mine.set_weights(reference.get_weights())
    except ValueError:
        raise Wrong(
            "same number of parameters but in other shapes: check the layer order."
        ) from None
    z = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    got, want = np.asarray(mine(z)), np.asarray(reference(z))
    if got.min() < 0 or got.max() > 1:
        raise Wrong(
            "the last layer's outputs are probabilities: which activation keeps them in [0, 1]?"
        )
    if not _close(got, want, 1e-4):
        raise Wrong("same weights, different outputs: check strides, padding and activations.")
    return "the chapter's decoder: Dense → Reshape → Conv2DTranspose → Conv2D with a sigmoid."


decoder = Exercise(
    "decoder",
    "02",
    "write build_my_decoder(latent_dim): z → an image of Bernoulli means.",
    _decoder,
    [
        "The decoder undoes the encoder. Which shape did the encoder flatten, and which layer "
        "doubles 14 × 14 back to 28 × 28?",
        "Dense(14 * 14 * 64, relu) → Reshape((14, 14, 64)) → Conv2DTranspose(32, 3, strides=2, "
        "padding='same', relu) → Conv2D(1, 3, padding='same', sigmoid).",
    ],
)


def _recording(decoder):
    """``decoder`` as a layer that keeps every z it decodes (the judge runs eagerly)."""
    import keras

    class RecordingDecoder(keras.layers.Layer):
        def __init__(self):
            super().__init__(name="decoder")
            self.decoder, self.codes = decoder, []
            self.built = True

        def call(self, z, training=None):
            self.codes.append(keras.ops.convert_to_numpy(z))
            return self.decoder(z, training=training)

    return RecordingDecoder()


#: The σ of the judge's q(z|x): half the entries 0.5, half 2, so that no single scale of ε, and
#: no other function of z_log_var than exp(½ · z_log_var), gives both.
_SIGMAS = (0.5, 2.0)


def _sample_problem(z, z_mean, sigma) -> str | None:
    """What is wrong with the z a model decoded, given the q(z|x) it was handed (None: a
    plausible sample: (z − μ) / σ has mean 0 and spread 1 at both σ, within 5 standard errors)."""
    if np.shape(z) != np.shape(z_mean):
        return (
            f"self.decoder received z of shape {np.shape(z)}; it needs one code per image, the "
            f"shape of z_mean {np.shape(z_mean)}."
        )
    step = np.asarray(z, dtype=float) - z_mean
    if np.allclose(step, 0.0, atol=1e-6):
        return (
            "your model never samples: it decodes z_mean itself. Draw ε ~ N(0, I) and decode "
            "z = z_mean + σ · ε (self.sampler does both)."
        )
    epsilon = step / sigma
    if np.all(epsilon.std(axis=0) < 1e-6):
        return "every image gets the same ε: draw one per image and dimension (z_mean's shape)."
    spread = [float(np.sqrt(np.mean(step[sigma == s] ** 2))) for s in _SIGMAS]
    if all(math.isclose(got, s**2, rel_tol=0.15) for got, s in zip(spread, _SIGMAS)):
        return (
            "your z spreads by σ² where σ is asked: exp(z_log_var) is σ², not σ. "
            "z_log_var is log σ², so σ = exp(½ · z_log_var)."
        )
    if not all(math.isclose(got, s, rel_tol=0.15) for got, s in zip(spread, _SIGMAS)):
        return (
            "the spread of your z around z_mean is not σ = exp(½ · z_log_var): where σ is "
            f"{_SIGMAS[0]:g} it strays {spread[0]:.2f}, where σ is {_SIGMAS[1]:g} {spread[1]:.2f}."
        )
    if abs(float(epsilon.mean())) > 0.15:
        return "your z is not centred on z_mean: z = z_mean + σ · ε, with ε of mean 0."
    return None


def _model(MyVAE):
    """The learner's VAE class against vaelab's losses on a batch of 512 images: its decoder
    records the z it receives, which must be a sample of q(z|x) (checked by its spread at two
    values of σ), and the loss must equal reconstruction + KL computed here on that same z."""
    import keras

    from vaelab.data import load_bundled_mnist
    from vaelab.models import build_decoder, build_encoder, kl_divergence, reconstruction_loss

    if not (inspect.isclass(MyVAE) and issubclass(MyVAE, keras.Model)):
        raise Wrong("pass your class itself (a subclass of keras.Model), not an instance.")
    decoder = build_decoder(2)
    recorder = _recording(decoder)
    try:
        mine = MyVAE(build_encoder(2), recorder)
    except Exception as error:
        raise Wrong(f"MyVAE(encoder, decoder) raised {type(error).__name__}: {error}") from None
    rng = np.random.default_rng(5)
    x = load_bundled_mnist()[1][0][:512]
    z_mean = rng.normal(size=(len(x), 2)).astype("float32")
    sigma = rng.choice(np.asarray(_SIGMAS, "float32"), size=z_mean.shape)
    z_log_var = np.log(sigma**2)
    y_pred = (keras.ops.convert_to_tensor(z_mean), keras.ops.convert_to_tensor(z_log_var))
    try:
        loss = mine.compute_loss(x=x, y_pred=y_pred)
    except NotImplementedError:
        raise Blank from None
    except Exception as error:
        raise Wrong(f"compute_loss raised {type(error).__name__}: {error}") from None
    if loss is None or loss is Ellipsis:
        raise Blank
    try:
        got = np.asarray(keras.ops.convert_to_numpy(loss), dtype=float)
    except Exception:
        raise Wrong(f"compute_loss returned {type(loss).__name__}, not a number.") from None
    if got.size != 1:
        raise Wrong(
            f"compute_loss returns one number, the batch mean; yours has shape {got.shape}."
        )
    got = float(got.reshape(()))
    if not recorder.codes:
        raise Wrong("compute_loss never calls self.decoder: decode a sample z to score x.")
    problems = [_sample_problem(z, z_mean, sigma) for z in recorder.codes]
    if None not in problems:
        raise Wrong(problems[-1])
    z = recorder.codes[problems.index(None)]
    reconstruction = keras.ops.convert_to_numpy(reconstruction_loss(x, decoder(z)))
    kl = keras.ops.convert_to_numpy(kl_divergence(z_mean, z_log_var))
    reconstruction, kl = reconstruction.astype(float), kl.astype(float)
    want = float(np.mean(reconstruction + kl))

    def near(value):
        return math.isclose(got, float(value), rel_tol=1e-4)

    if near(np.mean(reconstruction)):
        raise Wrong("the loss is missing the KL term.")
    if any(near(np.mean(reconstruction / 784 + k)) for k in (0, kl, kl / 2)):
        raise Wrong("that looks like a per-pixel mean: sum the BCE over the 784 pixels.")
    if near(np.mean(reconstruction - kl)):
        raise Wrong("the KL is subtracted: the loss is reconstruction + β · KL.")
    if near(np.mean(reconstruction + kl / 2)):
        raise Wrong("the KL is a sum over the latent dimensions, not a mean.")
    if near(np.sum(reconstruction + kl)):
        raise Wrong("return the batch mean of the per-image losses, not their sum.")
    if not near(want):
        raise Wrong(
            f"your loss on a fixed batch is {got:.2f} nats, not what reconstruction + "
            "beta · KL gives on the z your model decoded."
        )
    # The same batch with beta = 0.5: the KL's weight must follow self.beta.
    recorder = _recording(decoder)
    try:
        half = MyVAE(build_encoder(2), recorder, beta=0.5)
        got = keras.ops.convert_to_numpy(half.compute_loss(x=x, y_pred=y_pred))
        got = float(np.asarray(got, dtype=float).reshape(()))
    except Exception as error:
        raise Wrong(
            f"with beta=0.5, MyVAE(encoder, decoder, beta=0.5).compute_loss raised "
            f"{type(error).__name__}: {error}"
        ) from None
    plausible = [z for z in recorder.codes if _sample_problem(z, z_mean, sigma) is None]
    if not plausible:
        raise Wrong("with beta=0.5 your model decoded no sample of q(z|x).")
    reconstruction = keras.ops.convert_to_numpy(reconstruction_loss(x, decoder(plausible[0])))
    reconstruction = reconstruction.astype(float)
    if near(np.mean(reconstruction + kl)):
        raise Wrong(
            "your loss ignores self.beta: with beta=0.5 it still adds the whole KL. "
            "Multiply the KL by self.beta."
        )
    if not near(np.mean(reconstruction + 0.5 * kl)):
        raise Wrong(
            f"with beta=0.5 your loss is {got:.2f} nats, not reconstruction + 0.5 · KL on the z "
            "your model decoded."
        )
    return "the same model as vaelab.models.VAE: encode, sample, decode, reconstruction + β·KL."


model = Exercise(
    "model",
    "02",
    "write class MyVAE(keras.Model) whose compute_loss samples, decodes and adds the two losses.",
    _model,
    [
        "compute_loss receives y_pred = (z_mean, z_log_var) from call(). What do you need before "
        "you can decode, and which two numbers per image make the loss?",
        "z = self.sampler(z_mean, z_log_var); reconstruction = self.decoder(z); return the batch "
        "mean of reconstruction_loss(x, reconstruction) + self.beta * kl_divergence(z_mean, "
        "z_log_var).",
    ],
)
