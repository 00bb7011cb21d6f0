"""The test PKI and the local HTTPS server that serves MTA-STS policy files.

Shared by tests/integration/test_policy.py (the fetcher and rules) and
tests/integration/test_diagnose_policy.py (diagnose end to end).
"""

from __future__ import annotations

import datetime as dt
import http.server
import socketserver
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smtpdoctor.evidence.mtasts import MAX_POLICY_BYTES
from smtpdoctor.lab.certs import Issued, issue, new_key

from .nsd import TEST_DOMAIN

POLICY_HOST = "127.0.0.20"
NOW = dt.datetime.now(dt.UTC)


def d(label: str) -> str:
    return f"{label}.{TEST_DOMAIN}"


# ---------------------------------------------------------------------------
# A test PKI (EC keys: fast), built with the lab's certificate maker


def make_ca(cn: str = "smtpdoctor policy test root", *, issuer: Issued | None = None) -> Issued:
    return issue(
        (),
        common_name=cn,
        issuer=issuer,
        key=new_key("ec"),
        ca=True,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW + dt.timedelta(days=400),
    )


def make_leaf(
    ca: Issued,
    names: list[str],
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    return issue(
        names,
        issuer=ca,
        key=new_key("ec"),
        not_before=not_before or NOW - dt.timedelta(days=1),
        not_after=not_after or NOW + dt.timedelta(days=90),
    )


# ---------------------------------------------------------------------------
# A local HTTPS server for the policy hosts

POLICIES = {
    "sts": "version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.smtpdoctor.test\r\nmax_age: 604800\r\n",
    "sts-bad": "version: STSv1\nmode: enforce\nmx: *.elsewhere.smtpdoctor.test\nmax_age: 86400\n",
    "sts-testing": "version: STSv1\nmode: testing\nmx: mx9.sts-testing.smtpdoctor.test\n"
    "max_age: 86400\n",
    "sts-invalid": "version: STSv1\nmode: enforce\nmax_age: 86400\n",
    "sts-cname": "version: STSv1\nmode: testing\nmx: *.smtpdoctor.test\nmax_age: 3600\n",
    "sts-expired": "version: STSv1\nmode: enforce\nmx: mx1.sts.smtpdoctor.test\nmax_age: 2592000\n",
}


class PolicyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PolicyServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        self.server.requests.append((host, self.path))
        label = host.removeprefix("mta-sts.").removesuffix(f".{TEST_DOMAIN}")
        plain = {"Content-Type": "text/plain; charset=utf-8"}
        if self.path != "/.well-known/mta-sts.txt" or label == "sts-404":
            self._send(404, b"not found", plain)
        elif label == "sts-redirect":
            target = f"https://www.{d('sts-redirect')}/.well-known/mta-sts.txt"
            self._send(301, b"moved", {"Location": target, **plain})
        elif label == "sts-type":
            self._send(200, POLICIES["sts"].encode(), {"Content-Type": "text/html"})
        elif label == "sts-big":
            self._send(200, b"x" * (MAX_POLICY_BYTES + 10), plain)
        elif label == "sts-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            body = POLICIES["sts"].encode()
            for part in (body[:10], body[10:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif label in POLICIES or label == "pages.sts-host":
            self._send(200, POLICIES.get(label, POLICIES["sts-cname"]).encode(), plain)
        else:
            self._send(404, b"no such policy", plain)


class PolicyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: list[tuple[str, str]]

    def server_bind(self) -> None:
        # http.server names itself with socket.getfqdn(host): a reverse DNS
        # query for the address to the system resolver. Tests ask nothing
        # outside loopback, so name the server by its address instead.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


@dataclass
class PolicyLab:
    port: int
    ca_file: Path
    requests: list[tuple[str, str]]


def server_context(leaf: Issued, ca: Issued, tmp: Path, tag: str) -> ssl.SSLContext:
    cert_file, key_file = tmp / f"{tag}.pem", tmp / f"{tag}-key.pem"
    cert_file.write_bytes(leaf.pem + ca.pem)
    key_file.write_bytes(leaf.key_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx
