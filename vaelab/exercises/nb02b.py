"""The exercises of the notebook *Evaluating the VAE* (02b)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from ._core import Exercise, Wrong, _call, _number


def _quadrature_case():
    """A digit whose log p(x | z) is a narrow Gaussian bump, 800 nats down: log p(x) is known."""
    spacing = 0.05
    values = np.arange(-6, 6 + spacing / 2, spacing)
    z1, z2 = np.meshgrid(values, values)
    z = np.stack([z1.ravel(), z2.ravel()], axis=1)
    centre, width, offset = np.array([0.7, -0.4]), 0.15, -800.0
    log_px_given_z = offset - 0.5 * np.sum((z - centre) ** 2, axis=1) / width**2
    # ∫ exp(−|z − a|² / 2s²) N(z; 0, I) dz = Π_j √(2π s²) · N(a_j; 0, 1 + s²)
    exact = offset + np.sum(
        0.5 * np.log(2 * np.pi * width**2)
        - 0.5 * np.log(2 * np.pi * (1 + width**2))
        - 0.5 * centre**2 / (1 + width**2)
    )
    return log_px_given_z, z, spacing, exact


def _quadrature(log_px_by_grid):
    """log p(x) = log Σ_k p(x | z_k) p(z_k) · A over a grid, with logs all the way."""
    log_px_given_z, z, spacing, exact = _quadrature_case()
    got = _number(_call(log_px_by_grid, log_px_given_z, z, spacing), "log p(x)")
    if not math.isfinite(got):
        raise Wrong(
            f"your result is {got}: p(x | z) is about exp(−800) here, which is 0 in floating "
            "point. Stay in logs: add log p(z) and the log of the cell area, then logsumexp."
        )
    log_prior = -0.5 * np.sum(z**2, axis=1) - np.log(2 * np.pi)
    log_area = 2 * np.log(spacing)
    wrong = [
        (
            exact - log_area,
            "the cell area is missing: a sum over grid points becomes an "
            "integral only when each point is weighted by the area of its cell.",
        ),
        (
            exact - 0.5 * log_area,
            "the cell of a 2-D grid is spacing × spacing: its log area is 2 · log(spacing).",
        ),
        (
            logsumexp(log_px_given_z) + log_area,
            "log p(z) is missing: the integrand is p(x | z) · p(z), the prior weighs each point.",
        ),
        (
            exact + 0.5 * np.log(2 * np.pi),
            "log p(z) has the normalizer of a 1-D normal, −½ log 2π; the 2-D standard normal's is "
            "−log 2π (½ log 2π per dimension).",
        ),
        (
            exact + np.log(2 * np.pi),
            "log p(z) is missing its normalizer: the 2-D standard normal is "
            "−½ |z|² − log 2π, not −½ |z|².",
        ),
        (
            logsumexp(log_px_given_z + log_prior) - np.log(len(z)),
            "an average over the grid "
            "points is not the integral: weight each point by the cell area instead of dividing "
            "by their number.",
        ),
    ]
    for value, message in wrong:
        if math.isclose(got, value, abs_tol=1e-3):
            raise Wrong(message)
    if not math.isclose(got, exact, abs_tol=1e-3):
        raise Wrong(
            "on a test digit whose log p(x) is known exactly, your function is off by "
            f"{got - exact:+.3g} nats."
        )
    return "log p(x) = logsumexp(log p(x | z) + log p(z)) + log(spacing²), in logs throughout."


quadrature = Exercise(
    "quadrature",
    "02b",
    "write log_px_by_grid(log_px_given_z, z, spacing): log p(x) of one digit by quadrature.",
    _quadrature,
    [
        "log p(x) = log ∫ p(x | z) p(z) dz. On a grid, what replaces the integral, and what "
        "does each grid point stand for? What is exp(−150) · exp(−150) in float64?",
        "Add log p(z) = −½ |z|² − log 2π to each log p(x | z), combine the points with "
        "scipy.special.logsumexp (a sum done in logs), and add the log of one cell's area.",
    ],
)


def _pixel_floor(floor):
    value = _number(floor, "the smallest loss")
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
    "02b",
    "predict: the smallest BCE any decoder can score on one pixel of grey level x = 0.3?",
    _pixel_floor,
    [
        "The BCE is −x log p − (1 − x) log(1 − p). For which p is it smallest? (Plot it, or "
        "set its derivative to 0.)",
        "The best p is x itself; put p = 0.3 into the formula with the natural log.",
    ],
)
