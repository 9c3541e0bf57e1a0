"""The course's exercises: each one checks an answer, gives hints and shows its solution.

Every exercise is an :class:`Exercise` named after its idea (``sampling``, ``kl``, ...) and
used as Kaggle's learntools do::

    from vaelab.exercises import sampling as q
    q.check(sample)   # "Correct: ...", "Not yet: ..." naming the mistake, or "Not answered yet"
    q.hint()          # a question first; q.hint(2) for the next hint
    q.solution()      # the answer

Learner notebooks ship with placeholders (``...``): ``check`` recognises an unanswered exercise
and prints a nudge instead of raising, so a notebook still runs top to bottom. A verdict starts
with "Correct" only when the answer is right. Reference values are computed here, independently
of what the learner passes, and the common wrong answers are recognised by name.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np

CORRECT = "Correct: "
NOT_YET = "Not yet: "
UNANSWERED = "Not answered yet: "


class Wrong(Exception):
    """Raised by a judge with the message the learner sees (names the mistake, not the answer)."""


class Blank(Exception):
    """Raised by a judge when the answer is still the placeholder."""


class Exercise:
    """One exercise: ``check(answer)``, ``hint(level)``, ``solution()``; introduced in notebook 00.

    ``judge(*answer)`` returns the praise for a right answer, raises :class:`Wrong` with a
    message for a wrong one and :class:`Blank` for a placeholder.
    """

    def __init__(self, name: str, notebook: str, task: str, judge: Callable, hints, solution: str):
        self.name, self.notebook, self.task = name, notebook, task
        self.judge, self.hints, self.solution_text = judge, list(hints), solution.strip()

    def verdict(self, *answer) -> tuple[str, str]:
        """``("correct" | "wrong" | "unanswered", message)`` for ``answer``, printing nothing."""
        try:
            if any(part is Ellipsis for part in answer):
                raise Blank
            return "correct", CORRECT + self.judge(*answer)
        except Blank:
            return "unanswered", (
                f"{UNANSWERED}{self.task} Replace the ... and run the cell "
                "again (q.hint() for a hint)."
            )
        except Wrong as wrong:
            return "wrong", f"{NOT_YET}{wrong} (q.hint() for a hint)"

    def check(self, *answer) -> None:
        """Print the verdict on ``answer``: it starts with "Correct" only when it is right."""
        print(self.verdict(*answer)[1])

    def hint(self, level: int = 1) -> None:
        """Print hint ``level`` (1 asks a question; later ones say more)."""
        level = min(max(int(level), 1), len(self.hints))
        more = f" (q.hint({level + 1}) for the next)" if level < len(self.hints) else ""
        print(f"Hint {level} of {len(self.hints)}: {self.hints[level - 1]}{more}")

    def solution(self) -> None:
        """Print the solution."""
        print(f"Solution:\n{self.solution_text}")

    def __repr__(self):
        return f"<exercise {self.name!r} of notebook {self.notebook}: {self.task}>"


def _number(answer, what: str) -> float:
    """``answer`` as a float: Python and NumPy numbers and 1-element arrays are accepted."""
    array = np.asarray(answer)
    if array.dtype == object or array.size != 1 or not np.issubdtype(array.dtype, np.number):
        raise Wrong(f"give {what} as one number, got {type(answer).__name__} {answer!r:.60}.")
    return float(array.reshape(()))


def _array(answer, shape, what: str) -> np.ndarray:
    if answer is None:
        raise Blank
    try:
        array = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be an array of numbers, got {type(answer).__name__}.") from None
    if array.shape != tuple(shape):
        raise Wrong(f"{what} should have shape {tuple(shape)}, got {array.shape}.")
    return array


def _call(function, *inputs):
    """The learner's function applied to ``inputs``; its errors become a verdict."""
    if not callable(function):
        raise Wrong(f"pass the function itself (no parentheses), got {type(function).__name__}.")
    try:
        result = function(*inputs)
    except NotImplementedError:
        raise Blank from None
    except Exception as error:
        raise Wrong(f"your function raised {type(error).__name__}: {error}") from None
    if result is None or result is Ellipsis:
        raise Blank
    return np.asarray(result, dtype=float) if not hasattr(result, "numpy") else result.numpy()


def _close(a, b, tolerance=1e-5) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=tolerance, atol=tolerance)


# -- notebook 00 -------------------------------------------------------------------------------


