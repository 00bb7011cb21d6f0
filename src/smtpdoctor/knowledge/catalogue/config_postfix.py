"""Postfix configuration (smtpdoctor config on postconf -n or main.cf).

Each finding names the ``main.cf`` parameter and line; the fix written for
the parameter comes first, then the Postfix and generic recipes.
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

_P = MTA.POSTFIX
_C = Category
_WARN, _CRIT, _INFO = Severity.WARNING, Severity.CRITICAL, Severity.INFO


def _fix(steps: str, snippet: str, verify: str) -> Fix:
    return Fix(_P, (steps,), snippet, verify)


def _protocols_fix(p: Params) -> Fix:
    param = p["param"]
    return _fix(
        f"Set {param} so that TLS 1.2 and 1.3 stay enabled, then run 'postfix reload'.",
        f"{param} = >=TLSv1.2\n# Postfix before 3.6: {param} = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
        f"postconf {param}",
    )


def _grade_fix(p: Params) -> Fix:
    param = p["param"]
    return _fix(f"Use the default grade for {param}.", f"{param} = medium", f"postconf {param}")


def _cipherlist_fix(p: Params) -> Fix:
    param = p["param"]
    return _fix(
        f"Remove the {param} override so Postfix uses its built-in list, then 'postfix reload'.",
        f"postconf -X {param}",
        f"postconf -d {param}",
    )


def _timeout_fix(p: Params) -> Fix:
    param = p["param"]
    return _fix(
        f"Raise {param} to at least {p['floor']} (or remove it to use Postfix's default).",
        f"{param} = {int(p['minimum_seconds'])}s",
        f"postconf {param}",
    )


def _rate_fix(p: Params) -> Fix:
    param = p["param"]
    return _fix(
        f"Raise {param} (or remove it), and exempt known senders with "
        "smtpd_client_event_limit_exceptions.",
        f"{param} = {p['minimum'] * 5}\nsmtpd_client_event_limit_exceptions = $mynetworks",
        f"postconf {param}",
    )


_HELO_FIX = _fix(
    "Send the name the sending IP's PTR returns, and make that name resolve back to the IP.",
    "myhostname = mail.example.com\n# or only for EHLO:\nsmtp_helo_name = mail.example.com",
    "postconf myhostname smtp_helo_name; dig -x <sending IP> +short",
)

_CLOSE_RELAY = _fix(
    "Trust only your own networks, relay only for them and for authenticated users, "
    "then 'postfix reload' and check the IP against blocklists.",
    "mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24\n"
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
    "reject_unauth_destination",
    "postconf mynetworks smtpd_relay_restrictions smtpd_recipient_restrictions",
)

_TLS_WHY = (
    "only TLSv1 and TLSv1.1 are left, and Microsoft 365, Gmail, Yahoo and most current "
    "MTAs refuse anything below TLS 1.2, so the handshake fails"
)

_TLS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="postfix.tls.protocols_no_tls12",
        severity=None,
        category=_C.TLS_VERSION_MISMATCH,
        stage=Stage.TLS_HANDSHAKE,
        title="A *_tls_protocols / *_tls_mandatory_protocols setting leaves no TLS 1.2 "
        "(critical with nothing modern left, a warning with only TLS 1.3 or while the "
        "setting is dormant).",
        message="{param} disables TLS 1.2 for {who} ({where}): {why}.{note}",
        fixes=config_fixes(_P, _C.TLS_VERSION_MISMATCH, _protocols_fix),
        example=setting_example(
            "smtpd_tls_protocols",
            "<=TLSv1.1",
            who="receiving (smtpd: other servers sending to you)",
            why=_TLS_WHY,
            note="",
            side="smtpd",
            enabled=["TLSv1", "TLSv1.1"],
        ),
        source="RFC 8996",
    ),
    FindingSpec(
        id="postfix.tls.weak_cipher_grade",
        severity=None,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="A *_tls_ciphers grade is export, low (a warning) or null (critical).",
        message="{param} = {grade} ({where}): {why}.",
        fixes=config_fixes(_P, _C.TLS_HANDSHAKE_FAILURE, _grade_fix),
        example=setting_example(
            "smtp_tls_ciphers",
            "export",
            grade="export",
            why="the 'export' grade adds export/low-strength suites; OpenSSL security levels "
            "and strict peers refuse them, and it usually marks tuning for a peer that no "
            "longer exists",
        ),
    ),
    FindingSpec(
        id="postfix.tls.cipherlist_no_modern",
        severity=None,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="A tls_*_cipherlist override leaves no cipher suite modern peers accept.",
        message="{param} is overridden ({where}) and {why}.",
        fixes=config_fixes(_P, _C.TLS_HANDSHAKE_FAILURE, _cipherlist_fix),
        example=setting_example(
            "tls_high_cipherlist",
            "RC4-SHA:DES-CBC3-SHA",
            why="it lists only legacy suites (RC4-SHA, DES-CBC3-SHA), which current OpenSSL "
            "builds and peers that require TLS 1.2 will not negotiate: no shared cipher",
        ),
    ),
    FindingSpec(
        id="postfix.tls.server_starttls_off",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="smtpd offers no STARTTLS while it listens on public interfaces.",
        message=(
            "The SMTP server offers no STARTTLS ({where}) while it listens on public "
            "interfaces (inet_interfaces = {interfaces}): senders that require TLS (Microsoft "
            "365 partner connectors with RequireTls, MTA-STS 'enforce' domains, Postfix at "
            "level encrypt) cannot deliver to you, and the rest send in clear text."
        ),
        fixes=config_fixes(
            _P,
            _C.STARTTLS_UNAVAILABLE,
            _fix(
                "Offer STARTTLS with a certificate for the MX host name.",
                "smtpd_tls_security_level = may\n"
                "smtpd_tls_chain_files = /etc/ssl/private/mx.example.com.pem",
                "postconf smtpd_tls_security_level smtpd_tls_chain_files",
            ),
        ),
        example=setting_example("smtpd_tls_security_level", "none", interfaces="all"),
    ),
    FindingSpec(
        id="postfix.tls.server_no_certificate",
        severity=None,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="smtpd TLS is on but no certificate is configured (critical at level encrypt).",
        message=(
            "smtpd TLS is at level '{level}' but no certificate is configured "
            "(none of {params}): {consequence}."
        ),
        fixes=config_fixes(
            _P,
            _C.STARTTLS_UNAVAILABLE,
            _fix(
                "Point smtpd at the certificate chain and key for the MX name.",
                "smtpd_tls_chain_files = /etc/letsencrypt/live/mx.example.com/privkey.pem,\n"
                "    /etc/letsencrypt/live/mx.example.com/fullchain.pem",
                "postconf smtpd_tls_chain_files smtpd_tls_cert_file",
            ),
        ),
        example=setting_example(
            "smtpd_tls_security_level",
            "may",
            level="may",
            params="smtpd_tls_cert_file, smtpd_tls_chain_files, smtpd_tls_eccert_file, "
            "smtpd_tls_dcert_file",
            consequence="Postfix logs 'No server certs available. TLS won't be enabled' and "
            "offers no STARTTLS at all",
        ),
    ),
    FindingSpec(
        id="postfix.tls.snakeoil_certificate",
        severity=_WARN,
        category=_C.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        title="smtpd presents the distribution's self-signed 'snakeoil' certificate.",
        message=(
            "smtpd presents the distribution's self-signed 'snakeoil' certificate ({where}): "
            "senders that verify (DANE, MTA-STS, Microsoft 365 partner connectors with "
            "certificate validation) refuse it."
        ),
        fixes=config_fixes(_P, _C.TLS_CERTIFICATE),
        example=setting_example("smtpd_tls_cert_file", "/etc/ssl/certs/ssl-cert-snakeoil.pem"),
    ),
    FindingSpec(
        id="postfix.tls.client_tls_off",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="The SMTP client never uses STARTTLS (smtp_tls_security_level none or unset).",
        message=(
            "The SMTP client never uses STARTTLS ({where}): receivers that require TLS "
            "(Microsoft 365 with an inbound connector that requires TLS, partners with "
            "'530 5.7.0 Must issue a STARTTLS command first') refuse your mail.{extra}"
        ),
        fixes=config_fixes(
            _P,
            _C.STARTTLS_UNAVAILABLE,
            _fix(
                "Use opportunistic TLS for every destination.",
                "smtp_tls_security_level = may\n"
                "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt",
                "postconf smtp_tls_security_level",
            ),
        ),
        example=setting_example("smtp_tls_security_level", "none", extra=""),
    ),
    FindingSpec(
        id="postfix.tls.client_tls_required_globally",
        severity=_WARN,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="The SMTP client requires TLS of every destination, with no relayhost.",
        message=(
            "smtp_tls_security_level = {level} applies to every destination ({where}): mail "
            "to servers that offer no STARTTLS{unverified} is deferred ('TLS is required, but "
            "was not offered by host ...') and bounces when it expires."
        ),
        fixes=config_fixes(
            _P,
            _C.STARTTLS_UNAVAILABLE,
            _fix(
                "Keep 'may' globally and require TLS per destination.",
                "smtp_tls_security_level = may\n"
                "smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n"
                "# /etc/postfix/tls_policy:  partner.example  encrypt",
                "postconf smtp_tls_security_level smtp_tls_policy_maps",
            ),
        ),
        example=setting_example(
            "smtp_tls_security_level",
            "verify",
            level="verify",
            unverified=" or whose certificate does not verify",
        ),
    ),
    FindingSpec(
        id="postfix.tls.dane_without_dnssec",
        severity=_INFO,
        category=_C.STARTTLS_UNAVAILABLE,
        stage=Stage.STARTTLS,
        title="smtp_tls_security_level = dane without smtp_dns_support_level = dnssec.",
        message=(
            "smtp_tls_security_level = dane ({where}) without smtp_dns_support_level = "
            "dnssec: Postfix cannot see validated TLSA records, logs a warning and falls "
            "back to opportunistic TLS."
        ),
        fixes=config_fixes(_P, _C.STARTTLS_UNAVAILABLE),
        example=setting_example("smtp_tls_security_level", "dane"),
        source="RFC 7672",
    ),
    FindingSpec(
        id="postfix.tls.smtpd_wrappermode_global",
        severity=_CRIT,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.GREETING,
        title="smtpd_tls_wrappermode = yes in main.cf (every smtpd, port 25 included).",
        message=(
            "smtpd_tls_wrappermode = yes in main.cf ({where}) makes every smtpd, port 25 "
            "included, expect a TLS handshake before the greeting: MTAs connecting to port 25 "
            "wait for a '220' that never comes and time out."
        ),
        fixes=config_fixes(
            _P,
            _C.TLS_HANDSHAKE_FAILURE,
            _fix(
                "Remove it from main.cf; set it only on the port-465 service in master.cf.",
                "# master.cf\nsmtps     inet  n  -  y  -  -  smtpd\n  -o smtpd_tls_wrappermode=yes",
                "postconf -n smtpd_tls_wrappermode",
            ),
        ),
        example=setting_example("smtpd_tls_wrappermode", "yes"),
    ),
    FindingSpec(
        id="postfix.tls.smtp_wrappermode_not_465",
        severity=_CRIT,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="smtp_tls_wrappermode = yes without a relayhost on port 465.",
        message=(
            "smtp_tls_wrappermode = yes ({where}) starts TLS at once on every delivery, but "
            "only port 465 speaks implicit TLS; servers on port 25 and 587 wait for EHLO and "
            "the handshake fails or hangs."
        ),
        fixes=config_fixes(_P, _C.TLS_HANDSHAKE_FAILURE),
        example=setting_example("smtp_tls_wrappermode", "yes"),
        source="RFC 8314 §3",
    ),
)

_RELAY: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="postfix.relay.port465_without_wrappermode",
        severity=_CRIT,
        category=_C.NETWORK_TIMEOUT,
        stage=Stage.GREETING,
        title="relayhost on port 465 without smtp_tls_wrappermode = yes.",
        message=(
            "relayhost uses port 465 ({where}) but smtp_tls_wrappermode is not 'yes': Postfix "
            "waits for the 220 greeting while the server waits for a TLS ClientHello, until "
            "'conversation with ... timed out while receiving the initial server greeting'."
        ),
        fixes=config_fixes(
            _P,
            _C.NETWORK_TIMEOUT,
            _fix(
                "Either use port 587 with STARTTLS, or turn on wrapper mode for the 465 relay.",
                "relayhost = [smtp.example.com]:587\n"
                "# or, for port 465:\nsmtp_tls_wrappermode = yes\n"
                "smtp_tls_security_level = encrypt",
                "postconf relayhost smtp_tls_wrappermode",
            ),
        ),
        example=setting_example("relayhost", "[smtp.example.com]:465"),
        source="RFC 8314 §3",
    ),
    open_relay_spec(
        "postfix.relay.mynetworks_everyone",
        _P,
        title="mynetworks contains a /0: every host may relay.",
        fix=_CLOSE_RELAY,
        example=setting_example(
            "mynetworks",
            "0.0.0.0/0",
            what="mynetworks contains 0.0.0.0/0 (line 12: mynetworks = 0.0.0.0/0): every "
            "host on the Internet counts as a trusted client and may relay through you",
        ),
    ),
    open_relay_spec(
        "postfix.relay.restrictions_open",
        _P,
        title="Neither smtpd_relay_restrictions nor smtpd_recipient_restrictions stops "
        "unauthorised relaying.",
        fix=_CLOSE_RELAY,
        example=setting_example(
            "smtpd_relay_restrictions",
            "permit",
            what="neither smtpd_relay_restrictions nor smtpd_recipient_restrictions stops "
            "unauthorised relaying before a 'permit' (line 12: smtpd_relay_restrictions = "
            "permit)",
        ),
    ),
)

_LIMITS: tuple[FindingSpec, ...] = (
    timeout_spec(
        "postfix.timeout.too_short",
        _P,
        title="An smtp_*_timeout / smtpd_timeout is below RFC 5321's minimum (the stage is "
        "the timeout's).",
        fix=_timeout_fix,
        example=setting_example(
            "smtp_helo_timeout",
            "30s",
            shown="30 s",
            floor="5 min",
            why="RFC 5321 §4.5.3.2.1 gives the initial 220 greeting 5 minutes",
            seconds=30.0,
            minimum_seconds=300,
        ),
    ),
    FindingSpec(
        id="postfix.rate.limit_too_low",
        severity=_WARN,
        category=None,
        stage=Stage.CONNECT,
        title="An anvil rate/count limit or default_process_limit low enough to throttle "
        "big senders (rate_limited; network_timeout for the process limit).",
        message=(
            "{param} = {limit}{per} ({where}) is low enough to throttle legitimate senders: "
            "big senders (Microsoft 365, Gmail, mailing lists) open many sessions at once and "
            "get {symptom}."
        ),
        fixes=config_fixes(_P, None, _rate_fix),
        example=setting_example(
            "smtpd_client_connection_count_limit",
            "2",
            limit=2,
            minimum=5,
            per="",
            cause=_C.RATE_LIMITED,
            symptom="'421 4.7.0 Error: too many connections from <IP>'",
        ),
    ),
    FindingSpec(
        id="postfix.sasl.auth_without_tls",
        severity=_CRIT,
        category=_C.AUTHENTICATION,
        stage=Stage.AUTH,
        title="SMTP AUTH to a relayhost is on but the client never starts TLS.",
        message=(
            "SMTP AUTH to relayhost {relay} is enabled ({where}) but the client never starts "
            "TLS: Microsoft 365 (smtp.office365.com), Gmail and most submission services "
            "offer AUTH only after STARTTLS, so Postfix cannot log in ('530 5.7.57 Client not "
            "authenticated' or 'no mechanism available')."
        ),
        fixes=config_fixes(_P, _C.AUTHENTICATION, also=(MTA.MICROSOFT365,)),
        example=setting_example("smtp_sasl_auth_enable", "yes", relay="[smtp.office365.com]:587"),
    ),
    FindingSpec(
        id="postfix.sasl.noplaintext",
        severity=_WARN,
        category=_C.AUTHENTICATION,
        stage=Stage.AUTH,
        title="The client's SASL security options forbid PLAIN and LOGIN.",
        message=(
            "SMTP AUTH is enabled ({where}) and the effective {option} ('{effective}') forbids "
            "plaintext mechanisms; relays that offer only PLAIN and LOGIN (Microsoft 365, "
            "Gmail, most providers) leave nothing to use: 'SASL authentication failed; cannot "
            "authenticate to server ...: no mechanism available'."
        ),
        fixes=config_fixes(
            _P,
            _C.AUTHENTICATION,
            _fix(
                "Allow PLAIN/LOGIN, which are safe inside TLS.",
                "smtp_sasl_security_options = noanonymous\n"
                "smtp_sasl_tls_security_options = noanonymous",
                "postconf smtp_sasl_security_options smtp_sasl_tls_security_options",
            ),
        ),
        example=setting_example(
            "smtp_sasl_auth_enable",
            "yes",
            option="smtp_sasl_tls_security_options",
            effective="noplaintext, noanonymous",
        ),
    ),
    FindingSpec(
        id="postfix.size.message_limit_tiny",
        severity=_WARN,
        category=_C.MESSAGE_SIZE,
        stage=Stage.MAIL_FROM,
        title="message_size_limit below 1 MB.",
        message=(
            "message_size_limit = {size} bytes ({where}): ordinary mail with an attachment is "
            "refused with '552 5.3.4 Message size exceeds fixed limit'."
        ),
        fixes=config_fixes(_P, _C.MESSAGE_SIZE),
        example=setting_example("message_size_limit", "512000", size=512000),
    ),
    FindingSpec(
        id="postfix.size.mailbox_below_message_limit",
        severity=_CRIT,
        category=_C.MESSAGE_SIZE,
        stage=Stage.MESSAGE,
        title="mailbox_size_limit smaller than message_size_limit (local(8) stops).",
        message=(
            "mailbox_size_limit ({box}) is smaller than message_size_limit ({message_limit}) "
            "({where}): local(8) stops with 'fatal: main.cf configuration error: "
            "mailbox_size_limit is smaller than message_size_limit' and local deliveries stay "
            "deferred."
        ),
        fixes=config_fixes(
            _P,
            _C.MESSAGE_SIZE,
            _fix(
                "Make mailbox_size_limit at least message_size_limit (0 = no limit).",
                "mailbox_size_limit = 0",
                "postconf mailbox_size_limit message_size_limit",
            ),
        ),
        example=setting_example(
            "mailbox_size_limit", "5120000", box=5120000, message_limit=10240000
        ),
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    *_TLS,
    *_RELAY,
    *helo_specs(
        "postfix.helo",
        _P,
        what="EHLO name",
        stage=Stage.EHLO,
        fix=_HELO_FIX,
        setting="smtp_helo_name, or myhostname",
    ),
    *helo_specs(
        "postfix.hostname",
        _P,
        what="server name (banner)",
        stage=Stage.GREETING,
        fix=_HELO_FIX,
        setting="myhostname, when smtp_helo_name is set",
    ),
    *_LIMITS,
    *certificate_specs(_P, "myhostname, smtp_helo_name"),
)
