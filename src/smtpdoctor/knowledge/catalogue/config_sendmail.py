"""sendmail configuration (smtpdoctor config on sendmail.mc or sendmail.cf).

Each finding names the ``.cf`` option (the parser maps ``.mc`` defines to
it) and its line; the fix says what to change in ``sendmail.mc``, then come
the sendmail and generic recipes.
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

_S = MTA.SENDMAIL
_C = Category
_WARN = Severity.WARNING


def _mc_fix(
    name: str, value: str, cf_option: str, *, is_define: bool = True, macro: bool = False
) -> Fix:
    """Change ``name`` in sendmail.mc to ``value``; verify with the .cf line it makes."""
    snippet = f"define(`{name}', {value})dnl" if is_define else f"{name}({value})dnl"
    verify = (
        f"grep '^D{cf_option[1:]}' /etc/mail/sendmail.cf"
        if macro
        else f"grep -E '^O {cf_option}' /etc/mail/sendmail.cf"
    )
    return Fix(
        _S,
        (
            f"Change {name} in sendmail.mc, rebuild sendmail.cf "
            "(make -C /etc/mail, or m4 sendmail.mc > sendmail.cf) and restart sendmail.",
        ),
        snippet,
        verify,
    )


def _protocols_fix(p: Params) -> Fix:
    option = p["param"]
    define = "confSERVER_SSL_OPTIONS" if option.startswith("Server") else "confCLIENT_SSL_OPTIONS"
    return _mc_fix(
        define, "`+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1'", option
    )


def _timeout_fix(p: Params) -> Fix:
    option = p["param"]
    floor = p["minimum_seconds"]
    define = "confTO_" + option.split(".", 1)[1].upper()
    return _mc_fix(define, f"`{int(floor // 60)}m'" if floor >= 60 else f"`{int(floor)}s'", option)


_CLOSE_RELAY = Fix(
    _S,
    (
        "Remove FEATURE(`promiscuous_relay') from sendmail.mc, list relay clients in "
        "/etc/mail/access ('Connect:192.0.2 RELAY'), rebuild sendmail.cf and restart.",
    ),
    "dnl FEATURE(`promiscuous_relay')dnl",
    "grep -c promiscuous_relay /etc/mail/sendmail.cf",
)

_TLS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="sendmail.tls.protocols_no_tls12",
        severity=None,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="ServerSSLOptions / ClientSSLOptions leave no TLS 1.2 (critical with nothing "
        "modern left, a warning with only TLS 1.3).",
        message="{param} disables TLS 1.2 for {who} ({where}): {why}.",
        fixes=config_fixes(_S, _C.TLS_VERSION_MISMATCH, _protocols_fix),
        example=setting_example(
            "ServerSSLOptions",
            "+SSL_OP_NO_TLSv1_2 +SSL_OP_NO_TLSv1_3",
            who="receiving (server)",
            why="only TLSv1 and TLSv1.1 are left, and Microsoft 365, Gmail, Yahoo and most "
            "current MTAs refuse anything below TLS 1.2, so the handshake fails",
        ),
        source="RFC 8996",
    ),
    FindingSpec(
        id="sendmail.tls.ciphers_no_modern",
        severity=None,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="CipherList leaves no cipher suite modern peers accept.",
        message="CipherList ({where}): {why}.",
        fixes=config_fixes(
            _S,
            _C.TLS_HANDSHAKE_FAILURE,
            _mc_fix("confCIPHER_LIST", "`HIGH:MEDIUM:!aNULL:!eNULL'", "CipherList"),
        ),
        example=setting_example(
            "CipherList",
            "RC4-SHA:DES-CBC3-SHA",
            why="it lists only legacy suites (RC4-SHA, DES-CBC3-SHA), which current OpenSSL "
            "builds and peers that require TLS 1.2 will not negotiate: no shared cipher",
        ),
    ),
    FindingSpec(
        id="sendmail.tls.server_no_certificate",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="No server certificate (confSERVER_CERT): sendmail offers no STARTTLS.",
        message=(
            "No server certificate is configured (confSERVER_CERT / ServerCertFile), so "
            "sendmail offers no STARTTLS: senders that require TLS (Microsoft 365 partner "
            "connectors, MTA-STS 'enforce' domains) cannot deliver to it."
        ),
        fixes=config_fixes(_S, _C.STARTTLS_UNAVAILABLE),
        example=setting_example("DaemonPortOptions", "Port=smtp, Name=MTA"),
    ),
    FindingSpec(
        id="sendmail.tls.daemon_no_starttls",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="A DAEMON_OPTIONS with the S modifier (no STARTTLS on that daemon).",
        message=(
            "DAEMON_OPTIONS has the S modifier ({where}): this daemon does not offer STARTTLS."
        ),
        fixes=config_fixes(_S, _C.STARTTLS_UNAVAILABLE),
        example=setting_example("DaemonPortOptions", "Port=smtp, Name=MTA, M=S"),
    ),
)

_OTHER: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="sendmail.daemon.loopback_only",
        severity=_WARN,
        category=_C.FIREWALL_BLOCK,
        stage=Stage.CONNECT,
        title="Every DAEMON_OPTIONS listens on loopback only.",
        message=(
            "sendmail listens on loopback only ({where}): if this host is an MX or a relay "
            "for other machines, their connections are refused."
        ),
        fixes=config_fixes(
            _S,
            _C.FIREWALL_BLOCK,
            _mc_fix(
                "DAEMON_OPTIONS", "`Port=smtp, Name=MTA'", "DaemonPortOptions", is_define=False
            ),
        ),
        example=setting_example("DaemonPortOptions", "Port=smtp,Addr=127.0.0.1, Name=MTA"),
    ),
    open_relay_spec(
        "sendmail.relay.promiscuous_relay",
        _S,
        title="FEATURE(`promiscuous_relay'): anyone may relay.",
        fix=_CLOSE_RELAY,
        example=setting_example(
            "FEATURE:promiscuous_relay",
            "",
            what="FEATURE(`promiscuous_relay') (line 12: FEATURE(`promiscuous_relay')dnl) "
            "lets anyone relay through this server",
        ),
    ),
    timeout_spec(
        "sendmail.timeout.too_short",
        _S,
        title="A Timeout.* option is below RFC 5321's minimum (the stage is the timeout's).",
        fix=_timeout_fix,
        example=setting_example(
            "Timeout.initial",
            "1m",
            shown="1 min",
            floor="5 min",
            why="RFC 5321 §4.5.3.2.1: 5 minutes for the greeting",
            seconds=60.0,
            minimum_seconds=300,
        ),
    ),
    FindingSpec(
        id="sendmail.rate.limit_too_low",
        severity=_WARN,
        category=None,
        stage=Stage.CONNECT,
        title="MaxDaemonChildren, RefuseLA or ConnectionRateThrottle low enough to turn "
        "senders away (rate_limited; service_unavailable for RefuseLA).",
        message="{param} = {limit} ({where}) is low: {symptom}.",
        fixes=config_fixes(_S, None),
        example=setting_example(
            "MaxDaemonChildren",
            "4",
            limit=4,
            minimum=10,
            cause=_C.RATE_LIMITED,
            symptom="further connections are refused or left waiting ('421 4.3.2 Too many "
            "open connections', log 'rejecting connections on daemon MTA: N children, max N')",
        ),
    ),
    FindingSpec(
        id="sendmail.size.message_limit_tiny",
        severity=_WARN,
        category=_C.MESSAGE_SIZE,
        stage=Stage.MAIL_FROM,
        title="MaxMessageSize below 1 MB.",
        message=(
            "MaxMessageSize = {size} bytes ({where}): ordinary mail with an attachment is "
            "refused ('552 5.2.3 Message size exceeds maximum value')."
        ),
        fixes=config_fixes(_S, _C.MESSAGE_SIZE),
        example=setting_example("MaxMessageSize", "500000", size=500000),
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    *_TLS,
    *_OTHER,
    *helo_specs(
        "sendmail.helo",
        _S,
        what="EHLO name",
        stage=Stage.EHLO,
        fix=_mc_fix("confDOMAIN_NAME", "`mail.example.com'", "Dj", macro=True),
        setting="$j (confDOMAIN_NAME)",
    ),
    *certificate_specs(_S, "$j (confDOMAIN_NAME)"),
)
