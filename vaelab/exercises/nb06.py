"""The exercises of notebook 06 (Beyond)."""

from __future__ import annotations

import math

from ._core import Exercise, Wrong, _number


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
)


def _kl_bits(bits, kl_nats):
    if kl_nats is None or kl_nats is Ellipsis:
        raise Wrong("pass your model's KL too: check(bits, kl_nats).")
    nats = _number(kl_nats, "the KL in nats")
    value = _number(bits, "the KL in bits")
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
)
