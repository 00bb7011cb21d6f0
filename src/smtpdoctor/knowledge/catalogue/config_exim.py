"""Exim configuration (smtpdoctor config on exim -bP).

Each finding names the main option or the transport option and its line;
the fix written for the option comes first, then the Exim and generic
recipes.
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue._config import (
    certificate_specs,
    config_fixes,
    helo_specs,
    open_relay_spec,
    setting_example,
    timeout_spec,
)
from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Severity, Stage

__all__ = ["SPECS"]

_X = MTA.EXIM
_C = Category
_WARN = Severity.WARNING


def _fix(steps: str, snippet: str, verify: str) -> Fix:
    return Fix(_X, (steps,), snippet, verify)


def _tls_fix(p: Params) -> Fix:
    option = p["param"]
    return _fix(
        f"Let {option} allow TLS 1.2 and 1.3 (or remove it to use the library defaults).",
        "# OpenSSL build\nopenssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1\n"
        "# GnuTLS build\ntls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        f"exim -bP {option}",
    )


def _timeout_fix(p: Params) -> Fix:
    option = p["param"]
    transport = p.get("connector")
    if transport is None:  # the server's smtp_receive_timeout
        return _fix(
            "Raise smtp_receive_timeout.",
            "smtp_receive_timeout = 5m",
            "exim -bP smtp_receive_timeout",
        )
    return _fix(
        f"Raise {option} on the {transport} transport to at least {p['floor']}.",
        f"# {transport} transport\n{option} = {int(p['minimum_seconds'])}s",
        "exim -bP transport " + (transport if not transport.endswith("-driver") else "remote_smtp"),
    )


_HELO_FIX = _fix(
    "Set primary_hostname (or helo_data on the smtp transport) to the name "
    "the sending IP's PTR returns.",
    "primary_hostname = mail.example.com\n# remote_smtp transport:\nhelo_data = mail.example.com",
    "exim -bP primary_hostname",
)

_CLOSE_RELAY = _fix(
    "List only your own networks in relay_from_hosts, then restart Exim.",
    "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; 192.0.2.0/24",
    "exim -bP +relay_from_hosts",
)

_TLS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="exim.tls.protocols_no_tls12",
        severity=None,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="openssl_options or a GnuTLS tls_require_ciphers leaves no TLS 1.2 (critical "
        "with nothing modern left, a warning with only TLS 1.3).",
        message="{param} disables TLS 1.2 for the {who} ({where}): {why}.",
        fixes=config_fixes(_X, _C.TLS_VERSION_MISMATCH, _tls_fix),
        example=setting_example(
            "tls_require_ciphers",
            "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1",
            who="server (receiving)",
            why="only TLSv1 and TLSv1.1 are left, and Microsoft 365, Gmail, Yahoo and most "
            "current MTAs refuse anything below TLS 1.2, so the handshake fails",
        ),
        source="RFC 8996",
    ),
    FindingSpec(
        id="exim.tls.ciphers_no_modern",
        severity=None,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="An OpenSSL tls_require_ciphers leaves no cipher suite modern peers accept.",
        message="tls_require_ciphers for the {who} ({where}): {why}.",
        fixes=config_fixes(_X, _C.TLS_HANDSHAKE_FAILURE, _tls_fix),
        example=setting_example(
            "tls_require_ciphers",
            "RC4-SHA",
            who="server (receiving)",
            why="it lists only legacy suites (RC4-SHA), which current OpenSSL builds and "
            "peers that require TLS 1.2 will not negotiate: no shared cipher",
        ),
    ),
    FindingSpec(
        id="exim.tls.advertise_off",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="tls_advertise_hosts is empty: STARTTLS is offered to nobody.",
        message=(
            "tls_advertise_hosts is empty ({where}): Exim offers STARTTLS to nobody, so "
            "senders that require TLS (Microsoft 365 partner connectors, MTA-STS 'enforce' "
            "domains) cannot deliver, and everyone else sends in clear text."
        ),
        fixes=config_fixes(
            _X,
            _C.STARTTLS_UNAVAILABLE,
            _fix(
                "Advertise STARTTLS to every host.",
                "tls_advertise_hosts = *",
                "exim -bP tls_advertise_hosts",
            ),
        ),
        example=setting_example("tls_advertise_hosts", ""),
    ),
    FindingSpec(
        id="exim.tls.no_certificate",
        severity=_WARN,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="STARTTLS is advertised but tls_certificate is empty (a self-signed one is made up).",
        message=(
            "STARTTLS is advertised ({where}) but tls_certificate is empty (line {line}): "
            "Exim makes up a self-signed certificate, which verifying senders (DANE, MTA-STS, "
            "Microsoft 365 with certificate validation) refuse."
        ),
        fixes=config_fixes(_X, _C.TLS_CERTIFICATE),
        example=setting_example(
            "tls_certificate", "", line=225, where="line 224: tls_advertise_hosts = *"
        ),
    ),
    FindingSpec(
        id="exim.tls.client_tls_off",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="hosts_avoid_tls = * on a transport: deliveries never use TLS.",
        message=(
            "hosts_avoid_tls = * on the {connector} transport ({where}): Exim never starts "
            "TLS when delivering, and receivers that require it refuse the mail ('530 5.7.0 "
            "Must issue a STARTTLS command first')."
        ),
        fixes=config_fixes(_X, _C.STARTTLS_UNAVAILABLE),
        example=setting_example("hosts_avoid_tls", "*", connector="remote_smtp"),
    ),
    FindingSpec(
        id="exim.tls.client_tls_required_globally",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="hosts_require_tls = * on a transport: TLS required of every destination.",
        message=(
            "hosts_require_tls = * on the {connector} transport ({where}): mail to servers "
            "without STARTTLS is deferred and bounces when it expires."
        ),
        fixes=config_fixes(_X, _C.STARTTLS_UNAVAILABLE),
        example=setting_example("hosts_require_tls", "*", connector="remote_smtp"),
    ),
)

_OTHER: tuple[FindingSpec, ...] = (
    open_relay_spec(
        "exim.relay.relay_from_hosts_everyone",
        _X,
        title="relay_from_hosts matches every host.",
        fix=_CLOSE_RELAY,
        example=setting_example(
            "hostlist relay_from_hosts",
            "<; 0.0.0.0/0",
            what="relay_from_hosts matches every host (line 12: hostlist relay_from_hosts = "
            "<; 0.0.0.0/0)",
        ),
    ),
    timeout_spec(
        "exim.timeout.too_short",
        _X,
        title="A transport timeout or smtp_receive_timeout is below RFC 5321's minimum "
        "(the stage is the timeout's).",
        fix=_timeout_fix,
        example=setting_example(
            "command_timeout",
            "30s",
            shown="30 s",
            floor="5 min",
            why="RFC 5321 §4.5.3.2 gives the greeting, MAIL and RCPT replies 5 minutes each",
            seconds=30.0,
            minimum_seconds=300,
            connector="remote_smtp",
        ),
    ),
    FindingSpec(
        id="exim.rate.limit_too_low",
        severity=_WARN,
        category=None,
        stage=Stage.CONNECT,
        title="smtp_accept_max* or smtp_load_reserve low enough to turn senders away "
        "(rate_limited; service_unavailable for the load reserve).",
        message=(
            "{param} = {limit} ({where}) is low enough to turn away legitimate senders "
            "with {symptom}."
        ),
        fixes=config_fixes(_X, None),
        example=setting_example(
            "smtp_accept_max_per_host",
            "1",
            limit=1,
            minimum=3,
            cause=_C.RATE_LIMITED,
            symptom="'421 Too many concurrent SMTP connections from this IP address; please "
            "try again later'",
        ),
    ),
    FindingSpec(
        id="exim.size.message_limit_tiny",
        severity=_WARN,
        category=_C.MESSAGE_SIZE,
        stage=Stage.MAIL_FROM,
        title="message_size_limit below 1 MB.",
        message=(
            "message_size_limit = {size} ({where}): ordinary mail with an attachment is "
            "refused ('552 Message size exceeds maximum permitted')."
        ),
        fixes=config_fixes(_X, _C.MESSAGE_SIZE),
        example=setting_example("message_size_limit", "500K", size="500K"),
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    *_TLS,
    *_OTHER,
    *helo_specs(
        "exim.helo",
        _X,
        what="EHLO name",
        stage=Stage.EHLO,
        fix=_HELO_FIX,
        setting="helo_data on a transport, or primary_hostname",
    ),
    *helo_specs(
        "exim.hostname",
        _X,
        what="server name (banner)",
        stage=Stage.GREETING,
        fix=_HELO_FIX,
        setting="primary_hostname, when a transport sets helo_data",
    ),
    *certificate_specs(_X, "primary_hostname"),
)
