"""Transport policies: the MTA-STS policy file (RFC 8461) and DANE TLSA matching.

Three parts, each usable alone:

* :func:`parse_mta_sts_policy` and :func:`mx_matches_policy`: pure, the policy
  grammar of RFC 8461 §3.2 and the MX matching of §4.1.
* :func:`fetch_mta_sts_policy`: one HTTPS GET of
  ``https://mta-sts.DOMAIN/.well-known/mta-sts.txt`` the way a sending MTA
  makes it (§3.3): the name resolved through the given dnspython resolver,
  the certificate judged for ``mta-sts.DOMAIN``, no redirects, ``200`` and
  ``text/plain`` only, a size cap, one deadline. The result is a value
  (:class:`MtaStsPolicyResult`); nothing raises for the network's fault.
* :func:`tlsa_matches`: pure, whether a served certificate chain satisfies a
  TLSA RRset as a DANE SMTP client judges it (RFC 7672 §3.1): DANE-EE(3)
  ignores names and dates, DANE-TA(2) needs a valid path to the TA and the
  name check, PKIX usages 0/1 are unusable for SMTP, and of SHA-256 and
  SHA-512 records for one usage and selector only the stronger count
  (RFC 7671 §9 digest agility, as OpenSSL and so Postfix apply it).

The HTTP client is written here rather than borrowed: it must connect to an
address found by *our* resolver while sending SNI and ``Host`` for the name,
must not follow redirects, and must report every way the exchange can fail;
the response parser is sans-I/O (:func:`parse_http_response`) so it is tested
whole and byte by byte.
"""

from __future__ import annotations

import hashlib
import re
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import dns.asyncresolver
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from smtpdoctor import __version__
from smtpdoctor.model import Outcome
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, Stream
from smtpdoctor.probe.certificate import CertificateInfo, analyze_certificate, hostname_matches
from smtpdoctor.probe.dns import (
    HostResult,
    LookupStatus,
    SupportsRemaining,
    TlsaRecord,
    normalize_name,
    resolve_host,
)

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_POLICY_BYTES",
    "WELL_KNOWN_PATH",
    "DaneStatus",
    "FetchStatus",
    "HttpFailure",
    "HttpProblem",
    "HttpResponse",
    "MtaStsPolicy",
    "MtaStsPolicyResult",
    "PolicyParseError",
    "StsMode",
    "TlsProblem",
    "TlsaCheck",
    "TlsaMatch",
    "fetch_mta_sts_policy",
    "mx_matches_policy",
    "parse_http_response",
    "parse_mta_sts_policy",
    "tlsa_matches",
    "tlsa_record_for",
]

JSON = dict[str, Any]
DeadlineLike = float | SupportsRemaining

# ---------------------------------------------------------------------------
# The policy file (RFC 8461 §3.2)

