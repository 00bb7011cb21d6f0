"""What wraps a log line before its syslog header, and how to take it off.

Logs reach users through more than syslog files: ``docker compose logs``
puts ``service-1  | `` before every line, ``docker logs -t`` an RFC 3339
timestamp of its own, FreeBSD's ``syslogd -vv`` a ``<mail.notice>`` tag
after the time, some relays an unpadded day (``Mar 7 02:09:33``), and a
terminal may leave ANSI colours. ``journalctl -o json`` of Exim or Sendmail
(Postfix's is read by its own reader) is one JSON record per line, and so is
what Docker's json-file driver keeps (``{"log":"…\\n","stream":"stdout","time":"…"}``);
the container runtimes of Kubernetes write ``<time> stdout F <line>``; ``journalctl
-o short-full`` writes ``Thu 2024-03-07 02:09:33 CET``; ``journalctl -o cat``
writes the bare messages, with no time and no program name (each line is given
a header whose time reads as unknown, :data:`NO_TIME`, and the program its
shape names; a line that starts with its syslog tag, its time and host cut off,
gets the same header); journalctl prints the month in the language of ``LC_TIME``
(``Απρ 15 12:20:28``); Windows tools start a file with a UTF-8 byte order mark;
supervisors' log writers stamp each line (TAI64N, ``@4000…``), ``journalctl -o
short-unix`` and ``short-monotonic`` write other times, and log platforms export
records (Loki's ``<time> {labels} <line>``, JSON with the line in ``message``; their
CSV rows and journalctl's multi-line records come as JSON lines from records.py);
mailcow's admin page shows a Postfix log table (``28.01.2019, 19:19:55 | info | …``,
newest first) and Exim in the foreground writes its log to stderr (``9 LOG: MAIN`` and
the line on the next, no time; with no pid, and ``exim -bh``'s ``LOG: <line>``); lines
pasted as grep printed them carry its file names and line numbers
(``/var/log/mail.log:12:<line>``), lines copied from a document or a mail its code
block's indentation or its quote marks. The
readers expect a line to start with its timestamp, so a :class:`Unwrapper`
chosen from the file's first lines rewrites each block into that shape with a
few whole-block substitutions (C speed; none at all for a plain syslog file,
the common case).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import zlib
from collections.abc import Callable
from functools import cache

from smtpdoctor.fastdataclass import dataclass

__all__ = ["NO_TIME", "Unwrapper", "unwrapper_for"]

_ANSI = re.compile(rb"\x1b\[[0-9;]*m")
# "mailserver     | ", "postfix-mailcow-1  | ", "mailu_smtp_1 | " (compose v1 and v2).
_COMPOSE = re.compile(rb"(?m)^[A-Za-z0-9][\w.-]*[ \t]*\| ?")
# What compose itself prints first ("Attaching to mailcowdockerized_postfix-mailcow_1"):
# no line of a program's.
_COMPOSE_ATTACHING = re.compile(rb"(?m)^Attaching to [^\n]*(?:\n|\Z)")
# docker logs -t / compose --timestamps: an RFC 3339 time with nanoseconds and Z,
# followed by the program's own line (which has a timestamp of its own).
_DOCKER_TS = re.compile(
    rb"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) "
    rb"(?=[A-Z][a-z]{2} +\d|\d{4}-\d\d-\d\d[T ]\d\d:|<\d)"
)
# "Mar 7 02:09:33" -> "Mar  7 02:09:33" (RFC 3164 pads the day with a space).
_UNPADDED = re.compile(rb"(?m)^([A-Z][a-z]{2}) (\d \d\d:\d\d:\d\d)")
# Month abbreviations of other locales (journalctl's short formats print the month as
# LC_TIME has it: "Απρ 15 12:20:28", "Okt  3 …", "janv. 7 …"): glibc's abmon of the
# languages most mail admins run, each month's names in January-to-December order.
_MONTH_NAMES = (
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez",  # de
    "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",  # fr
    "ene feb mar abr may jun jul ago sep oct nov dic",  # es
    "gen feb mar apr mag giu lug ago set ott nov dic",  # it
    "jan fev mar abr mai jun jul ago set out nov dez",  # pt
    "jan feb mrt apr mei jun jul aug sep okt nov dec",  # nl
    "jan feb mar apr maj jun jul aug sep okt nov dec",  # sv, da
    "sty lut mar kwi maj cze lip sie wrz paź lis gru",  # pl
    "янв фев мар апр мая июн июл авг сен окт ноя дек",  # ru
    "Ιαν Φεβ Μάρ Απρ Μάι Ιούν Ιούλ Αύγ Σεπ Οκτ Νοέ Δεκ",  # el (accented, newer glibc)
    "Ιαν Φεβ Μαρ Απρ Μαϊ Ιουν Ιουλ Αυγ Σεπ Οκτ Νοε Δεκ",  # el
)
_ENGLISH = _MONTH_NAMES[0].split()
_LOCAL_MONTH: dict[bytes, bytes] = {
    form.encode(): _ENGLISH[i].encode()
    for row in _MONTH_NAMES[1:]
    for i, name in enumerate(row.split())
    for form in {name, name.capitalize(), name.lower(), name.rstrip(".")}
    if form.rstrip(".") != _ENGLISH[i]
}
# (Longest first; names of one length in byte order, so that the pattern is the same
# in every process, whatever order the sets above gave: re.compile's cache, filled
# from the stored programs, then has it, ~1 ms, and ~1.5 ms for _ANY_LINE_STEP's.)
_LOCALIZED = re.compile(
    rb"(?m)^("
    + b"|".join(re.escape(k) for k in sorted(_LOCAL_MONTH, key=lambda k: (-len(k), k)))
    + rb")(?= +\d{1,2} \d\d:\d\d:\d\d )"
)
# "<mail.notice>" / "<22>" tags after the time (FreeBSD syslogd -v/-vv, some relays).
_TAG_AFTER_TIME = re.compile(
    rb"(?m)^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    rb" <[a-z0-9]+(?:\.[a-z]+)?> "
)
# The same tag after the host name ("Mar  7 02:09:33 mx <mail.info> postfix/smtp[1]: ...").
_TAG_AFTER_HOST = re.compile(
    rb"(?m)^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) (\S+) "
    # "<mail.info>", or a bare "mail.info" (busybox syslogd, Alpine containers)
    rb"(?:<[a-z0-9]+\.[a-z]+>|(?:kern|user|mail|daemon|auth|syslog|authpriv|local[0-7])"
    rb"\.(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug)) "
)

# An RFC 5424 header whose message starts with a space: rsyslog's
# RSYSLOG_SyslogProtocol23Format of a local program's RFC 3164 message keeps the space
# after its tag ("<22>1 2024-03-07T02:09:33.1+01:00 mx postfix 123 - -  timeout after …");
# the readers take the message from one space after the header.
_RFC5424_SPACED = re.compile(
    rb'(?m)^(<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]"\\\n]|"(?:[^"\\\n]|\\.)*")*\])+))'
    rb" {2,}"
)
# Docker's json-file driver: one JSON record per line; "log" holds the line.
_DOCKER_JSON = re.compile(
    rb'(?m)^\{"log": ?"((?:[^"\\]|\\.)*)", ?"stream": ?"(?:stdout|stderr)", ?'
    rb'"time": ?"([^"]+)"\}\r?$'
)
# The CRI log format (containerd, CRI-O: kubectl logs' files): "<time> stdout F <line>".
_CRI = re.compile(
    rb"(?m)^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (?:stdout|stderr) [FP] "
)
# Exim in the foreground writing its log to stderr (a container's "exim -bdf" with
# debug output on): each log line as "LOG: <selectors> MAIN" and the line itself on the
# next, indented by two spaces, both behind the process id; no time ("    9 LOG: MAIN
# REJECT\n    9   H=(localhost) [172.22.0.1] F=<…> rejected RCPT <…>: …"); behind
# docker compose's prefix too. Such output's other lines are no log records: Exim's
# debug lines ("  278 delivering 1gwqzr-00004T-MX", its version banner's lines with no
# pid) and the container's (an entry script's shell trace, "+ sed -ri '…").
# With no pids (debug output without them, "-d-pid", as Exim's own test suite writes
# it) the same header and line; and "exim -bh" (host checking: a session with a client
# played, its ACLs traced on ">>> " lines) writes each line as "LOG: <line>" on one
# line, no time (Exim's log.c: the buffer past its timestamp).
_EXIM_STDERR_PREFIX = rb"(?:[A-Za-z0-9][\w.-]*[ \t]*\| ?)?"
# A delivery process's debug line naming the message it delivers ("  278 delivering
# 1gwqzr-00004T-MX": the id alone; the transport's "delivering <id> to <host> [<ip>]
# (<address>)"; the reader checks its form), and a delivery line's flag: on stderr Exim
# writes a delivery's log line without the id the main log has.
_EXIM_DELIVERY_FLAG = re.compile(rb"(?:=>|->|\*>|\*\*|==|>>) ")
# The header of a log line in debug output: "LOG:", the selector that logged it, and
# the logs it goes to (log.c: " MAIN", " PANIC", " DIE", " REJECT").
_EXIM_LOG_HEAD = rb"LOG:(?: [a-z_]+)*(?: (?:MAIN|PANIC|DIE|REJECT))+\r?\n"


@cache
def _exim_stderr_rx() -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """Exim's stderr records, its debug output's "delivering" lines and what only its
    stderr has (compiled at first need: a log file never needs them).

    The records: the pid, "LOG:" and its selectors, the line behind the pid and two
    spaces on the next; with no pid the header and its line behind two spaces; exim -bh's
    "LOG: <line>" on one line (not a header whose line is missing). What only its stderr
    has: a header of a line (with or without a pid) or the host-checking trace; a file's
    one-line "LOG: " records are Exim's only beside one."""
    records = re.compile(
        rb"(?m)^"
        + _EXIM_STDERR_PREFIX
        + rb"(?: *(\d+) LOG: [^\n]*\b(?:MAIN|REJECT|PANIC)\b[^\n]*\n"
        + _EXIM_STDERR_PREFIX
        + rb" *\1   ([^\n]*)"
        + rb"|"
        + _EXIM_LOG_HEAD
        + _EXIM_STDERR_PREFIX
        + rb"  ([^\n]*)"
        + rb"|LOG: (?!(?:[a-z_]+ )*(?:MAIN|PANIC|REJECT)\r?$)(\S[^\n]*))"
    )
    delivering = re.compile(
        rb"(?m)^" + _EXIM_STDERR_PREFIX + rb"(?: *(\d+) )?delivering (\S+)(?: to [^\n]*)?\r?$"
    )
    sign = re.compile(
        rb"(?m)^" + _EXIM_STDERR_PREFIX + rb"(?: *\d+ LOG: |" + _EXIM_LOG_HEAD + rb"|>>> )"
    )
    return records, delivering, sign


