"""``smtpdoctor receive`` against a real Postfix as the sender.

One private Postfix (:class:`support.receive.SenderPostfix`) plays a dozen
differently configured senders, one smtp transport per test domain with its
own ``smtp_tls_protocols``, ``smtp_tls_mandatory_ciphers``,
``smtp_helo_name``, ``smtp_bind_address`` (a loopback address whose PTR the
test NSD serves) and TLS security level. Each test starts ``smtpdoctor
receive`` as a real process on that domain's next hop, submits mail, and
checks that what receive reports is the sender's real configuration, and
under ``--as``, that Postfix's log tells the same story as the receiver.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from support.helpers import unavailable
from support.nsd import NsdServer
from support.postfix import unavailable_reason
from support.receive import ReceiveProcess, Sender, SenderPostfix, ids

pytestmark = pytest.mark.postfix

# One session per delivery attempt: Postfix's connection cache would otherwise
# keep a session open for the next message, and the counts would depend on timing.
ONE_SESSION_EACH = {"smtp_connection_cache_on_demand": "no"}
GOOD = {
    "smtp_bind_address": "127.0.0.10",
    "smtp_helo_name": "sender-ok.smtpdoctor.test",
    **ONE_SESSION_EACH,
}
HIGH_CIPHERS = "ECDHE-RSA-AES256-GCM-SHA384:AES256-SHA256"
SENDERS = {
    "legacy.test": Sender(
        {
            **GOOD,
            "smtp_tls_protocols": "!SSLv2, !SSLv3, !TLSv1.2, !TLSv1.3",
            "tls_medium_cipherlist": "DEFAULT:@SECLEVEL=0",
        }
    ),
    "modern.test": Sender(GOOD),
    "localhost.test": Sender(
        {"smtp_bind_address": "127.0.0.11", "smtp_helo_name": "localhost", **ONE_SESSION_EACH}
    ),
    "plain.test": Sender({**GOOD, "smtp_tls_security_level": "none"}, tls="none"),
    "ciphers.test": Sender(
        {
            **GOOD,
            "smtp_tls_mandatory_protocols": ">=TLSv1.2, <=TLSv1.2",
            "smtp_tls_mandatory_ciphers": "high",
            "tls_high_cipherlist": HIGH_CIPHERS,
        },
        tls="encrypt",
    ),
    "tls12.test": Sender({**GOOD, "smtp_tls_protocols": "!SSLv2, !SSLv3, !TLSv1.3"}),
    "greet.test": Sender(GOOD),
    "slow.test": Sender(GOOD),
    "refuse.test": Sender(GOOD),
    "drop.test": Sender(GOOD),
    "rate.test": Sender(GOOD),
    "cert.test": Sender(GOOD),
}


@pytest.fixture(scope="module")
def mta() -> Iterator[SenderPostfix]:
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    with SenderPostfix(SENDERS) as running:
        yield running


def receive(
    mta: SenderPostfix, nsd: NsdServer, domain: str, *args: str, timeout: float = 30
) -> ReceiveProcess:
    return ReceiveProcess(
        "--listen",
        f"127.0.0.1:{mta.ports[domain]}",
        "--resolver",
        nsd.resolver_spec,
        "--hostname",
        "rx.smtpdoctor.test",
        "--timeout",
        str(timeout),
        *args,
    )


def _in_order(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions in the order they were accepted (each is printed when its DNS is done)."""
    return sorted(docs, key=lambda d: int(d["number"]))


def deliver(
    mta: SenderPostfix, nsd: NsdServer, domain: str, *args: str
) -> tuple[list[dict[str, Any]], int, str]:
    """Start receive, submit one message for ``domain``; receive's documents, status, log."""
    offset = len(mta.log_text())
    with receive(mta, nsd, domain, *args) as rp:
        mta.send(domain)
        status = rp.wait(40)
    return rp.documents(), status, mta.log_since(offset)


