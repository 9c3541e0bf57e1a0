"""The explorer app for a class: N viewers open it at once in headless Chromium.

    python benchmarks/app_load.py --viewers 1 6 30 [--app page|keras] [--preheat]
                                  [--out results_app_load.json]

Per run, one standalone Voilà server serves a folder with the app and the bare-widget floor
(``floor_widget.py``), and N pages of one Chromium open the app together. It reports

* time to the first digit per viewer: from the page's navigation start to the moment the
  digit image has loaded (``performance.now()`` in the page, so no polling delay), median and
  maximum, and how many viewers got a digit within the time limit;
* the app kernels' resident memory once all have drawn (each, and in all), from ``/proc``;
* the CPU seconds the server side spent (Voilà and its kernels, from the first navigation to
  the last digit), per viewer: what a class costs a server whose viewers' browsers run
  elsewhere; and the same for the browser, which here shares the server's CPUs;
* one viewer's slider drag (two drags of 40 steps, the second reported) while the N pages stay
  open, and the same drag on the floor page afterwards.

``--app keras`` serves the app as it was before LiteRT (Keras decodes and encodes in the
kernel); ``--app page`` (the default) serves ``notebooks/explorer_app.ipynb``. ``--preheat``
starts Voilà with ``--preheat_kernel=True`` and a pool of N kernels for the app (none for the
floor page), which run the app before anyone connects (the wait for that is reported apart);
the pool refills only after ``--fill-delay`` seconds, so that refills do not compete with the
class arriving. The numbers are for this machine: the browser's N pages share its CPUs with the
server and the kernels.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import test_browser as helpers  # noqa: E402
from browser_latency import floor_notebook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from vaelab.io import write_text_atomic  # noqa: E402

#: The app before LiteRT and page decoding, as explorer_app.ipynb had it: Keras in the kernel.
KERAS_APP = """\
import vaelab.data
from vaelab.models import load_vae
from vaelab.widgets import LatentExplorer