# A supervisor's log writer's stamp before each line a program wrote to its stdout:
# TAI64N ("@4000000065e9283d1a2b3c4d ": daemontools' multilog t, s6-log t, runit's
# svlogd -t), runit's svlogd -tt ("2015-08-17_09:16:20.41495 ", UTC) and -ttt
# ("2015-08-17T09:16:20.41495 ", UTC), s6-log T's local time and two spaces
# ("2024-03-07 02:09:33.123456789  "), tai64nlocal's with one; s6-log "t T" writes both.
_SUPERVISED = re.compile(
    rb"(?m)^(@4000[0-9a-f]{20} )?(?:(\d{4}-\d\d-\d\d)([ T_])(\d\d:\d\d:\d\d\.\d+)( ?) )?"
)
# TAI64N's label is 2**62 + the TAI second. daemontools' and runit's writers (and
# tai64nlocal, busybox's svlogd) take TAI as UTC + 10 s, leap seconds left out; s6's
# (skalibs' tai_from_utc) count them, as TAI does: UTC + 37 s since 2017.
_TAI64_UTC = (1 << 62) + 10
# Which of the two a file's labels are, by their nanoseconds (docs/logs.md, session 21):
# djb's taia_now writes gettimeofday's microseconds * 1000 + 500 (daemontools, runit),
# busybox's svlogd the microseconds * 1000; skalibs since 2.9 (2019) clock_gettime's
# nanoseconds + 500, which end in any three digits. And s6-log alone writes "t T", a
# label and its local time.
_TAI_NANO = re.compile(rb"(?m)^@4000[0-9a-f]{12}([0-9a-f]{8}) ")
_TAI_AND_LOCAL = re.compile(rb"(?m)^@4000[0-9a-f]{20} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}  ")
# The days TAI - UTC grew by one second, at 00:00 UTC (IERS Bulletin C; skalibs'
# tools/leapsecs.txt, the table s6 reads its labels by): 10 s before the first.
_LEAP_DAYS = (
    "1972-07 1973-01 1974-01 1975-01 1976-01 1977-01 1978-01 1979-01 1980-01 1981-07 "
    "1982-07 1983-07 1985-07 1988-01 1990-01 1991-01 1992-07 1993-07 1994-07 1996-01 "
    "1997-07 1999-01 2006-01 2009-01 2012-07 2015-07 2017-01"
)
# Loki's logcli query (its default output): "<RFC 3339 time> {label="value", …} <line>",
# the labels padded with spaces to the widest (pkg/logcli/output/default.go).
_LOKI = re.compile(
    rb"(?m)^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
    rb'\{(?:[A-Za-z_]\w*="(?:[^"\\\n]|\\.)*"(?:, )?)*\} +'
)
# journalctl -o short-unix: "1709777373.123456 host prog[pid]: ..." (seconds since 1970, UTC).
_SHORT_UNIX = re.compile(rb"(?m)^(\d{9,11})\.(\d{1,9}) (?=\S+ \S)")
# journalctl -o short-monotonic / short-delta: "[ 5336.149036] host prog[pid]: ...",
# "[ 5336.149036 <    0.000123>] ...": seconds since boot, no wall-clock time.
_SHORT_MONOTONIC = re.compile(rb"(?m)^\[ *\d+\.\d{6}(?: *<[ \d.]+>)? *\] (?=\S+ \S)")
# A time of day and no date before the host ("3:03:59 c49364445807 mail.info
# postfix/smtpd[2468]: ...": a container UI's copy of busybox syslogd's lines).
_TIME_OF_DAY = re.compile(rb"(?m)^\d{1,2}:\d\d:\d\d(?:\.\d+)? (?=\S+ \S)")
# journalctl -o short-full: "Thu 2024-03-07 02:09:33 CET host prog[pid]: ...".
_SHORT_FULL = re.compile(
    rb"(?m)^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) "
    rb"([A-Z][A-Za-z0-9+-]{0,5}) "
)
# journalctl -o json of Exim or Sendmail (Postfix's has a reader of its own, the
# journal-json format): each record becomes the syslog line the readers know.
_JOURNAL_OTHER_MTA = re.compile(rb'"SYSLOG_IDENTIFIER" ?: ?"(?:exim[^"]*|sendmail|sm-[^"]*)"')
# A line that starts with a time the readers know (then a wrapper's own time goes).
_OWN_TIME = re.compile(rb"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:|<\d)")
_BOM = b"\xef\xbb\xbf"
# What grep prints before each line it found: the file's name when it searched more
# than one ("/var/log/mail.log:<line>", "mail.log.1:<line>"; grep -r, zgrep, a glob),
# the line's number (-n), both ("mail.log:12:<line>"), and "-" for ":" before a context
# line (-A, -B, -C), whose groups a "--" line separates. Taken off only before a line
# with a time of its own: nothing else is known to be one of grep's.
_GREP_PREFIX = rb"(?:[^\s:]+[:-](?:\d+[:-])?|\d+[:-])"
# A document's or a mail's marks before each line of a log copied from it: an indented
# code block (Markdown's four spaces, reStructuredText's literal block, a tab), a mail's
# quote ("> ", "> > ", ">> "). Taken off only before a line with a time of its own (or
# grep's prefix before one).
_INDENT_PREFIX = rb"(?:[ \t]+|(?:> ?)+)"


