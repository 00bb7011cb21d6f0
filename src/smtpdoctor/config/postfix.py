"""Postfix rules: ``postconf -n`` / ``main.cf`` settings → findings. Pure.

Reads the main section :mod:`smtpdoctor.config.parsers` makes of the dump,
expanding ``$name`` references as Postfix does. The findings' words and
fixes are in :mod:`smtpdoctor.knowledge.catalogue.config_postfix`.
"""

from __future__ import annotations

import ipaddress
import re

from smtpdoctor.config.common import (
    Ctx,
    cert_findings,
    evidence,
    helo_findings,
    open_relay,
    short,
    timeout_finding,
    where,
)
from smtpdoctor.config.judgements import (
    TLS_CANON,
    TLS_ORDER,
    as_int,
    cipherlist_problem,
    duration_seconds,
    tls_verdict,
)
from smtpdoctor.config.parsers import ConfigDump, Section, Setting
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Severity, Stage

__all__ = [
    "MANDATORY_LEVELS",
    "check",
    "ciphers",
    "client_starttls",
    "expand",
    "helo",
    "postfix_protocols",
    "rates",
    "sasl",
    "server_starttls",
    "timeouts",
    "tls_level",
    "tls_protocols",
]

# Levels at which TLS is required, so the *_mandatory_* settings apply.
MANDATORY_LEVELS = frozenset({"encrypt", "dane-only", "verify", "secure", "fingerprint"})
_PF_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))")


def postfix_protocols(value: str) -> frozenset[str]:
    """The protocols a Postfix ``*_tls_*protocols`` value leaves enabled.

    Handles both syntaxes: exclusions and inclusions (``!SSLv2, !SSLv3`` or
    ``TLSv1, TLSv1.1``) and the Postfix 3.6 bounds (``>=TLSv1.2``,
    ``<=TLSv1.1``). An empty value leaves everything to OpenSSL.
    """
    included: set[str] = set()
    excluded: set[str] = set()
    lo, hi = 0, len(TLS_ORDER) - 1
    for token in (t for t in re.split(r"[\s,:]+", value) if t):
        op, name = "", token
        for prefix in (">=", "<=", "!"):
            if token.startswith(prefix):
                op, name = prefix, token[len(prefix) :]
                break
        proto = TLS_CANON.get(name.lower())
        if proto is None:
            continue
        idx = TLS_ORDER.index(proto)
        if op == ">=":
            lo = max(lo, idx)
        elif op == "<=":
            hi = min(hi, idx)
        elif op == "!":
            excluded.add(proto)
        else:
            included.add(proto)
    base = included or set(TLS_ORDER)
    return frozenset(p for p in base - excluded if lo <= TLS_ORDER.index(p) <= hi)


def expand(value: str, main: Section, depth: int = 0) -> str:
    """Expand ``$name`` / ``${name}`` from the dump (Postfix's own syntax)."""
    if "$" not in value or depth > 5:
        return value

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        found = main.value(name)
        return expand(found, main, depth + 1) if found is not None else m.group(0)

    return _PF_VAR.sub(sub, value)


def tls_level(main: Section, prefix: str) -> tuple[str, Setting | None]:
    """The effective ``smtp``/``smtpd`` TLS security level and the line that set it."""
    level = main.get(f"{prefix}_tls_security_level")
    if level is not None and level.value:
        return level.value.strip().lower(), level
    enforce = main.get(f"{prefix}_enforce_tls")
    if enforce is not None and enforce.value.lower() == "yes":
        return "encrypt", enforce
    use = main.get(f"{prefix}_use_tls")
    if use is not None and use.value.lower() == "yes":
        return "may", use
    return "none", level


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    main = dump.main
    out: list[Finding] = []
    out += tls_protocols(main)
    out += ciphers(main)
    out += server_starttls(main)
    out += client_starttls(main)
    out += _wrappermode(main)
    out += helo(main)
    out += _relay(main)
    out += timeouts(main)
    out += rates(main)
    out += sasl(main)
    out += _sizes(main)
    names = []
    for param in ("myhostname", "smtp_helo_name"):
        s = main.get(param)
        if s is not None:
            names.append((s, expand(s.value, main)))
    out += cert_findings(ctx, names)
    return out


