"""An opt-in Jupyter server extension: widget updates without a 40 ms stall.

Jupyter's kernel websocket leaves Nagle's algorithm on. When a slider move makes the kernel send
several small messages in a row (status, echo, new image, crosshair), the later ones wait for
the browser's delayed acknowledgement of the first: about 40 ms on Linux. Tornado recommends
``set_nodelay(True)`` for websockets that carry small interactive messages; this extension does
that for kernel websockets (figures in ``benchmarks/README.md``).

Installing vaelab does not enable it: it patches the server's websocket handler, so it is
turned on only where asked, for one server
(``jupyter lab --ServerApp.jpserver_extensions=vaelab.server=True``) or for the course's
own environment (``python -m vaelab.server enable``, as ``binder/postBuild`` does; ``disable``
turns it off). Importing this module changes nothing; only loading it as an extension patches
the handler, in that server process. It imports only ``jupyter_server`` (and, to write the
config entry, :mod:`vaelab.io`).

``jupyter server extension enable`` cannot do the second: since jupyter_server 2.x it enables
only extensions that already have an entry in the environment's config, and vaelab installs
none. ``python -m vaelab.server enable`` writes that entry,
``<prefix>/etc/jupyter/jupyter_server_config.d/vaelab.server.json``, the file an extension's package
would otherwise install; after it, ``jupyter server extension list`` shows it and
``jupyter server extension disable --sys-prefix vaelab.server`` works too.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path

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


def config_file(prefix: str | os.PathLike | None = None) -> Path:
    """The environment's config entry for this extension (``prefix`` defaults to ``sys.prefix``)."""
    return Path(
        prefix or sys.prefix, "etc", "jupyter", "jupyter_server_config.d", "vaelab.server.json"
    )


def set_enabled(enabled: bool, prefix: str | os.PathLike | None = None) -> Path:
    """Write the environment's config entry for this extension, atomically; return its path."""
    from vaelab.io import write_text_atomic

    path = config_file(prefix)
    entry = {"ServerApp": {"jpserver_extensions": {"vaelab.server": enabled}}}
    write_text_atomic(path, json.dumps(entry, indent=2) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vaelab.server",
        description="Turn vaelab's server extension (TCP_NODELAY on kernel websockets) on or off "
        "for every Jupyter server of one environment.",
    )
    parser.add_argument("action", choices=["enable", "disable"])
    parser.add_argument(
        "--prefix", default=sys.prefix, help="the environment (default: this Python's, %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        path = set_enabled(args.action == "enable", args.prefix)
    except OSError as error:
        print(
            f"vaelab.server: could not write the config entry under {args.prefix}: {error}. "
            "Run it as the environment's owner, or pass --prefix for an environment you own.",
            file=sys.stderr,
        )
        return 1
    print(f"vaelab.server {args.action}d for the environment {args.prefix} ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
