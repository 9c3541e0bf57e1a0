"""Build the course as a static website: every notebook executed, its figures on the page.

    python tools/build_site.py            # full mode (the course as a learner runs it)
    python tools/build_site.py --quick    # VAELAB_QUICK=1: less data, one epoch (CI)
    python tools/build_site.py --out DIR  # where the HTML goes (default: build/site)

The builder is Sphinx with myst-nb and sphinx-book-theme (all from PyPI; it builds offline).
This tool prepares what Sphinx reads, in ``build/site-work/<mode>/src``:

* each ``notebooks/source/*.py`` (globbed: no list of names) as its **solution** notebook
  (``tools/build_notebooks.py``), where every cell that holds a solution is folded behind a
  "Show the solution" button and preceded by the exercise as the learner's notebook poses it,
  so a reader can predict before looking; below the title, links to download the learner and
  the solution ``.ipynb`` and to open the notebook on Binder (the explorer's pages also get the
  Voilà app);
* the notebooks **executed** here, with nbclient, offline (``VAELAB_OFFLINE=1``), saving the
  widget state so the pages' widgets (the explorer decodes in the page) work without a kernel.
  Executed notebooks are cached in ``build/site-work/<mode>/cache``, keyed by the code cells,
  the mode and the contents of ``vaelab/``: a rebuild without changes executes nothing, and
  Sphinx, which reads only files whose contents changed, rebuilds nothing either;
* ``docs/**/*.md`` (the start page and the instructors' page) and ``docs/explorer.png``.

Sphinx's settings are ``docs/conf.py``. MathJax, RequireJS and Jupyter's HTML widget manager
come from ``js/vendor/`` (``tools/vendor_js.py``) and anywidget's front end from the installed
package: no page loads a script, a style or a font from another site.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build_notebooks  # noqa: E402  (the sibling tool: one source, two notebooks)

DOCS = ROOT / "docs"
WORK = ROOT / "build" / "site-work"
REPOSITORY = "https://github.com/vaelab/vaelab"
BINDER = "https://mybinder.org/v2/gh/vaelab/vaelab/HEAD"
#: Code that shows the latent explorer: its page links to the explorer app (Voilà) too.
EXPLORER = re.compile(r"\b(LatentExplorer|explorer_app)\(")
CELL_TIMEOUT = 1800  # seconds; full-mode training cells take minutes on 2 cores


def vaelab_digest() -> str:
    """A hash of everything in ``vaelab/``: executed outputs depend on the package too."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "vaelab").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def execution_key(notebook, quick: bool, package: str) -> str:
    """What an execution depends on: the code cells in order, the mode, the package."""
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    text = json.dumps({"code": code, "quick": quick, "vaelab": package})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def page_links(stem: str, shows_explorer: bool) -> str:
    """The line under a page's title: downloads and launch links."""
    links = [
        f"{{download}}`Learner notebook <_notebooks/learner/{stem}.ipynb>`",
        f"{{download}}`Solution notebook <_notebooks/solutions/{stem}.ipynb>`",
        f"[Open in JupyterLab on Binder]({BINDER}?urlpath=lab/tree/notebooks/{stem}.ipynb)",
    ]
    if shows_explorer:
        links.append(
            f"[Open the explorer app (Voilà on Binder)]"
            f"({BINDER}?urlpath=voila/render/notebooks/explorer_app.ipynb)"
        )
    return ":::{div} vaelab-links\n" + " · ".join(links) + "\n:::"


def page(source: Path):
    """The solution notebook of ``source`` as the site shows it (before execution)."""
    import nbformat

    built = build_notebooks.build(source, variant="solution")
    raw = build_notebooks.jupytext.read(source, fmt="py:percent").cells
    cells = []
    shows_explorer = False
    for index, (cell, original) in enumerate(zip(built.cells, raw)):
        if cell.cell_type == "code":
            shows_explorer = shows_explorer or bool(EXPLORER.search(cell.source))
        if cell.cell_type == "code" and build_notebooks.has_solution(original.source):
            learner = build_notebooks.variant_of(original.source, "learner")
            cells.append(
                nbformat.v4.new_markdown_cell(
                    "In the learner's notebook this cell reads as below: write your answer "
                    "first, then open the solution.\n\n```python\n" + learner + "\n```"
                )
            )
            cell.metadata = {
                "tags": ["hide-input"],
                "mystnb": {
                    "code_prompt_show": "Show the solution",
                    "code_prompt_hide": "Hide the solution",
                },
            }
        cells.append(cell)
        if index == 0 and cell.cell_type == "markdown" and cell.source.startswith("# "):
            title, _, rest = cell.source.partition("\n")
            cell.source = title
            cells.append(nbformat.v4.new_markdown_cell("PLACEHOLDER"))
            if rest.strip():
                cells.append(nbformat.v4.new_markdown_cell(rest.strip("\n")))
    for cell in cells:
        if cell.source == "PLACEHOLDER":
            cell.source = page_links(source.stem, shows_explorer)
    for number, cell in enumerate(cells):
        cell.id = f"{source.stem[:2]}-site-{number:02d}"
    built.cells = cells
    return built


def execute(notebook, quick: bool):
    """Run ``notebook`` top to bottom in a fresh kernel, offline, keeping the widget state."""
    from nbclient import NotebookClient

    saved = {name: os.environ.get(name) for name in ("VAELAB_QUICK", "VAELAB_OFFLINE")}
    os.environ["VAELAB_OFFLINE"] = "1"
    if quick:
        os.environ["VAELAB_QUICK"] = "1"
    else:
        os.environ.pop("VAELAB_QUICK", None)
    try:
        with tempfile.TemporaryDirectory() as folder:
            NotebookClient(
                notebook,
                timeout=CELL_TIMEOUT,
                kernel_name="python3",
                store_widget_state=True,
                resources={"metadata": {"path": folder}},
            ).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return notebook


def blank(output) -> bool:
    """An output that shows nothing (a closed progress bar leaves an empty text), which a page
    would draw as an empty box."""
    data = output.get("data", {})
    return (
        output.get("output_type") == "display_data"
        and set(data) == {"text/plain"}
        and not (data["text/plain"].strip())
    )


def with_outputs(notebook, executed):
    """``notebook`` with the outputs (and widget state) of ``executed``, whose code matches."""
    notebook = copy.deepcopy(notebook)
    done = [cell for cell in executed.cells if cell.cell_type == "code"]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell, ran in zip(code, done, strict=True):
        cell.outputs = [output for output in ran.outputs if not blank(output)]
        cell.execution_count = ran.execution_count
    if "widgets" in executed.metadata:
        notebook.metadata["widgets"] = executed.metadata["widgets"]
    return notebook


def write_if_changed(target: Path, data: bytes | str) -> bool:
    """Write ``target`` only when its contents change: Sphinx rebuilds files that are newer."""
    from vaelab.io import atomic_path

    data = data.encode("utf-8") if isinstance(data, str) else data
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as temporary:
        Path(temporary).write_bytes(data)
    return True


def prepare(work: Path, quick: bool, log=print) -> Path:
    """Write Sphinx's source folder under ``work``; returns it."""
    import nbformat

    src, cache = work / "src", work / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    package = vaelab_digest()
    expected = set()
    for source in build_notebooks.source_paths():
        notebook = page(source)
        key = execution_key(notebook, quick, package)
        cached = cache / f"{source.stem}-{key}.ipynb"
        if cached.is_file():
            executed = nbformat.read(cached, as_version=4)
        else:
            log(f"executing {source.stem} ({'quick' if quick else 'full'} mode)...")
            start = time.monotonic()
            executed = execute(copy.deepcopy(notebook), quick)
            write_if_changed(cached, nbformat.writes(executed))
            log(f"  {source.stem}: {time.monotonic() - start:.0f} s")
            for stale in cache.glob(f"{source.stem}-*.ipynb"):
                if stale != cached:
                    stale.unlink()
        name = f"{source.stem}.ipynb"
        write_if_changed(src / name, nbformat.writes(with_outputs(notebook, executed)))
        for variant, folder in (("learner", "learner"), ("solution", "solutions")):
            built = build_notebooks.notebook_path(source, variant)
            write_if_changed(src / "_notebooks" / folder / name, built.read_bytes())
            expected.add(Path("_notebooks") / folder / name)
        expected.add(Path(name))
    for path in [*DOCS.rglob("*.md"), DOCS / "explorer.png"]:
        if "_static" not in path.parts:
            write_if_changed(src / path.relative_to(DOCS), path.read_bytes())
            expected.add(path.relative_to(DOCS))
    for path in list(src.rglob("*")):  # a notebook renamed or removed leaves no page behind
        if path.is_file() and path.relative_to(src) not in expected:
            path.unlink()
    return src


def prune(built: Path) -> None:
    """Remove the figures and downloads no page links any more: Sphinx keeps those of earlier
    builds (a notebook executed again writes its figures under new names)."""
    pages = "".join(page.read_text(encoding="utf-8") for page in built.rglob("*.html"))
    linked = set(re.findall(r"(_images/[^\"'?#\s]+|_downloads/[0-9a-f]+/)", pages))
    for folder in ("_images", "_downloads"):
        for path in sorted((built / folder).glob("*")):
            name = path.relative_to(built).as_posix() + ("/" if path.is_dir() else "")
            if name not in linked:
                path.unlink() if path.is_file() else shutil.rmtree(path)


def mirror(built: Path, out: Path) -> None:
    """Make ``out`` a copy of ``built`` (only changed files copied, stale ones removed)."""
    out.mkdir(parents=True, exist_ok=True)
    for path in built.rglob("*"):
        target = out / path.relative_to(built)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif not target.is_file() or target.read_bytes() != path.read_bytes():
            shutil.copy2(path, target)
    for path in sorted(out.rglob("*"), reverse=True):
        if not (built / path.relative_to(out)).exists():
            path.unlink() if path.is_file() else shutil.rmtree(path)


def build(out: Path, quick: bool = False, log=print) -> Path:
    """Prepare, execute what changed, run Sphinx, copy the HTML to ``out``; returns ``out``."""
    work = WORK / ("quick" if quick else "full")
    src = prepare(work, quick, log)
    html = work / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(DOCS), "-d"]
    command += [str(work / "doctrees"), "-W", "--keep-going", "-q", str(src), str(html)]
    log("sphinx-build ...")
    subprocess.run(command, check=True)
    prune(html)
    mirror(html, out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="VAELAB_QUICK=1: a fast build (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="HTML folder")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        out = build(args.out.resolve(), args.quick)
    except subprocess.CalledProcessError as error:
        print(f"sphinx-build failed (exit {error.returncode}): see its messages above")
        return 1
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"site in {out}: {size / 1e6:.1f} MB, built in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
