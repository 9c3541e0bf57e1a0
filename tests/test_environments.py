"""pyproject.toml, environment.yml, binder/ and the README/CI commands never drift apart."""

import os
import re
import stat
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
ALIASES = {
    "tensorflow-cpu": "tensorflow"
}  # the Binder image uses the CPU build of the same package


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()
    return ALIASES.get(name, name)


def pyproject_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]}


def environment_yml_names():
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+- ([A-Za-z0-9_.-]+)", line)
        if match and match.group(1) not in {"pip", "python", "-e"}:
            names.add(_name(match.group(1)))
    return names


def binder_names():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    return {_name(line) for line in lines if line.strip() and not line.startswith("#")}


def test_all_three_environments_name_the_same_packages():
    expected = pyproject_names()
    assert environment_yml_names() == expected
    assert binder_names() == expected


def test_binder_pins_every_package():
    for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line.strip()), line


def test_environment_yml_lower_bounds_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {
        _name(r): r.split(">=")[1].split(";")[0].strip()
        for r in project["dependencies"] + project["optional-dependencies"]["lab"]
    }
    text = (ROOT / "environment.yml").read_text()
    for name, bound in bounds.items():
        assert f"{name}>={bound}" in text, f"environment.yml should ask for {name}>={bound}"
    assert "-e ." in text


def test_binder_scripts():
    post_build = ROOT / "binder" / "postBuild"
    start = ROOT / "binder" / "start"
    for script in (post_build, start):
        assert script.stat().st_mode & stat.S_IXUSR, f"{script.name} must be executable"
        assert script.read_text().startswith("#!/bin/bash\n")
    lines = [
        line
        for line in post_build.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "set -e"
    assert "pip install --no-deps" in post_build.read_text()
    assert start.read_text().rstrip().splitlines()[-1] == 'exec "$@"'
    assert "OMP_NUM_THREADS=2" in start.read_text()


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(python3 -m venv .*?)\n```", text)


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    setup, test = _readme_commands()
    assert "jupyter lab notebooks/00_start_here.ipynb" in setup
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_binder_badges_open_the_course_and_the_app():
    text = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/notebooks/00_start_here.ipynb" in text
    assert "urlpath=voila/render/notebooks/explorer_app.ipynb" in text


def test_every_requirement_is_valid_pep_508():
    """Build backends refuse what pip's parser might pass over (hatchling did, on `not (...)`)."""
    from packaging.requirements import InvalidRequirement, Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lists = [project["dependencies"], *project["optional-dependencies"].values()]
    for requirement in (r for group in lists for r in group):
        try:
            Requirement(requirement)
        except InvalidRequirement as error:  # pragma: no cover - the failure message
            raise AssertionError(f"{requirement!r}: {error}") from None
