"""Train the pretrained model shipped as ``vaelab/data/pretrained/mnist.*``.

It uses ``vaelab.training.train`` with its defaults on the bundled real-MNIST
subset (8,000 train digits; the 2,000 test digits are held out) and writes the
weights plus a JSON file with the settings and the held-out scores.

    python tools/train_pretrained.py [--epochs N] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("VAELAB_OFFLINE", "1")

from vaelab.data import load_mnist  # noqa: E402
from vaelab.defaults import DEFAULT_NUM_EPOCHS  # noqa: E402
from vaelab.io import atomic_path, write_text_atomic  # noqa: E402
from vaelab.metrics import elbo_terms, log_likelihood  # noqa: E402
from vaelab.models import build_vae  # noqa: E402
from vaelab.training import train  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "vaelab" / "data" / "pretrained"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=DEFAULT_NUM_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--name", default="mnist")
    args = parser.parse_args(argv)

    (x_train, _), (x_test, _) = load_mnist(source="bundled")
    vae = build_vae(latent_dim=args.latent_dim, beta=args.beta, seed=args.seed)
    start = time.perf_counter()
    history = train(
        vae, x_train, validation_data=x_test, num_epochs=args.epochs, seed=args.seed, verbose=2
    )
    seconds = time.perf_counter() - start
    terms = elbo_terms(vae, x_test)
    info = {
        "name": args.name,
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "seed": args.seed,
        "num_epochs": args.epochs,
        "train_seconds": round(seconds, 1),
        "data": "bundled real-MNIST subset: 8,000 train, 2,000 held-out test",
        "held_out_neg_elbo": round(terms["neg_elbo"], 2),
        "held_out_reconstruction_loss": round(terms["reconstruction_loss"], 2),
        "held_out_kl_loss": round(terms["kl_loss"], 2),
        "held_out_log_likelihood_first_200": round(log_likelihood(vae, x_test[:200]), 2),
        "final_train_loss": round(float(history.history["loss"][-1]), 2),
    }
    # Ship the model's weights only: an uncompiled copy has no optimizer state to save.
    bare = build_vae(latent_dim=args.latent_dim, beta=args.beta, compile=False)
    bare.set_weights(vae.get_weights())
    with atomic_path(OUT / f"{args.name}.weights.h5") as tmp:
        bare.save_weights(tmp)
    write_text_atomic(OUT / f"{args.name}.json", json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