_PROTOCOL_PARAMS = (
    ("smtpd_tls_protocols", "smtpd", False),
    ("smtpd_tls_mandatory_protocols", "smtpd", True),
    ("smtp_tls_protocols", "smtp", False),
    ("smtp_tls_mandatory_protocols", "smtp", True),
)


def tls_protocols(main: Section) -> list[Finding]:
    out: list[Finding] = []
    levels = {"smtpd": tls_level(main, "smtpd")[0], "smtp": tls_level(main, "smtp")[0]}
    policy_maps = bool(main.value("smtp_tls_policy_maps"))
    for param, side, mandatory in _PROTOCOL_PARAMS:
        s = main.get(param)
        if s is None:
            continue
        verdict = tls_verdict(postfix_protocols(expand(s.value, main)))
        if verdict is None:
            continue
        severity, why = verdict
        level = levels[side]
        # Which level makes the setting count: the plain list applies to
        # opportunistic TLS, the mandatory one where TLS is required.
        dormant = (
            (level not in MANDATORY_LEVELS and not (side == "smtp" and policy_maps))
            if mandatory
            else level == "none"
        )
        note = ""
        if dormant:
            severity = Severity.WARNING  # at most a warning while it does not apply
            note = (
                f" It is dormant while {side}_tls_security_level is '{level}', and bites as "
                "soon as TLS is " + ("required." if mandatory else "turned on.")
            )
        who = (
            "receiving (smtpd: other servers sending to you)"
            if side == "smtpd"
            else "sending (smtp: your deliveries)"
        )
        enabled = sorted(postfix_protocols(s.value), key=TLS_ORDER.index)
        out.append(
            finding(
                "postfix.tls.protocols_no_tls12",
                evidence=evidence(s, side=side, enabled=enabled),
                severity=severity,
                param=param,
                where=where(s),
                who=who,
                why=why,
                note=note,
            )
        )
    return out


def ciphers(main: Section) -> list[Finding]:
    out: list[Finding] = []
    for param in (
        "smtp_tls_ciphers",
        "smtp_tls_mandatory_ciphers",
        "smtpd_tls_ciphers",
        "smtpd_tls_mandatory_ciphers",
    ):
        s = main.get(param)
        grade = s.value.strip().lower() if s is not None else ""
        if s is None or grade not in {"export", "low", "null"}:
            continue
        why = (
            "the 'null' grade offers only unencrypted suites, which no peer accepts"
            if grade == "null"
            else f"the '{grade}' grade adds export/low-strength suites; OpenSSL security "
            "levels and strict peers refuse them, and it usually marks tuning for a peer "
            "that no longer exists"
        )
        out.append(
            finding(
                "postfix.tls.weak_cipher_grade",
                evidence=evidence(s),
                severity=Severity.CRITICAL if grade == "null" else Severity.WARNING,
                param=param,
                grade=s.value,
                where=where(s),
                why=why,
            )
        )
    for param in (
        "tls_high_cipherlist",
        "tls_medium_cipherlist",
        "tls_low_cipherlist",
        "tls_export_cipherlist",
    ):
        s = main.get(param)
        problem = cipherlist_problem(s.value) if s is not None else None
        if s is None or problem is None:
            continue
        out.append(
            finding(
                "postfix.tls.cipherlist_no_modern",
                evidence=evidence(s),
                severity=problem[0],
                param=param,
                where=where(s),
                why=problem[1],
            )
        )
    return out


def _is_public(main: Section) -> bool:
    iface = (main.value("inet_interfaces") or "all").lower()
    return not all(
        tok in {"loopback-only", "localhost", "127.0.0.1", "[::1]", "::1"}
        for tok in re.split(r"[\s,]+", iface)
        if tok
    )


_CERT_PARAMS = (
    "smtpd_tls_cert_file",
    "smtpd_tls_chain_files",
    "smtpd_tls_eccert_file",
    "smtpd_tls_dcert_file",
)