STS_VERSION = "STSv1"
MAX_AGE_LIMIT = 31_557_600  # RFC 8461 §3.2: max_age is at most 31557600 s (about a year)
WELL_KNOWN_PATH = "/.well-known/mta-sts.txt"  # RFC 8461 §3.3


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
    problems: list[str] = []
    notes: list[str] = []
    fields: dict[str, list[tuple[int, str]]] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the last line's terminator
    for number, raw in enumerate(lines, 1):
        line = raw.removesuffix("\r")
        if not line.strip(" \t"):
            notes.append(f"line {number} is blank (the grammar has none; most senders skip it)")
            continue
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(f"line {number} ({line[:60]!r}) is not a 'key: value' field")
            continue
        if not _FIELD_NAME.match(key):
            hint = " (no space before the colon)" if key != key.rstrip() else ""
            problems.append(f"line {number}: {key[:40]!r} is not a valid field name{hint}")
            continue
        fields.setdefault(key, []).append((number, value.strip(" \t")))

    def first(name: str) -> str | None:
        found = fields.get(name)
        if not found:
            others = [k for k in fields if k.lower() == name]
            hint = f" (found {others[0]!r}: field names are case-sensitive)" if others else ""
            problems.append(f"the required field {name!r} is missing{hint}")
            return None
        values = {v for _, v in found}
        if len(values) > 1:
            where = ", ".join(str(n) for n, _ in found)
            problems.append(
                f"{name!r} appears {len(found)} times with different values (lines {where}): "
                "senders disagree on which one applies"
            )
        elif len(found) > 1:
            notes.append(f"{name!r} appears {len(found)} times (same value)")
        return found[0][1]

    version = first("version")
    if version is not None and version != STS_VERSION:
        problems.append(f"version is {version!r}; it must be exactly {STS_VERSION!r}")
    mode_text = first("mode")
    mode: StsMode | None = None
    if mode_text is not None:
        try:
            mode = StsMode(mode_text)
        except ValueError:
            problems.append(
                f"mode is {mode_text!r}; it must be exactly enforce, testing or none (lower-case)"
            )
    age_text = first("max_age")
    max_age = 0
    if age_text is not None:
        if not _MAX_AGE.match(age_text):
            problems.append(f"max_age {age_text!r} is not a number of seconds (1 to 10 digits)")
        else:
            max_age = int(age_text)
            if max_age > MAX_AGE_LIMIT:
                problems.append(f"max_age {max_age} exceeds the maximum {MAX_AGE_LIMIT} (a year)")
    patterns: list[str] = []
    for _, value in fields.get("mx", []):
        pattern = value
        if pattern.endswith(".") and len(pattern) > 1:
            notes.append(
                f"mx pattern {value!r} ends with a dot; Domain syntax has none and some "
                "senders then match nothing: write it without the dot"
            )
            pattern = pattern[:-1]
        problem = _mx_pattern_problem(pattern)
        if problem:
            problems.append(problem)
        else:
            patterns.append(pattern.lower())
    if mode in (StsMode.ENFORCE, StsMode.TESTING) and not fields.get("mx"):
        problems.append(f"mode {mode.value} needs at least one 'mx:' line (RFC 8461 §3.2)")
    others = [k for k in fields if k.lower() == "mx" and k != "mx"]
    if others and not fields.get("mx"):
        problems.append(f"found {others[0]!r} but not 'mx' (field names are case-sensitive)")
    if problems or mode is None:
        return PolicyParseError(tuple(problems), mode=mode_text)
    extensions = tuple(
        (k, v) for k, found in fields.items() if k not in (*_SINGLE, "mx") for _, v in found[:1]
    )
    return MtaStsPolicy(
        mode=mode,
        mx=tuple(dict.fromkeys(patterns)),
        max_age=max_age,
        extensions=extensions,
        notes=tuple(notes),
    )


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
# A tiny HTTP/1.1 response parser (sans I/O)

MAX_POLICY_BYTES = 64 * 1024  # a policy is a few hundred bytes; this bounds a hostile server
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
_MAX_CHUNK_LINE = 1024


class HttpProblem(StrEnum):
    STATUS = "status"  # an answer other than 200
    REDIRECT = "redirect"  # 3xx: senders do not follow redirects (RFC 8461 §3.3)
    CONTENT_TYPE = "content_type"  # not text/plain (RFC 8461 §3.2)
    TOO_LARGE = "too_large"  # the body exceeds MAX_POLICY_BYTES
    MALFORMED = "malformed"  # not HTTP, or broken framing
    INCOMPLETE = "incomplete"  # the connection closed before the response ended


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    reason: str
    version: str  # "HTTP/1.1"
    headers: tuple[tuple[str, str], ...]  # names lower-case, in order
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)


@dataclass(frozen=True, slots=True)
class HttpFailure:
    problem: HttpProblem
    detail: str


_STATUS_LINE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: (.*))?$")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_HEX = re.compile(rb"^[0-9A-Fa-f]{1,16}$")


