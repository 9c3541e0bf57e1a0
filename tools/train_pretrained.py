"""Train the pretrained model shipped as ``vaelab/data/pretrained/mnist.*``.

It uses ``vaelab.training.train`` with its defaults on the bundled real-MNIST
subset (8,000 train digits; the 2,000 test digits are held out) and writes the
weights plus a JSON file with the settings and the held-out scores.

    python tools/train_pretrained.py [--epochs N] [--seed 0]
    python tools/train_pretrained.py --rescore   # recompute the scores of the shipped weights

Every score is in BCE nats per image (see ``vaelab.metrics``): a Bernoulli decoder on grey-level
pixels, with the floor ``bce_floor`` of the test digits stored beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("VAELAB_OFFLINE", "1")

from vaelab.data import binarize, load_mnist  # noqa: E402
from vaelab.defaults import DEFAULT_NUM_EPOCHS  # noqa: E402
from vaelab.io import atomic_path, write_text_atomic  # noqa: E402
from vaelab.metrics import bce_floor, elbo_terms, log_likelihood  # noqa: E402
from vaelab.models import build_vae, load_vae  # noqa: E402
from vaelab.training import train  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "vaelab" / "data" / "pretrained"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=DEFAULT_NUM_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--name", default="mnist")
    parser.add_argument("--rescore", action="store_true", help="score the shipped weights again")
    args = parser.parse_args(argv)
    if args.rescore:
        return rescore(args.name)

    (x_train, _), (x_test, _) = load_mnist(source="bundled")
    vae = build_vae(latent_dim=args.latent_dim, beta=args.beta, seed=args.seed)
    start = time.perf_counter()
    history = train(
        vae, x_train, validation_data=x_test, num_epochs=args.epochs, seed=args.seed, verbose=2
    )
    seconds = time.perf_counter() - start
    info = {
        "name": args.name,
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "seed": args.seed,
        "num_epochs": args.epochs,
        "train_seconds": round(seconds, 1),
        "data": "bundled real-MNIST subset: 8,000 train, 2,000 held-out test",
        "final_train_loss": round(float(history.history["loss"][-1]), 2),
        **scores(vae, x_test),
    }
    # Ship the model's weights only: an uncompiled copy has no optimizer state to save.
    bare = build_vae(latent_dim=args.latent_dim, beta=args.beta, compile=False)
    bare.set_weights(vae.get_weights())
    with atomic_path(OUT / f"{args.name}.weights.h5") as tmp:
        bare.save_weights(tmp)
    write_text_atomic(OUT / f"{args.name}.json", json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))
    return 0


def scores(vae, x_test) -> dict:
    terms = elbo_terms(vae, x_test)
    return {
        "units": UNITS,
        "held_out_neg_elbo": round(terms["neg_elbo"], 2),
        "held_out_reconstruction_loss": round(terms["reconstruction_loss"], 2),
        "held_out_kl_loss": round(terms["kl_loss"], 2),
        "held_out_bce_floor": round(bce_floor(x_test), 2),
        "held_out_log_likelihood_first_200": round(log_likelihood(vae, x_test[:200]), 2),
        "held_out_binarized_neg_elbo": round(elbo_terms(vae, binarize(x_test))["neg_elbo"], 2),
    }


def rescore(name: str) -> int:
    """Recompute the held-out scores of the shipped weights; the training record stays."""
    (_, _), (x_test, _) = load_mnist(source="bundled")
    path = OUT / f"{name}.json"
    info = {**json.loads(path.read_text()), **scores(load_vae(name), x_test)}
    write_text_atomic(path, json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))
    return 0


#: What the figures are, stored with them.
UNITS = (
    "BCE nats per image: the negative ELBO (and log p(x)) of a Bernoulli decoder on grey-level "
    "pixels; not a log-probability of the image, and containing the held-out BCE floor; "
    "binarized: the same on the test digits thresholded at 0.5 (vaelab.data.binarize)"
)


if __name__ == "__main__":
    sys.exit(main())
