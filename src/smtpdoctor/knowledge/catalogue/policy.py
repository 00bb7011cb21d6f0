"""Transport policy: MTA-STS (RFC 8461) and DANE (RFC 7672) against what each MX host does.

Findings of :mod:`smtpdoctor.diagnosis.policy_rules`. Evidence carries the
TLS-RPT result type (RFC 8460 §4.3) each failure shows up as in the domain's
reports. Policy discovery problems are warnings at ``dns``; a host the
policy cannot be satisfied by is critical, a warning while another MX host
passes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["SPECS"]

_C, _S = Category, Severity
_NONE, _TEMPORARY = Permanence.NONE, Permanence.TEMPORARY
_TLS = Stage.TLS_HANDSHAKE

_STS_SENDERS = (
    "Senders that honour MTA-STS (Gmail, Microsoft 365, Postfix with postfix-mta-sts-resolver)"
)
_DANE_SENDERS = (
    "DANE senders (Postfix with smtp_dns_support_level = dnssec and smtp_tls_security_level "
    "= dane, Exim with hosts_try_dane, Microsoft 365, which validates DANE on outbound mail)"
)
_DANE_SENDERS_CAP = _DANE_SENDERS[0].upper() + _DANE_SENDERS[1:]
_UNVALIDATED = (
    " The answer was not DNSSEC-validated, so DANE is not in force as seen from this "
    "resolver: if the zone is signed, DANE senders are deferring now; if not, signing it would "
    "start that."
)

# -- fixes --------------------------------------------------------------------


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


def _dane_fixes(p: Params) -> tuple[Fix, ...]:
    name, qname, port = p["host_name"], p["qname"], p["port"]
    line = f"{qname} IN TLSA 3 1 1 {p['leaf_data'] or '<digest>'}"
    compute = (
        f"openssl s_client -starttls smtp -connect {name}:{port} -servername {name} "
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


# What to do first when the policy file cannot be fetched, by fetch status
# and HTTP problem (the values of the fetch result's ``status`` and
# ``http_problem``).
_FETCH_STEPS = {
    "dns_error": "Publish an A/AAAA (or CNAME) record for {host} pointing at the web server "
    "that serves the policy.",
    "connect_error": "Make {host} answer HTTPS on port 443 from the internet.",
    "timeout": "Make {host} answer HTTPS on port 443 from the internet (a firewall dropping 443 "
    "looks like this).",
    "tls_error": "Serve a valid certificate for {host} from a public CA, with its intermediate "
    "certificates.",
}
_HTTP_STEPS = {
    "redirect": "Serve the file itself at {url} with status 200: senders do not follow the "
    "redirect to {location} (RFC 8461 §3.3).",
    "content_type": "Serve the file as Content-Type: text/plain (nginx: default_type text/plain).",
    "status": "Put the policy file at {url}; it must answer 200.",
}


def _fetch_failed_fixes(p: Params) -> tuple[Fix, ...]:
    template = _HTTP_STEPS.get(p["http_problem"] or "") or _FETCH_STEPS.get(p["fetch_status"], "")
    step = template.format(host=p["host"], url=p["url"], location=p["location"] or "elsewhere")
    fix = _policy_file_fix(p["domain"], p["policy_text"])
    return (replace(fix, steps=(step, *fix.steps)) if step else fix, _m365_sts_fix(p["domain"]))


def _invalid_fixes(p: Params) -> tuple[Fix, ...]:
    return (_policy_file_fix(p["domain"], p["policy_text"]), _m365_sts_fix(p["domain"]))


def _id_step(p: Params) -> tuple[str, str]:
    """Change the policy id (senders re-fetch only then), and the TXT record with the new id."""
    domain, new_id = p["domain"], p["new_id"]
    step = (
        f"Then change the id of the TXT record _mta-sts.{domain} (e.g. to {new_id}): senders "
        "re-fetch the policy only when the id changes; those that do not look again keep the "
        f"cached one for max_age ({p['max_age_text']})."
    )
    return step, f'_mta-sts.{domain}. IN TXT "v=STSv1; id={new_id}"'


def _not_covered_fixes(p: Params) -> tuple[Fix, ...]:
    domain, name = p["domain"], p["mx"]
    id_step, txt = _id_step(p)
    return (
        Fix(
            for_=MTA.GENERIC,
            steps=(
                f"Add an 'mx: {name}' line (or a wildcard covering it) to the policy at "
                f"{p['url']}.",
                id_step,
                "When MX hosts change in future: update the policy and its id first, then the MX "
                "records.",
            ),
            snippet=p["fixed_policy"] + "\n" + txt,
            verify=f"curl -sS https://mta-sts.{domain}/.well-known/mta-sts.txt",
        ),
        _postfix_sts_fix(domain),
        _m365_sts_fix(domain),
    )


def _unsatisfied_fixes(p: Params) -> tuple[Fix, ...]:
    name = p["host_name"]
    id_step, txt = _id_step(p)
    stopgap = Fix(
        for_=MTA.GENERIC,
        steps=(
            f"Fix {name}: {p['problem_text']}.",
            "Stopgap while fixing: switch the policy to 'mode: testing' so senders deliver (and "
            "report) instead of deferring.",
            id_step,
        ),
        snippet=p["testing_policy"] + "\n" + txt,
        verify=(
            f"openssl s_client -connect {name}:25 -starttls smtp -servername {name} "
            "-verify_return_error -brief </dev/null"
        ),
    )
    recipes = fixes_for(p["top_category"])
    return (stopgap, *(f for f in recipes if f.for_ is not MTA.GENERIC))


# -- specs --------------------------------------------------------------------

_POLICY_TEXT = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n"
_FETCH_EXAMPLE: dict[str, Any] = {
    "domain": "example.com",
    "url": "https://mta-sts.example.com/.well-known/mta-sts.txt",
    "fetch": {},
    "tlsrpt_result": "sts-policy-fetch-error",
}
_ID_EXAMPLE = {"new_id": "20250101120000", "max_age_text": "604800 s, 7 days"}


def _mta_sts() -> list[FindingSpec]:
    dns: dict[str, Any] = {"stage": Stage.DNS, "permanence": _NONE}
    info: dict[str, Any] = {"category": _C.OK, "fixes": (), **dns}
    refused: dict[str, Any] = {"permanence": _TEMPORARY, "retry_helps": False}
    return [
        FindingSpec(
            "policy.mta_sts.fetch_failed",
            _S.WARNING,
            None,
            title="The domain announces an MTA-STS policy that cannot be fetched over HTTPS.",
            message="{domain} announces an MTA-STS policy{id_note}, but it cannot be fetched "
            "from {url}: {error}. Senders that have the policy cached keep using it; new "
            "senders treat the domain as having no MTA-STS (no protection against TLS "
            "downgrade; TLS-RPT: sts-policy-fetch-error).{cached}",
            fixes=_fetch_failed_fixes,
            source="RFC 8461 §3.3",
            example={
                **_FETCH_EXAMPLE,
                "id_note": " (id=20240101000000)",
                "error": "connection refused",
                "cached": "",
                "fetch_status": "connect_error",
                "http_problem": None,
                "host": "mta-sts.example.com",
                "location": None,
                "policy_text": _POLICY_TEXT,
            },
            **dns,
        ),
        FindingSpec(
            "policy.mta_sts.invalid",
            _S.WARNING,
            _C.OTHER,
            title="The MTA-STS policy file is not valid (RFC 8461 §3.2).",
            message="The MTA-STS policy at {url} is not valid: {problem_text}. Senders discard "
            "it: new senders apply no MTA-STS, and those with an older policy cached keep that "
            "one until it expires (TLS-RPT: sts-policy-invalid).",
            fixes=_invalid_fixes,
            source="RFC 8461 §3.2",
            example={
                **_FETCH_EXAMPLE,
                "tlsrpt_result": "sts-policy-invalid",
                "problem_text": "max_age is missing",
                "policy_text": _POLICY_TEXT,
            },
            **dns,
        ),
        FindingSpec(
            "policy.mta_sts.mode_none",
            _S.INFO,
            title="The MTA-STS policy has mode none (withdrawn).",
            message="The MTA-STS policy of {domain} has mode none: senders apply no MTA-STS (the "
            "way to withdraw a policy).",
            example=_FETCH_EXAMPLE,
            **info,
        ),
        FindingSpec(
            "policy.mta_sts.testing",
            _S.INFO,
            title="The MTA-STS policy is in testing mode: what enforce would stop.",
            message={
                "would_fail": "The MTA-STS policy of {domain} is in testing mode: senders "
                "deliver even when validation fails and only report failures through TLS-RPT "
                "(RFC 8460).{unseen} Under mode enforce these would stop mail now: {would_text}.",
                "would_pass": "The MTA-STS policy of {domain} is in testing mode: senders "
                "deliver even when validation fails and only report failures through TLS-RPT "
                "(RFC 8460).{unseen} Every MX host checked would pass under enforce.",
            },
            example={
                **_FETCH_EXAMPLE,
                "variant": "would_fail",
                "would_fail": ["mx2.example.com is not listed in the policy"],
                "would_text": "mx2.example.com is not listed in the policy",
                "unseen": "",
            },
            **info,
        ),
        FindingSpec(
            "policy.mta_sts.enforce_ok",
            _S.INFO,
            title="The MTA-STS policy is in enforce mode and every MX host satisfies it.",
            message={
                "checked": "The MTA-STS policy of {domain} is in enforce mode and every MX host "
                "checked satisfies it ({checked}) (mx: {patterns}).",
                "unchecked": "The MTA-STS policy of {domain} is in enforce mode and it lists "
                "every MX host; their TLS could not be checked (mx: {patterns}).",
            },
            example={
                **_FETCH_EXAMPLE,
                "variant": "checked",
                "checked": "mx1.example.com [192.0.2.25]",
                "patterns": "mx1.example.com",
            },
            **info,
        ),
        FindingSpec(
            "policy.mta_sts.mx_not_covered",
            _S.CRITICAL,
            _C.TLS_CERTIFICATE,
            _TLS,
            title="An MX host is not listed in the enforce policy's mx patterns.",
            message="The MTA-STS policy of {domain} is in enforce mode but does not list the MX "
            "host {mx} (its mx patterns: {pattern_text}). "
            + _STS_SENDERS
            + " refuse to deliver to {mx} (RFC 8461 §4.1) and defer the mail (TLS-RPT: "
            "validation-failure).",
            fixes=_not_covered_fixes,
            source="RFC 8461 §4.1",
            example={
                **_FETCH_EXAMPLE,
                **_ID_EXAMPLE,
                "mx": "mx2.example.com",
                "patterns": ["mx1.example.com"],
                "mode": "enforce",
                "tlsrpt_result": "validation-failure",
                "pattern_text": "mx1.example.com",
                "fixed_policy": "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                "mx: mx2.example.com\nmax_age: 604800",
            },
            **refused,
        ),
        FindingSpec(
            "policy.mta_sts.enforce_unsatisfied",
            _S.CRITICAL,
            None,
            None,
            title="An MX host cannot satisfy the enforce policy: no STARTTLS, a failed "
            "handshake, TLS below 1.2, or a certificate that is untrusted, expired or does not "
            "name it.",
            message="{label} cannot satisfy the MTA-STS enforce policy of {domain}: "
            "{problem_text}. " + _STS_SENDERS + " will not deliver to it and defer the mail "
            "(RFC 8461 §5.1; TLS-RPT: {tlsrpt_result}).",
            fixes=_unsatisfied_fixes,
            source="RFC 8461 §4.2, §5.1",
            example={
                **_FETCH_EXAMPLE,
                **_ID_EXAMPLE,
                "host": {"name": "mx1.example.com"},
                "problems": ["its certificate has expired"],
                "tlsrpt_result": "certificate-expired",
                "label": "mx1.example.com [192.0.2.25]",
                "host_name": "mx1.example.com",
                "problem_text": "its certificate has expired",
                "top_category": _C.TLS_CERTIFICATE,
                "testing_policy": "version: STSv1\nmode: testing\nmx: mx1.example.com\n"
                "max_age: 604800",
            },
            **refused,
        ),
    ]


_TLSA_EXAMPLE: dict[str, Any] = {
    "host": {"name": "mx1.example.com"},
    "qname": "_25._tcp.mx1.example.com",
    "ad": True,
    "records": [],
    "match": None,
    "label": "mx1.example.com [192.0.2.25]",
    "host_name": "mx1.example.com",
    "port": 25,
    "leaf_data": None,
}


def _dane() -> list[FindingSpec]:
    refused: dict[str, Any] = {"permanence": _TEMPORARY, "retry_helps": False}
    no_starttls = (
        "{label} has TLSA records ({qname}) but does not offer STARTTLS: "
        + _DANE_SENDERS
        + " require TLS to it and defer the mail (RFC 7672 §2.2; TLS-RPT: "
        "starttls-not-supported)."
    )
    mismatch = "No TLSA record at {qname} matches the certificate {label} serves ({notes}).{served}"
    mismatch_example = {
        **_TLSA_EXAMPLE,
        "tlsrpt_result": "tlsa-invalid",
        "notes": "3 1 1: the digest differs",
        "served": " The served key's 3 1 1 data is 8f3e…",
        "leaf_data": "8f3e…",
    }
    starttls: dict[str, Any] = {
        "category": _C.STARTTLS_UNAVAILABLE,
        "stage": Stage.STARTTLS,
        **refused,
    }
    starttls_example = {**_TLSA_EXAMPLE, "tlsrpt_result": "starttls-not-supported"}
    cert: dict[str, Any] = {
        "category": _C.TLS_CERTIFICATE,
        "stage": _TLS,
        "fixes": _dane_fixes,
        **refused,
    }
    return [
        FindingSpec(
            "policy.dane.no_starttls",
            _S.CRITICAL,
            title="A host with DNSSEC-validated TLSA records does not offer STARTTLS.",
            message=no_starttls,
            source="RFC 7672 §2.2",
            example=starttls_example,
            **starttls,
        ),
        FindingSpec(
            "policy.dane.no_starttls_unvalidated",
            _S.WARNING,
            title="A host with TLSA records (not DNSSEC-validated here) does not offer STARTTLS.",
            message=no_starttls + _UNVALIDATED,
            source="RFC 7672 §2.2",
            example={**starttls_example, "ad": False},
            **starttls,
        ),
        FindingSpec(
            "policy.dane.tls_failed",
            _S.CRITICAL,
            _C.TLS_HANDSHAKE_FAILURE,
            _TLS,
            title="The TLS handshake fails with a host that has DNSSEC-validated TLSA records.",
            message="{label} has DNSSEC-validated TLSA records, and the TLS handshake with it "
            "fails: " + _DANE_SENDERS + " do not fall back to plaintext, they defer the mail "
            "(RFC 7672 §2.2).",
            source="RFC 7672 §2.2",
            example=_TLSA_EXAMPLE,
            **refused,
        ),
        FindingSpec(
            "policy.dane.match",
            _S.INFO,
            _C.OK,
            _TLS,
            title="A TLSA record matches the certificate the host serves.",
            message={
                "validated": "The TLSA record {usage} {selector} {mtype} of {host_name} matches "
                "the certificate {label} serves ({note}).",
                "unvalidated": "The TLSA record {usage} {selector} {mtype} of {host_name} matches "
                "the certificate {label} serves ({note}), though without DNSSEC validation DANE "
                "is not in force (see dns.tlsa.present_without_dnssec).",
            },
            permanence=_NONE,
            fixes=(),
            example={
                **_TLSA_EXAMPLE,
                "variant": "validated",
                "usage": 3,
                "selector": 1,
                "mtype": 1,
                "note": "DANE-EE: the server's public key",
            },
        ),
        FindingSpec(
            "policy.dane.no_usable_records",
            _S.WARNING,
            title="No TLSA record of the host is usable for SMTP.",
            message="No TLSA record of {host_name} is usable for SMTP ({reasons}). DANE senders "
            "still require TLS to it but cannot authenticate it (RFC 7672 §2.2): publish a "
            "3 1 1 record.",
            source="RFC 7672 §2.2, §3.1.3",
            example={**_TLSA_EXAMPLE, "reasons": "usage 1 (PKIX-EE) is not used for SMTP"},
            **{**cert, "stage": Stage.DNS, "permanence": _NONE, "retry_helps": None},
        ),
        FindingSpec(
            "policy.dane.mismatch",
            _S.CRITICAL,
            title="No DNSSEC-validated TLSA record matches the certificate the host serves.",
            message=mismatch
            + " "
            + _DANE_SENDERS_CAP
            + " refuse this host and defer the mail (RFC 7672 §2.2; TLS-RPT: tlsa-invalid).",
            source="RFC 7672 §2.2",
            example=mismatch_example,
            **cert,
        ),
        FindingSpec(
            "policy.dane.mismatch_unvalidated",
            _S.WARNING,
            title="No TLSA record (not DNSSEC-validated here) matches the served certificate.",
            message=mismatch + _UNVALIDATED,
            source="RFC 7672 §2.2",
            example={**mismatch_example, "ad": False},
            **cert,
        ),
    ]


SPECS: tuple[FindingSpec, ...] = (*_mta_sts(), *_dane())
