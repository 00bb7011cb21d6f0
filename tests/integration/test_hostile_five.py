"""Hostile round five: what session 10 left to play.

A TLS 1.3 server that asks for a client certificate and, given none, closes
(or resets) the connection without an alert once the handshake is over: the
client, whose side of the handshake was complete, sees the refusal only at its
first read (RFC 8446 §4.4.2.4). The verdict names the required client
certificate, not a drop after EHLO; a server that only asks (Postfix's
``smtpd_tls_ask_ccert``) stays healthy.

Each case is a scripted server on loopback (:mod:`smtpdoctor.lab.scripted`,
one server for the module); ``diagnose`` runs on it in-process and the case
checks the failing step, the verdict, the exit status, no traceback and the
run inside ``--timeout`` plus 1 s (docs/lab.md, "Hostile round five").
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

from smtpdoctor.lab.scripted import Close, Reset, ScriptedServerThread, Tls
from support.hostile_smtp import (
    HANDSHAKE,
    Case,
    add_custom,
    check,
    lab_leaf,
    run_at,
    session,
    tls_context,
)

CLIENT_CERT = "tls.handshake.client_certificate_required"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptedServerThread]:
    with ScriptedServerThread(tmp_path_factory.mktemp("scripted-five")) as running:
        yield running


def _asking(server: ScriptedServerThread, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context that asks for a client certificate (CertificateRequest)
    and lets the handshake end without one: the script then decides."""
    context = tls_context(lab_leaf(server), maximum=maximum)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(server.ca_file)
    return context


def _after_handshake(*then: object) -> tuple[object, ...]:
    healthy = session()
    return (*healthy[: healthy.index(Tls()) + 1], *then)


# (name, what the server does after the handshake; outcome, category, status, finding)
CLIENT_CERTIFICATE_CASES = (
    ("close-without-alert", _after_handshake(Close()), "closed", HANDSHAKE, 2, CLIENT_CERT),
    (
        "reset-without-alert",
        _after_handshake(Reset()),
        "reset|closed",
        HANDSHAKE,
        2,
        CLIENT_CERT,
    ),
    # Asked, not required: the session goes on; nothing to say.
    ("asked-only", tuple(session()), None, "ok", 0, None),
)


@pytest.mark.parametrize(
    "spec", CLIENT_CERTIFICATE_CASES, ids=[c[0] for c in CLIENT_CERTIFICATE_CASES]
)
def test_hostile_five_tls13_client_certificate(
    server: ScriptedServerThread, spec: tuple[object, ...]
) -> None:
    name, script, outcome, category, status, fid = spec
    assert isinstance(script, tuple)
    host, port = add_custom(server, [script], context=_asking(server))
    case = Case(
        f"client-certificate/{name}",
        (),
        None if outcome is None else "ehlo",
        None if outcome is None else str(outcome),
        str(category),
        int(str(status)),
        finding=None if fid is None else str(fid),
        no_finding=() if fid is not None else (CLIENT_CERT,),
        verdict_stage="tls_handshake",
        summary="client certificate" if fid is not None else None,
        within=3.0,
    )
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    assert doc["hosts"][0]["tls"]["negotiated"] == "TLSv1.3", doc["hosts"][0]["tls"]
    if fid is not None:
        # Not read as a drop after EHLO as well.
        ids = [f["id"] for f in doc["findings"]]
        assert "ehlo.dropped.closed" not in ids, ids
        assert "ehlo.dropped.reset" not in ids, ids


def test_hostile_five_tls12_asking_then_closing(server: ScriptedServerThread) -> None:
    """The same at TLS 1.2, where the CertificateRequest is read in clear."""
    script = _after_handshake(Close())
    context = _asking(server, maximum=ssl.TLSVersion.TLSv1_2)
    host, port = add_custom(server, [script], context=context)
    case = Case(
        "client-certificate/tls12-close-without-alert",
        (),
        "ehlo",
        "closed",
        HANDSHAKE,
        2,
        finding=CLIENT_CERT,
        verdict_stage="tls_handshake",
        within=3.0,
    )
    check(run_at(host, port, case, server.ca_file), case)
