"""The exercises of notebook 04 (Exploring the latent space)."""

from __future__ import annotations

import math

import numpy as np

from ._core import Exercise, Wrong, _array, _close, _number


def _quantile_grid(grid):
    from scipy.stats import norm

    got = _array(grid, (15,), "the grid values")
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
        "With values = grid_values(15), as in the cell: "
        "np.array([[a, b] for b in values[::-1] for a in values]).",
    ],
)


def _grid_coverage(coverage):
    value = _number(coverage, "the share")
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
)