@cache
def _grep_rx() -> re.Pattern[bytes]:
    """grep's prefixes (compiled at first need: a plain log never needs them)."""
    return re.compile(rb"(?m)^" + _GREP_PREFIX + rb"(?=" + _OWN_TIME.pattern + rb")")


@cache
def _indent_rx() -> re.Pattern[bytes]:
    """A code block's indentation or a quote's marks (compiled at first need)."""
    return re.compile(
        rb"(?m)^"
        + _INDENT_PREFIX
        + rb"(?=(?:"
        + _GREP_PREFIX
        + rb")?(?:"
        + _OWN_TIME.pattern
        + rb"))"
    )


_GREP_SEPARATOR = re.compile(rb"(?m)^--\r?$")
# journalctl's own notes between the records it prints (not with -q): the journal's span
# first ("-- Logs begin at Tue 2020-05-12 06:29:00 MSK, end at … --", "-- Journal begins
# at …, ends at … --" from systemd 246), a boot's start ("-- Reboot --"; "-- Boot <id> --"
# from 255), "-- No entries --". No records: left empty, and the first record after them
# is what the whole-line steps look at.
_JOURNAL_NOTE = re.compile(
    rb"(?m)^-- (?:(?:Logs begin|Journal begins) at [^\n]*--|Reboot --|No entries --"
    rb"|Boot [0-9a-f]{32} --)\r?(?=\n|\Z)"
)

