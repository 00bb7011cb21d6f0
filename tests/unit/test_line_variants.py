"""The same cause in other words and other log shapes gives the same answer (issue 10).

The held-back lines miss mostly where a text words a known cause in a way
the tune lines did not (another MTA's or vendor's words for the same thing),
or arrives in a log shape they did not show. This harness takes the tune
rows of ``tests/data/replies/lines.jsonl`` that the classifier gets right
(category and stage) and varies each two ways:

- **wording**: a phrase of a cause family replaced by another phrase that
  means the same cause, as other MTAs and vendors word it (refused /
  rejected / denied / blocked; user / mailbox / recipient / address unknown,
  does not exist, not found, no such; over quota / mailbox full / storage
  exceeded; timed out / timeout; TLS / SSL; handshake failed / failure /
  error; certificate verify / verification / validation failed; rate limit /
  throttled / too many; message too large / size limit; ...), plus
  structure (the recipient's address after the code, a host name and queue
  id appended, the enhanced code moved to the end as qmail and others write
  it). A family applies only to rows of the category whose meaning it keeps,
  and only where its phrase is not part of a wider term (``Connection
  refused`` is a TCP verdict, not a policy word);
- **shape**: a one-line row as the log tooling around an MTA or an
  application delivers it: the rsyslog traditional and high-precision
  headers, an unpadded day, RFC 3164 with a priority, RFC 5424, FreeBSD's
  ``<mail.info>`` priority tag, journalctl's short-precise and JSON output,
  docker compose's ``name  | `` prefix and docker's json-file record,
  Kubernetes' CRI line and ``kubectl logs --timestamps``, an application's
  JSON (ECS) record and logfmt line, and the CSV that Windows' Event Viewer
  saves. A row with a syslog header keeps its program tag and message; a row
  with Exim's own timestamp keeps its message under an ``exim[pid]`` tag;
  any other row is an application's message.

Each variant keeps the original row's meaning, so its expectation is the
original row's category and stage. Never reads held-back rows: only
``"split": "tune"`` rows are taken.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.diagnosis import classify
from smtpdoctor.evidence.records import unrecord

_LINES = Path(__file__).parents[1] / "data" / "replies" / "lines.jsonl"


def _tune_rows() -> list[dict[str, str]]:
    rows = [json.loads(line) for line in _LINES.read_text("utf-8").splitlines() if line]
    return [r for r in rows if r["split"] == "tune"]


def _right(text: str, row: dict[str, str]) -> tuple[bool, bool]:
    c = classify(text)
    return c.category.value == row["category"], c.stage.value == row["stage"]


# --- wording ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Phrases that say one cause; ``categories`` the rows whose meaning they keep."""

    name: str
    pattern: re.Pattern[str]
    alternatives: tuple[str, ...]
    categories: frozenset[str]


def _family(name: str, pattern: str, alternatives: tuple[str, ...], *categories: str) -> Family:
    return Family(name, re.compile(pattern, re.IGNORECASE), alternatives, frozenset(categories))


_NOUN = r"(?:user|mailbox|recipient|account|address|e-?mail address)"

FAMILIES = (
    # A refusal verb (not TCP's "connection refused", not "access denied" of a login),
    # outside the MTAs' fixed log frames (Postfix's "refused to talk to me", Exim's
    # "rejected RCPT", "rejected after DATA"), which no other wording replaces.
    _family(
        "refusal-verb",
        r"(?<!connection )(?<!access )(?<!Helo command )\b(?:rejected|refused|denied|blocked)\b"
        r"(?! to talk)(?! (?:RCPT|MAIL|after|EHLO|HELO|connection|VRFY)\b)",
        ("rejected", "refused", "denied", "blocked"),
        "policy_rejection",
    ),
    _family(
        "unknown-recipient",
        rf"\b{_NOUN}(?: name)? (?:unknown|does not exist|doesn't exist|not found|invalid)\b"
        rf"|\b(?:unknown|invalid|no such) {_NOUN}\b",
        (
            "user unknown",
            "mailbox does not exist",
            "recipient not found",
            "no such user",
            "invalid recipient",
            "unknown mailbox",
            "address does not exist",
            "account not found",
        ),
        "recipient",
    ),
    _family(
        "mailbox-full",
        r"\b(?:over quota|quota exceeded|mailbox (?:is )?full|insufficient (?:disk |storage )?space"
        r"|not enough (?:storage )?space|storage (?:quota )?exceeded)\b",
        (
            "mailbox full",
            "over quota",
            "quota exceeded",
            "mailbox storage exceeded",
            "mailbox is full",
        ),
        "recipient",
    ),
    # (not in a program's own identifiers: Go's "i/o timeout", Erlang's ":timeout",
    # JavaMail's "timeout 30000")
    _family(
        "timeout",
        r"(?<!i/o )(?<!:)\b(?:timed out|timeout)\b(?! -?\d)",
        ("timed out", "timeout", "time-out"),
        "network_timeout",
        "firewall_block",
    ),
    # SSL for TLS and back, as a word (not OpenSSL, SSL_accept, TLSv1.2), outside
    # fixed frames: Exim's "TLS error on connection", "TLS session", PHP's "SSL:".
    _family(
        "tls-word",
        r"(?<![\w/])(?<!crypto\(\): )(?:TLS|SSL)(?![\w/.:-])"
        r"(?! error on connection| session| is required, but)",
        ("TLS", "SSL", "SSL/TLS"),
        "tls_handshake_failure",
        "tls_certificate",
        "starttls_unavailable",
    ),
    _family(
        "handshake",
        r"\bhandshake (?:failed|failure|error)\b",
        ("handshake failed", "handshake failure", "handshake error"),
        "tls_handshake_failure",
        "tls_certificate",
    ),
    _family(
        "certificate-check",
        # (not Exim's own "(certificate verification failed)", nor OpenSSL's error string)
        r"(?<!\()(?<!SSL routines::)\bcertificate (?:verify|verification|validation) failed\b",
        (
            "certificate verify failed",
            "certificate verification failed",
            "certificate validation failed",
        ),
        "tls_certificate",
    ),
    _family(
        "rate",
        r"\b(?:rate limited|rate limit exceeded|rate-limited|throttled|too many (?:messages|mails"
        r"|emails|connections))\b",
        ("rate limited", "rate limit exceeded", "throttled", "too many messages"),
        "rate_limited",
    ),
    _family(
        "size",
        r"\b(?:message (?:is )?too (?:large|big)|message size exceeds [\w ]*?limit"
        r"|size limit exceeded|message size exceeds fixed maximum message size)\b",
        (
            "message too large",
            "message too big",
            "size limit exceeded",
            "message size exceeds fixed maximum message size",
        ),
        "message_size",
    ),
    _family(
        "relay",
        r"\b(?:relay access denied|relaying denied|relay not permitted|relaying not allowed"
        r"|relay denied|relaying not permitted|relay not allowed)\b",
        (
            "Relay access denied",
            "relaying denied",
            "relay not permitted",
            "relaying not allowed",
        ),
        "policy_rejection",
    ),
    _family(
        "spam-verdict",
        r"\b(?:identified|classified|detected|considered|flagged|marked) as spam\b",
        ("identified as spam", "classified as spam", "detected as spam", "considered spam"),
        "policy_rejection",
    ),
    _family(
        "auth-failed",
        r"\bauthentication (?:failed|unsuccessful|failure)\b",
        ("authentication failed", "authentication unsuccessful", "authentication failure"),
        "authentication",
    ),
    _family(
        "credentials",
        r"\b(?:invalid|incorrect|bad) (?:credentials|username or password|login or password)\b",
        ("invalid credentials", "incorrect username or password", "bad credentials"),
        "authentication",
    ),
    _family(
        "dropped",
        r"\b(?:lost connection|connection lost|connection reset by peer|connection closed by"
        r" (?:remote host|peer|foreign host)|connection unexpectedly closed)\b",
        (
            "lost connection",
            "connection reset by peer",
            "connection closed by remote host",
            "connection unexpectedly closed",
        ),
        "connection_dropped",
    ),
    _family(
        "unavailable",
        r"\b(?:service (?:temporarily )?unavailable|service not available)\b",
        ("service unavailable", "service temporarily unavailable", "service not available"),
        "service_unavailable",
    ),
    _family(
        "host-not-found",
        r"\b(?:host not found|host or domain name not found|name or service not known"
        r"|domain not found|no such domain)\b",
        ("host not found", "Host or domain name not found", "no such domain"),
        "dns_resolution",
    ),
)