def parse_http_response(
    data: bytes, *, eof: bool, limit: int = MAX_POLICY_BYTES
) -> HttpResponse | HttpFailure | None:
    """One HTTP/1.x response from the bytes received so far.

    Returns the response, a failure, or None when more bytes are needed
    (only while ``eof`` is False). Interim 1xx responses are skipped; the body
    is framed by ``Transfer-Encoding: chunked``, ``Content-Length``, or the
    end of the connection, and capped at ``limit`` bytes.
    """
    pos = 0
    while True:
        match = _HEADER_END.search(data, pos)
        if match is None:
            if len(data) - pos > MAX_HEADER_BYTES:
                return HttpFailure(HttpProblem.MALFORMED, "the response headers exceed 16 KiB")
            if not eof:
                return None
            if not data:
                return HttpFailure(
                    HttpProblem.INCOMPLETE, "the server closed the connection without answering"
                )
            return HttpFailure(
                HttpProblem.INCOMPLETE, "the connection closed in the middle of the headers"
            )
        head = data[pos : match.start()]
        if len(head) > MAX_HEADER_BYTES:
            return HttpFailure(HttpProblem.MALFORMED, "the response headers exceed 16 KiB")
        lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
        status_match = _STATUS_LINE.match(lines[0])
        if status_match is None:
            return HttpFailure(
                HttpProblem.MALFORMED, f"not an HTTP response: {bytes(lines[0][:60])!r}"
            )
        if len(lines) - 1 > MAX_HEADERS:
            return HttpFailure(HttpProblem.MALFORMED, f"more than {MAX_HEADERS} header lines")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                return HttpFailure(
                    HttpProblem.MALFORMED, f"malformed header line {bytes(line[:60])!r}"
                )
            headers.append((name.decode("latin-1").lower(), value.strip(b" \t").decode("latin-1")))
        status = int(status_match.group(3))
        body_start = match.end()
        if 100 <= status < 200 and status != 101:
            pos = body_start  # 100 Continue, 103 Early Hints: the real answer follows
            continue
        if status == 101:
            return HttpFailure(HttpProblem.MALFORMED, "unexpected 101 Switching Protocols")
        break
    version = f"HTTP/{status_match.group(1).decode()}.{status_match.group(2).decode()}"
    reason = (status_match.group(4) or b"").decode("latin-1")
    rest = data[body_start:]

    def done(body: bytes) -> HttpResponse:
        return HttpResponse(status, reason, version, tuple(headers), body)

    values = dict(headers)
    if status in (204, 304):
        return done(b"")
    coding = values.get("transfer-encoding", "").lower()
    if coding:
        if coding.rsplit(",", 1)[-1].strip() == "chunked":
            return _dechunk(rest, eof=eof, limit=limit, done=done)
        return _until_eof(rest, eof=eof, limit=limit, done=done)
    length_text = values.get("content-length")
    if length_text is not None:
        lengths = {v.strip() for v in length_text.split(",")}
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            return HttpFailure(HttpProblem.MALFORMED, f"bad Content-Length {length_text!r}")
        length = int(next(iter(lengths)))
        if length > limit:
            return HttpFailure(
                HttpProblem.TOO_LARGE, f"Content-Length {length} exceeds the {limit}-byte cap"
            )
        if len(rest) >= length:
            return done(rest[:length])
        if eof:
            return HttpFailure(
                HttpProblem.INCOMPLETE,
                f"the connection closed after {len(rest)} of {length} body bytes",
            )
        return None
    return _until_eof(rest, eof=eof, limit=limit, done=done)


def _until_eof(
    rest: bytes, *, eof: bool, limit: int, done: Callable[[bytes], HttpResponse]
) -> HttpResponse | HttpFailure | None:
    if len(rest) > limit:
        return HttpFailure(HttpProblem.TOO_LARGE, f"the body exceeds the {limit}-byte cap")
    if not eof:
        return None
    return done(rest)


def _dechunk(
    rest: bytes, *, eof: bool, limit: int, done: Callable[[bytes], HttpResponse]
) -> HttpResponse | HttpFailure | None:
    """RFC 9112 §7.1 chunked framing; chunk extensions and trailers are skipped."""
    out = bytearray()
    i = 0

    def short() -> HttpFailure | None:
        if eof:
            return HttpFailure(HttpProblem.INCOMPLETE, "the connection closed inside a chunk")
        return None

    while True:
        nl = rest.find(b"\n", i)
        if nl < 0:
            if len(rest) - i > _MAX_CHUNK_LINE:
                return HttpFailure(HttpProblem.MALFORMED, "a chunk-size line is too long")
            return short()
        size_text = rest[i:nl].removesuffix(b"\r").split(b";", 1)[0].strip(b" \t")
        if not _HEX.match(size_text):
            return HttpFailure(HttpProblem.MALFORMED, f"bad chunk size {bytes(size_text[:20])!r}")
        size = int(size_text, 16)
        i = nl + 1
        if size == 0:
            break
        if len(out) + size > limit:
            return HttpFailure(HttpProblem.TOO_LARGE, f"the body exceeds the {limit}-byte cap")
        if len(rest) < i + size + 1:
            return short()
        out += rest[i : i + size]
        i += size
        if rest[i : i + 2] == b"\r\n":
            i += 2
        elif rest[i : i + 1] == b"\n":
            i += 1
        elif len(rest) - i < 2 and rest[i : i + 1] in (b"", b"\r"):
            return short()
        else:
            return HttpFailure(HttpProblem.MALFORMED, "a chunk is not followed by CRLF")
    # Trailer fields, up to the empty line.
    while True:
        nl = rest.find(b"\n", i)
        if nl < 0:
            if len(rest) - i > MAX_HEADER_BYTES:
                return HttpFailure(HttpProblem.MALFORMED, "the trailer exceeds 16 KiB")
            return short()
        line = rest[i:nl].removesuffix(b"\r")
        i = nl + 1
        if not line:
            return done(bytes(out))