# journalctl -o cat: the messages alone. A line gets a syslog header whose time
# no reader can read (no month is "Nil"), so its events carry no time: the times
# are unknown, never made up; the program is the one the message's shape names.
NO_TIME = b"Nil  0 00:00:00 -"
_QID = rb"(?:[0-9A-F]{6,12}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}|NOQUEUE)"
# A Postfix message by the daemon that writes it (the first that matches).
_POSTFIX_CAT = (
    (re.compile(rb"^" + _QID + rb": from=<[^\n]*status=(?:force-)?expired"), b"postfix/qmgr"),
    (re.compile(rb"^" + _QID + rb": (?:reject|warning): (?:header|body) "), b"postfix/cleanup"),
    (re.compile(rb"^NOQUEUE: reject: \w+ from \[[0-9A-Fa-f:.]+\]:\d+: "), b"postfix/postscreen"),
    # postscreen's own verdicts and notes ("PASS OLD [addr]:port", "HANGUP after 0 from
    # [addr]:port …", "COMMAND TIME LIMIT from …", "cache btree:… full cleanup: …")
    (
        re.compile(
            rb"^(?:(?:CONNECT|NON-SMTP COMMAND|BARE NEWLINE|COMMAND PIPELINING"
            rb"|COMMAND (?:TIME|COUNT|LENGTH) LIMIT|(?:DATA|BDAT) without valid RCPT) from \["
            rb"|(?:DISCONNECT|PASS (?:OLD|NEW)|(?:WHITE|BLACK|ALLOW|DENY)LISTED"
            rb"|(?:WHITE|ALLOW)LIST VETO) \["
            rb"|PREGREET \d+ after |HANGUP after |DNSBL rank \d+ for \[|cache \S+ full cleanup: )"
        ),
        b"postfix/postscreen",
    ),
    (
        re.compile(
            rb"^(?:" + _QID + rb": (?:reject|milter-reject|client=)|(?:dis)?connect from "
            rb"|lost connection after |timeout after |too many errors after |SSL_accept error"
            rb"|warning: [^\n]*SASL [^\n]*authentication failed|improper command pipelining"
            rb"|warning: non-SMTP command from "
            rb"|(?:Anonymous|Untrusted|Trusted|Verified) TLS connection established from )"
        ),
        b"postfix/smtpd",
    ),
    (
        re.compile(
            rb"^(?:" + _QID + rb": to=<|connect to |SSL_connect error|server certificate "
            rb"verification failed|(?:Anonymous|Untrusted|Trusted|Verified) TLS connection "
            rb"established to )"
        ),
        b"postfix/smtp",
    ),
    (re.compile(rb"^" + _QID + rb": (?:from=<|removed$|message-id=)"), b"postfix/qmgr"),
)
# Exim through syslog with syslog_timestamp false: its main log's messages alone.
_EXIM_CAT = re.compile(
    rb"^(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} (?:<=|=>|->|>>|==|\*\*|Completed"
    rb"|H=|SMTP )|(?:Start|End) queue run|SMTP (?:connection|command|protocol|call)"
    rb"|H=[^\n]* (?:rejected|F=<)|TLS error on |no host name found|no MAIL in SMTP)"
)
# Sendmail's messages: "qid: to=..., stat=...", its rulesets and milter verdicts.
_SENDMAIL_CAT = re.compile(
    rb"^[0-9A-Za-z]{12,16}: (?:to=|from=|ruleset=|Milter|milter|[^\n]*\bstat=|<[^>]*>\.\.\. )"
    rb"|^STARTTLS=(?:client|server)"
)

# A syslog tag and the message, with no time and no host before it ("postfix/smtp[11977]:
# connect to …", what a log shows when its header was cut off, or a syslog template of
# "%syslogtag%%msg%"): given the same header with no time as ``-o cat``'s lines.
_TAGGED = re.compile(rb"[A-Za-z][\w.-]*(?:/[\w.-]+)*\[\d+\]: ")
# The same with the host name before the tag, and still no time ("postfix-0
# postfix/lmtp[216]: A53C31E428A: to=<…>": a time-less template's "%HOSTNAME% %syslogtag%",
# a copy with the time cut off): the host kept, behind the same header with no time.
_HOST_TAGGED = re.compile(rb"[A-Za-z0-9][\w.-]* " + _TAGGED.pattern)

_Step = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Unwrapper:
    """The substitutions one file needs, in order; empty for a plain file."""

    names: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names)

    def __call__(self, block: bytes) -> bytes:
        for name in self.names:
            block = _STEPS[name](block)
        return block


def _ansi(block: bytes) -> bytes:
    return _ANSI.sub(b"", block)


def _compose(block: bytes) -> bytes:
    return _COMPOSE.sub(b"", _COMPOSE_ATTACHING.sub(b"", block))


