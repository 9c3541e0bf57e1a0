"""Each notebook is built from its text source, learner and solution versions alike, and follows
the course's policy (nbval runs both versions)."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from build_notebooks import (  # noqa: E402
    BEGIN,
    CHECK_TAG,
    END,
    LEARNER,
    VARIANTS,
    build,
    notebook_path,
    source_paths,
    variant_of,
)

from vaelab.exercises import ALL  # noqa: E402

SOURCES = source_paths()
COURSE = [p for p in SOURCES if p.name[:2].isdigit()]


def test_the_whole_course_is_there():
    prefixes = [p.name.split("_")[0] for p in COURSE]
    assert prefixes == ["00", "01", "02", "02b", "03", "04", "05", "06"]
    assert (ROOT / "notebooks" / "source" / "explorer_app.py").is_file()
    for folder in (ROOT / "notebooks", ROOT / "notebooks" / "solutions"):
        built = {p.stem for p in folder.glob("*.ipynb")}
        assert built == {p.stem for p in SOURCES}, f"one notebook per source in {folder}"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_built_from_its_source(source, variant):
    path = notebook_path(source, variant)
    committed = nbformat.read(path, as_version=4)
    nbformat.validate(committed)
    rebuilt = build(source, outputs_from=committed, variant=variant)
    assert nbformat.writes(rebuilt) + "\n" == path.read_text(), (
        f"{source.name} and {path} drifted: run python tools/build_notebooks.py"
    )
    assert "widgets" not in committed.metadata
    for cell in committed.cells:
        marked = cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", [])
        if cell.cell_type == "code" and not marked:
            assert cell.outputs == [], "only checked cells keep outputs"
        if marked:
            assert cell.outputs, "a checked cell keeps the output nbval compares against"
    assert "NBVAL_SKIP" not in source.read_text() and "nbval-skip" not in source.read_text()
    assert "NBVAL_CHECK_OUTPUT" not in path.read_text(), "a tag, not a comment the learner sees"
    for marker in (BEGIN, END, LEARNER.strip()):
        assert marker not in path.read_text(), f"a solution marker left in {path}"


def test_drift_is_caught(tmp_path):
    source = COURSE[0]
    changed = tmp_path / source.name
    changed.write_text(source.read_text().replace("Welcome to", "Hello and welcome to"))
    committed = nbformat.read(notebook_path(source), as_version=4)
    rebuilt = nbformat.writes(build(changed, outputs_from=committed)) + "\n"
    assert rebuilt != notebook_path(source).read_text()


def test_solution_markers_become_placeholders():
    code = (
        "def f(x):\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n    # END SOLUTION\n"
        "ratio = 784 / 2  # LEARNER: ratio = ..."
    )
    assert variant_of(code, "learner") == "def f(x):\n    ...  # your code here\nratio = ..."
    assert variant_of(code, "solution") == "def f(x):\n    y = x + 1\n    return y\nratio = 784 / 2"
    with pytest.raises(ValueError, match="without"):
        variant_of("# BEGIN SOLUTION\nx = 1", "learner")


def exercise_checks(source, variant):
    """The stored outputs of the cells that check an exercise (``q.check(...)``)."""
    notebook = nbformat.read(notebook_path(source, variant), as_version=4)
    return [
        "".join(output.get("text", "") for output in cell.outputs)
        for cell in notebook.cells
        if cell.cell_type == "code" and "q.check(" in cell.source
    ]


@pytest.mark.parametrize("source", COURSE, ids=lambda p: p.stem)
def test_learner_notebooks_ship_blank_and_solutions_are_correct(source):
    """nbval compares these stored outputs on every run (the check cells are tagged
    nbval-check-output), so a learner notebook that printed "Correct" fails there."""
    learner, solution = exercise_checks(source, "learner"), exercise_checks(source, "solution")
    assert learner and len(learner) == len(solution)
    for text in learner:
        assert text.startswith("Not answered yet: ") and "Correct" not in text, text
    for text in solution:
        assert text.startswith("Correct: "), text


def test_every_exercise_is_posed_in_its_notebook():
    for name, exercise in ALL.items():
        sources = [p for p in COURSE if p.name.startswith(exercise.notebook)]
        posed = f"from vaelab.exercises import {name} as q"
        assert any(posed in source.read_text() for source in sources), name


@pytest.mark.parametrize("source", COURSE, ids=lambda p: p.stem)
def test_notebook_has_the_course_framing(source):
    notebook = build(source)
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert markdown[0].startswith("# ") and "## What you'll learn" in markdown[0]
    assert "## What we did" in markdown[-1]
    assert any("from vaelab.exercises import" in c and " as q" in c for c in code), "an exercise"
    assert any('os.environ.get("VAELAB_QUICK"' in c for c in code), "quick mode is visible"
    # No kernel config loads vaelab any more: the notebook imports it, visibly, before Keras
    # (its import hook keeps TensorFlow's start-up lines out of the outputs).
    text = "\n".join(code)
    assert "import vaelab" in text, "the notebook imports vaelab"
    keras_at = min((text.find(s) for s in ("import keras", "from keras") if s in text), default=-1)
    assert keras_at == -1 or text.index("import vaelab") < keras_at, "vaelab before Keras"


def test_notebooks_that_load_the_pretrained_model_offer_training():
    source = ROOT / "notebooks" / "source" / "04_exploring_the_latent_space.py"
    assert "TRAIN_FROM_SCRATCH" in source.read_text()
