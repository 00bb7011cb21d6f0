"""The MTA-STS policy fetch against hostile HTTPS servers on loopback.

Each case is a raw script written after a real TLS handshake (the test PKI of
tests/support/policy_server.py): a slow drip, an endless header, a body cut
short, a bogus chunk size, a body that is not UTF-8... The fetch must end
inside its deadline with a status (never an exception), its result must be
JSON, and the rules must say the policy could not be had. docs/lab.md.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.diagnosis.policy_rules import mta_sts_policy_findings
from smtpdoctor.evidence.mtasts import FetchStatus
from smtpdoctor.probe import dnsquery
from smtpdoctor.probe.policy import fetch_mta_sts_policy
from support.policy_server import d, make_ca, make_leaf, server_context

DEADLINE = 1.5
SLACK = 0.7
GOOD = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.smtpdoctor.test\r\nmax_age: 604800\r\n"


def _head(body_length: int | None, ctype: str = "text/plain") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
    if body_length is not None:
        head += f"Content-Length: {body_length}\r\n"
    return head.encode() + b"\r\n"


@dataclass(frozen=True)
class Script:
    chunks: tuple[bytes, ...]
    pause: float = 0.0  # between chunks
    repeat: int = 1  # the chunks, this many times
    close: bool = True  # close after; else hold the connection until the client goes


SCRIPTS: dict[str, tuple[Script, set[FetchStatus]]] = {
    "control-good": (Script((_head(len(GOOD)), GOOD)), {FetchStatus.FETCHED}),
    "slow-drip-body": (
        Script((_head(len(GOOD)), *(bytes([b]) for b in GOOD)), pause=0.1, close=False),
        {FetchStatus.TIMEOUT},
    ),
    "slow-drip-headers": (
        Script((b"X-Pad: a\r\n",), pause=0.05, repeat=400),
        {FetchStatus.TIMEOUT},
    ),
    "endless-header-line": (
        Script((b"HTTP/1.1 200 OK\r\nX-Junk: ", b"a" * 65536), repeat=1, close=False),
        {FetchStatus.HTTP_ERROR, FetchStatus.TIMEOUT},
    ),
    "endless-headers": (
        Script((b"HTTP/1.1 200 OK\r\n", *(b"X-Junk: a\r\n" for _ in range(20000)))),
        {FetchStatus.HTTP_ERROR},
    ),
    "garbage-status": (Script((b"HTTP/1.1 abc def\r\n\r\n",)), {FetchStatus.HTTP_ERROR}),
    "not-http": (Script((b"\x00\xff" * 100,)), {FetchStatus.HTTP_ERROR}),
    "close-before-reply": (Script(()), {FetchStatus.HTTP_ERROR, FetchStatus.CONNECT_ERROR}),
    "body-cut-short": (
        Script((_head(500), GOOD)),
        {FetchStatus.HTTP_ERROR, FetchStatus.CONNECT_ERROR},
    ),
    "bad-chunk-size": (
        Script(
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
                GOOD,
            )
        ),
        {FetchStatus.HTTP_ERROR},
    ),
    "endless-chunks": (
        Script(
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n",
                *(b"400\r\n" + b"x" * 1024 + b"\r\n" for _ in range(200)),
            )
        ),
        {FetchStatus.HTTP_ERROR},
    ),
    "huge-content-length": (Script((_head(10**12), GOOD)), {FetchStatus.HTTP_ERROR}),
    "no-content-type": (
        Script((f"HTTP/1.1 200 OK\r\nContent-Length: {len(GOOD)}\r\n\r\n".encode(), GOOD)),
        {FetchStatus.HTTP_ERROR},
    ),
    "not-utf8": (
        Script((_head(len(GOOD) + 2), GOOD.replace(b"mx1", b"m\xff\xfex1"))),
        {FetchStatus.PARSE_ERROR, FetchStatus.HTTP_ERROR},
    ),
    "latin1-charset": (
        Script((_head(len(GOOD) + 2, "text/plain; charset=iso-8859-1"), GOOD + b"\xe9\n")),
        {FetchStatus.PARSE_ERROR, FetchStatus.HTTP_ERROR, FetchStatus.FETCHED},
    ),
}


class HostileHttps:
    """One TLS listener on loopback; each connection plays ``self.script``."""

    def __init__(self, tmp: Path) -> None:
        ca = make_ca("smtpdoctor hostile policy CA")
        leaf = make_leaf(ca, [f"mta-sts.{d('sts')}"])
        self.context: ssl.SSLContext = server_context(leaf, ca, tmp, "hostile")
        self.ca_file = tmp / "hostile-ca.pem"
        self.ca_file.write_bytes(ca.pem)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.script = Script(())
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(2)

    def _loop(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(raw, self.script), daemon=True).start()

    def _one(self, raw: socket.socket, script: Script) -> None:
        raw.settimeout(5)
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.recv(4096)  # the request
                for _ in range(script.repeat):
                    for chunk in script.chunks:
                        conn.sendall(chunk)
                        if script.pause:
                            time.sleep(script.pause)
                if not script.close:
                    conn.recv(1)  # until the client gives up
        except (OSError, ValueError):
            return
        finally:
            raw.close()


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileHttps]:
    server = HostileHttps(tmp_path_factory.mktemp("hostile-https"))
    yield server
    server.close()


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_hostile_policy_host(https: HostileHttps, name: str) -> None:
    script, allowed = SCRIPTS[name]
    https.script = script
    resolver = dnsquery.make_resolver("127.0.0.1:9", 1.0)  # never asked: host_override
    started = time.monotonic()
    result = asyncio.run(
        fetch_mta_sts_policy(
            d("sts"),
            resolver=resolver,
            deadline=time.monotonic() + DEADLINE,
            ca_files=[https.ca_file],
            host_override="127.0.0.1",
            port=https.port,
        )
    )
    took = time.monotonic() - started
    assert took < DEADLINE + SLACK, took
    assert result.status in allowed, (result.status, result.error)
    json.dumps(result.to_json())
    findings = mta_sts_policy_findings(None, result)
    json.dumps([f.to_json() for f in findings])
    if name == "no-content-type":  # before: "Content-Type is None, not text/plain"
        assert result.error is not None
        assert result.error.startswith("no Content-Type, not text/plain"), result.error
    if result.status is not FetchStatus.FETCHED:
        assert {f.id for f in findings} & {"policy.mta_sts.fetch_failed", "policy.mta_sts.invalid"}
