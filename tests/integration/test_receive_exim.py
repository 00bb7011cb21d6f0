"""``smtpdoctor receive`` against the private Exim (GnuTLS) as the sender.

Exim delivers one message in the foreground to the receiver, with its
``tls_require_ciphers`` (a GnuTLS priority string), ``helo_data`` and
``interface`` set per test; receive's report must match that configuration
and Exim's own log line for the delivery.
"""

from __future__ import annotations

import re

import pytest

from support.exim import EximUnavailable, unavailable_reason
from support.exim_sender import EximSender
from support.helpers import unavailable
from support.nsd import NsdServer
from support.postfix import _free_ports
from support.receive import ReceiveProcess, ids

pytestmark = pytest.mark.exim


@pytest.fixture
def port() -> int:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    return _free_ports(1)[0]


def _sender(port: int, **kw: str) -> EximSender:
    try:
        return EximSender(port, **kw)
    except EximUnavailable as exc:
        unavailable(str(exc))


def _x(log: str) -> str:
    """The TLS version and cipher Exim logged for the delivery (``X=TLS1.2:...``)."""
    found = re.search(r"=> \S+ .* X=(\S+)", log)
    assert found is not None, log
    return found.group(1)


def test_exim_default_tls13_and_good_name(port: int, nsd_lab: NsdServer) -> None:
    exim = _sender(port, helo="sender-ok.smtpdoctor.test", interface="127.0.0.10")
    try:
        with ReceiveProcess(
            "--listen",
            f"127.0.0.1:{port}",
            "--resolver",
            nsd_lab.resolver_spec,
            "--timeout",
            "30",
            "--once",
        ) as rp:
            done = exim.send("user@exim.test")
            status = rp.wait(40)
        log = exim.mainlog()
    finally:
        exim.close()
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = rp.documents()
    assert doc["client"]["address"] == "127.0.0.10"
    assert doc["helo"]["name"] == "sender-ok.smtpdoctor.test"
    assert doc["tls"]["negotiated"] == "TLSv1.3"
    assert _x(log).startswith("TLS1.3:")
    assert "TLSv1.3" in doc["tls"]["client_hello"]["versions"]
    assert doc["dns"]["ptr"]["fcrdns"] is True
    assert doc["verdict"]["status"] == "ok", doc["findings"]
    assert status == 0


def test_exim_priority_string_tls_1_0_1_1_only(port: int) -> None:
    exim = _sender(
        port, helo="localhost", priority="NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:%COMPAT"
    )
    try:
        with ReceiveProcess(
            "--listen", f"127.0.0.1:{port}", "--no-dns", "--timeout", "30", "--once"
        ) as rp:
            done = exim.send("user@exim.test")
            status = rp.wait(40)
        log = exim.mainlog()
    finally:
        exim.close()
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = rp.documents()
    versions = doc["tls"]["client_hello"]["versions"]
    assert not {"TLSv1.2", "TLSv1.3"} & set(versions)
    assert _x(log).startswith("TLS1.1:")
    assert doc["tls"]["negotiated"] == "TLSv1.1"
    assert "sender.tls.legacy_only" in ids(doc)
    fix = next(f for f in doc["findings"] if f["id"] == "sender.tls.legacy_only")
    exim_fix = next(f for f in fix["fixes"] if f["for"] == "exim")
    assert "tls_require_ciphers" in exim_fix["snippet"]
    assert status == 2
