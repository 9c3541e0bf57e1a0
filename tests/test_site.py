"""The course site (``tools/build_site.py``): pages made from the notebook sources, built once in
quick mode, then read as files and opened in headless Chromium.

The fast tests check how a page is made from a source (solutions folded, links, the execution
cache's key). The slow ones build the site once for the module (quick mode, every notebook
executed unless the build cache has it) and check what a reader gets: nothing loaded from
another site, no control characters or stderr on any page, every figure present, the notebooks
one click away, no script error in Chromium, every image loaded, and the search finding
"reparameterization".
"""

import functools
import http.server
import re
import sys
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_notebooks  # noqa: E402
import build_site  # noqa: E402

sys.path.remove(str(ROOT / "tools"))

SOURCES = build_notebooks.source_paths()
#: C0 control characters (and DEL) other than tab, newline and carriage return: a terminal's
#: progress bar leaves backspaces (\x08) and colour codes (\x1b[...) in an output.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: An address on another machine, in an attribute that makes the browser load it.
EXTERNAL = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc=[\"']?(https?:)?//(?!localhost|127\.)"
    r"|<link\b(?=[^>]*\brel=[\"']?(?:stylesheet|preload|modulepreload|icon|prefetch))"
    r"[^>]*\bhref=[\"']?(https?:)?//(?!localhost|127\.)"
    r"|@import\s+(?:url\()?[\"']?(https?:)?//"
    r"|url\([\"']?(https?:)?//(?!localhost|127\.)",
    re.I,
)


def is_folded(cell):
    return "hide-input" in cell.get("metadata", {}).get("tags", [])


#: The order in which myst-nb picks the one MIME type of an output that an HTML page shows.
SHOWN = [
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "text/plain",
]


def output_text(output) -> str:
    """The text of an output that a page shows: a stream's, or that of the MIME type the page
    picks (Keras' model summary also carries a text/plain with colour codes, which a page
    with its text/html never shows)."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    shown = next((kind for kind in SHOWN if kind in data), None)
    text = data.get(shown, "") if shown and shown.startswith("text/") else ""
    return text if isinstance(text, str) else "".join(text)


def folded(notebook):
    return [cell for cell in notebook.cells if is_folded(cell)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_each_solution_is_folded_after_the_exercise_as_posed(source):
    """A page shows the learner's form of each solution cell, then the solution folded."""
    page = build_site.page(source)
    raw = build_notebooks.jupytext.read(source, fmt="py:percent").cells
    solved = [
        c.source for c in raw if c.cell_type == "code" and build_notebooks.has_solution(c.source)
    ]
    hidden = folded(page)
    assert [cell.source for cell in hidden] == [
        build_notebooks.variant_of(code, "solution") for code in solved
    ]
    for cell in hidden:
        assert cell.metadata["mystnb"]["code_prompt_show"] == "Show the solution"
        before = page.cells[page.cells.index(cell) - 1]
        assert before.cell_type == "markdown"
        learner = build_notebooks.variant_of(solved[hidden.index(cell)], "learner")
        assert "```python\n" + learner + "\n```" in before.source
    shown = [c.source for c in page.cells if c.cell_type == "code" and c not in hidden]
    for code in shown:  # every other code cell is the same for the learner and the solution
        assert build_notebooks.variant_of(code, "learner") == code


def test_every_exercise_has_a_folded_solution():
    """Each exercise (every entry of solutions.json) is posed by a folded cell or by the check
    cell right after one."""
    found = set()
    for source in SOURCES:
        cells = build_site.page(source).cells
        for index, cell in enumerate(cells):
            if is_folded(cell) or (index and is_folded(cells[index - 1])):
                found |= set(build_notebooks.EXERCISE.findall(cell.source))
    exercises = set(build_notebooks.solutions())
    assert exercises and exercises <= found, f"not folded: {sorted(exercises - found)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_each_page_links_its_notebooks_and_binder(source):
    page = build_site.page(source)
    assert page.cells[0].source.startswith("# ") and "\n" not in page.cells[0].source
    links = page.cells[1].source
    name = f"{source.stem}.ipynb"
    assert f"<_notebooks/learner/{name}>" in links
    assert f"<_notebooks/solutions/{name}>" in links
    assert f"urlpath=lab/tree/notebooks/{name}" in links
    code = "\n".join(c.source for c in page.cells if c.cell_type == "code")
    assert ("voila/render/notebooks/explorer_app.ipynb" in links) == bool(
        build_site.EXPLORER.search(code)
    )


