"""Issue 22's first-digit goal: from running the explorer's cell to its first digit painted.

JupyterLab in headless Chromium (the helpers of ``tests/test_browser.py``) opens a notebook whose
first cell warms the kernel as notebook 04 does before its explorer:

* ``pretrained``: ``load_vae("mnist")``, the bundled test digits, ``z_mean = encode(...)``;
* ``trained``: a model just trained (``build_vae()``, ``train(..., num_epochs=1)`` on 1,000
  digits), then its codes.

Its last cell is notebook 04's explorer, ``LatentExplorer(vae.decoder, codes=z_mean,
y=y_test)``. It starts as a Markdown cell, so Run All leaves it alone; then it is made a code
cell and run with Shift+Enter (the first run: ``vaelab.widgets`` imported, the widget's module
loaded in the page), and run again ``--runs - 1`` times (each run a new widget). Each run is
timed in the page with ``performance.now()``, from the Shift+Enter keydown (a capture listener,
before JupyterLab sees it) to the first frame after the new digit canvas' ``data-paints``
reached 1 (a MutationObserver, then ``requestAnimationFrame``); the time the canvas appeared is
recorded too. The bytes JupyterLab's websockets received in between are counted.

It also reports the payload: what the widget sends that depends on the model (the decoder's
float32 weights, the layer spec, the scatter's codes and labels) against the runtime every
explorer shares (``vaelab/static/latent.js``; anywidget's front end is shared by every
anywidget), and the load average before and after (the machine is shared).

    python benchmarks/first_digit.py [--runs 5] [--out benchmarks/results_first_digit.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_browser as helpers  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from vaelab.io import write_text_atomic  # noqa: E402

WARM = {
    "pretrained": """\
import vaelab
from vaelab import load_vae
from vaelab.data import load_mnist
from vaelab.latent import encode

(x_train, y_train), (x_test, y_test) = load_mnist("bundled", verbose=False)
vae = load_vae("mnist")
z_mean, z_log_var = encode(vae.encoder, x_test)
print("warm:", z_mean.shape)""",
    "trained": """\
import vaelab
from vaelab.data import load_mnist
from vaelab.latent import encode
from vaelab.models import build_vae
from vaelab.training import train

(x_train, y_train), (x_test, y_test) = load_mnist("bundled", verbose=False)
vae = build_vae(seed=0)
train(vae, x_train[:1_000], num_epochs=1, verbose=0)
z_mean, z_log_var = encode(vae.encoder, x_test)
print("warm:", z_mean.shape)""",
}

#: Notebook 04's explorer cell.
EXPLORER = """\
from vaelab.widgets import LatentExplorer

