"""Where a failure happened, read from how a report is laid out.

Transcripts (Sendmail's ">>> RCPT To:" / "<<< 550", Postfix's "In:" /
"Out:", PHPMailer's "CLIENT -> SERVER:" / "SERVER -> CLIENT:") say which
command the first failing reply answered; a registered enhanced code says
where it is usually given (RFC 3463); a connection text names the host and
port a follow-up check should probe. Pure.
"""

from __future__ import annotations

import re

from smtpdoctor.model import Category, Stage

__all__ = ["CODE_STAGE", "after_data", "target", "transcript_stage", "without_summary"]

# Where a registered code is usually given (RFC 3463): mailbox and address
# codes at RCPT TO, the sender's at MAIL FROM, routing to a domain in DNS,
# size and content after the message.
CODE_STAGE: dict[tuple[int, int | None], Stage] = {
    (1, None): Stage.RCPT_TO,
    (2, None): Stage.RCPT_TO,
    (1, 7): Stage.MAIL_FROM,
    (1, 8): Stage.MAIL_FROM,
    (1, 2): Stage.DNS,
    (1, 10): Stage.DNS,
    (4, 4): Stage.DNS,
    (4, 1): Stage.CONNECT,  # X.4.1 "No answer from host": the connection was not made
    (3, 4): Stage.MESSAGE,
    (2, 3): Stage.MESSAGE,
    (6, None): Stage.MESSAGE,
}

# A transcript ("Transcript of session follows": Sendmail's ">>> RCPT To:" /
# "<<< 550", Postfix's "In: RCPT" / "Out: 550"): the command the first
# failing reply answered.
# swaks marks the client's lines " -> ", the server's "<- " and a failing reply "<** ".
# MDaemon's session transcript marks them "--> RCPT To:" / "<-- 550" after a
# timestamp; hMailServer's NDR "hMailServer sent: RCPT TO:" / "Remote server replied: 550";
# ZMailer's report's "Diagnostic texts:" "<<- RCPT To:" (sent) / "->> 550" (received).
_TRANSCRIPT = re.compile(
    r"(?:>>>|\bIn:|CLIENT -> SERVER:|^[ \t]*->|: --> |hMailServer sent: |^[ \t]*<<-)[ \t]*"
    r"(MAIL\b|RCPT\b|DATA\b|EHLO\b|HELO\b|STARTTLS\b|AUTH\b|\.(?=\s))[^\n]*\n"
    r"(?:[^\n]*(?:<<<|Out:|SERVER -> CLIENT:|^[ \t]*<-|: <-- |^[ \t]*->>)[ \t]*[23]\d\d[^\n]*\n)*"
    r"[^\n]*(?:<<<|Out:|SERVER -> CLIENT:|^[ \t]*<(?:-|\*\*)|: <-- |Remote server replied:|"
    r"^[ \t]*->>)[ \t]*[45]\d\d",
    re.IGNORECASE | re.MULTILINE,
)
# A bare session copied from telnet or netcat: the command line, its 2xx/3xx
# replies, then the failing reply, each at the start of a line.
_BARE_SESSION = re.compile(
    r"^[ \t]*(MAIL FROM:|RCPT TO:|DATA\b|EHLO\b|HELO\b|STARTTLS\b|AUTH\b|\.(?=[ \t]*\n))[^\n]*\n"
    r"(?:[ \t]*[23]\d\d[ -][^\n]*\n)*[ \t]*[45]\d\d[ -]",
    re.IGNORECASE | re.MULTILINE,
)
# The line after a bare session's command line opens with a reply code: a text with no
# such line holds no session (and the regex above, tried at every character, need not run).
_REPLY_AFTER_LINE = re.compile(r"\n[ \t]*[2345]\d\d[ -]")
# "<<< 554" (Sendmail) before any ">>>"; PHPMailer's "SERVER -> CLIENT: 421" /
# "SMTP -> FROM SERVER:421" (its 5.x debug output) before the client said
# anything, in a log that shows the client's lines too.
_GREETING_REFUSED = re.compile(
    # (a transcript cut short, "... <<< 550", is no banner: its commands were left out)
    r"\A(?:(?!>>>)[\s\S])*?(?<!\.\.\.\s)<<<[ \t]*[45]\d\d[ -]|"
    r"\A(?:(?!^[ \t]*-> )[\s\S])*?^<\*\*[ \t]*[45]\d\d[ -]|"
    r"\A(?:(?!CLIENT -> (?:SERVER|SMTP))[\s\S])*?(?:SERVER -> CLIENT:|SMTP -> FROM SERVER:)"
    r"[ \t]*[45]\d\d[ -][\s\S]*?CLIENT -> (?:SERVER|SMTP)",
    re.MULTILINE,
)
_PIPELINED_RCPT = re.compile(
    r"\b503\b[^\n]*RCPT|need RCPT|no valid recipients|RCPT first", re.IGNORECASE
)
_TRANSCRIPT_STAGE = {
    "MAIL": Stage.MAIL_FROM,
    "RCPT": Stage.RCPT_TO,
    "DATA": Stage.DATA,
    "EHLO": Stage.EHLO,
    "HELO": Stage.EHLO,
    "STARTTLS": Stage.STARTTLS,
    "AUTH": Stage.AUTH,
    ".": Stage.MESSAGE,
}


