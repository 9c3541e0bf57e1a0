"""The course's exercises: each one checks an answer, gives hints and shows its solution.

Every exercise is an :class:`Exercise` named after its idea (``sampling``, ``kl_estimate``, ...) and
used as Kaggle's learntools do::

    from vaelab.exercises import sampling as q
    q.check(sample)   # "Correct: ...", "Not yet: ..." naming the mistake, or "Not answered yet"
    q.hint()          # a question first; q.hint(2) for the next hint
    q.solution()      # the answer

The exercises live in one module per notebook (``nb00`` ... ``nb06``, and ``nb02b`` for the
notebook *Evaluating the VAE*); the machinery they share
(:class:`Exercise`, the verdicts, the helpers that read an answer) in ``_core``.
"""

from __future__ import annotations

from ._core import Blank, Exercise, Wrong
from .nb00 import compression_ratio
from .nb01 import holes
from .nb02 import decoder, kl_estimate, model, reconstruction, sampling
from .nb02b import pixel_floor, quadrature
from .nb03 import chapter_kl, effective_beta, fixed_loss, fixed_sample
from .nb04 import codes_vs_prior, grid_coverage, grid_points, quantile_grid
from .nb05 import concept_vector, pixel_path
from .nb06 import beta_effect, kl_per_dimension

#: Every exercise of the course, by name.
ALL = {
    exercise.name: exercise
    for exercise in (
        compression_ratio,
        holes,
        sampling,
        kl_estimate,
        reconstruction,
        decoder,
        model,
        pixel_floor,
        quadrature,
        fixed_sample,
        fixed_loss,
        effective_beta,
        chapter_kl,
        quantile_grid,
        grid_points,
        grid_coverage,
        codes_vs_prior,
        concept_vector,
        pixel_path,
        beta_effect,
        kl_per_dimension,
    )
}

__all__ = [
    "ALL",
    "Blank",
    "Exercise",
    "Wrong",
    "compression_ratio",
    "holes",
    "sampling",
    "kl_estimate",
    "reconstruction",
    "decoder",
    "model",
    "pixel_floor",
    "quadrature",
    "fixed_sample",
    "fixed_loss",
    "effective_beta",
    "chapter_kl",
    "quantile_grid",
    "grid_points",
    "grid_coverage",
    "codes_vs_prior",
    "concept_vector",
    "pixel_path",
    "beta_effect",
    "kl_per_dimension",
]