def test_the_execution_key_follows_the_code_the_mode_and_the_package():
    page = build_site.page(SOURCES[0])
    key = build_site.execution_key(page, quick=True, package="a")
    text_changed = nbformat.reads(nbformat.writes(page), as_version=4)
    next(c for c in text_changed.cells if c.cell_type == "markdown").source += " more prose"
    assert build_site.execution_key(text_changed, quick=True, package="a") == key
    code_changed = nbformat.reads(nbformat.writes(page), as_version=4)
    next(c for c in code_changed.cells if c.cell_type == "code").source += "\nx = 1"
    assert build_site.execution_key(code_changed, quick=True, package="a") != key
    assert build_site.execution_key(page, quick=False, package="a") != key
    assert build_site.execution_key(page, quick=True, package="b") != key


def test_the_checks_catch_what_they_look_for():
    """The patterns the slow tests use find a progress bar's junk and a CDN script."""
    assert CONTROL.search("10/10 [=====]\x08\x08\x08 - loss") and CONTROL.search("\x1b[1m")
    assert not CONTROL.search("tab\tnewline\n")
    bar = nbformat.v4.new_output("stream", name="stdout", text="1/1 \x1b[32m━━\x1b[0m\x08\x08")
    assert CONTROL.search(output_text(bar))
    shown = nbformat.v4.new_output("display_data", data={"text/plain": "\x1b[1mloss\x1b[0m"})
    assert CONTROL.search(output_text(shown))
    data = {"text/html": "<b>loss</b>", "text/plain": "\x1b[1mloss\x1b[0m"}
    assert not CONTROL.search(output_text(nbformat.v4.new_output("display_data", data=data)))
    assert EXTERNAL.search('<script src="https://cdn.jsdelivr.net/npm/x.js"></script>')
    assert EXTERNAL.search("<link rel=\"stylesheet\" href='//fonts.example/x.css'>")
    assert EXTERNAL.search("src: url(https://fonts.gstatic.com/x.woff2)")
    assert not EXTERNAL.search('<a href="https://mybinder.org/v2/gh/vaelab/vaelab/HEAD">')
    assert not EXTERNAL.search('<script src="_static/mathjax/es5/tex-chtml.js"></script>')


# ---------------------------------------------------------------------------------------------
# The built site (quick mode), once for the module.


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build_site.build(out, quick=True)
    return out


def pages(site):
    """The site's pages (not the theme's HTML templates that Sphinx copies into _static)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def executed(site):
    """The executed notebooks the pages were made from, by name."""
    src = build_site.WORK / "quick" / "src"
    return {p.stem: nbformat.read(p, as_version=4) for p in src.glob("*.ipynb")}


@pytest.mark.slow
def test_the_site_has_a_page_per_notebook_and_the_instructors_page(site):
    names = {p.relative_to(site).as_posix() for p in pages(site)}
    assert {f"{source.stem}.html" for source in SOURCES} <= names
    assert {"index.html", "instructors/index.html", "search.html"} <= names
    index = (site / "index.html").read_text(encoding="utf-8")
    for source in SOURCES:  # the course's navigation lists every notebook
        assert f'href="{source.stem}.html"' in index


@pytest.mark.slow
def test_nothing_is_loaded_from_another_site(site):
    found = {}
    for path in [*pages(site), *site.rglob("*.css")]:
        hits = [m.group(0)[:120] for m in EXTERNAL.finditer(path.read_text(encoding="utf-8"))]
        if hits:
            found[path.relative_to(site).as_posix()] = hits
    assert found == {}


@pytest.mark.slow
def test_pages_are_clean(site):
    """No control characters, no colour codes turned into spans, no stderr, on any page and in
    any executed notebook's outputs."""
    for path in pages(site):
        text = path.read_text(encoding="utf-8")
        assert not CONTROL.search(text), f"{path.name}: {CONTROL.search(text)!r}"
        assert "ansi-" not in text, f"{path.name} shows terminal colour codes"
        assert "output stderr" not in text, f"{path.name} shows stderr"
    for name, notebook in executed(site).items():
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                assert output.get("name") != "stderr", f"{name}: stderr {output['text'][:300]}"
                assert output.get("output_type") != "error", f"{name}: an error"
                text = output_text(output)
                assert not CONTROL.search(text), f"{name}: {text[:300]!r}"


