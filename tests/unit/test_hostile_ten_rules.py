"""Readings fixed by hostile round ten (tests/integration/test_hostile_ten.py), on
values made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from smtpdoctor.diagnosis.session_rules import few_senders_take, session_findings
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import Step
from smtpdoctor.model import Outcome, Stage
from smtpdoctor.probe.session import _bare_cr_lines, _in_clear
from support.evidence import TLS13, session_evidence

_KEY_RULE = "tls.certificate.key_type_unsupported"


def _cert(key_type: str, signature: str = "sha256-RSA", **changes: object) -> CertificateInfo:
    info = CertificateInfo(
        subject="CN=mx.example.net",
        issuer="CN=Lab CA",
        san=["mx.example.net"],
        not_before=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        not_after=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
        days_left=200,
        expired=False,
        not_yet_valid=False,
        self_signed=False,
        trusted=True,
        trust_error=None,
        chain_length=2,
        chain_complete=True,
        hostname_match=True,
        names_checked=["mx.example.net"],
        key_type=key_type,
        key_bits=256,
        signature_algorithm=signature,
        sha256_fingerprint="00" * 32,
    )
    return dataclasses.replace(info, **changes)  # type: ignore[arg-type]


def _ids(cert: CertificateInfo, common_key_served: bool | None = None) -> list[str]:
    stages = (Stage.CONNECT, Stage.GREETING, Stage.EHLO, Stage.STARTTLS, Stage.TLS_HANDSHAKE)
    steps = [Step(s, None, 0.0) for s in stages]
    ev = session_evidence(steps, **TLS13, certificate=cert, common_key_served=common_key_served)
    return [f.id for f in session_findings(ev)]


@pytest.mark.parametrize(
    ("key_type", "signature", "expected"),
    [
        ("Ed25519", "Ed25519", ("eddsa", "key", "Ed25519")),
        ("Ed448", "sha256-RSA", ("eddsa", "key", "Ed448")),
        ("DSA", "sha256-RSA", ("dsa", "key", "DSA")),
        ("EC brainpoolP256r1", "sha256-RSA", ("ec", "key", "ECDSA on brainpoolP256r1")),
        ("EC secp256k1", "sha256-ECDSA", ("ec", "key", "ECDSA on secp256k1")),
        ("RSA", "Ed25519", ("eddsa", "issuer's signature", "Ed25519")),
        ("RSA", "sha256-DSA", ("dsa", "issuer's signature", "DSA")),
        ("RSA", "sha256-RSA", None),
        ("EC secp256r1", "sha256-ECDSA", None),
        ("EC secp384r1", "sha384-ECDSA", None),
        ("EC secp521r1", "sha512-ECDSA", None),
    ],
)
def test_the_kinds_few_senders_take(
    key_type: str, signature: str, expected: tuple[str, str, str] | None
) -> None:
    assert few_senders_take(_cert(key_type, signature)) == expected


def test_an_ed25519_leaf_is_said_unless_another_certificate_is_served() -> None:
    """Before: healthy (OpenSSL takes an Ed25519 certificate; Schannel does not)."""
    assert _KEY_RULE in _ids(_cert("Ed25519", "sha256-RSA"))
    assert _KEY_RULE in _ids(_cert("Ed25519", "sha256-RSA"), common_key_served=False)
    assert _KEY_RULE not in _ids(_cert("Ed25519", "sha256-RSA"), common_key_served=True)
    assert _KEY_RULE not in _ids(_cert("RSA"))


def test_a_forbidden_key_on_the_path_is_said_by_the_key_rule() -> None:
    """Before: 'a certificate on it has a key verifiers refuse (RSA under 2048 bits)' for
    an Ed25519 intermediate, and no word of its kind."""
    error = "validation failed: candidates exhausted: forbidden public key"
    ids = _ids(_cert("RSA", "Ed25519", trusted=False, trust_error=error))
    assert _KEY_RULE in ids
    assert "tls.certificate.untrusted" not in ids


@pytest.mark.parametrize(
    ("head", "replied", "bare_cr"),
    [
        (b"220 mx ESMTP\r", False, True),  # the greeting: nothing to compare with
        (b"250-mx\r250-SIZE\r250 OK\r", True, True),  # CRs inside: lines so ended
        (b"250 2.0.0 Ok: queued\r", True, False),  # after CRLF replies: a stall
        (b"250 2.0.0 Ok\r\n", True, False),
        (b"2", True, False),
    ],
)
def test_a_dangling_cr_after_crlf_replies_is_a_stall(
    head: bytes, replied: bool, bare_cr: bool
) -> None:
    """Before: an end-of-data reply cut after its CR (the LF never came) was 'the server
    ends its reply lines with a bare CR', though every reply before it ended in CRLF."""
    assert _bare_cr_lines(head, replied) is bare_cr


def test_the_clear_text_after_a_close_notify_is_shown_as_a_line() -> None:
    assert _in_clear(b"") == ""
    assert _in_clear(b"421 4.7.0 closing\r\n250 more") == (
        " (and wrote in clear after it: '421 4.7.0 closing')"
    )
    shown = _in_clear(b"\x00\xff" + b"x" * 1000)
    assert shown.startswith(" (and wrote in clear after it: '\\x00\\\\xff")
    assert len(shown) < 200


def test_a_closed_step_keeps_its_outcome() -> None:
    step = Step(Stage.MAIL_FROM, "MAIL", 0.0, outcome=Outcome.CLOSED, tls_ended=True)
    assert step.to_json()["outcome"] == "closed"
