"""Hostile round five: what session 10 left to play.

Servers that judge a TLS hello by its SNI name, diagnosed **by name** (the
walk names the MX host, as Gmail and Microsoft 365 do): one that refuses a
hello with no name (an ``unrecognized_name``, ``internal_error`` or
``handshake_failure`` alert: RFC 6066 §3, httpbin's front end in
postmanlabs/httpbin#376, a name callback that refuses), one that serves such
a hello a default certificate (a self-signed ``localhost`` one, as in nextcloud/mail#1853; a hosting
provider's wildcard, chatmail/relay#523), one that refuses the MX host's own
name. Senders that send no SNI (Postfix's and Exim's defaults) fail the first
two where the walk is served; the doctor says so, and a healthy server costs
no connection more than before.

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

import datetime as dt
import ssl
from collections.abc import Iterator

import pytest

from smtpdoctor.lab.certs import issue
from smtpdoctor.lab.scenarios import LAB_HOSTNAME
from smtpdoctor.lab.scripted import Close, Reset, ScriptedServerThread, Tls
from support.hostile_smtp import (
    DAY,
    HANDSHAKE,
    SLACK,
    Case,
    add_custom,
    check,
    diagnose_domain,
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


# ---- servers that judge the hello by its SNI name, diagnosed by name ----

SNI_DOMAIN = "sni5.smtpdoctor.test."
MX = LAB_HOSTNAME + "."
TIMEOUT = 5.0


def _self_signed_localhost() -> tuple[bytes, bytes]:
    now = dt.datetime.now(dt.UTC)
    leaf = issue(["localhost"], not_before=now - DAY, not_after=now + 30 * DAY)
    return leaf.pem, leaf.key_pem


def _sni_server(server: ScriptedServerThread, how: str) -> ssl.SSLContext:
    """A TLS 1.3 server context that judges the hello's name: ``alert:N``
    refuses a hello with no name with alert N; ``default:KIND`` serves
    one another certificate (a self-signed localhost one, a wildcard of
    another domain, the same names under another key); ``refuse-own`` refuses
    a hello naming the MX host and serves one with no name; ``none`` serves
    every hello alike; ``tls13`` is TLS 1.3 only and serves every hello alike."""
    named = tls_context(lab_leaf(server))
    if how == "none":
        return named
    if how == "tls13":
        return tls_context(lab_leaf(server), minimum=ssl.TLSVersion.TLSv1_3)
    defaults = {
        "default:localhost": _self_signed_localhost,
        "default:wildcard": lambda: lab_leaf(server, ["*.shared-hosting.example"]),
        "default:same-names": lambda: lab_leaf(server),
    }
    chosen = tls_context(defaults[how]()) if how in defaults else named

    def choose(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
        if how.startswith("alert:") and name is None:
            return int(how.split(":")[1])
        if how == "refuse-own" and name == LAB_HOSTNAME:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        if how in defaults and name == LAB_HOSTNAME:
            sock.context = named
        return None

    chosen.sni_callback = choose  # type: ignore[assignment]
    return chosen


def _by_name(server: ScriptedServerThread, how: str) -> dict:
    _, port = add_custom(server, [session()], context=_sni_server(server, how))
    records = {(SNI_DOMAIN, "MX"): [f"10 {MX}"], (MX, "A"): ["127.0.0.1"]}
    doc, took = diagnose_domain(server, records, SNI_DOMAIN, port, TIMEOUT)
    assert took < TIMEOUT + SLACK, took
    return doc


# (name, how the server judges the name; finding, category, exit status, words in its message)
SNI_CASES = (
    (
        "required-unrecognized-name",
        "alert:112",
        "tls.sni.required",
        HANDSHAKE,
        1,
        "unrecognized_name",
    ),
    ("required-internal-error", "alert:80", "tls.sni.required", HANDSHAKE, 1, "internal_error"),
    (
        "required-handshake-failure",
        "alert:40",
        "tls.sni.required",
        HANDSHAKE,
        1,
        "handshake_failure",
    ),
    (
        "default-self-signed-localhost",
        "default:localhost",
        "tls.sni.default_certificate",
        "tls_certificate",
        1,
        "it names localhost",
    ),
    (
        "default-hosting-wildcard",
        "default:wildcard",
        "tls.sni.default_certificate",
        "tls_certificate",
        1,
        "*.shared-hosting.example",
    ),
    ("refuses-its-own-name", "refuse-own", "tls.sni.name_refused", HANDSHAKE, 2, "names no server"),
)


@pytest.mark.parametrize("spec", SNI_CASES, ids=[c[0] for c in SNI_CASES])
def test_hostile_five_sni_by_name(server: ScriptedServerThread, spec: tuple[str, ...]) -> None:
    _, how, fid, category, status, words = spec
    doc = _by_name(server, how)
    ids = [f["id"] for f in doc["findings"]]
    assert fid in ids, (ids, doc["verdict"])
    assert doc["verdict"]["category"] == category, doc["verdict"]
    assert doc["_status"] == int(status), (doc["verdict"], ids)
    said = next(f["message"] for f in doc["findings"] if f["id"] == fid)
    assert words in said, said
    # Not read as a pool whose members differ, nor as TLS 1.2 refused.
    assert "tls.certificate.pool_differs" not in ids, ids
    versions = doc["hosts"][0]["tls"]["versions"] if doc["hosts"][0]["tls"] else {}
    if fid != "tls.sni.name_refused":
        assert versions.get("TLSv1.2") is True, versions


def _sni_ids(doc: dict) -> list[str]:
    return [f["id"] for f in doc["findings"] if f["id"].startswith("tls.sni.")]


def test_hostile_five_sni_costs_only_when_suspect(server: ScriptedServerThread) -> None:
    """A server that serves every hello alike costs by name what it costs by
    address (where no hello names it); one that refuses a hello without a name
    costs one connection more (the named hello that tells); a default
    certificate that holds as well as the walk's, or a TLS 1.3-only server,
    none."""
    healthy = _by_name(server, "none")
    assert not _sni_ids(healthy), healthy["findings"]
    host, port = add_custom(server, [session()], context=_sni_server(server, "none"))
    by_address = run_at(host, port, Case("address", (), None, None, "ok", 0), server.ca_file)
    assert healthy["connections"] == by_address["connections"], (healthy, by_address)
    same = _by_name(server, "default:same-names")
    assert not _sni_ids(same), same["findings"]
    assert same["connections"] == healthy["connections"]
    only13 = _by_name(server, "tls13")
    assert only13["connections"] == healthy["connections"]
    assert only13["hosts"][0]["tls"]["versions"]["TLSv1.2"] is False
    assert not _sni_ids(only13), only13["findings"]
    required = _by_name(server, "alert:112")
    assert required["connections"] == healthy["connections"] + 1
    # The hello that went without a name says so in the matrix's JSON.
    probes = healthy["hosts"][0]["tls"]["probes"]["probes"]
    unnamed = [p["offered"] for p in probes if p.get("sni") is False]
    assert unnamed == ["TLSv1.2"], probes
    # The named hello took the unnamed one's place where it was sent.
    probes = required["hosts"][0]["tls"]["probes"]["probes"]
    assert not [p for p in probes if p.get("sni") is False], probes


def test_hostile_five_sni_required_by_address(server: ScriptedServerThread) -> None:
    """Walked by address (no name to send), refused with unrecognized_name: one
    hello naming the host the server announces (its EHLO name) is served, so
    the server requires SNI; the walk's refusal stays the verdict."""
    host, port = add_custom(server, [session()], context=_sni_server(server, "alert:112"))
    case = Case(
        "sni/required-by-address",
        (),
        "tls_handshake",
        "tls_alert",
        HANDSHAKE,
        2,
        finding="tls.sni.required",
        summary="server name",
        within=3.0,
    )
    doc = run_at(host, port, case, server.ca_file)
    check(doc, case)
    said = next(f["message"] for f in doc["findings"] if f["id"] == "tls.sni.required")
    assert f"naming {LAB_HOSTNAME}" in said, said
