"""``smtpdoctor receive`` with a real Sendmail 8.17 (OpenSSL 3) as the sender.

The private Sendmail of tests/support/sendmail.py relays one message to the
receiver through a mailertable entry; its ``ClientSSLOptions``/``CipherList``
are set per test. receive's report must match what Sendmail's configuration
does, and Sendmail's own ``STARTTLS=client`` log line for the session.
"""

from __future__ import annotations

import re

import pytest

from support.helpers import running
from support.receive import ReceiveProcess, ids
from support.sendmail import HOSTNAME, RoutingSendmail, SendmailUnavailable, closed_port, submit

pytestmark = pytest.mark.sendmail

LEGACY_CLIENT = (
    "define(`confCLIENT_SSL_OPTIONS', `+SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3')dnl\n"
    "define(`confCIPHER_LIST', `DEFAULT:@SECLEVEL=0')dnl\n"
)


def _deliver(mc: str) -> tuple[dict, int, str]:
    """One message from a Sendmail configured with ``mc`` to ``receive --once``."""
    port = closed_port()
    with (
        running(RoutingSendmail({"recv.test": port}, mc=mc), SendmailUnavailable, "Sendmail") as sm,
        ReceiveProcess(
            "--listen", f"127.0.0.1:{port}", "--no-dns", "--timeout", "30", "--once"
        ) as rp,
    ):  # fmt: skip
        submit(sm, ["user@recv.test"])
        status = rp.wait(40)
        sm.wait_for_log(r"to=<user@recv\.test>, .*stat=", timeout=10)
        log = sm.log_text()
    (doc,) = rp.documents()
    return doc, status, log


def _starttls_client(log: str) -> str:
    found = re.search(r"STARTTLS=client, relay=\S+, version=(\S+),", log)
    assert found is not None, log
    return found.group(1)


def test_sendmail_default_sends_tls13_with_its_own_name() -> None:
    doc, status, log = _deliver("")
    assert doc["helo"]["name"] == HOSTNAME
    assert doc["tls"]["negotiated"] == "TLSv1.3"
    assert _starttls_client(log) == "TLSv1.3"
    assert "TLSv1.3" in doc["tls"]["client_hello"]["versions"]
    assert re.search(r"to=<user@recv\.test>, .*stat=Sent", log)
    assert doc["verdict"]["status"] == "ok", doc["findings"]
    assert status == 0


def test_sendmail_client_ssl_options_tls_1_0_1_1_only() -> None:
    doc, status, log = _deliver(LEGACY_CLIENT)
    versions = doc["tls"]["client_hello"]["versions"]
    assert not {"TLSv1.2", "TLSv1.3"} & set(versions), versions
    assert doc["tls"]["negotiated"] == "TLSv1.1"
    assert _starttls_client(log) == "TLSv1.1"
    assert "sender.tls.legacy_only" in ids(doc)
    fix = next(f for f in doc["findings"] if f["id"] == "sender.tls.legacy_only")
    sendmail_fix = next(f for f in fix["fixes"] if f["for"] == "sendmail")
    assert "confCLIENT_SSL_OPTIONS" in sendmail_fix["snippet"]
    assert status == 2
