"""The exercises of notebook 01 (Autoencoders)."""

from __future__ import annotations

import math

import numpy as np

from ._core import Exercise, Wrong, _call, _number


def _holes(hole_fraction):
    rng = np.random.default_rng(11)
    codes = np.concatenate([rng.normal(-1, 0.3, size=(40, 2)), rng.normal(1.2, 0.2, size=(30, 2))])
    values = np.linspace(-1.645, 1.645, 12)
    points = np.stack([a.ravel() for a in np.meshgrid(values, values)], axis=1)
    gaps = np.linalg.norm(points[:, None] - codes[None], axis=-1)
    want = float(np.mean(gaps.min(axis=1) > 0.25))
    got = _number(_call(hole_fraction, codes, points, 0.25), "the share")
    if math.isclose(got, 1 - want, abs_tol=1e-9):
        raise Wrong("that is the share of points *near* a code; a hole is a point far from all.")
    if math.isclose(got, want * len(points), abs_tol=1e-9):
        raise Wrong("that is a count of holes; divide by the number of grid points.")
    if math.isclose(got, float(np.mean(gaps.mean(axis=1) > 0.25)), abs_tol=1e-9):
        raise Wrong("use the distance to the *nearest* code (the minimum), not the mean distance.")
    if not math.isclose(got, want, abs_tol=1e-9):
        raise Wrong(f"{got:g} is not the share of grid points farther than 0.25 from every code.")
    wider = float(np.mean(gaps.min(axis=1) > 0.5))  # a second distance: 0.25 written in fails
    got = _number(_call(hole_fraction, codes, points, 0.5), "the share")
    if not math.isclose(got, wider, abs_tol=1e-9):
        raise Wrong(
            f"right at distance 0.25, but at distance 0.5 your function gives {got:g}, not "
            f"{wider:g}: use the distance argument, not a number written in."
        )
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
)
