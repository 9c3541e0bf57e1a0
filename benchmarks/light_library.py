"""The light library, before and after, side by side in one run: size, import, slider, manifold.

    python benchmarks/light_library.py --before REV [--rounds 2] [--out results.json]

``REV`` is the commit to compare with (checked out into a temporary git worktree). For each
tree, alternating round by round, a fresh Python process measures:

* ``import vaelab``: seconds and the process's peak RSS;
* a slider move in the latent explorer, z → new PNG bytes in the ``ipywidgets.Image`` (median,
  p95 over 400 moves), beside the straightforward ``decoder.predict`` + PNG;
* ``manifold_image(decoder, n=15)`` (median of 20), beside the chapter's 225 ``predict`` calls
  (after tree only: the same Keras in both);

and the package's lines of code (``library_size.py``: blank lines and docstrings not counted),
for the before tree both as it was and formatted with this repository's ruff settings (the
after tree is formatted with them: the same ruler for both).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from library_size import code_lines  # noqa: E402

IMPORT = """
import resource, time
start = time.perf_counter()
import vaelab
seconds = time.perf_counter() - start
print(round(seconds, 3), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

SPEED = """
import json, os, statistics, sys, time
import numpy as np
try:
    from vaelab.models import load_vae
    from vaelab.widgets import LatentExplorer as make_explorer
    from vaelab.latent import manifold_image
except ImportError:  # the package before the change
    from vaelab.pretrained import load_vae
    from vaelab.widgets import latent_explorer as make_explorer
    from vaelab.plotting import manifold_image
from vaelab.widgets import digit_png

vae = load_vae("mnist")
explorer = make_explorer(vae.decoder)
values = np.linspace(-2.5, 2.5, 400)

def timed(function, count):
    samples = []
    for i in range(count):
        start = time.perf_counter()
        function(i)
        samples.append(1000 * (time.perf_counter() - start))
    return samples

def move(i):
    explorer.sliders[0].value = float(values[i % len(values)])

def naive(i):
    z = np.array([[values[i % len(values)], 0.0]], dtype="float32")
    explorer.image.value = digit_png(vae.decoder.predict(z, verbose=0)[0])

def pct(samples, q):
    return round(sorted(samples)[int(q * (len(samples) - 1))], 3)

timed(move, 20); timed(naive, 3)
moves = timed(move, 400)
time.sleep(0.25)
manifold_image(vae.decoder, n=15)
manifold = timed(lambda i: manifold_image(vae.decoder, n=15), 20)
result = {"move_median_ms": pct(moves, 0.5), "move_p95_ms": pct(moves, 0.95),
          "manifold_median_ms": pct(manifold, 0.5)}
if sys.argv[1] == "full":
    result["predict_move_median_ms"] = pct(timed(naive, 40), 0.5)
    grid = np.linspace(-1.6, 1.6, 15)
    start = time.perf_counter()
    for b in grid[::-1]:
        for a in grid:
            vae.decoder.predict(np.array([[a, b]], dtype="float32"), verbose=0)
    result["manifold_225_predicts_s"] = round(time.perf_counter() - start, 2)
print(json.dumps(result))
"""


def run(tree: Path, code: str, *args: str) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "VAELAB_OFFLINE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tree, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"in {tree}: {result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def tree_lines(tree: Path) -> int:
    return sum(code_lines(path.read_text()) for path in (tree / "vaelab").rglob("*.py"))


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(before), args.before],
            cwd=ROOT,
            check=True,
        )
        try:
            lines = {"before_as_it_was": tree_lines(before)}
            subprocess.run(
                [
                    str(Path(sys.executable).parent / "ruff"),
                    "format",
                    "-q",
                    "--config",
                    str(ROOT / "pyproject.toml"),
                    str(before / "vaelab"),
                ],
                check=True,
            )
            lines["before"], lines["after"] = tree_lines(before), tree_lines(ROOT)
            trees = {"before": before, "after": ROOT}
            imports = {name: [] for name in trees}
            speeds = {name: [] for name in trees}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    for _ in range(3):
                        seconds, rss = run(tree, IMPORT).split()
                        imports[name].append((float(seconds), int(rss)))
                    speeds[name].append(
                        json.loads(run(tree, SPEED, "full" if name == "after" else ""))
                    )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    results = {
        "cpus": os.cpu_count(),
        "before": args.before,
        "before_lines_of_code_unformatted": lines["before_as_it_was"],
    }
    for name in trees:
        results[name] = {
            "lines_of_code": lines[name],
            "import_seconds": median([s for s, _ in imports[name]]),
            "import_peak_rss_mb": median([r for _, r in imports[name]]),
            **{key: median([run[key] for run in speeds[name]]) for key in speeds[name][0]},
        }
    results["lines_fewer_percent"] = round(
        100 * (1 - results["after"]["lines_of_code"] / results["before"]["lines_of_code"]), 1
    )
    print(json.dumps(results, indent=1))
    if args.out:
        from vaelab.io import write_text_atomic

        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