def server_starttls(main: Section) -> list[Finding]:
    """smtpd: STARTTLS offered where it should be, with a certificate that verifies."""
    out: list[Finding] = []
    level, level_s = tls_level(main, "smtpd")
    certs = [main.get(p) for p in _CERT_PARAMS]
    has_cert = any(c is not None and c.value.strip() for c in certs)
    if level == "none" and _is_public(main):
        out.append(
            finding(
                "postfix.tls.server_starttls_off",
                evidence=evidence(level_s),
                where=where(level_s)
                if level_s is not None
                else "smtpd_tls_security_level is not set",
                interfaces=main.value("inet_interfaces") or "all",
            )
        )
    if level in {"may", "encrypt"} and not has_cert:
        consequence = (
            "every session is refused ('454 4.7.0 TLS not available due to local problem', "
            "then 530 for MAIL FROM)"
            if level == "encrypt"
            else "Postfix logs 'No server certs available. TLS won't be enabled' and offers "
            "no STARTTLS at all"
        )
        anchor = level_s or main.get("smtpd_use_tls") or main.get("smtpd_enforce_tls")
        out.append(
            finding(
                "postfix.tls.server_no_certificate",
                evidence=evidence(anchor),
                severity=Severity.CRITICAL if level == "encrypt" else Severity.WARNING,
                level=level,
                params=", ".join(_CERT_PARAMS),
                consequence=consequence,
            )
        )
    for c in certs:
        if c is not None and "snakeoil" in c.value:
            out.append(
                finding("postfix.tls.snakeoil_certificate", evidence=evidence(c), where=where(c))
            )
    return out


def client_starttls(main: Section) -> list[Finding]:
    """smtp: STARTTLS used when delivering, and not required of the whole Internet."""
    smtp_level, smtp_s = tls_level(main, "smtp")
    dnssec = (main.value("smtp_dns_support_level") or "").lower() == "dnssec"
    if smtp_level == "none":
        maps = main.get("smtp_tls_policy_maps")
        extra = ""
        if dnssec:
            extra = (
                " smtp_dns_support_level = dnssec says DANE is expected, "
                "but DANE needs level 'dane'."
            )
        if maps is not None:
            extra += (
                f" smtp_tls_policy_maps ({where(maps)}) can still require TLS per destination "
                "(an MTA-STS resolver works this way), but every other destination gets clear text."
            )
        return [
            finding(
                "postfix.tls.client_tls_off",
                evidence=evidence(smtp_s),
                where=where(smtp_s) if smtp_s is not None else "smtp_tls_security_level is not set",
                extra=extra,
            )
        ]
    if smtp_s is None:
        return []
    if smtp_level in MANDATORY_LEVELS and not (main.value("relayhost") or "").strip():
        return [
            finding(
                "postfix.tls.client_tls_required_globally",
                evidence=evidence(smtp_s),
                level=smtp_level,
                where=where(smtp_s),
                unverified=" or whose certificate does not verify"
                if smtp_level != "encrypt"
                else "",
            )
        ]
    if smtp_level == "dane" and not dnssec:
        return [
            finding(
                "postfix.tls.dane_without_dnssec", evidence=evidence(smtp_s), where=where(smtp_s)
            )
        ]
    return []


def _wrappermode(main: Section) -> list[Finding]:
    out: list[Finding] = []
    smtpd_wrap = main.get("smtpd_tls_wrappermode")
    if smtpd_wrap is not None and smtpd_wrap.value.lower() == "yes":
        out.append(
            finding(
                "postfix.tls.smtpd_wrappermode_global",
                evidence=evidence(smtpd_wrap),
                where=where(smtpd_wrap),
            )
        )
    relay = main.get("relayhost")
    wrap = main.get("smtp_tls_wrappermode")
    wrapped = wrap is not None and wrap.value.lower() == "yes"
    on_465 = relay is not None and re.search(r":465\s*$", relay.value) is not None
    if wrapped and not on_465 and wrap is not None:
        out.append(
            finding(
                "postfix.tls.smtp_wrappermode_not_465", evidence=evidence(wrap), where=where(wrap)
            )
        )
    if on_465 and not wrapped and relay is not None:
        out.append(
            finding(
                "postfix.relay.port465_without_wrappermode",
                evidence=evidence(relay),
                where=where(relay),
            )
        )
    return out


