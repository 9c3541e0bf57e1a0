"""Where a slider move's time goes before the browser: the kernel alone, then kernel + server.

The browser benchmark (``browser_latency.py``) measures slider drag → digit painted. This one
takes the browser out: it sends the same ``comm_msg`` a dragged slider sends and times the
replies (kernel ``busy``, the value's echo, the new image, kernel ``idle``),

* straight to the kernel over ZeroMQ (``jupyter_client``): the kernel's own share;
* through a Jupyter server's kernel websocket (the v1 protocol JupyterLab uses, with the
  ``vaelab.server`` extension on): what the server adds.

What is left of the browser figure after these is the browser's (JupyterLab's or Voilà's) share.
Pages: the explorer app (pretrained model, scatter and crosshair) and the bare widget of
``floor_widget.py`` (a slider that swaps two precomputed PNGs), as in ``browser_latency.py``.

    python benchmarks/kernel_roundtrip.py [--moves 150] [--out results_kernel_roundtrip.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from floor_widget import FLOOR_CODE  # noqa: E402

from vaelab.io import write_text_atomic  # noqa: E402

SETUP = {
    "explorer": """
import vaelab.data
from vaelab.models import load_vae
from vaelab.widgets import LatentExplorer
(_, _), (x_test, y_test) = vaelab.data.load_mnist(source="bundled", verbose=False)
vae = load_vae("mnist")
explorer = LatentExplorer(vae.decoder, vae.encoder, x_test, y_test)
print(explorer.sliders[0].model_id, explorer.image.model_id)
""",
    "bare widget": FLOOR_CODE + "\nprint(slider.model_id, image.model_id)\n",
}


def slider_value(move: int) -> float:
    return round(-2.0 + (move % 40) * 0.1, 2)  # inside the slider's range: no clamping reply


def summary(times):
    ordered = sorted(times)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "median_ms": round(ordered[len(ordered) // 2], 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
    }


def label(content, image_id) -> str | None:
    """Which of the timed replies a message is (None: not one of them)."""
    if "execution_state" in content:
        return (
            content["execution_state"] if content["execution_state"] in ("busy", "idle") else None
        )
    data = content.get("data", {})
    if data.get("method") == "echo_update":
        return "echo"
    if content.get("comm_id") == image_id and data.get("method") == "update":
        return "image"  # the PNG travels as a binary buffer, not in the state
    return None


class Timings(dict):
    def add(self, name, started):
        self.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    def summaries(self, moves):
        missing = [
            name for name in ("busy", "echo", "image", "idle") if len(self.get(name, [])) != moves
        ]
        if missing:  # a reply not recognised would otherwise leave an empty row, silently
            raise RuntimeError(
                f"not one reply per move for {missing}: "
                f"{ {name: len(times) for name, times in self.items()} } in {moves} moves"
            )
        return {name: summary(self[name]) for name in ("busy", "echo", "image", "idle")}


def update_message(session, slider_id, move):
    return session.msg(
        "comm_msg",
        {
            "comm_id": slider_id,
            "data": {
                "method": "update",
                "state": {"value": slider_value(move)},
                "buffer_paths": [],
            },
        },
    )


async def measure(session, send, receive, code: str, moves: int) -> dict:
    """Run ``code`` in the kernel, then send ``moves`` slider updates and time each one's replies.

    ``send(message)`` puts a message on the shell channel; ``await receive()`` gives the next
    iopub message as a dict with ``msg_type``, ``parent_header`` and ``content``.
    """

    async def replies_to(message):
        while True:
            reply = await receive()
            if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                yield reply
                if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                    return

    setup = session.msg(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
        },
    )
    send(setup)
    slider_id, image_id = ids([reply async for reply in replies_to(setup)])
    timings = Timings()
    for move in range(moves):
        message = update_message(session, slider_id, move)
        started = time.perf_counter()
        send(message)
        async for reply in replies_to(message):
            name = label(reply["content"], image_id)
            if name:
                timings.add(name, started)
        await asyncio.sleep(0.03)
    return timings.summaries(moves)


def direct(code: str, moves: int) -> dict:
    """The kernel alone: jupyter_client over ZeroMQ."""
    from jupyter_client.manager import start_new_async_kernel

    async def run():
        manager, client = await start_new_async_kernel(kernel_name="python3")
        try:
            return await measure(
                client.session,
                client.shell_channel.send,
                lambda: client.get_iopub_msg(timeout=300),
                code,
                moves,
            )
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    return asyncio.run(run())


def ids(messages):
    """The slider's and the image's model ids, printed by the setup code (or its error)."""
    for message in messages:
        if message["msg_type"] == "error":
            raise RuntimeError(
                "the setup code failed: " + "\n".join(message["content"]["traceback"])
            )
        if message["msg_type"] == "stream":
            slider_id, image_id = message["content"]["text"].split()
            return slider_id, image_id
    raise RuntimeError("the setup code printed no model ids")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def through_server(code: str, moves: int) -> dict:
    """Kernel + Jupyter server: the kernel websocket, v1 protocol, vaelab.server enabled."""
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection.base import (
        deserialize_msg_from_ws_v1,
        serialize_msg_to_ws_v1,
    )
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    port, token = free_port(), secrets.token_hex(16)
    folder = tempfile.mkdtemp(prefix="vaelab-roundtrip-")
    config_path = os.pathsep.join(
        filter(None, [str(ROOT / "jupyter-config"), os.environ.get("JUPYTER_CONFIG_PATH")])
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "server",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(
        command,
        env={**os.environ, "JUPYTER_CONFIG_PATH": config_path},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the Jupyter server did not start") from None
                time.sleep(0.3)
        request = urllib.request.Request(
            f"{base}/api/kernels?token={token}",
            data=b'{"name": "python3"}',
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        kernel_id = json.load(urllib.request.urlopen(request, timeout=60))["id"]
        session = Session(key=b"", username="benchmark")  # the server signs for the kernel

        async def run():
            url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}&token={token}"
            socket_ = await websocket_connect(
                HTTPRequest(url), subprotocols=["v1.kernel.websocket.jupyter.org"]
            )

            def send(message):
                parts = [
                    session.pack(message[key])
                    for key in ("header", "parent_header", "metadata", "content")
                ]
                socket_.write_message(serialize_msg_to_ws_v1(parts, "shell"), binary=True)

            async def receive():
                _, parts = deserialize_msg_from_ws_v1(
                    await asyncio.wait_for(socket_.read_message(), 300)
                )
                header, parent, _, content = (json.loads(part) for part in parts[:4])
                return {"msg_type": header["msg_type"], "parent_header": parent, "content": content}

            try:
                return await measure(session, send, receive, code, moves)
            finally:
                socket_.close()

        return asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=150, help="slider moves per page and path")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("VAELAB_OFFLINE", "1")
    results = {}
    for page, code in SETUP.items():
        for path, run in (("kernel alone", direct), ("kernel + server", through_server)):
            results[f"{page}, {path}"] = run(code, args.moves)
            print(f"{page}, {path}:", json.dumps(results[f"{page}, {path}"]), flush=True)
    results["cpus"] = os.cpu_count()
    if args.out:
        write_text_atomic(args.out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
