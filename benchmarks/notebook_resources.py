"""Wall time, kernel CPU time and peak memory (kernel VmHWM) of each notebook, quick or full.

    VAELAB_QUICK=0 python benchmarks/notebook_resources.py [--solutions] [--from-sources]
        [--out FILE] [--save DIR] [NAME ...]

``--solutions`` runs ``notebooks/solutions/`` (every exercise answered) instead of the learner
notebooks of ``notebooks/``. ``--from-sources`` builds each notebook from its text source
(``notebooks/source/``, as ``tools/build_notebooks.py`` does) instead of reading the written
one: the figures then hold for the sources as they are, built or not. ``--save DIR`` keeps the
executed notebooks there, outputs and figures included (to read a full-mode run's numbers and
look at its figures).

Each notebook runs top to bottom in a fresh kernel (nbclient), as "Restart and run all" does.
CPU seconds are the kernel's own (user + system, its children included): on a shared machine
they move less with the load than the wall time. ``warnings`` counts outputs, stdout included,
that carry a Python or TensorFlow warning (TensorFlow logs to stdout in a kernel).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from vaelab.io import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def notebooks(solutions: bool, from_sources: bool) -> dict:
    """Name → (notebook, the folder it runs in), sorted by name."""
    folder = NOTEBOOKS / "solutions" if solutions else NOTEBOOKS
    if not from_sources:
        return {
            path.name: (nbformat.read(path, as_version=4), folder)
            for path in sorted(folder.glob("*.ipynb"))
        }
    sys.path.insert(0, str(ROOT / "tools"))
    from build_notebooks import build, source_paths

    variant = "solution" if solutions else "learner"
    return {
        f"{source.stem}.ipynb": (build(source, variant=variant), folder)
        for source in source_paths()
    }


def run(notebook, name: str, folder: Path, save: Path | None = None) -> dict:
    client = NotebookClient(
        notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        pid = client.km.provisioner.process.pid
        with open(f"/proc/{pid}/status") as status:
            peak_kb = int(next(line.split()[1] for line in status if line.startswith("VmHWM")))
        with open(f"/proc/{pid}/stat") as stat:
            # utime, stime, cutime, cstime: fields 14-17, after the parenthesised name
            ticks = sum(int(v) for v in stat.read().rsplit(")", 1)[1].split()[11:15])
    stderr = sum(
        1
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stderr"
    )
    warnings = sum(
        1
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "Warning" in o.get("text", "") or "WARNING" in o.get("text", "")
    )
    seconds = time.perf_counter() - start
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        write_text_atomic(save / name, nbformat.writes(notebook))
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(ticks / os.sysconf("SC_CLK_TCK"), 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "stderr_outputs": stderr,
        "warnings": warnings,
        "load_1min_after": round(os.getloadavg()[0], 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--solutions", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--from-sources", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("VAELAB_OFFLINE", "1")
    mode = "quick" if os.environ.get("VAELAB_QUICK", "0") == "1" else "full"
    results = {
        "mode": mode,
        "variant": "solution" if args.solutions else "learner",
        "load_before": [round(v, 2) for v in os.getloadavg()],
        "notebooks": {},
    }
    for name, (notebook, folder) in notebooks(args.solutions, args.from_sources).items():
        if args.names and not any(wanted in name for wanted in args.names):
            continue
        results["notebooks"][name] = run(notebook, name, folder, args.save)
        print(mode, name, results["notebooks"][name], flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
