"""Import Keras (and TensorFlow) without TensorFlow's start-up lines on the terminal.

TensorFlow's C++ side writes lines such as "Could not find cuda drivers" straight to file
descriptor 2 while it is imported, which a notebook shows as red text; ``TF_CPP_MIN_LOG_LEVEL``
does not reach all of them. Descriptor 2 points at /dev/null for the import only; Python
exceptions still propagate and nothing after the import is hidden.
"""

import os
import sys


def import_keras():
    """Keras, imported quietly on first use (set ``VAELAB_VERBOSE_IMPORT=1`` to see the lines)."""
    if "keras" in sys.modules or os.environ.get("VAELAB_VERBOSE_IMPORT"):
        import keras

        return keras
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2 (some embedded interpreters)
        import keras

        return keras
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401  (its C++ start-up lines go to /dev/null too)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras
