"""Keep the committed notebooks clean: the policy, and the tool that applies it.

Policy (checked by ``tests/test_notebooks.py``):

* no outputs and no execution counts, except in cells marked ``# NBVAL_CHECK_OUTPUT``, which
  keep their plain-text outputs (nbval compares those on every test run) and, as nbval requires
  of a cell with outputs, an execution count: the cell's position among the code cells;
* notebook metadata is exactly a python3 kernelspec and the language name (no widget state,
  no per-machine versions); cell metadata is empty.

Usage::

    python tools/clean_notebooks.py            # clean every notebook in notebooks/ in place
    python tools/clean_notebooks.py --refresh  # first run them (quick mode) to refresh checked outputs
    python tools/clean_notebooks.py --check    # exit 1 if any notebook is not clean
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _plain(output):
    if output.get("output_type") == "stream":
        return nbformat.v4.new_output("stream", name=output["name"], text=output["text"])
    if output.get("output_type") == "execute_result" and "text/plain" in output.get("data", {}):
        return nbformat.v4.new_output("execute_result", data={"text/plain": output["data"]["text/plain"]},
                                      execution_count=None)
    return None


def clean(notebook):
    """Return a cleaned copy of ``notebook`` (a NotebookNode)."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata = copy.deepcopy(METADATA)
    position = 0
    for cell in notebook.cells:
        cell.metadata = {}
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        position += 1
        cell.execution_count = None
        if cell.source.lstrip().startswith(CHECK_MARK):
            cell.outputs = [plain for plain in map(_plain, cell.outputs) if plain is not None]
            cell.execution_count = position if cell.outputs else None
        else:
            cell.outputs = []
    return notebook


def notebook_paths():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def refresh(path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    os.environ.setdefault("VAELAB_QUICK", "1")
    os.environ.setdefault("VAELAB_OFFLINE", "1")
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    dirty = []
    for path in notebook_paths():
        notebook = refresh(path) if args.refresh else nbformat.read(path, as_version=4)
        cleaned = clean(notebook)
        if args.check:
            if cleaned != nbformat.read(path, as_version=4):
                dirty.append(path.name)
            continue
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(cleaned, tmp)
        os.replace(tmp, path)
        print(f"cleaned {path.name}")
    if dirty:
        print("not clean: " + ", ".join(dirty) + " (run python tools/clean_notebooks.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
