"""Every exercise: the right answer passes, the placeholder is recognised, each typical wrong
answer is rejected with its own message (never one starting with "Correct"), odd answers get a
verdict rather than a traceback, and every stored solution is the notebook's and passes its own
check in the namespace its notebook gives it."""

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers, ops
from scipy.special import logsumexp
from scipy.stats import norm

import vaelab
from vaelab import exercises
from vaelab.exercises import ALL, Exercise
from vaelab.exercises._core import SOLUTIONS, stored_solutions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from build_notebooks import EXERCISE, code_cells, posed, solutions_text, source_paths, variant_of

COURSE = [p for p in source_paths() if p.name[:2].isdigit()]


def status(exercise, *answer):
    kind, message = exercise.verdict(*answer)
    assert message.startswith("Correct") == (kind == "correct"), message
    return kind, message


def rejected(exercise, *answer, because):
    kind, message = status(exercise, *answer)
    assert kind == "wrong" and because in message, message


# -- right answers and placeholders ------------------------------------------------------------


def solution_namespace(*names: str) -> dict:
    """The stored solutions of ``names`` (notebook 02's decoder and MyVAE) run with the
    imports notebook 02 gives them."""
    namespace = {"keras": keras, "layers": layers, "ops": ops, "np": np, "vaelab": vaelab}
    for name in names:
        exec(compile(stored_solutions()[name], f"solution of {name}", "exec"), namespace)
    return namespace


SOLUTION = solution_namespace("decoder", "model")
right_decoder, RightVAE = SOLUTION["build_my_decoder"], SOLUTION["MyVAE"]


class BlankVAE(RightVAE):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        ...  # your code here


class NoKLVAE(RightVAE):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        return ops.mean(vaelab.reconstruction_loss(x, self.decoder(self.sampler(*y_pred))))


class MeanPixelVAE(RightVAE):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        reconstruction = self.decoder(self.sampler(z_mean, z_log_var))
        return ops.mean(keras.losses.binary_crossentropy(x, reconstruction))


class DecodedVAE(RightVAE):
    """Right losses on a z the subclass chooses (``sample``): the wrong ways to sample."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        reconstruction = self.decoder(self.sample(z_mean, z_log_var))
        return ops.mean(
            vaelab.reconstruction_loss(x, reconstruction) + vaelab.kl_divergence(z_mean, z_log_var)
        )


class NeverSamplesVAE(DecodedVAE):
    def sample(self, z_mean, z_log_var):
        return z_mean


class SigmaBugVAE(DecodedVAE):  # the chapter's σ = exp(z_log_var)
    def sample(self, z_mean, z_log_var):
        return z_mean + ops.exp(z_log_var) * keras.random.normal(ops.shape(z_mean), seed=1)


class LogVarAsSigmaVAE(DecodedVAE):
    def sample(self, z_mean, z_log_var):
        return z_mean + z_log_var * keras.random.normal(ops.shape(z_mean), seed=1)


class FixedSigmaVAE(DecodedVAE):  # right only where σ happens to be 1
    def sample(self, z_mean, z_log_var):
        return z_mean + keras.random.normal(ops.shape(z_mean), seed=1)


class OneEpsilonVAE(DecodedVAE):
    def sample(self, z_mean, z_log_var):
        epsilon = keras.random.normal((1, 2), seed=1)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class SummedVAE(RightVAE):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.sum(super().compute_loss(x=x, y_pred=y_pred) * ops.shape(x)[0])


class PerImageVAE(RightVAE):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        reconstruction = self.decoder(self.sampler(z_mean, z_log_var))
        return vaelab.reconstruction_loss(x, reconstruction) + vaelab.kl_divergence(*y_pred)


class KerasRandomVAE(keras.Model):
    """Right, written otherwise: its own SeedGenerator, σ as a square root, the KL first, the
    BCE summed here, training passed on."""

    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.beta = encoder, decoder, beta
        self.seed_generator = keras.random.SeedGenerator(42)

    def call(self, x):
        return self.encoder(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        z = z_mean + ops.sqrt(ops.exp(z_log_var)) * epsilon
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        bce = keras.losses.binary_crossentropy(x, self.decoder(z, training=training))
        return self.beta * ops.mean(kl) + ops.mean(ops.sum(bce, axis=(1, 2)))


class MeansApartVAE(RightVAE):
    """Right, written otherwise: exp(z_log_var / 2) and the two batch means added."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        epsilon = keras.random.normal(ops.shape(z_mean))
        reconstruction = self.decoder(z_mean + ops.exp(z_log_var / 2) * epsilon)
        return ops.mean(vaelab.reconstruction_loss(x, reconstruction)) + self.beta * ops.mean(
            vaelab.kl_divergence(z_mean, z_log_var)
        )