def after_data(category: Category, stage: Stage) -> Stage:
    """What a ">>> DATA" in a Sendmail transcript stood for.

    Sendmail does not echo the final "."; with PIPELINING the RCPT replies
    come after ">>> DATA" too. A recipient refusal answered a RCPT, a content
    or size refusal the end of the message.
    """
    if category is Category.RECIPIENT:
        return Stage.RCPT_TO
    if category in (Category.POLICY_REJECTION, Category.MESSAGE_SIZE):
        return Stage.MESSAGE
    return stage


def transcript_stage(raw: str) -> tuple[Stage | None, str | None]:
    m = None
    if ">>>" in raw or "In:" in raw or "CLIENT -> SERVER" in raw or "->" in raw or " sent: " in raw:
        m = _TRANSCRIPT.search(raw)
    if m is None and "\n" in raw and _REPLY_AFTER_LINE.search(raw):
        m = _BARE_SESSION.search(raw)
    if (
        m is None
        and ("<<<" in raw or "SERVER" in raw or "<**" in raw)
        and _GREETING_REFUSED.search(raw)
    ):
        # "<<< 554 ..." before any ">>>": the server refused in its banner.
        return Stage.GREETING, "stage.transcript"
    if m is None:
        return None, None
    command = m.group(1).upper().split()[0].rstrip(":")
    # Pipelining: ">>> DATA" then the refusal of a RCPT sent before it, then
    # "503 Need RCPT" / "no valid recipients" for the DATA itself.
    if command == "DATA" and _PIPELINED_RCPT.search(raw, m.end()):
        return Stage.RCPT_TO, "stage.transcript"
    return _TRANSCRIPT_STAGE[command], "stage.transcript"


_TARGET = re.compile(
    r"connect to ([\w.-]+)(?:\[[^\]]*\])?:(\d+)|H=([\w.-]+)|"
    r"(?:host|server|SMTP host:?)\s+([\w-]+\.[\w.-]+)|"
    r"\b(\d{1,3}(?:\.\d{1,3}){3}|[\w-]+\.[\w.-]+\.[a-z]{2,}):(\d{2,5})\b|"
    # Postfix's peer, "host[addr]" or "host[addr]:port" ("SSL_connect error to ...",
    # "lost connection with ...")
    r"\b([\w-]+\.[\w.-]+)\[[^\]\s]*\](?::(\d{2,5}))?",
    re.IGNORECASE,
)


def target(raw: str) -> tuple[str, int]:
    """The host and port a connection text names, for the check's command line."""
    m = _TARGET.search(raw)
    if m is None:
        return "MX-HOST", 25
    host = m.group(1) or m.group(3) or m.group(4) or m.group(5) or m.group(7) or "MX-HOST"
    port = m.group(2) or m.group(6) or m.group(8)
    return host, int(port) if port else 25


# Sendmail's own summary of a failed exchange ("554 5.0.0 Service unavailable",
# its EX_UNAVAILABLE) under the server's reply it quotes ("<<< 550 5.7.1 ..."): the
# quoted reply says why; the summary is Sendmail's word for any refusal it cannot map.
_SENDMAIL_SUMMARY = re.compile(
    r"^[ \t]*5\d\d 5\.0\.0 (?:<[^<>\n]*>\.\.\. )?Service unavailable[ \t]*$", re.MULTILINE
)


def without_summary(raw: str) -> str:
    """``raw`` without Sendmail's "Service unavailable" summary when it quotes the reply."""
    if "<<<" not in raw or "Service unavailable" not in raw:
        return raw
    return _SENDMAIL_SUMMARY.sub("", raw)