def _docker_ts(block: bytes) -> bytes:
    return _DOCKER_TS.sub(b"", block)


def _bom(block: bytes) -> bytes:
    return block[3:] if block.startswith(_BOM) else block


def _journal(block: bytes) -> bytes:
    from smtpdoctor.logs.journal import record_line  # noqa: PLC0415 - rare: only when met

    out = []
    for line in block.split(b"\n"):
        if line.startswith(b"{") and b'"MESSAGE"' in line:
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            text = record_line(rec, "-") if isinstance(rec, dict) else None
            if text is not None:
                out.append(text.encode("utf-8", "replace"))
                continue
        out.append(line)  # (a record that is not one is left for the reader to count)
    return b"\n".join(out)


def _exim_stderr(block: bytes) -> bytes:
    """Each of Exim's log lines on stderr as the syslog line with no time it stands
    for (``exim[pid]: <line>`` behind :data:`NO_TIME`; ``exim: <line>`` with no pid),
    its header's line left empty; the output's other lines (debug, shell) left empty
    too, unless one has a time of its own (a log line after all): no record to read,
    none to count as unparsed."""
    out = []
    at = 0
    ids: dict[bytes, bytes] = {}  # pid (b"": none) -> the message its debug lines deliver
    records, delivering, _ = _exim_stderr_rx()
    for m in records.finditer(block):
        between = block[at : m.start()]
        ids.update(delivering.findall(between))
        out.append(_no_records(between))
        pid = m.group(1) or b""
        line = m.group(2) or m.group(3) or m.group(4) or b""
        if pid in ids and _EXIM_DELIVERY_FLAG.match(line):
            line = ids[pid] + b" " + line  # (stderr's delivery lines omit the id)
        tag = b" exim[" + pid + b"]: " if pid else b" exim: "
        # (a header and its line: the header's line left empty, the line on the next;
        # exim -bh's one line in place)
        out.append((b"" if m.group(4) is not None else b"\n") + NO_TIME + tag + line)
        at = m.end()
    out.append(_no_records(block[at:]))
    return b"".join(out)


def _no_records(text: bytes) -> bytes:
    """Exim's stderr lines between its log records: each left empty, unless it has
    a time of its own."""
    return b"\n".join(ln if _OWN_TIME.match(ln) else b"" for ln in text.split(b"\n"))


def _with_time(stamp: bytes, line: bytes) -> bytes:
    """The wrapped line, behind the wrapper's time when it has none of its own
    (then ``-``, syslog's empty value, stands for the host it does not name)."""
    if _OWN_TIME.match(line):
        return line
    return stamp + b" - " + line


def _docker_json_line(m: re.Match[bytes]) -> bytes:
    try:
        text = json.loads(b'"' + m.group(1) + b'"')
    except ValueError:
        return m.group(0)  # not a record after all: left for the reader to count
    line = text.rstrip("\r\n").replace("\r", " ").replace("\n", " ").encode("utf-8", "replace")
    return _with_time(m.group(2), line)


def _docker_json(block: bytes) -> bytes:
    return _DOCKER_JSON.sub(_docker_json_line, block)


def _counts_leap_seconds(head: bytes) -> bool:
    """Whether a head's TAI64N labels are s6's (leap seconds counted), by the writer's
    clock their nanoseconds show or s6-log's "t T" layout; else daemontools'."""
    if _TAI_AND_LOCAL.search(head):
        return True
    return any(int(m.group(1), 16) % 1000 not in (0, 500) for m in _TAI_NANO.finditer(head))


_tai_steps: list[int] = []


def _leap_seconds(tai: int) -> int:
    """How many leap seconds an s6 label's TAI second (since 1970's) counts."""
    if not _tai_steps:  # (the TAI second each leap took effect at, made at first use)
        for n, day in enumerate(_LEAP_DAYS.split(), 1):
            year, month = day.split("-")
            at = dt.datetime(int(year), int(month), 1, tzinfo=dt.UTC).timestamp()
            _tai_steps.append(int(at) + 10 + n)
    return bisect.bisect_right(_tai_steps, tai)


def _supervised_with(leap_seconds: bool) -> _Step:
    def stamp(m: re.Match[bytes]) -> bytes:
        """A line's supervisor stamp taken off: the line's own time, when it has one,
        reads; else the stamp, as a header's time with no host (``-``): the label,
        which is UTC, before a local time. A zone-less ISO time and one space before a
        message is left alone: a syslog line's own time (rsyslog's without a zone), or
        a message's that its reader takes as such."""
        tai, day, sep, clock, wide = m.groups()
        if m.end() == m.start():  # (a line with no stamp)
            return b""
        if _OWN_TIME.match(m.string, m.end()):
            return b""
        if tai is not None:
            secs = int(tai[1:17], 16) - _TAI64_UTC
            if leap_seconds:
                secs -= _leap_seconds(secs + 10)
            try:
                at = dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
            except (ValueError, OverflowError, OSError):  # (before year 1 or past 9999)
                return m.group(0)
            return at.encode() + b".%09dZ - " % int(tai[17:25], 16)
        if day is not None and (sep == b"_" or wide):
            zone = b"Z" if sep != b" " else b""  # (svlogd's times are UTC, s6-log T's local)
            return day + b"T" + clock + zone + b" - "
        return m.group(0)

    def step(block: bytes) -> bytes:
        return _SUPERVISED.sub(stamp, block)

    return step


_supervised = _supervised_with(leap_seconds=False)


def _loki_stamp(m: re.Match[bytes]) -> bytes:
    return b"" if _OWN_TIME.match(m.string, m.end()) else m.group(1) + b" - "


