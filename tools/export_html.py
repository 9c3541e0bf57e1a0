"""An executed notebook as an HTML page whose widgets work without a kernel and without network.

nbconvert's HTML export with the widget state saved at execution: the page loads Jupyter's HTML
widget manager and RequireJS from ``js/vendor/`` (``tools/vendor_js.py``) and anywidget's
front end from the installed ``anywidget`` package (its AMD build, the version that saved the
state), all copied beside the page, instead of from a CDN; MathJax is left out. The explorer's
sliders then move its digit in the page (the decoder runs there). Issue 23's site reuses it.

    python tools/export_html.py NOTEBOOK.ipynb OUT_FOLDER [--execute]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "js" / "vendor"


def export(notebook, folder, execute: bool = False) -> Path:
    """Write ``folder/<name>.html`` and the scripts it loads; returns the page's path."""
    import anywidget
    import nbformat
    from nbconvert import HTMLExporter

    if not (VENDOR / "html-manager" / "dist" / "embed-amd.js").is_file():
        raise FileNotFoundError(f"{VENDOR} is missing the widget manager: run tools/vendor_js.py")
    notebook, folder = Path(notebook), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    content = nbformat.read(notebook, as_version=4)
    if execute:
        from nbclient import NotebookClient

        NotebookClient(
            content,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(notebook.parent)}},
        ).execute()
    if "widgets" not in content.metadata:
        raise ValueError(f"{notebook.name} has no saved widget state: pass --execute")
    exporter = HTMLExporter(
        template_name="lab",
        require_js_url="vendor/requirejs/require.js",
        widget_renderer_url="vendor/html-manager/dist/embed-amd.js",
        mathjax_url="",
    )
    body, _ = exporter.from_notebook_node(content)
    body = re.sub(r'<script src="">\s*</script>', "", body)  # the empty MathJax tag
    page = folder / f"{notebook.stem}.html"
    page.write_text(body, encoding="utf-8")
    shutil.copytree(VENDOR, folder / "vendor", dirs_exist_ok=True)
    # RequireJS resolves the module "anywidget" to ./anywidget.js beside the page.
    shutil.copy(
        Path(anywidget.__file__).parent / "nbextension" / "index.js", folder / "anywidget.js"
    )
    return page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("folder")
    parser.add_argument("--execute", action="store_true", help="run it first (saves the state)")
    args = parser.parse_args(argv)
    print(export(args.notebook, args.folder, args.execute))
    return 0


if __name__ == "__main__":
    sys.exit(main())
