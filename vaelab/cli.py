"""The ``vaelab`` command: train, evaluate, draw the manifold.

    vaelab train [--dataset mnist|fashion_mnist|FILE.npz] [--latent-dim 2] [--beta 1.0]
                 [--epochs N] [--batch-size B] [--seed S] [--out DIR] [--quiet]
    vaelab evaluate MODEL [--dataset ...]
    vaelab manifold MODEL --out grid.png [--n 15]

Bad arguments print one line and exit with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"vaelab: error: {message} (see '{self.prog} --help')\n")


def _checked(kind, check):
    """An argparse type: ``kind(text)``, then vaelab's own check (one message for both)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        try:
            return check(value, "the value")
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _parser() -> argparse.ArgumentParser:
    from vaelab._checks import non_negative_float, positive_int
    from vaelab.defaults import DEFAULT_BATCH_SIZE, DEFAULT_NUM_EPOCHS

    positive = _checked(int, positive_int)

    parser = _Parser(
        prog="vaelab", description="Train and explore the VAE of Deep Learning with Python 8.4."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    dataset_help = "mnist (default), fashion_mnist, or a path to an .npz file with x (and y)"

    train = commands.add_parser("train", help="train a VAE and save it with its metrics")
    train.add_argument("--dataset", default="mnist", help=dataset_help)
    train.add_argument("--latent-dim", type=positive, default=2)
    train.add_argument("--beta", type=_checked(float, non_negative_float), default=1.0)
    train.add_argument("--epochs", type=positive, default=DEFAULT_NUM_EPOCHS)
    train.add_argument("--batch-size", type=positive, default=DEFAULT_BATCH_SIZE)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, default=Path("runs/vae"))
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    evaluate = commands.add_parser("evaluate", help="held-out negative ELBO of a saved model")
    evaluate.add_argument("model", help="a saved .keras file or a pretrained name (mnist)")
    evaluate.add_argument("--dataset", default="mnist", help=dataset_help)

    manifold = commands.add_parser("manifold", help="draw the 15x15 latent manifold to a PNG")
    manifold.add_argument("model", help="a saved .keras file or a pretrained name (mnist)")
    manifold.add_argument("--out", type=Path, required=True)
    manifold.add_argument("--n", type=positive, default=15)
    return parser


def _load_dataset(name: str):
    from vaelab import data

    if name == "mnist":
        return data.load_mnist()
    if name in ("fashion_mnist", "fashion-mnist"):
        return data.load_fashion_mnist()
    if name.endswith(".npz"):
        return data.load_npz(name)
    raise ValueError(
        f"unknown dataset {name!r}: use mnist, fashion_mnist, or a path ending in .npz"
    )


def _train(args) -> int:
    from vaelab.io import atomic_path, write_text_atomic
    from vaelab.metrics import bce_floor, elbo_terms
    from vaelab.models import build_vae
    from vaelab.training import train

    (x_train, _), (x_test, _) = _load_dataset(args.dataset)
    vae = build_vae(latent_dim=args.latent_dim, beta=args.beta, seed=args.seed)
    print(
        f"vaelab: training latent_dim={args.latent_dim}, beta={args.beta} "
        f"for {args.epochs} epoch(s) "
        f"on {len(x_train):,} images (batch {args.batch_size}).",
        flush=True,
    )
    start = time.perf_counter()
    history = train(
        vae,
        x_train,
        validation_data=x_test,
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        verbose=0 if args.quiet else "auto",
    )
    seconds = time.perf_counter() - start
    epochs_done = len(history.epoch)
    if epochs_done == 0:
        print("vaelab: no epoch finished, so nothing was saved.")
        return 130
    metrics = {
        **elbo_terms(vae, x_test),
        "units": "BCE nats per image (Bernoulli decoder on grey-level pixels)",
        "bce_floor": bce_floor(x_test),
        "dataset": args.dataset,
        "num_test": len(x_test),
        "epochs_completed": epochs_done,
        "interrupted": bool(getattr(history, "interrupted", False)),
        "train_seconds": round(seconds, 1),
        "latent_dim": args.latent_dim,
        "beta": args.beta,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "vae.keras") as tmp:
        vae.save(tmp)
    write_text_atomic(
        args.out / "history.json",
        json.dumps(
            {key: [float(v) for v in values] for key, values in history.history.items()}, indent=1
        ),
    )
    write_text_atomic(args.out / "metrics.json", json.dumps(metrics, indent=1))
    print(
        f"vaelab: {epochs_done} epoch(s) in {seconds:.1f} s; held-out negative ELBO "
        f"{metrics['neg_elbo']:.1f} BCE nats (reconstruction "
        f"{metrics['reconstruction_loss']:.1f} + KL {metrics['kl_loss']:.1f}; "
        f"floor {metrics['bce_floor']:.1f}); saved {args.out / 'vae.keras'}"
    )
    return 0


def _evaluate(args) -> int:
    from vaelab.metrics import bce_floor, elbo_terms
    from vaelab.models import load_vae

    vae = load_vae(args.model)
    (_, _), (x_test, _) = _load_dataset(args.dataset)
    terms = elbo_terms(vae, x_test)
    print(
        f"negative ELBO {terms['neg_elbo']:.2f} BCE nats/image on {len(x_test):,} held-out images "
        f"(reconstruction {terms['reconstruction_loss']:.2f} + KL {terms['kl_loss']:.2f}; "
        f"no model goes below the floor of {bce_floor(x_test):.2f} on grey-level pixels)"
    )
    return 0


def _manifold(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vaelab.io import atomic_path
    from vaelab.models import load_vae
    from vaelab.plotting import plot_latent_manifold

    if args.out.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ValueError(f"--out must end in .png, .pdf or .svg, got '{args.out}'")
    vae = load_vae(args.model)
    if vae.latent_dim < 2:
        raise ValueError("the manifold needs a model with latent_dim >= 2")
    ax = plot_latent_manifold(vae.decoder, n=args.n)
    with atomic_path(args.out) as tmp:
        ax.figure.savefig(tmp, dpi=100)
    plt.close(ax.figure)
    print(f"vaelab: wrote {args.out} ({args.n}x{args.n} digits)")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)

    try:
        return {"train": _train, "evaluate": _evaluate, "manifold": _manifold}[args.command](args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as error:
        print(f"vaelab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vaelab: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
