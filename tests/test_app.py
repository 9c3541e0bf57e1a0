"""The explorer app without Keras: its shipped files, their checks, and the kernel it needs."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from vaelab import app
from vaelab.latent import encode
from vaelab.pretrained import app_paths, metadata

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_codes_are_the_encoders_and_the_decoder_the_pretrained_one(pretrained, mnist):
    from vaelab.widgets import page_decoder

    codes, labels = app.load_codes("mnist")
    (_, _), (x_test, y_test) = mnist
    np.testing.assert_allclose(codes, encode(pretrained.encoder, x_test)[0], atol=1e-5)
    np.testing.assert_array_equal(labels, y_test)
    shipped, fresh = app.load_page_decoder("mnist"), page_decoder(pretrained.decoder)
    assert shipped.spec == fresh.spec and shipped.weights == fresh.weights


def test_the_export_tool_rewrites_the_same_bytes(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from export_app import export
    finally:
        sys.path.remove(str(ROOT / "tools"))
    record, shipped = export("mnist", tmp_path), metadata("mnist")["app"]
    assert record == shipped, "run tools/export_app.py after retraining the pretrained model"


def test_damaged_or_missing_files_are_refused(tmp_path, monkeypatch):
    copies = [Path(shutil.copy(path, tmp_path / path.name)) for path in app_paths("mnist")]
    monkeypatch.setattr(app, "app_paths", lambda name: tuple(copies))
    for damaged, load in zip(copies, (app.load_page_decoder, app.load_codes)):
        blob = bytearray(damaged.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        damaged.write_bytes(bytes(blob))
        with pytest.raises(ValueError, match="checksum"):
            load("mnist")
        damaged.unlink()
        with pytest.raises(FileNotFoundError, match="export_app"):
            load("mnist")


def run_in_a_kernel(notebook, extra_code):
    """Run ``notebook`` top to bottom in a fresh kernel, then ``extra_code``; its stdout."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(extra_code))
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    return nb, "".join(o.get("text", "") for o in nb.cells[-1].outputs)


@pytest.mark.slow
def test_the_app_kernel_imports_no_keras():
    code = (
        "import json, sys\n"
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]))"
    )
    nb, printed = run_in_a_kernel(ROOT / "notebooks" / "explorer_app.ipynb", code)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.get("name") == "stderr"], "noise in the app's output"
    assert json.loads(printed) == [], f"the app's kernel imported {printed}"
