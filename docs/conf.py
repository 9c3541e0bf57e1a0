"""Sphinx settings of the course site; ``python tools/build_site.py`` builds it.

The pages are notebooks already executed by ``tools/build_site.py`` (with their widget state),
so myst-nb executes nothing. Every script, style and font a page loads is served by the site:
MathJax, RequireJS and Jupyter's HTML widget manager from ``js/vendor/``
(``tools/vendor_js.py``), anywidget's and ipympl's front ends from the installed packages. The
instructors' page takes its figures from ``benchmarks/results_*.json`` and its commands from
``README.md`` (substitutions below), so they cannot drift apart.
"""

import json
import re
from pathlib import Path

import anywidget
import ipympl

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BENCHMARKS = ROOT / "benchmarks"

project = "vaelab"
author = "the vaelab authors"
copyright = "2026, the vaelab authors (MIT)"
extensions = ["myst_nb", "sphinx_design"]
exclude_patterns = ["_notebooks/**", "**.ipynb_checkpoints"]
master_doc = "index"

# myst-nb: render, never execute (tools/build_site.py did); stderr shown, so a test sees it.
nb_execution_mode = "off"
nb_output_stderr = "show"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence", "substitution"]
myst_heading_anchors = 3

# Served by the site itself (relative paths are under _static/).
mathjax_path = "mathjax/es5/tex-chtml.js"
# \texttt{z\_log\_var} in the notebooks' math: text-mode escapes need MathJax's textmacros.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}
nb_ipywidgets_js = {
    "requirejs/require.js": {},
    "vaelab-widgets.js": {},
    "html-manager/dist/embed-amd.js": {},
}
html_static_path = ["_static", str(ROOT / "js" / "vendor")]
html_css_files = ["vaelab.css"]
html_context = {"default_mode": "light"}  # else the theme logs an error on a first visit

html_theme = "sphinx_book_theme"
html_title = "vaelab: variational autoencoders you can play with"
html_favicon = "_static/favicon.png"  # a decoded digit; without one browsers ask for /favicon.ico
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "repository_url": "https://github.com/vaelab/vaelab",
    "repository_branch": "HEAD",
    "path_to_docs": "notebooks",  # a page NAME is notebooks/NAME.ipynb, the learner's notebook
    "use_repository_button": True,
    "use_download_button": False,  # the pages carry their own: learner and solution notebooks
    "use_fullscreen_button": False,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}


def _json(name):
    return json.loads((BENCHMARKS / name).read_text(encoding="utf-8"))


def _readme_command(label):
    """The bash block that follows ``label`` in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(label) + r".*?```bash\n(.*?)```", readme, re.S)
    if found is None:
        raise ValueError(f"README.md has no bash block after {label!r}: update docs/conf.py")
    return found.group(1).strip()


def _substitutions():
    """The instructors' page's figures, each read from a benchmark file."""
    notebooks = _json("results_notebooks_full_solutions.json")["notebooks"]
    rows = ["| notebook | full mode | peak memory |", "| --- | ---: | ---: |"]
    for name, figures in notebooks.items():
        rows.append(
            f"| `{name.removesuffix('.ipynb')}` | {figures['seconds']:.0f} s "
            f"| {figures['peak_rss_mb']:,} MB |"
        )
    course = {k: v for k, v in notebooks.items() if k != "explorer_app.ipynb"}
    peak = max(figures["peak_rss_mb"] for figures in course.values())
    app = _json("results_app_load_page_decoder.json")["after"]["runs"]
    one = next(run for run in app if run["viewers"] == 1)
    six = next(run for run in app if run["viewers"] == 6)
    pool = [
        run
        for run in _json("results_app_load.json")["runs"]
        if run["app"] == "litert" and run["preheat"] and run["viewers"] == 1
    ]
    kernel = one["kernel_rss_mb"]["median"]
    return {
        "memory_table": "\n".join(rows),
        "notebook_peak_mb": f"{peak:,}",
        "class_peak_gb": f"{30 * peak / 1000:.0f}",
        "course_seconds": f"{sum(f['seconds'] for f in course.values()):.0f}",
        "app_kernel_mb": f"{kernel}",
        "app_class_gb": f"{30 * kernel / 1000:.1f}",
        "app_six_total_mb": f"{six['kernel_rss_mb']['total']}",
        "app_first_digit_s": f"{one['first_digit_s']['median']}",
        "app_server_cpu_s": f"{one['server_cpu_s_per_viewer']}",
        "pool_first_digit_s": f"{pool[0]['first_digit_s']['median']}",
        "pool_server_cpu_s": f"{pool[0]['server_cpu_s_per_viewer']}",
        "setup_command": _bash(_readme_command("**Set up and open the course**")),
        "test_command": _bash(_readme_command("**Run the tests**")),
        "voila_command": _bash(_readme_command("## Serving the app to a class")),
    }


def _bash(command):
    return f"```bash\n{command}\n```"


myst_substitutions = _substitutions()


#: Widget front ends beyond ipywidgets' own controls, each from the installed Python package
#: that saved the widgets' state (its AMD build): RequireJS module name -> package.
WIDGET_MODULES = {"anywidget": anywidget, "jupyter-matplotlib": ipympl}


def _copy_widget_modules(app, exception):
    """Each of :data:`WIDGET_MODULES` to ``_static/<module>/index.js`` (with its licence
    notice), where ``_static/vaelab-widgets.js`` points RequireJS."""
    if exception is None and app.builder.format == "html":
        for module, package in WIDGET_MODULES.items():
            target = Path(app.outdir) / "_static" / module
            target.mkdir(parents=True, exist_ok=True)
            for source in (Path(package.__file__).parent / "nbextension").glob("index.js*"):
                if source.suffix != ".map":
                    (target / source.name).write_bytes(source.read_bytes())


def setup(app):
    app.connect("build-finished", _copy_widget_modules)
