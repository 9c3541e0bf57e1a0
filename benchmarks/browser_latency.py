"""Issue 4's browser goal: slider drag → new digit painted, in a real JupyterLab and Voilà page.

For each page this drags the z₁ slider back and forth (``--drags`` drags of 40 small steps) in
headless Chromium and records, for every pointer move, the time until the digit image's next
repaint (a requestAnimationFrame after its ``src`` changed). The first drag starts as soon as
the digit shows, while the page may still be settling (ipympl's first frames of the scatter),
so it is reported apart from the later drags too. It measures

* the explorer app (``notebooks/explorer_app.ipynb``: sliders, digit, scatter with crosshair);
* the floor: a bare ``FloatSlider`` whose observer swaps two precomputed PNGs in an
  ``ipywidgets.Image`` (no decoding, no scatter): what any ipywidgets round trip costs on the
  same page, machine and server.

    python benchmarks/browser_latency.py [--drags 4] [--out results_browser_latency.json]

Uses the helpers of ``tests/test_browser.py`` (server start-up, Chromium flags, the probe).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import test_browser as helpers  # noqa: E402
from floor_widget import FLOOR_CODE  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from vaelab.io import write_text_atomic  # noqa: E402


def floor_notebook(path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(FLOOR_CODE)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)


PAINTS = "[window.__moves, window.__paints]"  # what the probe of the last drag recorded


def updates_per_second(page) -> float:
    """New digits painted per second of the drag just made, from its first move to its last
    paint (a slider that reaches its end early changes nothing more, which is not slowness)."""
    moves, paints = page.evaluate(PAINTS)
    painted = [paint for paint in paints if paint >= moves[0]]
    return len(painted) / ((painted[-1] - moves[0]) / 1000)


def drags(page, root, count):
    """Per drag: (latencies, updates per second); the first starts when the digit shows."""
    runs = []
    for i in range(count):
        latencies = helpers.drag_slider(page, root, direction=1 if i % 2 == 0 else -1)[2]
        runs.append((latencies, updates_per_second(page)))
    return runs


def summaries(runs):
    """All drags; the first drag after the page appeared; the later drags (steady state)."""

    def summary(part):
        rates = [rate for _, rate in part]
        return {
            **helpers.latency_summary(sum((latencies for latencies, _ in part), [])),
            "updates_per_second": round(sorted(rates)[len(rates) // 2], 1),
        }

    return {
        "all drags": summary(runs),
        "first drag": summary(runs[:1]),
        "later drags": summary(runs[1:]),
    }


def lab(browser, folder, name, count):
    with helpers.jupyterlab_page(browser, folder, name) as (page, _):
        return drags(page, page.locator(".jp-Notebook"), count)


def voila(browser, folder, name, count):
    with helpers.voila_page(browser, folder, name) as (page, _):
        return drags(page, page.locator("body"), count)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--drags", type=int, default=4, help="drags per page, alternately right and left (≥ 2)"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.drags < 2:
        parser.error(
            f"--drags must be at least 2 (the first drag is reported apart), got {args.drags}"
        )
    folder = Path(tempfile.mkdtemp(prefix="vaelab-latency-")) / "pages"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "explorer_app.ipynb")
    floor_notebook(folder / "floor.ipynb")
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS
        )
        for page_name, run in (("jupyterlab", lab), ("voila", voila)):
            for notebook, label in (
                ("explorer_app.ipynb", "explorer"),
                ("floor.ipynb", "bare widget"),
            ):
                results[f"{page_name}, {label}"] = summaries(
                    run(browser, folder, notebook, args.drags)
                )
                print(f"{page_name}, {label}:", results[f"{page_name}, {label}"], flush=True)
        browser.close()
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=1))
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
