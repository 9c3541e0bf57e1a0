"""Files written whole or not at all: models, metrics, exports, benchmark results.

No notebook uses it: the command line (``vaelab train`` saves its model, history and metrics,
``vaelab manifold`` its figure), the explorer app's exports (:mod:`vaelab.app`), the server
extension's config entry (:mod:`vaelab.server`), ``tools/`` and ``benchmarks/`` do.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target):
    """Yield a temporary path beside ``target``; move it over ``target`` when the block succeeds.

    The temporary name keeps ``target``'s suffixes (Keras insists on ``.keras`` and
    ``.weights.h5``) and is removed if the block fails or is interrupted, so ``target`` is the
    old file, the new file, or absent: never half written.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=suffix)
    os.close(fd)
    os.unlink(tmp)  # let the writer create it: some Keras versions refuse to overwrite
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(target, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