# ---------------------------------------------------------------------------
# Fetching the policy (RFC 8461 §3.3)


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


# Senders try the first addresses of the policy host, not all of them.
_MAX_ADDRESSES = 3
_BODY_EVIDENCE = 2000


_Result = Callable[..., MtaStsPolicyResult]


def _as_deadline(deadline: DeadlineLike) -> Deadline:
    if isinstance(deadline, int | float):
        return Deadline(max(0.0, float(deadline) - time.monotonic()))
    if isinstance(deadline, Deadline):
        return deadline
    return Deadline(max(0.0, deadline.remaining()))


def _https_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The certificate is judged afterwards by analyze_certificate, so that an
    # expired, untrusted and misnamed certificate each get their own words.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # The floor of current HTTPS clients (OpenSSL's default at security level 2).
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


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


def _request(host: str, port: int) -> bytes:
    authority = host if port == 443 else f"{host}:{port}"
    return (
        f"GET {WELL_KNOWN_PATH} HTTP/1.1\r\n"
        f"Host: {authority}\r\n"
        f"User-Agent: smtpdoctor/{__version__} (MTA-STS check)\r\n"
        "Accept: text/plain\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")


async def _read_response(stream: Stream, deadline: Deadline) -> HttpResponse | HttpFailure:
    buf = bytearray()
    # Chunk framing adds bytes; beyond this the server is hostile or broken.
    raw_cap = MAX_HEADER_BYTES + 4 * MAX_POLICY_BYTES
    while True:
        chunk = await stream.recv(deadline, "reading the HTTPS response")
        buf += chunk
        parsed = parse_http_response(bytes(buf), eof=not chunk)
        if parsed is not None:
            return parsed
        if not chunk:  # unreachable with a correct parser; never spin on a closed stream
            return HttpFailure(HttpProblem.INCOMPLETE, "the connection closed early")
        if len(buf) > raw_cap:
            return HttpFailure(HttpProblem.TOO_LARGE, "the response exceeds the size cap")


def _net_status(exc: NetError) -> FetchStatus:
    return FetchStatus.TIMEOUT if exc.outcome is Outcome.TIMEOUT else FetchStatus.CONNECT_ERROR


async def fetch_mta_sts_policy(
    domain: str,
    *,
    resolver: dns.asyncresolver.Resolver,
    deadline: DeadlineLike,
    ca_files: Sequence[Path | str] = (),
    port: int = 443,
    host_override: str | None = None,
    connector: Connector | None = None,
) -> MtaStsPolicyResult:
    """Fetch and parse ``https://mta-sts.DOMAIN/.well-known/mta-sts.txt`` as a sender would.

    ``mta-sts.DOMAIN`` is resolved with ``resolver`` (never the system's);
    ``host_override`` (an address) skips that lookup. The certificate must
    chain to the system store or ``ca_files`` and name ``mta-sts.DOMAIN``.
    Only a ``200`` with ``Content-Type: text/plain`` counts (RFC 8461 §3.3:
    redirects are not followed). ``connector`` lets a diagnosis count this
    connection with its others. Never raises for the network's fault.
    """
    started = time.monotonic()
    dom = normalize_name(domain)
    host = f"mta-sts.{dom}"
    url = f"https://{host}{'' if port == 443 else f':{port}'}{WELL_KNOWN_PATH}"
    dl = _as_deadline(deadline)
    base: dict[str, Any] = {"domain": dom, "host": host, "url": url, "port": port}

    def result(status: FetchStatus, **kw: Any) -> MtaStsPolicyResult:
        return MtaStsPolicyResult(
            status=status, elapsed_ms=(time.monotonic() - started) * 1000, **base, **kw
        )

    if host_override is not None:
        addresses: tuple[str, ...] = (host_override,)
    else:
        found = await resolve_host(host, resolver, deadline)
        base["dns"] = found
        addresses = found.addresses
        if not addresses:
            if found.status is LookupStatus.TIMEOUT:
                return result(FetchStatus.TIMEOUT, error=f"looking up {host} timed out")
            return result(
                FetchStatus.DNS_ERROR,
                error=f"{host} has no address ({found.status.value}): senders cannot fetch "
                "the policy",
            )
    connector = connector or Connector()
    attempts: list[str] = []
    stream: Stream | None = None
    last: NetError | None = None
    tried = addresses[:_MAX_ADDRESSES]
    for i, address in enumerate(tried):
        if dl.expired:
            break
        # A filtered first address must leave time for the next one.
        left = dl.remaining()
        attempt = dl if i == len(tried) - 1 else Deadline(min(left, max(1.0, left / 2)))
        try:
            stream = await connector.connect(address, port, attempt)
        except NetError as exc:
            attempts.append(f"{address}:{port}: {exc.detail}")
            last = exc
            continue
        base["address"] = address
        break
    base["attempts"] = tuple(attempts)
    if stream is None:
        if last is None:
            return result(FetchStatus.TIMEOUT, error="the deadline passed before connecting")
        return result(_net_status(last), error=f"cannot connect to {host}: {last.detail}")
    try:
        return await _exchange(
            stream, host=host, port=port, dl=dl, ca_files=ca_files, result=result
        )
    finally:
        stream.abort()