explorer = LatentExplorer(vae.decoder, codes=z_mean, y=y_test)  # the codes encoded above
explorer"""

#: Installed once per page: the canvases already there are marked old; the keydown of
#: Shift+Enter starts the clock; the first new digit canvas with data-paints >= 1 stops it at the
#: next animation frame.
PROBE = """() => {
  for (const canvas of document.querySelectorAll('canvas.vaelab-digit')) canvas.__old = true;
  window.__run = {start: null, canvas: null, painted: null, frame: null};
  if (window.__probing) return;
  window.__probing = true;
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.shiftKey && window.__run.start === null) {
      window.__run.start = performance.now();
    }
  }, true);
  new MutationObserver(() => {
    const run = window.__run;
    if (run.start === null || run.painted !== null) return;
    for (const canvas of document.querySelectorAll('canvas.vaelab-digit')) {
      if (canvas.__old) continue;
      if (run.canvas === null) run.canvas = performance.now();
      if (Number(canvas.dataset.paints) >= 1) {
        run.painted = performance.now();
        requestAnimationFrame(() => { run.frame = performance.now(); });
        return;
      }
    }
  }).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-paints'],
  });
}"""


class CountingBrowser:
    """The browser, but each new page counts the bytes its websockets receive (``page.bytes``)."""

    def __init__(self, browser):
        self.browser = browser

    def new_page(self, **kwargs):
        page = self.browser.new_page(**kwargs)
        page.bytes = [0]

        def opened(socket):
            def received(payload):
                page.bytes[0] += len(payload)

            socket.on("framereceived", received)

        page.on("websocket", opened)
        return page


def notebook(path: Path, warm: str) -> None:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(warm), nbformat.v4.new_markdown_cell(EXPLORER)]
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(book, path)


def run_once(page) -> dict:
    """Shift+Enter on the explorer cell (the second): its times in ms and the bytes received."""
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)  # let the page settle after the last run
    page.evaluate(PROBE)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    cell.locator(".jp-InputArea-prompt").click()  # select the cell (command mode)
    before = page.bytes[0]
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("() => window.__run.frame !== null", timeout=180_000)
    run = page.evaluate("window.__run")
    return {
        "canvas_ms": round(run["canvas"] - run["start"], 1),
        "painted_ms": round(run["painted"] - run["start"], 1),
        "first_digit_ms": round(run["frame"] - run["start"], 1),
        "websocket_bytes": page.bytes[0] - before,
    }


def measure(browser, folder: Path, case: str, runs: int) -> dict:
    name = f"{case}.ipynb"
    notebook(folder / name, WARM[case])
    load_before = os.getloadavg()
    with helpers.jupyterlab_page(browser, folder, name) as (page, _):
        page.get_by_text("warm: (").first.wait_for(timeout=600_000)
        page.locator(".jp-Notebook .jp-Cell").nth(1).click()
        page.keyboard.press("Escape")
        page.keyboard.press("y")  # the Markdown cell becomes a code cell
        page.locator(".jp-Notebook .jp-CodeCell").nth(1).wait_for(timeout=10_000)
        measured = []
        for i in range(runs):
            measured.append(run_once(page))
            print(f"{case}, run {i + 1}:", json.dumps(measured[-1]), flush=True)
        helpers.ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(helpers.ARTIFACTS / f"first-digit-{case}.png"))
        blocked = list(page.blocked)
    times = sorted(run["first_digit_ms"] for run in measured)
    return {
        "first run ms": measured[0]["first_digit_ms"],
        "median ms": round(statistics.median(times), 1),
        "max ms": times[-1],
        "runs": measured,
        "network requests tried": blocked,
        "load": {"before": load_before, "after": os.getloadavg()},
    }


def payload() -> dict:
    """The model-specific bytes the explorer sends, and the runtime every explorer shares."""
    import numpy as np

    from vaelab import load_vae
    from vaelab.data import load_mnist
    from vaelab.widgets import STATIC, page_decoder

    page_model = page_decoder(load_vae("mnist").decoder)
    (_, _), (x_test, _) = load_mnist("bundled", verbose=False)
    points = min(len(x_test), 2000)  # LatentExplorer's max_points
    spec = len(json.dumps(page_model.spec, separators=(",", ":")).encode())
    codes = points * 2 * np.dtype("<f4").itemsize
    model = {
        "decoder weights": len(page_model.weights),
        "decoder spec (JSON)": spec,
        "codes": codes,
        "labels": points,
    }
    labextension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "anywidget"
    shared = sum(p.stat().st_size for p in labextension.rglob("*.js"))
    return {
        "model-specific bytes": {**model, "total": sum(model.values())},
        "runtime bytes": {
            "latent.js": (STATIC / "latent.js").stat().st_size,
            "anywidget front end (*.js, shared by every anywidget)": shared,
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the explorer cell per case")
    parser.add_argument(
        "--cases", nargs="+", choices=sorted(WARM), default=["pretrained", "trained"]
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    folder = Path(tempfile.mkdtemp(prefix="vaelab-first-digit-")) / "pages"
    folder.mkdir()
    results = {"load_before": os.getloadavg(), "cpus": os.cpu_count()}
    started = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS
        )
        for case in args.cases:
            result = measure(CountingBrowser(browser), folder, case, args.runs)
            results[case] = result
            short = {k: v for k, v in result.items() if k != "runs"}
            print(f"{case}:", json.dumps(short), flush=True)
        browser.close()
    results["payload"] = payload()
    print("payload:", json.dumps(results["payload"]), flush=True)
    results["load_after"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