def _compression_ratio(answer):
    value = _number(answer, "the ratio")
    if math.isclose(value, 1 / 392, rel_tol=1e-3):
        raise Wrong("that is the code's size over the image's; the question asks image over code.")
    if math.isclose(value, 28 / 2, rel_tol=1e-3):
        raise Wrong("an image has 28 × 28 pixels, not 28.")
    if not math.isclose(value, 392, rel_tol=1e-3):
        raise Wrong(f"{value:g} is not the number of pixels per number of the code.")
    return "784 pixels squeezed into 2 numbers: 392 times fewer."


compression_ratio = Exercise(
    "compression_ratio",
    "00",
    "how many times fewer numbers does the 2-D code hold than one image?",
    _compression_ratio,
    [
        "How many numbers is one image? Look at x_train.shape.",
        "One image has 28 × 28 = 784 pixels, the code latent_dim = 2 numbers.",
    ],
    "ratio = x_train.shape[1] * x_train.shape[2] / 2  # 784 / 2 = 392",
)


# -- notebook 01 -------------------------------------------------------------------------------


def _midpoint(function):
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=2), rng.normal(size=2)
    got = _call(function, a, b)
    if _close(got, a + b):
        raise Wrong("that is the sum of the two codes; halfway is not that far.")
    if _close(got, (b - a) / 2) or _close(got, (a - b) / 2):
        raise Wrong("that is half the step from one code to the other, not a point between them.")
    if not _close(got, (a + b) / 2):
        raise Wrong("the point you return is not halfway between the two codes.")
    return "halfway is (a + b) / 2, coordinate by coordinate."


midpoint = Exercise(
    "midpoint",
    "01",
    "write midpoint(code_a, code_b), the point halfway between two codes.",
    _midpoint,
    [
        "On a ruler, what number lies halfway between 2 and 6? Do the same in each coordinate.",
        "Average the two codes: add them and divide by 2.",
    ],
    "def midpoint(code_a, code_b):\n    return (code_a + code_b) / 2",
)


def _holes(function):
    rng = np.random.default_rng(11)
    codes = np.concatenate([rng.normal(-1, 0.3, size=(40, 2)), rng.normal(1.2, 0.2, size=(30, 2))])
    values = np.linspace(-1.645, 1.645, 12)
    points = np.stack([a.ravel() for a in np.meshgrid(values, values)], axis=1)
    gaps = np.linalg.norm(points[:, None] - codes[None], axis=-1)
    want = float(np.mean(gaps.min(axis=1) > 0.25))
    got = _number(_call(function, codes, points, 0.25), "the share")
    if math.isclose(got, 1 - want, abs_tol=1e-9):
        raise Wrong("that is the share of points *near* a code; a hole is a point far from all.")
    if math.isclose(got, want * len(points), abs_tol=1e-9):
        raise Wrong("that is a count of holes; divide by the number of grid points.")
    if math.isclose(got, float(np.mean(gaps.mean(axis=1) > 0.25)), abs_tol=1e-9):
        raise Wrong("use the distance to the *nearest* code (the minimum), not the mean distance.")
    if not math.isclose(got, want, abs_tol=1e-9):
        raise Wrong(f"{got:g} is not the share of grid points farther than 0.25 from every code.")
    return "a point is a hole when even its nearest code is farther than the distance."


holes = Exercise(
    "holes",
    "01",
    "write hole_fraction(codes, points, distance): the share of points far from every code.",
    _holes,
    [
        "For one grid point, which code decides whether it is a hole: the nearest, the farthest, "
        "or all of them on average?",
        "Distances from every point to every code: np.linalg.norm(points[:, None] - "
        "codes[None], axis=-1), shape (points, codes). Take the minimum over codes.",
    ],
    "def hole_fraction(codes, points, distance):\n"
    "    gaps = np.linalg.norm(points[:, None] - codes[None], axis=-1)\n"
    "    return np.mean(gaps.min(axis=1) > distance)",
)


# -- notebook 02 -------------------------------------------------------------------------------


def _sampling(function):
    rng = np.random.default_rng(7)
    z_mean, z_log_var, epsilon = (rng.normal(size=(5, 3)) for _ in range(3))
    got = _call(function, z_mean, z_log_var, epsilon)
    want = z_mean + np.exp(0.5 * z_log_var) * epsilon
    if np.shape(got) != want.shape:
        raise Wrong(f"return one z per row: shape {want.shape}, got {np.shape(got)}.")
    if _close(got, z_mean + np.exp(z_log_var) * epsilon):
        raise Wrong(
            "σ = exp(z_log_var) is the chapter's mistake: z_log_var is the log of σ², not of σ."
        )
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
        "σ = exp(½ · z_log_var); then z = z_mean + σ · ε.",
    ],
    "def sample(z_mean, z_log_var, epsilon):\n"
    "    return z_mean + np.exp(0.5 * z_log_var) * epsilon",
)


def _kl(function):
    """At 3 latent dimensions: the chapter's mean over dimensions equals the KL only at 2."""
    rng = np.random.default_rng(8)
    z_mean, z_log_var = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    terms = np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var
    want = 0.5 * terms.sum(axis=1)
    got = _call(function, z_mean, z_log_var)
    if np.shape(got) == terms.shape:
        raise Wrong("sum over the latent axis (axis=1): one value per image.")
    if np.shape(got) != want.shape:
        raise Wrong(f"return one KL per image, shape {want.shape}; got {np.shape(got)}.")
    if _close(got, -want):
        raise Wrong("check the sign: a KL divergence is never negative.")
    if _close(got, terms.mean(axis=1)) or _close(got, 0.5 * terms.mean(axis=1)):
        raise Wrong(
            "sum over the latent dimensions, not mean: the KL of independent dimensions "
            "is the sum of theirs."
        )
    if _close(got, terms.sum(axis=1)):
        raise Wrong("you are missing the factor ½.")
    if _close(got, 0.5 * (np.exp(0.5 * z_log_var) + z_mean**2 - 1 - z_log_var).sum(axis=1)):
        raise Wrong("σ² is exp(z_log_var), not exp(½ z_log_var).")
    if not _close(got, want):
        raise Wrong("per dimension the KL has four terms: σ², μ², −1 and −log σ².")
    return "KL = ½ Σ_j (σ_j² + μ_j² − 1 − log σ_j²), summed over the latent dimensions."


kl = Exercise(
    "kl",
    "02",
    "write kl(z_mean, z_log_var): KL(q(z|x) ‖ N(0, I)) per image, in nats.",
    _kl,
    [
        "The formula above is per dimension. How do the KLs of independent dimensions combine?",
        "0.5 * sum over axis=1 of (exp(z_log_var) + z_mean**2 - 1 - z_log_var).",
    ],
    "def kl(z_mean, z_log_var):\n"
    "    return 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)",
)


def _reconstruction(function):
    rng = np.random.default_rng(3)
    x = rng.random((4, 28, 28, 1)).round()
    p = np.clip(rng.random((4, 28, 28, 1)), 0.01, 0.99)
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    want = per_pixel.reshape(4, -1).sum(axis=1)
    got = np.asarray(_call(function, x.astype("float32"), p.astype("float32")), dtype=float)
    if np.shape(got) != want.shape:
        raise Wrong(f"return one loss per image, shape {want.shape}; got {np.shape(got)}.")
    if _close(got, per_pixel.reshape(4, -1).mean(axis=1), 1e-4):
        raise Wrong(
            "that is the mean over pixels (the chapter's choice); the negative "
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
    "def reconstruction_loss(x, probabilities):\n"
    "    per_pixel = keras.losses.binary_crossentropy(x, probabilities)  # mean over channel\n"
    "    return ops.sum(per_pixel, axis=(1, 2))",
)


def _decoder(build):
    import keras

    from vaelab.models import build_decoder

    if not callable(build) or isinstance(build, keras.Model):
        raise Wrong("pass the function that builds the decoder (no parentheses).")
    try:
        mine = build(2)
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
    "def build_my_decoder(latent_dim):\n"
    "    z = keras.Input(shape=(latent_dim,))\n"
    "    h = layers.Dense(14 * 14 * 64, activation='relu')(z)\n"
    "    h = layers.Reshape((14, 14, 64))(h)\n"
    "    h = layers.Conv2DTranspose(32, 3, strides=2, padding='same', activation='relu')(h)\n"
    "    pixels = layers.Conv2D(1, 3, padding='same', activation='sigmoid')(h)\n"
    "    return keras.Model(z, pixels, name='decoder')",
)