async def _exchange(
    stream: Stream,
    *,
    host: str,
    port: int,
    dl: Deadline,
    ca_files: Sequence[Path | str],
    result: _Result,
) -> MtaStsPolicyResult:
    try:
        session = await stream.start_tls(_https_context(), host, dl)
    except NetError as exc:
        if exc.outcome is Outcome.TIMEOUT:
            return result(FetchStatus.TIMEOUT, error=f"the TLS handshake with {host} timed out")
        return result(
            FetchStatus.TLS_ERROR,
            error=f"the TLS handshake with {host} failed: {exc.detail}",
            tls_problems=(TlsProblem.HANDSHAKE,),
        )
    try:
        cert = analyze_certificate(session.chain_der, [host], [Path(p) for p in ca_files])
    except ValueError as exc:  # a certificate cryptography cannot parse
        cert = None
        tls_note = f"the certificate cannot be parsed: {exc}"
    else:
        tls_note = ""
    tls_problems = _cert_problems(cert)
    tls: dict[str, Any] = {
        "tls_version": session.version,
        "certificate": cert,
        "tls_problems": tls_problems,
    }
    tls_error = tls_note or _describe_tls(tls_problems, cert, host)
    try:
        await stream.send(_request(host, port), dl, "sending the HTTPS request")
        response = await _read_response(stream, dl)
    except NetError as exc:
        if tls_problems:
            return result(FetchStatus.TLS_ERROR, error=tls_error, **tls)
        status = _net_status(exc)
        what = "timed out" if status is FetchStatus.TIMEOUT else f"failed: {exc.detail}"
        return result(status, error=f"the HTTPS exchange with {host} {what}", **tls)
    return _judge(response, tls_problems=tls_problems, tls_error=tls_error, tls=tls, result=result)


