"""Build the course's notebooks from their text sources: one source, two notebooks.

Each ``notebooks/source/NAME.py`` (jupytext ``py:percent``) is the one place a notebook is
edited, with its exercises' solutions in it. This tool writes two notebooks from it, as
scikit-learn-mooc makes its exercise notebooks from its solution notebooks:

* ``notebooks/NAME.ipynb``, the learner's: every solution replaced by its placeholder;
* ``notebooks/solutions/NAME.ipynb``, the same notebook with the solutions.

Solutions are marked in code cells in two ways::

    def sample(z_mean, z_log_var, epsilon):
        # BEGIN SOLUTION
        return z_mean + np.exp(0.5 * z_log_var) * epsilon
        # END SOLUTION                      (learner: "...  # your code here", same indent)

    ratio = 784 / 2  # LEARNER: ratio = ...     (learner: "ratio = ...")

Both notebooks are written the same way:

* cell sources exactly as in the text source; cell ids numbered; no cell metadata; notebook
  metadata a python3 kernelspec only (no widget state, no per-machine versions);
* no outputs, except in cells tagged ``nbval-check-output`` (``# %% tags=["nbval-check-output"]``
  in the source; a tag, not a comment, so learners do not see it): nbval compares those
  cells' plain-text outputs on every test run, so they keep them (and, as nbval requires, an
  execution count: the cell's position among the code cells). The outputs come from the
  notebook already written when the cell is unchanged, or from running it (``--refresh``).

Usage::

    python tools/build_notebooks.py            # write every notebook from its source
    python tools/build_notebooks.py --refresh  # run them first (quick mode) for fresh outputs
    python tools/build_notebooks.py --check    # exit 1 if a notebook differs from its source

Every exercise's solution exists once, in its notebook source. The cell that poses an exercise
imports it (``from vaelab.exercises import NAME as q``) and holds its solution block(s); a
solution block may also sit in the code cell just before the one that imports the exercise and
calls ``q.check(``. This tool writes that cell's solution form, without the import, to
``vaelab/exercises/solutions.json``, which ``q.solution()`` prints. Solution blocks in no
exercise's cell (a training cell, say) are left out.

``tests/test_notebooks.py`` fails when a notebook and its source drift apart, and
``tests/test_exercises.py`` when ``solutions.json`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "source"
CHECK_TAG = "nbval-check-output"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


SOLUTIONS = NOTEBOOKS / "solutions"
VARIANTS = ("learner", "solution")
BEGIN, END, LEARNER = "# BEGIN SOLUTION", "# END SOLUTION", "  # LEARNER: "
#: The line that poses an exercise in a notebook cell.
EXERCISE = re.compile(r"^from vaelab\.exercises import (\w+) as q[ \t]*\n?", re.MULTILINE)
SOLUTIONS_JSON = ROOT / "vaelab" / "exercises" / "solutions.json"


def source_paths() -> list[Path]:
    return sorted(SOURCES.glob("*.py"))


def notebook_path(source: Path, variant: str = "learner") -> Path:
    return (NOTEBOOKS if variant == "learner" else SOLUTIONS) / f"{source.stem}.ipynb"


def variant_of(code: str, variant: str) -> str:
    """The code of a cell for the learner (placeholders) or with the solutions (markers gone)."""
    lines, inside = [], False
    for line in code.split("\n"):
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            if variant == "learner":
                lines.append(line[: len(line) - len(line.lstrip())] + "...  # your code here")
            continue
        if stripped == END:
            inside = False
            continue
        if inside and variant == "learner":
            continue
        if LEARNER in line:
            solution, learner = line.split(LEARNER, 1)
            indent = line[: len(line) - len(line.lstrip())]
            line = indent + learner if variant == "learner" else solution.rstrip()
        lines.append(line)
    if inside:
        raise ValueError(f"{BEGIN} without {END} in:\n{code}")
    return "\n".join(lines)


def has_solution(code: str) -> bool:
    return any(line.strip() == BEGIN or LEARNER in line for line in code.split("\n"))


def code_cells(source: Path) -> list[str]:
    """The code cells of a source, as written there (solution markers and all)."""
    cells = jupytext.read(source, fmt="py:percent").cells
    return [cell.source for cell in cells if cell.cell_type == "code"]


def posed(code: list[str]) -> dict[str, int]:
    """``{exercise: index of its solution cell}`` among a notebook's code cells: the cell with
    solution blocks that imports the exercise, or whose next cell imports it and calls
    ``q.check(``. Cells with solution blocks and no exercise (a training cell) are left out."""
    found = {}
    for index, cell in enumerate(code):
        if not has_solution(cell):
            continue
        names = EXERCISE.findall(cell)
        following = code[index + 1] if index + 1 < len(code) else ""
        if not names and "q.check(" in following:
            names = EXERCISE.findall(following)
        if len(names) > 1:
            raise ValueError(f"one cell poses {names}: pose one exercise per cell.")
        if names and names[0] in found:
            raise ValueError(f"{names[0]} has two solution cells: give it one.")
        if names:
            found[names[0]] = index
    return found


def solutions(sources=None) -> dict[str, str]:
    """``{exercise: solution text}`` from the sources, in course order: the solution form of
    each exercise's solution cell (:func:`posed`), without the exercise's import line."""
    found = {}
    for source in source_paths() if sources is None else sources:
        code = code_cells(source)
        try:
            cells = posed(code)
        except ValueError as error:
            raise ValueError(f"{source.name}: {error}") from None
        for name, index in cells.items():
            if name in found:
                raise ValueError(f"{source.name}: {name} is posed in two notebooks.")
            text = EXERCISE.sub("", variant_of(code[index], "solution")).strip("\n")
            found[name] = re.sub(r"\n{3,}", "\n\n", text)  # the import's blank lines go too
    return found


def solutions_text(sources=None) -> str:
    """The text of ``solutions.json``, as this tool writes it."""
    return json.dumps(solutions(sources), indent=1) + "\n"


def _plain(output):
    """The part of an output nbval compares: stream text or a plain-text result."""
    if output.get("output_type") == "stream":
        return nbformat.v4.new_output("stream", name=output["name"], text=output["text"])
    if output.get("output_type") == "execute_result" and "text/plain" in output.get("data", {}):
        data = {"text/plain": output["data"]["text/plain"]}
        return nbformat.v4.new_output("execute_result", data=data, execution_count=None)
    return None


def build(source: Path, outputs_from=None, variant: str = "learner"):
    """The ``variant`` notebook of ``source``; checked cells take their outputs from
    ``outputs_from`` (the same variant's notebook as written before)."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata = dict(METADATA)
    known = {}
    if outputs_from is not None:
        known = {c.source: c.outputs for c in outputs_from.cells if c.cell_type == "code"}
    position = 0
    for index, cell in enumerate(notebook.cells):
        checked = CHECK_TAG in cell.metadata.get("tags", [])
        cell.metadata = {"tags": [CHECK_TAG]} if checked else {}
        cell.id = f"{source.stem[:2]}-{index:02d}"
        if cell.cell_type != "code":
            continue
        cell.source = variant_of(cell.source, variant)
        position += 1
        cell.outputs, cell.execution_count = [], None
        if checked:
            cell.outputs = [p for p in map(_plain, known.get(cell.source, [])) if p is not None]
            cell.execution_count = position if cell.outputs else None
    return notebook


def run(notebook, directory: Path):
    """Execute ``notebook`` in quick mode, offline, as the tests do."""
    from nbclient import NotebookClient

    os.environ.setdefault("VAELAB_QUICK", "1")
    os.environ.setdefault("VAELAB_OFFLINE", "1")
    client = NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(directory)}},
    )
    client.execute()
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--refresh", action="store_true", help="run each notebook for fresh outputs"
    )
    parser.add_argument("--check", action="store_true", help="only report notebooks that drifted")
    parser.add_argument("names", nargs="*", help="only these sources (e.g. 02_building_the_vae)")
    args = parser.parse_args(argv)
    from vaelab.io import write_text_atomic

    drifted = []
    for source in source_paths():
        if args.names and source.stem not in args.names:
            continue
        for variant in VARIANTS:
            target = notebook_path(source, variant)
            previous = nbformat.read(target, as_version=4) if target.is_file() else None
            if args.refresh:
                previous = run(build(source, variant=variant), target.parent)
            notebook = build(source, outputs_from=previous, variant=variant)
            text = nbformat.writes(notebook) + "\n"
            if args.check:
                if not target.is_file() or target.read_text() != text:
                    drifted.append(str(target.relative_to(NOTEBOOKS)))
                continue
            nbformat.validate(notebook)
            write_text_atomic(target, text)
            print(f"wrote {target.relative_to(ROOT)}")
    text = solutions_text()
    if args.check:
        if not SOLUTIONS_JSON.is_file() or SOLUTIONS_JSON.read_text(encoding="utf-8") != text:
            drifted.append(str(SOLUTIONS_JSON.relative_to(ROOT)))
    else:
        write_text_atomic(SOLUTIONS_JSON, text)
        print(f"wrote {SOLUTIONS_JSON.relative_to(ROOT)}")
    if drifted:
        print(
            "drifted from the source: "
            + ", ".join(drifted)
            + " (run python tools/build_notebooks.py)"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
