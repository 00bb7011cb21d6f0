"""``smtpdoctor logs`` reads refused connections and TLS failures against the whole
log, on logs a real Postfix writes (session 19, alts2; issue 10 item 2).

One line, "connect to mx[addr]:25: Connection refused" or "Cannot start TLS:
handshake failure", cannot tell the receiver's fault from ours; the log can. A
real Postfix 3.7 (tests/support/postfix_client.py) sends to test domains whose
next hops are, on loopback port 25, a closed port (refused), the lab's
drop-tls-reset server (a reset right after STARTTLS, with an ``encrypt``
policy) and the lab's healthy server:

* every destination refused, nothing delivered: ``logs.outbound.refused_everywhere``;
* every destination failing in TLS, nothing delivered:
  ``logs.outbound.tls_failing_everywhere``;
* some refused and some failing in TLS while mail to another server on port 25
  was delivered: ``logs.outbound.hosts_refusing`` and ``logs.outbound.tls_failing_peers``.

The recorded logs of one such run are tests/data/logs/postfix-s19-*.log, which
tests/unit/test_s19_alts2.py reads without Postfix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdoctor.lab import LabThread
from smtpdoctor.lab.server import _INDEX
from support.helpers import run_cli, unavailable
from support.postfix import unavailable_reason
from support.postfix_client import PostfixClient, Route

RECORDED = Path(__file__).resolve().parents[1] / "data" / "logs"
# loopback addresses nothing else here uses: port 25 on each
_REFUSED = ("127.0.0.121", "127.0.0.122")
_TLS_HOSTS = ("127.0.0.123", "127.0.0.125")  # (one next hop per domain: one policy line each)
_OK_HOST = "127.0.0.124"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, tuple[str, int]]]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    tls_port = 25 - _INDEX["drop-tls-reset"]
    with (
        LabThread(["drop-tls-reset"], host=_TLS_HOSTS[0], base_port=tls_port) as tls0,
        LabThread(["drop-tls-reset"], host=_TLS_HOSTS[1], base_port=tls_port) as tls1,
        LabThread(["healthy"], host=_OK_HOST, base_port=25 - _INDEX["healthy"]) as ok,
    ):
        yield {
            "tls0": tls0.addresses["drop-tls-reset"],
            "tls1": tls1.addresses["drop-tls-reset"],
            "ok": ok.addresses["healthy"],
        }


def _run(routes: dict[str, Route], out: Path) -> Path:
    """Send two messages per domain through a real Postfix; its log once every first
    attempt has its status line."""
    with PostfixClient(routes) as mta:
        for domain in routes:
            mta.send(domain, 2)
        mta.wait_for_count(r"status=(?:sent|deferred|bounced)", 2 * len(routes), timeout=30)
        time.sleep(0.5)  # (the last lines of the same second)
        out.write_text(mta.log_text())
    return out


def _refused(i: int) -> Route:
    return Route(_REFUSED[i], 25)


def _tls(servers: dict[str, tuple[str, int]], i: int) -> Route:
    host, port = servers[f"tls{i}"]
    return Route(host, port, "encrypt")


def _log_of(routes: dict[str, Route], out: Path) -> str:
    text = _run(routes, out).read_text()
    assert "client TLS configuration problem" not in text  # (the test's own set-up)
    return text


def _findings(path: Path) -> list[str]:
    got = run_cli("logs", str(path), "--format", "json")
    assert got.status in (1, 2), got.stderr
    return [f["id"] for f in got.json()["findings"]]


def test_every_destination_refused(servers: dict[str, tuple[str, int]], tmp_path: Path) -> None:
    log = tmp_path / "refused.log"
    text = _log_of({"a.test": _refused(0), "b.test": _refused(1)}, log)
    assert re.search(r"connect to 127\.0\.0\.121\[127\.0\.0\.121\]:25: Connection refused", text)
    assert _findings(log) == ["logs.outbound.refused_everywhere"]


def test_every_destination_failing_in_tls(
    servers: dict[str, tuple[str, int]], tmp_path: Path
) -> None:
    log = tmp_path / "tls.log"
    text = _log_of({"c.test": _tls(servers, 0), "d.test": _tls(servers, 1)}, log)
    assert re.search(
        r"to=<user0@c\.test>, .*status=deferred \((?:Cannot start TLS|lost connection)", text
    )
    assert _findings(log) == ["logs.outbound.tls_failing_everywhere"]


def test_some_refused_and_some_failing_in_tls_while_others_take_mail(
    servers: dict[str, tuple[str, int]], tmp_path: Path
) -> None:
    ok_host, ok_port = servers["ok"]
    routes = {
        "a.test": _refused(0),
        "b.test": _refused(1),
        "c.test": _tls(servers, 0),
        "d.test": _tls(servers, 1),
        "ok.test": Route(ok_host, ok_port),
    }
    log = tmp_path / "some.log"
    text = _log_of(routes, log)
    assert re.search(
        r"to=<user0@ok\.test>, relay=127\.0\.0\.124\[127\.0\.0\.124\]:25, .*status=sent", text
    )
    assert _findings(log) == ["logs.outbound.hosts_refusing", "logs.outbound.tls_failing_peers"]


def test_the_recorded_logs_are_such_runs() -> None:
    # the recorded copies (tests/data/logs/README.md) hold the same shapes
    for name in ("refused", "tls", "some"):
        text = (RECORDED / f"postfix-s19-{name}.log").read_text()
        assert re.search(r"postfix/smtp\[\d+\]: \w+: to=<user0@\w\.test>", text)