def _model(model_class):
    """The learner's VAE class against vaelab's: parameters, and the loss on a fixed batch."""
    import keras

    from vaelab.data import load_bundled_mnist
    from vaelab.models import VAE, build_decoder, build_encoder

    if not (inspect.isclass(model_class) and issubclass(model_class, keras.Model)):
        raise Wrong("pass your class itself (a subclass of keras.Model), not an instance.")
    encoder, decoder = build_encoder(2), build_decoder(2)
    reference = VAE(encoder, decoder)
    try:
        mine = model_class(encoder, decoder)
    except Exception as error:
        raise Wrong(f"MyVAE(encoder, decoder) raised {type(error).__name__}: {error}") from None
    x = load_bundled_mnist()[1][0][:16]
    z_mean, _ = encoder(x)
    # σ ≈ 3e-7: the sample is z_mean whatever the noise, so both losses are deterministic.
    y_pred = (z_mean, keras.ops.full(keras.ops.shape(z_mean), -30.0))
    try:
        loss = mine.compute_loss(x=x, y_pred=y_pred)
    except NotImplementedError:
        raise Blank from None
    except Exception as error:
        raise Wrong(f"compute_loss raised {type(error).__name__}: {error}") from None
    if loss is None or loss is Ellipsis:
        raise Blank
    got = float(loss)
    want = float(reference.compute_loss(x=x, y_pred=y_pred))
    reconstruction_only = want - float(
        np.mean(0.5 * np.sum(np.exp(-30.0) + np.asarray(z_mean) ** 2 - 1 + 30.0, axis=1))
    )
    if math.isclose(got, reconstruction_only, rel_tol=1e-4):
        raise Wrong("the loss is missing the KL term.")
    if math.isclose(got, reconstruction_only / 784, rel_tol=1e-3):
        raise Wrong("that looks like a per-pixel mean with no KL: sum over pixels, add the KL.")
    if not math.isclose(got, want, rel_tol=1e-4):
        raise Wrong(
            f"your loss on a fixed batch is {got:.2f} nats, not what reconstruction + "
            "beta · KL gives with the same weights."
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
    "class MyVAE(keras.Model):\n"
    "    def __init__(self, encoder, decoder, beta=1.0, **kwargs):\n"
    "        super().__init__(**kwargs)\n"
    "        self.encoder, self.decoder, self.beta = encoder, decoder, beta\n"
    "        self.sampler = vaelab.Sampling(seed=0)\n\n"
    "    def call(self, x):\n"
    "        return self.encoder(x)\n\n"
    "    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):\n"
    "        z_mean, z_log_var = y_pred\n"
    "        reconstruction = self.decoder(self.sampler(z_mean, z_log_var))\n"
    "        nats = (vaelab.reconstruction_loss(x, reconstruction)\n"
    "                + self.beta * vaelab.kl_divergence(z_mean, z_log_var))\n"
    "        return ops.mean(nats)",
)


def _pixel_floor(answer):
    value = _number(answer, "the smallest loss")
    want = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    if math.isclose(value, 0.0, abs_tol=1e-6):
        raise Wrong(
            "0 needs p = x with x black or white; with x = 0.3 even p = 0.3 costs something."
        )
    if math.isclose(value, want / math.log(2), rel_tol=1e-3):
        raise Wrong("that is in bits (log base 2); the course counts in nats (natural log).")
    if math.isclose(value, -0.3 * math.log(0.3), rel_tol=1e-3) or math.isclose(
        value, -0.7 * math.log(0.7), rel_tol=1e-3
    ):
        raise Wrong("the cross-entropy has two terms, x log p and (1 − x) log(1 − p).")
    if not math.isclose(value, want, rel_tol=1e-3):
        raise Wrong(f"{value:g} is not the cross-entropy at its best p. Which p is best?")
    return (
        f"{want:.3f} nats, reached at p = 0.3. Summed over MNIST's grey pixels this floor is "
        "about 46 nats per image."
    )


pixel_floor = Exercise(
    "pixel_floor",
    "02",
    "predict: the smallest BCE any decoder can score on one pixel of grey level x = 0.3?",
    _pixel_floor,
    [
        "The BCE is −x log p − (1 − x) log(1 − p). For which p is it smallest? (Plot it, or "
        "set its derivative to 0.)",
        "The best p is x itself; put p = 0.3 into the formula with the natural log.",
    ],
    "floor = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))  # 0.611 nats",
)


# -- notebook 03 -------------------------------------------------------------------------------


