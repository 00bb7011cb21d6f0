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
from smtpdoctor.knowledge import fixes_for
from smtpdoctor.model import MTA, Category, Finding, Fix, Permanence, Severity, Stage

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
_STS_SENDERS = (
    "senders that honour MTA-STS (Gmail, Microsoft 365, Postfix with postfix-mta-sts-resolver)"
)
_DANE_SENDERS = (
    "DANE senders (Postfix with smtp_dns_support_level = dnssec and smtp_tls_security_level "
    "= dane, Exim with hosts_try_dane, Microsoft 365, which validates DANE on outbound mail)"
)

_STS_SENDERS_CAP = _STS_SENDERS[0].upper() + _STS_SENDERS[1:]
_DANE_SENDERS_CAP = _DANE_SENDERS[0].upper() + _DANE_SENDERS[1:]


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
            _Failure(
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                "the TLS handshake with it fails",
                "validation-failure",
            )
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
        out.append(
            _Failure(
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                "it presents no certificate",
                "validation-failure",
            )
        )
        return out
    if cert.expired:
        out.append(
            _Failure(
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                "its certificate has expired",
                "certificate-expired",
            )
        )
    elif cert.not_yet_valid:
        out.append(
            _Failure(
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                "its certificate is not valid yet",
                "validation-failure",
            )
        )
    if cert.self_signed or not cert.trusted:
        why = "it is self-signed" if cert.self_signed else (cert.trust_error or "no trusted root")
        out.append(
            _Failure(
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"its certificate does not chain to a trusted CA ({why})",
                "certificate-not-trusted",
            )
        )
    # RFC 8461 §4.2: a DNS-ID in the subjectAltName must match the MX host name.
    if not hostname_matches(host.name, list(cert.san)):
        out.append(
            _Failure(
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"its certificate does not name {host.name} (it names "
                f"{', '.join(cert.san) or 'nothing'})",
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


def _policy_file_fix(domain: str, text: str) -> Fix:
    host = f"mta-sts.{domain}"
    body = text.replace("\r\n", "\\n")
    return Fix(
        for_=MTA.GENERIC,
        steps=(
            f"Serve the policy at https://{host}/.well-known/mta-sts.txt: status 200, "
            "Content-Type text/plain, no redirect, a certificate for "
            f"{host} from a public CA (e.g. certbot certonly -d {host}).",
            "Any static host will do (nginx below, Apache with ForceType text/plain, "
            "GitHub/Azure/Cloudflare Pages with a custom domain).",
        ),
        snippet=(
            "server {\n"
            "    listen 443 ssl;\n"
            f"    server_name {host};\n"
            f"    ssl_certificate /etc/letsencrypt/live/{host}/fullchain.pem;\n"
            f"    ssl_certificate_key /etc/letsencrypt/live/{host}/privkey.pem;\n"
            "    location = /.well-known/mta-sts.txt {\n"
            "        default_type text/plain;\n"
            f'        return 200 "{body}";\n'
            "    }\n"
            "}"
        ),
        verify=f"curl -sS -D - --max-redirs 0 https://{host}/.well-known/mta-sts.txt",
    )


def _m365_sts_fix(domain: str) -> Fix:
    return Fix(
        for_=MTA.MICROSOFT365,
        steps=(
            "Exchange Online does not host the MTA-STS policy file: publish it on your own "
            f"HTTPS host as mta-sts.{domain} (Microsoft documents Azure Static Web Apps or "
            "Azure Functions for this).",
            "For mail hosted by Exchange Online the MX patterns are "
            "*.mail.protection.outlook.com, and *.mx.microsoft once DNSSEC (inbound SMTP "
            "DANE) is enabled for the domain.",
        ),
        snippet="version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\n"
        "mx: *.mx.microsoft\nmax_age: 604800",
        verify=f"curl -sS https://mta-sts.{domain}/.well-known/mta-sts.txt",
    )


def _postfix_sts_fix(domain: str) -> Fix:
    return Fix(
        for_=MTA.POSTFIX,
        steps=(
            "Postfix applies MTA-STS only through a policy daemon such as "
            "postfix-mta-sts-resolver (mta-sts-daemon, socketmap on port 8461); to see what "
            "such a sender applies to this domain, query it:",
        ),
        snippet="smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix",
        verify=f"mta-sts-query {domain}",
    )


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
    host = fetched.host
    step = {
        FetchStatus.DNS_ERROR: f"Publish an A/AAAA (or CNAME) record for {host} pointing at "
        "the web server that serves the policy.",
        FetchStatus.CONNECT_ERROR: f"Make {host} answer HTTPS on port 443 from the internet.",
        FetchStatus.TIMEOUT: f"Make {host} answer HTTPS on port 443 from the internet "
        "(a firewall dropping 443 looks like this).",
        FetchStatus.TLS_ERROR: f"Serve a valid certificate for {host} from a public CA, with "
        "its intermediate certificates.",
    }.get(status, "")
    if fetched.http_problem is HttpProblem.REDIRECT:
        step = (
            f"Serve the file itself at {fetched.url} with status 200: senders do not follow "
            f"the redirect to {fetched.location or 'elsewhere'} (RFC 8461 §3.3)."
        )
    elif fetched.http_problem is HttpProblem.CONTENT_TYPE:
        step = "Serve the file as Content-Type: text/plain (nginx: default_type text/plain)."
    elif fetched.http_problem is HttpProblem.STATUS:
        step = f"Put the policy file at {fetched.url}; it must answer 200."
    cached = ""
    stale = fetched.unverified_policy
    if stale is not None:
        cached = (
            f" The file itself says mode {stale.mode.value}, max_age {_days(stale.max_age)}: "
            "senders that fetched it before keep applying it until then."
        )
    id_note = f" (id={record.policy_id})" if record is not None and record.policy_id else ""
    fix = _policy_file_fix(fetched.domain, stale.text() if stale is not None else example)
    fixes = (replace(fix, steps=(step, *fix.steps)) if step else fix, _m365_sts_fix(fetched.domain))
    return Finding(
        id="policy.mta_sts.fetch_failed",
        severity=Severity.WARNING,
        category=category,
        stage=Stage.DNS,
        message=(
            f"{fetched.domain} announces an MTA-STS policy{id_note}, but it cannot be fetched "
            f"from {fetched.url}: {fetched.error}. Senders that have the policy cached keep "
            "using it; new senders treat the domain as having no MTA-STS (no protection "
            f"against TLS downgrade; TLS-RPT: sts-policy-fetch-error).{cached}"
        ),
        evidence={**_policy_evidence(fetched), "tlsrpt_result": _fetch_rpt(fetched)},
        fixes=fixes,
        permanence=Permanence.NONE,
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
    return Finding(
        id="policy.mta_sts.invalid",
        severity=Severity.WARNING,
        category=Category.OTHER,
        stage=Stage.DNS,
        message=(
            f"The MTA-STS policy at {fetched.url} is not valid: "
            + "; ".join(fetched.parse_problems)
            + ". Senders discard it: new senders apply no MTA-STS, and those with an older "
            "policy cached keep that one until it expires (TLS-RPT: sts-policy-invalid)."
        ),
        evidence={**_policy_evidence(fetched), "tlsrpt_result": "sts-policy-invalid"},
        fixes=(
            _policy_file_fix(fetched.domain, _example_policy(names)),
            _m365_sts_fix(fetched.domain),
        ),
        permanence=Permanence.NONE,
    )


def _id_steps(domain: str, policy: MtaStsPolicy, now: datetime | None) -> tuple[str, str]:
    new_id = _new_id(now)
    step = (
        f"Then change the id of the TXT record _mta-sts.{domain} (e.g. to {new_id}): senders "
        "re-fetch the policy only when the id changes; those that do not look again keep "
        f"the cached one for max_age ({_days(policy.max_age)})."
    )
    return step, f'_mta-sts.{domain}. IN TXT "v=STSv1; id={new_id}"'


def _not_covered(
    fetched: MtaStsPolicyResult,
    policy: MtaStsPolicy,
    name: str,
    missing: Sequence[str],
    now: datetime | None,
) -> Finding:
    domain = fetched.domain
    fixed = replace(policy, mx=(*policy.mx, *(m for m in missing if m not in policy.mx)))
    id_step, txt = _id_steps(domain, policy, now)
    return Finding(
        id="policy.mta_sts.mx_not_covered",
        severity=Severity.CRITICAL,
        category=Category.TLS_CERTIFICATE,
        stage=Stage.TLS_HANDSHAKE,
        message=(
            f"The MTA-STS policy of {domain} is in enforce mode but does not list the MX host "
            f"{name} (its mx patterns: {', '.join(policy.mx)}). {_STS_SENDERS_CAP} "
            f"refuse to deliver to {name} (RFC 8461 §4.1) and defer the mail "
            "(TLS-RPT: validation-failure)."
        ),
        evidence={
            **_policy_evidence(fetched),
            "mx": name,
            "patterns": list(policy.mx),
            "mode": policy.mode.value,
            "tlsrpt_result": "validation-failure",
        },
        fixes=(
            Fix(
                for_=MTA.GENERIC,
                steps=(
                    f"Add an 'mx: {name}' line (or a wildcard covering it) to the policy at "
                    f"{fetched.url}.",
                    id_step,
                    "When MX hosts change in future: update the policy and its id first, "
                    "then the MX records.",
                ),
                snippet=fixed.text().replace("\r\n", "\n") + "\n" + txt,
                verify=f"curl -sS https://mta-sts.{domain}/.well-known/mta-sts.txt",
            ),
            _postfix_sts_fix(domain),
            _m365_sts_fix(domain),
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
    )


def _unsatisfied(
    fetched: MtaStsPolicyResult,
    policy: MtaStsPolicy,
    host: MxTransport,
    failures: Sequence[_Failure],
    now: datetime | None,
) -> Finding:
    domain = fetched.domain
    top = failures[0]
    testing = replace(policy, mode=StsMode.TESTING)
    id_step, txt = _id_steps(domain, policy, now)
    stopgap = Fix(
        for_=MTA.GENERIC,
        steps=(
            f"Fix {host.name}: " + "; ".join(f.words for f in failures) + ".",
            "Stopgap while fixing: switch the policy to 'mode: testing' so senders deliver "
            "(and report) instead of deferring.",
            id_step,
        ),
        snippet=testing.text().replace("\r\n", "\n") + "\n" + txt,
        verify=(
            f"openssl s_client -connect {host.name}:25 -starttls smtp -servername {host.name} "
            "-verify_return_error -brief </dev/null"
        ),
    )
    fixes = (stopgap, *(f for f in fixes_for(top.category) if f.for_ is not MTA.GENERIC))
    return Finding(
        id="policy.mta_sts.enforce_unsatisfied",
        severity=Severity.CRITICAL,
        category=top.category,
        stage=top.stage,
        message=(
            f"{host.label} cannot satisfy the MTA-STS enforce policy of {domain}: "
            + "; ".join(f.words for f in failures)
            + f". {_STS_SENDERS_CAP} will not deliver to it and defer the mail "
            f"(RFC 8461 §5.1; TLS-RPT: {top.tlsrpt})."
        ),
        evidence={
            **_policy_evidence(fetched),
            "host": host.to_json(),
            "problems": [f.words for f in failures],
            "tlsrpt_result": top.tlsrpt,
        },
        fixes=fixes,
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
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
    evidence = _policy_evidence(fetched)
    if policy.mode is StsMode.NONE:
        return [
            Finding(
                id="policy.mta_sts.mode_none",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"The MTA-STS policy of {fetched.domain} has mode none: senders apply no "
                    "MTA-STS (the way to withdraw a policy)."
                ),
                evidence=evidence,
            )
        ]
    uncovered = [n for n in names if not policy.covers(n)]
    failing = [(h, f) for h in hosts if (f := _sts_failures(h))]
    passing = [
        h
        for h in hosts
        if h.reached and h.delivers and policy.covers(h.name) and not _sts_failures(h)
    ]
    if policy.mode is StsMode.TESTING:
        would = [f"{n} is not listed in the policy" for n in uncovered]
        would += [f"{h.label}: " + "; ".join(f.words for f in fs) for h, fs in failing]
        unseen = ""
        if tlsrpt is not None and not tlsrpt.present:
            unseen = (
                f" {fetched.domain} publishes no TLS-RPT record (_smtp._tls.{fetched.domain}), "
                "so nobody receives those reports."
            )
        if would:
            tail = "Under mode enforce these would stop mail now: " + "; ".join(would) + "."
        else:
            tail = "Every MX host checked would pass under enforce."
        return [
            Finding(
                id="policy.mta_sts.testing",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"The MTA-STS policy of {fetched.domain} is in testing mode: senders "
                    "deliver even when validation fails and only report failures through "
                    f"TLS-RPT (RFC 8460).{unseen} {tail}"
                ),
                evidence={**evidence, "would_fail": would},
            )
        ]
    out = [_not_covered(fetched, policy, n, uncovered, now) for n in uncovered]
    out += [_unsatisfied(fetched, policy, h, fs, now) for h, fs in failing]
    if not out:
        checked = [h.label for h in hosts if h.reached]
        if checked:
            what = f"every MX host checked satisfies it ({', '.join(checked)})"
        else:
            what = "it lists every MX host; their TLS could not be checked"
        return [
            Finding(
                id="policy.mta_sts.enforce_ok",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.DNS,
                message=(
                    f"The MTA-STS policy of {fetched.domain} is in enforce mode and {what} "
                    f"(mx: {', '.join(policy.mx)})."
                ),
                evidence=evidence,
            )
        ]
    return _downgrade(out, passing, "MTA-STS senders")


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


def _dane_fixes(tlsa: TlsaResult, host: MxTransport, match: TlsaMatch) -> tuple[Fix, ...]:
    name, qname = host.name, tlsa.qname
    record = match.leaf_record
    line = f"{qname} IN TLSA 3 1 1 {record.data}" if record else f"{qname} IN TLSA 3 1 1 <digest>"
    compute = (
        f"openssl s_client -starttls smtp -connect {name}:{tlsa.port} -servername {name} "
        "</dev/null 2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin "
        "-outform der | sha256sum"
    )
    return (
        Fix(
            for_=MTA.GENERIC,
            steps=(
                f"Publish a record for the key {name} serves now (DANE-EE, SPKI, SHA-256), "
                "next to the current ones; compute it yourself with:",
                compute,
                "Once it resolves everywhere (wait the TLSA TTL), remove records that match "
                "no certificate in use. A server with both RSA and ECDSA certificates needs a "
                "record for each key.",
                "Before the next key change publish the next key's record first (RFC 7671 "
                "§8.1, 'current + next'), or renew keeping the key (certbot --reuse-key) so "
                "3 1 1 records stay valid.",
            ),
            snippet=line,
            verify=f"dig +dnssec +noall +answer {qname} TLSA",
        ),
        Fix(
            for_=MTA.POSTFIX,
            steps=(
                "A Postfix MX serves the certificate of smtpd_tls_chain_files (or "
                "smtpd_tls_cert_file/smtpd_tls_eccert_file): make the TLSA records match "
                "those keys.",
                "Check as a DANE client would (needs a validating resolver):",
            ),
            snippet="postconf smtpd_tls_chain_files smtpd_tls_cert_file smtpd_tls_eccert_file\n"
            "# a Postfix sender validates DANE with:\n"
            "smtp_dns_support_level = dnssec\nsmtp_tls_security_level = dane",
            verify=f'posttls-finger -c -l dane -L summary "[{name}]"',
        ),
        Fix(
            for_=MTA.EXIM,
            steps=(
                "An Exim MX serves tls_certificate: make the TLSA records match its key.",
                "An Exim sender validates DANE with dnssec_request_domains on the dnslookup "
                "router and hosts_try_dane (or hosts_require_dane) on the smtp transport.",
            ),
            snippet="# router dnslookup:\n  dnssec_request_domains = *\n"
            "# transport remote_smtp:\n  hosts_try_dane = *",
            verify="exim -bP tls_certificate",
        ),
        Fix(
            for_=MTA.MICROSOFT365,
            steps=(
                "For an MX hosted by Exchange Online (*.mx.microsoft), Microsoft publishes and "
                "rotates the TLSA records once inbound DANE is enabled: remove TLSA records you "
                "added yourself for it.",
                "Exchange Online validates DANE on outbound mail: its messages to this host "
                "stay deferred until the records match.",
            ),
            snippet="Enable-DnssecForVerifiedDomain -DomainName contoso.com\n"
            "Enable-SmtpDaneInbound -DomainName contoso.com",
            verify=f"dig +dnssec +noall +answer {qname} TLSA",
        ),
    )


def _dane_one(tlsa: TlsaResult, host: MxTransport, domain: str) -> list[Finding]:
    qname, ad = tlsa.qname, tlsa.ad
    unvalidated = (
        ""
        if ad
        else " The answer was not DNSSEC-validated, so DANE is not in force as seen "
        "from this resolver: if the zone is signed, DANE senders are deferring now; if not, "
        "signing it would start that."
    )
    if not host.starttls_offered:
        return [
            Finding(
                id="policy.dane.no_starttls" if ad else "policy.dane.no_starttls_unvalidated",
                severity=Severity.CRITICAL if ad else Severity.WARNING,
                category=Category.STARTTLS_UNAVAILABLE,
                stage=Stage.STARTTLS,
                message=(
                    f"{host.label} has TLSA records ({qname}) but does not offer STARTTLS: "
                    f"{_DANE_SENDERS} require TLS to it and defer the mail (RFC 7672 §2.2; "
                    f"TLS-RPT: starttls-not-supported).{unvalidated}"
                ),
                evidence={
                    **_tlsa_evidence(tlsa, host, None),
                    "tlsrpt_result": "starttls-not-supported",
                },
                fixes=fixes_for(Category.STARTTLS_UNAVAILABLE),
                permanence=Permanence.TEMPORARY,
                retry_helps=False,
            )
        ]
    if host.tls_version is None:
        if not ad:
            return []  # the session rules report the handshake; DANE adds nothing unproven
        return [
            Finding(
                id="policy.dane.tls_failed",
                severity=Severity.CRITICAL,
                category=Category.TLS_HANDSHAKE_FAILURE,
                stage=Stage.TLS_HANDSHAKE,
                message=(
                    f"{host.label} has DNSSEC-validated TLSA records, and the TLS handshake "
                    f"with it fails: {_DANE_SENDERS} do not fall back to plaintext, they defer "
                    "the mail (RFC 7672 §2.2)."
                ),
                evidence=_tlsa_evidence(tlsa, host, None),
                fixes=fixes_for(Category.TLS_HANDSHAKE_FAILURE),
                permanence=Permanence.TEMPORARY,
                retry_helps=False,
            )
        ]
    match = tlsa_matches(tlsa.records, host.chain_der, names=[host.name, domain])
    evidence = _tlsa_evidence(tlsa, host, match)
    if match.status is DaneStatus.MATCH:
        first = next(c for c in match.checks if c.matched)
        r = first.record
        return [
            Finding(
                id="policy.dane.match",
                severity=Severity.INFO,
                category=Category.OK,
                stage=Stage.TLS_HANDSHAKE,
                message=(
                    f"The TLSA record {r.usage} {r.selector} {r.mtype} of {host.name} matches "
                    f"the certificate {host.label} serves ({first.note})"
                    + (
                        "."
                        if ad
                        else ", though without DNSSEC validation DANE is not in force "
                        "(see dns.tlsa.present_without_dnssec)."
                    )
                ),
                evidence=evidence,
            )
        ]
    if match.status is DaneStatus.NO_USABLE_RECORDS:
        if not ad:
            return []
        reasons = "; ".join(dict.fromkeys(c.note for c in match.checks))
        return [
            Finding(
                id="policy.dane.no_usable_records",
                severity=Severity.WARNING,
                category=Category.TLS_CERTIFICATE,
                stage=Stage.DNS,
                message=(
                    f"No TLSA record of {host.name} is usable for SMTP ({reasons}). DANE "
                    "senders still require TLS to it but cannot authenticate it (RFC 7672 "
                    "§2.2): publish a 3 1 1 record."
                ),
                evidence=evidence,
                fixes=_dane_fixes(tlsa, host, match),
            )
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
        Finding(
            id="policy.dane.mismatch" if ad else "policy.dane.mismatch_unvalidated",
            severity=Severity.CRITICAL if ad else Severity.WARNING,
            category=Category.TLS_CERTIFICATE,
            stage=Stage.TLS_HANDSHAKE,
            message=(
                f"No TLSA record at {qname} matches the certificate {host.label} serves "
                f"({notes}).{served}"
                + (
                    f" {_DANE_SENDERS_CAP} refuse this host and defer the mail "
                    "(RFC 7672 §2.2; TLS-RPT: tlsa-invalid)."
                    if ad
                    else unvalidated
                )
            ),
            evidence={**evidence, "tlsrpt_result": "tlsa-invalid"},
            fixes=_dane_fixes(tlsa, host, match),
            permanence=Permanence.TEMPORARY,
            retry_helps=False,
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
