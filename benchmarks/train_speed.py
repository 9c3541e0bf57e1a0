"""Training speed: the chapter's own program against ``train()``, and ``train()`` against ``fit``.

    python benchmarks/train_speed.py [--repeats 3] [--settings JSON ...] [--out results.json]
    python benchmarks/train_speed.py --overhead [--repeats 3]

**Time to the chapter's quality.** Each repeat runs, alternating, in fresh processes on the
bundled 8,000 / 2,000 real-MNIST split:

* the chapter's program as written (``../shared/bench/seed_baseline.py``: Keras 2 API through
  ``tf_keras``, TF1 graph mode, 10 epochs, batch 16): its training time and its held-out
  negative ELBO, the target;
* ``vaelab.training.train`` with its defaults (or with ``--settings``, e.g.
  ``'{"num_epochs": 4}'``), scored off the clock after every epoch with the same ruler
  (``vaelab.metrics.neg_elbo``: summed BCE + the KL of the Gaussian sampled, one z, seed 0).

It prints when each run reaches the target, the ratio to the chapter's time, the final score,
and the achieved GFLOP/s of a training epoch (135 MFLOP per image, forward + backward, an
estimate from the layer shapes) against this CPU's fp32 peak.

**Overhead.** ``--overhead`` times, in one process and alternating, one epoch of ``train()``
against one epoch of a plain ``fit`` of the same model, batch size and schedule (the second
epoch of two: tracing excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import vaelab  # noqa: E402,F401  (light; keeps TensorFlow's start-up lines quiet)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT.parent / "shared" / "bench" / "seed_baseline.py"
FLOP_PER_IMAGE = 135e6  # forward + backward of the chapter's model, from its layer shapes


def worker(settings: dict) -> dict:
    """One ``train()`` run in this process: its curve of (training seconds, held-out nats)."""
    import keras

    from vaelab.data import load_mnist
    from vaelab.metrics import neg_elbo
    from vaelab.models import build_vae
    from vaelab.training import train

    class Curve(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.points, self.seconds, self.epoch_seconds = [], 0.0, []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            self.seconds += seconds
            self.epoch_seconds.append(seconds)
            self.points.append((round(self.seconds, 2), round(neg_elbo(self.model, x_test), 2)))

    threads = settings.pop("threads", None)  # [intra-op, inter-op] for TensorFlow
    if threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads[0])
        tf.config.threading.set_inter_op_parallelism_threads(threads[1])
    (x_train, _), (x_test, _) = load_mnist(source="bundled", verbose=False)
    seed = settings.pop("seed", 0)
    keras.utils.set_random_seed(seed)  # the initial weights too
    vae = build_vae(seed=seed, beta=settings.pop("beta", 1.0))
    compile_settings = {
        k: settings.pop(k) for k in ("steps_per_execution", "jit_compile") if k in settings
    }
    optimizer = settings.pop("optimizer", None)  # e.g. {"name": "adam", "epsilon": 1e-4}
    if optimizer is not None:
        optimizer = keras.optimizers.get({"class_name": optimizer.pop("name"), "config": optimizer})
    if compile_settings or optimizer is not None:
        vae.compile(optimizer=optimizer or vae.optimizer, **compile_settings)
    curve = Curve()
    train(vae, x_train, seed=seed, callbacks=[curve], verbose=0, **settings)
    return {"curve": curve.points, "epoch_seconds": curve.epoch_seconds}


def overhead(repeats: int) -> dict:
    """Seconds of a second epoch: ``train()`` and a plain ``fit``, alternating in one process."""
    import keras

    from vaelab.data import load_mnist
    from vaelab.defaults import DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE
    from vaelab.models import build_vae
    from vaelab.training import train, warmup_cosine

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.last = time.perf_counter() - self.started

    (x_train, _), _ = load_mnist(source="bundled", verbose=False)
    steps = -(-len(x_train) // DEFAULT_BATCH_SIZE) * 2
    seconds = {"train": [], "fit": []}
    for _ in range(repeats):
        timer = Timer()
        train(build_vae(seed=0), x_train, num_epochs=2, verbose=0, callbacks=[timer])
        seconds["train"].append(round(timer.last, 2))
        vae, timer = build_vae(seed=0), Timer()
        schedule = warmup_cosine(DEFAULT_LEARNING_RATE, steps)
        vae.compile(optimizer=keras.optimizers.RMSprop(learning_rate=schedule))
        vae.fit(
            x_train,
            epochs=2,
            batch_size=DEFAULT_BATCH_SIZE,
            shuffle=True,
            verbose=0,
            callbacks=[timer],
        )
        seconds["fit"].append(round(timer.last, 2))
    return seconds


def fp32_peak_gflops() -> dict:
    """This CPU's fp32 peak (cores × clock × FLOP per cycle) and a measured large matmul."""
    import numpy as np

    flags = mhz = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags") and not flags:
            flags = line
        if line.startswith("cpu MHz") and not mhz:
            mhz = line.split(":")[1]
    per_cycle = 64 if " avx512f" in flags else 32  # 2 FMA units × (16 or 8) floats × 2
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    a @ a
    start = time.perf_counter()
    for _ in range(5):
        a @ a
    matmul = 5 * 2 * 2048**3 / (time.perf_counter() - start) / 1e9
    return {
        "theoretical": round(os.cpu_count() * float(mhz) * 1e6 * per_cycle / 1e9, 1),
        "flop_per_cycle_assumed": per_cycle,
        "numpy_matmul_2048": round(matmul, 1),
    }


