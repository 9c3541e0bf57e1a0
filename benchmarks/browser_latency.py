"""Issue 4's browser goal: slider drag → new digit painted, in a real JupyterLab and Voilà page.

For each page this drags the z₁ slider back and forth (``--drags`` drags of 40 small steps) in
headless Chromium and records, for every pointer move, the time until the digit image's next
repaint (a requestAnimationFrame after its ``src`` changed). It measures

* the explorer app (``notebooks/explorer_app.ipynb``: sliders, digit, scatter with crosshair);
* the floor: a bare ``FloatSlider`` whose observer swaps two precomputed PNGs in an
  ``ipywidgets.Image`` (no decoding, no scatter): what any ipywidgets round trip costs on the
  same page, machine and server.

    python benchmarks/browser_latency.py [--drags 3] [--out results_browser_latency.json]

Uses the helpers of ``tests/test_browser.py`` (server start-up, Chromium flags, the probe).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_browser as helpers  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

FLOOR_CODE = """\
import ipywidgets as widgets
import numpy as np
from vaelab.widgets import digit_png

pngs = [digit_png(np.random.default_rng(i).random((28, 28))) for i in range(2)]
slider = widgets.FloatSlider(min=-3, max=3, step=0.01, layout=widgets.Layout(width="320px"))
image = widgets.Image(value=pngs[0], format="png", layout=widgets.Layout(width="168px", height="168px"))
flip = [0]

def swap(change):
    flip[0] ^= 1
    image.value = pngs[flip[0]]

slider.observe(swap, names="value")
widgets.VBox([slider, image])
"""


def floor_notebook(path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(FLOOR_CODE)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, path)


def drags(page, root, count):
    latencies = []
    for i in range(count):
        _, _, measured = helpers.drag_slider(page, root, direction=1 if i % 2 == 0 else -1)
        latencies += measured
    return latencies


def lab(browser, folder, name, count):
    port, token = helpers.free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--LabApp.news_url="]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server, log = helpers._server(command, f"http://127.0.0.1:{port}/api/status?token={token}", folder)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # A fresh workspace: nothing restored from an earlier session covers or hides the notebook.
        page.goto(f"http://127.0.0.1:{port}/lab/workspaces/{secrets.token_hex(4)}/tree/{name}?reset&token={token}")
        page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.get_by_role("menuitem", name="Run").click()
        page.locator('li[data-command="runmenu:run-all"]').click()
        return drags(page, page.locator(".jp-Notebook"), count)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def voila(browser, folder, name, count):
    port = helpers.free_port()
    command = [sys.executable, "-m", "voila", name, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    server, log = helpers._server(command, f"http://127.0.0.1:{port}/", folder)
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        return drags(page, page.locator("body"), count)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def summary(latencies):
    ordered = sorted(latencies)
    return {"moves": len(ordered), "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drags", type=int, default=3, help="drags per page, alternately right and left")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="vaelab-latency-")) / "pages"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "explorer_app.ipynb")
    floor_notebook(folder / "floor.ipynb")
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS)
        for page_name, run in (("jupyterlab", lab), ("voila", voila)):
            for notebook, label in (("explorer_app.ipynb", "explorer"), ("floor.ipynb", "bare widget")):
                results[f"{page_name}, {label}"] = summary(run(browser, folder, notebook, args.drags))
                print(f"{page_name}, {label}:", results[f"{page_name}, {label}"], flush=True)
        browser.close()
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
