"""Export the pretrained model for the explorer app: its decoder as LiteRT, its held-out codes.

    python tools/export_litert.py [--name mnist]

Writes ``vaelab/data/pretrained/NAME.decoder.tflite`` (TensorFlow's own converter,
``tf.lite.TFLiteConverter.from_keras_model``), ``NAME.codes.npy`` (z_mean of the bundled
held-out test digits and their labels, one row each: z₁, z₂, label) and, in ``NAME.json``,
their SHA-256 and the largest difference between the LiteRT and the Keras decoder. The app
(:mod:`vaelab.app`) refuses files whose checksum does not match. The conversion is
deterministic: the same weights and TensorFlow give the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("VAELAB_OFFLINE", "1")

import numpy as np  # noqa: E402

from vaelab.app import LiteRTDecoder, sha256  # noqa: E402
from vaelab.data import load_mnist  # noqa: E402
from vaelab.io import atomic_path, write_text_atomic  # noqa: E402
from vaelab.latent import decode, encode  # noqa: E402
from vaelab.models import load_vae  # noqa: E402
from vaelab.pretrained import litert_paths  # noqa: E402


def export(name: str = "mnist", folder: Path | None = None) -> dict:
    """Write the two files (into ``folder``, by default the package's); return their record."""
    import tensorflow as tf

    decoder_path, codes_path = litert_paths(name)
    if folder is not None:
        decoder_path, codes_path = folder / decoder_path.name, folder / codes_path.name
    vae = load_vae(name)
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every tensor it saw
        flatbuffer = tf.lite.TFLiteConverter.from_keras_model(vae.decoder).convert()
    with atomic_path(decoder_path) as tmp:
        Path(tmp).write_bytes(flatbuffer)
    (_, _), (x_test, y_test) = load_mnist(source="bundled", verbose=False)
    z_mean = encode(vae.encoder, x_test)[0]
    table = np.concatenate([z_mean, y_test[:, None]], axis=1).astype(np.float32)
    with atomic_path(codes_path) as tmp, open(tmp, "wb") as file:
        np.save(file, table)
    z = np.random.default_rng(0).standard_normal((225, vae.latent_dim)).astype(np.float32)
    difference = np.abs(LiteRTDecoder(decoder_path)(z) - decode(vae.decoder, z)).max()
    return {
        "decoder": decoder_path.name,
        "decoder_sha256": sha256(decoder_path),
        "codes": codes_path.name,
        "codes_sha256": sha256(codes_path),
        "codes_are": "z_mean of the 2,000 bundled held-out test digits, then their label",
        "max_difference_from_keras": float(f"{difference:.2g}"),
        "tensorflow": tf.__version__,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="mnist")
    args = parser.parse_args(argv)
    record = export(args.name)
    path = litert_paths(args.name)[0].with_name(f"{args.name}.json")
    info = {**json.loads(path.read_text()), "litert": record}
    write_text_atomic(path, json.dumps(info, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
