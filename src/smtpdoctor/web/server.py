"""uvicorn serving the dashboard inside the monitor's own event loop.

The socket is bound here (so "address in use" is the caller's one-line
error, not uvicorn's exit), and uvicorn is kept away from the process's
signals: SIGTERM and SIGHUP stay the monitor's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn

from smtpdoctor.web.app import Dashboard, create_app
from smtpdoctor.web.security import check_bind

__all__ = ["WebServer", "bind"]

log = logging.getLogger("smtpdoctor.web")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the monitor owns SIGTERM/SIGINT/SIGHUP


class WebServer:
    """Bind at construction (refusing a non-loopback address without a token)."""

    def __init__(self, dashboard: Dashboard, host: str, port: int) -> None:
        check_bind(host, dashboard.token)
        self.dashboard = dashboard
        self.sock = bind(host, port)
        config = uvicorn.Config(
            create_app(dashboard),
            log_config=None,
            access_log=False,
            lifespan="off",
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve from the running loop until :meth:`stop`."""
        self._task = asyncio.get_running_loop().create_task(self.server.serve([self.sock]))

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self.sock.close()
