"""A Jupyter server extension installed with vaelab: widget updates without a 40 ms stall.

Jupyter's kernel websocket leaves Nagle's algorithm on. When a slider move makes the kernel send
several small messages in a row (status, echo, new image, crosshair), the later ones wait for
the browser's delayed acknowledgement of the first: about 40 ms on Linux. Tornado recommends
``set_nodelay(True)`` for websockets that carry small interactive messages; this extension does
that for kernel websockets (figures in ``benchmarks/README.md``).

It imports only ``jupyter_server`` (``vaelab/__init__`` loads nothing heavy), so the server
does not load Keras. Enabled by ``etc/jupyter/jupyter_server_config.d/vaelab.json``, which
every install writes; ``jupyter server extension disable vaelab.server`` turns it off.
"""

from __future__ import annotations

import functools

_MARK = "_vaelab_nodelay"


def _jupyter_server_extension_points():
    return [{"module": "vaelab.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    if not getattr(KernelWebsocketHandler.open, _MARK, False):
        original = KernelWebsocketHandler.open

        @functools.wraps(original)
        async def open(self, *args, **kwargs):
            self.set_nodelay(True)
            return await original(self, *args, **kwargs)

        setattr(open, _MARK, True)
        KernelWebsocketHandler.open = open
    serverapp.log.info("vaelab.server: kernel websockets send small messages at once (TCP_NODELAY)")
