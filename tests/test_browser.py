"""A real JupyterLab and a real Voilà page in headless Chromium: run, drag, see the digit change;
draw a digit and see its q(z|x); the page's decoder against Keras.

Needs Debian's Chromium (``/usr/bin/chromium`` or ``$VAELAB_CHROMIUM``). Without it the tests
are skipped, except in CI (``CI=true``), where that is a failure. Each run writes screenshots
and the measured slider → paint latencies (a first drag and a second one back) to ``artifacts/``.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts a Jupyter server and Chromium

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("VAELAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run must install it", pytrace=False)
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set VAELAB_CHROMIUM)",
        allow_module_level=True,
    )

playwright_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "explorer_app.ipynb", folder / "explorer_app.ipynb")
    return folder


def _server(command, url, cwd):
    # The install enables nothing: the JupyterLab command below opts in to vaelab.server for
    # its one server, as the README's troubleshooting section shows.
    env = {**os.environ, "VAELAB_OFFLINE": "1", "JUPYTER_PLATFORM_DIRS": "1"}
    log = open(cwd.parent / f"server-{secrets.token_hex(3)}.log", "w")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(url, process)
    except Exception:
        process.terminate()
        log.close()
        raise RuntimeError(Path(log.name).read_text()[-3000:]) from None
    return process, log


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Installed once per page and digit (a second drag only empties the lists): listeners added
# again on every drag would record each move and paint several times. A paint is a new value of
# the digit canvas' data-paints counter, which the page's explorer raises after each drawing,
# seen at the next animation frame. The explorer also numbers its decodes (data-asked: the
# newest asked for; data-shown: the one on screen), so a move's latency ends at the first paint
# of a decode asked for after the move, not at a paint of an older z that happens to land after
# it. The slider handles a move after the capture listener below has run, so the decode the move
# asks for is numbered above data-asked there. A move's time is its event's timeStamp, when the
# browser received it: the wait for the page's next frame (pointer moves are dispatched once per
# frame) and for a page too busy to take moves as they come counts too. __handled keeps when the
# page's handlers began, the start of the prototype's and the first measurements.
LATENCY_PROBE = """
(digit) => {
  window.__moves = []; window.__handled = []; window.__asked = []; window.__paints = [];
  window.__digit = digit;
  if (!window.__probing) {
    window.__probing = true;
    document.addEventListener('pointermove', (event) => {
      window.__moves.push(event.timeStamp);  // when the browser got the move
      window.__handled.push(performance.now());  // when the page began to handle it
      const asked = window.__digit.dataset.asked;
      window.__asked.push(asked === undefined ? null : Number(asked));
    }, true);
  }
  if (!digit.__probed) {
    digit.__probed = true;
    new MutationObserver(() => {
      const shown = digit.dataset.shown === undefined ? null : Number(digit.dataset.shown);
      requestAnimationFrame(() => window.__paints.push([performance.now(), shown]));
    }).observe(digit, {attributes: true, attributeFilter: ['data-paints', 'src']});
  }
}
"""


def move_latencies(moves, asked, paints):
    """Each move → the first later paint that shows its z (or a newer one), in ms.

    ``moves``: times; ``asked``: the newest decode the page had asked for when the move arrived
    (None where the page does not number them: then the first paint after the move counts);
    ``paints``: (time, decode shown). Every move counts, also one that moved the slider by less
    than its step (it waits for the next move's digit).
    """
    latencies = []
    for moved, before in zip(moves, asked):
        later = [t for t, shown in paints if t >= moved and (before is None or shown > before)]
        if later:
            latencies.append(later[0] - moved)
    return latencies


#: The digit the page shows: the explorer's canvas, or the floor widget's image.
DIGIT = "canvas.vaelab-digit, .widget-image, img.jupyter-widgets"
#: What the digit shows, as a string that changes when its pixels do.
PIXELS = """(selector) => {
  const digit = document.querySelector(selector);
  return digit.tagName === 'CANVAS' ? digit.toDataURL() : digit.src;
}"""


def digit_pixels(page):
    return page.evaluate(PIXELS, DIGIT)


def drag_slider(page, root, steps=40, direction=1, slider=0):
    """Drag a slider's handle in small steps (right, or left with direction=-1).

    Returns what the digit showed before and after, and the slider → paint latencies in ms.
    """
    digit = root.locator(DIGIT).first
    digit.wait_for(state="visible", timeout=180_000)
    page.wait_for_timeout(300)
    before = digit_pixels(page)
    digit.evaluate(LATENCY_PROBE)
    handle = root.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").nth(slider)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x + 3 * i * direction, y)
        page.wait_for_timeout(60)
    page.mouse.up()
    page.wait_for_function(
        f"(before) => ({PIXELS})({DIGIT!r}) !== before", arg=before, timeout=30_000
    )
    page.wait_for_timeout(500)
    moves, asked, paints = page.evaluate("[window.__moves, window.__asked, window.__paints]")
    return before, digit_pixels(page), move_latencies(moves, asked, paints)


def readout(page, index=0):
    """The value a slider shows (ipywidgets writes a minus sign, not a hyphen)."""
    text = page.locator(".widget-readout").nth(index).inner_text()
    return float(text.replace("\u2212", "-"))


def the_scatter_moves_z(page):
    """A click on the scatter's canvas moves the cross, z₁ and z₂'s sliders, and the digit."""
    overlay = page.locator(".vaelab-overlay-canvas").first
    before = digit_pixels(page), overlay.get_attribute("data-cross")
    box = overlay.bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function(
        "(c) => document.querySelector('.vaelab-overlay-canvas').dataset.cross !== c",
        arg=before[1],
        timeout=10_000,
    )
    cross = [float(v) for v in overlay.get_attribute("data-cross").split(",")]
    assert cross[0] > 0 and cross[1] > 0, cross  # right of and above the middle
    assert digit_pixels(page) != before[0]
    assert [readout(page, 0), readout(page, 1)] == pytest.approx(cross, abs=0.011)
    assert (
        page.locator(".vaelab-pixels").first.evaluate("e => getComputedStyle(e).imageRendering")
        == "pixelated"
    )


def latency_summary(latencies):
    ordered = sorted(latencies)
    summary = {"count": len(ordered)}
    if ordered:
        summary.update(
            median_ms=round(ordered[len(ordered) // 2], 1),
            p95_ms=round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        )
    return summary


def record(name, first, second):
    """Write the latencies of the first drag (the page may still be settling) and of the second."""
    ARTIFACTS.mkdir(exist_ok=True)
    summary = {"first drag": latency_summary(first), "second drag": latency_summary(second)}
    (ARTIFACTS / f"{name}-latency.json").write_text(json.dumps(summary, indent=1))
    print(name, summary)


STARTED = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
                    .some((prompt) => prompt.textContent.trim() !== '[ ]:')"""


def run_all_cells(page, attempts=3):
    """Run > Run All Cells, once the kernel is idle; again if no cell started.

    A Run All chosen while the kernel still starts can be dropped by JupyterLab (seen here about
    once in six page loads: every prompt stayed ``[ ]:``), so wait for the status bar's "Idle"
    and check that a prompt changed.
    """
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    for attempt in range(attempts):
        page.get_by_role("menuitem", name="Run").click()
        page.locator('li[data-command="runmenu:run-all"]').click()
        try:
            page.wait_for_function(STARTED, timeout=15_000)
            return
        except playwright_api.TimeoutError:
            if attempt == attempts - 1:
                raise


@contextmanager
def jupyterlab_page(browser, folder, notebook):
    """JupyterLab on ``folder``, ``notebook`` open in a fresh workspace, all cells run.

    Returns (page, server log).
    """
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.news_url=",
        "--ServerApp.open_browser=False",
        "--ServerApp.jpserver_extensions=vaelab.server=True",  # opt in, this server only
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    server, log = _server(command, f"http://127.0.0.1:{port}/api/status?token={token}", folder)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.blocked = block_the_network(page)
        # A fresh workspace: nothing restored from an earlier session covers or hides the notebook.
        page.goto(
            f"http://127.0.0.1:{port}/lab/workspaces/{secrets.token_hex(4)}/tree/{notebook}?reset&token={token}"
        )
        page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
        no_news = page.get_by_role("button", name="No", exact=True)
        if no_news.count():
            no_news.first.click()
        page.locator(".jp-Notebook .jp-Cell").first.click()
        run_all_cells(page)
        yield page, Path(log.name)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@contextmanager
def voila_page(browser, folder, notebook):
    """Voilà serving ``notebook`` from ``folder``, opened: (page, server log)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        notebook,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]
    server, log = _server(command, f"http://127.0.0.1:{port}/", folder)
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.blocked = block_the_network(page)
        page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
        yield page, Path(log.name)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


#: The lab test's notebook: the app's explorer, whose kernel writes down what it hears from the
#: first slider (its pid, how many values, the last), and the drawing pad of notebook 02, whose
#: kernel writes down the pixels it encoded and their code.
LAB_CELLS = [
    """\
import json, os
from vaelab.app import explorer_app

explorer = explorer_app()
heard = []

def record(change):
    heard.append(change["new"])
    with open("kernel.json", "w") as file:
        json.dump({"pid": os.getpid(), "values": heard, "z": explorer.z.tolist()}, file)

explorer.sliders[0].observe(record, "value")
with open("kernel.json", "w") as file:
    json.dump({"pid": os.getpid(), "values": [], "z": explorer.z.tolist()}, file)
explorer""",
    """\
import numpy as np
from vaelab.data import load_mnist
from vaelab.models import load_vae
from vaelab.widgets import PosteriorSketch

vae = load_vae("mnist")
(_, _), (x_test, y_test) = load_mnist(verbose=False)
sketch = PosteriorSketch(vae, x_test[:500], y_test[:500])

def encoded(change):
    if sketch.z_mean is not None:
        with open("sketch.json", "w") as file:
            drawing = list(sketch.view.drawing)
            json.dump({"drawing": drawing, "z_mean": sketch.z_mean.tolist()}, file)

sketch.view.observe(encoded, "posterior")
sketch""",
]


def lab_notebook(path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in LAB_CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


def read_json_when(path, accept, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = json.loads(path.read_text())
            if accept(value):
                return value
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{path.name} did not show what was expected within {timeout} s")


def block_the_network(page):
    """Abort every request that leaves this machine; return the list of those tried."""
    tried = []

    def handle(route):
        host = route.request.url.split("/")[2] if "://" in route.request.url else ""
        if route.request.url.startswith(("data:", "blob:")) or host.split(":")[0] in (
            "127.0.0.1",
            "localhost",
        ):
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return tried


def draw_a_stroke(page, points):
    pad = page.locator("canvas.vaelab-drawing").first
    box = pad.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for point in at[1:]:
        page.mouse.move(*point, steps=6)
    page.mouse.up()


def the_page_s_28x28(page):
    """The drawing averaged over 10×10 blocks, computed here from the page's 280×280 canvas."""
    import numpy as np

    rgba = page.evaluate(
        """() => Array.from(document.querySelector('canvas.vaelab-drawing').getContext('2d')
                   .getImageData(0, 0, 280, 280).data.filter((_, i) => i % 4 === 0))"""
    )
    big = np.asarray(rgba, dtype=np.float64).reshape(280, 280)
    return np.round(big.reshape(28, 10, 28, 10).mean(axis=(1, 3))).astype(np.uint8)


def test_jupyterlab_explorer_and_drawing(browser, tmp_path):
    import signal

    import numpy as np

    from vaelab.latent import encode
    from vaelab.models import load_vae

    lab_notebook(tmp_path / "lab.ipynb")
    with jupyterlab_page(browser, tmp_path, "lab.ipynb") as (page, log):
        # Drawing: a stroke encodes in the kernel, the ellipse appears; another moves it.
        page.locator("canvas.vaelab-drawing").first.wait_for(state="visible", timeout=180_000)
        page.locator("canvas.vaelab-drawing").first.scroll_into_view_if_needed()
        draw_a_stroke(page, [(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)])
        page.wait_for_function(
            "() => document.querySelectorAll('.vaelab-overlay-canvas')[1]?.dataset.ellipse",
            timeout=120_000,
        )
        first = page.locator(".vaelab-overlay-canvas").nth(1).get_attribute("data-ellipse")
        mean = page.locator('canvas[aria-label="decoded mean of q(z|x)"]').first
        assert int(mean.get_attribute("data-paints")) >= 1, "the decoded mean was not painted"
        sketch = read_json_when(tmp_path / "sketch.json", lambda v: True)
        pixels = the_page_s_28x28(page)
        np.testing.assert_array_equal(
            np.asarray(sketch["drawing"], np.uint8).reshape(28, 28), pixels
        )
        vae = load_vae("mnist")
        z_mean = encode(vae.encoder, pixels.reshape(1, 28, 28, 1) / np.float32(255))[0][0]
        np.testing.assert_allclose(sketch["z_mean"], z_mean, atol=1e-5)
        assert first == ",".join(f"{v:.3f}" for v in z_mean)
        page.locator("button.vaelab-clear").first.click()
        draw_a_stroke(page, [(0.25, 0.3), (0.75, 0.3), (0.3, 0.8)])
        page.wait_for_function(
            "(f) => document.querySelectorAll('.vaelab-overlay-canvas')[1].dataset.ellipse"
            " && document.querySelectorAll('.vaelab-overlay-canvas')[1].dataset.ellipse !== f",
            arg=first,
            timeout=60_000,
        )
        # The explorer: the digit follows the drag; the kernel hears where the slider ended.
        root = page.locator(".jp-Notebook")
        page.locator("canvas.vaelab-digit").first.scroll_into_view_if_needed()
        before, after, latencies = drag_slider(page, root)
        assert after != before, "the decoded digit did not change during the drag"
        engine = page.locator("canvas.vaelab-digit").first.get_attribute("data-engine")
        assert engine == "wasm", f"the explorer decoded with {engine}, not WebAssembly"
        shown = readout(page)
        kernel = read_json_when(
            tmp_path / "kernel.json", lambda v: v["values"] and abs(v["z"][0] - shown) < 0.006
        )
        assert len(kernel["values"]) <= 3, f"the kernel heard {len(kernel['values'])} moves"
        # The same with the kernel frozen: the digit still follows; afterwards Python knows z.
        os.kill(kernel["pid"], signal.SIGSTOP)
        try:
            _, back, second = drag_slider(page, root, direction=-1)
            assert back != after, "the digit did not follow the drag with the kernel frozen"
        finally:
            os.kill(kernel["pid"], signal.SIGCONT)
        shown = readout(page)
        read_json_when(tmp_path / "kernel.json", lambda v: abs(v["z"][0] - shown) < 0.006)
        stderr = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        assert stderr.count() == 0, "red log noise in the notebook: " + stderr.first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "explorer-lab.png"))
        record("lab", latencies, second)
        assert latencies and second, "no slider move was followed by a repaint"
        the_scatter_moves_z(page)
        assert page.blocked == [], f"the page tried the network: {page.blocked}"
    assert "vaelab.server: kernel websockets send small messages at once" in log.read_text()


def test_voila_app(browser, workdir):
    with voila_page(browser, workdir, "explorer_app.ipynb") as (page, _):
        before, after, latencies = drag_slider(page, page.locator("body"))
        assert after and after != before, "the decoded digit did not change after the drag"
        engine = page.locator("canvas.vaelab-digit").first.get_attribute("data-engine")
        assert engine == "wasm", f"the app decoded with {engine}, not WebAssembly"
        _, back, second = drag_slider(page, page.locator("body"), direction=-1)
        assert back != after, "the decoded digit did not change after dragging back"
        page.screenshot(path=str(ARTIFACTS / "explorer-voila.png"))
        record("voila", latencies, second)
        assert latencies and second, "no slider move was followed by a repaint"
        the_scatter_moves_z(page)
        # With the network blocked the app works; the only requests that left were Voilà's own
        # template asking jsDelivr for Font Awesome's CSS (icons the app does not use).
        tried = [url for url in page.blocked if "/@fortawesome/fontawesome-free@" not in url]
        assert tried == [], f"the page tried the network: {tried}"


# ----- the page's decoder against Keras, in Chromium ------------------------------------------

DECODE_IN_THE_PAGE = """async ([source, spec, weights64, z, engine, simd]) => {
  if (!simd) WebAssembly.validate = () => false;  // a browser without WebAssembly SIMD
  const module = await import(URL.createObjectURL(new Blob([source], {type: 'text/javascript'})));
  const raw = Uint8Array.from(atob(weights64), (c) => c.charCodeAt(0));
  const net = module.prepare(spec, raw, engine);
  const out = new Uint8Array(module.forwardBatch(net, Float32Array.from(z)).buffer);
  let text = '';
  for (let i = 0; i < out.length; i += 8192) {
    text += String.fromCharCode.apply(null, out.subarray(i, i + 8192));
  }
  return [net.engine, btoa(text)];
}"""


#: The page's two engines: WebAssembly SIMD (what Chromium, Firefox and Safari ≥ 16.4 run) and
#: the plain JavaScript it falls back to elsewhere. Both are held to Keras. (Engine asked for:
#: engine expected to run.)
ENGINES = {"wasm": "wasm", "js": "js"}


def decode_in_the_page(browser, decoder, z, engine="wasm", simd=True):
    """What the page's forward pass (vaelab/static/latent.js) gives for ``z``: (the engine
    that ran, asked for ``engine``; the outputs)."""
    import base64

    import numpy as np

    from vaelab.widgets import STATIC, page_decoder

    page_model = page_decoder(decoder)
    page = browser.new_page()
    try:
        page.set_content("<html><body></body></html>")
        ran, encoded = page.evaluate(
            DECODE_IN_THE_PAGE,
            [
                (STATIC / "latent.js").read_text(),
                page_model.spec,
                base64.b64encode(page_model.weights).decode(),
                np.asarray(z, np.float32).ravel().tolist(),
                engine,
                simd,
            ],
        )
    finally:
        page.close()
    outputs = np.frombuffer(base64.b64decode(encoded), np.float32).reshape(len(z), 28, 28, 1)
    return ran, outputs


def parity(browser, decoder, z, name, engines=ENGINES, simd=True):
    """Pixels of the page against Keras, for each engine: float and grey-level differences,
    recorded. ``engines`` maps the engine asked for to the one expected to run; ``simd=False``
    decodes in a page that cannot run WebAssembly SIMD."""
    import numpy as np

    from vaelab.latent import decode

    keras = decode(decoder, z)
    results = {}
    for engine, expected in engines.items():
        ran, page = decode_in_the_page(browser, decoder, z, engine, simd)
        assert ran == expected, f"{name}: asked for the {engine} engine, {ran} ran"
        grey = [(np.clip(v, 0, 1) * 255 + 0.5).astype(np.int16) for v in (page, keras)]
        result = {
            "points": len(z),
            "engine": ran,
            "max_abs": float(np.abs(page - keras).max()),
            "mean_abs": float(np.abs(page - keras).mean()),
            "max_grey_levels": int(np.abs(grey[0] - grey[1]).max()),
        }
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"parity-{name}-{engine}.json").write_text(json.dumps(result, indent=1))
        print(name, result)
        assert result["max_abs"] <= 1e-4 and result["max_grey_levels"] <= 1, result
        results[engine] = result
    return results


