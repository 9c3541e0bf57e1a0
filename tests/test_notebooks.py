"""The committed notebooks follow the course's policy (run by nbval separately)."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from clean_notebooks import CHECK_MARK, clean, notebook_paths  # noqa: E402

COURSE = [p for p in notebook_paths() if p.name[:2].isdigit()]


def test_the_whole_course_is_there():
    assert [p.name[:2] for p in COURSE] == ["00", "01", "02", "03", "04", "05", "06"]
    assert (ROOT / "notebooks" / "explorer_app.ipynb").is_file()


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_notebook_is_clean(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert clean(notebook) == notebook, f"run: python tools/clean_notebooks.py ({path.name} is not clean)"
    assert "widgets" not in notebook.metadata
    text = path.read_text()
    assert "NBVAL_SKIP" not in text and "nbval-skip" not in text


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_notebook_has_the_course_framing(path):
    notebook = nbformat.read(path, as_version=4)
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert markdown[0].startswith("# ") and "## What you'll learn" in markdown[0]
    assert markdown[-1].startswith("## What we did") or "## What we did" in markdown[-1]
    assert any("from vaelab.exercises import check_" in c for c in code), "an exercise with a self-check"
    assert any('os.environ.get("VAELAB_QUICK"' in c for c in code), "quick mode is visible"
    checked = [c for c in code if c.lstrip().startswith(CHECK_MARK)]
    for cell in (c for c in notebook.cells if c.cell_type == "code" and c.source.lstrip().startswith(CHECK_MARK)):
        assert cell.outputs, "a checked cell keeps the output nbval compares against"
    if path.name[:2] in {"00", "02", "03"}:
        assert checked, "deterministic cells are checked by nbval"


def test_notebooks_that_load_the_pretrained_model_offer_training():
    source = (ROOT / "notebooks" / "04_exploring_the_latent_space.ipynb").read_text()
    assert "TRAIN_FROM_SCRATCH" in source
