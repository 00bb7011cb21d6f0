"""Rules: a parsed configuration dump → findings. Pure: no I/O, no clock.

Each rule looks for one setting (or combination) that makes sessions fail:
refused, dropped, deferred, or rejected by the peer. Finding ids are dotted
and stable: ``<mta>.<area>.<problem>`` (``postfix.tls.protocols_no_tls12``,
``exchange.receive.open_relay``...). Every finding carries the offending
setting as evidence (name, value, line, the line as written) and fixes: a
targeted one built from the setting itself, then the shared recipes of
:mod:`smtpdoctor.knowledge.fixes` for that MTA and the generic one.

Timeouts are compared with the minimums of RFC 5321 §4.5.3.2 (the client
waits at least 5 minutes for the greeting, MAIL and RCPT replies, 2 for the
DATA reply, 3 per data block and 10 for the end-of-data reply; the server
waits at least 5 minutes for the next command).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from smtpdoctor.config.parsers import (
    Anonymous,
    CertFacts,
    ConfigDump,
    Kind,
    Section,
    Setting,
    ip_range_covers_all,
    split_list,
)
from smtpdoctor.evidence.certificate import hostname_matches
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import MTA, Category, Finding, Fix, Severity, Stage

__all__ = ["audit", "classify_hostname", "duration_seconds", "postfix_protocols"]

_CRIT, _WARN, _INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO
_C = Category

_MTA_OF = {
    Kind.POSTFIX: MTA.POSTFIX,
    Kind.EXIM: MTA.EXIM,
    Kind.SENDMAIL: MTA.SENDMAIL,
    Kind.EXCHANGE_SEND: MTA.EXCHANGE,
    Kind.EXCHANGE_RECEIVE: MTA.EXCHANGE,
}


@dataclass(frozen=True, slots=True)
class _Ctx:
    kind: Kind
    mta: MTA
    cert: CertFacts | None
    now: dt.datetime


def audit(
    dump: ConfigDump, cert: CertFacts | None = None, now: dt.datetime | None = None
) -> list[Finding]:
    """Every finding for ``dump``, most severe first, then in file order.

    ``cert`` is the server certificate to hold host names against (``--cert``);
    ``now`` is when to judge its dates (default: the current time).
    """
    ctx = _Ctx(dump.kind, _MTA_OF[dump.kind], cert, now or dt.datetime.now(dt.UTC))
    rules: dict[Kind, Callable[[ConfigDump, _Ctx], list[Finding]]] = {
        Kind.POSTFIX: _postfix,
        Kind.EXIM: _exim,
        Kind.SENDMAIL: _sendmail,
        Kind.EXCHANGE_SEND: _exchange,
        Kind.EXCHANGE_RECEIVE: _exchange,
    }
    findings = rules[dump.kind](dump, ctx)
    # One finding per (id, setting line): rules that look at the same line
    # from two angles must not say it twice.
    unique: dict[tuple[str, object, object], Finding] = {}
    for f in findings:
        unique.setdefault((f.id, f.evidence.get("line"), f.evidence.get("connector")), f)
    return sorted(unique.values(), key=lambda f: (f.severity.rank, _line_of(f), f.id))


def _line_of(f: Finding) -> int:
    line = f.evidence.get("line")
    return line if isinstance(line, int) else 0


# --- building findings --------------------------------------------------------------


def _finding(  # noqa: PLR0917 (a finding reads as one row: id, severity, category, stage, text)
    ctx: _Ctx,
    fid: str,
    severity: Severity,
    category: Category,
    stage: Stage,
    message: str,
    setting: Setting | None = None,
    *,
    fix: Fix | None = None,
    also_for: Sequence[MTA] = (),
    **evidence: object,
) -> Finding:
    ev: dict[str, object] = setting.evidence() if setting is not None else {}
    ev.update({k: v for k, v in evidence.items() if v is not None})
    recipes = fixes_for(category, stage, [ctx.mta, *also_for, MTA.GENERIC])
    fixes = ((fix,) if fix is not None else ()) + recipes
    return Finding(fid, severity, category, stage, message, ev, fixes)


def _where(s: Setting) -> str:
    return f"line {s.line}: {_short(s.text)}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fix(ctx: _Ctx, steps: Iterable[str], snippet: str = "", verify: str = "") -> Fix:
    return Fix(ctx.mta, tuple(steps), snippet, verify)


# --- shared judgements --------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TIME_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", re.I)


def duration_seconds(value: str, default_unit: str = "s") -> float | None:
    """``30s``, ``5m``, ``1h30m``, ``300`` (in ``default_unit``), or an Exchange
    time span ``00:10:00`` / ``1.00:00:00``; None for anything else."""
    v = value.strip().strip("\"'")
    if not v or "$" in v or v.lower() == "unlimited":
        return None
    span = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?", v)
    if span:
        days, h, m, s = span.groups()
        return int(days or 0) * 86400 + int(h) * 3600 + int(m) * 60 + int(s)
    pos, total, matched = 0, 0.0, False
    while pos < len(v):
        m2 = _TIME_PART.match(v, pos)
        if m2 is None or m2.end() == pos:
            return None
        unit = (m2.group(2) or default_unit).lower()
        total += float(m2.group(1)) * _UNITS[unit]
        pos, matched = m2.end(), True
    return total if matched else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*", value)
    return int(m.group(1)) if m else None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\b", re.I)


def _bytes(value: str) -> int | None:
    """``10240000``, ``50M``, ``100K``, Exchange ``36 MB (37,748,736 bytes)``."""
    exact = re.search(r"\(([\d,]+) bytes\)", value)
    if exact:
        return int(exact.group(1).replace(",", ""))
    m = _SIZE.match(value)
    if not m:
        return None
    mult = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()]
    return int(float(m.group(1)) * mult)


def _fmt_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


_INTERNAL_SUFFIXES = (
    ".local",
    ".lan",
    ".internal",
    ".localdomain",
    ".home.arpa",
    ".corp",
    ".home",
    ".intranet",
    ".localnet",
    ".private",
    ".invalid",
    ".domain",
)
_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def classify_hostname(name: str) -> tuple[str, Severity, str] | None:
    """Why ``name`` cannot serve as an EHLO name that matches a PTR, or None.

    Returns (problem id, severity, explanation). Strict receivers apply
    Postfix's reject_invalid_helo_hostname / reject_non_fqdn_helo_hostname /
    reject_unknown_helo_hostname or their equivalents; Microsoft 365 and
    Gmail score a HELO that does not resolve back to the sending IP.
    """
    n = name.strip().rstrip(".").lower()
    if not n:
        return ("empty", _WARN, "it is empty, so the server falls back to its own host name")
    if n.startswith("[") and n.endswith("]"):
        return (
            "ip_literal",
            _WARN,
            "an address literal is valid syntax but can never match a PTR name, and many "
            "receivers reject or score it",
        )
    try:
        ipaddress.ip_address(n)
    except ValueError:
        pass
    else:
        return (
            "ip_literal",
            _CRIT,
            "a bare IP address is not a valid EHLO argument (RFC 5321 §4.1.1.1 wants a domain "
            "or an address literal in brackets); receivers answer 501 or 504",
        )
    if n == "localhost" or n.startswith("localhost.") or n.endswith(".localhost"):
        return (
            "localhost",
            _CRIT,
            "'localhost' names no host on the Internet; receivers reject it "
            "(e.g. '504 5.5.2 Helo command rejected: need fully-qualified hostname' or "
            "'550 5.7.1 ... HELO localhost')",
        )
    if "." not in n:
        return (
            "not_fqdn",
            _CRIT,
            "it is not fully qualified; receivers with reject_non_fqdn_helo_hostname answer "
            "'504 5.5.2 Helo command rejected: need fully-qualified hostname'",
        )
    labels = n.split(".")
    if len(n) > 253 or not all(_LDH.match(label) for label in labels):
        return (
            "invalid",
            _CRIT,
            "it is not a valid host name (letters, digits and hyphens only), so "
            "reject_invalid_helo_hostname answers '501 5.5.2 Helo command rejected'",
        )
    if n.endswith(_INTERNAL_SUFFIXES):
        return (
            "internal_name",
            _WARN,
            "it is an internal name that does not resolve on the Internet, so it cannot match "
            "the sending IP's PTR; strict receivers answer '450 4.7.1 Helo command rejected: "
            "Host not found' and others score it as spam",
        )
    return None


def _helo_findings(
    ctx: _Ctx,
    prefix: str,
    setting: Setting,
    name: str,
    *,
    what: str = "EHLO name",
    stage: Stage = Stage.EHLO,
    fix: Fix | None = None,
    connector: str | None = None,
    soften: bool = False,
) -> list[Finding]:
    verdict = classify_hostname(name)
    if verdict is None:
        return []
    problem, severity, why = verdict
    if soften and severity is _CRIT:
        severity = _WARN
    target = "this server's PTR and MX name" if stage is Stage.GREETING else "the sending IP's PTR"
    message = f"The {what} '{_short(name, 100)}' ({_where(setting)}) cannot match {target}: {why}."
    return [
        _finding(
            ctx,
            f"{prefix}.{problem}",
            severity,
            _C.DNS_PTR_MISMATCH,
            stage,
            message,
            setting,
            fix=fix,
            name=_short(name, 300),
            connector=connector,
        )
    ]


def _timeout_finding(  # noqa: PLR0917 (the setting, its value and the floor it misses)
    ctx: _Ctx,
    fid: str,
    setting: Setting,
    seconds: float,
    floor: float,
    stage: Stage,
    why: str,
    *,
    fix: Fix | None = None,
    connector: str | None = None,
) -> Finding:
    message = (
        f"{setting.name} is {_fmt_seconds(seconds)} ({_where(setting)}), "
        f"below {_fmt_seconds(floor)}: "
        f"{why}. Slow or busy peers (content scanning before the end-of-data reply, tarpitting, "
        "long paths) get cut off and the message is retried or bounced."
    )
    return _finding(
        ctx,
        fid,
        _WARN,
        _C.NETWORK_TIMEOUT,
        stage,
        message,
        setting,
        fix=fix,
        seconds=seconds,
        minimum_seconds=floor,
        connector=connector,
    )


_TLS_ORDER = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_TLS_CANON = {p.lower(): p for p in _TLS_ORDER}


def postfix_protocols(value: str) -> frozenset[str]:
    """The protocols a Postfix ``*_tls_*protocols`` value leaves enabled.

    Handles both syntaxes: exclusions and inclusions (``!SSLv2, !SSLv3`` or
    ``TLSv1, TLSv1.1``) and the Postfix 3.6 bounds (``>=TLSv1.2``,
    ``<=TLSv1.1``). An empty value leaves everything to OpenSSL.
    """
    included: set[str] = set()
    excluded: set[str] = set()
    lo, hi = 0, len(_TLS_ORDER) - 1
    for token in (t for t in re.split(r"[\s,:]+", value) if t):
        op, name = "", token
        for prefix in (">=", "<=", "!"):
            if token.startswith(prefix):
                op, name = prefix, token[len(prefix) :]
                break
        proto = _TLS_CANON.get(name.lower())
        if proto is None:
            continue
        idx = _TLS_ORDER.index(proto)
        if op == ">=":
            lo = max(lo, idx)
        elif op == "<=":
            hi = min(hi, idx)
        elif op == "!":
            excluded.add(proto)
        else:
            included.add(proto)
    base = included or set(_TLS_ORDER)
    return frozenset(p for p in base - excluded if lo <= _TLS_ORDER.index(p) <= hi)


def _tls_verdict(enabled: frozenset[str]) -> tuple[Severity, str] | None:
    """Critical when neither TLS 1.2 nor 1.3 is left; warning when only 1.3 is."""
    modern = enabled & {"TLSv1.2", "TLSv1.3"}
    legacy = sorted(enabled & {"SSLv3", "TLSv1", "TLSv1.1"}, key=_TLS_ORDER.index)
    if not modern:
        parts = [", ".join(legacy[:-1]), legacy[-1]] if len(legacy) > 1 else legacy
        left = " and ".join(parts)
        verb = "are" if len(legacy) > 1 else "is"
        return (
            _CRIT,
            f"only {left or 'no protocol at all'} {verb} left, and Microsoft 365, Gmail, "
            "Yahoo and most current MTAs refuse anything below TLS 1.2, so the handshake "
            "fails (Exchange Online reports "
            "it as '421 4.4.2 Connection dropped due to SocketError' or "
            "'451 4.4.0 ... TLS negotiation failed')",
        )
    if "TLSv1.2" not in enabled:
        return (
            _WARN,
            "TLS 1.2 is disabled and only TLS 1.3 is left: peers whose newest version is "
            "TLS 1.2 (Exchange Server on Windows Server 2019 and older, many appliances) "
            "cannot complete a handshake",
        )
    return None


_LEGACY_CIPHER = re.compile(r"RC4|^DES|-DES|3DES|DES-CBC|EXP|NULL|MD5|^LOW$|^EXPORT$", re.I)
_MODERN_CIPHER = re.compile(
    r"GCM|CHACHA|HIGH|MEDIUM|DEFAULT|^ALL$|ECDHE|EECDH|EDH|DHE|AES|TLSv1\.2|SHA256|SHA384|"
    r"SECURE|NORMAL|PFS|kRSA|aRSA|RSA$",
    re.I,
)


def _cipherlist_problem(value: str) -> tuple[Severity, str] | None:
    """What is wrong with an OpenSSL cipher string for talking to modern peers."""
    tokens = [t for t in re.split(r"[\s:,]+", value) if t]
    if any(t.lower() in {"!tlsv1.2", "-tlsv1.2"} for t in tokens):
        return (
            _CRIT,
            "it removes every TLS 1.2 cipher suite (all AES-GCM and SHA-256/384 suites), "
            "so peers that accept only those, Microsoft 365 among them, share no cipher",
        )
    positive = [t for t in tokens if not t.startswith(("!", "-", "+", "@", "%"))]
    if positive and not any(_MODERN_CIPHER.search(t) for t in positive):
        legacy = [t for t in positive if _LEGACY_CIPHER.search(t)]
        if legacy:
            return (
                _CRIT,
                f"it lists only legacy suites ({', '.join(legacy[:4])}), which current "
                "OpenSSL builds and peers that require TLS 1.2 will not negotiate: no shared "
                "cipher",
            )
    return None


# --- Postfix ------------------------------------------------------------------------

_PF_MANDATORY = {"encrypt", "dane-only", "verify", "secure", "fingerprint"}
_PF_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))")


def _pf_expand(value: str, main: Section, depth: int = 0) -> str:
    """Expand ``$name`` / ``${name}`` from the dump (Postfix's own syntax)."""
    if "$" not in value or depth > 5:
        return value

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        found = main.value(name)
        return _pf_expand(found, main, depth + 1) if found is not None else m.group(0)

    return _PF_VAR.sub(sub, value)


def _pf_level(main: Section, prefix: str) -> tuple[str, Setting | None]:
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


def _postfix(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    main = dump.main
    out: list[Finding] = []
    out += _pf_tls_protocols(main, ctx)
    out += _pf_ciphers(main, ctx)
    out += _pf_starttls(main, ctx)
    out += _pf_wrappermode(main, ctx)
    out += _pf_helo(main, ctx)
    out += _pf_relay(main, ctx)
    out += _pf_timeouts(main, ctx)
    out += _pf_rates(main, ctx)
    out += _pf_sasl(main, ctx)
    out += _pf_sizes(main, ctx)
    names = []
    for param in ("myhostname", "smtp_helo_name"):
        s = main.get(param)
        if s is not None:
            names.append((s, _pf_expand(s.value, main)))
    out += _cert_findings(ctx, names)
    return out


def _pf_tls_protocols(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    smtpd_level, _ = _pf_level(main, "smtpd")
    smtp_level, _ = _pf_level(main, "smtp")
    policy_maps = bool(main.value("smtp_tls_policy_maps"))
    for param, side, mandatory in (
        ("smtpd_tls_protocols", "smtpd", False),
        ("smtpd_tls_mandatory_protocols", "smtpd", True),
        ("smtp_tls_protocols", "smtp", False),
        ("smtp_tls_mandatory_protocols", "smtp", True),
    ):
        s = main.get(param)
        if s is None:
            continue
        verdict = _tls_verdict(postfix_protocols(_pf_expand(s.value, main)))
        if verdict is None:
            continue
        severity, why = verdict
        level = smtpd_level if side == "smtpd" else smtp_level
        # Which level makes the setting count: the plain list applies to
        # opportunistic TLS, the mandatory one where TLS is required.
        dormant = (
            (level not in _PF_MANDATORY and not (side == "smtp" and policy_maps))
            if (mandatory)
            else level == "none"
        )
        note = ""
        if dormant:
            severity = _WARN  # at most a warning while it does not apply
            note = (
                f" It is dormant while {side}_tls_security_level is '{level}', and bites as "
                "soon as TLS is " + ("required." if mandatory else "turned on.")
            )
        who = (
            "receiving (smtpd: other servers sending to you)"
            if side == "smtpd"
            else ("sending (smtp: your deliveries)")
        )
        message = f"{param} disables TLS 1.2 for {who} ({_where(s)}): {why}.{note}"
        fix = _fix(
            ctx,
            [f"Set {param} so that TLS 1.2 and 1.3 stay enabled, then run 'postfix reload'."],
            f"{param} = >=TLSv1.2\n"
            f"# Postfix before 3.6: {param} = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
            f"postconf {param}",
        )
        out.append(
            _finding(
                ctx,
                "postfix.tls.protocols_no_tls12",
                severity,
                _C.TLS_VERSION_MISMATCH,
                Stage.TLS_HANDSHAKE,
                message,
                s,
                fix=fix,
                side=side,
                enabled=sorted(postfix_protocols(s.value), key=_TLS_ORDER.index),
            )
        )
    return out


def _pf_ciphers(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for param in (
        "smtp_tls_ciphers",
        "smtp_tls_mandatory_ciphers",
        "smtpd_tls_ciphers",
        "smtpd_tls_mandatory_ciphers",
    ):
        s = main.get(param)
        if s is None:
            continue
        grade = s.value.strip().lower()
        if grade in {"export", "low", "null"}:
            severity = _CRIT if grade == "null" else _WARN
            why = (
                "the 'null' grade offers only unencrypted suites, which no peer accepts"
                if grade == "null"
                else f"the '{grade}' grade adds export/low-strength suites; OpenSSL security "
                "levels and strict peers refuse them, and it usually marks tuning for a peer "
                "that no longer exists"
            )
            out.append(
                _finding(
                    ctx,
                    "postfix.tls.weak_cipher_grade",
                    severity,
                    _C.TLS_HANDSHAKE_FAILURE,
                    Stage.TLS_HANDSHAKE,
                    f"{param} = {s.value} ({_where(s)}): {why}.",
                    s,
                    fix=_fix(
                        ctx,
                        [f"Use the default grade for {param}."],
                        f"{param} = medium",
                        f"postconf {param}",
                    ),
                )
            )
    for param in (
        "tls_high_cipherlist",
        "tls_medium_cipherlist",
        "tls_low_cipherlist",
        "tls_export_cipherlist",
    ):
        s = main.get(param)
        if s is None:
            continue
        problem = _cipherlist_problem(s.value)
        if problem is None:
            continue
        severity, why = problem
        out.append(
            _finding(
                ctx,
                "postfix.tls.cipherlist_no_modern",
                severity,
                _C.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                f"{param} is overridden ({_where(s)}) and {why}.",
                s,
                fix=_fix(
                    ctx,
                    [
                        f"Remove the {param} override so Postfix uses its built-in "
                        "list, then 'postfix reload'."
                    ],
                    f"postconf -X {param}",
                    f"postconf -d {param}",
                ),
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


def _pf_starttls(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    level, level_s = _pf_level(main, "smtpd")
    public = _is_public(main)
    cert_params = (
        "smtpd_tls_cert_file",
        "smtpd_tls_chain_files",
        "smtpd_tls_eccert_file",
        "smtpd_tls_dcert_file",
    )
    certs = [main.get(p) for p in cert_params]
    has_cert = any(c is not None and c.value.strip() for c in certs)
    if level == "none" and public:
        where = _where(level_s) if level_s is not None else "smtpd_tls_security_level is not set"
        out.append(
            _finding(
                ctx,
                "postfix.tls.server_starttls_off",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"The SMTP server offers no STARTTLS ({where}) while it listens on public "
                f"interfaces (inet_interfaces = {main.value('inet_interfaces') or 'all'}): "
                "senders that require TLS (Microsoft 365 partner connectors with RequireTls, "
                "MTA-STS 'enforce' domains, Postfix at level encrypt) cannot deliver to you, "
                "and the rest send in clear text.",
                level_s,
                fix=_fix(
                    ctx,
                    ["Offer STARTTLS with a certificate for the MX host name."],
                    "smtpd_tls_security_level = may\n"
                    "smtpd_tls_chain_files = /etc/ssl/private/mx.example.com.pem",
                    "postconf smtpd_tls_security_level smtpd_tls_chain_files",
                ),
            )
        )
    if level in {"may", "encrypt"} and not has_cert:
        severity = _CRIT if level == "encrypt" else _WARN
        consequence = (
            "every session is refused ('454 4.7.0 TLS not available due to local problem', "
            "then 530 for MAIL FROM)"
            if level == "encrypt"
            else "Postfix logs 'No server certs available. TLS won't be enabled' and offers "
            "no STARTTLS at all"
        )
        anchor = level_s or main.get("smtpd_use_tls") or main.get("smtpd_enforce_tls")
        out.append(
            _finding(
                ctx,
                "postfix.tls.server_no_certificate",
                severity,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"smtpd TLS is at level '{level}' but no certificate is configured "
                f"(none of {', '.join(cert_params)}): {consequence}.",
                anchor,
                fix=_fix(
                    ctx,
                    ["Point smtpd at the certificate chain and key for the MX name."],
                    "smtpd_tls_chain_files = /etc/letsencrypt/live/mx.example.com/privkey.pem,\n"
                    "    /etc/letsencrypt/live/mx.example.com/fullchain.pem",
                    "postconf smtpd_tls_chain_files smtpd_tls_cert_file",
                ),
            )
        )
    for c in certs:
        if c is not None and "snakeoil" in c.value:
            out.append(
                _finding(
                    ctx,
                    "postfix.tls.snakeoil_certificate",
                    _WARN,
                    _C.TLS_CERTIFICATE,
                    Stage.TLS_HANDSHAKE,
                    f"smtpd presents the distribution's self-signed 'snakeoil' certificate "
                    f"({_where(c)}): senders that verify (DANE, MTA-STS, Microsoft 365 partner "
                    "connectors with certificate validation) refuse it.",
                    c,
                )
            )
    smtp_level, smtp_s = _pf_level(main, "smtp")
    if smtp_level == "none":
        dane = (main.value("smtp_dns_support_level") or "").lower() == "dnssec"
        maps = main.get("smtp_tls_policy_maps")
        extra = ""
        if dane:
            extra = (
                " smtp_dns_support_level = dnssec says DANE is expected, "
                "but DANE needs level 'dane'."
            )
        if maps is not None:
            extra += (
                f" smtp_tls_policy_maps ({_where(maps)}) can still require TLS per destination "
                "(an MTA-STS resolver works this way), but every other destination gets clear text."
            )
        where = _where(smtp_s) if smtp_s is not None else "smtp_tls_security_level is not set"
        out.append(
            _finding(
                ctx,
                "postfix.tls.client_tls_off",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"The SMTP client never uses STARTTLS ({where}): receivers that require TLS "
                "(Microsoft 365 with an inbound connector that requires TLS, partners with "
                f"'530 5.7.0 Must issue a STARTTLS command first') refuse your mail.{extra}",
                smtp_s,
                fix=_fix(
                    ctx,
                    ["Use opportunistic TLS for every destination."],
                    "smtp_tls_security_level = may\n"
                    "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt",
                    "postconf smtp_tls_security_level",
                ),
            )
        )
    elif smtp_level in _PF_MANDATORY and smtp_s is not None:
        relayhost = main.value("relayhost") or ""
        if not relayhost.strip():
            out.append(
                _finding(
                    ctx,
                    "postfix.tls.client_tls_required_globally",
                    _WARN,
                    _C.STARTTLS_UNAVAILABLE,
                    Stage.STARTTLS,
                    f"smtp_tls_security_level = {smtp_level} applies to every destination "
                    f"({_where(smtp_s)}): mail to servers that offer no STARTTLS"
                    + (" or whose certificate does not verify" if smtp_level != "encrypt" else "")
                    + " is deferred ('TLS is required, but was not offered by host ...') and "
                    "bounces when it expires.",
                    smtp_s,
                    fix=_fix(
                        ctx,
                        ["Keep 'may' globally and require TLS per destination."],
                        "smtp_tls_security_level = may\n"
                        "smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n"
                        "# /etc/postfix/tls_policy:  partner.example  encrypt",
                        "postconf smtp_tls_security_level smtp_tls_policy_maps",
                    ),
                )
            )
    elif (
        smtp_level == "dane"
        and smtp_s is not None
        and (main.value("smtp_dns_support_level") or "").lower() != "dnssec"
    ):
        out.append(
            _finding(
                ctx,
                "postfix.tls.dane_without_dnssec",
                _INFO,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"smtp_tls_security_level = dane ({_where(smtp_s)}) without "
                "smtp_dns_support_level = dnssec: Postfix cannot see validated TLSA records, "
                "logs a warning and falls back to opportunistic TLS.",
                smtp_s,
            )
        )
    return out


def _pf_wrappermode(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    smtpd_wrap = main.get("smtpd_tls_wrappermode")
    if smtpd_wrap is not None and smtpd_wrap.value.lower() == "yes":
        out.append(
            _finding(
                ctx,
                "postfix.tls.smtpd_wrappermode_global",
                _CRIT,
                _C.TLS_HANDSHAKE_FAILURE,
                Stage.GREETING,
                f"smtpd_tls_wrappermode = yes in main.cf ({_where(smtpd_wrap)}) makes every smtpd, "
                "port 25 included, expect a TLS handshake before the greeting: MTAs connecting "
                "to port 25 wait for a '220' that never comes and time out.",
                smtpd_wrap,
                fix=_fix(
                    ctx,
                    ["Remove it from main.cf; set it only on the port-465 service in master.cf."],
                    "# master.cf\nsmtps     inet  n  -  y  -  -  smtpd\n"
                    "  -o smtpd_tls_wrappermode=yes",
                    "postconf -n smtpd_tls_wrappermode",
                ),
            )
        )
    relay = main.get("relayhost")
    wrap = main.get("smtp_tls_wrappermode")
    wrapped = wrap is not None and wrap.value.lower() == "yes"
    on_465 = relay is not None and re.search(r":465\s*$", relay.value) is not None
    if wrapped and not on_465 and wrap is not None:
        out.append(
            _finding(
                ctx,
                "postfix.tls.smtp_wrappermode_not_465",
                _CRIT,
                _C.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                f"smtp_tls_wrappermode = yes ({_where(wrap)}) starts TLS at once on every "
                "delivery, but only port 465 speaks implicit TLS; servers on port 25 and 587 "
                "wait for EHLO and the handshake fails or hangs.",
                wrap,
            )
        )
    if on_465 and not wrapped and relay is not None:
        out.append(
            _finding(
                ctx,
                "postfix.relay.port465_without_wrappermode",
                _CRIT,
                _C.NETWORK_TIMEOUT,
                Stage.GREETING,
                f"relayhost uses port 465 ({_where(relay)}) but smtp_tls_wrappermode is not "
                "'yes': Postfix waits for the 220 greeting while the server waits for a TLS "
                "ClientHello, until 'conversation with ... timed out while receiving the "
                "initial server greeting'.",
                relay,
                fix=_fix(
                    ctx,
                    [
                        "Either use port 587 with STARTTLS, or turn on wrapper mode "
                        "for the 465 relay."
                    ],
                    "relayhost = [smtp.example.com]:587\n"
                    "# or, for port 465:\nsmtp_tls_wrappermode = yes\n"
                    "smtp_tls_security_level = encrypt",
                    "postconf relayhost smtp_tls_wrappermode",
                ),
            )
        )
    return out


def _pf_helo(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    helo = main.get("smtp_helo_name")
    host = main.get("myhostname")
    fix = _fix(
        ctx,
        ["Send the name the sending IP's PTR returns, and make that name resolve back to the IP."],
        "myhostname = mail.example.com\n# or only for EHLO:\nsmtp_helo_name = mail.example.com",
        "postconf myhostname smtp_helo_name; dig -x <sending IP> +short",
    )
    if helo is not None:
        value = _pf_expand(helo.value, main)
        if "$" not in value:
            out += _helo_findings(ctx, "postfix.helo", helo, value, fix=fix)
    if host is not None:
        value = _pf_expand(host.value, main)
        if "$" not in value:
            if helo is None:
                out += _helo_findings(ctx, "postfix.helo", host, value, fix=fix)
            else:
                out += _helo_findings(
                    ctx,
                    "postfix.hostname",
                    host,
                    value,
                    what="server name (banner)",
                    stage=Stage.GREETING,
                    fix=fix,
                    soften=True,
                )
    return out


def _pf_relay(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    nets = main.get("mynetworks")
    if nets is not None:
        for token in re.split(r"[\s,]+", nets.value):
            t = token.strip().replace("[", "").replace("]", "")
            if not t or "/" not in t:
                continue
            try:
                net = ipaddress.ip_network(t, strict=False)
            except ValueError:
                continue
            if net.prefixlen == 0:
                out.append(
                    _open_relay(
                        ctx,
                        "postfix.relay.mynetworks_everyone",
                        nets,
                        f"mynetworks contains {token} ({_where(nets)}): every "
                        "host on the Internet counts as a trusted client and may "
                        "relay through you",
                    )
                )
                break

    def blocks(param: str, default: str | None) -> tuple[bool, Setting | None]:
        s = main.get(param)
        value = s.value if s is not None else default
        if value is None:
            return False, s
        for tok in re.split(r"[\s,]+", _pf_expand(value, main)):
            t = tok.strip().lower()
            if t in {"reject_unauth_destination", "defer_unauth_destination", "reject", "defer"}:
                return True, s
            if t == "permit":
                return False, s
        return False, s

    relay_ok, relay_s = blocks(
        "smtpd_relay_restrictions",
        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    )
    rcpt_ok, rcpt_s = blocks("smtpd_recipient_restrictions", None)
    if not relay_ok and not rcpt_ok and (relay_s is not None or rcpt_s is not None):
        anchor = relay_s or rcpt_s
        assert anchor is not None
        out.append(
            _open_relay(
                ctx,
                "postfix.relay.restrictions_open",
                anchor,
                "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions stops "
                f"unauthorised relaying before a 'permit' ({_where(anchor)})",
            )
        )
    return out


def _open_relay(
    ctx: _Ctx,
    fid: str,
    setting: Setting,
    what: str,
    *,
    connector: str | None = None,
    right_line: int | None = None,
) -> Finding:
    return _finding(
        ctx,
        fid,
        _CRIT,
        _C.POLICY_REJECTION,
        Stage.RCPT_TO,
        f"Open relay: {what}. Spammers find open relays within hours; the server's IP then "
        "lands on blocklists (Spamhaus, Microsoft, Gmail) and all of its mail is refused "
        "('550 5.7.1 Service unavailable; client host blocked', 'S3140').",
        setting,
        fix=_CLOSE_RELAY[ctx.mta](connector or ""),
        connector=connector,
        right_line=right_line,
    )


def _close_exchange_relay(target: str) -> Fix:
    user = "NT AUTHORITY\\ANONYMOUS LOGON"
    return Fix(
        MTA.EXCHANGE,
        (
            "Limit the relay connector to the devices that need it, or take the relay right "
            "away from anonymous users.",
        ),
        f'Set-ReceiveConnector -Identity "{target}" -RemoteIPRanges 10.0.20.22,10.0.21.11\n'
        f'Get-ReceiveConnector "{target}" | Remove-ADPermission -User "{user}" '
        "-ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient",
        f'Get-ADPermission "{target}" -User "{user}" | Format-Table User,ExtendedRights',
    )


# How to close the relay, per MTA (the argument is the Exchange connector).
_CLOSE_RELAY: dict[MTA, Callable[[str], Fix]] = {
    MTA.POSTFIX: lambda _: Fix(
        MTA.POSTFIX,
        (
            "Trust only your own networks, relay only for them and for authenticated users, "
            "then 'postfix reload' and check the IP against blocklists.",
        ),
        "mynetworks = 127.0.0.0/8 [::1]/128 192.0.2.0/24\n"
        "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
        "reject_unauth_destination",
        "postconf mynetworks smtpd_relay_restrictions smtpd_recipient_restrictions",
    ),
    MTA.EXIM: lambda _: Fix(
        MTA.EXIM,
        ("List only your own networks in relay_from_hosts, then restart Exim.",),
        "hostlist relay_from_hosts = <; 127.0.0.1 ; ::1 ; 192.0.2.0/24",
        "exim -bP +relay_from_hosts",
    ),
    MTA.SENDMAIL: lambda _: Fix(
        MTA.SENDMAIL,
        (
            "Remove FEATURE(`promiscuous_relay') from sendmail.mc, list relay clients in "
            "/etc/mail/access ('Connect:192.0.2 RELAY'), rebuild sendmail.cf and restart.",
        ),
        "dnl FEATURE(`promiscuous_relay')dnl",
        "grep -c promiscuous_relay /etc/mail/sendmail.cf",
    ),
    MTA.EXCHANGE: lambda name: _close_exchange_relay(name or "EX01\\Anonymous Relay"),
}


# (parameter, floor seconds, stage, why): RFC 5321 §4.5.3.2 where it names one.
_PF_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
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


def _pf_timeouts(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for param, floor, stage, why in _PF_TIMEOUTS:
        s = main.get(param)
        if s is None:
            continue
        seconds = duration_seconds(s.value)
        if seconds is None or seconds >= floor or seconds <= 0:
            continue
        fix = _fix(
            ctx,
            [
                f"Raise {param} to at least {_fmt_seconds(floor)} (or remove it to "
                "use Postfix's default)."
            ],
            f"{param} = {int(floor)}s",
            f"postconf {param}",
        )
        out.append(
            _timeout_finding(
                ctx, "postfix.timeout.too_short", s, seconds, floor, stage, why, fix=fix
            )
        )
    return out


# (parameter, lowest sane value, what the client sees)
_PF_RATES: tuple[tuple[str, int, str], ...] = (
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


def _pf_rates(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    unit = main.value("anvil_rate_time_unit") or "60s"
    for param, floor, symptom in _PF_RATES:
        s = main.get(param)
        n = _int(_pf_expand(s.value, main)) if s is not None else None
        if s is None or n is None or n == 0 or n >= floor:
            continue
        per = f" per {unit} (anvil_rate_time_unit)" if "rate" in param else ""
        category = _C.NETWORK_TIMEOUT if param == "default_process_limit" else _C.RATE_LIMITED
        out.append(
            _finding(
                ctx,
                "postfix.rate.limit_too_low",
                _WARN,
                category,
                Stage.CONNECT,
                f"{param} = {n}{per} ({_where(s)}) is low enough to throttle legitimate "
                f"senders: big senders (Microsoft 365, Gmail, mailing lists) open many "
                f"sessions at once and get {symptom}.",
                s,
                fix=_fix(
                    ctx,
                    [
                        f"Raise {param} (or remove it), and exempt known senders with "
                        "smtpd_client_event_limit_exceptions."
                    ],
                    f"{param} = {floor * 5}\nsmtpd_client_event_limit_exceptions = $mynetworks",
                    f"postconf {param}",
                ),
                limit=n,
                minimum=floor,
            )
        )
    return out


def _pf_sasl(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    enabled = main.get("smtp_sasl_auth_enable")
    if enabled is None or enabled.value.lower() != "yes":
        return out
    level, _ = _pf_level(main, "smtp")
    relay = main.value("relayhost") or ""
    if level == "none" and relay.strip():
        out.append(
            _finding(
                ctx,
                "postfix.sasl.auth_without_tls",
                _CRIT,
                _C.AUTHENTICATION,
                Stage.AUTH,
                f"SMTP AUTH to relayhost {_short(relay, 100)} is enabled ({_where(enabled)}) "
                "but the client "
                "never starts TLS: Microsoft 365 (smtp.office365.com), Gmail and most "
                "submission services offer AUTH only after STARTTLS, so Postfix cannot log in "
                "('530 5.7.57 Client not authenticated' or 'no mechanism available').",
                enabled,
                also_for=(MTA.MICROSOFT365,),
            )
        )
    plain_opts = main.value("smtp_sasl_security_options") or "noplaintext, noanonymous"
    tls_opts = main.value("smtp_sasl_tls_security_options") or plain_opts
    effective = _pf_expand(tls_opts if level != "none" else plain_opts, main)
    if "noplaintext" in effective.replace(" ", "").lower():
        param = (
            "smtp_sasl_tls_security_options" if level != "none" else ("smtp_sasl_security_options")
        )
        out.append(
            _finding(
                ctx,
                "postfix.sasl.noplaintext",
                _WARN,
                _C.AUTHENTICATION,
                Stage.AUTH,
                f"SMTP AUTH is enabled ({_where(enabled)}) and the effective {param} "
                f"('{_short(effective, 100)}') forbids plaintext mechanisms; "
                "relays that offer only PLAIN and "
                "LOGIN (Microsoft 365, Gmail, most providers) leave nothing to use: "
                "'SASL authentication failed; cannot authenticate to server ...: no mechanism "
                "available'.",
                enabled,
                fix=_fix(
                    ctx,
                    ["Allow PLAIN/LOGIN, which are safe inside TLS."],
                    "smtp_sasl_security_options = noanonymous\n"
                    "smtp_sasl_tls_security_options = noanonymous",
                    "postconf smtp_sasl_security_options smtp_sasl_tls_security_options",
                ),
            )
        )
    return out


def _pf_sizes(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    msg = main.get("message_size_limit")
    msg_limit = _int(msg.value) if msg is not None else 10240000
    if msg is not None and msg_limit is not None and 0 < msg_limit < 1_000_000:
        out.append(
            _finding(
                ctx,
                "postfix.size.message_limit_tiny",
                _WARN,
                _C.MESSAGE_SIZE,
                Stage.MAIL_FROM,
                f"message_size_limit = {msg_limit} bytes ({_where(msg)}): ordinary mail with an "
                "attachment is refused with '552 5.3.4 Message size exceeds fixed limit'.",
                msg,
            )
        )
    box = main.get("mailbox_size_limit")
    box_limit = _int(box.value) if box is not None else None
    if (
        box is not None
        and box_limit
        and msg_limit is not None
        and (msg_limit == 0 or box_limit < msg_limit)
    ):
        out.append(
            _finding(
                ctx,
                "postfix.size.mailbox_below_message_limit",
                _CRIT,
                _C.MESSAGE_SIZE,
                Stage.MESSAGE,
                f"mailbox_size_limit ({box_limit}) is smaller than message_size_limit "
                f"({msg_limit or 'unlimited'}) ({_where(box)}): local(8) stops with 'fatal: "
                "main.cf configuration error: mailbox_size_limit is smaller than "
                "message_size_limit' and local deliveries stay deferred.",
                box,
                fix=_fix(
                    ctx,
                    ["Make mailbox_size_limit at least message_size_limit (0 = no limit)."],
                    "mailbox_size_limit = 0",
                    "postconf mailbox_size_limit message_size_limit",
                ),
            )
        )
    return out


# --- certificate (--cert) -----------------------------------------------------------


def _cert_findings(
    ctx: _Ctx, names: Sequence[tuple[Setting, str]], connector: str | None = None
) -> list[Finding]:
    cert = ctx.cert
    if cert is None:
        return []
    out: list[Finding] = []
    for setting, name in names:
        if not name or "$" in name or name.startswith("["):
            continue
        if hostname_matches(name, cert.names):
            continue
        out.append(
            _finding(
                ctx,
                f"{ctx.mta.value}.certificate.name_not_on_certificate",
                _WARN,
                _C.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"'{_short(name, 100)}' ({setting.name}, line {setting.line}) "
                "is not on the certificate "
                f"{cert.source or ''} (subject {cert.subject}; names: "
                f"{', '.join(cert.names) or 'none'}): senders that verify the MX name (DANE, "
                "MTA-STS, Microsoft 365 connectors with certificate validation) fail the "
                "handshake, and a partner expecting this name in your client certificate "
                "treats your mail as anonymous.",
                setting,
                name=_short(name, 300),
                certificate_names=list(cert.names),
                connector=connector,
            )
        )
    days = (cert.not_after - ctx.now).total_seconds() / 86400
    if days < 0:
        out.append(
            _finding(
                ctx,
                f"{ctx.mta.value}.certificate.expired",
                _CRIT,
                _C.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"The certificate {cert.source} expired on {cert.not_after.date().isoformat()}: "
                "verifying senders refuse the handshake.",
                None,
                not_after=cert.not_after.isoformat(),
            )
        )
    elif days < 14:
        out.append(
            _finding(
                ctx,
                f"{ctx.mta.value}.certificate.expires_soon",
                _WARN,
                _C.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"The certificate {cert.source} expires in {int(days)} days "
                f"({cert.not_after.date().isoformat()}).",
                None,
                not_after=cert.not_after.isoformat(),
            )
        )
    return out


# --- Exim ---------------------------------------------------------------------------


def _gnutls_versions(value: str) -> frozenset[str] | None:
    """Protocols a GnuTLS priority string enables, or None if it is not one."""
    tokens = [t for t in value.split(":") if t]
    if not tokens or not any(
        t.upper().startswith(("NORMAL", "SECURE", "PERFORMANCE", "NONE", "PFS", "LEGACY"))
        or "VERS-" in t.upper()
        for t in tokens
    ):
        return None
    names = {
        "TLS1.0": "TLSv1",
        "TLS1.1": "TLSv1.1",
        "TLS1.2": "TLSv1.2",
        "TLS1.3": "TLSv1.3",
        "SSL3.0": "SSLv3",
    }
    first = tokens[0].upper()
    enabled: set[str] = (
        set() if first.startswith("NONE") else {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    )
    for tok in tokens[1:]:
        t = tok.upper()
        if t in {"-VERS-ALL", "-VERS-TLS-ALL"}:
            enabled.clear()
        elif t in {"+VERS-ALL", "+VERS-TLS-ALL"}:
            enabled.update(names.values())
        elif t.startswith(("+VERS-", "-VERS-")):
            proto = names.get(t[6:])
            if proto:
                (enabled.add if t[0] == "+" else enabled.discard)(proto)
    return frozenset(enabled)


def _openssl_option_protocols(value: str) -> frozenset[str]:
    enabled = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    for tok in value.split():
        t = tok.lower()
        for name, proto in (
            ("no_tlsv1_3", "TLSv1.3"),
            ("no_tlsv1_2", "TLSv1.2"),
            ("no_tlsv1_1", "TLSv1.1"),
            ("no_tlsv1", "TLSv1"),
        ):
            if t[1:] == name:
                (enabled.discard if t[0] == "+" else enabled.add)(proto)
                break
    return frozenset(enabled)


def _exim(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    main = dump.main
    out: list[Finding] = []
    opts = main.get("openssl_options")
    if opts is not None and opts.value:
        verdict = _tls_verdict(_openssl_option_protocols(opts.value))
        if verdict:
            out.append(_exim_tls(ctx, opts, verdict, "server and client"))
    sections = [(main, "server (receiving)")] + [
        (t, f"client (the {t.name} transport)") for t in dump.of_kind("transport")
    ]
    for section, who in sections:
        ciphers = section.get("tls_require_ciphers")
        if ciphers is None or not ciphers.value:
            continue
        versions = _gnutls_versions(ciphers.value)
        if versions is not None:
            verdict = _tls_verdict(versions)
            if verdict:
                out.append(_exim_tls(ctx, ciphers, verdict, who))
            continue
        problem = _cipherlist_problem(ciphers.value)
        if problem:
            out.append(
                _finding(
                    ctx,
                    "exim.tls.ciphers_no_modern",
                    problem[0],
                    _C.TLS_HANDSHAKE_FAILURE,
                    Stage.TLS_HANDSHAKE,
                    f"tls_require_ciphers for the {who} ({_where(ciphers)}): {problem[1]}.",
                    ciphers,
                    fix=_exim_fix(ctx, "tls_require_ciphers"),
                )
            )
    adv = main.get("tls_advertise_hosts")
    if adv is not None and adv.value.strip() in {"", ":", "!*"}:
        out.append(
            _finding(
                ctx,
                "exim.tls.advertise_off",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"tls_advertise_hosts is empty ({_where(adv)}): Exim offers STARTTLS to nobody, "
                "so senders that require TLS (Microsoft 365 partner connectors, MTA-STS "
                "'enforce' domains) cannot deliver, and everyone else sends in clear text.",
                adv,
                fix=_fix(
                    ctx,
                    ["Advertise STARTTLS to every host."],
                    "tls_advertise_hosts = *",
                    "exim -bP tls_advertise_hosts",
                ),
            )
        )
    elif adv is not None:
        cert = main.get("tls_certificate")
        if cert is not None and not cert.value.strip():
            out.append(
                _finding(
                    ctx,
                    "exim.tls.no_certificate",
                    _WARN,
                    _C.TLS_CERTIFICATE,
                    Stage.TLS_HANDSHAKE,
                    f"STARTTLS is advertised ({_where(adv)}) but tls_certificate is empty "
                    f"(line {cert.line}): Exim makes up a self-signed certificate, which "
                    "verifying senders (DANE, MTA-STS, Microsoft 365 with certificate "
                    "validation) refuse.",
                    cert,
                )
            )
    for name in ("hostlist relay_from_hosts", "relay_from_hosts"):
        relay = main.get(name)
        if relay is None:
            continue
        items = [i.strip() for i in re.split(r"\s*:\s*(?!:)|;", relay.value) if i.strip()]
        wide = [i for i in items if i == "*" or ip_range_covers_all(i.replace("::::", "::"))]
        if wide or re.search(r"(^|[\s:;])(0\.0\.0\.0/0|::/0|::::/0)\b", relay.value):
            out.append(
                _open_relay(
                    ctx,
                    "exim.relay.relay_from_hosts_everyone",
                    relay,
                    f"relay_from_hosts matches every host ({_where(relay)})",
                )
            )
    out += _exim_helo(dump, ctx)
    out += _exim_timeouts(dump, ctx)
    out += _exim_rates(main, ctx)
    for t in dump.of_kind("transport"):
        avoid = t.get("hosts_avoid_tls")
        if avoid is not None and avoid.value.strip() == "*":
            out.append(
                _finding(
                    ctx,
                    "exim.tls.client_tls_off",
                    _WARN,
                    _C.STARTTLS_UNAVAILABLE,
                    Stage.STARTTLS,
                    f"hosts_avoid_tls = * on the {t.name} transport ({_where(avoid)}): Exim never "
                    "starts TLS when delivering, and receivers that require it refuse the mail "
                    "('530 5.7.0 Must issue a STARTTLS command first').",
                    avoid,
                    connector=t.name,
                )
            )
        req = t.get("hosts_require_tls")
        if req is not None and req.value.strip() == "*":
            out.append(
                _finding(
                    ctx,
                    "exim.tls.client_tls_required_globally",
                    _WARN,
                    _C.STARTTLS_UNAVAILABLE,
                    Stage.STARTTLS,
                    f"hosts_require_tls = * on the {t.name} transport ({_where(req)}): mail to "
                    "servers without STARTTLS is deferred and bounces when it expires.",
                    req,
                    connector=t.name,
                )
            )
    size = main.get("message_size_limit")
    if size is not None:
        n = _bytes(size.value)
        if n is not None and 0 < n < 1_000_000:
            out.append(
                _finding(
                    ctx,
                    "exim.size.message_limit_tiny",
                    _WARN,
                    _C.MESSAGE_SIZE,
                    Stage.MAIL_FROM,
                    f"message_size_limit = {size.value} ({_where(size)}): ordinary mail with "
                    "an attachment is refused ('552 Message size exceeds maximum permitted').",
                    size,
                )
            )
    names = [(s, s.value) for s in (main.get("primary_hostname"),) if s is not None]
    out += _cert_findings(ctx, names)
    return out


def _exim_fix(ctx: _Ctx, option: str) -> Fix:
    return _fix(
        ctx,
        [f"Let {option} allow TLS 1.2 and 1.3 (or remove it to use the library defaults)."],
        "# OpenSSL build\nopenssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1\n"
        "# GnuTLS build\ntls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        f"exim -bP {option}",
    )


def _exim_tls(ctx: _Ctx, s: Setting, verdict: tuple[Severity, str], who: str) -> Finding:
    severity, why = verdict
    return _finding(
        ctx,
        "exim.tls.protocols_no_tls12",
        severity,
        _C.TLS_VERSION_MISMATCH,
        Stage.TLS_HANDSHAKE,
        f"{s.name} disables TLS 1.2 for the {who} ({_where(s)}): {why}.",
        s,
        fix=_exim_fix(ctx, s.name),
    )


def _exim_helo(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    main = dump.main
    primary = main.get("primary_hostname")
    fix = _fix(
        ctx,
        [
            "Set primary_hostname (or helo_data on the smtp transport) to the name "
            "the sending IP's PTR returns."
        ],
        "primary_hostname = mail.example.com\n# remote_smtp transport:\n"
        "helo_data = mail.example.com",
        "exim -bP primary_hostname",
    )
    overridden = False
    for t in dump.of_kind("transport"):
        helo = t.get("helo_data")
        if helo is None or not helo.value:
            continue
        value = helo.value
        if value.strip() in {"$primary_hostname", "${primary_hostname}"}:
            continue
        overridden = True
        if "$" in value:
            continue
        out += _helo_findings(ctx, "exim.helo", helo, value, fix=fix, connector=t.name)
    if primary is not None and primary.value:
        if overridden:
            out += _helo_findings(
                ctx,
                "exim.hostname",
                primary,
                primary.value,
                what="server name (banner)",
                stage=Stage.GREETING,
                fix=fix,
                soften=True,
            )
        else:
            out += _helo_findings(ctx, "exim.helo", primary, primary.value, fix=fix)
    return out


_EXIM_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
    (
        "connect_timeout",
        10,
        Stage.CONNECT,
        "a distant or busy MX often needs more than a few seconds to accept the connection",
    ),
    (
        "command_timeout",
        300,
        Stage.MAIL_FROM,
        "RFC 5321 §4.5.3.2 gives the greeting, MAIL and RCPT replies 5 minutes each",
    ),
    (
        "data_timeout",
        180,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.5: 3 minutes for each block of message data",
    ),
    (
        "final_timeout",
        600,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.6: 10 minutes for the reply to the final '.'",
    ),
)


def _exim_timeouts(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for t in dump.of_kind("transport"):
        for option, floor, stage, why in _EXIM_TIMEOUTS:
            s = t.get(option)
            seconds = duration_seconds(s.value) if s is not None else None
            if s is None or seconds is None or seconds <= 0 or seconds >= floor:
                continue
            fix = _fix(
                ctx,
                [f"Raise {option} on the {t.name} transport to at least {_fmt_seconds(floor)}."],
                f"# {t.name} transport\n{option} = {int(floor)}s",
                "exim -bP transport "
                + (t.name if not t.name.endswith("-driver") else "remote_smtp"),
            )
            out.append(
                _timeout_finding(
                    ctx,
                    "exim.timeout.too_short",
                    s,
                    seconds,
                    floor,
                    stage,
                    why,
                    fix=fix,
                    connector=t.name,
                )
            )
    recv = dump.main.get("smtp_receive_timeout")
    seconds = duration_seconds(recv.value) if recv is not None else None
    if recv is not None and seconds is not None and 0 < seconds < 60:
        out.append(
            _timeout_finding(
                ctx,
                "exim.timeout.too_short",
                recv,
                seconds,
                60,
                Stage.GREETING,
                "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
                fix=_fix(
                    ctx,
                    ["Raise smtp_receive_timeout."],
                    "smtp_receive_timeout = 5m",
                    "exim -bP smtp_receive_timeout",
                ),
            )
        )
    return out


_EXIM_RATES: tuple[tuple[str, int, Category, str], ...] = (
    (
        "smtp_accept_max",
        10,
        _C.RATE_LIMITED,
        "'421 Too many concurrent SMTP connections; please try again later'",
    ),
    (
        "smtp_accept_max_per_host",
        3,
        _C.RATE_LIMITED,
        "'421 Too many concurrent SMTP connections from this IP address; please try again later'",
    ),
    (
        "smtp_accept_max_per_connection",
        10,
        _C.RATE_LIMITED,
        "'421 too many messages in this connection'",
    ),
    (
        "smtp_load_reserve",
        4,
        _C.SERVICE_UNAVAILABLE,
        "'421 Too much load; please try again later' whenever the load average passes it",
    ),
)


def _exim_rates(main: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for option, floor, category, symptom in _EXIM_RATES:
        s = main.get(option)
        n = _int(s.value) if s is not None else None
        if s is None or n is None or n == 0 or n >= floor:
            continue
        out.append(
            _finding(
                ctx,
                "exim.rate.limit_too_low",
                _WARN,
                category,
                Stage.CONNECT,
                f"{option} = {n} ({_where(s)}) is low enough to turn away legitimate senders "
                f"with {symptom}.",
                s,
                limit=n,
                minimum=floor,
            )
        )
    return out


# --- sendmail -----------------------------------------------------------------------


def _sendmail(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    sec = dump.main
    out: list[Finding] = []
    for option, who in (
        ("ServerSSLOptions", "receiving (server)"),
        ("ClientSSLOptions", "sending (client)"),
    ):
        s = sec.get(option)
        if s is None:
            continue
        enabled = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
        for tok in re.split(r"[\s,]+", s.value):
            m = re.fullmatch(r"([+-]?)SSL_OP_NO_(TLSv1(?:_[123])?|SSLv[23])", tok, re.I)
            if not m:
                continue
            proto = m.group(2).replace("_", ".").replace("TLSV", "TLSv").replace("tlsv", "TLSv")
            proto = _TLS_CANON.get(proto.lower(), proto)
            (enabled.add if m.group(1) == "-" else enabled.discard)(proto)
        verdict = _tls_verdict(frozenset(enabled))
        if verdict:
            out.append(
                _finding(
                    ctx,
                    "sendmail.tls.protocols_no_tls12",
                    verdict[0],
                    _C.TLS_VERSION_MISMATCH,
                    Stage.TLS_HANDSHAKE,
                    f"{option} disables TLS 1.2 for {who} ({_where(s)}): {verdict[1]}.",
                    s,
                    fix=_sm_fix(
                        ctx,
                        "confSERVER_SSL_OPTIONS"
                        if option.startswith("Server")
                        else "confCLIENT_SSL_OPTIONS",
                        "`+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1'",
                        option,
                    ),
                )
            )
    ciphers = sec.get("CipherList")
    if ciphers is not None:
        problem = _cipherlist_problem(ciphers.value)
        if problem:
            out.append(
                _finding(
                    ctx,
                    "sendmail.tls.ciphers_no_modern",
                    problem[0],
                    _C.TLS_HANDSHAKE_FAILURE,
                    Stage.TLS_HANDSHAKE,
                    f"CipherList ({_where(ciphers)}): {problem[1]}.",
                    ciphers,
                    fix=_sm_fix(
                        ctx, "confCIPHER_LIST", "`HIGH:MEDIUM:!aNULL:!eNULL'", "CipherList"
                    ),
                )
            )
    cert = sec.get("ServerCertFile")
    if (cert is None or not cert.value.strip()) and len(sec) >= 8:
        anchor = cert or next(iter(sec.all("DaemonPortOptions")), None)
        out.append(
            _finding(
                ctx,
                "sendmail.tls.server_no_certificate",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                "No server certificate is configured (confSERVER_CERT / ServerCertFile), so "
                "sendmail offers no STARTTLS: senders that require TLS (Microsoft 365 partner "
                "connectors, MTA-STS 'enforce' domains) cannot deliver to it.",
                anchor,
            )
        )
    daemons = sec.all("DaemonPortOptions")
    if daemons:
        addrs = []
        for d in daemons:
            m = re.search(r"\bA(?:ddr)?=([^,\s]+)", d.value)
            addrs.append(m.group(1) if m else "0.0.0.0")
            if re.search(r"\bM(?:odifiers)?=[A-Za-z]*S", d.value):
                out.append(
                    _finding(
                        ctx,
                        "sendmail.tls.daemon_no_starttls",
                        _WARN,
                        _C.STARTTLS_UNAVAILABLE,
                        Stage.STARTTLS,
                        f"DAEMON_OPTIONS has the S modifier ({_where(d)}): this daemon does not "
                        "offer STARTTLS.",
                        d,
                    )
                )
        if all(a in {"127.0.0.1", "::1", "localhost", "IPv6:::1"} for a in addrs):
            d0 = daemons[0]
            out.append(
                _finding(
                    ctx,
                    "sendmail.daemon.loopback_only",
                    _WARN,
                    _C.FIREWALL_BLOCK,
                    Stage.CONNECT,
                    f"sendmail listens on loopback only ({_where(d0)}): if this host is an MX "
                    "or a relay for other machines, their connections are refused.",
                    d0,
                    fix=_sm_fix(
                        ctx,
                        "DAEMON_OPTIONS",
                        "`Port=smtp, Name=MTA'",
                        "DaemonPortOptions",
                        is_define=False,
                    ),
                )
            )
    j = sec.get("$j")
    if j is not None and j.value and "$" not in j.value:
        out += _helo_findings(
            ctx,
            "sendmail.helo",
            j,
            j.value,
            fix=_sm_fix(ctx, "confDOMAIN_NAME", "`mail.example.com'", "Dj", macro=True),
        )
    relay = sec.get("FEATURE:promiscuous_relay")
    if relay is not None:
        out.append(
            _open_relay(
                ctx,
                "sendmail.relay.promiscuous_relay",
                relay,
                f"FEATURE(`promiscuous_relay') ({_where(relay)}) lets anyone "
                "relay through this server",
            )
        )
    out += _sm_timeouts(sec, ctx)
    out += _sm_rates(sec, ctx)
    size = sec.get("MaxMessageSize")
    n = _int(size.value) if size is not None else None
    if size is not None and n is not None and 0 < n < 1_000_000:
        out.append(
            _finding(
                ctx,
                "sendmail.size.message_limit_tiny",
                _WARN,
                _C.MESSAGE_SIZE,
                Stage.MAIL_FROM,
                f"MaxMessageSize = {n} bytes ({_where(size)}): ordinary mail with an "
                "attachment is refused ('552 5.2.3 Message size exceeds maximum value').",
                size,
            )
        )
    if j is not None and "$" not in j.value:
        out += _cert_findings(ctx, [(j, j.value)])
    return out


def _sm_fix(
    ctx: _Ctx, name: str, value: str, cf_option: str, *, is_define: bool = True, macro: bool = False
) -> Fix:
    snippet = f"define(`{name}', {value})dnl" if is_define else f"{name}({value})dnl"
    verify = (
        f"grep '^D{cf_option[1:]}' /etc/mail/sendmail.cf"
        if macro
        else f"grep -E '^O {cf_option}' /etc/mail/sendmail.cf"
    )
    return _fix(
        ctx,
        [
            f"Change {name} in sendmail.mc, rebuild sendmail.cf "
            "(make -C /etc/mail, or m4 sendmail.mc > sendmail.cf) and restart sendmail."
        ],
        snippet,
        verify,
    )


_SM_TIMEOUTS: tuple[tuple[str, float, Stage, str], ...] = (
    (
        "Timeout.connect",
        10,
        Stage.CONNECT,
        "a distant or busy MX often needs more than a few seconds to accept the connection",
    ),
    ("Timeout.initial", 300, Stage.GREETING, "RFC 5321 §4.5.3.2.1: 5 minutes for the greeting"),
    ("Timeout.helo", 300, Stage.EHLO, "the EHLO reply gets 5 minutes like other commands"),
    ("Timeout.mail", 300, Stage.MAIL_FROM, "RFC 5321 §4.5.3.2.2: 5 minutes for MAIL"),
    ("Timeout.rcpt", 300, Stage.RCPT_TO, "RFC 5321 §4.5.3.2.3: 5 minutes for RCPT"),
    ("Timeout.datainit", 120, Stage.DATA, "RFC 5321 §4.5.3.2.4: 2 minutes for DATA"),
    (
        "Timeout.datablock",
        180,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.5: 3 minutes for each block of data",
    ),
    (
        "Timeout.datafinal",
        600,
        Stage.MESSAGE,
        "RFC 5321 §4.5.3.2.6: 10 minutes for the reply to the final '.'",
    ),
    (
        "Timeout.command",
        60,
        Stage.GREETING,
        "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
    ),
)


def _sm_timeouts(sec: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for option, floor, stage, why in _SM_TIMEOUTS:
        s = sec.get(option)
        seconds = duration_seconds(s.value, "s") if s is not None else None
        if s is None or seconds is None or seconds <= 0 or seconds >= floor:
            continue
        define = "confTO_" + option.split(".", 1)[1].upper()
        out.append(
            _timeout_finding(
                ctx,
                "sendmail.timeout.too_short",
                s,
                seconds,
                floor,
                stage,
                why,
                fix=_sm_fix(
                    ctx,
                    define,
                    f"`{int(floor // 60)}m'" if floor >= 60 else f"`{int(floor)}s'",
                    option,
                ),
            )
        )
    return out


_SM_RATES: tuple[tuple[str, int, Category, str], ...] = (
    (
        "MaxDaemonChildren",
        10,
        _C.RATE_LIMITED,
        "further connections are refused or left waiting ('421 4.3.2 Too many open "
        "connections', log 'rejecting connections on daemon MTA: N children, max N')",
    ),
    (
        "RefuseLA",
        4,
        _C.SERVICE_UNAVAILABLE,
        "sendmail refuses connections whenever the load average passes it "
        "('421 4.3.2 ... load average: N')",
    ),
    (
        "ConnectionRateThrottle",
        3,
        _C.RATE_LIMITED,
        "connections beyond that many per second are held back, and senders with short "
        "connect timeouts give up",
    ),
)


def _sm_rates(sec: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for option, floor, category, symptom in _SM_RATES:
        s = sec.get(option)
        n = _int(s.value) if s is not None else None
        if s is None or n is None or n <= 0 or n >= floor:
            continue
        out.append(
            _finding(
                ctx,
                "sendmail.rate.limit_too_low",
                _WARN,
                category,
                Stage.CONNECT,
                f"{option} = {n} ({_where(s)}) is low: {symptom}.",
                s,
                limit=n,
                minimum=floor,
            )
        )
    return out


# --- Exchange -----------------------------------------------------------------------


def _true(section: Section, name: str) -> bool:
    return (section.value(name) or "").strip().lower() == "true"


def _exchange(dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    for section in dump.sections:
        if section.kind == "send":
            out += _ex_send(section, ctx)
        else:
            out += _ex_receive(section, dump, ctx)
        fqdn = section.get("Fqdn")
        if fqdn is not None and fqdn.value:
            out += _cert_findings(ctx, [(fqdn, fqdn.value)], connector=section.name)
    for s in dump.truncated_lists:
        out.append(
            _finding(
                ctx,
                "exchange.export.list_truncated",
                _INFO,
                _C.OTHER,
                Stage.NONE,
                f"{s.name} was cut short by PowerShell ({_where(s)}), so entries may be "
                "missing from this audit. Export again after '$FormatEnumerationLimit = -1'.",
                s,
            )
        )
    if any(_uses_tls(s) for s in dump.sections):
        first = dump.sections[0]
        out.append(
            _finding(
                ctx,
                "exchange.tls.schannel_versions",
                _INFO,
                _C.TLS_VERSION_MISMATCH,
                Stage.TLS_HANDSHAKE,
                "Exchange connectors do not choose TLS versions: Windows SCHANNEL does. This "
                "export cannot show whether TLS 1.2 is enabled; on servers before Windows "
                "Server 2016, or with TLS 1.2 disabled in the registry, Microsoft 365 and "
                "Gmail drop the session ('421 4.4.2 Connection dropped due to SocketError'). "
                "Check the SCHANNEL keys on every transport server.",
                None,
                connector=first.name,
            )
        )
    return out


def _uses_tls(section: Section) -> bool:
    auth = (section.value("AuthMechanism") or "").lower()
    return (
        _true(section, "RequireTLS")
        or bool(section.value("TlsAuthLevel"))
        or "tls" in auth
        or (section.kind == "send" and not _true(section, "IgnoreSTARTTLS"))
    )


def _is_internet_send(section: Section) -> bool:
    spaces = (section.value("AddressSpaces") or "").lower()
    return any(
        item.split(";")[0].removeprefix("smtp:").strip() == "*" for item in split_list(spaces)
    )


def _is_hybrid(section: Section) -> bool:
    text = " ".join(
        (section.value(k) or "") for k in ("Name", "AddressSpaces", "SmartHosts", "TlsDomain")
    ).lower()
    return (
        "office 365" in text
        or "onmicrosoft.com" in text
        or "outlook.com" in text
        or (_true(section, "CloudServicesMailEnabled"))
    )


def _cert_subject_names(value: str) -> list[str]:
    """Host names in a TlsCertificateName ``<I>issuer<S>subject`` (the subject's CN)."""
    subject = value.split("<S>", 1)[1] if "<S>" in value else value
    return re.findall(r"CN=([^,<]+)", subject, re.I)


def _fqdn_vs_certificate(section: Section, ctx: _Ctx, role: str) -> list[Finding]:
    fqdn = section.get("Fqdn")
    cert = section.get("TlsCertificateName")
    if fqdn is None or cert is None or not fqdn.value or not cert.value:
        return []
    names = [n.strip() for n in _cert_subject_names(cert.value)]
    if not names or hostname_matches(fqdn.value, names):
        return []
    return [
        _finding(
            ctx,
            f"exchange.{role}.fqdn_not_on_certificate",
            _WARN,
            _C.TLS_CERTIFICATE,
            Stage.TLS_HANDSHAKE,
            f"Connector '{section.name}': Fqdn {_short(fqdn.value, 100)} (line {fqdn.line}) "
            "is not the "
            f"subject of its TlsCertificateName ({', '.join(names)}, line {cert.line}). Peers "
            "that validate the name (Microsoft 365 inbound connectors with "
            "TlsSenderCertificateName, TlsAuthLevel DomainValidation) fail or treat the mail "
            "as anonymous ('454 4.7.5 certificate validation failure', '5.7.64 "
            "TenantAttribution'), unless the certificate also lists the Fqdn among its "
            "SANs, which this export cannot show: check with --cert.",
            fqdn,
            connector=section.name,
            certificate=cert.value,
            also_for=(MTA.MICROSOFT365,),
        )
    ]


def _ex_send(section: Section, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    name = section.name
    internet = _is_internet_send(section)
    hybrid = _is_hybrid(section)
    also = (MTA.MICROSOFT365,) if hybrid else ()
    enabled = section.get("Enabled")
    if enabled is not None and enabled.value.lower() == "false":
        out.append(
            _finding(
                ctx,
                "exchange.send.disabled",
                _INFO,
                _C.OTHER,
                Stage.NONE,
                f"Send connector '{name}' is disabled ({_where(enabled)}) and sends nothing.",
                enabled,
                connector=name,
            )
        )
    fqdn = section.get("Fqdn")
    fix = _fix(
        ctx,
        [
            "Set the connector's FQDN to the name the public sending IP's PTR "
            "returns (and that is on the certificate)."
        ],
        f'Set-SendConnector -Identity "{name}" -Fqdn mail.contoso.com',
        "Get-SendConnector | Format-List Identity,Fqdn",
    )
    if fqdn is not None:
        if not fqdn.value.strip():
            severity = _WARN if internet or hybrid else _INFO
            out.append(
                _finding(
                    ctx,
                    "exchange.send.fqdn_empty",
                    severity,
                    _C.DNS_PTR_MISMATCH,
                    Stage.EHLO,
                    f"Send connector '{name}' has no Fqdn (line {fqdn.line}): Exchange sends the "
                    "server's own AD name in EHLO (often server.contoso.local), which matches no "
                    "PTR and no public certificate.",
                    fqdn,
                    fix=fix,
                    connector=name,
                    also_for=also,
                )
            )
        else:
            out += _helo_findings(
                ctx,
                "exchange.send.fqdn",
                fqdn,
                fqdn.value,
                what="EHLO name (Fqdn)",
                fix=fix,
                connector=name,
                soften=not internet,
            )
    out += _fqdn_vs_certificate(section, ctx, "send")
    port = section.get("Port")
    if port is not None and port.value.strip() == "465":
        out.append(
            _finding(
                ctx,
                "exchange.send.port_465",
                _CRIT,
                _C.TLS_HANDSHAKE_FAILURE,
                Stage.GREETING,
                f"Send connector '{name}' uses port 465 ({_where(port)}): Exchange speaks only "
                "SMTP with STARTTLS, not implicit TLS, so it waits for a greeting the smart "
                "host never sends until the session times out.",
                port,
                connector=name,
                fix=_fix(
                    ctx,
                    ["Use port 587 (or 25) with STARTTLS for the smart host."],
                    f'Set-SendConnector -Identity "{name}" -Port 587 -RequireTLS $true',
                    "Get-SendConnector | Format-List Identity,Port,SmartHosts",
                ),
            )
        )
    if _true(section, "IgnoreSTARTTLS"):
        s = section.get("IgnoreSTARTTLS")
        out.append(
            _finding(
                ctx,
                "exchange.send.ignore_starttls",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"Send connector '{name}' ignores STARTTLS ({_where(s) if s else ''}): mail goes "
                "out in clear text and receivers that require TLS (Microsoft 365 connectors "
                "with RequireTls, MTA-STS 'enforce') refuse it.",
                s,
                connector=name,
                also_for=also,
            )
        )
    if _true(section, "ForceHELO"):
        s = section.get("ForceHELO")
        out.append(
            _finding(
                ctx,
                "exchange.send.force_helo",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.EHLO,
                f"Send connector '{name}' sends HELO instead of EHLO ({_where(s) if s else ''}): "
                "no ESMTP extensions, so no STARTTLS, no SIZE and no 8BITMIME; receivers that "
                "require TLS refuse the mail.",
                s,
                connector=name,
            )
        )
    req = section.get("RequireTLS")
    if req is not None and req.value.lower() == "true" and internet and not hybrid:
        out.append(
            _finding(
                ctx,
                "exchange.send.require_tls_internet",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"Send connector '{name}' requires TLS ({_where(req)}) for the whole Internet "
                "(AddressSpaces *): mail to servers without STARTTLS, or whose certificate fails "
                "the TlsAuthLevel check, stays queued ('451 4.4.0 ... TLS negotiation failed', "
                "'... RequireTLS') and then bounces.",
                req,
                connector=name,
            )
        )
    level = section.get("TlsAuthLevel")
    if level is not None and level.value and req is not None and req.value.lower() != "true":
        out.append(
            _finding(
                ctx,
                "exchange.send.tls_auth_level_ignored",
                _INFO,
                _C.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"Send connector '{name}' sets TlsAuthLevel {_short(level.value, 40)} "
                f"({_where(level)}) but "
                "RequireTLS is False, so the level is not enforced.",
                level,
                connector=name,
            )
        )
    if hybrid:
        cert = section.get("TlsCertificateName")
        if cert is not None and not cert.value.strip():
            out.append(
                _finding(
                    ctx,
                    "exchange.send.hybrid_no_certificate",
                    _WARN,
                    _C.TLS_CERTIFICATE,
                    Stage.TLS_HANDSHAKE,
                    f"Hybrid send connector '{name}' names no TlsCertificateName (line "
                    f"{cert.line}): Exchange Online cannot match the on-premises certificate to "
                    "the inbound connector, so mail is treated as anonymous or refused ('5.7.64 "
                    "TenantAttribution; Relay Access Denied'). Re-run the Hybrid Configuration "
                    "Wizard or set the certificate.",
                    cert,
                    connector=name,
                    also_for=(MTA.MICROSOFT365,),
                )
            )
    auth = section.get("SmartHostAuthMechanism")
    if (
        auth is not None
        and auth.value.strip().lower() == "basicauth"
        and not _true(section, "RequireTLS")
    ):
        out.append(
            _finding(
                ctx,
                "exchange.send.basic_auth_without_tls",
                _WARN,
                _C.AUTHENTICATION,
                Stage.AUTH,
                f"Send connector '{name}' logs in to its smart host with BasicAuth "
                f"({_where(auth)}) without requiring TLS: the password can cross the network in "
                "clear, and smart hosts that offer AUTH only after STARTTLS (Microsoft 365, "
                "Gmail) refuse it ('530 5.7.57').",
                auth,
                connector=name,
                fix=_fix(
                    ctx,
                    ["Use BasicAuthRequireTLS."],
                    f'Set-SendConnector -Identity "{name}" -SmartHostAuthMechanism '
                    "BasicAuthRequireTLS -RequireTLS $true",
                    "Get-SendConnector | Format-List Identity,SmartHostAuthMechanism",
                ),
            )
        )
    idle = section.get("ConnectionInactivityTimeOut") or section.get("ConnectionInactivityTimeout")
    seconds = duration_seconds(idle.value) if idle is not None else None
    if idle is not None and seconds is not None and 0 < seconds < 600:
        out.append(
            _timeout_finding(
                ctx,
                "exchange.send.timeout_too_short",
                idle,
                seconds,
                600,
                Stage.MESSAGE,
                "RFC 5321 §4.5.3.2.6 gives the reply to the final '.' 10 minutes, and receivers "
                "that scan content take minutes",
                connector=name,
                fix=_fix(
                    ctx,
                    ["Restore the default inactivity timeout."],
                    f'Set-SendConnector -Identity "{name}" -ConnectionInactivityTimeOut 00:10:00',
                    "Get-SendConnector | Format-List Identity,ConnectionInactivityTimeOut",
                ),
            )
        )
    return out


def _right_is_for(right: Anonymous, name: str, default_name: bool, dump: ConfigDump) -> bool:
    """Whether a relay right seen in the export belongs to connector ``name``.

    A table without the connector's name is pinned on the custom anonymous
    connectors (Exchange never grants the right through a permission group),
    and on the default ones only when there is no custom one.
    """
    if right.identity is not None:
        ident = right.identity.strip().lower()
        short = name.rsplit("\\", 1)[-1].lower()
        return ident == name.lower() or ident.rsplit("\\", 1)[-1] == short
    customs = [
        s
        for s in dump.of_kind("receive")
        if "anonymoususers" in (s.value("PermissionGroups") or "").lower()
        and not s.name.split("\\")[-1].lower().startswith("default ")
    ]
    return not default_name or not customs


def _ex_receive(section: Section, dump: ConfigDump, ctx: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    name = section.name
    ranges = split_list(section.value("RemoteIPRanges") or "")
    everyone = any(ip_range_covers_all(r) for r in ranges)
    groups = (section.value("PermissionGroups") or "").lower()
    anonymous = "anonymoususers" in groups
    auth_s = section.get("AuthMechanism")
    auth = (auth_s.value if auth_s is not None else "").lower()
    internet = everyone and anonymous
    default_name = name.split("\\")[-1].lower().startswith("default ")
    if (section.value("Enabled") or "").lower() == "false":
        s = section.get("Enabled")
        if s is not None:
            out.append(
                _finding(
                    ctx,
                    "exchange.receive.disabled",
                    _INFO,
                    _C.OTHER,
                    Stage.NONE,
                    f"Receive connector '{name}' is disabled ({_where(s)}).",
                    s,
                    connector=name,
                )
            )
        return out
    req = section.get("RequireTLS")
    requires_tls = req is not None and req.value.lower() == "true"
    if auth_s is not None and "tls" not in re.split(r"[\s,]+", auth):
        severity = _CRIT if requires_tls else (_WARN if internet else _INFO)
        out.append(
            _finding(
                ctx,
                "exchange.receive.no_starttls",
                severity,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"Receive connector '{name}' does not offer STARTTLS: AuthMechanism lacks Tls "
                f"({_where(auth_s)})"
                + (
                    " while RequireTLS is True, so every sender is refused ('530 5.7.0 Must "
                    "issue a STARTTLS command first' with no way to do so)."
                    if requires_tls
                    else ": senders that require TLS (Microsoft 365 partner connectors, MTA-STS "
                    "'enforce' domains) cannot deliver, and the rest send in clear text."
                ),
                auth_s,
                connector=name,
                fix=_fix(
                    ctx,
                    ["Add Tls to the connector's authentication mechanisms."],
                    f"Set-ReceiveConnector -Identity \"{name}\" -AuthMechanism @{{Add='Tls'}}",
                    "Get-ReceiveConnector | Format-List Identity,AuthMechanism",
                ),
            )
        )
    if requires_tls and internet and req is not None:
        out.append(
            _finding(
                ctx,
                "exchange.receive.require_tls_internet",
                _WARN,
                _C.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                f"Receive connector '{name}' accepts anonymous mail from the whole Internet "
                f"but requires TLS ({_where(req)}): senders without STARTTLS are refused "
                "('530 5.7.0 Must issue a STARTTLS command first').",
                req,
                connector=name,
            )
        )
    fqdn = section.get("Fqdn")
    if fqdn is not None and fqdn.value and internet:
        out += _helo_findings(
            ctx,
            "exchange.receive.fqdn",
            fqdn,
            fqdn.value,
            what="Fqdn (banner and EHLO reply)",
            stage=Stage.GREETING,
            connector=name,
            soften=True,
            fix=_fix(
                ctx,
                [
                    "Give the Internet-facing connector the public MX name that is on "
                    "the certificate."
                ],
                f'Set-ReceiveConnector -Identity "{name}" -Fqdn mail.contoso.com',
                "Get-ReceiveConnector | Format-List Identity,Fqdn,TlsCertificateName",
            ),
        )
    out += _fqdn_vs_certificate(section, ctx, "receive")
    # Open relay: anonymous senders from anywhere with the right to relay.
    if everyone and anonymous:
        rights = [r for r in dump.relay_rights if _right_is_for(r, name, default_name, dump)]
        ranges_s = section.get("RemoteIPRanges")
        if rights and ranges_s is not None:
            r = rights[0]
            out.append(
                _open_relay(
                    ctx,
                    "exchange.receive.open_relay",
                    ranges_s,
                    f"receive connector '{name}' lets anonymous senders from every address "
                    f"({_where(ranges_s)}) relay: ANONYMOUS LOGON holds "
                    f"ms-Exch-SMTP-Accept-Any-Recipient (line {r.line})",
                    connector=name,
                    right_line=r.line,
                )
            )
        elif ranges_s is not None and not default_name:
            out.append(
                _finding(
                    ctx,
                    "exchange.receive.anonymous_from_anywhere",
                    _INFO,
                    _C.POLICY_REJECTION,
                    Stage.RCPT_TO,
                    f"Custom receive connector '{name}' accepts anonymous sessions from every "
                    f"address ({_where(ranges_s)}). If it was made for anonymous relay, it is an "
                    "open relay; this export does not show its permissions: run Get-ADPermission "
                    "on it and look for ms-Exch-SMTP-Accept-Any-Recipient.",
                    ranges_s,
                    connector=name,
                )
            )
    if everyone and "externalauthoritative" in auth and auth_s is not None:
        out.append(
            _open_relay(
                ctx,
                "exchange.receive.open_relay",
                auth_s,
                f"receive connector '{name}' treats every address as externally secured "
                f"(ExternalAuthoritative, {_where(auth_s)}), which grants relay rights to anyone",
                connector=name,
            )
        )
    for prop, floor, stage, why in (
        (
            "ConnectionTimeout",
            300,
            Stage.MESSAGE,
            "large messages over slow links need more than a few minutes in total",
        ),
        (
            "ConnectionInactivityTimeout",
            60,
            Stage.MESSAGE,
            "RFC 5321 §4.5.3.2.7 asks servers to wait 5 minutes for the next command",
        ),
    ):
        s = section.get(prop)
        seconds = duration_seconds(s.value) if s is not None else None
        if s is None or seconds is None or seconds <= 0 or seconds >= floor:
            continue
        out.append(
            _timeout_finding(
                ctx,
                "exchange.receive.timeout_too_short",
                s,
                seconds,
                floor,
                stage,
                why,
                connector=name,
                fix=_fix(
                    ctx,
                    [f"Raise {prop}."],
                    f'Set-ReceiveConnector -Identity "{name}" -{prop} '
                    + ("00:10:00" if prop == "ConnectionTimeout" else "00:05:00"),
                    f"Get-ReceiveConnector | Format-List Identity,{prop}",
                ),
            )
        )
    for prop, floor, symptom in (
        (
            "MaxInboundConnectionPerSource",
            5,
            "'421 4.3.2 The maximum number of concurrent connections has exceeded a limit, "
            "closing transmission channel'",
        ),
        (
            "MaxInboundConnection",
            50,
            "'421 4.3.2 The maximum number of concurrent server connections has exceeded a "
            "limit, closing transmission channel'",
        ),
        (
            "MessageRateLimit",
            10,
            "'421 4.4.2 Message submission rate for this client has exceeded the configured limit'",
        ),
    ):
        s = section.get(prop)
        n = _int(s.value) if s is not None else None
        if s is None or n is None or n == 0 or n >= floor:
            continue
        if prop == "MessageRateLimit" and not internet:
            continue  # client connectors limit users on purpose
        out.append(
            _finding(
                ctx,
                "exchange.receive.limit_too_low",
                _WARN,
                _C.RATE_LIMITED,
                Stage.CONNECT,
                f"Receive connector '{name}': {prop} = {n} ({_where(s)}) turns away "
                f"legitimate senders with {symptom}.",
                s,
                connector=name,
                limit=n,
                minimum=floor,
                fix=_fix(
                    ctx,
                    [f"Raise {prop} (or set it back to its default)."],
                    f'Set-ReceiveConnector -Identity "{name}" -{prop} Unlimited',
                    f"Get-ReceiveConnector | Format-List Identity,{prop}",
                ),
            )
        )
    tarpit = section.get("TarpitInterval")
    seconds = duration_seconds(tarpit.value) if tarpit is not None else None
    if tarpit is not None and seconds is not None and seconds > 30:
        out.append(
            _finding(
                ctx,
                "exchange.receive.tarpit_too_long",
                _WARN,
                _C.NETWORK_TIMEOUT,
                Stage.RCPT_TO,
                f"Receive connector '{name}' delays every negative reply by "
                f"{_fmt_seconds(seconds)} ({_where(tarpit)}): senders with short command "
                "timeouts hang up before the reply.",
                tarpit,
                connector=name,
            )
        )
    return out
