"""Settings for every test run, notebooks included (the notebook kernels inherit them).

The test suite never touches the network (VAELAB_OFFLINE=1) and runs the notebooks in their
visible quick mode (VAELAB_QUICK=1: less data, fewer epochs, the same code). Set either variable
yourself to override.
"""

import os

os.environ.setdefault("VAELAB_OFFLINE", "1")
os.environ.setdefault("VAELAB_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
