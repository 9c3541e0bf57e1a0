"""Rebuild ``js/vendor/`` from npm: what a page without a kernel needs to show the widgets.

``tools/export_html.py`` writes an executed notebook as an HTML page whose widgets come alive
from their saved state, with no kernel and no network. That page needs Jupyter's HTML widget
manager (``@jupyter-widgets/html-manager``: ``embed-amd.js`` with ipywidgets' controls, BSD-3)
and RequireJS (MIT), and for the course site MathJax (Apache-2.0), at the versions pinned
in ``js/package.json`` and ``js/package-lock.json``. This script fetches the packages with
``npm pack``, checks each tarball against the lock file's integrity hash, and copies the files
used (and the licences) into ``js/vendor/``, beside ``LICENSES.md``, written by hand. Only
whoever updates the pins needs node; the course's install paths never do.

    python tools/vendor_js.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
VENDOR = JS / "vendor"
#: package → files copied from its tarball (paths inside ``package/``), fonts the CSS asks
#: for first (woff2: every current browser) and package.json, which names the licence (the
#: licence texts are in js/vendor/LICENSES.md).
FILES = {
    "@jupyter-widgets/html-manager": ["dist/embed-amd.js", "dist/*.woff2", "package.json"],
    "requirejs": ["require.js", "package.json"],
    # The course site's math (tools/build_site.py): TeX input, CommonHTML output with its fonts,
    # and the TeX extensions MathJax loads on demand (\boldsymbol, ...).
    "mathjax": [
        "es5/tex-chtml.js",
        "es5/output/chtml/fonts/woff-v2/*.woff",
        "es5/input/tex/extensions/**/*.js",
        "es5/ui/*.js",
        "LICENSE",
        "package.json",
    ],
}


def main() -> int:
    lock = json.loads((JS / "package-lock.json").read_text())["packages"]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        VENDOR.mkdir(exist_ok=True)  # LICENSES.md, written by hand, stays
        for name, patterns in FILES.items():
            entry = lock[f"node_modules/{name}"]
            spec = f"{name}@{entry['version']}"
            packed = subprocess.run(
                ["npm", "pack", spec, "--json"], cwd=folder, check=True, capture_output=True
            )
            tarball = folder / json.loads(packed.stdout)[0]["filename"]
            algorithm, expected = entry["integrity"].split("-", 1)
            digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest())
            if digest.decode() != expected:
                raise SystemExit(f"{spec}: the tarball does not match package-lock.json")
            target = VENDOR / name.split("/")[-1]
            if target.exists():
                shutil.rmtree(target)
            with tarfile.open(tarball) as archive:
                archive.extractall(folder / target.name, filter="data")
            source = folder / target.name / "package"
            for pattern in patterns:
                for path in sorted(source.glob(pattern)):
                    (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, target / path.relative_to(source))
            print(f"{spec}: {sum(p.stat().st_size for p in target.rglob('*') if p.is_file())} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