def helo(main: Section) -> list[Finding]:
    out: list[Finding] = []
    helo = main.get("smtp_helo_name")
    host = main.get("myhostname")
    if helo is not None:
        value = expand(helo.value, main)
        if "$" not in value:
            out += helo_findings("postfix.helo", helo, value)
    if host is not None:
        value = expand(host.value, main)
        if "$" not in value:
            if helo is None:
                out += helo_findings("postfix.helo", host, value)
            else:
                out += helo_findings("postfix.hostname", host, value, soften=True)
    return out


def _relay(main: Section) -> list[Finding]:
    out: list[Finding] = []
    nets = main.get("mynetworks")
    if nets is not None:
        for token in re.split(r"[\s,]+", nets.value):
            if _everyone(token):
                out.append(
                    open_relay(
                        "postfix.relay.mynetworks_everyone",
                        nets,
                        f"mynetworks contains {token} ({where(nets)}): every "
                        "host on the Internet counts as a trusted client and may "
                        "relay through you",
                    )
                )
                break
    relay_ok, relay_s = _blocks(
        main,
        "smtpd_relay_restrictions",
        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    )
    rcpt_ok, rcpt_s = _blocks(main, "smtpd_recipient_restrictions", None)
    anchor = relay_s or rcpt_s
    if not relay_ok and not rcpt_ok and anchor is not None:
        out.append(
            open_relay(
                "postfix.relay.restrictions_open",
                anchor,
                "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions stops "
                f"unauthorised relaying before a 'permit' ({where(anchor)})",
            )
        )
    return out


def _everyone(token: str) -> bool:
    """Whether a mynetworks entry is a /0 (every address)."""
    t = token.strip().replace("[", "").replace("]", "")
    if not t or "/" not in t:
        return False
    try:
        return ipaddress.ip_network(t, strict=False).prefixlen == 0
    except ValueError:
        return False


def _blocks(main: Section, param: str, default: str | None) -> tuple[bool, Setting | None]:
    """Whether a restriction list refuses unauthorised relaying before a 'permit'."""
    s = main.get(param)
    value = s.value if s is not None else default
    if value is None:
        return False, s
    for tok in re.split(r"[\s,]+", expand(value, main)):
        t = tok.strip().lower()
        if t in {"reject_unauth_destination", "defer_unauth_destination", "reject", "defer"}:
            return True, s
        if t == "permit":
            return False, s
    return False, s


# (parameter, floor seconds, stage, why): RFC 5321 §4.5.3.2 where it names one.
_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
    (
        "smtp_connect_timeout",
        10,
        Stage.CONNECT,
        "a distant or busy MX often needs more than a few seconds to accept the TCP connection",
    ),
    (
        "smtp_helo_timeout",
        300,
        Stage.GREETING,
        "RFC 5321 §4.5.3.2.1 gives the initial 220 greeting 5 minutes, and receivers that "
        "delay it on purpose (greet pause, tarpits) count on that",
    ),
    ("smtp_mail_timeout", 300, Stage.MAIL_FROM, "RFC 5321 §4.5.3.2.2: 5 minutes for MAIL"),
    ("smtp_rcpt_timeout", 300, Stage.RCPT_TO, "RFC 5321 §4.5.3.2.3: 5 minutes for RCPT"),
    (
        "smtp_data_init_timeout",
        120,
        Stage.DATA,
        "RFC 5321 §4.5.3.2.4: 2 minutes for the reply to DATA",
    ),
    (
        "smtp_data_xfer_timeout",
        180,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.5: 3 minutes for each block of message data",
    ),
    (
        "smtp_data_done_timeout",
        600,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.6: 10 minutes for the reply to the final '.', while the receiver "
        "scans the message",
    ),
    (
        "smtp_starttls_timeout",
        60,
        Stage.TLS_HANDSHAKE,
        "a handshake with a loaded receiver can take tens of seconds",
    ),
    (
        "smtpd_timeout",
        60,
        Stage.GREETING,
        "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command; a short "
        "server timeout drops slow senders mid-session",
    ),
)


