"""Keep TensorFlow's known start-up lines out of notebooks, and nothing else.

While ``tensorflow`` is first imported and its devices are first listed, its C++ side writes
lines such as "All log messages before absl::InitializeLog() is called ...", "oneDNN custom
operations are on", "Could not find cuda drivers on your machine" and, with no driver, "failed
call to cuInit" straight to file descriptor 2. ``TF_CPP_MIN_LOG_LEVEL`` does not reach most of
them, and a notebook shows them as red text.

``import vaelab`` adds an import hook to *this* process (nothing is written to the environment,
no variable is set). When ``tensorflow`` is imported for the first time, by anyone and in any
order, descriptor 2 is passed through a filter for that import and for
``tf.config.list_physical_devices()`` (which does the CUDA probe that TensorFlow would otherwise
print at its first operation). The filter is a small child process: it drops the lines listed
in :data:`BENIGN` and forwards every other line at once, so TensorFlow's warnings and errors
still reach the user, even a fatal message just before the process dies. A failed ``cuInit`` is
dropped only after TensorFlow said it found no CUDA driver (on a machine with a driver it is an
error worth seeing).

The hook does nothing if the user set ``TF_CPP_MIN_LOG_LEVEL`` (any value: the user has chosen
what TensorFlow prints; ``TF_CPP_MIN_LOG_LEVEL=0`` shows every line), or if ``tensorflow`` is
already imported.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import subprocess
import sys

#: Substrings of the start-up lines the filter drops (each seen with TensorFlow 2.16-2.21 on
#: machines without a GPU; the CPU-instructions notice spans two lines).
BENIGN = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "TF-TRT Warning: Could not find TensorRT",
    "Created TensorFlow Lite XNNPACK delegate",
)
#: Dropped only after a line that says no CUDA driver is installed.
NO_DRIVER = "Could not find cuda drivers on your machine"
CU_INIT = "failed call to cuInit"

# The filter, run with ``python -S -u -c``: reads lines from its stdin (the write end is this
# process' descriptor 2 while the filter is on), writes the others to its stdout (the original
# descriptor 2). It ends when every writer has closed the pipe, also when this process dies.
_FILTER = r"""
import sys
benign, no_driver, cu_init = sys.argv[1].split("\n"), sys.argv[2], sys.argv[3]
seen_no_driver = False
for line in sys.stdin.buffer:
    text = line.decode("utf-8", "replace")
    seen_no_driver = seen_no_driver or no_driver in text
    if any(part in text for part in benign) or (seen_no_driver and cu_init in text):
        continue
    sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
"""


@contextlib.contextmanager
def filtered_stderr(benign=BENIGN):
    """Pass descriptor 2 through the filter while the block runs; lines not in ``benign`` go on.

    Python's own ``sys.stderr`` writes go through the filter too (flushed at both ends), so a
    traceback printed meanwhile still shows. Without a usable descriptor 2 it does nothing.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2 (some embedded interpreters)
        yield
        return
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-S", "-u", "-c", _FILTER, "\n".join(benign), NO_DRIVER, CU_INIT],
            stdin=read_end,
            stdout=saved,
            stderr=saved,
            close_fds=True,
        )
    except OSError:  # no interpreter to start: leave descriptor 2 as it is
        for descriptor in (read_end, write_end, saved):
            os.close(descriptor)
        yield
        return
    os.close(read_end)
    try:
        _flush_stderr()
        os.dup2(write_end, 2)
        os.close(write_end)
        yield
    finally:
        _flush_stderr()
        os.dup2(saved, 2)  # the pipe's last writer closes: the filter drains it and ends
        os.close(saved)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _flush_stderr():
    with contextlib.suppress(Exception):
        sys.stderr.flush()


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the first import of ``tensorflow`` in the filter."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders locate the package
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            execute = spec.loader.exec_module

            def exec_module(module):
                with filtered_stderr():
                    execute(module)
                    config = getattr(module, "config", None)
                    if hasattr(config, "list_physical_devices"):
                        config.list_physical_devices()  # the CUDA probe, inside the filter

            spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Filter the first ``import tensorflow`` of this process (see the module docstring)."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietTensorFlow) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlow())
