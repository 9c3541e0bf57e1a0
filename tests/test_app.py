"""The explorer app without TensorFlow: the LiteRT export, its checks, the fallback, the kernel."""

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from vaelab import app
from vaelab.latent import decode, encode
from vaelab.pretrained import litert_paths, metadata

ROOT = Path(__file__).resolve().parents[1]
try:
    import ai_edge_litert  # noqa: F401
except ImportError:
    if os.environ.get("CI"):  # the test extra installs it wherever it has a wheel, as CI does
        pytest.fail("ai-edge-litert is missing: .ci/run must install the test extra", pytrace=False)
    pytest.skip("ai-edge-litert has no wheel here", allow_module_level=True)


def prior_draws(count=225):
    return np.random.default_rng(1).standard_normal((count, 2)).astype("float32")


def test_the_shipped_litert_decoder_and_codes_match_keras(pretrained, mnist):
    model = app.app_model("mnist")
    assert model.engine == "litert" and isinstance(model.decoder, app.LiteRTDecoder)
    z = prior_draws()
    np.testing.assert_allclose(
        decode(model.decoder, z), decode(pretrained.decoder, z), rtol=0, atol=1e-5
    )
    # one point at a time too (the interpreter resizes its tensors between batch sizes)
    np.testing.assert_allclose(model.decoder(z[:1]), decode(pretrained.decoder, z[:1]), atol=1e-5)
    (_, _), (x_test, y_test) = mnist
    np.testing.assert_allclose(model.codes, encode(pretrained.encoder, x_test)[0], atol=1e-5)
    np.testing.assert_array_equal(model.labels, y_test)


def test_the_export_is_reproducible(tmp_path, pretrained):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from export_litert import export
    finally:
        sys.path.remove(str(ROOT / "tools"))
    record = export("mnist", folder=tmp_path)
    shipped = metadata("mnist")["litert"]
    fresh = app.LiteRTDecoder(tmp_path / record["decoder"])
    z = prior_draws()
    np.testing.assert_allclose(fresh(z), decode(pretrained.decoder, z), rtol=0, atol=1e-5)
    assert record["codes_sha256"] == shipped["codes_sha256"]
    import tensorflow as tf

    if tf.__version__ == shipped["tensorflow"]:  # the converter's bytes depend on its version
        assert record["decoder_sha256"] == shipped["decoder_sha256"]


def test_damaged_files_are_refused_by_their_checksum(tmp_path, monkeypatch):
    decoder_path, codes_path = litert_paths("mnist")
    copies = [shutil.copy(path, tmp_path / path.name) for path in (decoder_path, codes_path)]
    blob = bytearray(Path(copies[0]).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    Path(copies[0]).write_bytes(bytes(blob))
    monkeypatch.setattr(app, "litert_paths", lambda name: tuple(map(Path, copies)))
    with pytest.raises(ValueError, match="checksum"):
        app.app_model("mnist")
    Path(copies[0]).unlink()
    with pytest.raises(FileNotFoundError, match="export_litert"):
        app.app_model("mnist")
    with pytest.raises(ValueError, match="engine"):
        app.app_model("mnist", engine="tflite")


def test_without_litert_the_app_falls_back_to_keras_with_a_notice(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    model = app.app_model("mnist")
    notice = capsys.readouterr().out
    assert model.engine == "keras" and notice.count("\n") == 1
    assert "ai-edge-litert is not installed" in notice and "Keras" in notice
    assert decode(model.decoder, prior_draws(3)).shape == (3, 28, 28, 1)
    with pytest.raises(ImportError):
        app.app_model("mnist", engine="litert")


def run_in_a_kernel(notebook, extra_code):
    """Run ``notebook`` top to bottom in a fresh kernel, then ``extra_code``; its stdout."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(extra_code))
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    return nb, "".join(o.get("text", "") for o in nb.cells[-1].outputs)


def test_the_app_kernel_imports_no_tensorflow():
    code = (
        "import json, sys\n"
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]))"
    )
    nb, printed = run_in_a_kernel(ROOT / "notebooks" / "explorer_app.ipynb", code)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.get("name") == "stderr"], "noise in the app's output"
    assert json.loads(printed) == [], f"the app's kernel imported {printed}"