def _effective_beta(function):
    """The chapter's KL weight against a summed BCE, as a function of latent_dim."""
    got = [_number(_call(function, d), "β") for d in (2, 3, 8)]
    want = [784 * 5e-4 * 2 / d for d in (2, 3, 8)]
    if all(math.isclose(g, 0.392, rel_tol=1e-3) for g in got):
        raise Wrong(
            "0.392 holds at latent_dim = 2 only: the chapter averages the KL over the "
            "latent dimensions."
        )
    if all(math.isclose(g, 784 * 5e-4 / d, rel_tol=1e-3) for g, d in zip(got, (2, 3, 8))):
        raise Wrong(
            "the chapter's mean over dimensions of the un-halved terms is 2 · KL / d, not KL / d."
        )
    if all(math.isclose(g, 5e-4 * 2 / d, rel_tol=1e-3) for g, d in zip(got, (2, 3, 8))):
        raise Wrong(
            "the chapter's BCE is a mean over 784 pixels: scale the KL weight up by "
            "that to compare with a summed BCE."
        )
    if not all(math.isclose(g, w, rel_tol=1e-3) for g, w in zip(got, want)):
        raise Wrong(f"at latent_dim = 2, 3, 8 you give {[round(g, 4) for g in got]}.")
    return "β = 784 · 5e-4 · 2 / latent_dim: 0.392 at 2 dimensions, 0.098 at 8."


effective_beta = Exercise(
    "effective_beta",
    "03",
    "write effective_beta(latent_dim): the chapter's KL weight measured against a summed BCE.",
    _effective_beta,
    [
        "The chapter divides the BCE by the number of pixels and the KL terms by the number of "
        "latent dimensions. What do you multiply its loss by to get a summed BCE, and what "
        "happens to its 5e-4 then?",
        "Multiplied by 784, its KL term is 784 · 5e-4 · (1/d) · Σ(σ² + μ² − 1 − log σ²) = "
        "784 · 5e-4 · (2/d) · KL.",
    ],
    "def effective_beta(latent_dim):\n    return 784 * 5e-4 * 2 / latent_dim",
)


def _chapter_kl(function):
    """The KL of the Gaussian the chapter really samples from: σ = exp(s)."""
    rng = np.random.default_rng(11)
    z_mean, s = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    want = 0.5 * np.sum(np.exp(2 * s) + z_mean**2 - 1 - 2 * s, axis=1)
    got = _call(function, z_mean, s)
    if np.shape(got) != want.shape:
        raise Wrong(f"return one KL per image, shape {want.shape}; got {np.shape(got)}.")
    if _close(got, 0.5 * np.sum(np.exp(s) + z_mean**2 - 1 - s, axis=1)):
        raise Wrong(
            "that is the KL the chapter writes, for σ² = exp(s); it samples with σ = exp(s)."
        )
    if not _close(got, want):
        raise Wrong("write σ² and log σ² in terms of s, then use the usual KL.")
    return "with σ = exp(s): KL = ½ Σ (exp(2s) + μ² − 1 − 2s). s is just another scale."


chapter_kl = Exercise(
    "chapter_kl",
    "03",
    "write chapter_kl(z_mean, s): the KL of N(z_mean, exp(s)²), the Gaussian the chapter samples.",
    _chapter_kl,
    ["If σ = exp(s), what are σ² and log σ²?", "σ² = exp(2s) and log σ² = 2s."],
    "def chapter_kl(z_mean, s):\n"
    "    return 0.5 * np.sum(np.exp(2 * s) + z_mean**2 - 1 - 2 * s, axis=1)",
)


# -- notebook 04 -------------------------------------------------------------------------------


def _quantile_grid(values):
    from scipy.stats import norm

    got = _array(values, (15,), "the grid values")
    want = norm.ppf(np.linspace(0.05, 0.95, 15))
    if _close(got, np.linspace(0.05, 0.95, 15)):
        raise Wrong("those are probabilities; turn them into z values.")
    if _close(got, np.linspace(want[0], want[-1], 15)):
        raise Wrong("evenly spaced z values: the chapter spaces them evenly in probability.")
    if _close(got, norm.ppf(np.linspace(0, 1, 17)[1:-1])):
        raise Wrong("check the probabilities you start from: 5% to 95%, ends included.")
    if not _close(got, want):
        raise Wrong("15 probabilities from 5% to 95%, each turned into z with the inverse CDF.")
    return "equal steps of prior probability, not of distance."


