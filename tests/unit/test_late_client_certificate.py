"""A TLS 1.3 server's refusal of a missing client certificate, met at the first
read after the handshake: told from the client's own last flight (an empty
Certificate before its Finished) and said as mutual TLS, not as a drop."""

from __future__ import annotations

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.session import Step
from smtpdoctor.model import Category, Outcome, Stage
from smtpdoctor.net.tlsscan import encrypted_records
from support.evidence import TLS13, session_evidence

_CCS = b"\x14\x03\x03\x00\x01\x01"


def _record(kind: int, length: int) -> bytes:
    return bytes([kind, 3, 3]) + length.to_bytes(2, "big") + bytes(length)


def test_encrypted_records_counts_the_last_flight() -> None:
    # (as OpenSSL 3 writes it: CCS, then one record per handshake message)
    assert encrypted_records(_CCS + _record(23, 69)) == 1
    assert encrypted_records(_CCS + _record(23, 25) + _record(23, 69)) == 2
    assert encrypted_records(b"") == 0
    assert encrypted_records(_record(23, 25)[:7]) == 1  # a cut record still opened


def _steps(requested: bool, ending: Outcome) -> list[Step]:
    return [
        Step(Stage.GREETING, None, 0.0),
        Step(Stage.EHLO, "EHLO c", 1.0),
        Step(Stage.STARTTLS, "STARTTLS", 2.0),
        Step(Stage.TLS_HANDSHAKE, None, 3.0, certificate_requested=requested),
        Step(Stage.EHLO, "EHLO c", 4.0, outcome=ending, detail="closed"),
    ]


def _evidence(steps: list[Step]) -> SessionEvidence:
    return session_evidence(steps, **TLS13)


def test_asked_then_closed_is_a_required_client_certificate() -> None:
    for ending in (Outcome.CLOSED, Outcome.RESET):
        found = session_findings(_evidence(_steps(True, ending)))
        ids = [f.id for f in found]
        assert ids[0] == "tls.handshake.client_certificate_required", ids
        assert found[0].category is Category.TLS_HANDSHAKE_FAILURE
        assert found[0].stage is Stage.TLS_HANDSHAKE
        assert f"ehlo.dropped.{ending.value}" not in ids, ids


def test_not_asked_then_closed_stays_a_drop() -> None:
    ids = [f.id for f in session_findings(_evidence(_steps(False, Outcome.CLOSED)))]
    assert "tls.handshake.client_certificate_required" not in ids, ids
    assert "ehlo.dropped.closed" in ids, ids


def test_asked_then_timeout_is_not_read_as_a_refusal() -> None:
    ids = [f.id for f in session_findings(_evidence(_steps(True, Outcome.TIMEOUT)))]
    assert "tls.handshake.client_certificate_required" not in ids, ids
