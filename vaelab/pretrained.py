"""Pretrained models shipped inside the package, so notebooks can skip training.

Introduced in notebook 04; load one with ``vaelab.load_vae("mnist")``.
``tools/train_pretrained.py`` makes them; each comes with a JSON file of how it was trained
and its held-out figures.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

AVAILABLE = ("mnist",)


def _directory() -> Path:
    return Path(str(resources.files("vaelab") / "data" / "pretrained"))


def _checked(name: str) -> str:
    if name not in AVAILABLE:
        raise ValueError(
            f"No pretrained model named {name!r}; choose one of {', '.join(AVAILABLE)}."
        )
    return name


def metadata(name: str = "mnist") -> dict:
    """How the pretrained model ``name`` was trained, and its held-out metrics."""
    path = _directory() / f"{_checked(name)}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: reinstall vaelab or run tools/train_pretrained.py."
        )
    return json.loads(path.read_text())


def weights_path(name: str = "mnist") -> Path:
    """Where the weights of the pretrained model ``name`` are."""
    return _directory() / f"{_checked(name)}.weights.h5"


def app_paths(name: str = "mnist") -> tuple[Path, Path]:
    """The explorer app's files of model ``name``: its decoder as the page runs it, and the
    held-out codes (z₁, z₂, label per row).

    Made by ``tools/export_app.py``; the explorer app (:mod:`vaelab.app`) reads them.
    """
    base = _directory() / _checked(name)
    return base.with_name(f"{name}.page.npz"), base.with_name(f"{name}.codes.npy")