quantile_grid = Exercise(
    "quantile_grid",
    "04",
    "make the 15 z values of the chapter's grid.",
    _quantile_grid,
    [
        "Which function turns a probability into the z below which the prior has that probability?",
        "np.linspace(0.05, 0.95, 15) gives the probabilities; scipy.stats.norm.ppf turns them "
        "into z values.",
    ],
    "grid = norm.ppf(np.linspace(0.05, 0.95, 15))",
)


def _grid_points(points):
    from vaelab.latent import grid_values

    values = grid_values(15)
    got = _array(points, (225, 2), "the grid's points")
    want = np.array([[a, b] for b in values[::-1] for a in values])
    if _close(got, np.array([[a, b] for b in values for a in values])):
        raise Wrong("the first row of the image is the top of the plot: start from the largest z₂.")
    if _close(got, want[:, ::-1]):
        raise Wrong("z₁ runs along a row (left to right), z₂ down the columns.")
    if _close(np.sort(got, axis=0), np.sort(want, axis=0)) and not _close(got, want):
        raise Wrong("the right points in another order: row by row from the top, left to right.")
    if not _close(got, want):
        raise Wrong("225 points: every (z₁, z₂) of the grid, z₁ along each row.")
    return "one array of 225 points: decode(decoder, points) in one call makes the whole map."


grid_points = Exercise(
    "grid_points",
    "04",
    "build the (225, 2) array of the manifold's points, row by row from the top.",
    _grid_points,
    [
        "Row i of the image holds which z₂? Column j which z₁?",
        "np.array([[a, b] for b in grid[::-1] for a in grid]) with grid = grid_values(15).",
    ],
    "points = np.array([[a, b] for b in grid[::-1] for a in grid], dtype='float32')",
)


def _grid_coverage(answer):
    value = _number(answer, "the share")
    if math.isclose(value, 0.9, rel_tol=1e-3) or math.isclose(value, 90, rel_tol=1e-3):
        raise Wrong("90% is one axis; the grid is a square in two independent dimensions.")
    if math.isclose(value, 81, rel_tol=1e-3):
        raise Wrong("give the share as a fraction between 0 and 1.")
    if not math.isclose(value, 0.81, rel_tol=1e-3):
        raise Wrong(f"{value:g} is not the prior probability of the 5–95% box.")
    return "0.9 × 0.9 = 0.81: the grid shows 81% of the prior; 19% lies outside it."


grid_coverage = Exercise(
    "grid_coverage",
    "04",
    "predict: what share of the prior's probability lies inside the grid's 5%–95% box?",
    _grid_coverage,
    [
        "What share of one axis lies between its 5% and 95% quantiles? Are z₁ and z₂ "
        "independent under the prior?",
        "0.9 on each axis; independent axes multiply.",
    ],
    "coverage = 0.9 * 0.9  # 0.81",
)


# -- notebook 05 -------------------------------------------------------------------------------


def _concept_vector(vector, x, y):
    """Against the z_mean of ``x`` under the pretrained model, computed here."""
    from vaelab.latent import encode
    from vaelab.models import load_vae

    got = _array(vector, (2,), "the concept vector")
    z_mean, labels = encode(load_vae("mnist").encoder, np.asarray(x, "float32"))[0], np.asarray(y)
    want = z_mean[labels == 4].mean(axis=0) - z_mean.mean(axis=0)
    if _close(got, z_mean[labels == 4].mean(axis=0), 1e-3):
        raise Wrong("that is where the 4s are, not a direction: subtract the mean code of all.")
    if _close(got, -want, 1e-3):
        raise Wrong("the direction points the wrong way: the 4s' mean minus the overall mean.")
    if np.linalg.norm(got - want) < 0.15 and not _close(got, want, 1e-3):
        raise Wrong(
            "close, but not the means of z_mean: did you use sampled codes? "
            "Sampling adds noise; the concept lives in the means."
        )
    if not _close(got, want, 1e-3):
        raise Wrong("the mean z_mean of the 4s minus the mean z_mean of all images.")
    return "adding it moves an image towards the 4s."


concept_vector = Exercise(
    "concept_vector",
    "05",
    "compute the four-ness vector from the z_mean codes of the test images.",
    _concept_vector,
    [
        "Where, on average, do the 4s land? And all digits? Which arrow goes from one to the "
        "other?",
        "codes[y_test == 4].mean(axis=0) - codes.mean(axis=0), with codes the z_mean of x_test.",
    ],
    "four_ness = codes[y_test == 4].mean(axis=0) - codes.mean(axis=0)",
)


