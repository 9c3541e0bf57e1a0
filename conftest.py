"""Settings for every test run, notebooks included (the notebook kernels inherit them).

The test suite never touches the network: ``VAELAB_OFFLINE=1`` is forced. It runs the notebooks
in their visible quick mode (``VAELAB_QUICK=1``: less data, fewer epochs, the same code) unless
you set ``VAELAB_QUICK`` yourself. ``TF_CPP_MIN_LOG_LEVEL`` is left to the user, as in a
learner's kernel (vaelab quiets TensorFlow's start-up lines only when it is unset).
"""

import os

os.environ["VAELAB_OFFLINE"] = "1"
os.environ.setdefault("VAELAB_QUICK", "1")


def pytest_collection_modifyitems(config, items):
    """Every notebook run through nbval is slow (a kernel, Keras, training in quick mode)."""
    import pytest

    for item in items:
        if type(item).__module__.startswith("nbval"):
            item.add_marker(pytest.mark.slow)