def run_json(command: list[str]) -> dict:
    env = {**os.environ, "VAELAB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", default="0", help="comma-separated: each setting once per seed")
    parser.add_argument(
        "--settings",
        action="append",
        default=[],
        help="train() settings as JSON (one run each); default: its defaults",
    )
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument(
        "--reuse-chapter",
        default=None,
        metavar="SECONDS,NATS",
        help="screening: take the chapter's time and score from an earlier run",
    )
    parser.add_argument("--overhead", action="store_true")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if args.overhead:
        results = {"overhead_seconds": overhead(args.repeats)}
        results["train_over_fit"] = round(
            median(results["overhead_seconds"]["train"])
            / median(results["overhead_seconds"]["fit"]),
            3,
        )
    else:
        if not args.baseline.is_file():
            parser.error(f"the chapter's program is not at {args.baseline} (use --baseline PATH)")
        data = ROOT / "vaelab" / "data" / "mnist_subset.npz"
        settings = [json.loads(text) for text in args.settings] or [{}]
        results = {"peak_gflops": fp32_peak_gflops(), "repeats": []}
        for repeat in range(args.repeats):
            if args.reuse_chapter:
                seconds, nats = map(float, args.reuse_chapter.split(","))
                chapter = {
                    "train_s": seconds,
                    "epoch_s": seconds / 10,
                    "neg_elbo_nats": nats,
                    "reused": True,
                }
            else:
                chapter = run_json([sys.executable, str(args.baseline), str(data), "10"])
            print(
                f"repeat {repeat + 1}: chapter {chapter['train_s']:.1f} s, "
                f"{chapter['neg_elbo_nats']:.2f} nats",
                flush=True,
            )
            entry = {"chapter": chapter, "vaelab": []}
            for setting in settings:
                seed = int(args.seeds.split(",")[repeat % len(args.seeds.split(","))])
                setting = {**setting, "seed": seed}
                run = run_json([sys.executable, __file__, "--worker", json.dumps(setting)])
                target, budget = chapter["neg_elbo_nats"], chapter["train_s"]
                reach = next((t for t, score in run["curve"] if score <= target), None)
                run.update(
                    settings=setting,
                    seconds_to_target=reach,
                    fraction_of_chapter_time=round(reach / budget, 3) if reach else None,
                    gflops=round(FLOP_PER_IMAGE * 8000 / median(run["epoch_seconds"]) / 1e9, 1),
                )
                entry["vaelab"].append(run)
                print(
                    f"  {setting or 'defaults'}: {run['curve']} -> target {target:.2f} after "
                    f"{reach} s ({run['fraction_of_chapter_time']} of the chapter's time), "
                    f"{run['gflops']} GFLOP/s",
                    flush=True,
                )
            entry["chapter"]["gflops"] = round(FLOP_PER_IMAGE * 8000 / chapter["epoch_s"] / 1e9, 1)
            results["repeats"].append(entry)
    print(json.dumps(results, indent=1))
    if args.out:
        from vaelab.io import write_text_atomic

        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
