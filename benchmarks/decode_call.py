"""How to run a Keras decoder on NumPy points, side by side in one process; and batch memory.

    python benchmarks/decode_call.py [--rounds 5] [--out results_decode_call.json]

On the pretrained decoder (TensorFlow backend), alternating round by round:

* ``predict_on_batch``: Keras' own call for one batch, NumPy in and out (what
  :func:`vaelab.latent.decode` uses);
* ``tf.function``: the compiled-call cache vaelab used before (a ``tf.function`` with a fixed
  input signature per model, copied here);
* ``model(z, training=False)``: the eager call;

one point (median / p95 of 400 calls, a slider move) and 225 points (median / p95 of 40 calls,
the 15 × 15 manifold), and the largest pixel difference from the eager call. Then 25,921 points
(the 161 × 161 prior grid of ``vaelab.metrics.PriorGrid``) decoded with ``vaelab.latent.decode``
in batches of 128 … 4,096: seconds (median, the sizes alternating round by round in one
process) and, each in a fresh process, the rise in peak RSS over the loaded model (the 81 MB of
images it returns included). The two chose ``DECODE_BATCH_SIZE``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]


def cache_call(model):
    """The hand-written cache vaelab had (its TensorFlow branch), for comparison."""
    import tensorflow as tf

    spec = [tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32)]
    function = tf.function(
        lambda inputs: model(inputs, training=False), input_signature=spec, reduce_retracing=True
    )
    return lambda batch: function(batch).numpy()


def timings(run, z, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        run(z)
        seconds.append(time.perf_counter() - start)
    return seconds


def side_by_side(rounds: int) -> dict:
    import keras

    from vaelab.models import load_vae

    decoder = load_vae("mnist").decoder
    rng = np.random.default_rng(0)
    one, grid = rng.normal(size=(1, 2)), rng.normal(size=(225, 2))
    one, grid = one.astype("float32"), grid.astype("float32")
    calls = {
        "predict_on_batch": decoder.predict_on_batch,
        "tf.function cache": cache_call(decoder),
        "model(z, training=False)": lambda z: keras.ops.convert_to_numpy(
            decoder(z, training=False)
        ),
    }
    eager = calls["model(z, training=False)"]
    seen = {name: {"one": [], "grid": [], "max_diff": 0.0} for name in calls}
    for name, run in calls.items():  # warm up: trace once, then once more at each size
        for z in (one, grid, one, grid):
            run(z)
        for z in (one, grid):
            difference = float(np.abs(run(z) - eager(z)).max())
            seen[name]["max_diff"] = max(seen[name]["max_diff"], difference)
    for _ in range(rounds):
        for name, run in calls.items():
            seen[name]["one"] += timings(run, one, 400 // rounds)
            seen[name]["grid"] += timings(run, grid, 40 // rounds)

    def ms(values, q):
        return round(1000 * float(np.percentile(values, q)), 2)

    return {
        name: {
            "one point median ms": ms(s["one"], 50),
            "one point p95 ms": ms(s["one"], 95),
            "225 points median ms": ms(s["grid"], 50),
            "225 points p95 ms": ms(s["grid"], 95),
            "max pixel difference from eager": s["max_diff"],
        }
        for name, s in seen.items()
    }


BATCH_SIZES = (128, 256, 512, 1024, 4096)


def prior_grid_points() -> np.ndarray:
    values = np.linspace(-5, 5, 161)
    return np.stack(np.meshgrid(values, values), axis=-1).reshape(-1, 2).astype("float32")


def batch_speed(rounds: int) -> dict:
    """Seconds to decode the prior grid at each batch size, alternating sizes round by round."""
    from vaelab.latent import decode
    from vaelab.models import load_vae

    decoder, z = load_vae("mnist").decoder, prior_grid_points()
    seconds = {size: [] for size in BATCH_SIZES}
    for size in BATCH_SIZES:  # trace each size once
        decode(decoder, z[: 2 * size], size)
    for _ in range(rounds):
        for size in BATCH_SIZES:
            start = time.perf_counter()
            decode(decoder, z, size)
            seconds[size].append(time.perf_counter() - start)
    return {size: round(float(np.median(values)), 2) for size, values in seconds.items()}


def peak_rss_mb() -> float:
    """This process' peak RSS. Linux's VmHWM belongs to the process' own memory; ``ru_maxrss``
    starts from the parent's peak after a fork (the fallback elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory(batch_size: int) -> int:
    """In this (fresh) process: the rise in peak RSS (MB) while decoding the prior grid."""
    from vaelab.latent import decode
    from vaelab.models import load_vae

    decoder, z = load_vae("mnist").decoder, prior_grid_points()
    before = peak_rss_mb()  # the model loaded, nothing run
    decode(decoder, z, batch_size)
    return round(peak_rss_mb() - before)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)  # one child process
    args = parser.parse_args(argv)
    if args.batch_size:
        print(json.dumps(peak_memory(args.batch_size)))
        return 0
    memory = {}
    for batch_size in BATCH_SIZES:
        child = subprocess.run(
            [sys.executable, __file__, "--batch-size", str(batch_size)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        memory[batch_size] = json.loads(child.stdout.strip().splitlines()[-1])
    results = {"side_by_side": side_by_side(args.rounds), "batch_sizes": {}}
    for name, row in results["side_by_side"].items():
        print(name, row, flush=True)
    speed = batch_speed(min(args.rounds, 5))
    for batch_size in BATCH_SIZES:
        row = {"seconds (median)": speed[batch_size], "peak_rss_rise_mb": memory[batch_size]}
        results["batch_sizes"][batch_size] = row
        print(f"batch {batch_size}: {row}", flush=True)
    if args.out:
        sys.path.insert(0, str(ROOT))
        from vaelab.io import write_text_atomic

        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
