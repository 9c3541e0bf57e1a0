"""An opt-in Jupyter server extension: widget updates without a 40 ms stall.

Jupyter's kernel websocket leaves Nagle's algorithm on. When a slider move makes the kernel send
several small messages in a row (status, echo, new image, crosshair), the later ones wait for
the browser's delayed acknowledgement of the first: about 40 ms on Linux. Tornado recommends
``set_nodelay(True)`` for websockets that carry small interactive messages; this extension does
that for kernel websockets (figures in ``benchmarks/README.md``).

Installing vaelab does not enable it: it patches the server's websocket handler, so it is
turned on only where asked, for one server
(``jupyter lab --ServerApp.jpserver_extensions=vaelab.server=True``) or for the course's
own environment (``jupyter server extension enable --sys-prefix vaelab.server``, as
``binder/postBuild`` does). Importing this module changes nothing; only loading it as an
extension patches the handler, in that server process. It imports only ``jupyter_server``.
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
