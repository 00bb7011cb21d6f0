"""The monitor's own HTTP endpoint: ``/metrics`` and ``/healthz``, on a thread.

A stdlib ``ThreadingHTTPServer``: the monitor's loop never waits for a
scrape, and a scrape reads the collector's snapshot without locks the loop
would take. Binds to loopback unless told otherwise.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import generate_latest

from smtpdoctor.monitor.metrics import CONTENT_TYPE, registry_for

if TYPE_CHECKING:
    from smtpdoctor.monitor.service import Monitor

__all__ = ["MonitorServer"]


class MonitorServer:
    def __init__(
        self, monitor: Monitor, host: str = "127.0.0.1", port: int = 9425, stale_after: float = 60.0
    ) -> None:
        self.monitor = monitor
        self.registry = registry_for(monitor)
        self.stale_after = stale_after
        handler = _handler(self)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> MonitorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="smtpdoctor-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def health(self) -> tuple[int, dict[str, Any]]:
        m = self.monitor
        age = time.time() - m.heartbeat
        doc = {
            "status": "ok",
            "loop_seconds_ago": round(age, 1),
            "store": "ok" if m.buffered.available else "buffering",
            "store_pending_records": m.buffered.pending,
            "notifications_pending": len(m.dispatcher.pending),
            "targets": len(m.config.targets),
        }
        if age > self.stale_after:
            doc["status"] = "stalled"
            return 503, doc
        if not m.buffered.available:
            doc["status"] = "degraded"
        return 200, doc


def _handler(server: MonitorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, CONTENT_TYPE, generate_latest(server.registry))
            elif path == "/healthz":
                status, doc = server.health()
                self._send(status, "application/json", json.dumps(doc).encode())
            else:
                self._send(404, "text/plain", b"not found: try /metrics or /healthz\n")

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds are not worth a log line

    return Handler
