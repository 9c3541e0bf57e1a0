"""Each notebook is built from its text source and follows the course's policy (nbval runs them)."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from build_notebooks import CHECK_MARK, build, notebook_path, source_paths  # noqa: E402

SOURCES = source_paths()
COURSE = [p for p in SOURCES if p.name[:2].isdigit()]


def test_the_whole_course_is_there():
    assert [p.name[:2] for p in COURSE] == ["00", "01", "02", "03", "04", "05", "06"]
    assert (ROOT / "notebooks" / "source" / "explorer_app.py").is_file()
    built = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert built == {p.stem for p in SOURCES}, (
        "every notebook has a source, every source a notebook"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_built_from_its_source(source):
    committed = nbformat.read(notebook_path(source), as_version=4)
    nbformat.validate(committed)
    rebuilt = build(source, outputs_from=committed)
    assert nbformat.writes(rebuilt) + "\n" == notebook_path(source).read_text(), (
        f"{source.name} and its notebook drifted: run python tools/build_notebooks.py"
    )
    assert "widgets" not in committed.metadata
    for cell in committed.cells:
        marked = cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)
        if cell.cell_type == "code" and not marked:
            assert cell.outputs == [], "only checked cells keep outputs"
        if marked:
            assert cell.outputs, "a checked cell keeps the output nbval compares against"
    text = source.read_text()
    assert "NBVAL_SKIP" not in text and "nbval-skip" not in text


def test_drift_is_caught(tmp_path):
    source = COURSE[0]
    changed = tmp_path / source.name
    changed.write_text(source.read_text().replace("Welcome to", "Hello and welcome to"))
    committed = nbformat.read(notebook_path(source), as_version=4)
    assert (
        nbformat.writes(build(changed, outputs_from=committed)) + "\n"
        != notebook_path(source).read_text()
    )


@pytest.mark.parametrize("source", COURSE, ids=lambda p: p.stem)
def test_notebook_has_the_course_framing(source):
    notebook = build(source)
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert markdown[0].startswith("# ") and "## What you'll learn" in markdown[0]
    assert "## What we did" in markdown[-1]
    assert any("from vaelab.exercises import check_" in c for c in code), (
        "an exercise with a self-check"
    )
    assert any('os.environ.get("VAELAB_QUICK"' in c for c in code), "quick mode is visible"
    assert not any("# first" in c for c in code), "no import-order rituals"
    if source.name[:2] in {"00", "02", "03"}:
        assert any(c.lstrip().startswith(CHECK_MARK) for c in code), (
            "deterministic cells are checked by nbval"
        )


def test_notebooks_that_load_the_pretrained_model_offer_training():
    assert (
        "TRAIN_FROM_SCRATCH"
        in (ROOT / "notebooks" / "source" / "04_exploring_the_latent_space.py").read_text()
    )
