"""MTA-STS (RFC 8461): the policy file's grammar, MX matching, and how fetching one went. Pure.

* :func:`parse_mta_sts_policy` and :func:`mx_matches_policy`: the policy
  grammar of RFC 8461 §3.2 and the MX matching of §4.1.
* :func:`judge_tls` and :func:`judge_response`: an HTTPS answer judged the
  way a sending MTA judges it (§3.3): the certificate must validate for
  ``mta-sts.DOMAIN``, no redirects, ``200`` and ``text/plain`` only. The
  fetch itself (DNS, TCP, TLS, the request) is
  :func:`smtpdoctor.probe.policy.fetch_mta_sts_policy`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.dns import HostResult, normalize_name
from smtpdoctor.evidence.http import HttpFailure, HttpProblem, HttpResponse

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_POLICY_BYTES",
    "STS_VERSION",
    "WELL_KNOWN_PATH",
    "FetchStatus",
    "MtaStsPolicy",
    "MtaStsPolicyResult",
    "PolicyParseError",
    "PolicyTls",
    "ResultMaker",
    "StsMode",
    "TlsProblem",
    "judge_response",
    "judge_tls",
    "mx_matches_policy",
    "parse_mta_sts_policy",
]

JSON = dict[str, Any]

# ---------------------------------------------------------------------------
# The policy file (RFC 8461 §3.2)

STS_VERSION = "STSv1"
MAX_AGE_LIMIT = 31_557_600  # RFC 8461 §3.2: max_age is at most 31557600 s (about a year)
WELL_KNOWN_PATH = "/.well-known/mta-sts.txt"  # RFC 8461 §3.3
MAX_POLICY_BYTES = 64 * 1024  # a policy is a few hundred bytes; this bounds a hostile server


class StsMode(StrEnum):
    ENFORCE = "enforce"  # senders MUST NOT deliver to an MX that fails validation
    TESTING = "testing"  # senders deliver anyway and report failures (TLS-RPT)
    NONE = "none"  # the domain withdraws its policy


@dataclass(frozen=True, slots=True)
class MtaStsPolicy:
    """A policy that parsed: what senders will apply."""

    mode: StsMode
    mx: tuple[str, ...]  # patterns, lower-case, as published (``*.example.com`` allowed)
    max_age: int  # seconds senders cache the policy
    version: str = STS_VERSION
    extensions: tuple[tuple[str, str], ...] = ()  # unknown fields, ignored by senders
    notes: tuple[str, ...] = ()  # accepted, but worth saying (duplicates, blank lines)

    def covers(self, mx_name: str) -> bool:
        return mx_matches_policy(mx_name, self.mx)

    def text(self) -> str:
        """The policy in canonical form, CRLF-terminated lines (for fixes)."""
        lines = [f"version: {self.version}", f"mode: {self.mode.value}"]
        lines += [f"mx: {p}" for p in self.mx]
        lines.append(f"max_age: {self.max_age}")
        return "".join(line + "\r\n" for line in lines)

    def to_json(self) -> JSON:
        return {
            "version": self.version,
            "mode": self.mode.value,
            "mx": list(self.mx),
            "max_age": self.max_age,
            "extensions": dict(self.extensions),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class PolicyParseError:
    """A policy file senders reject, and every reason why."""

    problems: tuple[str, ...]
    mode: str | None = None  # the mode it asked for, if it said one

    def to_json(self) -> JSON:
        return {"problems": list(self.problems), "mode": self.mode}


# RFC 8461 §3.2: sts-policy-ext-name = alphanum *31(alphanum / "_" / "-" / ".")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# RFC 5321 §4.1.2 Domain: sub-domain = Let-dig [Ldh-str]
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_MAX_AGE = re.compile(r"^[0-9]{1,10}$")  # RFC 8461 §3.2: 1*10DIGIT
_SINGLE = ("version", "mode", "max_age")


def _valid_domain(name: str) -> bool:
    return len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def _mx_pattern_problem(value: str) -> str | None:
    """Why an ``mx:`` value is not ``["*."] Domain`` (RFC 8461 §3.2), or None."""
    body = value[2:] if value.startswith("*.") else value
    if not body or "*" in body:
        return (
            f"mx pattern {value!r}: a wildcard may only be the whole left-most label, "
            'as in "*.example.com" (RFC 8461 §3.2)'
        )
    if not _valid_domain(body.lower()):
        return f"mx pattern {value!r} is not a host name"
    return None


def parse_mta_sts_policy(text: str) -> MtaStsPolicy | PolicyParseError:
    """Parse a policy body (RFC 8461 §3.2): ``key: value`` lines ended by LF or CRLF.

    Field names and the values of ``version`` and ``mode`` are case-sensitive
    (RFC 7405 ``%s`` strings). ``version``, ``mode`` and ``max_age`` are
    required; ``mx`` at least once unless the mode is ``none``. Unknown
    fields are kept as extensions and otherwise ignored, as senders do.
    """
    fields = _PolicyFields()
    fields.read(text)
    version = fields.first("version")
    if version is not None and version != STS_VERSION:
        fields.problems.append(f"version is {version!r}; it must be exactly {STS_VERSION!r}")
    mode_text = fields.first("mode")
    mode: StsMode | None = None
    if mode_text is not None:
        try:
            mode = StsMode(mode_text)
        except ValueError:
            fields.problems.append(
                f"mode is {mode_text!r}; it must be exactly enforce, testing or none (lower-case)"
            )
    max_age = _max_age(fields)
    patterns = _mx_patterns(fields, mode)
    if fields.problems or mode is None:
        return PolicyParseError(tuple(fields.problems), mode=mode_text)
    extensions = tuple(
        (k, v)
        for k, found in fields.values.items()
        if k not in (*_SINGLE, "mx")
        for _, v in found[:1]
    )
    return MtaStsPolicy(
        mode=mode,
        mx=tuple(dict.fromkeys(patterns)),
        max_age=max_age,
        extensions=extensions,
        notes=tuple(fields.notes),
    )


class _PolicyFields:
    """The ``key: value`` fields of a policy, by name, with the problems and notes so far."""

    def __init__(self) -> None:
        self.values: dict[str, list[tuple[int, str]]] = {}
        self.problems: list[str] = []
        self.notes: list[str] = []

    def read(self, text: str) -> None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the last line's terminator
        for number, raw in enumerate(lines, 1):
            line = raw.removesuffix("\r")
            if not line.strip(" \t"):
                self.notes.append(
                    f"line {number} is blank (the grammar has none; most senders skip it)"
                )
                continue
            key, sep, value = line.partition(":")
            if not sep:
                self.problems.append(f"line {number} ({line[:60]!r}) is not a 'key: value' field")
                continue
            if not _FIELD_NAME.match(key):
                hint = " (no space before the colon)" if key != key.rstrip() else ""
                self.problems.append(f"line {number}: {key[:40]!r} is not a valid field name{hint}")
                continue
            self.values.setdefault(key, []).append((number, value.strip(" \t")))

    def first(self, name: str) -> str | None:
        """A required single field's value; a problem when missing or given twice differently."""
        found = self.values.get(name)
        if not found:
            others = [k for k in self.values if k.lower() == name]
            hint = f" (found {others[0]!r}: field names are case-sensitive)" if others else ""
            self.problems.append(f"the required field {name!r} is missing{hint}")
            return None
        values = {v for _, v in found}
        if len(values) > 1:
            where = ", ".join(str(n) for n, _ in found)
            self.problems.append(
                f"{name!r} appears {len(found)} times with different values (lines {where}): "
                "senders disagree on which one applies"
            )
        elif len(found) > 1:
            self.notes.append(f"{name!r} appears {len(found)} times (same value)")
        return found[0][1]


