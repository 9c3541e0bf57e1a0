"""Issue 22's browser goal: a 2-s drag at 60 Hz, digits painted, in JupyterLab and Voilà.

For each page (the explorer app, ``notebooks/explorer_app.ipynb``, and the bare-widget floor of
``floor_widget.py``: a slider whose observer swaps two PNGs in the kernel) this drags the z₁
slider for 2 s in headless Chromium: 120 pointer moves paced by the clock at 60 Hz. It records
every move and every paint of the digit (a new value of the explorer canvas' ``data-paints``,
or a new ``src`` of the floor's image, each seen at the next animation frame), and reports

* updates painted per second, from the first move to the last paint;
* move → paint latency (each move to the first paint that shows its z or a newer one: the
  explorer numbers its decodes, see ``move_latencies`` in ``tests/test_browser.py``), median
  and p95, from the move event's ``timeStamp`` (when the browser received it; pointer moves
  wait for the page's next frame) and, as ``handler_*``, from when the page's handlers began
  (the start of the issue's first measurements);
* the same drag with the kernel process frozen (SIGSTOP, then SIGCONT), where a kernel-side
  digit cannot change at all.

Drags alternate right and left; the first one (the page still settling) is left out.

    python benchmarks/browser_latency.py [--drags 3] [--out results_browser_latency.json]

Uses the helpers of ``tests/test_browser.py`` (server start-up, Chromium flags, the probe).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import test_browser as helpers  # noqa: E402
from floor_widget import FLOOR_CODE  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from vaelab.io import write_text_atomic  # noqa: E402

MOVES, RATE = 120, 60.0


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


def paced_drag(page, root, direction: int) -> dict:
    """One 2-s drag of the first slider, 120 moves at 60 Hz by the clock: rate and latency."""
    digit = root.locator(helpers.DIGIT).first
    digit.wait_for(state="visible", timeout=180_000)
    digit.evaluate(helpers.LATENCY_PROBE)
    handle = root.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    start = time.perf_counter()
    for i in range(1, MOVES + 1):
        delay = start + i / RATE - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        page.mouse.move(x + direction * 1.2 * i, y)  # 144 px: inside the 320-px slider
    moved = time.perf_counter() - start
    page.mouse.up()
    page.wait_for_timeout(600)
    moves, handled, asked, paints = page.evaluate(
        "[window.__moves, window.__handled, window.__asked, window.__paints]"
    )
    painted = [p for p in paints if moves and p[0] >= moves[0]]
    if len(asked) != len(moves):
        raise RuntimeError(
            f"{len(moves)} moves but {len(asked)} decode numbers: a handler stopped the event"
        )
    latencies = helpers.move_latencies(moves, asked, painted)
    from_handler = helpers.latency_summary(helpers.move_latencies(handled, asked, painted))
    span = (painted[-1][0] - moves[0]) / 1000 if painted else None
    return {
        "moves_per_second": round(len(moves) / moved, 1),
        "updates_per_second": round(len(painted) / span, 1) if span else 0.0,
        **helpers.latency_summary(latencies),
        "handler_median_ms": from_handler.get("median_ms"),
        "handler_p95_ms": from_handler.get("p95_ms"),
    }


def kernels() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "ipykernel_launcher" in " ".join(p.cmdline())
    ]


def measure(page, root, count: int) -> dict:
    """``count`` drags with the kernel running (the first left out), then two frozen ones."""
    idle = [paced_drag(page, root, 1 if i % 2 == 0 else -1) for i in range(count)]
    frozen = []
    stopped = kernels()
    for process in stopped:
        process.send_signal(signal.SIGSTOP)
    try:
        for i in range(2):
            frozen.append(paced_drag(page, root, 1 if (count + i) % 2 == 0 else -1))
    finally:
        for process in stopped:
            process.send_signal(signal.SIGCONT)

    def median(runs, key):
        values = sorted(run[key] for run in runs if run.get(key) is not None)
        return values[len(values) // 2] if values else None

    keys = (
        "updates_per_second",
        "median_ms",
        "p95_ms",
        "handler_median_ms",
        "handler_p95_ms",
        "moves_per_second",
    )
    return {
        "kernel running": {key: median(idle[1:], key) for key in keys},
        "kernel frozen": {key: median(frozen, key) for key in keys},
        "drags": {"running": idle, "frozen": frozen},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drags", type=int, default=3, help="drags with the kernel running")
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--pages", default="jupyterlab,voila", help="which of jupyterlab,voila (default: both)"
    )
    parser.add_argument(
        "--widgets", default="explorer,floor", help="which of explorer,floor (default: both)"
    )
    args = parser.parse_args(argv)
    if args.drags < 2:
        parser.error(f"--drags must be at least 2 (the first is left out), got {args.drags}")
    folder = Path(tempfile.mkdtemp(prefix="vaelab-latency-")) / "pages"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "explorer_app.ipynb")
    floor_notebook(folder / "floor.ipynb")
    results = {"load_before": os.getloadavg()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS
        )
        pages = ("jupyterlab", "voila")
        widgets = (("explorer_app.ipynb", "explorer"), ("floor.ipynb", "floor"))
        for page_name in [name for name in pages if name in args.pages.split(",")]:
            for notebook, label in [w for w in widgets if w[1] in args.widgets.split(",")]:
                if page_name == "jupyterlab":
                    with helpers.jupyterlab_page(browser, folder, notebook) as (page, _):
                        result = measure(page, page.locator(".jp-Notebook"), args.drags)
                else:
                    with helpers.voila_page(browser, folder, notebook) as (page, _):
                        result = measure(page, page.locator("body"), args.drags)
                results[f"{page_name}, {label}"] = result
                short = {k: v for k, v in result.items() if k != "drags"}
                print(f"{page_name}, {label}:", json.dumps(short), flush=True)
        browser.close()
    results["load_after"] = os.getloadavg()
    results["cpus"] = os.cpu_count()
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