def test_the_page_decodes_like_keras(browser, pretrained, mnist):
    """1,000 random z in the explorer's range, for the pretrained model and a fresh one."""
    import numpy as np

    from vaelab.latent import encode
    from vaelab.models import build_vae
    from vaelab.training import train
    from vaelab.widgets import latent_limits

    (x_train, _), (x_test, _) = mnist
    rng = np.random.default_rng(0)
    low, high = latent_limits(encode(pretrained.encoder, x_test[:2000])[0])
    parity(browser, pretrained.decoder, rng.uniform(low, high, (1000, 2)), "pretrained")
    fresh = build_vae()
    train(fresh, x_train[:1024], num_epochs=1, verbose=0)
    low, high = latent_limits(encode(fresh.encoder, x_test[:2000])[0])
    parity(browser, fresh.decoder, rng.uniform(low, high, (1000, 2)), "trained")


@pytest.mark.parametrize("latent_dim", [1, 5, 8, 12])
def test_the_page_decodes_every_course_decoder_shape(browser, latent_dim):
    import numpy as np

    from vaelab.models import build_autoencoder, build_vae

    z = np.random.default_rng(latent_dim).normal(0, 2, (50, latent_dim))
    parity(browser, build_vae(latent_dim=latent_dim).decoder, z, f"vae-{latent_dim}")
    parity(browser, build_autoencoder(latent_dim=latent_dim).decoder, z, f"ae-{latent_dim}")


