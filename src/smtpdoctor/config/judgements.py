"""Value judgements every MTA's rules share. Pure: strings in, verdicts out.

Durations (``30s``, ``5m``, Exchange ``00:10:00``), sizes, numbers, whether
a host name can serve as an EHLO name that matches a PTR, whether a set of
TLS protocols or an OpenSSL cipher string leaves what modern peers need.
The verdicts' explanations are the findings' ``why``.
"""

from __future__ import annotations

import ipaddress
import re

from smtpdoctor.model import Severity

__all__ = [
    "TLS_CANON",
    "TLS_ORDER",
    "as_bytes",
    "as_int",
    "cipherlist_problem",
    "classify_hostname",
    "duration_seconds",
    "fmt_seconds",
    "tls_verdict",
]

_CRIT, _WARN = Severity.CRITICAL, Severity.WARNING

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


def as_int(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*", value)
    return int(m.group(1)) if m else None


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\b", re.I)


def as_bytes(value: str) -> int | None:
    """``10240000``, ``50M``, ``100K``, Exchange ``36 MB (37,748,736 bytes)``."""
    exact = re.search(r"\(([\d,]+) bytes\)", value)
    if exact:
        return int(exact.group(1).replace(",", ""))
    m = _SIZE.match(value)
    if not m:
        return None
    mult = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()]
    return int(float(m.group(1)) * mult)


def fmt_seconds(seconds: float) -> str:
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


TLS_ORDER = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
TLS_CANON = {p.lower(): p for p in TLS_ORDER}


def tls_verdict(enabled: frozenset[str]) -> tuple[Severity, str] | None:
    """Critical when neither TLS 1.2 nor 1.3 is left; warning when only 1.3 is."""
    modern = enabled & {"TLSv1.2", "TLSv1.3"}
    legacy = sorted(enabled & {"SSLv3", "TLSv1", "TLSv1.1"}, key=TLS_ORDER.index)
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


def cipherlist_problem(value: str) -> tuple[Severity, str] | None:
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