@pytest.mark.slow
def test_every_figure_is_on_its_page(site):
    for name, notebook in executed(site).items():
        figures = sum(
            "image/png" in output.get("data", {})
            for cell in notebook.cells
            for output in cell.get("outputs", [])
        )
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        shown = re.findall(r'<img[^>]*src="(_images/[^"]+)"', html)
        assert len(shown) == figures, f"{name}: {len(shown)} images for {figures} figures"
        for image in shown:
            assert (site / image).stat().st_size > 0


@pytest.mark.slow
def test_the_notebooks_are_one_click_away(site):
    for source in SOURCES:
        html = (site / f"{source.stem}.html").read_text(encoding="utf-8")
        links = re.findall(rf'href="(_downloads/[0-9a-f]+/{source.stem}\.ipynb)"', html)
        assert len(links) == 2, f"{source.stem}: {links}"
        files = sorted((site / link).read_bytes() for link in links)
        expected = sorted(
            build_notebooks.notebook_path(source, variant).read_bytes()
            for variant in build_notebooks.VARIANTS
        )
        assert files == expected
        solutions = len(folded(build_site.page(source)))
        assert html.count("Show the solution") == solutions


# ---------------------------------------------------------------------------------------------
# In the browser.


@pytest.fixture(scope="module")
def served(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium():
    import test_browser  # Chromium and its flags; skips (or fails in CI) without Chromium

    with test_browser.playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=test_browser.CHROMIUM, args=test_browser.CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def open_page(chromium, width=1280):
    """A page that records script errors, failed responses and requests to other machines."""
    import test_browser

    page = chromium.new_page(viewport={"width": width, "height": 900})
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    tried = test_browser.block_the_network(page)
    return page, problems, tried


@pytest.mark.slow
def test_every_page_loads_in_chromium(site, served, chromium):
    """No script error, no failed request, nothing from the network, every image loaded,
    MathJax typesets the math and the widgets render from their saved state."""
    page, problems, tried = open_page(chromium)
    for path in pages(site):
        name = path.relative_to(site).as_posix()
        page.goto(served + name, wait_until="load")
        page.wait_for_load_state("networkidle")
        html = path.read_text(encoding="utf-8")
        if "application/vnd.jupyter.widget-view+json" in html:
            page.locator(".jupyter-widgets").first.wait_for(state="attached", timeout=60_000)
        if "math notranslate" in html:
            page.locator("mjx-container").first.wait_for(state="attached", timeout=60_000)
        broken = page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.currentSrc || i.src)"
        )
        assert broken == [], f"{name}: images that did not load: {broken}"
        assert problems == [], f"{name}: {problems}"
        assert tried == [], f"{name} tried the network: {tried}"
    page.close()


@pytest.mark.slow
def test_the_search_finds_reparameterization(served, chromium):
    page, problems, tried = open_page(chromium)
    page.goto(served + "search.html?q=reparameterization")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=60_000)
    titles = " ".join(results.all_inner_texts())
    assert "Building the VAE" in titles, titles
    assert problems == [] and tried == []
    page.close()


@pytest.mark.slow
def test_the_explorer_moves_on_its_page_without_a_kernel(site, served, chromium):
    """The page that shows the latent explorer: dragging a slider changes the digit, decoded
    in the page from the saved widget state (no kernel, network blocked)."""
    import test_browser

    code = {
        source.stem: "\n".join(c.source for c in build_site.page(source).cells)
        for source in SOURCES
    }
    names = [name for name, text in code.items() if "LatentExplorer(" in text]
    assert names, "no notebook shows the LatentExplorer"
    page, problems, tried = open_page(chromium)
    page.goto(served + f"{names[0]}.html")
    explorer = page.locator("canvas.vaelab-digit").first
    explorer.scroll_into_view_if_needed(timeout=60_000)
    root = page.locator(".cell_output", has=page.locator("canvas.vaelab-digit")).first
    before, after, _ = test_browser.drag_slider(page, root)
    assert after != before, "the digit did not change"
    assert problems == [] and tried == []
    page.close()
