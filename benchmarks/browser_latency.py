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

Two hands drag. Playwright's (``waiting``): each ``mouse.move`` returns once the page has
handled the move, so a page that is slow to take a move also delays the next one ("moves/s"
falls). A free hand (``free``), like a real mouse: the 120 moves go to Chromium at 60 Hz by the
clock over a second DevTools connection of their own, whatever the page is doing; Chromium
merges moves that arrive before the page takes the last one. Its latency runs from each move's
sending (Python's clock, set against the page's) to the first paint of a decode asked for after
the page received that move or a newer one, so a move merged away or waiting in Chromium's queue
counts too.

Drags alternate right and left; the first one is left out (the page still settling; it also
starts from the slider's middle, so its later moves push against the end and change nothing).

    python benchmarks/browser_latency.py [--drags 3] [--hands waiting,free]
                                         [--out results_browser_latency.json]

Uses the helpers of ``tests/test_browser.py`` (server start-up, Chromium flags, the probe).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from websockets.sync.client import connect

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


def first_handle(root) -> tuple[float, float]:
    """Install the latency probe on the digit; the middle of the first slider's handle."""
    digit = root.locator(helpers.DIGIT).first
    digit.wait_for(state="visible", timeout=180_000)
    digit.evaluate(helpers.LATENCY_PROBE)
    handle = root.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").first
    box = handle.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def paced_drag(page, root, direction: int) -> dict:
    """One 2-s drag of the first slider, 120 moves at 60 Hz by the clock: rate and latency."""
    x, y = first_handle(root)
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


def page_target(page, port: int) -> str:
    """The DevTools websocket of ``page``'s target, from Chromium's /json/list."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
        targets = json.load(reply)
    found = [t for t in targets if t.get("type") == "page" and t.get("url") == page.url]
    if len(found) != 1:
        raise RuntimeError(f"{len(found)} DevTools targets have the page's URL {page.url}")
    return found[0]["webSocketDebuggerUrl"]


def clock_offset(page) -> float:
    """The page's clock (ms since its time origin) minus Python's (ms since the epoch)."""
    offsets = []
    for _ in range(5):
        before = time.time() * 1000
        epoch = page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        offsets.append((after - before, epoch - (before + after) / 2))
    # The page's time origin is in epoch ms: page time = epoch - origin.
    origin = page.evaluate("performance.timeOrigin")
    return min(offsets)[1] - origin  # the quickest round trip is the best estimate


def free_drag(page, root, direction: int, port: int) -> dict:
    """One 2-s drag by a hand that does not wait for the page: rate and latency."""
    x, y = first_handle(root)
    offset = clock_offset(page)
    ids = itertools.count(1)

    def mouse(ws, kind, at, buttons):
        params = {"type": kind, "x": at, "y": y, "buttons": buttons}
        params["button"] = "left" if kind != "mouseMoved" or buttons else "none"
        if kind != "mouseMoved":
            params["clickCount"] = 1
        message = {"id": next(ids), "method": "Input.dispatchMouseEvent", "params": params}
        ws.send(json.dumps(message))

    sent = []
    with connect(page_target(page, port), max_size=None) as ws:
        mouse(ws, "mouseMoved", x, 0)
        mouse(ws, "mousePressed", x, 1)
        time.sleep(0.1)
        start = time.perf_counter()
        for i in range(1, MOVES + 1):
            delay = start + i / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent.append(time.time() * 1000 + offset)  # on the page's clock
            mouse(ws, "mouseMoved", x + direction * 1.2 * i, 1)
        took = time.perf_counter() - start
        mouse(ws, "mouseReleased", x + direction * 1.2 * MOVES, 0)
        answered = 0
        while answered < MOVES + 3:  # every command answered before the socket closes
            answered += "id" in json.loads(ws.recv(timeout=30))
    page.wait_for_timeout(600)
    moves, asked, paints = page.evaluate("[window.__moves, window.__asked, window.__paints]")
    painted = [p for p in paints if p[0] >= sent[0]]
    # Each sent move is delivered by the first event the page received after it was sent
    # (Chromium may merge several moves into one event): its latency ends at that event's paint.
    latencies = []
    for when in sent:
        later = [i for i, t in enumerate(moves) if t >= when]
        if not later:
            continue
        first = helpers.move_latencies([moves[later[0]]], [asked[later[0]]], painted)
        if first:
            latencies.append(first[0] + moves[later[0]] - when)
    span = (painted[-1][0] - sent[0]) / 1000 if painted else None
    return {
        "moves_per_second": round(MOVES / took, 1),
        "events": len([t for t in moves if t >= sent[0]]),
        "updates_per_second": round(len(painted) / span, 1) if span else 0.0,
        **helpers.latency_summary(latencies),
    }


def kernels() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "ipykernel_launcher" in " ".join(p.cmdline())
    ]


def measure(page, root, count: int, drag=paced_drag) -> dict:
    """``count`` drags with the kernel running (the first left out), then two frozen ones."""
    idle = [drag(page, root, 1 if i % 2 == 0 else -1) for i in range(count)]
    frozen = []
    stopped = kernels()
    for process in stopped:
        process.send_signal(signal.SIGSTOP)
    try:
        for i in range(2):
            frozen.append(drag(page, root, 1 if (count + i) % 2 == 0 else -1))
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
        "events",
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
    parser.add_argument(
        "--hands", default="waiting,free", help="which of waiting,free (default: both)"
    )
    args = parser.parse_args(argv)
    if args.drags < 2:
        parser.error(f"--drags must be at least 2 (the first is left out), got {args.drags}")
    folder = Path(tempfile.mkdtemp(prefix="vaelab-latency-")) / "pages"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "explorer_app.ipynb")
    floor_notebook(folder / "floor.ipynb")
    results = {"load_before": os.getloadavg()}
    port = helpers.free_port()  # the free hand's own DevTools connection
    hands = {
        "waiting": paced_drag,
        "free": lambda page, root, direction: free_drag(page, root, direction, port),
    }
    hands = {name: hand for name, hand in hands.items() if name in args.hands.split(",")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=helpers.CHROMIUM,
            args=[*helpers.CHROMIUM_ARGS, f"--remote-debugging-port={port}"],
        )
        pages = ("jupyterlab", "voila")
        widgets = (("explorer_app.ipynb", "explorer"), ("floor.ipynb", "floor"))
        for page_name in [name for name in pages if name in args.pages.split(",")]:
            for notebook, label in [w for w in widgets if w[1] in args.widgets.split(",")]:
                opened = (
                    helpers.jupyterlab_page(browser, folder, notebook)
                    if page_name == "jupyterlab"
                    else helpers.voila_page(browser, folder, notebook)
                )
                with opened as (page, _):
                    root = page.locator(".jp-Notebook" if page_name == "jupyterlab" else "body")
                    for hand, drag in hands.items():
                        result = measure(page, root, args.drags, drag)
                        name = f"{page_name}, {label}" + (
                            "" if hand == "waiting" else ", free hand"
                        )
                        results[name] = result
                        short = {k: v for k, v in result.items() if k != "drags"}
                        print(f"{name}:", json.dumps(short), flush=True)
        browser.close()
    results["load_after"] = os.getloadavg()
    results["cpus"] = os.cpu_count()
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