def test_tls_1_0_1_1_only_is_reported_with_the_postfix_fix(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    docs, status, log = deliver(mta, nsd_lab, "legacy.test", "--once")
    (doc,) = docs
    hello = doc["tls"]["client_hello"]
    assert "TLSv1.2" not in hello["versions"]
    assert "TLSv1.3" not in hello["versions"]
    assert hello["versions"] == ["TLSv1.1"]  # no supported_versions: the legacy field's top
    assert doc["tls"]["negotiated"] == "TLSv1.1"
    # Postfix says the same of the session it had.
    said = re.search(r"TLS connection established to \S+: (\S+) with cipher (\S+)", log)
    assert said is not None
    assert said.groups() == ("TLSv1.1", doc["tls"]["cipher"])
    assert "status=sent" in log
    assert doc["verdict"]["status"] == "failure"
    assert doc["verdict"]["category"] == "tls_version_mismatch"
    finding = next(f for f in doc["findings"] if f["id"] == "sender.tls.legacy_only")
    assert "Microsoft 365 and Gmail will refuse it" in finding["message"]
    postfix = next(f for f in finding["fixes"] if f["for"] == "postfix")
    assert "smtp_tls_protocols = >=TLSv1.2" in postfix["snippet"]
    assert status == 2


def test_modern_postfix_with_matching_ptr_is_healthy(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    docs, status, log = deliver(mta, nsd_lab, "modern.test", "--once")
    (doc,) = docs
    assert doc["client"]["address"] == "127.0.0.10"  # smtp_bind_address
    assert doc["helo"] == {"verb": "EHLO", "name": "sender-ok.smtpdoctor.test"}
    assert "TLSv1.3" in doc["tls"]["client_hello"]["versions"]
    assert doc["tls"]["negotiated"] == "TLSv1.3"
    said = re.search(r"TLS connection established to \S+: (\S+) with cipher (\S+)", log)
    assert said is not None
    assert said.groups() == ("TLSv1.3", doc["tls"]["cipher"])
    assert doc["dns"]["ptr"]["names"] == ["sender-ok.smtpdoctor.test"]
    assert doc["dns"]["ptr"]["fcrdns"] is True
    assert doc["protocol"]["violations"] == []
    assert doc["protocol"]["quit_sent"] is True
    (message,) = doc["messages"]
    assert message["declared_size"] is not None
    assert message["size"] <= message["declared_size"]
    assert message["bare_lf"] == 0
    assert doc["verdict"]["status"] == "ok"
    assert status == 0


def test_helo_localhost_against_the_ptr(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    docs, status, _ = deliver(mta, nsd_lab, "localhost.test", "--once")
    (doc,) = docs
    assert doc["client"]["address"] == "127.0.0.11"
    assert doc["helo"]["name"] == "localhost"
    assert doc["dns"]["ptr"]["names"] == ["host-11.isp.smtpdoctor.test"]
    assert "dns.helo.not_fqdn" in ids(doc)
    assert doc["verdict"]["category"] == "dns_ptr_mismatch"
    assert "localhost" in doc["verdict"]["summary"]
    postfix = next(f for f in doc["findings"] if f["id"] == "dns.helo.not_fqdn")["fixes"][0]
    assert "smtp_helo_name" in postfix["snippet"]
    assert status == 2


def test_tls_off_is_plaintext_despite_starttls(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    docs, status, log = deliver(mta, nsd_lab, "plain.test", "--once")
    (doc,) = docs
    assert doc["tls"]["offered"] is True
    assert doc["tls"]["attempted"] is False
    assert doc["tls"]["client_hello"] is None
    assert "TLS connection established" not in log
    assert "sender.tls.starttls_not_used" in ids(doc)
    assert status == 1


def test_mandatory_ciphers_are_what_the_hello_offers(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    docs, status, _ = deliver(mta, nsd_lab, "ciphers.test", "--once")
    (doc,) = docs
    hello = doc["tls"]["client_hello"]
    tls12 = [c for c in hello["cipher_suites"] if "_WITH_" in c and "RENEGOTIATION" not in c]
    assert tls12 == ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_256_CBC_SHA256"]
    assert hello["versions"] == ["TLSv1.2"]
    assert doc["tls"]["negotiated"] == "TLSv1.2"
    assert doc["tls"]["cipher"] == "ECDHE-RSA-AES256-GCM-SHA384"
    assert "sender.tls.no_tls13" in ids(doc)
    assert status == 0  # info only


# -- under --as: how the real Postfix copes -------------------------------------------


def test_tls13_only_receiver_postfix_capped_at_1_2_defers_every_retry(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    offset = len(mta.log_text())
    with receive(mta, nsd_lab, "tls12.test", "--as", "tls13-only", "--sessions", "2") as rp:
        mta.send("tls12.test")
        mta.wait_log(r"to=<user0@tls12\.test>.*status=deferred", offset)
        mta.flush()
        status = rp.wait(30)
    docs, log = _in_order(rp.documents()), mta.log_since(offset)
    for doc in docs:
        assert "TLSv1.3" not in doc["tls"]["client_hello"]["versions"]
        assert doc["tls"]["handshake_error"] == "alert protocol_version sent by the receiver"
        assert doc["ending"]["how"] == "tls_failed"
        assert "sender.tls.handshake_failed" in ids(doc)
        assert "sender.tls.plaintext_fallback" not in ids(doc)
    # Postfix 3.7 at level "may" does not fall back to plaintext: it defers,
    # once per session receive saw, with the alert receive sent.
    deferred = re.findall(r"to=<user0@tls12\.test>.*dsn=4\.7\.5, status=deferred", log)
    assert len(deferred) == len(docs) == 2
    assert log.count("SSL alert number 70") == 2  # protocol_version
    assert "sender.behaviour.retried" in ids(docs[1])
    assert status == 1  # a warning: TLS 1.2 only is fine, except for TLS 1.3-only receivers


def test_greeting_421_postfix_retries_and_its_log_matches(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    offset = len(mta.log_text())
    with receive(mta, nsd_lab, "greet.test", "--as", "greeting-421", "--sessions", "2") as rp:
        mta.send("greet.test")
        mta.wait_log(r"status=deferred.*421 4\.3\.2", offset)
        mta.flush()
        rp.wait(30)
    docs, log = _in_order(rp.documents()), mta.log_since(offset)
    assert [d["ending"]["how"] for d in docs] == ["refused", "refused"]
    deferrals = re.findall(r"^.*to=<user0@greet\.test>.*status=deferred.*421 4\.3\.2.*$", log, re.M)
    assert len(deferrals) == len(docs) == 2
    assert docs[1]["previous"]["ending"] == "refused"
    assert "sender.behaviour.retried" in ids(docs[1])
    # The gap between Postfix's two attempts (its log has whole seconds) is
    # the gap receive measured between the two sessions.
    stamps = [dt.datetime.strptime(line[:15], "%b %d %H:%M:%S") for line in deferrals]
    postfix_gap = (stamps[1] - stamps[0]).total_seconds()
    assert abs(postfix_gap - docs[1]["previous"]["seconds_before"]) <= 2.5
    assert all(d["verdict"]["status"] == "ok" for d in docs)  # deferring is right


def test_slow_receiver_postfix_gives_up_before_rfc_minimum(
    mta: SenderPostfix, nsd_lab: NsdServer
) -> None:
    # The harness's Postfix waits 3 s for a greeting (smtp_helo_timeout).
    docs, status, log = deliver(
        mta, nsd_lab, "slow.test", "--as", "slow", "--delay", "8", "--sessions", "1"
    )
    (doc,) = docs
    assert doc["ending"]["stage"] == "greeting"
    assert 2.5 <= doc["gave_up_waiting_s"] < 8  # Postfix left before our reply
    assert "timed out while receiving the initial server greeting" in log
    finding = next(f for f in doc["findings"] if f["id"] == "sender.behaviour.gave_up_early")
    assert "at least 300 s" in finding["message"]
    assert status == 2


def test_starttls_454_postfix_goes_on_in_plaintext(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    docs, status, log = deliver(mta, nsd_lab, "refuse.test", "--as", "starttls-454", "--once")
    (doc,) = docs
    assert doc["tls"]["starttls_reply"] == 454
    assert doc["messages"]
    assert "status=sent" in log
    assert "sender.tls.plaintext_fallback" in ids(doc)
    assert status == 1


def test_drop_at_data_postfix_defers(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    docs, _, log = deliver(mta, nsd_lab, "drop.test", "--as", "drop-at-data", "--sessions", "1")
    (doc,) = docs
    assert doc["ending"] == {"how": "dropped", "stage": "data"}
    assert re.search(r"to=<user0@drop\.test>.*status=deferred", log)
    assert doc["receiver_action"].startswith("dropped the session on DATA")


def test_rate_limit_second_session_gets_421(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    offset = len(mta.log_text())
    with receive(
        mta, nsd_lab, "rate.test", "--as", "rate-limit", "--limit", "1", "--sessions", "2"
    ) as rp:
        mta.send("rate.test", prefix="first")
        mta.wait_log(r"to=<first0@rate\.test>.*status=sent", offset)
        mta.send("rate.test", prefix="second")
        rp.wait(30)
    docs, log = _in_order(rp.documents()), mta.log_since(offset)
    assert [d["ending"]["how"] for d in docs] == ["quit", "refused"]
    assert re.search(r"to=<second0@rate\.test>.*status=deferred.*421 4\.7\.0", log)


def test_require_client_cert_postfix_presents_none(mta: SenderPostfix, nsd_lab: NsdServer) -> None:
    docs, _, log = deliver(
        mta, nsd_lab, "cert.test", "--as", "require-client-cert", "--sessions", "1"
    )
    (doc,) = docs
    assert doc["tls"]["client_certificate"] is not True
    assert "sender.tls.no_client_certificate" in ids(doc)
    assert "to=<user0@cert.test>" in log
