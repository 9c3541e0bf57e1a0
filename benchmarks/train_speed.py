"""Issue 3's benchmark: time to the chapter's quality, chapter recipe vs vaelab's defaults.

Both runs use the chapter's architecture (550,629 parameters) on the bundled
8,000 / 2,000 real-MNIST split, in one process, one after the other:

* ``chapter``: an exact Keras 3 re-creation of the chapter's recipe: its σ
  (exp(z_log_var)), its loss (per-pixel mean BCE + 5e-4 × mean KL), rmsprop at
  its default rate, batch 16, 10 epochs.
* ``vaelab``: ``vaelab.training.train`` with its defaults.

After every epoch both are scored the same way, off the clock: held-out
negative ELBO (mean over the 2,000 test digits of summed BCE + exact KL, one z
sample, the model's own σ; ``vaelab.metrics.neg_elbo``). The script prints
both curves, the time each needs to reach the chapter's final score, and the
ratio. Usage::

    python benchmarks/train_speed.py [--chapter-epochs 10] [--seeds 0] [--out results.json]
    python benchmarks/train_speed.py --candidate 'batch_size=32,learning_rate=2e-3,num_epochs=5'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("VAELAB_OFFLINE", "1")

import keras  # noqa: E402

import vaelab  # noqa: E402,F401
from vaelab.data import load_mnist  # noqa: E402
from vaelab.io import write_text_atomic  # noqa: E402
from vaelab.metrics import neg_elbo  # noqa: E402
from vaelab.models import build_vae  # noqa: E402
from vaelab.training import train  # noqa: E402


class Curve(keras.callbacks.Callback):
    """Wall seconds of training (evaluation excluded) and held-out neg-ELBO per epoch."""

    def __init__(self, x_test):
        super().__init__()
        self.x_test = x_test
        self.points = []
        self.training_seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.perf_counter() - self.started
        score = neg_elbo(self.model, self.x_test)
        self.points.append((round(self.training_seconds, 2), round(score, 2)))
        print(
            f"    epoch {epoch + 1}: {self.training_seconds:7.1f} s  {score:7.2f} nats", flush=True
        )


def run(name, x_train, x_test, seed, build_kwargs, train_kwargs):
    print(f"{name} (seed {seed}): {train_kwargs}", flush=True)
    keras.utils.set_random_seed(seed)
    vae = build_vae(seed=seed, **build_kwargs)
    curve = Curve(x_test)
    train(vae, x_train, seed=seed, callbacks=[curve], verbose=0, **train_kwargs)
    return curve.points


def time_to_reach(points, target):
    for seconds, score in points:
        if score <= target:
            return seconds
    return None


def parse_candidate(text):
    settings = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=")
        settings[key.strip()] = value.strip() if key.strip() == "schedule" else float(value)
    for key in ("batch_size", "num_epochs"):
        if key in settings:
            settings[key] = int(settings[key])
    return settings


def main(argv=None):
    parser = argparse.ArgumentParser(description="chapter recipe vs vaelab defaults")
    parser.add_argument("--chapter-epochs", type=int, default=10)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument(
        "--candidate",
        action="append",
        default=[],
        help="extra train() settings to compare, e.g. 'batch_size=32,learning_rate=2e-3'",
    )
    parser.add_argument(
        "--skip-chapter",
        type=float,
        default=None,
        help="reuse a chapter time (s) and target instead of re-running it: 'SECONDS'",
    )
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument(
        "--candidates-only", action="store_true", help="do not run train()'s defaults"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    (x_train, _), (x_test, _) = load_mnist(source="bundled")
    results = {
        "machine": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
        },
        "runs": [],
    }
    try:
        import tensorflow as tf

        results["machine"]["tensorflow"] = tf.__version__
    except ImportError:
        pass
    seeds = [int(s) for s in args.seeds.split(",")]
    configs = [] if args.candidates_only else [("vaelab defaults", {}, {})]
    configs += [(f"candidate {c}", {}, parse_candidate(c)) for c in args.candidate]
    for seed in seeds:
        if args.skip_chapter is None:
            chapter = run(
                "chapter recipe",
                x_train,
                x_test,
                seed,
                {"chapter_replica": True},
                {
                    "num_epochs": args.chapter_epochs,
                    "batch_size": 16,
                    "learning_rate": 1e-3,
                    "schedule": "constant",
                },
            )
            chapter_seconds, target = chapter[-1]
        else:
            chapter = None
            chapter_seconds, target = args.skip_chapter, args.target
        if args.target is not None:
            target = args.target
        results["runs"].append({"name": "chapter recipe", "seed": seed, "curve": chapter})
        for name, build_kwargs, train_kwargs in configs:
            points = run(name, x_train, x_test, seed, build_kwargs, train_kwargs)
            reach = time_to_reach(points, target)
            reach_150 = time_to_reach(points, 150.0)
            entry = {
                "name": name,
                "seed": seed,
                "settings": train_kwargs,
                "curve": points,
                "chapter_seconds": chapter_seconds,
                "chapter_score": target,
                "seconds_to_chapter_score": reach,
                "speedup": round(chapter_seconds / reach, 2) if reach else None,
                "best_within_chapter_time": min(
                    (s for t, s in points if t <= chapter_seconds), default=None
                ),
                "seconds_to_150": reach_150,
            }
            results["runs"].append(entry)
            print(
                f"  -> reaches {target:.1f} nats after {reach} s "
                f"(chapter: {chapter_seconds:.1f} s); speed-up {entry['speedup']}; "
                f"best within chapter time {entry['best_within_chapter_time']}",
                flush=True,
            )
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
