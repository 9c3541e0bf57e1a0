"""Installing or importing vaelab changes nothing outside the process that imports it.

The opt-in server extension, the environment a kernel sees with and without vaelab installed,
the user's Keras backend, and the filter that keeps TensorFlow's known start-up lines out of
notebooks while its other lines, fatal ones included, still reach the user.
"""

import asyncio
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Variables a user may set; the tests start their processes without them, as on a new machine.
USER_CHOICES = ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")


def clean_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in USER_CHOICES}
    return {**env, **extra}


def run_python(code: str, python=sys.executable, env=None, timeout=300, cwd=None):
    """``python -c code``; run from another folder than the checkout, ``vaelab`` is only
    importable where it is installed."""
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or clean_env(),
        cwd=cwd,
    )


def test_server_extension_turns_off_nagle_on_kernel_websockets(monkeypatch):
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    from vaelab import server

    calls, messages = [], []

    async def stand_in_open(self, kernel_id):
        calls.append(("open", kernel_id))

    monkeypatch.setattr(KernelWebsocketHandler, "open", stand_in_open)  # restored after the test
    app = SimpleNamespace(log=SimpleNamespace(info=messages.append))
    assert server._jupyter_server_extension_points() == [{"module": "vaelab.server"}]
    assert KernelWebsocketHandler.open is stand_in_open  # importing patched nothing
    server._load_jupyter_server_extension(app)
    server._load_jupyter_server_extension(app)  # a second load does not wrap twice
    assert KernelWebsocketHandler.open.__wrapped__ is stand_in_open
    socket = SimpleNamespace(set_nodelay=lambda value: calls.append(("nodelay", value)))
    asyncio.run(KernelWebsocketHandler.open(socket, "k1"))
    assert calls == [("nodelay", True), ("open", "k1")]
    assert "TCP_NODELAY" in messages[0]