def _loki(block: bytes) -> bytes:
    return _LOKI.sub(_loki_stamp, block)


def _platform_json(block: bytes) -> bytes:
    """Each log platform's JSON record (records.platform_line) as its syslog line."""
    from smtpdoctor.logs.records import platform_line  # noqa: PLC0415 - rare: only when met

    out = []
    for line in block.split(b"\n"):
        if line.startswith(b"{"):
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            text = platform_line(rec) if isinstance(rec, dict) else None
            if text is not None:
                out.append(text)
                continue
        out.append(line)  # (a record that is not one is left for the reader to count)
    return b"\n".join(out)


def _is_platform_record(head: bytes) -> bool:
    if not head.startswith(b"{"):
        return False
    end = head.find(b"\n")
    first = head[:end] if end >= 0 else head
    if not first.startswith(b"{") or b'"MESSAGE"' in first or b"__REALTIME_TIMESTAMP" in first:
        return False  # (journalctl -o json's: journal.py reads those)
    return _platform_json(first) != first


def _short_unix_time(m: re.Match[bytes]) -> bytes:
    at = dt.datetime.fromtimestamp(int(m.group(1)), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return at.encode() + b"." + m.group(2) + b"Z "


def _short_unix(block: bytes) -> bytes:
    return _SHORT_UNIX.sub(_short_unix_time, block)


def _short_monotonic(block: bytes) -> bytes:
    # (the time since boot is no wall-clock time: read as unknown, as -o cat's)
    return _SHORT_MONOTONIC.sub(_NO_TIME_NO_HOST, block)


def _time_of_day(block: bytes) -> bytes:
    # (a time with no date is no point in time either: read as unknown)
    return _TIME_OF_DAY.sub(_NO_TIME_NO_HOST, block)


def _cri(block: bytes) -> bytes:
    """Each record's line; a long line the runtime cut into partial (``P``)
    records is joined up to its final (``F``) one."""
    out: list[bytes] = []
    partial: list[bytes] = []
    for line in block.split(b"\n"):
        m = _CRI.match(line)
        if m is None:
            out.append(line)
            continue
        partial.append(line[m.end() :])
        if line[m.end() - 2 : m.end() - 1] == b"F":
            out.append(_with_time(m.group(1), b"".join(partial)))
            partial = []
    out.extend(partial)  # a block's last partial records: left as they came
    return b"\n".join(out)


def _cat_postfix(block: bytes) -> bytes:
    """Each bare Postfix message behind a header with no time (:func:`_postfix_tag`)."""
    out: list[bytes] = []
    last = b"postfix/smtpd[0]: "
    for line in block.split(b"\n"):
        if not line.strip():
            out.append(line)
            continue
        last = _postfix_tag(line, last)
        out.append(NO_TIME + b" " + last + line)
    return b"\n".join(out)


def _postfix_tag(message: bytes, last: bytes) -> bytes:
    """The syslog tag of a bare Postfix message: its daemon by its shape (a TLS
    library problem's is ``last``, the line before's: the same process). An smtp
    client's line that names its server gets that server's number
    (:func:`_peer_pid`) for the process id it lost: its TLS failure and its
    deferral, both naming the server, are then told as one process's."""
    if message.startswith(b"warning: TLS library problem"):
        return last
    daemon = next((p for rx, p in _POSTFIX_CAT if rx.match(message)), b"postfix/master")
    return daemon + (_peer_pid(message) if daemon == b"postfix/smtp" else b"[0]: ")


# mailcow's admin page, its Postfix log table copied from the browser: the time as
# toLocaleDateString writes it (2-digit fields: a German browser's "28.01.2019, 19:19:55",
# a British one's "25/09/2019, 18:28:40"; data/web/js/site/debug.js), the priority and
# the message, in cells (tabs), or as GitHub shows such a paste ("a | b | c", with the
# rule "-- | -- | --" after the first row). No program name: a message's daemon is
# read from its shape, as -o cat's. A 12-hour clock's browser (CLDR's patterns) writes
# the month first with "AM"/"PM" (en-US: "01/28/2019, 07:30:48 PM") and the day first
# with "am"/"pm" (en-AU, en-IN), after a space or, since ICU 72, U+202F. Before the
# 2-digit options (mailcow of 2018) the fields had no leading zeros ("4.1.2018, 11:16:09";
# "1/4/2018, 6:20:59 AM" in en-US): read the same.
_MAILCOW_TABLE = re.compile(
    rb"(\d{1,2})[./](\d{1,2})[./](\d{4}), (\d{1,2})(:\d\d:\d\d)"
    rb"(?:(?: |\xe2\x80\xaf)([AaPp])[Mm])?(?: \| |\t)[a-z]+(?: \| |\t)"
)
_TABLE_RULE = re.compile(rb"-+(?: \| -+)+\r?")


def _mailcow_table(block: bytes) -> bytes:
    """Each row of mailcow's Postfix log table as the syslog line it was (its local
    time, no zone, read as every zone-less time is), the table's rule left out. The
    table lists the newest first: rows whose times descend are put back in the
    log's order, so that a line is read after those it follows (a failed login
    before the client's leaving after AUTH)."""
    body, end = (block[:-1], b"\n") if block.endswith(b"\n") else (block, b"")
    rows: list[tuple[bytes, bytes] | bytes] = []
    for line in body.split(b"\n"):
        m = _MAILCOW_TABLE.match(line)
        if m is not None:
            day, month, year, hour, rest, half = m.groups()
            if half in (b"A", b"P"):  # (en-US: the month first)
                day, month = month, day
            hour = int(hour)
            if half is not None:
                hour = hour % 12 + (12 if half in b"Pp" else 0)
            stamp = b"%s-%02d-%02dT%02d%s" % (year, int(month), int(day), hour, rest)
            rows.append((stamp, line[m.end() :]))
        elif _TABLE_RULE.fullmatch(line) is None:
            rows.append(line)
    stamps = [row[0] for row in rows if isinstance(row, tuple)]
    if stamps and stamps[0] > stamps[-1]:
        rows.reverse()
    out: list[bytes] = []
    last = b"postfix/smtpd[0]: "
    for row in rows:
        if isinstance(row, bytes):
            out.append(row)
            continue
        stamp, message = row
        last = _postfix_tag(message, last)
        out.append(stamp + b" - " + last + message)
    return b"\n".join(out) + end


# The server an smtp client's line names ("connect to P:", "SSL_connect error to P:",
# "TLS connection established to P:", "verification failed for P:", "relay=P,").
_CAT_PEER = re.compile(rb"(?:\bto |\bfor |, relay=)([^\s\[\],;]+\[[0-9A-Fa-f:.]+\](?::\d+)?)")


def _peer_pid(line: bytes) -> bytes:
    """A process id made of the server a line names (0 for none): ``-o cat`` keeps
    none, and a handshake failure is paired with its deferral by its process
    (postfix_tls.py), which talks to one server at a time."""
    m = _CAT_PEER.search(line)
    return b"[%d]: " % (zlib.crc32(m.group(1)) + 1) if m else b"[0]: "


def _cat(program: bytes) -> _Step:
    head = NO_TIME + b" " + program + b"[0]: "

    def step(block: bytes) -> bytes:
        return _CAT_LINE.sub(head, block)

    return step


_CAT_LINE = re.compile(rb"(?m)^(?=[^\n]*\S)")
_TAGGED_LINE = re.compile(rb"(?m)^(?=" + _TAGGED.pattern + rb")")


def _tagged(block: bytes) -> bytes:
    return _TAGGED_LINE.sub(NO_TIME + b" ", block)


_HOST_TAGGED_LINE = re.compile(rb"(?m)^(?=" + _HOST_TAGGED.pattern + rb")")
_NO_TIME_NO_HOST = NO_TIME.removesuffix(b"-")


def _host_tagged(block: bytes) -> bytes:
    return _HOST_TAGGED_LINE.sub(_NO_TIME_NO_HOST, block)


def _cat_family(head: bytes) -> str | None:
    """Which MTA a head of bare messages (no line with a time of its own) is
    from: the family most of its lines' shapes name, if they are most lines."""
    lines = [ln.rstrip(b"\r") for ln in head.split(b"\n")[:200] if ln.strip()]
    if not lines or any(_OWN_TIME.match(ln) or ln.startswith(b"{") for ln in lines):
        return None
    if sum(1 for ln in lines if _TAGGED.match(ln)) * 2 >= len(lines):
        return "tag-no-time"
    if sum(1 for ln in lines if _HOST_TAGGED.match(ln)) * 2 >= len(lines):
        return "host-tag-no-time"
    counts = {
        "journal-cat-sendmail": sum(1 for ln in lines if _SENDMAIL_CAT.match(ln)),
        "journal-cat-exim": sum(1 for ln in lines if _EXIM_CAT.match(ln)),
        "journal-cat-postfix": sum(
            1 for ln in lines if any(rx.match(ln) for rx, _ in _POSTFIX_CAT)
        ),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] * 2 >= len(lines) else None


def _indent(block: bytes) -> bytes:
    return _indent_rx().sub(b"", block)


def _journal_notes(block: bytes) -> bytes:
    return _JOURNAL_NOTE.sub(b"", block)


def _grep(block: bytes) -> bytes:
    """grep's file names and line numbers taken off; its group separators left empty."""
    return _GREP_SEPARATOR.sub(b"", _grep_rx().sub(b"", block))


def _short_full_line(m: re.Match[bytes]) -> bytes:
    zone = b"Z" if m.group(3) in (b"UTC", b"GMT") else b""
    return m.group(1) + b"T" + m.group(2) + zone + b" "


def _short_full(block: bytes) -> bytes:
    return _SHORT_FULL.sub(_short_full_line, block)


def _tag(block: bytes) -> bytes:
    block = _TAG_AFTER_TIME.sub(rb"\1 ", block)
    return _TAG_AFTER_HOST.sub(rb"\1 \2 ", block)


def _rfc5424_spaced(block: bytes) -> bytes:
    return _RFC5424_SPACED.sub(rb"\1 ", block)


def _localized(block: bytes) -> bytes:
    return _LOCALIZED.sub(lambda m: _LOCAL_MONTH[m.group(1)], block)


def _unpadded(block: bytes) -> bytes:
    return _UNPADDED.sub(rb"\1  \2", block)


_STEPS: dict[str, _Step] = {
    "bom": _bom,
    "indent": _indent,
    "journal-notes": _journal_notes,
    "grep": _grep,
    "journal": _journal,
    "docker-json": _docker_json,
    "cri": _cri,
    "supervised": _supervised,
    "supervised-s6": _supervised_with(leap_seconds=True),
    "mailcow-table": _mailcow_table,
    "exim-stderr": _exim_stderr,
    "loki": _loki,
    "platform-json": _platform_json,
    "short-unix": _short_unix,
    "short-monotonic": _short_monotonic,
    "time-of-day": _time_of_day,
    "short-full": _short_full,
    "ansi": _ansi,
    "compose": _compose,
    "docker-timestamp": _docker_ts,
    "priority-tag": _tag,
    "rfc5424-spaced": _rfc5424_spaced,
    "localized-month": _localized,
    "unpadded-day": _unpadded,
    "journal-cat-postfix": _cat_postfix,
    "journal-cat-exim": _cat(b"exim"),
    "journal-cat-sendmail": _cat(b"sendmail"),
    "tag-no-time": _tagged,
    "host-tag-no-time": _host_tagged,
}
_CLASSIC_OR_ISO = re.compile(
    rb"(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:|<\d)"
)


# Where any of the line-start steps' regexes matches (each one's ``(?m)^`` as the
# newline before it: searched in the sample behind a newline, the first line too):
# a search the regex engine runs from newline to newline.
_ANY_LINE_STEP = re.compile(
    rb"\n(?:"
    + b"|".join(
        rx.pattern.removeprefix(rb"(?m)^")
        for rx in (
            _JOURNAL_NOTE,
            _DOCKER_TS,
            _LOCALIZED,
            _UNPADDED,
            _TAG_AFTER_TIME,
            _TAG_AFTER_HOST,
            _RFC5424_SPACED,
        )
    )
    + rb")"
)


def _wraps(name: str, head: bytes) -> bool:
    """Whether the file's first line is in the layout a whole-line step takes off."""
    if name == "bom":
        return head.startswith(_BOM)
    if name == "indent":
        return head[:1] in (b" ", b"\t", b">") and _indent_rx().match(head) is not None
    if name == "grep":
        # (a line that starts with its own time has no prefix before it)
        return _OWN_TIME.match(head) is None and _grep_rx().match(head) is not None
    if name == "journal-notes":
        # (the first line: a note further on is found with the line steps' one search)
        return head.startswith(b"-- ") and _JOURNAL_NOTE.match(head) is not None
    if name == "journal":
        return head.startswith(b"{") and _JOURNAL_OTHER_MTA.search(head) is not None
    if name == "platform-json":
        return _is_platform_record(head)
    if name == "supervised":
        end = head.find(b"\n")  # (the first line alone: no copy of the rest)
        first = head if end < 0 else head[:end]
        return _supervised(first) != first
    if name == "exim-stderr":
        # Its records anywhere in the head (debug lines, a shell trace come first), in
        # a file whose first line has no time of its own (a log file's has: not searched).
        return (
            _OWN_TIME.match(head) is None
            and b"LOG: " in head
            and _exim_stderr_rx()[2].search(head) is not None
            and _exim_stderr_rx()[0].search(head) is not None
        )
    rx = {
        "mailcow-table": _MAILCOW_TABLE,
        "docker-json": _DOCKER_JSON,
        "cri": _CRI,
        "short-full": _SHORT_FULL,
        "short-unix": _SHORT_UNIX,
        "short-monotonic": _SHORT_MONOTONIC,
        "time-of-day": _TIME_OF_DAY,
        "loki": _LOKI,
    }[name]
    return rx.match(head) is not None


def unwrapper_for(head: bytes) -> Unwrapper:
    """The unwrapper the first lines of a file call for (each step is kept
    only if some line of the head needs it, and then runs on every block)."""
    names: list[str] = []
    sample = head
    for name in (
        "bom",
        "indent",
        "journal-notes",
        "grep",
        "mailcow-table",
        "exim-stderr",
        "journal",
        "docker-json",
        "platform-json",
        "cri",
        "supervised",
        "loki",
        "short-full",
        "short-unix",
        "short-monotonic",
        "time-of-day",
    ):
        if _wraps(name, sample):
            step = (
                "supervised-s6" if name == "supervised" and _counts_leap_seconds(sample) else name
            )
            names.append(step)
            sample = _STEPS[step](sample)
            if step == "journal-notes":
                sample = sample.lstrip(b"\r\n")  # (the first record is the first line)
    # (One pass for the six searches below: none matches in a plain log, the
    # common case, which each of them proved over the whole head.)
    plain = b"\x1b[" not in sample and _ANY_LINE_STEP.search(b"\n" + sample) is None
    if not plain and _ANSI.search(sample):
        names.append("ansi")
        sample = _ansi(sample)
    family = _cat_family(sample)
    if family is not None:
        return Unwrapper((*names, family))
    lines = [ln for ln in sample.split(b"\n")[:200] if ln.strip()]
    if lines and not _CLASSIC_OR_ISO.match(lines[0]):
        composed = [ln for ln in lines if _COMPOSE.match(ln)]
        rest = [_COMPOSE.sub(b"", ln, count=1) for ln in composed]
        if len(composed) * 2 >= len(lines) and any(
            _CLASSIC_OR_ISO.match(r) or _TAGGED.match(r) or _HOST_TAGGED.match(r) for r in rest
        ):
            names.append("compose")
            sample = _compose(sample)
            plain = False  # (another sample: searched as usual)
            # A program that logs its messages behind its syslog tag but no time
            # (a container's syslog template): read as such once the prefix is off.
            family = _cat_family(sample)
            if family is not None:
                return Unwrapper((*names, family))
    if plain:
        return Unwrapper(tuple(names))
    for name, rx in (
        ("journal-notes", _JOURNAL_NOTE),
        ("docker-timestamp", _DOCKER_TS),
        ("localized-month", _LOCALIZED),
        ("unpadded-day", _UNPADDED),
        ("priority-tag", _TAG_AFTER_TIME),
        ("rfc5424-spaced", _RFC5424_SPACED),
    ):
        if name in names:
            continue  # (journal-notes: already taken for the first line)
        if rx.search(sample) or (name == "priority-tag" and _TAG_AFTER_HOST.search(sample)):
            names.append(name)
            sample = _STEPS[name](sample)
    return Unwrapper(tuple(names))
