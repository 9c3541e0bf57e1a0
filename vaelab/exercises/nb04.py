"""The exercises of notebook 04 (Exploring the latent space)."""

from __future__ import annotations

import math

import numpy as np

from ._core import Exercise, Wrong, _array, _call, _close, _number


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


def _codes_vs_prior(box_share, second_moment):
    """The codes measured against the prior: the share in a box and E[μ² + σ²] per dimension."""
    rng = np.random.default_rng(41)
    z_mean = 1.3 * rng.normal(size=(400, 2)) + np.array([0.4, -0.2])
    z_log_var = rng.normal(-4.0, 0.5, size=(400, 2))
    edge = 1.6448536
    got = _number(_call(box_share, z_mean, edge), "the share")
    inside = np.abs(z_mean) < edge
    share_wrong = [
        (
            np.mean(inside.any(axis=1)),
            "that counts codes inside the band of either axis: a code "
            "is in the box when both coordinates are.",
        ),
        (np.mean(inside[:, 0]), "that looks at z₁ only: the box limits both coordinates."),
        (float(np.sum(inside.all(axis=1))), "that is a count: divide by the number of codes."),
        (
            np.mean(np.linalg.norm(z_mean, axis=1) < edge),
            "that is a circle of radius edge, not the square box.",
        ),
    ]
    for value, message in share_wrong:
        if math.isclose(got, value, rel_tol=1e-6):
            raise Wrong(message)
    if not math.isclose(got, np.mean(inside.all(axis=1)), rel_tol=1e-6):
        raise Wrong("box_share should be the fraction of codes with |z₁| < edge and |z₂| < edge.")
    variance = np.exp(z_log_var)
    want = np.mean(z_mean**2 + variance, axis=0)
    moment = _call(second_moment, z_mean, z_log_var)
    if np.shape(moment) != want.shape:
        raise Wrong(
            f"second_moment returns one number per dimension, shape {want.shape}; "
            f"got {np.shape(moment)}."
        )
    moment_wrong = [
        (
            np.mean(z_mean**2, axis=0),
            "that is E[μ²] only: each code is a cloud, and its own variance σ² adds to the spread.",
        ),
        (
            np.var(z_mean, axis=0) + variance.mean(axis=0),
            "that subtracts the codes' mean: the "
            "prior's second moment is E[z²] about 0, not a variance about the codes' centre.",
        ),
        (
            np.mean(z_mean**2 + np.exp(0.5 * z_log_var), axis=0),
            "exp(½ · z_log_var) is σ; the second moment needs σ².",
        ),
        (np.mean(z_mean**2 + z_log_var, axis=0), "z_log_var is log σ²: take its exp."),
    ]
    for value, message in moment_wrong:
        if _close(moment, value):
            raise Wrong(message)
    if not _close(moment, want):
        raise Wrong("second_moment should be the mean over the codes of μ² + σ², per dimension.")
    return "both measured as the prior would be: it has 81% in the box and E[z²] = 1."


codes_vs_prior = Exercise(
    "codes_vs_prior",
    "04",
    "write box_share(z_mean, edge) and second_moment(z_mean, z_log_var).",
    _codes_vs_prior,
    [
        "When is a point inside a square box centred on 0? For the second: a code is a cloud "
        "N(μ, σ²); what is E[z²] for one cloud, and then for all of them?",
        "box_share: np.all(np.abs(z_mean) < edge, axis=1), then its mean. second_moment: "
        "E[z²] of N(μ, σ²) is μ² + σ², with σ² = exp(z_log_var); average over axis 0.",
    ],
)