def timeouts(main: Section) -> list[Finding]:
    out: list[Finding] = []
    for param, floor, stage, why in _TIMEOUTS:
        s = main.get(param)
        seconds = duration_seconds(s.value) if s is not None else None
        if s is None or seconds is None or seconds >= floor or seconds <= 0:
            continue
        out.append(
            timeout_finding(
                "postfix.timeout.too_short", s, seconds, floor, why, stage=stage, param=param
            )
        )
    return out


# (parameter, lowest sane value, what the client sees)
_RATES: tuple[tuple[str, int, str], ...] = (
    ("smtpd_client_connection_rate_limit", 10, "'421 4.7.0 Error: too many connections from <IP>'"),
    ("smtpd_client_connection_count_limit", 5, "'421 4.7.0 Error: too many connections from <IP>'"),
    ("smtpd_client_message_rate_limit", 10, "'452 4.7.1 Error: too much mail from <IP>'"),
    ("smtpd_client_recipient_rate_limit", 20, "'452 4.7.1 Error: too many recipients from <IP>'"),
    (
        "smtpd_client_new_tls_session_rate_limit",
        5,
        "'421 4.7.0 Error: too many new TLS sessions from <IP>'",
    ),
    ("smtpd_hard_error_limit", 5, "'421 4.7.0 Error: too many errors' and a dropped session"),
    (
        "default_process_limit",
        10,
        "connections beyond that many parallel smtpd processes wait in the listen queue until "
        "the sender times out",
    ),
)


def rates(main: Section) -> list[Finding]:
    out: list[Finding] = []
    unit = main.value("anvil_rate_time_unit") or "60s"
    for param, floor, symptom in _RATES:
        s = main.get(param)
        n = as_int(expand(s.value, main)) if s is not None else None
        if s is None or n is None or n == 0 or n >= floor:
            continue
        cause = (
            Category.NETWORK_TIMEOUT if param == "default_process_limit" else Category.RATE_LIMITED
        )
        out.append(
            finding(
                "postfix.rate.limit_too_low",
                evidence=evidence(s, limit=n, minimum=floor),
                category=cause,
                cause=cause,  # the fixes are the category's
                param=param,
                per=f" per {unit} (anvil_rate_time_unit)" if "rate" in param else "",
                where=where(s),
                symptom=symptom,
            )
        )
    return out


def sasl(main: Section) -> list[Finding]:
    out: list[Finding] = []
    enabled = main.get("smtp_sasl_auth_enable")
    if enabled is None or enabled.value.lower() != "yes":
        return out
    level, _ = tls_level(main, "smtp")
    relay = main.value("relayhost") or ""
    if level == "none" and relay.strip():
        out.append(
            finding(
                "postfix.sasl.auth_without_tls",
                evidence=evidence(enabled),
                relay=short(relay, 100),
                where=where(enabled),
            )
        )
    plain_opts = main.value("smtp_sasl_security_options") or "noplaintext, noanonymous"
    tls_opts = main.value("smtp_sasl_tls_security_options") or plain_opts
    effective = expand(tls_opts if level != "none" else plain_opts, main)
    if "noplaintext" in effective.replace(" ", "").lower():
        option = (
            "smtp_sasl_tls_security_options" if level != "none" else "smtp_sasl_security_options"
        )
        out.append(
            finding(
                "postfix.sasl.noplaintext",
                evidence=evidence(enabled),
                where=where(enabled),
                option=option,
                effective=short(effective, 100),
            )
        )
    return out


def _sizes(main: Section) -> list[Finding]:
    out: list[Finding] = []
    msg = main.get("message_size_limit")
    msg_limit = as_int(msg.value) if msg is not None else 10240000
    if msg is not None and msg_limit is not None and 0 < msg_limit < 1_000_000:
        out.append(
            finding(
                "postfix.size.message_limit_tiny",
                evidence=evidence(msg),
                size=msg_limit,
                where=where(msg),
            )
        )
    box = main.get("mailbox_size_limit")
    box_limit = as_int(box.value) if box is not None else None
    if (
        box is not None
        and box_limit
        and msg_limit is not None
        and (msg_limit == 0 or box_limit < msg_limit)
    ):
        out.append(
            finding(
                "postfix.size.mailbox_below_message_limit",
                evidence=evidence(box),
                box=box_limit,
                message_limit=msg_limit or "unlimited",
                where=where(box),
            )
        )
    return out
