"""Which log format a file is in, from its first lines.

The first block of a file (64 KiB is plenty) is scored against each known
format; the format with the most characteristic lines wins. Syslog files
are told apart by program name (``postfix/…`` vs ``sendmail``/``sm-mta``).
"""

from __future__ import annotations

import re

from smtpdoctor.logs.prefix import unwrapper_for
from smtpdoctor.logs.records import Records, record_layout

__all__ = ["FORMATS", "detect_format"]

# Public names, also accepted by --log-format.
FORMATS = (
    "postfix",
    "journal-json",
    "exim",
    "sendmail",
    "opensmtpd",
    "exchange-tracking",
    "exchange-protocol",
    "m365-trace",
)

_SYSLOG = re.compile(
    rb"^(?:<\d{1,3}>)?(?:1 )?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    rb" +\S+ +([^\s\[]+)"
)
_EXIM = re.compile(
    rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?(?: \[\d+\])? "
    rb"(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} |Start queue run|End queue run|"
    rb"exim |TLS error|SMTP |H=|no host name found|Connection)"
)
# Exim's own line: "date time [pid] ..." with no "host program[pid]:" after it.
_EXIM_LOOSE = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})? ")
_SYSLOG_PROG = re.compile(rb"^\S+ \S+(?: [+-]\d{4})? \S+ [^\s\[]+\[\d+\]: ")
_SNIFF_LINES = 200
# OpenSMTPD's own message: a session's ("<16 hex> smtp connected address=…", "<16 hex>
# mta delivery evpid=…"; 6.0-6.3: "<16 hex> smtp event=connected …"), or 5.x's
# ("smtp-in: …", "smtp-out: …", "relay: TempFail for <16 hex>: …")
_OPENSMTPD_MESSAGE = (
    rb"(?:[0-9a-f]{16} (?:smtp|mta|mda) [a-z=-]+(?: |$)|smtp-(?:in|out): "
    rb"|[a-z]+: (?:Ok|TempFail|PermFail|Loop|Expire|Remove) for [0-9a-f]{16}: )"
)
# ... written alone (smtpd -d writes to stderr, no header), maybe behind a wrapper's
# time ("<time> - <message>": a container runtime's, svlogd's; docker logs -t's
# "<time> <message>")
_OPENSMTPD_FOREGROUND = re.compile(rb"^(?:\d{4}-\d\d-\d\dT\S+ (?:- )?)?" + _OPENSMTPD_MESSAGE)
# ... under a tag other than smtpd's: OpenSMTPD portable's processes log under their
# process titles (5.x: "transfer[pid]:", "delivery[pid]:"; 6.7 under systemd: the title
# after the tag, "smtpd[pid]: y express[pid]: …", "journal[pid]: y express[pid]: …")
_OPENSMTPD_TAGGED = re.compile(rb"(?:\[\d+\])?: (?:[\w .-]{1,40}\[\d+\]: )?" + _OPENSMTPD_MESSAGE)
# A protocol log line without its header: time, connector, a 16-hex-digit session
# id, a sequence number, two endpoints, then the event (+ - < > *).
_PROTOCOL_ROW = re.compile(
    rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z,[^,]*,[0-9A-F]{16},\d+,[^,]*,[^,]*,[-+<>*],"
)
# A message tracking line of a file without its "#Fields:" header (cut, or
# shipped line by line): ISO time first, then the 2013+ columns, whose 8th and
# 9th are the source and the event.
_TRACKING_ROW = re.compile(
    rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z,(?:[^,\"]*|\"(?:[^\"]|\"\")*\"),"
    rb"(?:(?:[^,\"]*|\"(?:[^\"]|\"\")*\"),){5}"
    rb"(?:SMTP|STOREDRIVER|ROUTING|AGENT|DSN|GATEWAY|MAILBOXRULE|SAFETYNET|ADMIN|APPROVAL"
    rb"|QUEUE|MEETINGMESSAGEPROCESSOR|PUBLICFOLDER|ORAR|BOOKINGAGENT|DNS),[A-Z]+,"
)


def detect_format(head: bytes) -> str | None:
    """The format of a file that starts with ``head``, or None if unknown."""
    text = head.lstrip(b"\xef\xbb\xbf")
    layout = record_layout(text)
    if layout is not None:
        text = Records(layout)(text)  # (journalctl's other layouts: as -o json's lines)
    unwrap = unwrapper_for(text)
    if unwrap:
        text = unwrap(text)
    lines = [ln.rstrip(b"\r") for ln in text.split(b"\n")[:_SNIFF_LINES] if ln.strip()]
    if not lines:
        return None
    return _csv_format(lines) or _line_format(lines)


def _csv_format(lines: list[bytes]) -> str | None:
    """Exchange and Microsoft 365 CSV files, told by their header lines."""
    lowered = b"\n".join(lines[:10]).lower()
    if b"#log-type: message tracking log" in lowered or (
        b"#fields:" in lowered and b"event-id" in lowered
    ):
        return "exchange-tracking"
    if b"#log-type: smtp" in lowered and b"protocol log" in lowered:
        return "exchange-protocol"
    if b"#fields:" in lowered and b"session-id" in lowered and b"sequence-number" in lowered:
        return "exchange-protocol"
    if sum(1 for ln in lines if _TRACKING_ROW.match(ln)) * 2 > len(lines):
        return "exchange-tracking"
    if sum(1 for ln in lines if _PROTOCOL_ROW.match(ln)) * 2 > len(lines):
        return "exchange-protocol"
    first = lines[0].lstrip(b"\xef\xbb\xbf").lower()
    if first.startswith(b"#type ") and len(lines) > 1:
        first = lines[1].lower()  # Windows PowerShell's Export-Csv: the type, then the header
    if b"eventid" in first and b"timestamp" in first:
        return "exchange-tracking"  # Get-MessageTrackingLog | Export-Csv
    if (b"recipientaddress" in first and b"status" in first) or b"origin_timestamp_utc" in first:
        return "m365-trace"
    if b"messagetraceid" in first and b"event" in first and b"detail" in first:
        return "m365-trace"  # Get-MessageTraceDetail
    if first.startswith(b"{") and all(
        k in first for k in (b'"messagetraceid"', b'"recipientaddress"', b'"status"')
    ):
        return "m365-trace"  # the Reporting Web Service's records, one per line
    if first.rstrip() in (b"{", b"[") or first.startswith((b'{"value"', b'{"d"', b'{"@odata')):
        # a JSON document printed over several lines: trace records pretty-printed,
        # an array of them, the Graph API's {"value": [...]}, OData's {"d": ...}
        whole = b"\n".join(lines).lower()
        if b'"recipientaddress"' in whole and b'"status"' in whole:
            return "m365-trace"
    return None


def _line_format(lines: list[bytes]) -> str | None:
    """Syslog, Exim and journal lines: the format most lines of the head have."""
    scores = {"postfix": 0, "sendmail": 0, "exim": 0, "opensmtpd": 0, "journal-json": 0}
    syslog = 0
    for line in lines:
        if line.startswith(b"{") and b"MESSAGE" in line:
            scores["journal-json"] += 2 if b"postfix" in line else 1
            continue
        if _EXIM.match(line) or (_EXIM_LOOSE.match(line) and not _SYSLOG_PROG.match(line)):
            scores["exim"] += 1
            continue
        m = _SYSLOG.match(line)
        if m is None:
            # OpenSMTPD in the foreground (smtpd -d): its message, no header
            scores["opensmtpd"] += _OPENSMTPD_FOREGROUND.match(line) is not None
            continue
        syslog += 1
        prog = m.group(1)
        if b"postfix" in prog:
            scores["postfix"] += 1
        elif b"exim" in prog:
            # Exim logging to syslog (log_file_path = syslog): read as Exim.
            scores["exim"] += 1
        elif b"sendmail" in prog or prog.startswith(b"sm-"):
            # sm-mta, sm-msp-queue, and the process titles sendmail sets
            # (sm-acceptingconnections, ...).
            scores["sendmail"] += 1
        elif (
            prog == b"smtpd"
            or _OPENSMTPD_TAGGED.match(line, m.end())
            or _OPENSMTPD_FOREGROUND.match(line)
        ):
            # OpenSMTPD's tag (Postfix's smtpd logs as postfix/smtpd, or another
            # syslog_name with a slash), its message under a process title, or smtpd
            # -d's behind a wrapper's time (read as a header whose host is "-")
            scores["opensmtpd"] += 1
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        # A syslog file whose head has no mail program yet (or lines cut
        # oddly) is read as Postfix, as is one with Postfix delivery lines
        # anywhere in the head (the scanner just finds nothing if there is none).
        if syslog * 2 >= len(lines) or any(b": to=<" in ln for ln in lines):
            return "postfix"
        return None
    return best