class NoBetaVAE(RightVAE):
    """Right at β = 1 only: the KL's weight is not self.beta."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z_mean, z_log_var = y_pred
        reconstruction = self.decoder(self.sampler(z_mean, z_log_var))
        nats = vaelab.reconstruction_loss(x, reconstruction) + vaelab.kl_divergence(*y_pred)
        return ops.mean(nats)


def blank_function(*args): ...  # your code here


@pytest.fixture(scope="module")
def test_digits(mnist):
    (_, _), (x_test, y_test) = mnist
    return x_test[:500], y_test[:500]


@pytest.fixture(scope="module")
def right_answers(test_digits):
    x, y = test_digits
    codes = vaelab.encode_means(vaelab.load_vae("mnist"), x)
    values = vaelab.latent.grid_values(15)
    t = np.linspace(0, 1, 9)[:, None, None, None]
    return {
        "compression_ratio": (28 * 28 / 2,),
        "holes": (
            lambda c, p, d: np.mean(np.linalg.norm(p[:, None] - c[None], axis=-1).min(axis=1) > d),
        ),
        "pixel_floor": (-(0.3 * np.log(0.3) + 0.7 * np.log(0.7)),),
        "sampling": (lambda m, lv, e: m + np.exp(0.5 * lv) * e,),
        "kl_estimate": (
            lambda m, lv, e: np.mean(
                np.sum(
                    norm.logpdf(m + np.exp(0.5 * lv) * e, m, np.exp(0.5 * lv))
                    - norm.logpdf(m + np.exp(0.5 * lv) * e),
                    axis=-1,
                ),
                axis=0,
            ),
        ),
        "quadrature": (
            lambda lp, z, h: (
                logsumexp(lp - 0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi)) + 2 * np.log(h)
            ),
        ),
        "fixed_sample": (lambda m, lv, e: m + np.exp(0.5 * lv) * e,),
        "fixed_loss": (
            lambda x, p, m, lv: np.mean(
                -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
                + 0.5 * np.sum(np.exp(lv) + m**2 - 1 - lv, axis=1)
            ),
        ),
        "codes_vs_prior": (
            lambda z, edge: np.mean(np.all(np.abs(z) < edge, axis=1)),
            lambda z, lv: np.mean(z**2 + np.exp(lv), axis=0),
        ),
        "kl_per_dimension": (lambda m, lv: 0.5 * np.mean(np.exp(lv) + m**2 - 1 - lv, axis=0),),
        "reconstruction": (
            lambda x, p: ops.sum(keras.losses.binary_crossentropy(x, p), axis=(1, 2)),
        ),
        "decoder": (right_decoder,),
        "model": (RightVAE,),
        "effective_beta": (lambda d: 784 * 5e-4 * 2 / d,),
        "chapter_kl": (lambda m, s: 0.5 * np.sum(np.exp(2 * s) + m**2 - 1 - 2 * s, axis=1),),
        "quantile_grid": (norm.ppf(np.linspace(0.05, 0.95, 15)),),
        "grid_points": (np.array([[a, b] for b in values[::-1] for a in values]),),
        "grid_coverage": (np.float32(0.81),),
        "concept_vector": (codes[y == 4].mean(axis=0) - codes.mean(axis=0), x, y),
        "pixel_path": ((1 - t) * x[0] + t * x[1], x[0], x[1]),
        "beta_effect": ("down",),
    }


def test_there_are_enough_exercises_and_one_per_notebook():
    assert len(ALL) >= 12
    assert {exercise.notebook for exercise in ALL.values()} == {f"0{i}" for i in range(7)} | {"02b"}


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_right_answer_is_correct(name, right_answers, capsys):
    kind, message = status(ALL[name], *right_answers[name])
    assert kind == "correct", message
    ALL[name].check(*right_answers[name])
    assert capsys.readouterr().out.startswith("Correct: ")


@pytest.mark.parametrize("name", sorted(ALL))
def test_the_placeholder_is_a_nudge_not_an_error(name, right_answers, capsys):
    # What the learner notebook ships: a class with an empty body, a function whose body is
    # `...`, or a value `...`; the other arguments (data, results) stay as they are.
    answer = list(right_answers[name])
    answer[0] = BlankVAE if name == "model" else blank_function if callable(answer[0]) else ...
    kind, message = status(ALL[name], *answer)
    assert kind == "unanswered" and message.startswith("Not answered yet: "), message
    ALL[name].check(*answer)
    printed = capsys.readouterr().out
    assert "Correct" not in printed and "Traceback" not in printed


@pytest.mark.parametrize("name", sorted(ALL))
def test_hints_ask_first_and_the_solution_is_one_step_away(name, capsys):
    """Three levels: a question, a pointer, the code (the stored solution, written once)."""
    exercise = ALL[name]
    assert len(exercise.hints) == 2 and "?" in exercise.hints[0], exercise.hints[0]
    exercise.hint()
    first = capsys.readouterr().out
    assert first.startswith("Hint 1 of 3") and "q.hint(2)" in first
    exercise.hint(2)
    assert "q.hint(3)" in capsys.readouterr().out
    exercise.hint(3)
    code = capsys.readouterr().out
    assert code.startswith("Hint 3 of 3: the code:") and exercise.solution_text.strip() in code
    exercise.solution()
    assert "Solution:" in capsys.readouterr().out


# -- the wrong-answer table --------------------------------------------------------------------

WRONG_FUNCTIONS = [
    ("holes", lambda c, p, d: 1 / 0, "ZeroDivisionError"),
    ("sampling", lambda m, lv, e: m + np.exp(lv) * e, "σ², not σ"),
    ("sampling", lambda m, lv, e: m + lv * e, "log-variance"),
    ("sampling", lambda m, lv, e: m + np.sqrt(np.abs(lv)) * e, "square root"),
    ("sampling", lambda m, lv, e: (m + np.exp(0.5 * lv) * e)[:, :1], "one z per row"),
    (
        "reconstruction",
        lambda x, p: ops.mean(keras.losses.binary_crossentropy(x, p), axis=(1, 2)),
        "mean over pixels",
    ),
    (
        "reconstruction",
        lambda x, p: -ops.sum(keras.losses.binary_crossentropy(x, p), axis=(1, 2)),
        "sign",
    ),
    (
        "reconstruction",
        lambda x, p: ops.sum(keras.losses.binary_crossentropy(x, p)),
        "one loss per image",
    ),
    (
        "holes",
        lambda c, p, d: np.mean(np.linalg.norm(p[:, None] - c[None], axis=-1).min(1) < d),
        "near",
    ),
    (
        "holes",
        lambda c, p, d: np.sum(np.linalg.norm(p[:, None] - c[None], axis=-1).min(1) > d),
        "count",
    ),
    (
        "holes",
        lambda c, p, d: np.mean(np.linalg.norm(p[:, None] - c[None], axis=-1).min(1) > 0.25),
        "not a number written in",
    ),
    (
        "holes",
        lambda c, p, d: np.mean(np.linalg.norm(p[:, None] - c[None], axis=-1).mean(1) > d),
        "minimum",
    ),
    ("effective_beta", lambda d: 0.392, "latent_dim = 2 only"),
    ("effective_beta", lambda d: 784 * 5e-4 / d, "2 · KL / d"),
    ("effective_beta", lambda d: 5e-4 * 2 / d, "784 pixels"),
    (
        "chapter_kl",
        lambda m, s: 0.5 * np.sum(np.exp(s) + m**2 - 1 - s, axis=1),
        "the chapter writes",
    ),
    (
        "chapter_kl",
        lambda m, s: 0.5 * np.sum(np.exp(2 * s) + m**2 - 1 - s, axis=1),
        "in terms of s",
    ),
]


@pytest.mark.parametrize(
    "name, answer, because", WRONG_FUNCTIONS, ids=[f"{n}-{b}" for n, _, b in WRONG_FUNCTIONS]
)
def test_wrong_functions_are_rejected_by_name(name, answer, because):
    rejected(ALL[name], answer, because=because)


def test_wrong_numbers_and_arrays(right_answers):
    rejected(exercises.compression_ratio, 1 / 392, because="image over code")
    rejected(exercises.compression_ratio, 14, because="28 × 28")
    rejected(exercises.compression_ratio, "392", because="one number")
    assert status(exercises.compression_ratio, np.array([392.0]))[0] == "correct"
    rejected(exercises.grid_coverage, 0.9, because="one axis")
    rejected(exercises.pixel_floor, 0, because="black or white")
    rejected(exercises.pixel_floor, 0.881, because="bits")
    rejected(exercises.pixel_floor, -0.3 * np.log(0.3), because="two terms")
    rejected(exercises.pixel_floor, 0.5, because="best p")
    rejected(exercises.grid_coverage, 81, because="fraction")
    rejected(exercises.grid_coverage, 0.95, because="not the prior probability")
    probabilities = np.linspace(0.05, 0.95, 15)
    want = norm.ppf(probabilities)
    rejected(exercises.quantile_grid, probabilities, because="probabilities")
    rejected(exercises.quantile_grid, np.linspace(want[0], want[-1], 15), because="evenly spaced")
    rejected(exercises.quantile_grid, norm.ppf(np.linspace(0, 1, 17)[1:-1]), because="5% to 95%")
    rejected(exercises.quantile_grid, want[:10], because="shape")
    points = right_answers["grid_points"][0]
    values = vaelab.latent.grid_values(15)
    rejected(
        exercises.grid_points,
        np.array([[a, b] for b in values for a in values]),
        because="top of the plot",
    )
    rejected(exercises.grid_points, points[:, ::-1], because="along a row")
    rejected(exercises.grid_points, points[::-1], because="another order")


def test_wrong_concept_vectors(test_digits, right_answers):
    x, y = test_digits
    right = right_answers["concept_vector"][0]
    codes = vaelab.encode_means(vaelab.load_vae("mnist"), x)
    rejected(exercises.concept_vector, codes[y == 4].mean(axis=0), x, y, because="not a direction")
    rejected(exercises.concept_vector, -right, x, y, because="wrong way")
    # Consistent but wrong inputs: the same recipe on sampled codes instead of z_mean.
    z_mean, z_log_var = vaelab.encode(vaelab.load_vae("mnist").encoder, x)
    sampled = z_mean + np.exp(0.5 * z_log_var) * np.random.default_rng(1).standard_normal(
        z_mean.shape
    )
    from_samples = sampled[y == 4].mean(axis=0) - sampled.mean(axis=0)
    rejected(exercises.concept_vector, from_samples, x, y, because="sampled codes")
    others = codes[y == 4].mean(axis=0) - codes[y != 4].mean(axis=0)
    rejected(exercises.concept_vector, others, x, y, because="mean of the *other* digits")
    rejected(
        exercises.concept_vector,
        codes[y == 9].mean(axis=0) - codes.mean(axis=0),
        x,
        y,
        because="mean z_mean of the 4s",
    )


def test_wrong_pixel_paths(test_digits, right_answers):
    x, _ = test_digits
    right = right_answers["pixel_path"][0]
    rejected(exercises.pixel_path, right[::-1], x[0], x[1], because="backwards")
    rejected(exercises.pixel_path, np.repeat(x[:1], 9, axis=0), x[0], x[1], because="(1 − t)")
    rejected(exercises.pixel_path, right[:5], x[0], x[1], because="shape")


def test_beta_effect_is_a_prediction_judged_by_the_loss():
    """Asked before the sweep runs, so the learner commits first: judged by what the loss
    implies, not by a table the learner could read the answer from."""
    assert status(exercises.beta_effect, "down")[0] == "correct"
    assert status(exercises.beta_effect, " Down ")[0] == "correct"  # written another way
    rejected(exercises.beta_effect, "up", because="buys more of what just got dearer")
    rejected(exercises.beta_effect, "same", because="keep buying the same amount")
    rejected(exercises.beta_effect, "sideways", because='"up" or "down"')
    rejected(exercises.beta_effect, 1, because="with a word")
    assert "before the sweep" in exercises.beta_effect.task
    assert "smallest" in exercises.beta_effect.task and "largest" in exercises.beta_effect.task
    assert "price" in exercises.beta_effect.hints[0]


def test_wrong_decoders():
    def too_wide(latent_dim):
        z = keras.Input(shape=(latent_dim,))
        h = layers.Reshape((14, 14, 64))(layers.Dense(14 * 14 * 64, activation="relu")(z))
        h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(h)
        return keras.Model(z, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h))

    def no_sigmoid(latent_dim):
        z = keras.Input(shape=(latent_dim,))
        h = layers.Reshape((14, 14, 64))(layers.Dense(14 * 14 * 64, activation="relu")(z))
        h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
        return keras.Model(z, layers.Conv2D(1, 3, padding="same")(h))

    def no_upsampling(latent_dim):
        z = keras.Input(shape=(latent_dim,))
        h = layers.Reshape((14, 14, 64))(layers.Dense(14 * 14 * 64, activation="relu")(z))
        h = layers.Conv2DTranspose(32, 3, padding="same", activation="relu")(h)
        return keras.Model(z, layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h))

    rejected(exercises.decoder, too_wide, because="parameters instead of the chapter's")
    rejected(exercises.decoder, no_sigmoid, because="which activation")
    rejected(exercises.decoder, no_upsampling, because="(28, 28, 1)")
    rejected(exercises.decoder, lambda d: "decoder", because="keras.Model")
    rejected(exercises.decoder, right_decoder(2), because="builds the decoder")


WRONG_MODELS = [
    (NoKLVAE, "missing the KL"),
    (MeanPixelVAE, "per-pixel mean"),
    (NeverSamplesVAE, "never samples"),
    (SigmaBugVAE, "is σ², not σ"),
    (LogVarAsSigmaVAE, "not σ = exp(½ · z_log_var)"),
    (FixedSigmaVAE, "not σ = exp(½ · z_log_var)"),
    (OneEpsilonVAE, "same ε"),
    (SummedVAE, "not their sum"),
    (PerImageVAE, "one number"),
    (NoBetaVAE, "ignores self.beta"),
]


@pytest.mark.parametrize(
    "model_class, because", WRONG_MODELS, ids=[c.__name__ for c, _ in WRONG_MODELS]
)
def test_wrong_models_are_rejected_by_name(model_class, because):
    rejected(exercises.model, model_class, because=because)


def test_wrong_model_arguments():
    rejected(
        exercises.model,
        RightVAE(vaelab.build_encoder(2), vaelab.build_decoder(2)),
        because="class itself",
    )


@pytest.mark.parametrize("model_class", [RightVAE, KerasRandomVAE, MeansApartVAE])
def test_right_models_written_otherwise_are_correct(model_class):
    assert status(exercises.model, model_class)[0] == "correct"


def test_the_learner_model_is_vaelabs_model(mnist):
    """Notebook 02's solution (its decoder and its MyVAE, as stored from the source) has
    vaelab's parameters and, with the same weights and noise, the same loss as
    vaelab.build_vae() on a fixed batch."""
    (x_train, _), _ = mnist
    reference = vaelab.build_vae(seed=0)
    mine = RightVAE(vaelab.build_encoder(2), right_decoder(2))
    assert mine.encoder.count_params() + mine.decoder.count_params() == 550_629
    mine.encoder.set_weights(reference.encoder.get_weights())
    mine.decoder.set_weights(reference.decoder.get_weights())
    x = x_train[:32]
    for model in (mine, reference):
        model.sampler = vaelab.Sampling(seed=7)  # the same noise for both
    losses = [float(m.compute_loss(x=x, y_pred=m(x))) for m in (mine, reference)]
    assert losses[0] == pytest.approx(losses[1], abs=1e-4)


# -- the machinery: a verdict for whatever the learner passes ----------------------------------

#: Answers no judge foresees: in place of a value, or returned by a learner's function.
ODD_VALUES = ["abc", object(), {"z": 1}, [[1.0, 2.0], [3.0]], np.array(["a", "b"])]
ODD_ANSWERS = ODD_VALUES + [lambda *args, value=value: value for value in ODD_VALUES]


@pytest.mark.parametrize("name", sorted(ALL))
def test_odd_answers_get_a_verdict_not_a_traceback(name, right_answers):
    for odd in ODD_ANSWERS:
        answer = (odd, *right_answers[name][1:])
        kind, message = status(ALL[name], *answer)
        assert kind in ("wrong", "unanswered") and "Traceback" not in message, message


@pytest.mark.parametrize("name", sorted(ALL))
def test_too_few_or_too_many_answers_are_told_what_to_pass(name, right_answers, capsys):
    exercise, right = ALL[name], right_answers[name]
    for answer in ((), right[:-1], (*right, "extra")):
        if len(answer) == len(right):
            continue  # one-answer exercises: right[:-1] is ()
        kind, message = status(exercise, *answer)
        assert kind == "wrong" and exercise.call in message, message
        assert f"you passed {len(answer)}" in message, message
    exercise.check()
    assert capsys.readouterr().out.startswith("Not yet: this check takes")


def test_the_call_names_the_notebooks_variables():
    assert exercises.beta_effect.call == "q.check(prediction)"
    assert exercises.concept_vector.call == "q.check(four_ness, x_test, y_test)"
    rejected(exercises.concept_vector, because="q.check(four_ness, x_test, y_test); you passed 0")
    rejected(exercises.sampling, because="takes 1 value: q.check(sample)")


def test_an_error_inside_a_judge_is_a_verdict():
    def judge(answer):
        return {"a": 1}[answer]

    exercise = Exercise("lookup", "00", "a test exercise.", judge, ["Which key?", "'a'."])
    kind, message = exercise.verdict("b")
    assert kind == "wrong" and "KeyError" in message and "odd answer" in message, message
    exercise.hint("next")  # not a number: the first hint, not a ValueError


# -- solutions: written once, in the notebook source, and right where the notebook runs them ----


def test_stored_solutions_are_the_notebook_sources():
    assert SOLUTIONS.read_text() == solutions_text(), (
        "vaelab/exercises/solutions.json drifted from notebooks/source: "
        "run python tools/build_notebooks.py"
    )


def test_every_exercise_has_one_stored_solution(capsys):
    assert set(stored_solutions()) == set(ALL)
    for exercise in ALL.values():
        exercise.solution()
        assert capsys.readouterr().out == f"Solution:\n{stored_solutions()[exercise.name]}\n"
        assert "# BEGIN SOLUTION" not in exercise.solution_text
        assert "# LEARNER:" not in exercise.solution_text


def test_a_solution_block_is_found_in_either_layout():
    same_cell = "from vaelab.exercises import kl as q\n\nx = 1  # LEARNER: x = ..."
    block = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
    check_after = "from vaelab.exercises import sampling as q\nq.check(f)"
    training = "# BEGIN SOLUTION\nfit()\n# END SOLUTION"
    assert posed([same_cell, "q.check(x)", training, "plot()"]) == {"kl": 0}
    assert posed([block, check_after]) == {"sampling": 0}
    with pytest.raises(ValueError, match="two solution cells"):
        posed([same_cell, same_cell])


#: Exercises whose notebook namespace costs seconds or more to build (01 and 06 train models
#: before them: about a minute in quick mode; the others build models or grids), measured.
SLOW = {"holes", "kl_per_dimension", "codes_vs_prior", "decoder", "pixel_floor", "quadrature"}


class NotebookRun:
    """A notebook source run in this process, cell by cell, as a learner who skipped every
    exercise runs it (the learner form, quick mode, offline); at each exercise's solution cell
    the stored solution and the check cell run in a copy of the namespace, giving the verdict
    the solution notebook prints. So a solution that needs an earlier exercise's answer fails."""

    def __init__(self, source):
        self.code, self.position, self.verdicts = code_cells(source), 0, {}
        self.solution_cells = {index: name for name, index in posed(self.code).items()}
        self.namespace = {"__name__": "__main__"}
        # Removed when the run is collected or the test process ends.
        self._folder = tempfile.TemporaryDirectory(prefix=f"{source.stem}.")
        self.directory = self._folder.name

    @contextlib.contextmanager
    def _notebook_like(self):
        import matplotlib.pyplot as plt

        settings = {"VAELAB_QUICK": "1", "VAELAB_OFFLINE": "1", "MPLBACKEND": "Agg"}
        saved, cwd = {key: os.environ.get(key) for key in settings}, os.getcwd()
        os.environ.update(settings)
        os.chdir(self.directory)
        try:
            yield
        finally:
            os.chdir(cwd)
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.update({key: value})
            plt.close("all")

    def _run(self, code, namespace, where):
        exec(compile(code, where, "exec"), namespace)

    def verdict(self, name):
        with self._notebook_like():
            while name not in self.verdicts and self.position < len(self.code):
                index, cell = self.position, self.code[self.position]
                if index in self.solution_cells:
                    self._judge(self.solution_cells[index], index)
                self._run(variant_of(cell, "learner"), self.namespace, f"cell {index}")
                self.position += 1
        assert name in self.verdicts, f"{name}: no solution cell found in the notebook"
        return self.verdicts[name]

    def _judge(self, name, index):
        check = self.code[index + 1]
        assert "q.check(" in check, f"{name}: the cell after its solution cell checks it"
        trial = dict(self.namespace)
        self._run(f"from vaelab.exercises import {name} as q", trial, name)
        self._run(stored_solutions()[name], trial, f"solution of {name}")
        verdict = EXERCISE.sub("", check).replace("q.check(", "_verdict = q.verdict(", 1)
        self._run(verdict, trial, f"check of {name}")
        self.verdicts[name] = trial["_verdict"]


RUNS = {}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[pytest.mark.slow] * (n in SLOW)) for n in sorted(ALL)]
)
def test_every_solution_is_correct_in_its_notebooks_namespace(name):
    posing = f"from vaelab.exercises import {name} as q"
    source = next((p for p in COURSE if posing in p.read_text()), None)
    assert source is not None, f"no notebook source poses {name} ({posing})"
    if source not in RUNS:
        RUNS[source] = NotebookRun(source)
    run = RUNS[source]
    kind, message = run.verdict(name)
    assert kind == "correct", message


def test_each_exercise_is_labelled_with_the_notebook_that_poses_it():
    sources = Path(__file__).resolve().parents[1] / "notebooks" / "source"
    for name, exercise in ALL.items():
        posing = [
            path.stem
            for path in sources.glob("*.py")
            if f"from vaelab.exercises import {name} as q" in path.read_text()
        ]
        assert posing and all(stem.split("_")[0] == exercise.notebook for stem in posing), (
            name,
            exercise.notebook,
            posing,
        )
