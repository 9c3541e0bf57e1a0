"""The explorer app (``notebooks/explorer_app.ipynb``, served by Voilà), without TensorFlow.

The app's digit is decoded in the page (:class:`vaelab.widgets.LatentExplorer`): the kernel only
sends the pretrained decoder's layers and weights, read from ``mnist.page.npz`` (written by
``tools/export_page_decoder.py``), and the held-out codes. The rest of this module is the
kernel-side decoder the app used before, kept for decoders the page cannot run.

The app only decodes two numbers into 784 pixels, and TensorFlow is nine tenths of a kernel's
memory and start-up. So the pretrained model's decoder ships as a LiteRT file (``ai-edge-litert``,
Google's on-device runtime), converted once by ``tools/export_litert.py``, and the held-out codes
the scatter shows ship beside it: the app's kernel imports neither TensorFlow nor Keras. Where
``ai-edge-litert`` is not installed (it has no wheel for every platform), :func:`app_model`
falls back to the Keras model with a one-line notice. Each file is checked against the SHA-256
in the pretrained metadata before use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from vaelab._checks import as_latent
from vaelab._quiet import filtered_stderr
from vaelab.pretrained import litert_paths, metadata

#: One interpreter thread: a class shares the machine's cores, one viewer each.
NUM_THREADS = 1


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
            f"{path} is missing: reinstall vaelab, or run tools/export_litert.py to make it."
        )
    if sha256(path) != expected:
        raise ValueError(
            f"{path.name} does not match its checksum in the pretrained metadata (a damaged or "
            "stale file): reinstall vaelab, or run tools/export_litert.py again."
        )
    return path


class LiteRTDecoder:
    """A decoder for the widgets: NumPy z of shape (N, latent_dim) → images (N, 28, 28, 1).

    It runs a LiteRT file with ``ai_edge_litert``'s interpreter; ``latent_dim`` makes it a
    decoder to :func:`vaelab.latent.decode` and the widgets, like a Keras decoder.
    """

    def __init__(self, path, num_threads: int = NUM_THREADS):
        from ai_edge_litert.interpreter import Interpreter

        # LiteRT's C++ side prints "Created TensorFlow Lite XNNPACK delegate" to descriptor 2,
        # which a notebook shows in red: filtered out while the interpreter is set up.
        with filtered_stderr():
            self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self.latent_dim = int(self._input["shape"][-1])
        self._batch = None

    def __call__(self, z) -> np.ndarray:
        z = as_latent(z, self.latent_dim)
        if len(z) != self._batch:  # the interpreter's tensors are sized per batch
            self.interpreter.resize_tensor_input(self._input["index"], [len(z), self.latent_dim])
            with filtered_stderr():
                self.interpreter.allocate_tensors()
            self._batch = len(z)
        self.interpreter.set_tensor(self._input["index"], z)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output["index"]).copy()


@dataclass
class AppModel:
    """What the app draws: a ``decoder``, the held-out ``codes`` and their ``labels``."""

    decoder: object
    codes: np.ndarray
    labels: np.ndarray
    engine: str  # "litert" or "keras"


def app_model(name: str = "mnist", engine: str = "auto") -> AppModel:
    """The pretrained model ``name`` for the app: LiteRT if it installs, else Keras.

    ``engine="auto"`` prefers LiteRT and falls back to Keras with a one-line notice when
    ``ai-edge-litert`` cannot be imported; ``"litert"`` or ``"keras"`` insist on one.
    """
    if engine not in ("auto", "litert", "keras"):
        raise ValueError(f"engine must be 'auto', 'litert' or 'keras', got {engine!r}.")
    info = metadata(name).get("litert")
    if info is None:
        raise FileNotFoundError(
            f"The pretrained model {name!r} has no LiteRT export: run tools/export_litert.py."
        )
    decoder_path, codes_path = litert_paths(name)
    table = np.load(_verified(codes_path, info["codes_sha256"]))
    codes, labels = table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)
    if engine != "keras":
        try:
            decoder = LiteRTDecoder(_verified(decoder_path, info["decoder_sha256"]))
            return AppModel(decoder, codes, labels, "litert")
        except ImportError:
            if engine == "litert":
                raise
            print(
                "vaelab: ai-edge-litert is not installed (no wheel for this platform?), so the "
                "app decodes with Keras: it starts slower and needs about 1 GB."
            )
    from vaelab.models import load_vae

    return AppModel(load_vae(name).decoder, codes, labels, "keras")


def page_decoder_path(name: str = "mnist"):
    """Where the pretrained model's decoder is stored for the page (layers and weights)."""
    return litert_paths(name)[0].with_name(f"{name}.page.npz")


def export_page_decoder(name: str = "mnist", path=None):
    """Write the pretrained decoder as the page runs it (:func:`vaelab.widgets.page_decoder`)."""
    import io
    import json

    from vaelab.io import atomic_path
    from vaelab.models import load_vae
    from vaelab.widgets import page_decoder

    page = page_decoder(load_vae(name).decoder)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        spec=np.array(json.dumps(page.spec)),
        weights=np.frombuffer(page.weights, dtype="<f4"),
    )
    path = page_decoder_path(name) if path is None else path
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return path


def load_page_decoder(name: str = "mnist"):
    """The pretrained decoder for the page, read without Keras (a :class:`PageDecoder`)."""
    import json

    from vaelab.widgets import PageDecoder

    path = page_decoder_path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: reinstall vaelab, or run tools/export_page_decoder.py."
        )
    with np.load(path) as table:
        spec = json.loads(str(table["spec"]))
        return PageDecoder(spec, table["weights"].astype("<f4").tobytes())


def explorer_app(name: str = "mnist"):
    """The app's one widget: :class:`~vaelab.widgets.LatentExplorer` on the shipped codes.

    The page decodes, so the app's kernel loads neither Keras nor LiteRT: it reads the
    decoder's weights and the codes, and learns where the sliders ended after each drag.
    """
    from vaelab.widgets import LatentExplorer

    info = metadata(name).get("litert")
    if info is None:
        raise FileNotFoundError(
            f"The pretrained model {name!r} has no codes: run tools/export_litert.py."
        )
    table = np.load(_verified(litert_paths(name)[1], info["codes_sha256"]))
    codes, labels = table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)
    return LatentExplorer(load_page_decoder(name), codes=codes, y=labels)