def _pixel_path(images, x_a, x_b):
    got = _array(images, (9, 28, 28, 1), "the 9 blended images")
    x_a, x_b = (np.asarray(x, dtype=float).reshape(28, 28, 1) for x in (x_a, x_b))
    t = np.linspace(0, 1, 9).reshape(9, 1, 1, 1)
    want = (1 - t) * x_a + t * x_b
    if _close(got, want[::-1]):
        raise Wrong("the path runs backwards: at t = 0 it should be x_a.")
    if not _close(got, want, 1e-4):
        raise Wrong("at each t, (1 − t) · x_a + t · x_b, pixel by pixel.")
    return "a cross-fade: the middle images are two digits on top of each other, not one digit."


pixel_path = Exercise(
    "pixel_path",
    "05",
    "blend the two images directly: 9 images (1 − t) · x_a + t · x_b for t from 0 to 1.",
    _pixel_path,
    [
        "What does the blend look like at t = 0, t = 1 and t = 0.5?",
        "t = np.linspace(0, 1, 9)[:, None, None, None]; (1 - t) * x_a + t * x_b.",
    ],
    "t = np.linspace(0, 1, 9)[:, None, None, None]\npixel_images = (1 - t) * x_a + t * x_b",
)


# -- notebook 06 -------------------------------------------------------------------------------


def _beta_effect(answer, results):
    text = str(answer).strip().lower()
    if text not in ("up", "down"):
        raise Wrong('answer "up" or "down".')
    try:
        betas = sorted(results)
        kls = [float(results[beta]["kl_loss"]) for beta in betas]
    except (TypeError, KeyError, ValueError):
        raise Wrong("pass your results table too: check(answer, results).") from None
    if len(betas) < 2:
        raise Wrong("the results table needs at least two values of β.")
    went = "down" if kls[-1] < kls[0] else "up"
    table = ", ".join(f"β={b:g}: KL {k:.2f}" for b, k in zip(betas, kls))
    if text != went:
        raise Wrong(f"look at your own table ({table}).")
    return (
        f"your table says {went}: a heavier KL weight pulls q(z|x) towards the prior, so "
        "the KL shrinks and reconstructions blur."
    )


beta_effect = Exercise(
    "beta_effect",
    "06",
    'as β grows, does the KL of the trained model go "up" or "down"? Read your own results.',
    _beta_effect,
    [
        "The loss is reconstruction + β · KL. What does the optimizer do to a term whose price "
        "goes up?",
        "Compare results[0.5]['kl_loss'] with results[4.0]['kl_loss'].",
    ],
    'answer = "down"  # check against the table: the KL falls as β grows',
)


def _kl_bits(answer, kl_nats):
    if kl_nats is None or kl_nats is Ellipsis:
        raise Wrong("pass your model's KL too: check(bits, kl_nats).")
    nats = _number(kl_nats, "the KL in nats")
    value = _number(answer, "the KL in bits")
    want = nats / math.log(2)
    if math.isclose(value, nats * math.log(2), rel_tol=1e-3):
        raise Wrong("one bit is ln 2 ≈ 0.693 nats, so there are more bits than nats: divide.")
    if math.isclose(value, nats / math.log(10), rel_tol=1e-3):
        raise Wrong("that is in decimal digits (log base 10), not bits.")
    if not math.isclose(value, want, rel_tol=1e-3):
        raise Wrong(f"{value:g} bits is not {nats:.2f} nats.")
    return (
        f"{want:.1f} bits: on average, the code tells the decoder about {want:.0f} yes/no "
        "answers' worth about each image."
    )


kl_bits = Exercise(
    "kl_bits",
    "06",
    "turn the KL of the model (nats per image) into bits per image.",
    _kl_bits,
    [
        "A nat is a natural-log unit and a bit a base-2 one. How many nats is one bit?",
        "One bit is ln 2 nats: bits = nats / ln 2.",
    ],
    "bits = kl_nats / np.log(2)",
)


#: Every exercise of the course, by name.
ALL = {
    exercise.name: exercise
    for exercise in (
        compression_ratio,
        midpoint,
        holes,
        sampling,
        kl,
        reconstruction,
        pixel_floor,
        decoder,
        model,
        effective_beta,
        chapter_kl,
        quantile_grid,
        grid_points,
        grid_coverage,
        concept_vector,
        pixel_path,
        beta_effect,
        kl_bits,
    )
}
