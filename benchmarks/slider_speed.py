"""Issue 4's benchmark: slider move → new PNG bytes, and the 15×15 manifold, fast vs slower paths.

* slider: time for ``explorer.sliders[0].value = v`` until the ``ipywidgets.Image`` holds the
  new PNG (vaelab's path: NumPy decoder, 28×28 PNG), against the previous widget path (the
  compiled Keras decoder and a 168×168 PNG) and the straightforward one (``decoder.predict`` and
  a PNG), all measured here in one run, interleaved round by round so that the machine's
  drifts hit every path alike;
* manifold: ``manifold_image(decoder, n=15)`` (one batched NumPy pass, weights re-read on every
  call) against the compiled Keras decoder on the same 225 points, and the chapter's loop of 225
  ``predict`` calls.

The browser-side latency (slider drag → image painted) is ``browser_latency.py``.

    python benchmarks/slider_speed.py [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("VAELAB_OFFLINE", "1")

import numpy as np  # noqa: E402

import vaelab  # noqa: E402,F401
from vaelab._checks import write_text_atomic  # noqa: E402
from vaelab.decoding import compiled_call  # noqa: E402
from vaelab.plotting import grid_values, manifold_image  # noqa: E402
from vaelab.pretrained import load_vae  # noqa: E402
from vaelab.widgets import PIXEL_SCALE, digit_png, latent_explorer  # noqa: E402


def timed(function, repeats):
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        function(i)
        samples.append(time.perf_counter() - start)
    return samples


#: Seconds of rest before each path's turn. TensorFlow's worker threads (and OpenBLAS's) keep
#: spinning for a while after a call; without the rest, whatever runs next loses a core to them
#: (the NumPy manifold measured 42 ms right after a Keras call, 25 ms on its own).
REST = 0.25


def interleaved(paths, rounds, per_round):
    """Run each path ``per_round`` times per round, round after round; samples per path (s)."""
    samples = {name: [] for name in paths}
    for round_index in range(rounds):
        for name, function in paths.items():
            time.sleep(REST)
            samples[name] += timed(lambda i: function(round_index * per_round + i), per_round)
    return samples


def ms(samples, q=0.5):
    ordered = sorted(samples)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    vae = load_vae("mnist")
    decoder = vae.decoder
    explorer = latent_explorer(decoder)
    compiled = compiled_call(decoder)
    values = np.linspace(-2.5, 2.5, 401)

    def point(i):
        return np.array([[values[i % len(values)], 0.0]], dtype="float32")

    def move(i):
        explorer.sliders[0].value = float(values[i % len(values)])

    def previous(i):  # the widget path before: compiled Keras call, 168×168 PNG
        explorer.image.value = digit_png(compiled(point(i))[0], PIXEL_SCALE)

    def naive(i):
        explorer.image.value = digit_png(decoder.predict(point(i), verbose=0)[0])

    paths = {"fast": move, "previous": previous}
    for function in (move, previous, naive):
        timed(function, 5)  # warm up
    slider = interleaved(paths, rounds=10, per_round=40)
    slider["naive"] = timed(naive, 40)

    grid = grid_values(15)
    z_grid = np.array([[a, b] for b in grid[::-1] for a in grid], dtype="float32")
    manifold_paths = {"numpy": lambda i: manifold_image(decoder, n=15), "keras": lambda i: compiled(z_grid)}
    for function in manifold_paths.values():
        function(0)
    manifold = interleaved(manifold_paths, rounds=10, per_round=3)
    start = time.perf_counter()
    for b in grid[::-1]:
        for a in grid:
            decoder.predict(np.array([[a, b]], dtype="float32"), verbose=0)
    loop_seconds = time.perf_counter() - start

    results = {
        "slider_fast_median_ms": ms(slider["fast"]),
        "slider_fast_p95_ms": ms(slider["fast"], 0.95),
        "slider_previous_median_ms": ms(slider["previous"]),
        "slider_naive_median_ms": ms(slider["naive"]),
        "slider_speedup_over_naive": round(statistics.median(slider["naive"]) / statistics.median(slider["fast"]), 1),
        "manifold_median_ms": ms(manifold["numpy"]),
        "manifold_compiled_keras_median_ms": ms(manifold["keras"]),
        "manifold_predict_loop_s": round(loop_seconds, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(results, indent=1))
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
