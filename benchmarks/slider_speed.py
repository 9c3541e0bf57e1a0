"""Issue 4's benchmark: slider move → new PNG bytes, and the 15×15 manifold, fast vs naive.

* slider: median time for ``explorer.sliders[0].value = v`` until the ``ipywidgets.Image``
  holds the new PNG (compiled decoder + PNG), against the straightforward path
  (``decoder.predict`` + the same PNG encoding), both measured here in one run;
* manifold: ``manifold_image(decoder, n=15)`` (one batched decode) against the chapter's loop
  of 225 ``predict`` calls.

The browser-side latency (slider drag → image painted) is measured by ``tests/test_browser.py``
in a real JupyterLab and Voilà page; it writes ``artifacts/*-latency.json``.

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
from vaelab.plotting import grid_values, manifold_image  # noqa: E402
from vaelab.pretrained import load_vae  # noqa: E402
from vaelab.widgets import digit_png, latent_explorer  # noqa: E402


def timed(function, repeats):
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        function(i)
        samples.append(time.perf_counter() - start)
    return samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    vae = load_vae("mnist")
    decoder = vae.decoder
    explorer = latent_explorer(decoder)
    values = np.linspace(-2.5, 2.5, 401)

    def move(i):
        explorer.sliders[0].value = float(values[i % len(values)])

    timed(move, 20)  # warm up
    fast = timed(move, 400)

    def naive(i):
        z = np.array([[values[i % len(values)], 0.0]], dtype="float32")
        digit_png(decoder.predict(z, verbose=0)[0])

    timed(naive, 3)
    slow = timed(naive, 40)

    manifold_image(decoder, n=15)
    batched = timed(lambda i: manifold_image(decoder, n=15), 30)
    grid = grid_values(15)
    start = time.perf_counter()
    for b in grid[::-1]:
        for a in grid:
            decoder.predict(np.array([[a, b]], dtype="float32"), verbose=0)
    loop_seconds = time.perf_counter() - start

    results = {
        "slider_fast_median_ms": round(1000 * statistics.median(fast), 3),
        "slider_fast_p95_ms": round(1000 * sorted(fast)[int(0.95 * len(fast))], 3),
        "slider_naive_median_ms": round(1000 * statistics.median(slow), 2),
        "slider_speedup": round(statistics.median(slow) / statistics.median(fast), 1),
        "manifold_batched_median_ms": round(1000 * statistics.median(batched), 2),
        "manifold_predict_loop_s": round(loop_seconds, 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(results, indent=1))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