def _judge(
    response: HttpResponse | HttpFailure,
    *,
    tls_problems: tuple[TlsProblem, ...],
    tls_error: str,
    tls: dict[str, Any],
    result: _Result,
) -> MtaStsPolicyResult:
    """The response, judged in the order a sender fails on it."""
    if isinstance(response, HttpFailure):
        if tls_problems:
            return result(FetchStatus.TLS_ERROR, error=tls_error, **tls)
        return result(
            FetchStatus.HTTP_ERROR,
            error=response.detail,
            http_problem=response.problem,
            **tls,
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
    media = (content_type or "").split(";", 1)[0].strip().lower()
    problem: HttpProblem | None = None
    detail = ""
    if 300 <= response.status < 400:
        problem = HttpProblem.REDIRECT
        detail = (
            f"HTTP {response.status} redirect to {location or '(no Location)'}: senders do not "
            "follow redirects (RFC 8461 §3.3)"
        )
    elif response.status != 200:
        problem = HttpProblem.STATUS
        detail = f"HTTP {response.status} {response.reason}".rstrip() + " instead of 200"
    elif media != "text/plain":
        problem = HttpProblem.CONTENT_TYPE
        detail = (
            f"Content-Type is {content_type!r}, not text/plain: senders reject the policy "
            "(RFC 8461 §3.2)"
        )
    unverified: MtaStsPolicy | None = None
    if response.status == 200:
        parsed = parse_mta_sts_policy(body)
        unverified = parsed if isinstance(parsed, MtaStsPolicy) else None
    if tls_problems:
        return result(
            FetchStatus.TLS_ERROR,
            error=tls_error,
            unverified_policy=unverified,
            http_problem=problem,
            **tls,
            **http,
        )
    if problem is not None:
        return result(
            FetchStatus.HTTP_ERROR,
            error=detail,
            http_problem=problem,
            unverified_policy=unverified,
            **tls,
            **http,
        )
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        return result(
            FetchStatus.PARSE_ERROR,
            error="the policy is not UTF-8 text",
            parse_problems=("the policy is not UTF-8 text",),
            **tls,
            **http,
        )
    parsed = parse_mta_sts_policy(text)
    if isinstance(parsed, PolicyParseError):
        return result(
            FetchStatus.PARSE_ERROR,
            error="the policy is not valid: " + "; ".join(parsed.problems),
            parse_problems=parsed.problems,
            **tls,
            **http,
        )
    return result(FetchStatus.FETCHED, policy=parsed, **tls, **http)


# ---------------------------------------------------------------------------
# DANE: does the served chain satisfy the TLSA records? (RFC 6698, 7671, 7672)


class DaneStatus(StrEnum):
    MATCH = "match"  # a usable record matches: DANE senders deliver
    MISMATCH = "mismatch"  # usable records, none matches: DANE senders defer
    NO_USABLE_RECORDS = "no_usable_records"  # TLS required, not authenticated (RFC 7672 §2.2)
    NO_RECORDS = "no_records"
    NO_CHAIN = "no_chain"  # no certificate to match


@dataclass(frozen=True, slots=True)
class TlsaCheck:
    """One TLSA record judged against the chain."""

    record: TlsaRecord
    usable: bool
    matched: bool = False
    depth: int | None = None  # 0: the leaf; n: the n-th certificate up the path
    note: str = ""  # why unusable, why no match, or what matched

    def to_json(self) -> JSON:
        return {
            **self.record.to_json(),
            "usable": self.usable,
            "matched": self.matched,
            "depth": self.depth,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TlsaMatch:
    status: DaneStatus
    checks: tuple[TlsaCheck, ...] = ()
    # The 3 1 1 record for the leaf the server sent: what to publish to match it.
    leaf_record: TlsaRecord | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status is DaneStatus.MATCH

    @property
    def matched(self) -> tuple[TlsaRecord, ...]:
        return tuple(c.record for c in self.checks if c.matched)

    @property
    def usable(self) -> tuple[TlsaRecord, ...]:
        return tuple(c.record for c in self.checks if c.usable)

    def to_json(self) -> JSON:
        return {
            "status": self.status.value,
            "checks": [c.to_json() for c in self.checks],
            "leaf_record": self.leaf_record.to_json() if self.leaf_record else None,
            "note": self.note,
        }


_USAGE_NAMES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
_DIGESTS = {1: ("SHA-256", 32), 2: ("SHA-512", 64)}
_MAX_PATH = 8


def _der_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _spki_der(cert: x509.Certificate) -> bytes:
    """The SubjectPublicKeyInfo exactly as encoded in the certificate (selector 1).

    Taken from the TBSCertificate bytes rather than re-encoded from the key,
    so that unusual encodings hash as the server's peers hash them.
    """
    tbs = cert.tbs_certificate_bytes
    try:
        _, pos, _ = _der_tlv(tbs, 0)  # TBSCertificate SEQUENCE
        if tbs[pos] == 0xA0:  # [0] EXPLICIT version
            pos = _der_tlv(tbs, pos)[2]
        for _ in range(5):  # serialNumber, signature, issuer, validity, subject
            pos = _der_tlv(tbs, pos)[2]
        tag, _, end = _der_tlv(tbs, pos)
        if tag != 0x30:
            raise ValueError("no SubjectPublicKeyInfo")
        return tbs[pos:end]
    except (IndexError, ValueError):
        return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _association(cert: x509.Certificate, der: bytes, selector: int, mtype: int) -> bytes:
    selected = der if selector == 0 else _spki_der(cert)
    if mtype == 1:
        return hashlib.sha256(selected).digest()
    if mtype == 2:
        return hashlib.sha512(selected).digest()
    return selected


def tlsa_record_for(
    cert_der: bytes, usage: int = 3, selector: int = 1, mtype: int = 1
) -> TlsaRecord:
    """The TLSA record that matches this certificate (default ``3 1 1``)."""
    cert = x509.load_der_x509_certificate(cert_der)
    data = _association(cert, cert_der, selector, mtype)
    return TlsaRecord(usage=usage, selector=selector, mtype=mtype, data=data.hex())


def _unusable(record: TlsaRecord) -> str | None:
    """Why a DANE SMTP client ignores this record, or None."""
    if record.usage in (0, 1):
        return (
            f"usage {record.usage} ({_USAGE_NAMES[record.usage]}) is unusable for SMTP: "
            "DANE SMTP clients ignore it (RFC 7672 §3.1.3)"
        )
    if record.usage not in (2, 3):
        return f"usage {record.usage} is not defined (RFC 6698 §2.1.1)"
    if record.selector not in (0, 1):
        return f"selector {record.selector} is not defined (RFC 6698 §2.1.2)"
    if record.mtype not in (0, 1, 2):
        return f"matching type {record.mtype} is not defined (RFC 6698 §2.1.3)"
    try:
        data = bytes.fromhex(record.data)
    except ValueError:
        return "the association data is not hexadecimal"
    if record.mtype in _DIGESTS:
        name, size = _DIGESTS[record.mtype]
        if len(data) != size:
            return f"a {name} digest has {size} bytes; this record has {len(data)}"
    if record.usage == 2 and record.mtype == 0:
        try:
            if record.selector == 0:
                x509.load_der_x509_certificate(data)
            else:
                _load_spki(data)
        except (ValueError, UnsupportedAlgorithm):
            what = "certificate" if record.selector == 0 else "public key"
            return f"the full {what} in the record does not parse"
    return None


def _load_spki(data: bytes) -> Any:
    return load_der_public_key(data)


def _agility(records: Sequence[TlsaRecord], usable: Sequence[bool]) -> list[str | None]:
    """RFC 7671 §9: per usage and selector, only the strongest digest type counts.

    OpenSSL (and so Postfix and Exim) skip SHA-256 records when a well-formed
    SHA-512 record exists for the same usage and selector; exact-match
    records (type 0) are always used.
    """
    best: dict[tuple[int, int], int] = {}
    for r, ok in zip(records, usable, strict=True):
        if ok and r.mtype in _DIGESTS:
            key = (r.usage, r.selector)
            best[key] = max(best.get(key, 0), r.mtype)
    notes: list[str | None] = []
    for r, ok in zip(records, usable, strict=True):
        top = best.get((r.usage, r.selector), 0)
        if ok and r.mtype in _DIGESTS and r.mtype < top:
            notes.append(
                f"ignored: a {_DIGESTS[top][0]} record exists for usage {r.usage} selector "
                f"{r.selector}, and clients use only the strongest digest (RFC 7671 §9)"
            )
        else:
            notes.append(None)
    return notes


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signed_by_key(cert: x509.Certificate, key: Any) -> bool:
    """Whether a bare public key (a ``2 1 0`` record) signed ``cert``."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(key, rsa.RSAPublicKey):
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            algo = cert.signature_hash_algorithm
            if algo is None:
                return False
            key.verify(sig, tbs, pad, algo)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            algo = cert.signature_hash_algorithm
            if algo is None:
                return False
            key.verify(sig, tbs, ec.ECDSA(algo))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(sig, tbs)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _names_of(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names: list[str] = list(ext.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = []
    if names:
        return names
    # RFC 7672 §3.2.3: the CN only when there is no DNS-ID.
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]


def _in_validity(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _match_ta(
    record: TlsaRecord,
    chain: Sequence[tuple[x509.Certificate, bytes]],
    names: Sequence[str],
    now: datetime,
) -> TlsaCheck:
    """DANE-TA(2): a path from the leaf, by signature, up to the certificate (or key)
    the record names; then the leaf's names and the path's dates (RFC 7672 §3.1.2)."""
    data = bytes.fromhex(record.data)
    dns_ta: tuple[x509.Certificate, bytes] | None = None
    bare_key: Any = None
    if record.mtype == 0 and record.selector == 0:
        dns_ta = (x509.load_der_x509_certificate(data), data)
    elif record.mtype == 0 and record.selector == 1:
        bare_key = _load_spki(data)
    path = [chain[0]]
    pool = list(chain[1:]) + ([dns_ta] if dns_ta else [])
    found: int | None = None
    while len(path) <= _MAX_PATH:
        cert = path[-1][0]
        if bare_key is not None and _signed_by_key(cert, bare_key):
            found = len(path)  # the key itself sits just above the last certificate
            break
        issuer = next(
            (c for c in pool if c[0].subject == cert.issuer and _issued_by(cert, c[0])), None
        )
        if issuer is None:
            break
        pool.remove(issuer)
        path.append(issuer)
        if _association(issuer[0], issuer[1], record.selector, record.mtype) == data:
            found = len(path) - 1
            break
    if found is None:
        leaf, leaf_der = chain[0]
        if _association(leaf, leaf_der, record.selector, record.mtype) == data:
            return TlsaCheck(
                record,
                usable=True,
                note="it matches the server's own certificate, which usage 2 (DANE-TA) never "
                "does: publish it as usage 3 (DANE-EE)",
            )
        return TlsaCheck(
            record,
            usable=True,
            note=(
                "no certificate on the path from the leaf matches it; for DANE-TA the server "
                "must send the trust anchor in its chain (RFC 7672 §3.1.2)"
            ),
        )
    below = [c for c, _ in path[:found]]
    stale = [c for c in below if not _in_validity(c, now)]
    if stale:
        return TlsaCheck(
            record,
            usable=True,
            depth=found,
            note=(
                f"the trust anchor matches at depth {found}, but "
                f"{stale[0].subject.rfc4514_string()} is outside its validity period "
                "(DANE-TA keeps the date checks)"
            ),
        )
    leaf_names = _names_of(chain[0][0])
    wanted = [n for n in names if n]
    if wanted and not any(hostname_matches(n, leaf_names) for n in wanted):
        return TlsaCheck(
            record,
            usable=True,
            depth=found,
            note=(
                f"the trust anchor matches at depth {found}, but the certificate names "
                f"{', '.join(leaf_names) or 'nothing'}, not {' or '.join(wanted)} "
                "(DANE-TA keeps the name check, RFC 7672 §3.2.2)"
            ),
        )
    return TlsaCheck(
        record, usable=True, matched=True, depth=found, note=f"trust anchor at depth {found}"
    )


def tlsa_matches(
    records: Sequence[TlsaRecord],
    chain_der: Sequence[bytes],
    *,
    names: Sequence[str] = (),
    now: datetime | None = None,
) -> TlsaMatch:
    """Judge a served chain (leaf first, as sent) against a TLSA RRset.

    ``names`` are the reference identifiers for DANE-TA's name check (RFC
    7672 §3.2.2: the MX host name, and the next-hop domain); DANE-EE ignores
    names and dates (§3.1.1). The AD bit is not this function's business:
    the caller decides whether the records are in force.
    """
    if not records:
        return TlsaMatch(DaneStatus.NO_RECORDS)
    now = now or datetime.now(UTC)
    reasons = [_unusable(r) for r in records]
    agility = _agility(records, [r is None for r in reasons])
    chain: list[tuple[x509.Certificate, bytes]] = []
    chain_note = ""
    try:
        chain = [(x509.load_der_x509_certificate(der), der) for der in chain_der]
    except ValueError as exc:
        chain, chain_note = [], f"the served certificate does not parse: {exc}"
    leaf_record = None
    if chain:
        leaf, leaf_der = chain[0]
        leaf_record = TlsaRecord(3, 1, 1, _association(leaf, leaf_der, 1, 1).hex())
    checks: list[TlsaCheck] = []
    for record, reason, ignored in zip(records, reasons, agility, strict=True):
        if reason is not None or ignored is not None:
            checks.append(TlsaCheck(record, usable=False, note=reason or ignored or ""))
        elif not chain:
            checks.append(TlsaCheck(record, usable=True, note="no certificate to compare"))
        elif record.usage == 3:
            leaf, leaf_der = chain[0]
            want = bytes.fromhex(record.data)
            got = _association(leaf, leaf_der, record.selector, record.mtype)
            if got == want:
                checks.append(
                    TlsaCheck(record, usable=True, matched=True, depth=0, note="matches the leaf")
                )
            elif any(
                _association(c, der, record.selector, record.mtype) == want for c, der in chain[1:]
            ):
                checks.append(
                    TlsaCheck(
                        record,
                        usable=True,
                        note="it matches a CA certificate of the chain, not the server's own: "
                        "usage 3 (DANE-EE) is for the server's certificate; a CA needs usage 2 "
                        "(DANE-TA)",
                    )
                )
            else:
                checks.append(
                    TlsaCheck(
                        record,
                        usable=True,
                        note=f"the leaf's value is {got.hex()[:16]}…, not {record.data[:16]}…",
                    )
                )
        else:
            checks.append(_match_ta(record, chain, names, now))
    if not any(c.usable for c in checks):
        status = DaneStatus.NO_USABLE_RECORDS
    elif not chain:
        status = DaneStatus.NO_CHAIN
    elif any(c.matched for c in checks):
        status = DaneStatus.MATCH
    else:
        status = DaneStatus.MISMATCH
    return TlsaMatch(status, tuple(checks), leaf_record, chain_note)
