"""The explorer app (``notebooks/explorer_app.ipynb``, served by Voilà), without Keras.

The app's digit is decoded in the page (:class:`vaelab.widgets.LatentExplorer`, the same widget
as in the notebooks): its kernel only sends the pretrained decoder's layers and weights and the
held-out codes the scatter shows. Both ship with the package (``NAME.page.npz`` and
``NAME.codes.npy``, written by ``tools/export_app.py``) and are checked against the SHA-256 in
the pretrained metadata before use, so the app's kernel imports neither TensorFlow nor Keras.
"""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np

from vaelab.pretrained import app_paths, metadata


def sha256(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path, expected: str):
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: reinstall vaelab, or run tools/export_app.py to make it."
        )
    if sha256(path) != expected:
        raise ValueError(
            f"{path.name} does not match its checksum in the pretrained metadata (a damaged or "
            "stale file): reinstall vaelab, or run tools/export_app.py again."
        )
    return path


def _record(name: str) -> dict:
    info = metadata(name).get("app")
    if info is None:
        raise FileNotFoundError(
            f"The pretrained model {name!r} has no app files: run tools/export_app.py."
        )
    return info


def write_page_decoder(decoder, path) -> None:
    """Write a Keras decoder as the page runs it (:func:`~vaelab.widgets.page_decoder`)."""
    from vaelab.io import atomic_path
    from vaelab.widgets import page_decoder

    page = page_decoder(decoder)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        spec=np.array(json.dumps(page.spec)),
        weights=np.frombuffer(page.weights, dtype="<f4"),
    )
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_page_decoder(name: str = "mnist"):
    """The pretrained decoder for the page, read without Keras (a :class:`PageDecoder`)."""
    from vaelab.widgets import PageDecoder

    path = _verified(app_paths(name)[0], _record(name)["decoder_sha256"])
    with np.load(path) as table:
        spec = json.loads(str(table["spec"]))
        return PageDecoder(spec, table["weights"].astype("<f4").tobytes())


def load_codes(name: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """The held-out codes the app's scatter shows (z_mean per test digit) and their labels."""
    table = np.load(_verified(app_paths(name)[1], _record(name)["codes_sha256"]))
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


def explorer_app(name: str = "mnist"):
    """The app's one widget: :class:`~vaelab.widgets.LatentExplorer` on the shipped codes.

    The page decodes, so the app's kernel loads neither Keras nor TensorFlow: it reads the
    decoder's weights and the codes, and learns where the sliders ended after each drag.
    """
    from vaelab.widgets import LatentExplorer

    codes, labels = load_codes(name)
    return LatentExplorer(load_page_decoder(name), codes=codes, y=labels)
