"""Pretrained models shipped inside the package, so notebooks can skip training.

Introduced in notebook 04. ``tools/train_pretrained.py`` makes them; each
comes with a JSON file of how it was trained and its held-out negative ELBO.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

AVAILABLE = ("mnist",)


def _directory() -> Path:
    return Path(str(resources.files("vaelab") / "data" / "pretrained"))


def metadata(name: str = "mnist") -> dict:
    """How the pretrained model ``name`` was trained, and its held-out metrics."""
    if name not in AVAILABLE:
        raise ValueError(f"No pretrained model named {name!r}; choose one of {', '.join(AVAILABLE)}.")
    path = _directory() / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall vaelab or run tools/train_pretrained.py.")
    return json.loads(path.read_text())


def load_vae(name: str = "mnist"):
    """The pretrained VAE ``name`` (built with ``build_vae`` and its weights loaded)."""
    from vaelab.models import build_vae, compile_vae

    info = metadata(name)
    vae = build_vae(latent_dim=info["latent_dim"], beta=info["beta"], compile=False)
    vae.load_weights(_directory() / f"{name}.weights.h5")
    return compile_vae(vae)
