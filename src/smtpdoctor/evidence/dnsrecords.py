"""The pure checks on DNS records: EHLO names, PTR relations, the MTA-STS and TLS-RPT TXT records.

What :mod:`smtpdoctor.probe.dns` asks the DNS for is judged here, from text:
an EHLO name's kind (RFC 5321 §4.1.3, RFC 1123 §2.1), how it relates to the
source IP's PTR names, an address written where a name belongs, and the
``v=STSv1`` (RFC 8461 §3.1) and ``v=TLSRPTv1`` (RFC 8460 §3) TXT records.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Sequence

from smtpdoctor.evidence.dns import (
    DnsQuery,
    HeloKind,
    MtaStsRecordResult,
    PtrRelation,
    TlsRptResult,
    normalize_name,
)

__all__ = [
    "address_in_name",
    "helo_kind",
    "literal_address",
    "parse_mta_sts_record",
    "parse_tlsrpt_record",
    "ptr_relation",
]

# RFC 1123 §2.1 host name labels (letters, digits, hyphen; not at the ends).
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT)
_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


def literal_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``192.0.2.1``, ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` as an address; else None."""
    text = name.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        if text[:5].lower() == "ipv6:":
            text = text[5:]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def address_in_name(name: str) -> str | None:
    """``192.0.2.1`` or ``192.0.2.1.example.com`` -> ``192.0.2.1``; else None."""
    literal = literal_address(name)
    if literal is not None:
        return str(literal)
    labels = name.split(".")
    if len(labels) > 4:
        with contextlib.suppress(ValueError):
            return str(ipaddress.IPv4Address(".".join(labels[:4])))
    return None


def helo_kind(helo: str) -> HeloKind:
    """What an EHLO argument is: an FQDN, an address literal, a bare label, or nothing valid."""
    text = helo.strip()
    if text.startswith("["):
        return HeloKind.ADDRESS_LITERAL if literal_address(text) else HeloKind.INVALID
    if literal_address(text) is not None:
        return HeloKind.NOT_FQDN  # a bare IP must be bracketed in EHLO
    labels = normalize_name(text).split(".")
    if not text or not all(_LABEL.match(label) for label in labels):
        return HeloKind.INVALID
    return HeloKind.FQDN if len(labels) >= 2 else HeloKind.NOT_FQDN


def ptr_relation(helo: str, ptr_names: Sequence[str]) -> PtrRelation:
    """How the EHLO name relates to the PTR names (normalized) of the source IP."""
    if not ptr_names:
        return PtrRelation.NO_PTR
    h = normalize_name(helo)
    if h in ptr_names:
        return PtrRelation.EXACT
    # Without the public suffix list: share a parent of at least two labels
    # ("out-1.mail.example.com" vs "mail.example.com"), or one is the other's parent.
    h_parent = h.split(".", 1)[1] if "." in h else ""
    for name in ptr_names:
        parent = name.split(".", 1)[1] if "." in name else ""
        for a, b in ((h_parent, parent), (h_parent, name), (h, parent)):
            if a and a == b and a.count(".") >= 1:
                return PtrRelation.SAME_DOMAIN
    return PtrRelation.DIFFERENT


def _fields(record: str) -> list[tuple[str, str]]:
    out = []
    for part in record.split(";"):
        key, sep, value = part.strip().partition("=")
        if part.strip():
            out.append((key.strip(), value.strip() if sep else ""))
    return out


def _versioned(txt: Sequence[str], version: str) -> tuple[str, ...]:
    """The TXT strings whose first field is exactly ``v=VERSION`` (case-sensitive)."""
    return tuple(t for t in txt if _fields(t)[:1] and _fields(t)[0] == ("v", version))


def parse_mta_sts_record(domain: str, query: DnsQuery, txt: tuple[str, ...]) -> MtaStsRecordResult:
    """The ``_mta-sts.DOMAIN`` TXT strings (RFC 8461 §3.1), judged.

    ``txt`` holds every TXT record at the name, each one's strings joined.
    """
    # RFC 8461 §3.1: records not starting with "v=STSv1" are ignored (case-sensitive).
    records = _versioned(txt, "STSv1")
    problems: list[str] = []
    policy_id: str | None = None
    if len(records) > 1:
        problems.append(
            f"{len(records)} TXT records start with v=STSv1; with more than one, "
            "senders treat the domain as having no MTA-STS policy (RFC 8461 §3.1)"
        )
    if records:
        values = dict(_fields(records[0])[1:])
        policy_id = values.get("id")
        if policy_id is None:
            problems.append("the record has no id= field (RFC 8461 §3.1 requires one)")
        elif not _STS_ID.match(policy_id):
            problems.append(f"id={policy_id!r} is not 1 to 32 letters and digits (RFC 8461 §3.1)")
    elif any(t.lower().startswith("v=stsv1") for t in txt):
        problems.append('the record must start exactly with "v=STSv1" (case-sensitive)')
    return MtaStsRecordResult(
        domain=domain,
        qname=query.qname,
        status=query.status,
        txt=txt,
        records=records,
        policy_id=policy_id,
        problems=tuple(problems),
        queries=(query,),
    )


def parse_tlsrpt_record(domain: str, query: DnsQuery, txt: tuple[str, ...]) -> TlsRptResult:
    """The ``_smtp._tls.DOMAIN`` TXT strings (RFC 8460 §3), judged."""
    records = _versioned(txt, "TLSRPTv1")
    problems: list[str] = []
    rua: tuple[str, ...] = ()
    if len(records) > 1:
        problems.append(
            f"{len(records)} TXT records start with v=TLSRPTv1; with more than one, "
            "senders assume the domain does not implement TLS-RPT (RFC 8460 §3)"
        )
    if records:
        values = dict(_fields(records[0])[1:])
        rua = tuple(u.strip() for u in values.get("rua", "").split(",") if u.strip())
        if not rua:
            problems.append("the record has no rua= field: reports have nowhere to go")
        bad = [u for u in rua if not u.lower().startswith(("mailto:", "https:"))]
        if bad:
            problems.append(f"rua URIs must be mailto: or https: (RFC 8460 §3), not {bad}")
    elif any(t.lower().startswith("v=tlsrptv1") for t in txt):
        problems.append('the record must start exactly with "v=TLSRPTv1"')
    return TlsRptResult(
        domain=domain,
        qname=query.qname,
        status=query.status,
        txt=txt,
        records=records,
        rua=rua,
        problems=tuple(problems),
        queries=(query,),
    )
