"""What every exercise shares: :class:`Exercise`, its verdicts, and the helpers judges use to
read an answer (a number, an array, a learner's function) without ever raising at the learner.

Learner notebooks ship with placeholders (``...``): ``check`` recognises an unanswered exercise
and prints a nudge instead of raising, so a notebook still runs top to bottom. A verdict starts
with "Correct" only when the answer is right. Reference values are computed by each judge,
independently of what the learner passes, and the common wrong answers are recognised by name.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from pathlib import Path

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
    message for a wrong one and :class:`Blank` for a placeholder. Its parameters are named as
    the notebook's variables, since a call with too few or too many answers is told to pass
    them. Whatever the learner passes, ``check`` prints a verdict and never raises: an error
    inside the judge is reported as an answer it could not read. The solution is the notebook
    source's own solution block, stored in ``solutions.json`` by ``tools/build_notebooks.py``.
    """

    def __init__(self, name: str, notebook: str, task: str, judge: Callable, hints):
        if len(hints) != 2:
            raise ValueError(
                f"{name}: give two hints, a question and a pointer; the third level is the "
                f"solution code, read from solutions.json (got {len(hints)} hints)."
            )
        self.name, self.notebook, self.task = name, notebook, task
        self.judge, self.hints = judge, list(hints)

    @property
    def call(self) -> str:
        """How to call ``check``, from the judge's parameters: ``q.check(bits, kl_nats)``."""
        return f"q.check({', '.join(inspect.signature(self.judge).parameters)})"

    @property
    def solution_text(self) -> str | None:
        """The solution, as the notebook's solution cell writes it (None if none is stored)."""
        return stored_solutions().get(self.name)

    def verdict(self, *answer) -> tuple[str, str]:
        """``("correct" | "wrong" | "unanswered", message)`` for ``answer``, printing nothing."""
        try:
            inspect.signature(self.judge).bind(*answer)
        except TypeError:
            count = len(inspect.signature(self.judge).parameters)
            return "wrong", (
                f"{NOT_YET}this check takes {count} value{'s' * (count != 1)}: {self.call}; "
                f"you passed {len(answer)}."
            )
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
        except Exception as error:  # an answer no judge foresaw: a verdict, not a traceback
            return "wrong", (
                f"{NOT_YET}checking your answer raised {type(error).__name__}: {error!s:.200}. "
                f"Probably an odd answer (another type or shape than asked): pass {self.call} "
                "as the task says (q.hint() for a hint)."
            )

    def check(self, *answer) -> None:
        """Print the verdict on ``answer``: it starts with "Correct" only when it is right."""
        print(self.verdict(*answer)[1])

    @property
    def levels(self) -> list[str]:
        """The hint levels: a question, a pointer, then the code (the stored solution)."""
        code = self.solution_text
        return [*self.hints, "the code:\n" + code if code else "q.solution() shows the code."]

    def hint(self, level: int = 1) -> None:
        """Print hint ``level``: 1 asks a question, 2 points the way, 3 is the code."""
        levels = self.levels
        try:
            level = min(max(int(level), 1), len(levels))
        except (TypeError, ValueError):
            level = 1
        more = f" (q.hint({level + 1}) for the next)" if level < len(levels) else ""
        print(f"Hint {level} of {len(levels)}: {levels[level - 1]}{more}")

    def solution(self) -> None:
        """Print the solution: the notebook's solution cell, without its exercise import."""
        text = self.solution_text
        if text is None:
            print(f"No solution is stored for {self.name!r} (run tools/build_notebooks.py).")
        else:
            print(f"Solution:\n{text}")

    def __repr__(self):
        return f"<exercise {self.name!r} of notebook {self.notebook}: {self.task}>"


#: Where ``tools/build_notebooks.py`` writes every exercise's solution, from the sources.
SOLUTIONS = Path(__file__).with_name("solutions.json")


@functools.cache
def stored_solutions() -> dict:
    """``{exercise name: solution text}`` as generated from the notebook sources."""
    try:
        return json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _number(answer, what: str) -> float:
    """``answer`` as a float: Python and NumPy numbers and 1-element arrays are accepted."""
    try:
        array = np.asarray(answer)
    except (TypeError, ValueError):  # a ragged list, an object NumPy cannot read
        array = np.asarray(None)
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
    try:
        return np.asarray(result.numpy() if hasattr(result, "numpy") else result, dtype=float)
    except Exception:  # strings, dicts, ragged lists, objects: the learner's answer, not a bug
        raise Wrong(
            f"your function returned {type(result).__name__} {result!r:.60}, not numbers."
        ) from None


def _close(a, b, tolerance=1e-5) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=tolerance, atol=tolerance)