(_, _), (x_test, y_test) = vaelab.data.load_mnist(source="bundled", verbose=False)
vae = load_vae("mnist")
LatentExplorer(vae.decoder, vae.encoder, x_test, y_test)
"""

#: Records, in each new page, when the first digit shows (ms since navigation): the explorer's
#: canvas painted once, or (before the page decoded) the digit image loaded.
FIRST_DIGIT = """
window.__firstDigit = null;
const seen = () => {
  if (window.__firstDigit !== null) return;
  const canvas = document.querySelector('canvas.vaelab-digit');
  if (canvas && Number(canvas.dataset.paints) > 0) {
    window.__firstDigit = performance.now();
    return;
  }
  const img = document.querySelector('img.vaelab-pixels');
  if (!img || !img.src) return;
  const done = () => { if (window.__firstDigit === null) window.__firstDigit = performance.now(); };
  if (img.complete && img.naturalWidth > 0) done(); else img.addEventListener('load', done);
};
new MutationObserver(seen).observe(document, {subtree: true, childList: true, attributes: true});
"""


def app_folder(kind: str) -> Path:
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="vaelab-load-")) / "pages"
    folder.mkdir()
    if kind == "page":
        shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "app.ipynb")
    else:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(KERAS_APP)]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, folder / "app.ipynb")
    floor_notebook(folder / "floor.ipynb")
    return folder


def kernels(server: psutil.Process) -> list[psutil.Process]:
    return [
        p for p in server.children(recursive=True) if "ipykernel_launcher" in " ".join(p.cmdline())
    ]


def server_cpu(server: psutil.Process) -> float:
    """CPU seconds used so far by Voilà and its kernels (the live ones)."""
    total = 0.0
    for process in [server, *server.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def browser_cpu() -> float:
    """CPU seconds used so far by the Chromium processes this script drives."""
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name().lower():
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def wait_until_quiet(server: psutil.Process, count: int, timeout: float = 900.0) -> float:
    """Seconds until ``count`` kernels exist and their CPU time stops growing (preheat done)."""
    start = time.perf_counter()
    last = None
    while time.perf_counter() - start < timeout:
        found = kernels(server)
        if len(found) >= count:
            used = sum(p.cpu_times().user + p.cpu_times().system for p in found)
            if last is not None and used - last < 0.05:
                return round(time.perf_counter() - start - 2.0, 1)
            last = used
        time.sleep(2.0)
    raise TimeoutError(f"{count} preheated kernels were not ready within {timeout} s")


def run(kind: str, viewers: int, preheat: bool, limit: float, fill_delay: float = 120.0) -> dict:
    folder = app_folder(kind)
    port = helpers.free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        str(folder),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]
    if preheat:
        command += [
            "--preheat_kernel=True",
            f"--pool_size={viewers}",
            '--VoilaKernelManager.preheat_denylist=["floor.ipynb"]',
            f"--VoilaKernelManager.fill_delay={fill_delay}",
        ]
    process, log = helpers._server(command, f"http://127.0.0.1:{port}/", folder)
    server = psutil.Process(process.pid)
    result = {"app": kind, "viewers": viewers, "preheat": preheat}
    try:
        if preheat:
            result["preheat_seconds"] = wait_until_quiet(server, viewers)
        url = f"http://127.0.0.1:{port}/voila/render/app.ipynb"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=helpers.CHROMIUM, args=helpers.CHROMIUM_ARGS
            )
            pages = []
            for _ in range(viewers):
                page = browser.new_page(viewport={"width": 1100, "height": 800})
                page.add_init_script(FIRST_DIGIT)
                pages.append(page)
            busy_before, browser_before = server_cpu(server), browser_cpu()
            for page in pages:  # start every navigation without waiting for any
                page.evaluate("(url) => setTimeout(() => { location.href = url; }, 0)", url)
            start, times = time.perf_counter(), {}
            while len(times) < viewers and time.perf_counter() - start < limit:
                for i, page in enumerate(pages):
                    if i not in times:
                        try:
                            value = page.evaluate("window.__firstDigit")
                        except Exception:  # still navigating
                            value = None
                        if value is not None:
                            times[i] = value / 1000
                time.sleep(0.2)
            served = sorted(times.values())
            result["server_cpu_s_per_viewer"] = round(
                (server_cpu(server) - busy_before) / viewers, 2
            )
            result["browser_cpu_s_per_viewer"] = round(
                (browser_cpu() - browser_before) / viewers, 2
            )
            result["first_digit_s"] = {
                "served": len(served),
                "median": round(served[len(served) // 2], 2) if served else None,
                "max": round(served[-1], 2) if served else None,
            }
            time.sleep(2.0)
            rss = [p.memory_info().rss / 2**20 for p in kernels(server)]
            result["kernels"] = len(rss)
            result["kernel_rss_mb"] = {
                "median": round(sorted(rss)[len(rss) // 2]) if rss else None,
                "max": round(max(rss)) if rss else None,
                "total": round(sum(rss)),
            }
            if served:
                viewer = pages[min(times)]
                root = viewer.locator("body")
                helpers.drag_slider(viewer, root)
                latencies = helpers.drag_slider(viewer, root, direction=-1)[2]
                result["drag_while_open"] = helpers.latency_summary(latencies)
            for page in pages:
                page.close()
            floor = browser.new_page(viewport={"width": 1100, "height": 800})
            floor.goto(f"http://127.0.0.1:{port}/voila/render/floor.ipynb", timeout=180_000)
            helpers.drag_slider(floor, floor.locator("body"))
            latencies = helpers.drag_slider(floor, floor.locator("body"), direction=-1)[2]
            result["drag_floor"] = helpers.latency_summary(latencies)
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(folder.parent, ignore_errors=True)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 6, 30])
    parser.add_argument("--app", choices=("page", "keras"), default="page")
    parser.add_argument("--preheat", action="store_true")
    parser.add_argument("--limit", type=float, default=180.0, help="seconds to wait for digits")
    parser.add_argument("--fill-delay", type=float, default=120.0, help="preheated pool refill")
    parser.add_argument(
        "--pythonpath",
        default=None,
        help="import vaelab from here in the server and kernels (e.g. an older tree: "
        "git archive COMMIT vaelab | tar -x -C DIR)",
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.pythonpath:
        os.environ["PYTHONPATH"] = os.path.abspath(args.pythonpath)
    if any(n < 1 for n in args.viewers):
        parser.error("--viewers must be positive numbers")
    results = []
    for viewers in args.viewers:
        results.append(run(args.app, viewers, args.preheat, args.limit, args.fill_delay))
        print(json.dumps(results[-1]), flush=True)
    summary = {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "vaelab_from": args.pythonpath or "this tree",
        "load": os.getloadavg(),
    }
    if args.out:
        write_text_atomic(args.out, json.dumps({**summary, "runs": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