def test_every_layer_kind_runs_in_both_engines(browser):
    """A decoder built to reach every path of both engines: a dense layer per pixel (rows > 1),
    one whose 7 units have no WebAssembly kernel (its JavaScript step runs on the module's
    memory), tanh after a WebAssembly kernel, a transposed convolution with "valid" padding,
    stride 2, no bias and 20 channels (16 at a time, then 4), and a last convolution summed over
    its inputs."""
    import keras
    import numpy as np

    inputs = keras.Input((3,))
    x = keras.layers.Dense(14 * 14 * 8, activation="relu")(inputs)
    x = keras.layers.Reshape((14, 14, 8))(x)
    x = keras.layers.Dense(7, activation="relu")(x)
    x = keras.layers.Dense(12, activation="tanh")(x)
    x = keras.layers.Conv2DTranspose(20, 3, strides=2, use_bias=False, activation="tanh")(x)
    outputs = keras.layers.Conv2D(1, 2, activation="sigmoid")(x)  # 29 x 29 -> 28 x 28
    decoder = keras.Model(inputs, outputs)
    z = np.random.default_rng(3).normal(0, 2, (20, 3))
    parity(browser, decoder, z, "every-layer-kind")


def test_a_page_without_webassembly_simd_decodes_in_javascript(browser, pretrained):
    import numpy as np

    z = np.random.default_rng(4).uniform(-3, 3, (50, 2))
    parity(browser, pretrained.decoder, z, "no-simd", engines={"wasm": "js"}, simd=False)


def test_an_exported_page_moves_the_digit_without_a_kernel(browser, tmp_path):
    """tools/export_html.py: the executed app as HTML, served here, the network blocked."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from export_html import export
    finally:
        sys.path.remove(str(ROOT / "tools"))
    page_path = export(ROOT / "notebooks" / "explorer_app.ipynb", tmp_path, execute=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", server)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        tried = block_the_network(page)
        page.goto(f"http://127.0.0.1:{port}/{page_path.name}")
        before, after, latencies = drag_slider(page, page.locator("body"))
        assert after != before, "the digit did not change in the page without a kernel"
        assert latencies
        engine = page.locator("canvas.vaelab-digit").first.get_attribute("data-engine")
        assert engine == "wasm", f"the exported page decoded with {engine}, not WebAssembly"
        the_scatter_moves_z(page)
        assert tried == [], f"the page tried the network: {tried}"
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