def _max_age(fields: _PolicyFields) -> int:
    age_text = fields.first("max_age")
    if age_text is None:
        return 0
    if not _MAX_AGE.match(age_text):
        fields.problems.append(f"max_age {age_text!r} is not a number of seconds (1 to 10 digits)")
        return 0
    max_age = int(age_text)
    if max_age > MAX_AGE_LIMIT:
        fields.problems.append(f"max_age {max_age} exceeds the maximum {MAX_AGE_LIMIT} (a year)")
    return max_age


def _mx_patterns(fields: _PolicyFields, mode: StsMode | None) -> list[str]:
    patterns: list[str] = []
    for _, value in fields.values.get("mx", []):
        pattern = value
        if pattern.endswith(".") and len(pattern) > 1:
            fields.notes.append(
                f"mx pattern {value!r} ends with a dot; Domain syntax has none and some "
                "senders then match nothing: write it without the dot"
            )
            pattern = pattern[:-1]
        problem = _mx_pattern_problem(pattern)
        if problem:
            fields.problems.append(problem)
        else:
            patterns.append(pattern.lower())
    if mode in (StsMode.ENFORCE, StsMode.TESTING) and not fields.values.get("mx"):
        fields.problems.append(f"mode {mode.value} needs at least one 'mx:' line (RFC 8461 §3.2)")
    others = [k for k in fields.values if k.lower() == "mx" and k != "mx"]
    if others and not fields.values.get("mx"):
        fields.problems.append(f"found {others[0]!r} but not 'mx' (field names are case-sensitive)")
    return patterns


def mx_matches_policy(mx_name: str, patterns: Sequence[str]) -> bool:
    """RFC 8461 §4.1: exact match, or ``*.example.com`` for exactly one more left label.

    ``*.example.com`` matches ``mail.example.com``, not ``example.com`` nor
    ``a.b.example.com``. Case and a trailing dot do not matter.
    """
    name = normalize_name(mx_name)
    head, dot, rest = name.partition(".")
    for pattern in patterns:
        p = pattern.strip().lower().rstrip(".")
        if p.startswith("*."):
            if dot and head and rest == p[2:] and p[2:]:
                return True
        elif p and p == name:
            return True
    return False


# ---------------------------------------------------------------------------
# Judging a fetch (RFC 8461 §3.3)


class FetchStatus(StrEnum):
    FETCHED = "fetched"  # a valid policy, as a sender would get it
    DNS_ERROR = "dns_error"  # mta-sts.DOMAIN does not resolve
    CONNECT_ERROR = "connect_error"  # refused, unreachable, reset
    TIMEOUT = "timeout"  # no answer before the deadline
    TLS_ERROR = "tls_error"  # handshake failed, or the certificate does not validate
    HTTP_ERROR = "http_error"  # not 200, a redirect, not text/plain, too large, not HTTP
    PARSE_ERROR = "parse_error"  # fetched fine, but the policy is not valid


class TlsProblem(StrEnum):
    HANDSHAKE = "handshake"  # no TLS session at all
    NO_CERTIFICATE = "no_certificate"
    UNTRUSTED = "untrusted"  # does not chain to a trusted root
    SELF_SIGNED = "self_signed"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NAME_MISMATCH = "name_mismatch"  # does not name mta-sts.DOMAIN


