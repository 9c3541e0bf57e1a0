"""Lines of code in the vaelab package: blank lines and docstrings not counted.

    python benchmarks/library_size.py [REV]

Without REV it counts the working tree; with a git revision (e.g. ``HEAD~5``) it counts
``vaelab/`` as it was there, so before and after come from the same ruler.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def code_lines(source: str) -> int:
    """Non-blank lines that are not part of a module, class or function docstring."""
    tree = ast.parse(source)
    docstring_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    docstring_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip() and number not in docstring_lines
    )


def package_files(revision: str | None) -> dict[str, str]:
    if revision is None:
        return {
            str(p.relative_to(ROOT)): p.read_text() for p in sorted(ROOT.glob("vaelab/**/*.py"))
        }
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "vaelab/"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        name: subprocess.run(
            ["git", "show", f"{revision}:{name}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name in names
        if name.endswith(".py")
    }


def main(argv: list[str]) -> int:
    revision = argv[0] if argv else None
    counts = {name: code_lines(text) for name, text in package_files(revision).items()}
    for name, count in counts.items():
        print(f"{count:5d}  {name}")
    print(f"{sum(counts.values()):5d}  total ({revision or 'working tree'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
