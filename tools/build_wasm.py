"""Compile the page's forward-pass kernels, ``js/wasm/forward.ts``, to WebAssembly.

``vaelab/static/latent.js`` runs the course's decoders in the page; its heavy loops (dense and
convolution layers, four float32 lanes at a time with SIMD) are the AssemblyScript of
``js/wasm/forward.ts``. This script installs the compiler pinned in ``js/package.json`` and
``js/package-lock.json`` (``npm ci`` in a temporary folder: the lock file's integrity hashes
are checked by npm), compiles, writes ``js/wasm/forward.wasm`` and embeds the same bytes, as
base64, in latent.js between its ``forward.wasm: BEGIN`` and ``END`` lines, with the sha256 of
what they were built from: the source, the options and the compiler's version
(``tests/test_widgets.py`` checks it against the committed ones). Only whoever changes the
kernels needs node; the course's install paths never do. The module is ours (the compiler adds
no library code with ``--runtime stub``).

    python tools/build_wasm.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
SOURCE = JS / "wasm" / "forward.ts"
BINARY = JS / "wasm" / "forward.wasm"
LATENT = ROOT / "vaelab" / "static" / "latent.js"
BEGIN, END = "// forward.wasm: BEGIN", "// forward.wasm: END"
#: The compiler's options: optimised, no runtime library or assertions, SIMD, and the memory
#: that latent.js makes (so it can size it to the decoder).
OPTIONS = ["-O3", "--noAssert", "--runtime", "stub", "--enable", "simd"]
OPTIONS += ["--importMemory", "--noExportMemory"]


def compiler_version() -> str:
    return json.loads((JS / "package.json").read_text())["devDependencies"]["assemblyscript"]


def build_digest() -> str:
    """sha256 of what the module is built from: the source, the options and the compiler's
    version (a change to any of them without a rebuild fails ``tests/test_widgets.py``)."""
    recipe = SOURCE.read_bytes() + "\0".join([*OPTIONS, compiler_version()]).encode()
    return hashlib.sha256(recipe).hexdigest()


def embed(binary: bytes) -> None:
    from vaelab.io import write_text_atomic

    text = LATENT.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"{LATENT}: expected one {BEGIN!r} and one {END!r} line")
    head, rest = text.split(BEGIN + "\n", 1)
    _, tail = rest.split(END, 1)
    encoded = base64.b64encode(binary).decode()
    line = f'const FORWARD_WASM = "{encoded}";  // build sha256: {build_digest()}'
    write_text_atomic(LATENT, f"{head}{BEGIN}\n{line}\n{END}{tail}")


def main() -> int:
    if shutil.which("npm") is None:
        raise SystemExit("npm was not found: install node.js (only needed to rebuild the kernels)")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(JS / name, folder / name)
        install = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
        subprocess.run(install, cwd=folder, check=True)
        out = folder / "forward.wasm"
        compiler = folder / "node_modules" / ".bin" / "asc"
        subprocess.run([str(compiler), str(SOURCE), *OPTIONS, "-o", str(out)], check=True)
        binary = out.read_bytes()
    from vaelab.io import atomic_path

    with atomic_path(BINARY) as tmp:
        tmp.write_bytes(binary)
    embed(binary)
    print(f"{BINARY.relative_to(ROOT)}: {len(binary)} B, embedded in {LATENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