@dataclass(frozen=True, slots=True)
class MtaStsPolicyResult:
    """How fetching one domain's policy went, with the evidence of each step."""

    domain: str
    host: str  # mta-sts.DOMAIN
    url: str
    status: FetchStatus
    error: str = ""  # one line: why it is not FETCHED
    policy: MtaStsPolicy | None = None  # only when FETCHED
    parse_problems: tuple[str, ...] = ()
    # What the file says although senders cannot use it (bad certificate, wrong
    # content type...): the policy a fix would activate, or stale caches apply.
    unverified_policy: MtaStsPolicy | None = None
    tls_problems: tuple[TlsProblem, ...] = ()
    http_status: int | None = None
    http_problem: HttpProblem | None = None
    content_type: str | None = None
    location: str | None = None  # the target of a redirect
    address: str | None = None  # where we connected
    port: int = 443
    tls_version: str | None = None
    certificate: CertificateInfo | None = None
    body: str = ""  # the first 2000 characters received, for evidence
    dns: HostResult | None = None
    attempts: tuple[str, ...] = ()  # per-address connection errors
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is FetchStatus.FETCHED

    def to_json(self) -> JSON:
        return {
            "domain": self.domain,
            "url": self.url,
            "status": self.status.value,
            "error": self.error,
            "policy": self.policy.to_json() if self.policy else None,
            "parse_problems": list(self.parse_problems),
            "unverified_policy": self.unverified_policy.to_json()
            if self.unverified_policy
            else None,
            "tls_problems": [p.value for p in self.tls_problems],
            "http_status": self.http_status,
            "http_problem": self.http_problem.value if self.http_problem else None,
            "content_type": self.content_type,
            "location": self.location,
            "address": self.address,
            "port": self.port,
            "tls_version": self.tls_version,
            "certificate": self.certificate.to_json() if self.certificate else None,
            "body": self.body,
            "dns": self.dns.to_json() if self.dns else None,
            "attempts": list(self.attempts),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


ResultMaker = Callable[..., MtaStsPolicyResult]
_BODY_EVIDENCE = 2000  # characters of the body kept as evidence


@dataclass(frozen=True, slots=True)
class PolicyTls:
    """The HTTPS session a policy came over, and what a sender finds wrong with it."""

    version: str | None
    certificate: CertificateInfo | None
    problems: tuple[TlsProblem, ...]
    error: str  # the problems in words; "" when none

    def fields(self) -> dict[str, Any]:
        """As :class:`MtaStsPolicyResult` keywords."""
        return {
            "tls_version": self.version,
            "certificate": self.certificate,
            "tls_problems": self.problems,
        }


def judge_tls(
    version: str | None, cert: CertificateInfo | None, host: str, note: str = ""
) -> PolicyTls:
    """The served certificate judged for ``host`` (``mta-sts.DOMAIN``).

    ``note`` says why there are no facts (a certificate that does not parse).
    """
    problems = _cert_problems(cert)
    return PolicyTls(version, cert, problems, note or _describe_tls(problems, cert, host))


def _cert_problems(cert: CertificateInfo | None) -> tuple[TlsProblem, ...]:
    if cert is None:
        return (TlsProblem.NO_CERTIFICATE,)
    out: list[TlsProblem] = []
    if cert.expired:
        out.append(TlsProblem.EXPIRED)
    elif cert.not_yet_valid:
        out.append(TlsProblem.NOT_YET_VALID)
    if cert.self_signed:
        out.append(TlsProblem.SELF_SIGNED)
    elif not cert.trusted:
        out.append(TlsProblem.UNTRUSTED)
    if not cert.hostname_match:
        out.append(TlsProblem.NAME_MISMATCH)
    return tuple(out)


def _describe_tls(problems: Sequence[TlsProblem], cert: CertificateInfo | None, host: str) -> str:
    words = []
    for p in problems:
        if p is TlsProblem.EXPIRED and cert is not None:
            words.append(f"the certificate expired on {cert.not_after:%Y-%m-%d}")
        elif p is TlsProblem.NOT_YET_VALID:
            words.append("the certificate is not valid yet")
        elif p is TlsProblem.SELF_SIGNED:
            words.append("the certificate is self-signed")
        elif p is TlsProblem.UNTRUSTED and cert is not None:
            words.append(f"the certificate is not trusted ({cert.trust_error})")
        elif p is TlsProblem.NAME_MISMATCH and cert is not None:
            words.append(f"the certificate names {', '.join(cert.san) or 'nothing'}, not {host}")
        elif p is TlsProblem.NO_CERTIFICATE:
            words.append("the server sent no certificate")
    return "; ".join(words)


def judge_response(
    response: HttpResponse | HttpFailure, tls: PolicyTls, result: ResultMaker
) -> MtaStsPolicyResult:
    """The response, judged in the order a sender fails on it.

    ``result`` makes the result from a status and the fields judged here
    (it adds the fetch's own: domain, URL, address, timings).
    """
    if isinstance(response, HttpFailure):
        if tls.problems:
            return result(FetchStatus.TLS_ERROR, error=tls.error, **tls.fields())
        return result(
            FetchStatus.HTTP_ERROR,
            error=response.detail,
            http_problem=response.problem,
            **tls.fields(),
        )
    content_type = response.header("content-type")
    location = response.header("location")
    body = response.body.decode("utf-8", "replace")
    http: dict[str, Any] = {
        "http_status": response.status,
        "content_type": content_type,
        "location": location,
        "body": body[:_BODY_EVIDENCE],
    }
    problem, detail = _http_problem(response, content_type, location)
    unverified: MtaStsPolicy | None = None
    if response.status == 200:
        parsed = parse_mta_sts_policy(body)
        unverified = parsed if isinstance(parsed, MtaStsPolicy) else None
    if tls.problems:
        return result(
            FetchStatus.TLS_ERROR,
            error=tls.error,
            unverified_policy=unverified,
            http_problem=problem,
            **tls.fields(),
            **http,
        )
    if problem is not None:
        return result(
            FetchStatus.HTTP_ERROR,
            error=detail,
            http_problem=problem,
            unverified_policy=unverified,
            **tls.fields(),
            **http,
        )
    return _policy_result(response.body, result, {**tls.fields(), **http})


def _http_problem(
    response: HttpResponse, content_type: str | None, location: str | None
) -> tuple[HttpProblem | None, str]:
    """Why a sender refuses this answer (redirect, status, media type), in words."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if 300 <= response.status < 400:
        return HttpProblem.REDIRECT, (
            f"HTTP {response.status} redirect to {location or '(no Location)'}: senders do not "
            "follow redirects (RFC 8461 §3.3)"
        )
    if response.status != 200:
        return HttpProblem.STATUS, (
            f"HTTP {response.status} {response.reason}".rstrip() + " instead of 200"
        )
    if media != "text/plain":
        said = "no Content-Type" if content_type is None else f"Content-Type is {content_type!r}"
        return HttpProblem.CONTENT_TYPE, (
            f"{said}, not text/plain: senders reject the policy (RFC 8461 §3.2)"
        )
    return None, ""


def _policy_result(body: bytes, result: ResultMaker, fields: dict[str, Any]) -> MtaStsPolicyResult:
    """A good answer over a good session: the policy, if it parses."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return result(
            FetchStatus.PARSE_ERROR,
            error="the policy is not UTF-8 text",
            parse_problems=("the policy is not UTF-8 text",),
            **fields,
        )
    parsed = parse_mta_sts_policy(text)
    if isinstance(parsed, PolicyParseError):
        return result(
            FetchStatus.PARSE_ERROR,
            error="the policy is not valid: " + "; ".join(parsed.problems),
            parse_problems=parsed.problems,
            **fields,
        )
    return result(FetchStatus.FETCHED, policy=parsed, **fields)