def test_importing_vaelab_and_its_server_module_sets_no_environment_variable():
    result = run_python(
        """
        import os
        before = dict(os.environ)
        import vaelab, vaelab.server, vaelab.data
        after = dict(os.environ)
        print(sorted(set(after.items()) ^ set(before.items())))
        """
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_import_vaelab_loads_no_tensorflow():
    result = run_python(
        "import sys, vaelab, vaelab.server, vaelab.data; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


@pytest.mark.slow
def test_the_users_keras_json_backend_stands(tmp_path):
    """A JAX user's ``keras.json`` keeps choosing JAX after ``import vaelab``."""
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    env = clean_env(KERAS_HOME=str(tmp_path), JAX_PLATFORMS="cpu")
    result = run_python("import vaelab\nimport keras\nprint(keras.backend.backend())", env=env)
    assert result.stdout.split()[-1:] == ["jax"], result.stdout + result.stderr


# -- a fresh environment, before and after installing vaelab ------------------------------------

KERNEL_DRIVER = """
import json, sys
from jupyter_client.manager import start_new_kernel

manager, client = start_new_kernel(kernel_name="python3")
lines = []
code = (
    "import os, sys, json\\n"
    "print(json.dumps({'executable': sys.executable, 'env': dict(os.environ), "
    "'vaelab': sorted(m for m in sys.modules if m.split('.')[0] == 'vaelab'), "
    "'extensions': sorted(get_ipython().extension_manager.loaded)}))"
)
def keep(message):
    if message["msg_type"] == "stream":
        lines.append(message["content"]["text"])

client.execute_interactive(code, timeout=120, output_hook=keep)
client.stop_channels()
manager.shutdown_kernel(now=True)
print("".join(lines).strip().splitlines()[-1])
"""


def kernel_facts(python: Path) -> dict:
    """Environment, vaelab modules and IPython extensions of a new kernel of ``python``'s env."""
    env = clean_env(PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = run_python(KERNEL_DRIVER, python=python, env=env, cwd=python.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(facts["executable"]).parent == python.parent, facts["executable"]
    for varying in ("JPY_PARENT_PID", "JPY_SESSION_NAME"):
        facts["env"].pop(varying, None)
    return facts


def config_files(prefix: Path) -> list[str]:
    return sorted(
        str(path.relative_to(prefix)) for path in (prefix / "etc").rglob("*") if path.is_file()
    )


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_installing_vaelab_changes_no_kernel_of_the_environment(tmp_path, editable):
    """A fresh venv (its packages borrowed from this one through a .pth file, vaelab excepted):
    a kernel started before and after ``pip install vaelab`` sees the same environment, loads
    no vaelab module and no extension, and the install wrote nothing into the venv's etc/."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = run_python("import sysconfig; print(sysconfig.get_paths()['purelib'])", python=python)
    borrowed = sysconfig.get_paths()["purelib"]  # this venv's packages: a plain path, so its
    Path(site.stdout.strip(), "borrowed.pth").write_text(borrowed + "\n")  # .pth files don't run
    assert run_python("import vaelab", python=python, cwd=tmp_path).returncode != 0  # not yet

    before, etc_before = kernel_facts(python), config_files(venv)
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-deps"]
    command += ["-e", str(ROOT)] if editable else [str(ROOT)]
    install = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    assert run_python("import vaelab", python=python, cwd=tmp_path).returncode == 0

    after = kernel_facts(python)
    assert after["vaelab"] == [] and after["extensions"] == before["extensions"]
    assert after["env"] == before["env"]
    assert config_files(venv) == etc_before


# -- TensorFlow's start-up lines ---------------------------------------------------------------

FAKE_TENSORFLOW = """
import os
for line in LINES:
    os.write(2, (line + "\\n").encode())
if ABORT:
    os.abort()

class config:
    @staticmethod
    def list_physical_devices():
        os.write(2, (PROBE + "\\n").encode())
        return []
"""
BENIGN_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1.2 1 port.cc:153] oneDNN custom operations are on. You may see slightly",
    "I0000 00:00:1.2 1 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will",
]
ERROR_LINE = "E0000 00:00:1.2 1 some_kernel.cc:12] something the user must see"
CU_INIT = "E0000 00:00:1.2 1 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error"


def fake_tensorflow(folder: Path, lines, abort=False, probe=CU_INIT) -> Path:
    package = folder / "tensorflow"
    package.mkdir(parents=True)
    header = f"LINES = {lines!r}\nABORT = {abort!r}\nPROBE = {probe!r}\n"
    (package / "__init__.py").write_text(header + FAKE_TENSORFLOW)
    return folder


def import_fake(folder: Path, **env):
    return run_python(
        "import vaelab\nimport tensorflow\nprint('imported')",
        env=clean_env(PYTHONPATH=f"{folder}{os.pathsep}{ROOT}", **env),
    )


def test_known_start_up_lines_are_dropped_and_others_reach_the_user(tmp_path):
    folder = fake_tensorflow(tmp_path, [*BENIGN_LINES, ERROR_LINE])
    result = import_fake(folder)
    assert result.stdout.strip() == "imported", result.stderr
    assert result.stderr.splitlines() == [ERROR_LINE]  # the no-driver cuInit line is dropped


def test_cuinit_failure_is_shown_when_a_driver_was_found(tmp_path):
    folder = fake_tensorflow(tmp_path, BENIGN_LINES[:2])  # no "Could not find cuda drivers"
    assert import_fake(folder).stderr.splitlines() == [CU_INIT]


def test_a_fatal_message_reaches_the_user_before_the_process_dies(tmp_path):
    fatal = "F0000 00:00:1.2 1 loader.cc:7] Check failed: the library could not be loaded"
    folder = fake_tensorflow(tmp_path, [*BENIGN_LINES, fatal], abort=True)
    result = import_fake(folder)
    assert result.returncode != 0 and "imported" not in result.stdout
    assert fatal in result.stderr.splitlines(), result.stderr
    assert not any(line in result.stderr for line in BENIGN_LINES)


def test_a_users_tf_cpp_min_log_level_turns_the_filter_off(tmp_path):
    folder = fake_tensorflow(tmp_path, BENIGN_LINES)
    result = import_fake(folder, TF_CPP_MIN_LOG_LEVEL="0")
    assert result.stderr.splitlines() == BENIGN_LINES  # and no device probe of ours either


@pytest.mark.slow
def test_tensorflow_loads_quietly_when_a_model_is_built():
    result = run_python("import vaelab; vaelab.build_vae(); import tensorflow; print('built')")
    assert result.stdout.strip() == "built" and result.stderr == "", result.stderr


@pytest.mark.slow
def test_a_notebook_that_imports_vaelab_first_shows_nothing_in_red(monkeypatch):
    """The notebooks' first cell imports vaelab before Keras: no red start-up lines, even at
    TensorFlow's first operation, and a later TensorFlow warning would still show."""
    import nbformat
    from nbclient import NotebookClient

    for name in USER_CHOICES:
        monkeypatch.delenv(name, raising=False)
    cell = nbformat.v4.new_code_cell(
        "import vaelab\nimport keras\nprint(keras.ops.sum(keras.ops.ones(3)))"
    )
    notebook = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(notebook, kernel_name="python3", timeout=300).execute()
    assert [o.get("name") for o in cell.outputs] == ["stdout"], cell.outputs


def test_enable_writes_the_config_entry_jupyter_server_reads(tmp_path):
    """``python -m vaelab.server enable`` is what Binder's postBuild runs; ``jupyter server
    extension enable`` refuses an extension with no config entry, so this writes one, and
    jupyter_server's own config manager must read it back (``.ci/binder-check`` runs the real
    ``jupyter server extension list``)."""
    from jupyter_server.extension.config import ExtensionConfigManager

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "vaelab.server", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean_env(),
        )

    def enabled():
        # as ``jupyter server extension list --sys-prefix`` reads the environment's config
        manager = ExtensionConfigManager(read_config_path=[str(tmp_path / "etc" / "jupyter")])
        return manager.get_jpserver_extensions().get("vaelab.server")

    assert enabled() is None
    done = run("enable", "--prefix", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert enabled() is True
    assert run("disable", "--prefix", str(tmp_path)).returncode == 0
    assert enabled() is False
    assert [p.name for p in (tmp_path / "etc/jupyter/jupyter_server_config.d").iterdir()] == [
        "vaelab.server.json"  # the file jupyter's own enable/disable edits; nothing half written
    ]

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    failed = run("enable", "--prefix", str(blocked))
    assert failed.returncode == 1
    assert "could not write the config entry" in failed.stderr and str(blocked) in failed.stderr
    assert "Traceback" not in failed.stderr
