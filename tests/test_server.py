"""The Jupyter server extension: what it does, and that every kind of install enables it."""

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path("etc/jupyter/jupyter_server_config.d/vaelab.json")


def test_server_extension_turns_off_nagle_on_kernel_websockets(monkeypatch):
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    from vaelab import server

    calls, messages = [], []

    async def stand_in_open(self, kernel_id):
        calls.append(("open", kernel_id))

    monkeypatch.setattr(KernelWebsocketHandler, "open", stand_in_open)  # restored after the test
    app = SimpleNamespace(log=SimpleNamespace(info=messages.append))
    assert server._jupyter_server_extension_points() == [{"module": "vaelab.server"}]
    server._load_jupyter_server_extension(app)
    server._load_jupyter_server_extension(app)  # a second load does not wrap twice
    assert KernelWebsocketHandler.open.__wrapped__ is stand_in_open
    socket = SimpleNamespace(set_nodelay=lambda value: calls.append(("nodelay", value)))
    asyncio.run(KernelWebsocketHandler.open(socket, "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]
    assert "TCP_NODELAY" in messages[0]


def test_this_environment_has_the_extension_enabled():
    """The test environment is an editable install (README's test command)."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent))
    listing = subprocess.run(
        [jupyter, "server", "extension", "list"], capture_output=True, text=True
    )
    text = listing.stdout + listing.stderr
    assert "vaelab.server" in text and "enabled" in text.split("vaelab.server", 1)[1][:40], text
    assert "vaelab.server  \x1b[32mOK" in text or "vaelab.server  OK" in text, text


@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_both_kinds_of_install_write_the_config(tmp_path, editable):
    """Into a fresh environment of its own (pip would otherwise replace this one's vaelab)."""
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path)], check=True, timeout=120)
    command = [str(tmp_path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
    command += ["-e", str(ROOT)] if editable else [str(ROOT)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / CONFIG).read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"vaelab.server": True}}}
    kernels = json.loads((tmp_path / "etc/ipython/ipython_kernel_config.json").read_text())
    assert kernels == {"InteractiveShellApp": {"extensions": ["vaelab"]}}


def test_import_vaelab_loads_no_tensorflow():
    code = (
        "import sys, vaelab, vaelab.server, vaelab.data; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_a_kernel_imports_keras_first_and_shows_nothing_in_red():
    """A learner's first cell may be ``import keras``: the kernel's vaelab extension keeps
    TensorFlow's C++ start-up lines out of the notebook, whatever the import order."""
    import nbformat
    from nbclient import NotebookClient

    cell = nbformat.v4.new_code_cell("import keras\nprint(keras.backend.backend())")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(notebook, kernel_name="python3", timeout=300).execute()
    assert [o.get("name") for o in cell.outputs] == ["stdout"], cell.outputs


def test_tensorflow_loads_quietly_when_a_model_is_built():
    code = "import vaelab; vaelab.build_vae(); import tensorflow; print('built')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip() == "built" and result.stderr == "", result.stderr
