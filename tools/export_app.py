"""Export the pretrained model for the explorer app: its decoder for the page, its codes.

    python tools/export_app.py [--name mnist]

Writes ``vaelab/data/pretrained/NAME.page.npz`` (the decoder's layers and float32 weights as
the page's JavaScript runs them: :func:`vaelab.widgets.page_decoder`), ``NAME.codes.npy``
(z_mean of the bundled held-out test digits and their labels, one row each: z₁, z₂, label)
and, under ``"app"`` in ``NAME.json``, their SHA-256. The app (:mod:`vaelab.app`) refuses files
whose checksum does not match. The export is deterministic: the same weights give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("VAELAB_OFFLINE", "1")

import numpy as np  # noqa: E402

from vaelab.app import sha256, write_page_decoder  # noqa: E402
from vaelab.data import load_mnist  # noqa: E402
from vaelab.io import atomic_path, write_text_atomic  # noqa: E402
from vaelab.latent import encode  # noqa: E402
from vaelab.models import load_vae  # noqa: E402
from vaelab.pretrained import app_paths  # noqa: E402


def export(name: str = "mnist", folder: Path | None = None) -> dict:
    """Write the two files (into ``folder``, by default the package's); return their record."""
    decoder_path, codes_path = app_paths(name)
    if folder is not None:
        decoder_path, codes_path = folder / decoder_path.name, folder / codes_path.name
    vae = load_vae(name)
    write_page_decoder(vae.decoder, decoder_path)
    (_, _), (x_test, y_test) = load_mnist(source="bundled", verbose=False)
    z_mean = encode(vae.encoder, x_test)[0]
    table = np.concatenate([z_mean, y_test[:, None]], axis=1).astype(np.float32)
    with atomic_path(codes_path) as tmp, open(tmp, "wb") as file:
        np.save(file, table)
    return {
        "decoder": decoder_path.name,
        "decoder_sha256": sha256(decoder_path),
        "codes": codes_path.name,
        "codes_sha256": sha256(codes_path),
        "codes_are": "z_mean of the 2,000 bundled held-out test digits, then their label",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="mnist")
    args = parser.parse_args(argv)
    record = export(args.name)
    path = app_paths(args.name)[0].with_name(f"{args.name}.json")
    info = {key: value for key, value in json.loads(path.read_text()).items() if key != "litert"}
    write_text_atomic(path, json.dumps({**info, "app": record}, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