# The second round's families (session 6): more causes, more of their usual words.
FAMILIES_2 = (
    _family(
        "blocklist",
        r"\b(?:is |was )?(?:listed (?:in|on|at|by)|(?:black|block)listed (?:in|on|at|by)|"
        r"found in)(?= (?:the |a )?(?:[\w.-]*(?:spamhaus|spamcop|sorbs|barracuda|uceprotect)"
        r"|DNSBL|RBL|block ?list|black ?list))",
        ("listed in", "listed on", "blocklisted by", "blacklisted at", "found in"),
        "policy_rejection",
    ),
    _family(
        "spf-failed",
        r"\bSPF (?:check )?(?:failed|fail|failure|validation failed)\b|\bfailed SPF(?: check)?\b",
        ("SPF check failed", "SPF validation failed", "failed SPF", "SPF fail"),
        "policy_rejection",
    ),
    _family(
        "ptr",
        r"\bcannot find your hostname\b|\bno reverse DNS\b|\breverse DNS (?:lookup )?failed\b"
        r"|\bno PTR record\b|\b(?:has )?no rDNS\b",
        (
            "cannot find your hostname",
            "no reverse DNS",
            "reverse DNS lookup failed",
            "no PTR record",
        ),
        "dns_ptr_mismatch",
    ),
    _family(
        "auth-required",
        # (not .NET's fixed "or the client was not authenticated")
        r"\b(?:authentication|SMTP AUTH|auth) (?:is )?required\b|\bmust authenticate\b"
        r"|\bplease authenticate(?: first)?\b|(?<!client was )\bnot authenticated\b",
        (
            "authentication required",
            "authentication is required",
            "SMTP AUTH required",
            "must authenticate first",
        ),
        "authentication",
    ),
    _family(
        "mailbox-disabled",
        r"\b(?:mailbox|account|user)(?: account)? (?:is |has been )?(?:disabled|inactive|"
        r"suspended|deactivated)\b",
        (
            "mailbox disabled",
            "account is disabled",
            "mailbox inactive",
            "account suspended",
            "mailbox has been deactivated",
        ),
        "recipient",
    ),
    _family(
        "size-limit",
        r"\b(?:exceeds (?:the )?(?:maximum|max) (?:message )?size|message size limit exceeded"
        r"|message exceeds (?:the )?size limit|size exceeds (?:the )?limit)\b",
        (
            "exceeds maximum message size",
            "message size limit exceeded",
            "message exceeds the size limit",
        ),
        "message_size",
    ),
    _family(
        "refused-connect",
        r"\bConnection refused\b|\bconnection (?:was )?actively refused\b",
        ("Connection refused", "connection actively refused"),
        "firewall_block",
    ),
    _family(
        "unroutable",
        r"\b(?:Host|Domain) not found\b|\bno such domain\b|\bdomain (?:does not|doesn't) exist\b"
        r"|\bunrouteable (?:mail )?domain\b|\bunroutable (?:mail )?domain\b",
        ("Host not found", "domain does not exist", "unrouteable domain", "no such domain"),
        "dns_resolution",
    ),
    _family(
        "connection-limit",
        r"\btoo many (?:concurrent |simultaneous )?connections\b|\bconnection limit (?:exceeded|"
        r"reached)\b",
        (
            "too many connections",
            "too many concurrent connections",
            "connection limit exceeded",
        ),
        "rate_limited",
    ),
    _family(
        "spam-word",
        r"\b(?:suspected spam|spam detected|looks like spam|appears to be spam|"
        r"message (?:is |was )?spam)\b",
        ("suspected spam", "spam detected", "looks like spam", "appears to be spam"),
        "policy_rejection",
    ),
    _family(
        "dmarc",
        r"\bDMARC (?:policy|check|validation|verification) (?:failed|failure|violation)\b"
        r"|\bfailed DMARC\b|\bDMARC reject(?:ion)?\b",
        ("DMARC check failed", "DMARC policy violation", "failed DMARC", "DMARC validation failed"),
        "policy_rejection",
    ),
)


# The third round's families: greylisting, quotas, content and virus verdicts, TLS
# ciphers and certificates, DNS faults, a busy server.
FAMILIES_3 = (
    _family(
        "greylist",
        r"\bgreylist(?:ed|ing)(?: in action| in effect| active)?\b|\bgrey-listed\b",
        ("greylisted", "greylisting in action", "greylisting in effect"),
        "policy_rejection",
    ),
    _family(
        "sending-quota",
        r"\b(?:daily|hourly) (?:sending |message |user sending )?(?:quota|limit)"
        r" (?:exceeded|reached)|\bsending (?:quota|limit) (?:exceeded|reached)\b",
        ("daily sending quota exceeded", "daily sending limit reached", "sending limit exceeded"),
        "rate_limited",
    ),
    _family(
        "virus",
        r"\b(?:virus|malware) (?:was |has been )?(?:found|detected)\b|\binfected with\b",
        ("virus found", "virus detected", "malware detected"),
        "policy_rejection",
    ),
    _family(
        "cipher",
        r"\bno shared cipher\b|\bno cipher suites in common\b|\bno common cipher\b",
        ("no shared cipher", "no cipher suites in common", "no common cipher"),
        "tls_handshake_failure",
    ),
    _family(
        "cert-expired",
        # (not Go's fixed "x509: certificate has expired or is not yet valid")
        r"(?<!x509: )\bcertificate (?:has )?expired\b|\bexpired certificate\b",
        ("certificate has expired", "certificate expired", "expired certificate"),
        "tls_certificate",
    ),
    _family(
        "cert-name",
        r"\b(?:certificate|host ?name) (?:name )?mismatch\b"
        r"|\bdoes(?: not|n't) match (?:the )?host ?name\b",
        ("hostname mismatch", "certificate name mismatch", "does not match the host name"),
        "tls_certificate",
    ),
    _family(
        "self-signed",
        r"\bself[- ]signed certificate(?: in certificate chain)?\b",
        ("self-signed certificate", "self signed certificate in certificate chain"),
        "tls_certificate",
    ),
    _family(
        "dns-temp",
        r"\bTemporary failure in name resolution\b|\bDNS (?:lookup|query) (?:failed|failure)\b"
        r"|\bDNS timeout\b",
        ("Temporary failure in name resolution", "DNS lookup failed", "DNS query failed"),
        "dns_resolution",
    ),
    _family(
        "busy",
        r"\b(?:server|system|service) (?:is )?(?:too )?busy\b|\boverloaded\b",
        ("server busy", "system is busy", "server overloaded"),
        "service_unavailable",
    ),
)


