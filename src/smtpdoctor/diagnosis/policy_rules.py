"""Transport-policy evidence -> findings: MTA-STS (RFC 8461) and DANE (RFC 7672). Pure.

The DNS side (the ``_mta-sts`` TXT record, TLSA records present or not,
validated or not) is :mod:`smtpdoctor.diagnosis.dns_rules`' business; this
module judges what those records *demand* against what each MX host *does*:
the fetched policy file, and each walked host's STARTTLS, TLS version,
certificate and served chain (:class:`MxTransport`, filled by the caller
from a session; no probe types needed).

Categories and stages, chosen by what the sending MTA logs when it gives up:

* A host an MTA-STS ``enforce`` policy or a DNSSEC-validated TLSA RRset
  cannot be satisfied by is *critical*: honouring senders defer (4xx) and
  retry until the message expires; retrying cannot help (``retry_helps``
  False) until someone changes the policy, the records or the server.
  - no STARTTLS: ``starttls_unavailable`` at ``starttls``;
  - a failed handshake: ``tls_handshake_failure``; below TLS 1.2:
    ``tls_version_mismatch``; both at ``tls_handshake``;
  - the certificate (untrusted, expired, not naming the MX host), a TLSA
    mismatch, and an MX host the policy does not list: ``tls_certificate`` at
    ``tls_handshake``. The last is not ``policy_rejection`` (that is the
    *receiver* refusing): the sender refuses to accept the host's identity,
    and Postfix with postfix-mta-sts-resolver logs it as a certificate
    verification failure ("match=" names the policy's patterns).
* When another MX host satisfies the policy, those become warnings: mail
  still flows through it (RFC 5321 §5.1 tries every MX).
* Policy discovery problems (the policy file cannot be fetched or parsed)
  are warnings at ``dns`` (discovery precedes the connection): new senders
  then apply no MTA-STS, cached ones keep the old policy.
* TLSA answers without the AD bit are not in force as seen from the resolver
  asked (``dns.tlsa.present_without_dnssec`` says so); a mismatch there is a
  warning (``policy.dane.mismatch_unvalidated``): if the zone is in fact
  signed, DANE senders are deferring now; if not, signing it would start it.

Evidence carries the TLS-RPT result type (RFC 8460 §4.3) each failure shows
up as in the domain's reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.certificate import CertificateInfo, hostname_matches
from smtpdoctor.evidence.dane import DaneStatus, TlsaMatch, tlsa_matches
from smtpdoctor.evidence.dns import (
    MtaStsRecordResult,
    TlsaResult,
    TlsRptResult,
    normalize_name,
)
from smtpdoctor.evidence.http import HttpProblem
from smtpdoctor.evidence.mtasts import (
    FetchStatus,
    MtaStsPolicy,
    MtaStsPolicyResult,
    StsMode,
    TlsProblem,
)
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Severity, Stage

__all__ = [
    "MxTransport",
    "dane_findings",
    "mta_sts_policy_findings",
    "policy_findings",
]

JSON = dict[str, Any]

_TLS_ORDER = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
# Gmail and Microsoft 365, the largest MTA-STS senders, refuse TLS below 1.2.
_STS_TLS_FLOOR = "TLSv1.2"


@dataclass(frozen=True, slots=True)
class MxTransport:
    """What one walk of one MX address showed about its transport security."""

    name: str  # the MX host name (as in the MX record)
    address: str = ""
    reached: bool = True  # the session got as far as EHLO; False: nothing to judge
    starttls_offered: bool = False
    tls_version: str | None = None  # negotiated; None: no TLS session
    certificate: CertificateInfo | None = None
    chain_der: tuple[bytes, ...] = ()  # as served, leaf first
    delivers: bool = True  # the host's own verdict is not a failure

    @property
    def label(self) -> str:
        return f"{self.name} [{self.address}]" if self.address else self.name

    def to_json(self) -> JSON:
        cert = self.certificate
        return {
            "name": self.name,
            "address": self.address,
            "reached": self.reached,
            "starttls_offered": self.starttls_offered,
            "tls_version": self.tls_version,
            "certificate": None
            if cert is None
            else {
                "trusted": cert.trusted,
                "expired": cert.expired,
                "not_yet_valid": cert.not_yet_valid,
                "self_signed": cert.self_signed,
                "trust_error": cert.trust_error,
                "san": list(cert.san),
            },
            "chain_length": len(self.chain_der),
        }


def _rank(version: str) -> int:
    return _TLS_ORDER.index(version) if version in _TLS_ORDER else len(_TLS_ORDER)


def _days(seconds: int) -> str:
    return f"{seconds} s" if seconds < 86400 else f"{seconds} s, {seconds / 86400:g} days"


def _new_id(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


def _downgrade(findings: list[Finding], passing: Sequence[MxTransport], who: str) -> list[Finding]:
    """Criticals become warnings while another MX host satisfies the policy."""
    if not passing:
        return findings
    ok = passing[0]
    return [
        replace(
            f,
            severity=Severity.WARNING,
            message=f"{f.message} Mail from {who} still flows through {ok.label}.",
        )
        if f.severity is Severity.CRITICAL
        else f
        for f in findings
    ]


# ---------------------------------------------------------------------------
# MTA-STS


@dataclass(frozen=True, slots=True)
class _Failure:
    category: Category
    stage: Stage
    words: str
    tlsrpt: str  # RFC 8460 §4.3 result type


def _sts_failures(host: MxTransport) -> list[_Failure]:
    """Why an ``enforce`` policy cannot be met by this host (RFC 8461 §4.2, §5.1)."""
    if not host.reached:
        return []
    if not host.starttls_offered:
        return [
            _Failure(
                Category.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                "it does not offer STARTTLS",
                "starttls-not-supported",
            )
        ]
    if host.tls_version is None:
        return [
            _tls_failure("the TLS handshake with it fails", "validation-failure", handshake=True)
        ]
    out: list[_Failure] = []
    if _rank(host.tls_version) < _rank(_STS_TLS_FLOOR):
        out.append(
            _Failure(
                Category.TLS_VERSION_MISMATCH,
                Stage.TLS_HANDSHAKE,
                f"its best TLS version is {host.tls_version}, below TLS 1.2",
                "validation-failure",
            )
        )
    cert = host.certificate
    if cert is None:
        return [*out, _tls_failure("it presents no certificate", "validation-failure")]
    return out + _certificate_failures(host.name, cert)


def _tls_failure(words: str, tlsrpt: str, *, handshake: bool = False) -> _Failure:
    category = Category.TLS_HANDSHAKE_FAILURE if handshake else Category.TLS_CERTIFICATE
    return _Failure(category, Stage.TLS_HANDSHAKE, words, tlsrpt)


def _certificate_failures(name: str, cert: CertificateInfo) -> list[_Failure]:
    out: list[_Failure] = []
    if cert.expired:
        out.append(_tls_failure("its certificate has expired", "certificate-expired"))
    elif cert.not_yet_valid:
        out.append(_tls_failure("its certificate is not valid yet", "validation-failure"))
    if cert.self_signed or not cert.trusted:
        why = "it is self-signed" if cert.self_signed else (cert.trust_error or "no trusted root")
        out.append(
            _tls_failure(
                f"its certificate does not chain to a trusted CA ({why})", "certificate-not-trusted"
            )
        )
    # RFC 8461 §4.2: a DNS-ID in the subjectAltName must match the MX host name.
    if not hostname_matches(name, list(cert.san)):
        names = ", ".join(cert.san) or "nothing"
        out.append(
            _tls_failure(
                f"its certificate does not name {name} (it names {names})",
                "certificate-host-mismatch",
            )
        )
    return out


def _policy_evidence(fetched: MtaStsPolicyResult) -> JSON:
    return {
        "domain": fetched.domain,
        "url": fetched.url,
        "fetch": fetched.to_json(),
    }


def _fetch_failed(
    fetched: MtaStsPolicyResult, record: MtaStsRecordResult | None, example: str
) -> Finding:
    status = fetched.status
    category = {
        FetchStatus.DNS_ERROR: Category.DNS_RESOLUTION,
        FetchStatus.TIMEOUT: Category.NETWORK_TIMEOUT,
        FetchStatus.TLS_ERROR: Category.TLS_CERTIFICATE,
    }.get(status, Category.OTHER)
    if status is FetchStatus.TLS_ERROR and TlsProblem.HANDSHAKE in fetched.tls_problems:
        category = Category.TLS_HANDSHAKE_FAILURE
    cached = ""
    stale = fetched.unverified_policy
    if stale is not None:
        cached = (
            f" The file itself says mode {stale.mode.value}, max_age {_days(stale.max_age)}: "
            "senders that fetched it before keep applying it until then."
        )
    id_note = f" (id={record.policy_id})" if record is not None and record.policy_id else ""
    problem: HttpProblem | None = fetched.http_problem
    return finding(
        "policy.mta_sts.fetch_failed",
        evidence={**_policy_evidence(fetched), "tlsrpt_result": _fetch_rpt(fetched)},
        category=category,
        id_note=id_note,
        error=fetched.error,
        cached=cached,
        fetch_status=status.value,
        http_problem=problem.value if problem else None,
        host=fetched.host,
        location=fetched.location,
        policy_text=stale.text() if stale is not None else example,
    )


def _fetch_rpt(fetched: MtaStsPolicyResult) -> str:
    if fetched.status is FetchStatus.TLS_ERROR:
        return "sts-webpki-invalid"
    if fetched.status is FetchStatus.PARSE_ERROR:
        return "sts-policy-invalid"
    return "sts-policy-fetch-error"


def _example_policy(names: Sequence[str]) -> str:
    mx = "".join(f"mx: {n}\r\n" for n in names) or "mx: mx1.example.com\r\n"
    return f"version: STSv1\r\nmode: testing\r\n{mx}max_age: 604800\r\n"


def _invalid(fetched: MtaStsPolicyResult, names: Sequence[str]) -> Finding:
    return finding(
        "policy.mta_sts.invalid",
        evidence={**_policy_evidence(fetched), "tlsrpt_result": "sts-policy-invalid"},
        problem_text="; ".join(fetched.parse_problems),
        policy_text=_example_policy(names),
    )


def _id_fields(policy: MtaStsPolicy, now: datetime | None) -> JSON:
    """What the fix needs to tell senders the policy changed: a new id, the cache lifetime."""
    return {"new_id": _new_id(now), "max_age_text": _days(policy.max_age)}


def _not_covered(
    fetched: MtaStsPolicyResult,
    policy: MtaStsPolicy,
    name: str,
    missing: Sequence[str],
    now: datetime | None,
) -> Finding:
    fixed = replace(policy, mx=(*policy.mx, *(m for m in missing if m not in policy.mx)))
    evidence = {
        **_policy_evidence(fetched),
        "mx": name,
        "patterns": list(policy.mx),
        "mode": policy.mode.value,
        "tlsrpt_result": "validation-failure",
    }
    return finding(
        "policy.mta_sts.mx_not_covered",
        evidence=evidence,
        pattern_text=", ".join(policy.mx),
        fixed_policy=fixed.text().replace("\r\n", "\n"),
        **_id_fields(policy, now),
    )


def _unsatisfied(
    fetched: MtaStsPolicyResult,
    policy: MtaStsPolicy,
    host: MxTransport,
    failures: Sequence[_Failure],
    now: datetime | None,
) -> Finding:
    top = failures[0]
    testing = replace(policy, mode=StsMode.TESTING)
    evidence = {
        **_policy_evidence(fetched),
        "host": host.to_json(),
        "problems": [f.words for f in failures],
        "tlsrpt_result": top.tlsrpt,
    }
    return finding(
        "policy.mta_sts.enforce_unsatisfied",
        evidence=evidence,
        category=top.category,
        stage=top.stage,
        label=host.label,
        host_name=host.name,
        problem_text="; ".join(f.words for f in failures),
        top_category=top.category,
        testing_policy=testing.text().replace("\r\n", "\n"),
        **_id_fields(policy, now),
    )


def mta_sts_policy_findings(
    record: MtaStsRecordResult | None,
    fetched: MtaStsPolicyResult | None,
    hosts: Sequence[MxTransport] = (),
    *,
    mx_names: Sequence[str] = (),
    tlsrpt: TlsRptResult | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """The fetched MTA-STS policy against the MX hosts (RFC 8461 §4, §5).

    ``record`` is the ``_mta-sts`` TXT lookup: when it is present but invalid
    senders ignore MTA-STS altogether, so the policy is not judged (the DNS
    rules report the record). ``mx_names`` are every MX host of the domain
    (for coverage, reached or not); ``hosts`` the walked ones.
    """
    if fetched is None or (record is not None and record.present and not record.valid):
        return []
    names = list(dict.fromkeys(normalize_name(n) for n in (*mx_names, *(h.name for h in hosts))))
    if fetched.status is FetchStatus.PARSE_ERROR:
        return [_invalid(fetched, names)]
    policy = fetched.policy
    if not fetched.ok or policy is None:
        return [_fetch_failed(fetched, record, _example_policy(names))]
    if policy.mode is StsMode.NONE:
        return [finding("policy.mta_sts.mode_none", evidence=_policy_evidence(fetched))]
    uncovered = [n for n in names if not policy.covers(n)]
    failing = [(h, f) for h in hosts if (f := _sts_failures(h))]
    if policy.mode is StsMode.TESTING:
        return [_testing(fetched, uncovered, failing, tlsrpt)]
    out = [_not_covered(fetched, policy, n, uncovered, now) for n in uncovered]
    out += [_unsatisfied(fetched, policy, h, fs, now) for h, fs in failing]
    if not out:
        checked = [h.label for h in hosts if h.reached]
        return [
            finding(
                "policy.mta_sts.enforce_ok",
                evidence=_policy_evidence(fetched),
                variant="checked" if checked else "unchecked",
                checked=", ".join(checked),
                patterns=", ".join(policy.mx),
            )
        ]
    passing = [
        h
        for h in hosts
        if h.reached and h.delivers and policy.covers(h.name) and not _sts_failures(h)
    ]
    return _downgrade(out, passing, "MTA-STS senders")


def _testing(
    fetched: MtaStsPolicyResult,
    uncovered: Sequence[str],
    failing: Sequence[tuple[MxTransport, list[_Failure]]],
    tlsrpt: TlsRptResult | None,
) -> Finding:
    """A testing policy: what would stop mail under enforce, and who hears of it."""
    would = [f"{n} is not listed in the policy" for n in uncovered]
    would += [f"{h.label}: " + "; ".join(f.words for f in fs) for h, fs in failing]
    unseen = ""
    if tlsrpt is not None and not tlsrpt.present:
        unseen = (
            f" {fetched.domain} publishes no TLS-RPT record (_smtp._tls.{fetched.domain}), "
            "so nobody receives those reports."
        )
    return finding(
        "policy.mta_sts.testing",
        evidence={**_policy_evidence(fetched), "would_fail": would},
        variant="would_fail" if would else "would_pass",
        would_text="; ".join(would),
        unseen=unseen,
    )


# ---------------------------------------------------------------------------
# DANE


def _tlsa_evidence(tlsa: TlsaResult, host: MxTransport, match: TlsaMatch | None) -> JSON:
    return {
        "host": host.to_json(),
        "qname": tlsa.qname,
        "ad": tlsa.ad,
        "records": [r.to_json() for r in tlsa.records],
        "match": match.to_json() if match else None,
    }


def _dane_one(tlsa: TlsaResult, host: MxTransport, domain: str) -> list[Finding]:
    ad = tlsa.ad
    fields: JSON = {"label": host.label, "host_name": host.name, "port": tlsa.port}
    if not host.starttls_offered:
        evidence = {**_tlsa_evidence(tlsa, host, None), "tlsrpt_result": "starttls-not-supported"}
        fid = "policy.dane.no_starttls" if ad else "policy.dane.no_starttls_unvalidated"
        return [finding(fid, evidence=evidence, **fields)]
    if host.tls_version is None:
        if not ad:
            return []  # the session rules report the handshake; DANE adds nothing unproven
        evidence = _tlsa_evidence(tlsa, host, None)
        return [finding("policy.dane.tls_failed", evidence=evidence, **fields)]
    match = tlsa_matches(tlsa.records, host.chain_der, names=[host.name, domain])
    return _dane_match(tlsa, host, match, fields)


def _dane_match(
    tlsa: TlsaResult, host: MxTransport, match: TlsaMatch, fields: JSON
) -> list[Finding]:
    """What the TLSA records say of the certificate the host served."""
    evidence = _tlsa_evidence(tlsa, host, match)
    fields = {**fields, "leaf_data": match.leaf_record.data if match.leaf_record else None}
    if match.status is DaneStatus.MATCH:
        first = next(c for c in match.checks if c.matched)
        r = first.record
        return [
            finding(
                "policy.dane.match",
                evidence=evidence,
                variant="validated" if tlsa.ad else "unvalidated",
                usage=r.usage,
                selector=r.selector,
                mtype=r.mtype,
                note=first.note,
                **fields,
            )
        ]
    if match.status is DaneStatus.NO_USABLE_RECORDS:
        if not tlsa.ad:
            return []
        reasons = "; ".join(dict.fromkeys(c.note for c in match.checks))
        return [
            finding("policy.dane.no_usable_records", evidence=evidence, reasons=reasons, **fields)
        ]
    if match.status is not DaneStatus.MISMATCH:
        return []
    notes = "; ".join(
        f"{c.record.usage} {c.record.selector} {c.record.mtype}: {c.note}" for c in match.checks
    )
    served = (
        f" The served key's 3 1 1 data is {match.leaf_record.data}." if match.leaf_record else ""
    )
    return [
        finding(
            "policy.dane.mismatch" if tlsa.ad else "policy.dane.mismatch_unvalidated",
            evidence={**evidence, "tlsrpt_result": "tlsa-invalid"},
            notes=notes,
            served=served,
            **fields,
        )
    ]


def dane_findings(
    tlsa: Sequence[TlsaResult], hosts: Sequence[MxTransport], *, domain: str = ""
) -> list[Finding]:
    """Each walked host against its TLSA records (RFC 7672 §2.2, §3.1).

    Hosts without TLSA records, or not reached, are not judged here.
    ``domain`` (the next-hop domain) is a reference identifier for DANE-TA.
    """
    by_host = {t.host: t for t in tlsa if t.present}
    out: list[Finding] = []
    failing: set[int] = set()
    for i, host in enumerate(hosts):
        t = by_host.get(normalize_name(host.name))
        if t is None or not host.reached:
            continue
        found = _dane_one(t, host, domain)
        if any(f.severity is not Severity.INFO for f in found):
            failing.add(i)
        out += found
    passing = [h for i, h in enumerate(hosts) if i not in failing and h.reached and h.delivers]
    return _downgrade(out, passing, "DANE senders")


# ---------------------------------------------------------------------------
# Everything


def policy_findings(
    domain: str,
    *,
    mta_sts: MtaStsRecordResult | None = None,
    policy: MtaStsPolicyResult | None = None,
    tlsa: Sequence[TlsaResult] = (),
    hosts: Sequence[MxTransport] = (),
    mx_names: Sequence[str] = (),
    tlsrpt: TlsRptResult | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Every transport-policy finding of a diagnosis, most severe first."""
    out = mta_sts_policy_findings(mta_sts, policy, hosts, mx_names=mx_names, tlsrpt=tlsrpt, now=now)
    out += dane_findings(tlsa, hosts, domain=domain)
    return sort_findings(out)
