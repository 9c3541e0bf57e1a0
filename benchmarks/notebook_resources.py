"""Wall time and peak memory (kernel VmHWM) of every notebook, in quick or full mode.

    VAELAB_QUICK=0 python benchmarks/notebook_resources.py [--solutions] [--out FILE] [NAME ...]

``--solutions`` runs ``notebooks/solutions/`` (every exercise answered) instead of the learner
notebooks of ``notebooks/``. ``--save DIR`` keeps the executed notebooks there, outputs and
figures included (to read a full-mode run's numbers and look at its figures).

Each notebook runs top to bottom in a fresh kernel (nbclient), as "Restart and run all" does.
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

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run(path: Path, save: Path | None = None) -> dict:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=1800,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        pid = client.km.provisioner.process.pid
        with open(f"/proc/{pid}/status") as status:
            peak_kb = int(next(line.split()[1] for line in status if line.startswith("VmHWM")))
    stderr = sum(
        1
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stderr"
    )
    seconds = time.perf_counter() - start
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        write_text_atomic(save / path.name, nbformat.writes(notebook))
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "stderr_outputs": stderr,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--solutions", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--save", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = NOTEBOOKS / "solutions" if args.solutions else NOTEBOOKS
    os.environ.setdefault("VAELAB_OFFLINE", "1")
    mode = "quick" if os.environ.get("VAELAB_QUICK", "0") == "1" else "full"
    results = {
        "mode": mode,
        "variant": "solution" if args.solutions else "learner",
        "notebooks": {},
    }
    for path in sorted(folder.glob("*.ipynb")):
        if args.names and not any(name in path.name for name in args.names):
            continue
        results["notebooks"][path.name] = run(path, args.save)
        print(mode, path.name, results["notebooks"][path.name], flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