# The fourth round's families: the prefix a server puts before its reason.
FAMILIES_4 = (
    _family(
        "recipient-prefix",
        r"\bRecipient address rejected:",
        ("RCPT rejected:", "Recipient rejected:", "Recipient address refused:"),
        "recipient",
        "policy_rejection",
        "dns_resolution",
    ),
    _family(
        "try-later",
        r"\b(?:please )?try again later\b|\bplease retry later\b|\btry later\b",
        ("try again later", "please retry later", "try later"),
        "service_unavailable",
        "rate_limited",
        "policy_rejection",
    ),
    _family(
        "local-error",
        r"\blocal error in processing\b|\blocal problem\b|\binternal (?:server )?error\b"
        r"|\btemporary local problem\b",
        ("local error in processing", "internal server error", "temporary local problem"),
        "service_unavailable",
    ),
    _family(
        "unreachable",
        r"\bNo route to host\b|\bNetwork is unreachable\b",
        ("No route to host", "Network is unreachable", "host unreachable"),
        "firewall_block",
    ),
    _family(
        "quota-order",
        r"\bover (?:storage |disk )?quota\b|\bquota exceeded\b",
        ("over storage quota", "storage quota exceeded", "over disk quota"),
        "recipient",
    ),
    _family(
        "closed-unexpectedly",
        r"\bconnection closed unexpectedly\b|\bclosed the connection unexpectedly\b",
        (
            "connection closed unexpectedly",
            "closed the connection unexpectedly",
            "disconnected unexpectedly",
        ),
        "connection_dropped",
    ),
    _family(
        "mailbox-unavailable",
        r"\bmailbox unavailable\b",
        ("mailbox not available", "mailbox currently unavailable"),
        "recipient",
    ),
    _family(
        "dnsbl-listed",
        r"\blisted (?:in|on|at|by)\b(?= (?:the )?(?:domain |zone )?[\w.-]+ as 127\.)",
        ("listed in", "listed on", "found on"),
        "policy_rejection",
    ),
    _family(
        "too-many-recipients",
        r"\btoo many recipients\b",
        ("recipient limit exceeded", "maximum number of recipients exceeded"),
        "policy_rejection",
        "rate_limited",
    ),
    _family(
        "dkim",
        r"\bDKIM (?:signature )?(?:verification )?(?:failed|failure|invalid)\b",
        ("DKIM verification failed", "DKIM signature invalid", "DKIM failure"),
        "policy_rejection",
    ),
    _family(
        "starttls-missing",
        r"\bSTARTTLS (?:is )?not (?:supported|offered|available)\b|\bdoes not support STARTTLS\b",
        ("STARTTLS not supported", "STARTTLS is not offered", "does not support STARTTLS"),
        "starttls_unavailable",
    ),
    _family(
        "reputation",
        r"\b(?:poor|bad|low) reputation\b",
        ("poor reputation", "bad reputation", "low reputation"),
        "policy_rejection",
    ),
    _family(
        "sender-prefix",
        r"\bSender address rejected:",
        ("Sender rejected:", "MAIL FROM rejected:", "Sender address refused:"),
        "policy_rejection",
        "authentication",
        "dns_resolution",
    ),
)


def _like(found: str, alternative: str) -> str:
    """The alternative in the found phrase's case (UPPER, Capitalised, as written)."""
    if found.isupper() and len(found) > 3:
        return alternative.upper()
    if found[:1].isupper() and alternative[:1].islower():
        return alternative[:1].upper() + alternative[1:]
    return alternative


# A bare reply: basic code, optional enhanced code, the text.
_BARE = re.compile(r"^([45]\d\d)([ -])(?:([245]\.\d{1,3}\.\d{1,3}) )?(\S.*)$", re.DOTALL)


def _structure(row: dict[str, str]) -> list[tuple[str, str]]:
    """Structural variants: where the code stands, what an MTA adds around the text."""
    text = row["text"]
    out = [("host-and-queue-id", f"{text} (mx3.example.net, queue 4F1A2B3C4D)")]
    m = _BARE.match(text)
    if m is not None and "\n" not in text:
        code, _, enhanced, rest = m.groups()
        if enhanced and not re.search(r"[(\[]#?\d\.\d", rest):
            out.append(("enhanced-code-at-end", f"{code} {rest} (#{enhanced})"))
        # A structured log that keeps the reply's parts in fields (maddy's).
        fields = {"msg_id": "4f1a2b3c", "smtp_code": int(code), "smtp_msg": rest}
        if enhanced:
            fields["smtp_enchcode"] = enhanced
        out.append(("code-in-json-fields", f"remote: delivery failed\t{json.dumps(fields)}"))
        # Servers that write their text in one case (old gateways shout).
        out.append(
            ("text-upper-case", f"{code} {enhanced + ' ' if enhanced else ''}{rest.upper()}")
        )
        out.append(
            ("text-lower-case", f"{code} {enhanced + ' ' if enhanced else ''}{rest.lower()}")
        )
        if row["category"] == "recipient" and "@" not in rest:
            out.append(
                (
                    "address-after-code",
                    f"{code} {enhanced + ' ' if enhanced else ''}<jo@example.org>: {rest}",
                )
            )
    return out


def _wordings(row: dict[str, str]) -> list[tuple[str, str]]:
    text = row["text"]
    out: list[tuple[str, str]] = []
    for fam in (*FAMILIES, *FAMILIES_2, *FAMILIES_3, *FAMILIES_4):
        if row["category"] not in fam.categories:
            continue
        m = fam.pattern.search(text)
        if m is None:
            continue
        for alt in fam.alternatives:
            new = _like(m.group(0), alt)
            if new.lower() != m.group(0).lower():
                out.append((fam.name, text[: m.start()] + new + text[m.end() :]))
    return out + _structure(row)


# --- shapes -----------------------------------------------------------------------------

_SYSLOG = re.compile(
    r"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*)"
    r"(?: <[a-z]+\.[a-z]+>)? (\S+) ([\w./-]+)(?:\[(\d+)\])?: (.*)$"
)
_EXIM_NATIVE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?(?: \[\d+\])? (.*)$"
)


@dataclass(frozen=True)
class Entry:
    """What a shape renders: the program, its pid, the message."""

    program: str
    pid: str
    message: str

    @property
    def tag(self) -> str:
        return f"{self.program}[{self.pid}]"


def _entry(row: dict[str, str]) -> Entry | None:
    text = row["text"]
    if "\n" in text:
        return None
    # (Exim's own "date time id ..." first: its message id would pass for a host.)
    m = _EXIM_NATIVE.match(text)
    if m is not None and "exim" in row["mta"]:
        return Entry("exim", "1234", m.group(1))
    m = _SYSLOG.match(text)
    if m is not None:
        return Entry(m.group(2), m.group(3) or "1234", m.group(4))
    return Entry("app", "4242", text)


def _traditional(e: Entry) -> str:
    return f"Dec  5 10:00:00 mail {e.tag}: {e.message}"


