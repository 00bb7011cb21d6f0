"""Servers the monitor's integration tests own: a TCP switch (targets break and
mend), a webhook receiver, an SMTP sink, Prometheus and Alertmanager in temporary
directories, and ``smtpdoctor monitor`` itself as a process. All on loopback,
all stopped by PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import pg
from .helpers import StartStop, unavailable

ROOT = Path(__file__).resolve().parents[2]
HELO = "client.smtpdoctor.test"


def free_port() -> int:
    return pg.free_port()


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# -- small servers the tests own ------------------------------------------------------------


class Switch(StartStop):
    """A TCP relay whose backend the test changes: the target breaks and mends."""

    def __init__(self, backend: tuple[str, int]) -> None:
        self.backend = backend
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.backend, timeout=5)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        pumps = [
            threading.Thread(target=self._pump, args=pair, daemon=True)
            for pair in ((client, upstream), (upstream, client))
        ]
        for t in pumps:
            t.start()
        for t in pumps:
            t.join()
        client.close()
        upstream.close()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


class WebhookReceiver(StartStop):
    """Collects the JSON bodies POSTed to it; can be stopped and started on its port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bodies: list[dict[str, Any]] = []
        self.httpd: ThreadingHTTPServer | None = None

    def start(self) -> None:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def titles(self) -> list[str]:
        return [str(b.get("title", "")) for b in self.bodies]


class SmtpSink(StartStop):
    """Just enough SMTP to take a message and keep it (the lab keeps no mail)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        messages = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 sink.smtpdoctor.test ESMTP\r\n")
                while line := self.rfile.readline(4096):
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250-sink.smtpdoctor.test\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go on\r\n")
                        body = []
                        while (part := self.rfile.readline(65536)) not in (b".\r\n", b""):
                            body.append(part.decode("utf-8", "replace"))
                        messages.append("".join(body))
                        self.wfile.write(b"250 2.0.0 kept\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Daemon(StartStop):
    """A Debian-packaged daemon in a temporary directory, stopped by its PID."""

    def __init__(self, argv: list[str], ready_url: str, workdir: Path) -> None:
        if not Path(argv[0]).exists():
            unavailable(f"{argv[0]} is not installed")
        self.argv = argv
        self.ready_url = ready_url
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # The child keeps its own copy of the descriptor; ours closes at once.
        with (self.workdir / f"{Path(self.argv[0]).name}.log").open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
            )
        wait_for(lambda: http_get(self.ready_url)[0] == 200, 30, self.argv[0])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def alertmanager(workdir: Path, hook: WebhookReceiver) -> Daemon:
    port = free_port()
    (workdir / "am.yml").write_text(
        "route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n"
        "  repeat_interval: 1h\n  group_by: ['alertname', 'target']\n"
        "receivers:\n  - name: hook\n    webhook_configs:\n"
        f"      - url: http://127.0.0.1:{hook.port}/am\n        send_resolved: true\n"
    )
    d = Daemon(
        [
            "/usr/bin/prometheus-alertmanager",
            f"--config.file={workdir / 'am.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.path={workdir / 'am'}",
            "--cluster.listen-address=",
        ],
        f"http://127.0.0.1:{port}/-/ready",
        workdir,
    )
    d.port = port  # type: ignore[attr-defined]
    return d


def prometheus(workdir: Path, scrape: str) -> Daemon:
    port = free_port()
    (workdir / "prom.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: smtpdoctor\n"
        f"    static_configs:\n      - targets: ['{scrape}']\n"
    )
    d = Daemon(
        [
            "/usr/bin/prometheus",
            f"--config.file={workdir / 'prom.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
        ],
        f"http://127.0.0.1:{port}/-/ready",
        workdir,
    )
    d.port = port  # type: ignore[attr-defined]
    return d


def prom_query(port: int, query: str) -> list[dict[str, Any]]:
    q = urllib.parse.quote(query)
    status, body = http_get(f"http://127.0.0.1:{port}/api/v1/query?query={q}")
    assert status == 200, body
    return list(json.loads(body)["data"]["result"])


# -- the monitor as a process -------------------------------------------------------------


class MonitorProcess(StartStop):
    def __init__(self, workdir: Path, config: str, store: str, name: str = "monitor") -> None:
        self.workdir = workdir
        self.config = workdir / f"{name}.toml"
        self.config.write_text(config)
        self.store = store
        self.stderr = workdir / f"{name}.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        with self.stderr.open("ab") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "smtpdoctor",
                    "monitor",
                    "--config",
                    str(self.config),
                    "--store",
                    self.store,
                ],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                cwd=self.workdir,
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stderr.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"msg": "(not json)", "line": line})
        return out

    def messages(self, msg: str) -> list[dict[str, Any]]:
        return [r for r in self.logs() if r.get("msg") == msg]


def config_text(
    target: str,
    ca: Path,
    *,
    listen: str = "",
    notify: str = "",
    for_: str = "0s",
    interval: str = "1s",
) -> str:
    return f"""
[monitor]
interval = "{interval}"
jitter = 0.0
timeout = "5s"
listen = "{listen}"

[[target]]
name = "{target}"
helo = "{HELO}"
tls_ca = ["{ca}"]
quick = true

[alerts.verdict_failure]
for = "{for_}"

{notify}
"""


def hook_notify(hook: WebhookReceiver) -> str:
    return (
        f'[[notify]]\ntype = "apprise"\nname = "hook"\nurl = "json://127.0.0.1:{hook.port}/hook"\n'
    )


def events(hook: WebhookReceiver) -> list[str]:
    """ "fired"/"resolved" for each apprise JSON body, in order of arrival."""
    return ["fired" if "[FIRING]" in t else "resolved" for t in hook.titles()]


class Sender(StartStop):
    """Submits one message a second to the Postfix instance, as real traffic would."""

    def __init__(self, mta: Any, domain: str) -> None:
        self.mta, self.domain = mta, domain
        self._stop = threading.Event()
        self.sent = 0

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.mta.send(self.domain, 1, prefix=f"m{self.sent}-")
            self.sent += 1

    def stop(self) -> None:
        self._stop.set()
