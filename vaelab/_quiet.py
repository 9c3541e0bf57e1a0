"""Keep TensorFlow's C++ start-up lines off the terminal and out of notebooks.

While ``tensorflow`` is first imported, its C++ side writes lines such as "All log messages
before absl::InitializeLog()" and "Could not find cuda drivers" straight to file descriptor 2;
``TF_CPP_MIN_LOG_LEVEL`` does not reach them, and a notebook shows them as red text.
:func:`install` adds an import hook: whenever ``tensorflow`` is imported for the first time,
by anyone and in any order, descriptor 2 points at /dev/null for that import only. Python
exceptions still propagate and nothing after the import is hidden. ``import vaelab`` installs
it, and so does every Jupyter kernel of an environment vaelab is installed in
(``etc/ipython/ipython_kernel_config.json`` loads vaelab as an IPython extension), so that
``import keras`` in the first cell of a notebook prints nothing in red.
Set ``VAELAB_VERBOSE_IMPORT=1`` to see the lines.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import sys


@contextlib.contextmanager
def _stderr_to_devnull():
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the first import of ``tensorflow`` in the redirect."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders locate the package
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            execute = spec.loader.exec_module

            def exec_module(module):
                with _stderr_to_devnull():
                    execute(module)

            spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Silence the first ``import tensorflow`` of this process (if it has not happened yet)."""
    if os.environ.get("VAELAB_VERBOSE_IMPORT") or "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietTensorFlow) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlow())