def _csv(fields: tuple[str, ...]) -> str:
    """One record as Event Viewer's "Save as CSV" writes it (quotes doubled)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


SHAPES: dict[str, Callable[[Entry], str]] = {
    "rsyslog-traditional": _traditional,
    "unpadded-day": lambda e: f"Mar 7 02:09:33 mail {e.tag}: {e.message}",
    "rsyslog-iso": lambda e: f"2026-12-05T10:00:00.123456+01:00 mail {e.tag}: {e.message}",
    "rfc3164-pri": lambda e: f"<22>Dec  5 10:00:00 mail {e.tag}: {e.message}",
    "rfc5424": lambda e: f"<22>1 2026-12-05T10:00:00.123Z mail {e.program} {e.pid} - - {e.message}",
    "freebsd-priority": lambda e: f"Dec  5 10:00:00 <mail.info> mail {e.tag}: {e.message}",
    "journal-short-precise": lambda e: f"Dec 05 10:00:00.123456 mail {e.tag}: {e.message}",
    "journal-json": lambda e: json.dumps(
        {
            "__REALTIME_TIMESTAMP": "1796464800123456",
            "_HOSTNAME": "mail",
            "SYSLOG_IDENTIFIER": e.program,
            "_PID": e.pid,
            "PRIORITY": "6",
            "MESSAGE": e.message,
        }
    ),
    "docker-compose": lambda e: f"mailserver-1  | {_traditional(e)}",
    "docker-json-file": lambda e: json.dumps(
        {"log": _traditional(e) + "\n", "stream": "stdout", "time": "2026-12-05T10:00:00.1Z"}
    ),
    "kubernetes-cri": lambda e: f"2026-12-05T10:00:00.123456789Z stdout F {_traditional(e)}",
    # (A container's own output: a syslog line where the MTA logs through syslog.)
    "kubectl-timestamps": lambda e: (
        f"2026-12-05T10:00:00.123456789Z {e.message if e.program == 'app' else _traditional(e)}"
    ),
    "ecs-json": lambda e: json.dumps(
        {
            "@timestamp": "2026-12-05T10:00:00.123Z",
            "log.level": "error",
            "process.name": e.program,
            "message": e.message,
        }
    ),
    "logfmt": lambda e: (
        f"time=2026-12-05T10:00:00Z level=error app={e.program} msg={json.dumps(e.message)}"
    ),
    "windows-event-csv": lambda e: _csv(
        ("Error", "12/5/2026 10:00:00 AM", e.program, "1000", "None", e.message)
    ),
}


def _shapes(row: dict[str, str], index: int, per_row: int = 5) -> list[tuple[str, str]]:
    """``per_row`` shapes per row, rotating so that every shape meets every kind of row."""
    e = _entry(row)
    if e is None:
        return []
    names = list(SHAPES)
    chosen = [names[(index * per_row + k) % len(names)] for k in range(per_row)]
    return [(name, SHAPES[name](e)) for name in chosen]


# --- scoring ----------------------------------------------------------------------------


def _score(kind: str) -> tuple[dict[str, list[int]], list[str]]:
    """Per family or shape: [category right, stage right, variants]; and the misses."""
    scores: dict[str, list[int]] = {}
    misses: list[str] = []
    for index, row in enumerate(_tune_rows()):
        if _right(row["text"], row) != (True, True):
            continue  # only rows the classifier gets right: the variant tests robustness
        variants = _wordings(row) if kind == "wording" else _shapes(row, index)
        for name, text in variants:
            cat, stage = _right(text, row)
            for key in (name, "all"):
                s = scores.setdefault(key, [0, 0, 0])
                s[0] += cat
                s[1] += stage
                s[2] += 1
            if not (cat and stage):
                c = classify(text)
                misses.append(
                    f"{name}: {text[:160]!r} -> {c.category.value}/{c.stage.value},"
                    f" want {row['category']}/{row['stage']}"
                )
    return scores, misses


# Variants right (category, stage) of all. Before any change for the harness (the
# engine of commit c9ff13d, this harness with both rounds' families): wording
# 3239/3364 and 3257/3364, shape 4136/4160 and 4139/4160. After the log pipelines'
# records (evidence/records.py) and the synonym classes (knowledge/synonyms.py):
# wording 3347 and 3332, shape 4160 and 4160 (docs/explain.md, "Session 6: the
# lines' wording and shapes").
# With the SIEM rulesets' collection's 24 tune rows and its classes: wording
# 3385/3402 and 3370/3402, shape 4280/4280 and 4280/4280. With the third round's
# families (before its one class, a sending limit in other words: 3422/3445 and
# 3410/3445): wording 3425/3443 and 3409/3443.
# With a structured log's reply fields (maddy's smtp_code/smtp_enchcode/smtp_msg;
# 200/206 and 201/206 of those variants before they were put back together on a
# line of their own): wording 3630/3649 and 3614/3649.
# With the fourth round's families (the prefix before a server's reason): wording
# 3774/3805 and 3770/3805.
# With "try again later" and local errors in other words (3844/3886 and 3849/3886
# before "retry later" and "try later" read as the server's state): 3853 and 3849.
# Session 6's second lines round, one class at a time: "host unreachable" (no route
# at connect): wording 3863/3896 and 3859/3896; the storage-quota words in their
# other orders (a full mailbox): 3923/3956 and 3919/3956; a connection closed or
# "disconnected unexpectedly" (a dropped one): 3925/3958 and 3921/3958; "mailbox not
# available" (a recipient, weak): 3955/3988 and 3951/3988; a block list's answer
# "listed/found in X as 127.0.0.x" (a listing): 3958/3991 and 3954/3991. ("Malformed
# address" as a recipient was added and reverted: it took a held-back bounce row below
# its floor; docs/explain.md, "Session 6, second lines round".) With the probe's
# families that needed no class (recipient limits, DKIM, STARTTLS missing,
# reputation): 3972/4005 and 3968/4005.
# Session 7 (its two collections' tune rows and classes): wording 4073/4112 and
# 4072/4112, shape 4495/4495; at its end (five collections): 4125/4165 and
# 4125/4165, shape 4590/4590. With the second lines round's collection and its
# classes: 4231/4275 and 4235/4275, shape 4675/4675; with its second collection and
# its classes: 4252/4297 and 4257/4297, shape 4700/4700.
# Session 8 (the session8-clients collection's tune rows and its classes): wording
# 4312/4359 and 4317/4359, shape 4820/4820; with its second collection
# (session8-clients-2) and its classes: 4344/4391 and 4349/4391, shape 4875/4875;
# with its MTA collection (session8-mtas) and its classes: 4360/4409 and 4365/4409,
# shape 4900/4900; with its applications' collection (session8-apps) and its class:
# 4367/4416 and 4372/4416, shape 4930/4930; with its local collection (session8-local)
# and its class: 4383/4432 and 4388/4432, shape 4970/4970; with its relays' collection
# (session8-relays) and its classes: 4396/4445 and 4401/4445, shape 4985/4985.
FLOORS = {"wording": (4396, 4401), "shape": (4985, 4985)}


@pytest.mark.parametrize("kind", ["wording", "shape"])
def test_line_variants_agree(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    scores, misses = _score(kind)
    with capsys.disabled():
        for name, (cat, stage, n) in sorted(scores.items()):
            print(f"\nline variants ({kind}) {name}: {n}, category {cat}/{n}, stage {stage}/{n}")
    cat, stage, n = scores["all"]
    assert n >= 1000
    assert cat >= FLOORS[kind][0], "\n".join(misses[:60])
    assert stage >= FLOORS[kind][1], "\n".join(misses[:60])


# --- the log pipelines' records, undone (evidence/records.py) ---------------------------

_LINE = "Dec  5 10:00:00 mail postfix/smtp[812]: 4F1A: to=<jo@example.org>, status=bounced"


@pytest.mark.parametrize(
    ("record", "line"),
    [
        # docker's json-file driver keeps the whole line, its newline escaped.
        (
            json.dumps({"log": _LINE + "\n", "stream": "stdout", "time": "2026-12-05T10:00:00Z"}),
            _LINE,
        ),
        # journalctl -o json: the program and pid come back as syslog's tag.
        (
            json.dumps({"SYSLOG_IDENTIFIER": "postfix/smtp", "_PID": "812", "MESSAGE": "4F1A: x"}),
            "postfix/smtp[812]: 4F1A: x",
        ),
        # An ECS record whose message is a bare reply: the reply alone.
        (
            json.dumps({"@timestamp": "t", "process.name": "mailer", "message": "550 5.1.1 No"}),
            "550 5.1.1 No",
        ),
        (f"mailserver-1  | {_LINE}", _LINE),
        (f"2026-12-05T10:00:00.123456789Z stderr F {_LINE}", _LINE),
        (f"2026-12-05T10:00:00.123456789Z {_LINE}", _LINE),
        (
            "<22>1 2026-12-05T10:00:00Z mail exim 77 - - 1tA ** a@b.c: x",
            "exim[77]: 1tA ** a@b.c: x",
        ),
        ("<22>1 2026-12-05T10:00:00Z mail app - - - 421 4.7.0 Try later", "421 4.7.0 Try later"),
        (f"<22>{_LINE}", _LINE),
        (
            'time=t level=error app=mailer msg="454 4.7.0 \\"TLS\\" not available"',
            '454 4.7.0 "TLS" not available',
        ),
        # Other keys keep their words, unescaped where they stand.
        (
            'time=t level=error msg="send failed" err="x509: \\"a\\""',
            'time=t level=error msg=send failed err=x509: "a"',
        ),
        (
            'Error,12/5/2026 10:00:00 AM,MailApp,1000,None,"Failure: ""quoted"", 451"',
            'MailApp: Failure: "quoted", 451',
        ),
        ("Dec  5 10:00:00 web node[3]: 550 5.7.1 Relaying denied", "550 5.7.1 Relaying denied"),
        # Left alone: a plain line, an MTA's line, a JSON document of another kind.
        (_LINE, _LINE),
        ('{"error": "550 5.1.1 unknown"}', '{"error": "550 5.1.1 unknown"}'),
        # A service's JSON that keeps the code beside the text is no log record.
        ('{"code": 550, "message": "5.1.1 unknown"}', '{"code": 550, "message": "5.1.1 unknown"}'),
        (
            "2026-12-05T10:00:00.123456+01:00 mail postfix/smtp[1]: x",
            "2026-12-05T10:00:00.123456+01:00 mail postfix/smtp[1]: x",
        ),
        # A structured log's reply fields: the reply put back together after it.
        (
            'remote: failed {"smtp_code":550,"smtp_enchcode":"5.1.1","smtp_msg":"No \\"x\\""}',
            'remote: failed {"smtp_code":550,"smtp_enchcode":"5.1.1","smtp_msg":"No \\"x\\""}'
            '\n550 5.1.1 No "x"',
        ),
    ],
)
def test_unrecord_gives_the_line_back(record: str, line: str) -> None:
    assert unrecord(record) == line


# --- the synonym classes (knowledge/synonyms.py), on texts written for the purpose ------


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # Relaying refused in any verb; "denied" stays with the generic table.
        ("550 5.7.1 Relaying refused for <b@example.net>", "policy_rejection", "rcpt_to"),
        ("554 mail relay blocked", "policy_rejection", "rcpt_to"),
        # The sender refused (not Postfix's "Sender address rejected:" prefix: its reason decides).
        ("553 5.7.1 Envelope sender refused", "policy_rejection", "mail_from"),
        ("554 5.1.0 Sender refused", "policy_rejection", "mail_from"),
        # The message refused by a policy, in any verb.
        ("554 5.7.1 Message refused due to local policy", "policy_rejection", "message"),
        ("550 Email blocked by spam filter", "policy_rejection", "message"),
        # The client refused: its IP, a block list named after any verb.
        ("550 Access from IP address 192.0.2.7 blocked", "policy_rejection", "none"),
        ("554 Denied for security reasons", "policy_rejection", "none"),
        (
            "554 Service unavailable; Client host [192.0.2.7] refused using bl.example.net",
            "policy_rejection",
            "none",
        ),
        # A recipient that does not exist, in other nouns; the phrase outranks the code.
        ("550 5.1.2 Unknown mailbox", "recipient", "rcpt_to"),
        ("550 5.7.1 Account does not exist", "recipient", "rcpt_to"),
        ("550 Non-existent recipient <b@example.net>", "recipient", "rcpt_to"),
        # ... but a login's "invalid account or password" is no recipient.
        ("535 Invalid account or password", "authentication", "auth"),
        ("552 5.2.2 Mailbox storage limit exceeded", "recipient", "rcpt_to"),
        # Time-out written with a hyphen; a connect's is the connect's.
        (
            "connect to mx.example.net[192.0.2.7]:25: Connection time-out",
            "firewall_block",
            "connect",
        ),
        ("421 4.4.2 mx.example.net Error: time-out exceeded", "network_timeout", "none"),
        (
            "451 4.4.1 Connection time-out (in reply to MAIL FROM command)",
            "network_timeout",
            "mail_from",
        ),
        ("530 5.7.0 SSL required", "starttls_unavailable", "none"),
        ("SSL handshake error: wrong version number", "tls_handshake_failure", "tls_handshake"),
        ("4.7.320 Certificate validation failed", "tls_certificate", "tls_handshake"),
        ("451 4.3.2 Service not available, try again later", "service_unavailable", "none"),
        (
            "450 4.1.2 <b@example.net>: Recipient address rejected: Host or domain name not found",
            "dns_resolution",
            "rcpt_to",
        ),
        ("554 Denied.", "policy_rejection", "none"),
        # The second round: other words for a domain that does not route, a refused
        # connect, a connection limit; a command's name only as a word.
        (
            "550 5.1.2 <b@example.net>: Recipient address rejected: Domain does not exist",
            "dns_resolution",
            "rcpt_to",
        ),
        ("b@example.net: unrouteable domain", "dns_resolution", "dns"),
        (
            "stat=Deferred: Connection actively refused by mx.example.net.",
            "firewall_block",
            "connect",
        ),
        ("421 4.7.0 too many concurrent connections from 192.0.2.7", "rate_limited", "none"),
        ("421 Connection limit reached for your IP", "rate_limited", "none"),
        ("554 5.7.1 EMAIL REJECTED BY CONTENT FILTER", "policy_rejection", "message"),
        ("550 5.4.5 Sending limit exceeded for this account", "rate_limited", "none"),
        ("451 4.7.1 Service unavailable - please retry later", "service_unavailable", "none"),
        ("421 4.7.0 Please retry later, closing connection.", "service_unavailable", "none"),
        ("connect to mx.example.net[192.0.2.7]:25: host unreachable", "firewall_block", "connect"),
        ("smtp; destination unreachable (mx.example.org)", "firewall_block", "connect"),
        ("addr 192.0.2.7 found on zone bl.example.net as 127.0.0.2", "policy_rejection", "none"),
        (
            "client 198.51.100.9 listed in dnsbl.example.org as 127.0.0.4",
            "policy_rejection",
            "none",
        ),
        ("550 Requested action not taken: mailbox not available", "recipient", "rcpt_to"),
        ("550 <d@example.net>: Mailbox is not available", "recipient", "rcpt_to"),
        # weak: a policy code beside it decides
        ("550 5.7.1 mailbox not available: message refused as spam", "policy_rejection", "message"),
        (
            "smtp-out: Error on session 1a2b: disconnected unexpectedly",
            "connection_dropped",
            "none",
        ),
        (
            "relay.example.net: remote server closed the connection unexpectedly",
            "connection_dropped",
            "none",
        ),
        ("552 5.2.2 Message would exceed mailbox storage quota", "recipient", "rcpt_to"),
        ("452 4.2.2 <c@example.net>: user is over storage quota", "recipient", "rcpt_to"),
        ("550 the account has reached its disk storage quota", "recipient", "rcpt_to"),
        # The prefix a server puts before its reason: the reason decides.
        (
            "554 5.7.1 <b@example.net>: Recipient rejected: Access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        ("550 5.7.1 <b@example.net>: RCPT rejected: Nonexistent user", "recipient", "rcpt_to"),
        (
            "553 5.7.1 <a@example.net>: Sender rejected: not logged in",
            "authentication",
            "mail_from",
        ),
        (
            "553 5.7.1 <a@example.net>: MAIL FROM refused: not owned by user x",
            "policy_rejection",
            "mail_from",
        ),
        (
            'smtp: RCPT error {"smtp_code":550,"smtp_enchcode":"5.7.1","smtp_msg":"Relay refused"}',
            "policy_rejection",
            "rcpt_to",
        ),
        # Receiving-side log lines (the SIEM rulesets' collection's classes).
        (
            "Dec  5 10:00:00 mx postfix/smtpd[7]: warning: bl.example.net: RBL lookup error: "
            "Host or domain name not found",
            "dns_resolution",
            "dns",
        ),
        (
            "Dec  5 10:00:00 mx postfix/smtpd[7]: warning: 192.0.2.7: hostname a.example.net "
            "verification failed: Name or service not known",
            "dns_ptr_mismatch",
            "connect",
        ),
        (
            "warning: Illegal address syntax from unknown[192.0.2.7] in MAIL command: <a@b@c>",
            "policy_rejection",
            "mail_from",
        ),
        (
            "warning: Illegal address syntax from unknown[192.0.2.7] in RCPT command: <x@>",
            "recipient",
            "rcpt_to",
        ),
        (
            "sm-mta[9]: 1A2B3C: rejecting commands from mx.example.net [192.0.2.7] due to "
            "pre-greeting traffic after 0 seconds",
            "policy_rejection",
            "greeting",
        ),
        (
            "milter[9]: sender check tempfailed: <a@example.net>, 192.0.2.7",
            "policy_rejection",
            "mail_from",
        ),
        ("milter[9]: sender verification failed: <a@example.net>", "policy_rejection", "mail_from"),
        (
            "2026-12-05 10:00:00 SMTP connection from [192.0.2.7]:4123 lost",
            "connection_dropped",
            "none",
        ),
        ("550 Rejected (mx3.example.net)", "policy_rejection", "none"),
    ],
)
def test_synonyms_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 7's classes, found on the tune rows of the "session7-apps" collection
# (applications' and relays' own words for known causes), each on texts written
# for the purpose.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # "Connection refused" in other word orders; weak: a reply code beside it decides.
        ("Error: the mail host refused the connection (port 587)", "firewall_block", "connect"),
        ("connect(): the connection was refused by 192.0.2.25", "firewall_block", "connect"),
        ("SendMail failed: connection has been actively refused", "firewall_block", "connect"),
        (
            "554 5.7.1 your IP is blocklisted, we refused the connection",
            "policy_rejection",
            "none",
        ),
        # The other end named before "closed connection".
        (
            "[outbound] Remote host 192.0.2.9:25 closed connection mid-session",
            "connection_dropped",
            "none",
        ),
        ("smtp: peer closed the connection while sending", "connection_dropped", "none"),
        ("mailer: server has closed the connection", "connection_dropped", "none"),
        # A TLS session the application could not set up.
        (
            "SMTP: failed to establish a TLS connection: EOF",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "Mailer: unable to start SSL connection to smtp.example.net:465",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        ("notify: TLS connection failed (handshake)", "tls_handshake_failure", "tls_handshake"),
        # Every recipient refused; weak: a quoted reason decides.
        ("Error: all recipients were refused", "recipient", "rcpt_to"),
        ("send failed: all the recipients have been rejected", "recipient", "rcpt_to"),
        (
            "Error: all recipients were rejected: 554 5.7.1 <x@example.org>: Relay access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        # An IMAP or POP3 server answered where SMTP was expected.
        ("smtp dial: short response: * OK IMAP4rev1 Service Ready", "other", "greeting"),
        ("smtplib.SMTPConnectError: (-1, b'+OK POP3 server ready')", "other", "greeting"),
        ("* OK [CAPABILITY IMAP4rev1 IDLE STARTTLS] server ready", "other", "greeting"),
        # nodemailer's command key as JSON writes it (DATA: the message's end, for a
        # content refusal, as its command: 'DATA' reads).
        (
            '{"code":"EENVELOPE","response":"501 5.1.3 Bad recipient address syntax",'
            '"command":"RCPT TO"}',
            "recipient",
            "rcpt_to",
        ),
        (
            '{"code":"EMESSAGE","response":"554 5.7.1 Message rejected as spam","command":"DATA"}',
            "policy_rejection",
            "message",
        ),
        (
            '{"code":"EAUTH","response":"535 5.7.8 Bad credentials","command":"AUTH PLAIN"}',
            "authentication",
            "auth",
        ),
        # An event named after the failed command, DATA too.
        (
            'smtp: DATA error {"reason":"Requested action not taken: mailbox unavailable"}',
            "recipient",
            "data",
        ),
        # libcurl's CURLE_LOGIN_DENIED as applications print it.
        ("Mailer: libcurl: (67)\nError: Login denied", "authentication", "auth"),
        ("curl_easy_perform() failed: Login denied", "authentication", "auth"),
        ("send mail: CURLE_LOGIN_DENIED", "authentication", "auth"),
        # Relay words with a copula.
        ("550 5.7.1 Relaying is not allowed", "policy_rejection", "rcpt_to"),
        ("554 relay is prohibited for this client", "policy_rejection", "rcpt_to"),
        # HELO names that should be fully qualified.
        ("550 HELO must be a fully-qualified domain name", "policy_rejection", "ehlo"),
        ("501 EHLO argument should be an FQDN", "policy_rejection", "ehlo"),
        # Relay denied in other languages, and a localised client's recipient frame.
        ("550 <a@example.org>... Retransmissão negada", "policy_rejection", "rcpt_to"),
        ("553 Reencaminhamento não permitido", "policy_rejection", "rcpt_to"),
        ("550 5.7.1 Retransmisión denegada", "policy_rejection", "rcpt_to"),
        ("550 5.7.1 Relais refusé", "policy_rejection", "rcpt_to"),
        ("550 Relaying verweigert", "policy_rejection", "rcpt_to"),
        ("550 5.7.1 Relay negato", "policy_rejection", "rcpt_to"),
        (
            "The message could not be sent because one of the recipients was rejected by the "
            "server. Server Response: '550 5.1.1 User unknown', Port: 25",
            "recipient",
            "rcpt_to",
        ),
        (
            "Um dos destinatários foi rejeitado pelo servidor. Resposta do Servidor: "
            "'550 5.7.1 Access denied'",
            "policy_rejection",
            "rcpt_to",
        ),
        # Go mailers name the command (gomail's "Rcpt: 550", go-mail's "failed to
        # issue RCPT command"); "E-Mail:" is no command.
        ("gomail: could not send email 1: Rcpt: 550 5.1.1 no such user", "recipient", "rcpt_to"),
        (
            "failed to issue RCPT command: 554 5.7.1 <a@example.org>: Relay access denied",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "failed to issue DATA command: 451 4.3.0 Temporary system problem",
            "service_unavailable",
            "data",
        ),
        ("Sending E-Mail: 550 5.1.1 <x@example.org> user unknown", "recipient", "rcpt_to"),
        # nodemailer's stack frames name the command.
        (
            "Error: Invalid login: 503 5.5.1 Error: authentication not enabled\n"
            "    at SMTPConnection._actionAUTHComplete (index.js:1340:34)",
            "authentication",
            "auth",
        ),
        (
            "Error: 553 5.7.1 <a@example.org>: Sender address rejected: not owned by user\n"
            "    at SMTPConnection._actionMAIL (index.js:1:1)",
            "policy_rejection",
            "mail_from",
        ),
        # An application's own words for a refused login; weak.
        ("Login not possible. Please check your credentials", "authentication", "auth"),
        ("mailer: could not log in to smtp.example.net", "authentication", "auth"),
        # RFC 4954's temporary authentication failure is the server's fault.
        (
            "454 4.7.0 Temporary authentication failure: could not log in",
            "service_unavailable",
            "auth",
        ),
        ("435 Unable to authenticate at present", "service_unavailable", "auth"),
        # No AUTH mechanism in common: AUTH was never sent (read at EHLO).
        (
            "EmailSendFailed: internal client error: No compatible authentication mechanism "
            "was found",
            "authentication",
            "auth",
        ),
        # OpenSSL's "http request", not an application's.
        (
            "error:1408F09C:SSL routines:ssl3_get_record:http request",
            "tls_handshake_failure",
            "tls_handshake",
        ),
        (
            "while processing the HTTP request: connection refused by 192.0.2.25",
            "firewall_block",
            "connect",
        ),
        # Python smtplib's frames for MAIL, RCPT and QUIT.
        (
            '  File "smtplib.py", line 473, in mail\n    self.putcmd("mail", "FROM:<a@b>")\n'
            "SMTPServerDisconnected: please run connect() first",
            "connection_dropped",
            "mail_from",
        ),
        (
            '  File "smtplib.py", line 877, in rcpt\n    return self.getreply()\n'
            "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
            "connection_dropped",
            "rcpt_to",
        ),
        (
            '  File "smtplib.py", line 756, in quit\n    res = self.docmd("quit")\n'
            "SMTPServerDisconnected: please run connect() first",
            "connection_dropped",
            "quit",
        ),
        # Go's PlainAuth refuses to send a password in the clear.
        (
            "notify: error authenticating: unencrypted connection",
            "starttls_unavailable",
            "auth",
        ),
        (
            "SendMail: Failed to authenticate on SMTP server, unencrypted connection",
            "starttls_unavailable",
            "auth",
        ),
        (
            # (Exim's fallback to an unencrypted delivery is no refused login)
            "TLS session: (certificate verification failed): delivering unencrypted to "
            "H=mx.example.net [192.0.2.1] (not in hosts_require_tls)",
            "tls_certificate",
            "tls_handshake",
        ),
        # A refused login in a provider's words and in a library's translations.
        (
            "Error sending email: Login Fail. Please enter your authorization code",
            "authentication",
            "auth",
        ),
        ("邮件发送失败：SMTP 错误：登录失败。", "authentication", "auth"),
        ("Mailer Error: SMTP-Fehler: Authentifizierung fehlgeschlagen.", "authentication", "auth"),
        ("Erreur SMTP : échec de l'authentification.", "authentication", "auth"),
        ("Erro de SMTP: Não foi possível autenticar.", "authentication", "auth"),
        ("Ошибка SMTP: ошибка авторизации.", "authentication", "auth"),
        ("SMTPエラー: 認証できませんでした。", "authentication", "auth"),
    ],
)
def test_session7_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 7's second lines round (docs/explain.md, "Session 7: MTAs' and relays' log
# lines, providers' replies"): each class on texts written for the purpose, with the
# precedence it needs (its words over the X.4.x code's reading; the Rust clients'
# arrows name the command the refusal answered, not an earlier one).
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A source the provider holds for a spammer, whatever the code's class.
        (
            "550 Your server is registered as a spammer in our reject list",
            "policy_rejection",
            "none",
        ),
        ("450 Transaction failed (SPAM_SUSPECT:IP_CONTROL)", "policy_rejection", "none"),
        (
            "421 4.3.2 Your IP address (198.51.100.7) is filtered; register it at "
            "http://postmaster.example.kr",
            "policy_rejection",
            "none",
        ),
        # ... and not where the words say otherwise.
        (
            "Your IP address 192.0.2.1 is not filtered here: 550 5.1.1 User unknown",
            "recipient",
            "rcpt_to",
        ),
        # A busy network, a failed DNS lookup, an I/O timeout, a size limit in short words.
        (
            "421 4.4.1 mx1.example.kr: Network is busy, try again later",
            "service_unavailable",
            "none",
        ),
        ("451 4.4.0 DNS resolution failure for example.org", "dns_resolution", "dns"),
        (
            "Mar  1 10:00:00 mx postfix/smtp[1]: AB12: to=<a@example.org>, relay=none, "
            "delay=1, status=deferred (DNS resolve error for example.org)",
            "dns_resolution",
            "dns",
        ),
        (
            "451 4.4.2 Bad connection (io timeout) while reading the reply",
            "network_timeout",
            "none",
        ),
        (
            "552 The length of DATA content has reached the maximum allowed",
            "message_size",
            "message",
        ),
        # Exchange Online's own temporary error, over X.4.4's "unable to route".
        (
            "451 4.4.4 Temporary server error. Please try again later. ATTR35 "
            "[BN8NAM11FT045.eop-nam11.prod.protection.outlook.com]",
            "service_unavailable",
            "none",
        ),
        # A domain without MX records the sender will not deliver to; a sender's own
        # connection cap.
        (
            "Sorry, the host named mail.example.org does not have any MX records, and "
            "delivery without MX records prohibited by local policy. (#5.1.0)",
            "dns_resolution",
            "dns",
        ),
        ("deferral: example.org doesn't have any MX records", "dns_resolution", "dns"),
        (
            "Deferred: all connection backlog slots are in use for example.org",
            "rate_limited",
            "none",
        ),
        ("421 4.7.0 Max concurrent connections from your IP reached", "rate_limited", "none"),
        # Rust clients' debug arrows: the command the refusal answered.
        (
            "[2024-01-02T03:04:05Z DEBUG lettre::transport::smtp::client::connection] >> "
            "RCPT TO:<a@example.org>\n[2024-01-02T03:04:05Z DEBUG "
            "lettre::transport::smtp::client::connection] << 550 5.1.1 No such user",
            "recipient",
            "rcpt_to",
        ),
        (
            "[DEBUG async_smtp::smtp::client::inner] >> MAIL FROM:<a@example.org>\n"
            "[DEBUG async_smtp::smtp::client::inner] << 250 2.1.0 Ok\n"
            "[DEBUG async_smtp::smtp::client::inner] >> RCPT TO:<b@example.net>\n"
            "[DEBUG async_smtp::smtp::client::inner] << 550 5.1.1 No such user",
            "recipient",
            "rcpt_to",
        ),
        (
            "[DEBUG async_smtp::smtp::client::inner] >> MAIL FROM:<a@example.org>\n"
            "[DEBUG async_smtp::smtp::client::inner] << 553 5.7.1 Sender address rejected: "
            "not owned by user",
            "policy_rejection",
            "mail_from",
        ),
    ],
)
def test_session7_mta_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 8's classes (docs/explain.md, "Session 8: mail clients' own words"), on texts
# written for the purpose: mail clients' and small mailers' words, and their precedence.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # A mail client's own words for a connection it could not open, a lost
        # connection, a host it could not find.
        (
            "The message could not be sent because connecting to Outgoing server (SMTP) "
            "mail.example.net failed. The server may be unavailable.",
            "firewall_block",
            "connect",
        ),
        (
            "Connection attempt timed out, giving up on mail.example.net",
            "firewall_block",
            "connect",
        ),
        (
            "Sending failed: the connection to mail.example.net:587 was lost while sending",
            "connection_dropped",
            "none",
        ),
        ("SMTP session failed: write error", "connection_dropped", "none"),
        ("Outgoing server (SMTP) relay.example.org is unknown.", "dns_resolution", "dns"),
        ('Could not find the host "relay.example.org"', "dns_resolution", "dns"),
        # Logins in a mail client's words; no mechanism in common is read at EHLO, as
        # the libraries' words for it; AUTH refused as a command is at AUTH.
        (
            "Unable to authenticate to Outgoing server (SMTP) mx.example.org. Check the password.",
            "authentication",
            "auth",
        ),
        ("The server does not allow plaintext passwords.", "authentication", "auth"),
        ("Kerberos ticket was not accepted by mx.example.org", "authentication", "auth"),
        ("mutt: No authenticators available", "authentication", "auth"),
        (
            "Error: dial failed: server does not support SMTP AUTH type: CRAM-MD5",
            "authentication",
            "auth",
        ),
        (
            "Unable to authenticate to Outgoing server (SMTP) mx.example.org. It does not "
            "support authentication (SMTP-AUTH).",
            "authentication",
            "auth",
        ),
        ('AUTH PLAIN\n502 5.5.2 Error: command "AUTH" not recognized', "authentication", "auth"),
        ("503 5.5.1 Error: authentication not enabled", "authentication", "auth"),
        # ... a login refused with a reason that is the server's own stays the server's.
        (
            "454 4.7.0 Temporary authentication failure: AUTH not enabled right now",
            "service_unavailable",
            "auth",
        ),
        # STARTTLS not advertised; a size over the announced limit.
        (
            "Unable to establish a secure link with mx.example.org using STARTTLS since it "
            "doesn't advertise that feature.",
            "starttls_unavailable",
            "starttls",
        ),
        ("Your message exceeds the global size limit of the server.", "message_size", "message"),
        # Commands named in a client's words; a 503 out of order at STARTTLS is the
        # client's sequence, not TLS switched off (other refusals there still are).
        (
            "msmtp: envelope from address a@example.org not accepted by the server\n"
            "msmtp: server message: 553 5.7.1 Sender address rejected: not owned by user",
            "policy_rejection",
            "mail_from",
        ),
        (
            "msmtp: recipient address b@example.net not accepted by the server\n"
            "msmtp: server message: 550 5.1.1 No such user here",
            "recipient",
            "rcpt_to",
        ),
        (
            "The server requires a secure connection or the client is not authenticated. "
            "The server response is: 5.7.0 Authentication required",
            "authentication",
            "mail_from",
        ),
        # (.NET's wrapper in other words; the reply inside decides, "a" or not)
        (
            "the SMTP server requires secure connection or client was not authenticated. "
            "Server response: 5.7.0 must issue STARTTLS command first",
            "starttls_unavailable",
            "mail_from",
        ),
        (
            "SMTP server did not accept STARTTLS with error: 503 5.5.1 Send EHLO first",
            "other",
            "starttls",
        ),
        (
            "SMTP server did not accept STARTTLS with error: 554 5.7.0 TLS not available",
            "starttls_unavailable",
            "starttls",
        ),
        (
            "SMTP server did not accept password with error: 535 5.7.8 Bad credentials",
            "authentication",
            "auth",
        ),
        # A client's bare "not accepted" for a recipient; a reply beside it decides.
        ("Mailer: RCPT TO:<c@example.com> not accepted", "recipient", "rcpt_to"),
        ("RCPT TO not accepted: 452 4.5.3 Too many recipients", "rate_limited", "rcpt_to"),
        # Java: the socket's connect frame is the connect; openServer's read is the greeting.
        (
            "javax.mail.MessagingException: Could not send mail\n"
            "\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n"
            "\tat java.base/sun.nio.ch.Net.connect(Net.java:579)",
            "firewall_block",
            "connect",
        ),
        (
            "jakarta.mail.MessagingException: Exception reading response; nested exception is: "
            "java.net.SocketTimeoutException: Read timed out\n"
            "\tat org.eclipse.angus.mail.smtp.SMTPTransport.readServerResponse("
            "SMTPTransport.java:2441)\n"
            "\tat org.eclipse.angus.mail.smtp.SMTPTransport.openServer(SMTPTransport.java:2139)",
            "network_timeout",
            "greeting",
        ),
        # Dovecot's back end lost behind a 535 is no connect failure: the reply is AUTH's.
        (
            "<- 535 5.7.8 Error: authentication failed: Connection lost to authentication server",
            "authentication",
            "auth",
        ),
    ],
)
def test_session8_client_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 8's second collection (webmail, desktop and phone clients): its classes on
# texts written for the purpose.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("Error while connecting to the mail server smtp.example.org", "firewall_block", "connect"),
        ("Could not connect to your outgoing (SMTP) e-mail server.", "firewall_block", "connect"),
        # ... a reason beside it decides.
        (
            "Cannot connect to SMTP server mail.example.org: Connection timed out",
            "firewall_block",
            "connect",
        ),
        (
            "Unable to connect to the SMTP server: 421 4.7.0 Too many connections from your IP",
            "rate_limited",
            "connect",
        ),
        # Perl's MIME::Lite and Email::Sender in their words.
        ("SMTP Failed to connect to mail server: at Lite.pm line 12.", "firewall_block", "connect"),
        (
            "unable to establish SMTP connection to (mx.example.org) port 25",
            "firewall_block",
            "connect",
        ),
        ("Mail app: sender address not accepted", "policy_rejection", "mail_from"),
        (
            "originator not accepted: 553 5.7.1 Sender address rejected: not owned by user",
            "policy_rejection",
            "mail_from",
        ),
        ("Sending mail is not permitted for this account.", "policy_rejection", "none"),
        (
            "The recipient was refused because the server doesn't allow relaying.",
            "policy_rejection",
            "rcpt_to",
        ),
        (
            "Error 0x800CCC80: None of the authentication methods supported by this client are "
            "supported by your server.",
            "authentication",
            "auth",
        ),
        # A client's trace: its end of the data, then the error.
        ("C: .\nS: 554 5.7.1 Message rejected as spam", "policy_rejection", "message"),
        ("C: .\n>> ERROR: timed out waiting for the server", "network_timeout", "message"),
    ],
)
def test_session8_webmail_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 8's MTA collection (OpenSMTPD's relay lines, hMailServer's documented
# replies): its classes on texts written for the purpose, and what they leave alone.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("421 Connection timeout - closing", "network_timeout", "none"),
        # (a connect's own timeout stays the connect's)
        (
            "connect to mx.example.org[192.0.2.7]:25: Connection timeout",
            "firewall_block",
            "connect",
        ),
        ("501 HELO: invalid hostname given", "policy_rejection", "ehlo"),
        ("550 EHLO foo_bar invalid domain name", "policy_rejection", "ehlo"),
        ("503 Use HELO/EHLO first", "other", "mail_from"),
    ],
)
def test_session8_mta_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 8's local collection (the host's own mail system): its class on texts written
# for the purpose, and what it leaves alone.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        (
            "postfix/postdrop[4711]: warning: unable to look up public/pickup: No such file",
            "service_unavailable",
            "none",
        ),
        (
            "postfix/master[9]: warning: master_wakeup_timer_event: service "
            "qmgr(public/qmgr): Bad file",
            "service_unavailable",
            "none",
        ),
        (
            "postqueue: fatal: Queue report unavailable - mail system is down: No such "
            "file or directory",
            "service_unavailable",
            "none",
        ),
        (
            "dovecot: lmtp(a@example.org): Fatal: Out of memory (service lmtp { vsz_limit=256 "
            "MB })",
            "service_unavailable",
            "none",
        ),
        # (a missing file of a mailbox is no broken mail system)
        ("sendmail: cannot open /home/a/.forward: No such file or directory", "other", "none"),
    ],
)
def test_session8_local_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


# Session 8's relays collection: its classes on texts written for the purpose.
@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        ("Error: SMTP server not available at relay.example.net:587", "firewall_block", "connect"),
        # (the From: header judged against the account's verified senders: the message,
        # as lines.jsonl's SendGrid row labels it, since session 12's message words)
        (
            "550 The from address does not match a verified Sender Identity for this key",
            "policy_rejection",
            "message",
        ),
        ("550 From/Sender address is not valid for this server", "policy_rejection", "mail_from"),
        # Swift Mailer's trace: its ">> ." then the refusal is the end of the data.
        (
            ">> DATA << 354 Go ahead >> . << 554 5.7.1 Message rejected as spam",
            "policy_rejection",
            "message",
        ),
    ],
)
def test_session8_relay_classes_read_as_their_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
