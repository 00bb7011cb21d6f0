"""``explain --file`` gives the same answer whatever MTA or provider wrote the bounce (issue 10).

The held-back bounces score lower than the tuned ones because the next bounce
comes from a system, a template or a language the tuned ones did not show. This
harness takes the remote reply of each tune-split bounce that ``explain`` reads
right today (``tests/data/replies/bounces.jsonl``, ``"split": "tune"`` only: no
held-back row is read) and writes the same failure again the way other
systems write it: Postfix (also its delay warning and an alias's expansion), Exim
(failure and delay warning, and its older one-line layout), Sendmail, qmail,
Courier, MDaemon's session transcript, hMailServer, Exchange 2003, 2007-2010,
2013-2016 and Microsoft 365 (also Outlook.com's), Lotus Domino, GroupWise,
Gmail, Yahoo, and provider reports in French, German, Spanish, Italian,
Portuguese, Russian (Mail.ru, Yandex), Chinese (QQ, NetEase) and Japanese,
Exchange's NDR in German, French and Spanish, and a report whose text does not
quote the reply (only its ``Diagnostic-Code`` does); each with the
delivery-status part or without it, its ``Status`` specific, generic
(``5.0.0``), alone (no ``Diagnostic-Code``) or with the field folded, the
original message attached whole, as headers only or not at all, the text as
it is, quoted-printable, base64, as an HTML part or with CRLF line ends, and
two recipients with different causes in one mail. Two more harnesses below
take the tune bounces themselves: re-encoded (CRLF, base64, quoted-printable),
and their own text pasted without the mail (as it is, quoted, forwarded).

The variation keeps the meaning: the same remote reply, refused at the same
command, for the same recipient. So the expected category is the original
row's; the expected stage is the original row's where the template states the
command (Postfix's "in reply to", Exim's "after", a transcript's ``>>>``, qmail's
"does not like recipient"), and where it states none, the stage the reply itself
gives when read alone (RFC 5321 §3.3: a text naming a recipient problem implies
RCPT TO; a bare code implies nothing).
"""

from __future__ import annotations

import base64
import email
import html
import json
import quopri
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.diagnosis import classify
from smtpdoctor.model import Stage

_ROOT = Path(__file__).parents[2]
_ROWS = _ROOT / "tests" / "data" / "replies" / "bounces.jsonl"

_SENDER = "jo.sender@example.com"
_OUR = "mail.example.com"
_MX = "mx.example.org"
_IP = "192.0.2.25"
_DATE = "Sat, 5 Dec 2026 10:00:00 +0000"


@dataclass(frozen=True)
class Key:
    """One tune row's meaning: its remote reply, the stage it happened at, the answer."""

    reply: str
    stage: Stage  # the row's stage
    category: str
    bare_stage: Stage  # the stage the reply gives alone
    source: str


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Rcpt:
    """A recipient and its failure; the reply names this recipient where it names one."""

    addr: str
    key: Key

    @property
    def reply(self) -> str:
        return _ADDRESS.sub(self.addr, self.key.reply)


# --- the keys: tune rows' remote replies ---------------------------------------------

_CODE = re.compile(r"(?:^|(?<=[\s;:'(<\[]))([245]\d\d)[ -]", re.M)
_ENDS = (
    "(in reply to",
    "\nGiving up on",
    "' ",
    "'\n",
    "> #SMTP#",
    "\n\n",
    "\nRecipient address:",
)


def _reply_of(text: str) -> str | None:
    """The remote reply a winning text quotes, without the wrapper's words around it."""
    m = _CODE.search(text)
    if m is None:
        return None
    reply = text[m.start(1) :]
    for end in _ENDS:
        cut = reply.find(end)
        if cut > 0:
            reply = reply[:cut]
    reply = reply.rstrip(" '>)\n")
    if reply.endswith("'"):
        reply = reply[:-1]
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    # One reply: its continuation lines ("550-5.2.1 ..." then "550 5.2.1 ..."), or
    # its text folded over lines; a transcript's next command or reply ends it.
    kept = lines[:1]
    for raw in lines[1:]:
        going_on = kept[-1].startswith(f"{lines[0][:3]}-")
        # (a transcript's continuation line: "<<< 550-5.2.1 ...")
        line = raw[3:].strip() if raw.startswith("<<<") and going_on else raw
        if (_NEXT.match(line) and not going_on) or line.startswith(">>>"):
            break
        kept.append(line)
    reply = "\n".join(kept) if all(_NEXT.match(x) for x in kept) else " ".join(kept)
    return reply if len(reply) >= 10 else None


_NEXT = re.compile(r"(?:<<<\s*)?[245]\d\d[ -]|>>>|<<<")
_STATED = frozenset(
    {Stage.GREETING, Stage.EHLO, Stage.MAIL_FROM, Stage.RCPT_TO, Stage.DATA, Stage.MESSAGE}
)


def _keys() -> list[Key]:
    rows = [json.loads(x) for x in _ROWS.read_text("utf-8").splitlines() if x]
    rows = [r for r in rows if r["split"] == "tune" and r["category"] != "ok"]
    files = sorted({r["file"] for r in rows})
    got: dict[tuple[str, str], tuple[str, str, str]] = {}
    for item, c in explain_files([str(_ROOT / f) for f in files]):
        source = str(Path(item.origin["source"]).relative_to(_ROOT))
        who = (item.origin.get("recipient") or "").lower()
        got.setdefault((source, who), (c.category.value, c.stage.value, c.text))
    keys: dict[str, Key] = {}
    for r in rows:
        answer = got.get((r["file"], r["recipient"]))
        if answer is None or answer[:2] != (r["category"], r["stage"]):
            continue
        reply = _reply_of(answer[2])
        if reply is None or reply in keys:
            continue
        alone = classify(reply)
        # The reply must carry the row's meaning by itself, and keep it at the row's stage.
        if alone.category.value != r["category"]:
            continue
        stage = Stage(r["stage"])
        if stage in _STATED and classify(reply, stage=stage).category.value != r["category"]:
            continue
        keys[reply] = Key(reply, stage, r["category"], alone.stage, r["file"])
    return list(keys.values())


# --- pieces every template uses -------------------------------------------------------

_ORIGINAL_HEADERS = (
    "Return-Path: <jo.sender@example.com>\n"
    "Received: from [198.51.100.7] (client.example.com [198.51.100.7])\n"
    "\tby mail.example.com (Postfix) with ESMTPSA id 4F1A2B3C4D\n"
    "\tfor <{to}>; Sat,  5 Dec 2026 09:59:58 +0000 (UTC)\n"
    "Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=example.com;\n"
    "\tdkim=pass header.d=example.com\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\n"
    "\th=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
    "\tb=dGVzdA==\n"
    "From: Jo Sender <jo.sender@example.com>\n"
    "To: {to}\n"
    "Subject: Minutes of Thursday's meeting\n"
    "Date: Sat, 5 Dec 2026 09:59:57 +0000\n"
    "Message-ID: <20261205095957.1234@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
)
_ORIGINAL_BODY = (
    "\nHello all,\n\nthe minutes are below; the next meeting is on Monday at 10.\n"
    "Please send corrections by Friday.\n\nJo\n"
)


def _original(rcpts: list[Rcpt], whole: bool) -> str:
    head = _ORIGINAL_HEADERS.format(to=", ".join(r.addr for r in rcpts))
    return head + _ORIGINAL_BODY if whole else head


def _status(key: Key, mode: str) -> str:
    code = key.reply[:3]
    m = re.match(r"[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b", key.reply)
    if mode == "generic" or m is None:
        return f"{code[0]}.0.0"
    return m.group(1)


def _permanent(rcpts: list[Rcpt]) -> bool:
    return any(r.key.reply[0] == "5" for r in rcpts)


def _dsn(rcpts: list[Rcpt], mode: str, mta_type: str = "dns", diag_type: str = "smtp") -> str:
    """An RFC 3464 ``message/delivery-status`` body (mode: specific, generic, status-only)."""
    out = [f"Reporting-MTA: {mta_type}; {_OUR}", f"Arrival-Date: {_DATE}", ""]
    for r in rcpts:
        out += [
            f"Final-Recipient: rfc822; {r.addr}",
            f"Original-Recipient: rfc822;{r.addr}",
            f"Action: {'failed' if r.key.reply[0] == '5' else 'delayed'}",
            f"Status: {_status(r.key, 'generic' if mode == 'generic' else 'specific')}",
            f"Remote-MTA: dns; {_MX}",
        ]
        if mode == "folded":
            # Postfix folds the field at 72 columns (RFC 5322 §2.2.3).
            field = f"Diagnostic-Code: {diag_type}; {_one_line(r.reply)}"
            out.append(textwrap.fill(field, 72, subsequent_indent="    "))
        elif mode != "status-only":
            out.append(f"Diagnostic-Code: {diag_type}; {_one_line(r.reply)}")
        out.append("")
    return "\n".join(out)


def _one_line(reply: str) -> str:
    return " ".join(x.strip() for x in reply.splitlines())


def _mail(
    head: dict[str, str],
    text: str,
    rcpts: list[Rcpt],
    dsn: str | None,
    original: str | None,
    *,
    separator: str = "",
    form: str = "8bit",
) -> str:
    """The whole mail: a multipart/report when there is a DSN, else one text part.

    ``form``: how the report's text travels: as it is (8bit), quoted-printable or
    base64 (RFC 2045), as the HTML part a provider sends, or with CRLF line ends.
    """
    lines = [f"{k}: {v}" for k, v in head.items()]
    lines += [f"Date: {_DATE}", "Message-ID: <bounce.20261205100000.77@mail.example.com>"]
    lines.append(f"To: {_SENDER}")
    lines.append("MIME-Version: 1.0")
    attached = None
    if original is not None:
        attached = _original(rcpts, whole=original == "whole")
    if attached is not None and dsn is None:
        text += f"\n{separator or '------ Original message ------'}\n\n{attached}"
    kind, encoding, body = _encoded(text, form)
    if dsn is None:
        lines.append(f"Content-Type: {kind}; charset=utf-8")
        lines.append(f"Content-Transfer-Encoding: {encoding}")
        return _line_ends("\n".join(lines) + "\n\n" + body, form)
    b = "=_report_7Hk2"
    lines.append(f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"')
    parts = [
        "This is a MIME-encapsulated message.\n",
        f"--{b}\nContent-Type: {kind}; charset=utf-8\n"
        f"Content-Transfer-Encoding: {encoding}\n\n{body}\n",
        f"--{b}\nContent-Type: message/delivery-status\n\n{dsn}\n",
    ]
    if attached is not None:
        kind = "message/rfc822" if original == "whole" else "text/rfc822-headers"
        parts.append(f"--{b}\nContent-Type: {kind}\n\n{attached}\n")
    parts.append(f"--{b}--\n")
    return _line_ends("\n".join(lines) + "\n\n" + "\n".join(parts), form)


FORMS = ("8bit", "quoted-printable", "base64", "html", "crlf")


def _encoded(text: str, form: str) -> tuple[str, str, str]:
    """The text part's type, transfer encoding and body in ``form``."""
    if form == "quoted-printable":
        return "text/plain", form, quopri.encodestring(text.encode()).decode("ascii")
    if form == "base64":
        return "text/plain", form, base64.encodebytes(text.encode()).decode("ascii")
    if form == "html":
        paras = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>' + chr(10))}</p>\n"
            for p in text.split("\n\n")
        )
        page = f"<html><head><style>p {{margin:0}}</style></head><body>\n{paras}</body></html>"
        return "text/html", "8bit", page
    return "text/plain", "8bit", text


def _line_ends(mail: str, form: str) -> str:
    return mail.replace("\n", "\r\n") if form == "crlf" else mail


# --- the templates --------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """How one system writes the report's text for these recipients."""

    name: str
    text: Callable[[list[Rcpt]], str]
    head: dict[str, str]
    states: frozenset[Stage] = frozenset()  # the stages its text can state
    dsn: bool = True  # whether the system writes a delivery-status part
    quotes: bool = True  # whether its text quotes the reply (else only Diagnostic-Code has it)
    separator: str = ""  # the line before the original in a one-part report


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(text, 72, subsequent_indent=indent, break_on_hyphens=False)


_POSTFIX_CMD = {
    Stage.EHLO: "EHLO",
    Stage.MAIL_FROM: "MAIL FROM",
    Stage.RCPT_TO: "RCPT TO",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "end of DATA",
}


def _postfix(rcpts: list[Rcpt], expanded: bool = False) -> str:
    if _permanent(rcpts):
        out = [
            f"This is the mail system at host {_OUR}.\n",
            "I'm sorry to have to inform you that your message could not",
            "be delivered to one or more recipients. It's attached below.\n",
            "For further assistance, please send mail to postmaster.\n",
            "If you do so, please include this problem report. You can",
            "delete your own text from the attached returned message.\n",
            "                   The mail system\n",
        ]
    else:
        # Postfix's delay warning (bounce_template "delay"), for a 4xx reply.
        bar = "#" * 68
        out = [
            f"This is the mail system at host {_OUR}.\n",
            f"{bar}\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n{bar}\n",
            "Your message could not be delivered for more than 4 hour(s).",
            "It will be retried until it is 5 day(s) old.\n",
            "For further assistance, please send mail to postmaster.\n",
            "                   The mail system\n",
        ]
    for r in rcpts:
        reply = _one_line(r.reply)
        who = f"<{r.addr}> (expanded from <list-{r.addr.split('@')[0]}@{_OUR.split('.', 1)[1]}>)"
        who = who if expanded else f"<{r.addr}>"
        if r.key.stage == Stage.GREETING:
            said = f"{who}: host {_MX}[{_IP}] refused to talk to me: {reply}"
        else:
            cmd = _POSTFIX_CMD[r.key.stage]
            said = f"{who}: host {_MX}[{_IP}] said: {reply} (in reply to {cmd} command)"
        out.append(_wrap(said) + "\n")
    return "\n".join(out)


def _postfix_expanded(rcpts: list[Rcpt]) -> str:
    """Postfix's report for a recipient an alias or list expanded to."""
    return _postfix(rcpts, expanded=True)


def _exim_old(rcpts: list[Rcpt]) -> str:
    """Exim 4's older layout: the host and the reply on one line under "after"."""
    out = [
        "This message was created automatically by mail delivery software.\n",
        "A message that you sent could not be delivered to one or more of its",
        "recipients. This is a permanent error. The following address(es) failed:\n",
    ]
    for r in rcpts:
        after = _EXIM_AFTER.get(r.key.stage, f"RCPT TO:<{r.addr}>")
        out.append(
            f"  {r.addr}\n    SMTP error from remote mail server after {after}:\n"
            f"    host {_MX} [{_IP}]: {_one_line(r.reply)}\n"
        )
    return "\n".join(out)


_EXIM_AFTER = {
    Stage.GREETING: "initial connection",
    Stage.EHLO: f"EHLO {_OUR}",
    Stage.MAIL_FROM: f"MAIL FROM:<{_SENDER}> SIZE=2345",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "end of data",
}


def _exim(rcpts: list[Rcpt]) -> str:
    if _permanent(rcpts):
        out = [
            "This message was created automatically by mail delivery software.\n",
            "A message that you sent could not be delivered to one or more of its",
            "recipients. This is a permanent error. The following address(es) failed:\n",
        ]
    else:
        out = [
            "This message was created automatically by mail delivery software.\n",
            "A message that you sent has not yet been delivered to one or more of its",
            f"recipients after more than 24 hours on the queue on {_OUR}.\n",
            "The message identifier is:     1kLmNo-0003Ab-Cd",
            f"The date of the message is:    {_DATE}",
            "The subject of the message is: Minutes of Thursday's meeting\n",
            "The address to which the message has not yet been delivered is:\n",
        ]
    for r in rcpts:
        after = _EXIM_AFTER.get(r.key.stage, f"RCPT TO:<{r.addr}>")
        reply = "\n    ".join(r.reply.splitlines())
        out.append(
            f"  {r.addr}\n    host {_MX} [{_IP}]\n"
            f"    SMTP error from remote mail server after {after}:\n    {reply}\n"
        )
    if not _permanent(rcpts):
        out.append(
            "No action is required on your part. Delivery attempts will continue for\n"
            "some time, and this warning may be repeated at intervals if the message\n"
            "remains undelivered. Eventually the mail delivery software will give up,\n"
            "and when that happens, the message will be returned to you.\n"
        )
    return "\n".join(out)


_SENDMAIL_SENT = {
    Stage.MAIL_FROM: [f">>> MAIL From:<{_SENDER}> SIZE=2345"],
    Stage.RCPT_TO: [">>> RCPT To:<{addr}>"],
    Stage.DATA: [">>> DATA"],
    Stage.MESSAGE: [">>> DATA", '<<< 354 Enter mail, end with "." on a line by itself', ">>> ."],
}


def _sendmail(rcpts: list[Rcpt]) -> str:
    out = [f"The original message was received at {_DATE}", "from localhost [127.0.0.1]\n"]
    kind = "permanent fatal errors" if _permanent(rcpts) else "transient non-fatal errors"
    out.append(f"   ----- The following addresses had {kind} -----")
    for r in rcpts:
        out.append(f"<{r.addr}>\n    (reason: {_one_line(r.reply)})")
    out.append("\n   ----- Transcript of session follows -----")
    for r in rcpts:
        out.append(f"... while talking to {_MX}.:")
        out += [x.format(addr=r.addr) for x in _SENDMAIL_SENT[r.key.stage]]
        out += [f"<<< {x}" for x in r.reply.splitlines()]
        out.append(f"{r.key.reply[:3]} 5.0.0 <{r.addr}>... {_sendmail_summary(r.key)}")
    return "\n".join(out) + "\n"


def _sendmail_summary(key: Key) -> str:
    return "Service unavailable" if key.reply[0] == "5" else "Deferred"


_QMAIL = {
    Stage.GREETING: "Connected to {ip} but greeting failed.",
    Stage.MAIL_FROM: "Connected to {ip} but sender was rejected.",
    Stage.RCPT_TO: "{ip} does not like recipient.",
    Stage.MESSAGE: "{ip} failed after I sent the message.",
}


def _qmail(rcpts: list[Rcpt]) -> str:
    out = [
        f"Hi. This is the qmail-send program at {_OUR}.",
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        "This is a permanent error; I've given up. Sorry it didn't work out.\n",
    ]
    for r in rcpts:
        out.append(
            f"<{r.addr}>:\n{_QMAIL[r.key.stage].format(ip=_IP)}\n"
            f"Remote host said: {_one_line(r.reply)}\nGiving up on {_IP}.\n"
        )
    return "\n".join(out)


_COURIER_SENT = {Stage.MAIL_FROM: f">>> MAIL FROM:<{_SENDER}>", Stage.RCPT_TO: ">>> RCPT TO:<{a}>"}


def _courier(rcpts: list[Rcpt]) -> str:
    out = [
        f"This is a delivery status notification from {_OUR},",
        "running the Courier mail server, version 1.1.2.\n",
        f"The original message was received on {_DATE}",
        "from localhost (localhost [127.0.0.1])\n",
        "-" * 75 + "\n",
        "                           UNDELIVERABLE MAIL\n",
        "Your message to the following recipients cannot be delivered:\n",
    ]
    for r in rcpts:
        replies = "\n".join(f"<<< {x}" for x in r.reply.splitlines())
        sent = _COURIER_SENT[r.key.stage].format(a=r.addr)
        out.append(f"<{r.addr}>:\n    {_MX} [{_IP}]:\n{sent}\n{replies}\n")
    out.append("-" * 75)
    return "\n".join(out) + "\n"


_MDAEMON_SENT = {
    Stage.MAIL_FROM: f"MAIL From:<{_SENDER}> SIZE=2345",
    Stage.RCPT_TO: "RCPT To:<{a}>",
    Stage.DATA: "DATA",
}


def _mdaemon(rcpts: list[Rcpt]) -> str:
    t = " Sat 2026-12-05 10:00:01.234:"
    out = [
        "The attached message had PERMANENT fatal delivery errors!\n",
        "After one or more unsuccessful delivery attempts the attached message has",
        "been removed from the mail queue on this server.  The number and frequency",
        "of delivery attempts are determined by local configuration parameters.\n",
        "YOU DO NOT NEED TO RESEND YOUR MESSAGE TO ALL RECIPIENTS.  Only to those",
        "listed below.\n",
        "--- Session Transcript ---",
    ]
    for r in rcpts:
        out += [
            f"{t} Session 1234; child 1",
            f"{t} Parsing message <mail.example.com\\pd50001234.msg>",
            f"{t} *  From: {_SENDER}",
            f"{t} *  To: {r.addr}",
            f"{t} Attempting SMTP connection to [{_MX}]",
            f"{t} Connecting to {_IP}:25...",
            f"{t} Connected to {_IP}:25",
            f"{t} Waiting for protocol to start...",
            f"{t} <-- 220 {_MX} ESMTP",
            f"{t} --> EHLO {_OUR}",
            f"{t} <-- 250 {_MX}",
        ]
        if r.key.stage != Stage.MAIL_FROM:
            out += [f"{t} --> MAIL From:<{_SENDER}> SIZE=2345", f"{t} <-- 250 2.1.0 Ok"]
        if r.key.stage == Stage.DATA:
            out += [f"{t} --> RCPT To:<{r.addr}>", f"{t} <-- 250 2.1.5 Ok"]
        out.append(f"{t} --> {_MDAEMON_SENT[r.key.stage].format(a=r.addr)}")
        out += [f"{t} <-- {x}" for x in r.reply.splitlines()]
        out.append(f"{t} --> QUIT")
    out.append("--- End Transcript ---\n")
    return "\n".join(out)


_HMAIL_SENT = {
    Stage.MAIL_FROM: f"MAIL FROM:<{_SENDER}>",
    Stage.RCPT_TO: "RCPT TO:<{a}>",
    Stage.DATA: "DATA",
    Stage.MESSAGE: ".",
}


def _hmailserver(rcpts: list[Rcpt]) -> str:
    out = [
        "Your message did not reach some or all of the intended recipients.\n",
        "   Subject: Minutes of Thursday's meeting",
        "   Sent:    12/5/2026 10:00 AM\n",
        "The following recipient(s) could not be reached:\n",
    ]
    for r in rcpts:
        out.append(
            f"{r.addr}\n   Error Type: SMTP\n   Remote server ({_IP}) issued an error.\n"
            f"   hMailServer sent: {_HMAIL_SENT[r.key.stage].format(a=r.addr)}\n"
            f"   Remote server replied: {_one_line(r.reply)}\n"
        )
    return "\n".join(out)


def _yahoo(rcpts: list[Rcpt]) -> str:
    out = ["Sorry, we were unable to deliver your message to the following address.\n"]
    for r in rcpts:
        mark = "[MAIL_FROM]" if r.key.stage == Stage.MAIL_FROM else "[RCPT_TO]"
        out.append(f"<{r.addr}>:\nRemote host said: {_one_line(r.reply)} {mark}\n")
    return "\n".join(out)


_EXCHANGE_SENTENCE = (
    "A problem occurred while delivering this message to this email address. Try sending "
    "your message again. If the problem continues, please contact your helpdesk."
)


def _exchange2010(rcpts: list[Rcpt]) -> str:
    out = ["Delivery has failed to these recipients or groups:\n"]
    out += [f"{r.addr}\n{_EXCHANGE_SENTENCE}\n" for r in rcpts]
    out += [
        "\n\n\n\n\nDiagnostic information for administrators:\n",
        "Generating server: ex01.example.com\n",
    ]
    for r in rcpts:
        out.append(f"{r.addr}\n{_MX} #{_one_line(r.reply)} ##\n")
    out.append("Original message headers:\n")
    return "\n".join(out)


def _exchange2007(rcpts: list[Rcpt]) -> str:
    out = ["Delivery has failed to these recipients or distribution lists:\n"]
    out += [f"{r.addr}\n{_EXCHANGE_SENTENCE}\n" for r in rcpts]
    out += [
        "\n\n\n\n\nDiagnostic information for administrators:\n",
        "Generating server: ex01.example.com\n",
    ]
    for r in rcpts:
        status = _status(r.key, "specific")
        out.append(f"{r.addr}\n#< #{status} smtp;{_one_line(r.reply)}> #SMTP#\n")
    out.append("Original message headers:\n")
    return "\n".join(out)


def _exchange_online(rcpts: list[Rcpt]) -> str:
    out = []
    for r in rcpts:
        domain = r.addr.split("@")[1]
        out += [
            f"Your message to {r.addr} couldn't be delivered.\n",
            f"The server for {domain} returned an error.\n",
            f"{r.addr.split('@')[0]}\nOffice 365      {domain}\nAction Required\n",
        ]
    out += ["\n\n\nDiagnostic information for administrators:\n"]
    out.append("Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com\n")
    for r in rcpts:
        out.append(f"{r.addr}\nRemote Server returned '{_one_line(r.reply)}'\n")
    out.append("Original message headers:\n")
    return "\n".join(out)


# Exchange 2013-365 writes its NDR in the sender's language: its headings, and the
# remote reply quoted in "Remote Server returned '...'" in those words.
_EXCHANGE_LOCAL = {
    "german": (
        "Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:",
        "Diagnoseinformationen für Administratoren:",
        "Generierender Server:",
        "Remoteserver hat '{reply}' zurückgegeben",
    ),
    "french": (
        "La remise à ces destinataires ou groupes a échoué :",
        "Informations de diagnostic pour les administrateurs :",
        "Serveur de génération :",
        "Le serveur distant a retourné '{reply}'",
    ),
    "spanish": (
        "Error en la entrega a estos destinatarios o grupos:",
        "Información de diagnóstico para administradores:",
        "Servidor de generación:",
        "El servidor remoto devolvió '{reply}'",
    ),
}


def _exchange_local(language: str) -> Callable[[list[Rcpt]], str]:
    failed, heading, server, returned = _EXCHANGE_LOCAL[language]

    def text(rcpts: list[Rcpt]) -> str:
        out = [f"{failed}\n"]
        out += [f"{r.addr}\n" for r in rcpts]
        out += [f"\n\n\n{heading}\n", f"{server} AM0PR01MB1234.eurprd01.prod.outlook.com\n"]
        for r in rcpts:
            out.append(f"{r.addr}\n{returned.format(reply=_one_line(r.reply))}\n")
        return "\n".join(out)

    return text


def _exchange2003(rcpts: list[Rcpt]) -> str:
    out = [
        "Your message did not reach some or all of the intended recipients.\n",
        "      Subject:\tMinutes of Thursday's meeting",
        "      Sent:\t12/5/2026 10:00 AM\n",
        "The following recipient(s) cannot be reached:\n",
    ]
    for r in rcpts:
        status = _status(r.key, "specific")
        out.append(
            f"      {r.addr} on 12/5/2026 10:00 AM\n"
            "            There was a SMTP communication problem with the recipient's email "
            "server.  Please contact your system administrator.\n"
            f"            <ex01.example.com #{status} smtp;{_one_line(r.reply)}>\n"
        )
    return "\n".join(out)


def _domino(rcpts: list[Rcpt]) -> str:
    out = [
        "Your message\n",
        "  Subject: Minutes of Thursday's meeting\n",
        "was not delivered to:\n",
    ]
    for r in rcpts:
        code = r.key.reply[0]
        kind = "Permanent" if code == "5" else "Transient"
        out.append(
            f"  {r.addr}\n\nbecause:\n\n  Error transferring to {_MX}; SMTP Protocol "
            f"Returned a {kind} Error {_one_line(r.reply)}\n"
        )
    return "\n".join(out)


def _groupwise(rcpts: list[Rcpt]) -> str:
    out = ["The message that you sent was undeliverable to the following:"]
    out += [f"\t{r.addr} ({_one_line(r.reply)})" for r in rcpts]
    out.append("\nPossible causes are listed in the GroupWise Internet Agent documentation.\n")
    return "\n".join(out)


def _gmail(rcpts: list[Rcpt]) -> str:
    out = []
    for r in rcpts:
        out += [
            "** Message not delivered **\n"
            if r.key.reply[0] == "5"
            else "** Delivery incomplete **\n",
            f"There was a problem delivering your message to {r.addr}. See the technical "
            "details below.\n",
            "The response from the remote server was:",
            f"{r.reply}\n",
        ]
    return "\n".join(out)


def _provider(opening: str, label: str, subject: str) -> Callable[[list[Rcpt]], str]:
    def text(rcpts: list[Rcpt]) -> str:
        out = [opening + "\n"]
        for r in rcpts:
            out.append(f"  {r.addr}\n  {label} {_one_line(r.reply)}\n")
        return "\n".join(out)

    return text


def _unquoted(rcpts: list[Rcpt]) -> str:
    """A report whose text names the recipients only (the reply is in the DSN alone)."""
    out = ["Your message could not be delivered to the following recipients:\n"]
    out += [f"  {r.addr}" for r in rcpts]
    out.append("\nThe technical details are in the attached delivery status report.\n")
    return "\n".join(out)


_DAEMON = {"From": f"Mail Delivery System <MAILER-DAEMON@{_OUR}>"}
_LANGUAGES = (
    (
        "french",
        "Votre message n'a pas pu être remis aux destinataires suivants :",
        "Réponse du serveur distant :",
        "Échec de la remise du message",
    ),
    (
        "german",
        "Ihre Nachricht konnte an folgende Empfänger nicht zugestellt werden:",
        "Antwort des entfernten Servers:",
        "Unzustellbar: Nachricht konnte nicht zugestellt werden",
    ),
    (
        "spanish",
        "Su mensaje no pudo ser entregado a los siguientes destinatarios:",
        "Respuesta del servidor remoto:",
        "Mensaje no entregado",
    ),
    (
        "italian",
        "Il messaggio non è stato recapitato ai seguenti destinatari:",
        "Risposta del server remoto:",
        "Messaggio non recapitato",
    ),
    (
        "portuguese",
        "A sua mensagem não pôde ser entregue aos seguintes destinatários:",
        "Resposta do servidor remoto:",
        "Mensagem não entregue",
    ),
    (
        "russian",
        "К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:",
        "Ответ удалённого сервера:",
        "Недоставленное сообщение",
    ),
    (
        "chinese",
        "很抱歉您发送的邮件被退回，以下是该邮件的相关信息：",
        "退信原因：",
        "系统退信",
    ),
    (
        "japanese",
        "次の宛先へのメッセージの配信に失敗しました。",
        "相手サーバーからの応答:",
        "配信エラー: メッセージを配信できませんでした",
    ),
)

_CMD_STAGES = frozenset({Stage.EHLO, Stage.MAIL_FROM, Stage.RCPT_TO, Stage.DATA, Stage.MESSAGE})

TEMPLATES: tuple[Template, ...] = (
    Template(
        "postfix",
        _postfix,
        {**_DAEMON, "Subject": "Undelivered Mail Returned to Sender"},
        _CMD_STAGES | {Stage.GREETING},
    ),
    Template(
        "postfix-expanded",
        _postfix_expanded,
        {**_DAEMON, "Subject": "Undelivered Mail Returned to Sender"},
        _CMD_STAGES | {Stage.GREETING},
    ),
    Template(
        "exim-old",
        _exim_old,
        {**_DAEMON, "Subject": "Mail delivery failed: returning message to sender"},
        frozenset(_EXIM_AFTER) | {Stage.RCPT_TO},
        dsn=False,
        separator="------ This is a copy of the message, including all the headers. ------",
    ),
    Template(
        "exim",
        _exim,
        {**_DAEMON, "Subject": "Mail delivery failed: returning message to sender"},
        frozenset(_EXIM_AFTER) | {Stage.RCPT_TO},
        dsn=False,
        separator="------ This is a copy of the message, including all the headers. ------",
    ),
    Template(
        "sendmail",
        _sendmail,
        {
            "From": f"Mail Delivery Subsystem <MAILER-DAEMON@{_OUR}>",
            "Subject": "Returned mail: see transcript for details",
        },
        frozenset(_SENDMAIL_SENT),
    ),
    Template(
        "qmail",
        _qmail,
        {"From": f"MAILER-DAEMON@{_OUR}", "Subject": "failure notice"},
        frozenset(_QMAIL),
        dsn=False,
        separator="--- Below this line is a copy of the message.",
    ),
    Template(
        "courier",
        _courier,
        {
            "From": f'"Courier mail server at {_OUR}" <@>',
            "Subject": "NOTICE: mail delivery status.",
        },
        frozenset(_COURIER_SENT),
    ),
    Template(
        "mdaemon",
        _mdaemon,
        {"From": f"MDaemon@{_OUR}", "Subject": "Permanent Delivery Failure"},
        frozenset(_MDAEMON_SENT),
        dsn=False,
    ),
    Template(
        "hmailserver",
        _hmailserver,
        {"From": f"mailer-daemon@{_OUR}", "Subject": "Message undeliverable: Minutes"},
        frozenset(_HMAIL_SENT),
        dsn=False,
    ),
    Template(
        "yahoo",
        _yahoo,
        {"From": "MAILER-DAEMON@yahoo.com", "Subject": "Failure Notice"},
        frozenset({Stage.MAIL_FROM, Stage.RCPT_TO}),
        dsn=False,
        separator="--- Below this line is a copy of the message.",
    ),
    Template(
        "exchange-2010",
        _exchange2010,
        {"From": f"postmaster@{_OUR}", "Subject": "Undeliverable: Minutes of Thursday's meeting"},
    ),
    Template(
        "exchange-2007",
        _exchange2007,
        {"From": f"postmaster@{_OUR}", "Subject": "Undeliverable: Minutes of Thursday's meeting"},
    ),
    Template(
        "exchange-online",
        _exchange_online,
        {
            "From": "Microsoft Outlook <postmaster@example.onmicrosoft.com>",
            "Subject": "Undeliverable: Minutes of Thursday's meeting",
        },
    ),
    Template(
        "exchange-2003",
        _exchange2003,
        {
            "From": f"System Administrator <postmaster@{_OUR}>",
            "Subject": "Undeliverable: Minutes of Thursday's meeting",
        },
        dsn=False,
    ),
    Template(
        "domino",
        _domino,
        {"From": f"Mail Router <postmaster@{_OUR}>", "Subject": "DELIVERY FAILURE: Minutes"},
        dsn=False,
    ),
    Template(
        "groupwise",
        _groupwise,
        {"From": f"postmaster@{_OUR}", "Subject": "Message status - undeliverable"},
    ),
    Template(
        "gmail",
        _gmail,
        {
            "From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            "Subject": "Delivery Status Notification (Failure)",
        },
    ),
    *(
        Template(name, _provider(opening, label, ""), {**_DAEMON, "Subject": subject})
        for name, opening, label, subject in _LANGUAGES
    ),
    *(
        Template(
            f"exchange-{language}",
            _exchange_local(language),
            {"From": f"postmaster@{_OUR}", "Subject": "Unzustellbar: Minutes"},
        )
        for language in _EXCHANGE_LOCAL
    ),
    Template(
        "dsn-only",
        _unquoted,
        {**_DAEMON, "Subject": "Delivery Status Notification (Failure)"},
        quotes=False,
    ),
)

# The delivery-status part's forms, and how the original is attached.
DSN_MODES = ("specific", "generic", "status-only", None, "folded")
ORIGINALS = ("whole", "headers", None)


@dataclass(frozen=True)
class Case:
    template: str
    dsn: str | None
    original: str | None
    rcpts: tuple[Rcpt, ...]
    form: str = "8bit"

    def render(self) -> str:
        t = _BY_NAME[self.template]
        rcpts = list(self.rcpts)
        dsn = _dsn(rcpts, self.dsn) if self.dsn and t.dsn else None
        text = t.text(rcpts)
        return _mail(t.head, text, rcpts, dsn, self.original, separator=t.separator, form=self.form)

    def expected(self, r: Rcpt) -> tuple[str, str]:
        t = _BY_NAME[self.template]
        if t.states:
            return r.key.category, r.key.stage.value
        return r.key.category, r.key.bare_stage.value


_BY_NAME = {t.name: t for t in TEMPLATES}


def _fits(t: Template, key: Key) -> bool:
    """A stating template writes only the stages it can; the others any key."""
    return key.stage in t.states if t.states else True


def cases(keys: list[Key]) -> Iterator[Case]:
    """Every key in every template that fits it (its forms rotated), and pairs of keys."""
    n = 0
    for t in TEMPLATES:
        fitting = [k for k in keys if _fits(t, k)]
        for i, key in enumerate(fitting):
            n += 1
            dsn = DSN_MODES[n % len(DSN_MODES)] if t.dsn else None
            if not t.quotes:
                dsn = DSN_MODES[n % 2]  # (the reply must be in Diagnostic-Code)
            original = ORIGINALS[(n // 4) % len(ORIGINALS)]
            form = FORMS[(n // 12) % len(FORMS)]
            yield Case(t.name, dsn, original, (Rcpt(f"user{i}@{_domain(i)}", key),), form)
        # Two recipients with different causes in one report.
        for i in range(0, len(fitting) - 1, 7):
            a, b = (
                fitting[i],
                next((k for k in fitting[i + 1 :] if k.category != fitting[i].category), None)
                or fitting[i + 1],
            )
            dsn = DSN_MODES[i % len(DSN_MODES)] if t.dsn else None
            if not t.quotes:
                dsn = DSN_MODES[i % 2]
            pair = (Rcpt(f"first{i}@{_domain(i)}", a), Rcpt(f"second{i}@{_domain(i + 1)}", b))
            yield Case(t.name, dsn, ORIGINALS[i % len(ORIGINALS)], pair, FORMS[i % len(FORMS)])


def _domain(i: int) -> str:
    return f"d{i % 13}.example.net"


def score(keys: list[Key], folder: Path) -> dict[str, list[int]]:
    """Per template (and ``all``): [category right, stage right, recipients]."""
    all_cases = list(cases(keys))
    for n, case in enumerate(all_cases):
        (folder / f"{n:05d}.eml").write_text(case.render(), "utf-8")
    answers: dict[tuple[int, str], tuple[str, str]] = {}
    singles: dict[int, tuple[str, str]] = {}
    for item, c in explain_files([str(folder)]):
        n = int(Path(item.origin["source"]).stem)
        who = (item.origin.get("recipient") or "").lower()
        answers.setdefault((n, who), (c.category.value, c.stage.value))
        # A one-recipient report whose reader names no recipient still answers for it.
        singles.setdefault(n, (c.category.value, c.stage.value))
    out: dict[str, list[int]] = {}
    misses.clear()
    for n, case in enumerate(all_cases):
        for r in case.rcpts:
            want = case.expected(r)
            nothing = ("(none)", "(none)")
            got = answers.get((n, r.addr)) or (
                singles.get(n, nothing) if len(case.rcpts) == 1 else nothing
            )
            names = (case.template, f"dsn={case.dsn}", f"original={case.original}")
            for name in (*names, f"form={case.form}", "all"):
                s = out.setdefault(name, [0, 0, 0])
                s[0] += got[0] == want[0]
                s[1] += got[1] == want[1]
                s[2] += 1
            if got != want:
                misses.append((case, r, want, got))
    return out


misses: list[tuple[Case, Rcpt, tuple[str, str], tuple[str, str]]] = []


def test_bounce_variants_keep_their_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = _keys()
    assert len(keys) >= 100
    scores = score(keys, tmp_path)
    with capsys.disabled():
        print(f"\nbounce variants: {len(keys)} replies")
        for name, (cat, stage, n) in sorted(scores.items()):
            print(f"  {name}: {n} recipients, category {100 * cat / n:.1f} %, ", end="")
            print(f"stage {100 * stage / n:.1f} %")
    cat, stage, n = scores["all"]
    assert cat / n >= VARIANT_FLOOR[0], scores["all"]
    assert stage / n >= VARIANT_FLOOR[1], scores["all"]


# Reached (session 6): category 99.3 %, stage 99.2 % on 15,176 recipients (95.3 %
# and 93.8 % on the session's starting code, whose keys were 14,897 recipients: it
# reads fewer tune rows right); the floor is that less a tenth of a point.
VARIANT_FLOOR = (0.992, 0.991)


# --- the rules the harness called for, each on texts made for the purpose ------------


def _explain_mail(tmp_path: Path, text: str) -> list[tuple[str | None, str, str]]:
    path = tmp_path / "bounce.eml"
    path.write_text(text, "utf-8")
    return [
        (item.origin.get("recipient"), c.category.value, c.stage.value)
        for item, c in explain_files([str(path)])
    ]


def test_mdaemon_transcript_states_the_command_and_its_250s_are_not_the_answer(
    tmp_path: Path,
) -> None:
    t = " Mon 2026-11-30 08:15:02.117:"
    mail = (
        "From: MDaemon@mail.example.com\nTo: jo@example.com\n"
        "Subject: Permanent Delivery Failure\n\n"
        "The attached message had PERMANENT fatal delivery errors!\n\n"
        "--- Session Transcript ---\n"
        f"{t} Attempting SMTP connection to [mx.example.org]\n"
        f"{t} <-- 220 mx.example.org ESMTP\n"
        f"{t} --> MAIL From:<jo@example.com> SIZE=900\n"
        f"{t} <-- 250 2.1.0 Sender OK\n"
        f"{t} --> RCPT To:<ann@example.org>\n"
        f"{t} <-- 550 Mailbox is frozen\n"
        f"{t} --> QUIT\n"
        "--- End Transcript ---\n"
    )
    assert [x[1:] for x in _explain_mail(tmp_path, mail)] == [("recipient", "rcpt_to")]
    sender = mail.replace("<-- 250 2.1.0 Sender OK", "<-- 553 5.7.1 Use your ISP's relay")
    assert [x[1:] for x in _explain_mail(tmp_path, sender)] == [("policy_rejection", "mail_from")]


def test_hmailserver_states_the_command_it_sent(tmp_path: Path) -> None:
    mail = (
        "From: mailer-daemon@mail.example.com\nTo: jo@example.com\n"
        "Subject: Message undeliverable: Agenda\n\n"
        "Your message did not reach some or all of the intended recipients.\n\n"
        "The following recipient(s) could not be reached:\n\n"
        "ann@example.org\n   Error Type: SMTP\n"
        "   Remote server (192.0.2.8) issued an error.\n"
        "   hMailServer sent: MAIL FROM:<jo@example.com>\n"
        "   Remote server replied: 554 5.7.1 Reverse DNS failed.\n"
    )
    assert [x[1:] for x in _explain_mail(tmp_path, mail)] == [("dns_ptr_mismatch", "mail_from")]


def test_a_report_that_says_the_mail_came_back_names_no_cause() -> None:
    # NetEase's and QQ's "your mail was returned" openings say a bounce came, not why.
    c = classify(
        "很抱歉您发送的邮件被退回，以下是该邮件的相关信息：\n退信原因：550 5.1.1 No such user"
    )
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


def test_a_success_one_text_quotes_never_answers_for_a_failure() -> None:
    from smtpdoctor.diagnosis.classifier import classify_best

    c = classify_best(("<-- 250 2.1.0 Ok", "Action: failed\nStatus: 5.0.0"))
    assert c.category.value != "ok"


def test_each_recipients_reply_under_its_own_address_is_its_own(tmp_path: Path) -> None:
    text = (
        "** Message not delivered **\n\n"
        "There was a problem delivering your message to ann@example.org. See the "
        "technical details below.\n\n"
        "The response from the remote server was:\n552 5.2.2 Mailbox full\n\n"
        "** Message not delivered **\n\n"
        "There was a problem delivering your message to bob@example.net. See the "
        "technical details below.\n\n"
        "The response from the remote server was:\n554 5.7.1 Message rejected as spam\n"
    )
    head = "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: jo@example.com\n"
    b = "b1"
    # (Both replies name no address: the generic Status says nothing either.)
    mail = (
        f'{head}MIME-Version: 1.0\nContent-Type: multipart/report; boundary="{b}"\n\n'
        f"--{b}\nContent-Type: text/plain\n\n{text}\n"
        f"--{b}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
        "Final-Recipient: rfc822; ann@example.org\nAction: failed\nStatus: 5.0.0\n\n"
        "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.0.0\n\n"
        f"--{b}--\n"
    )
    got = sorted(_explain_mail(tmp_path, mail))
    assert [(w, cat) for w, cat, _ in got] == [
        ("ann@example.org", "recipient"),
        ("bob@example.net", "policy_rejection"),
    ]


def test_domino_names_each_recipient_and_its_reason(tmp_path: Path) -> None:
    block = (
        "was not delivered to:\n\n  {a}\n\nbecause:\n\n  Error transferring to mx.example.org; "
        "SMTP Protocol Returned a Permanent Error {r}\n\n"
    )
    mail = (
        "From: Mail Router <postmaster@mail.example.com>\nTo: jo@example.com\n"
        "Subject: DELIVERY FAILURE: Agenda\n\nYour message\n\n  Subject: Agenda\n\n"
        + block.format(a="ann@example.org", r="550 5.1.1 User unknown")
        + block.format(a="bob@example.net", r="552 Message size exceeds maximum value")
    )
    assert sorted(_explain_mail(tmp_path, mail)) == [
        ("ann@example.org", "recipient", "rcpt_to"),
        ("bob@example.net", "message_size", "message"),
    ]


@pytest.mark.parametrize("word", ["aufgeführt", "aufgefuehrt", "aufgef\u00c5hrt"])
def test_domino_in_german_says_the_recipient_is_not_in_its_directory(
    tmp_path: Path, word: str
) -> None:
    # Domino's German NDR for "not listed in Domino Directory", its umlaut as written,
    # transliterated or mangled by a wrong charset, in its text and its X-Notes field.
    reason = f"Benutzer ann (ann@example.org) nicht im Domino-Verzeichnis {word}"
    b = "==NDR"
    mail = (
        "From: Postmaster@mail.example.com\nTo: jo@example.com\n"
        "Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"\n\n'
        f"--{b}\nContent-Type: text/plain; charset=utf-8\n\nYour message\n\n"
        f"  Subject: Agenda\n\nwas not delivered to:\n\n  ann@example.org\n\n"
        f"because:\n\n  {reason}\n\n"
        f"--{b}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mail.example.com\n\n"
        "Final-Recipient: rfc822;ann@example.org\nAction: failed\nStatus: 5.0.0\n"
        f"Diagnostic-Code: X-Notes; {reason}\n\n--{b}--\n"
    )
    assert _explain_mail(tmp_path, mail) == [("ann@example.org", "recipient", "rcpt_to")]
    # The sentence alone, pasted without its report, reads the same.
    assert classify(reason).category.value == "recipient"


@pytest.mark.parametrize(
    "reason",
    [
        "Esta casilla ha expirado por falta de uso.",
        "550 El buzón de correo ha sido desactivado",
        "La cuenta de correo está dada de baja",
        "Caixa postal inativa por falta de uso",
        "550 A caixa de correio foi desativada",
        "550 5.2.1 La boîte aux lettres du destinataire a été désactivée",
        "550 Das Postfach wurde stillgelegt",
        "550 La casella di posta è stata disattivata",
        "550 Почтовый ящик отключен",
        "550 该邮箱已被冻结",
    ],
)
def test_a_disabled_mailbox_in_other_languages_is_the_recipient(
    tmp_path: Path, reason: str
) -> None:
    # A mailbox disabled, suspended or expired for lack of use, in a provider's own
    # language (qmail's bilingual "failure notice" of an Argentine provider here).
    mail = (
        "From: MAILER-DAEMON@mx.example.org\nTo: jo@example.com\nSubject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.org.\n"
        "Su mensaje no pudo ser entregado - Sua mensagem nao pode ser enviada - "
        "Your message could not be delivered.\n\n"
        f"<ann@example.org>:\n{reason}\n\n--- Mensaje original adjunto.\n"
    )
    assert _explain_mail(tmp_path, mail) == [("ann@example.org", "recipient", "rcpt_to")]
    assert classify(reason).category.value == "recipient"


@pytest.mark.parametrize(
    "text",
    ["Su cuenta ha sido suspendida por envío de spam", "Votre compte est suspendu"],
)
def test_a_suspended_account_alone_is_not_read_as_a_disabled_mailbox(text: str) -> None:
    # An account without a mailbox noun may be the sender's own: not the recipient's.
    assert "i18n.mailbox_disabled" not in classify(text).matched


@pytest.mark.parametrize("mail", ["e-mail", "email"])
def test_exchanges_sentence_for_its_users_says_the_address_is_not_found(
    tmp_path: Path, mail: str
) -> None:
    # Exchange 2007-2016's NDR as a user copies it: its heading, the recipient, the
    # sentence for users (5.1.1 RESOLVER.ADR.RecipNotFound), no part for admins.
    text = (
        "Delivery has failed to these recipients or groups:\n\nann@example.org\n"
        f"The {mail} address you entered couldn't be found. Please check the recipient's "
        f"{mail} address and try to resend the message.\n"
    )
    assert _explain_mail(tmp_path, text) == [("ann@example.org", "recipient", "rcpt_to")]
    other = f"The recipient's {mail} address was not found in the recipient's {mail} system."
    assert classify(other).category.value == "recipient"


@pytest.mark.parametrize(
    "first",
    [
        "ann@example.org (expanded from\n"
        "    list@example.org: host mx.example.org[192.0.2.25] said:",
        "ann@example.org: host mx.example.org[192.0.2.25] said:",
    ],
)
def test_a_postfix_paragraph_that_lost_its_angle_brackets_is_one_report(
    tmp_path: Path, first: str
) -> None:
    # Copied from a rendered mail, "<ann@example.org>" went as an HTML tag: the
    # paragraph still opens with the recipient and ends with its stated command.
    text = f"{first}\n    550 5.1.2 No such mailbox [MSG0031] (in reply to RCPT TO command)\n"
    assert _explain_mail(tmp_path, text) == [("ann@example.org", "recipient", "rcpt_to")]


def test_gmails_heading_above_a_reply_pasted_alone_is_one_report(tmp_path: Path) -> None:
    # The reporting daemon's own address above the heading is nobody's failure.
    text = (
        '"Mail Delivery Subsystem <mailer-daemon@googlemail.com>":\n'
        "The response from the remote server was:\n"
        "550 5.7.1 <ann@example.org>: Recipient address rejected: Recipient not found\n"
    )
    assert _explain_mail(tmp_path, text) == [(None, "recipient", "rcpt_to")]


@pytest.mark.parametrize("local", ["???", "***", "x"])
def test_diagnostic_codes_under_postfix_paragraphs_stay_with_their_recipients(
    tmp_path: Path, local: str
) -> None:
    # A user pastes each Postfix paragraph with its DSN's Diagnostic-Code line, the
    # addresses redacted; the paragraphs name whom each is about, the fields do not.
    text = (
        f"<{local}@example.org>: host mx.example.org[192.0.2.25] said: 550\n"
        "    5.1.1 User unknown (in reply to RCPT TO command)\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
        f"<{local}@example.net>: host mx.example.net[192.0.2.26] said: 550 spam\n"
        "    detected (in reply to end of DATA command)\n"
        "Diagnostic-Code: smtp; 550 spam detected\n"
    )
    assert sorted(_explain_mail(tmp_path, text)) == [
        (f"{local}@example.net", "policy_rejection", "message"),
        (f"{local}@example.org", "recipient", "rcpt_to"),
    ]


def test_domino_folds_its_diagnostic_code_mid_word(tmp_path: Path) -> None:
    # Domino wraps its X-Notes field at a fixed column, inside words; the report's text
    # here says nothing, so the field alone must read as it was written.
    b = "==NDR"
    mail = (
        "From: Postmaster@mail.example.com\nTo: jo@example.com\n"
        "Subject: DELIVERY FAILURE: Agenda\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"\n\n'
        f"--{b}\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        f"--{b}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mail.example.com\n\n"
        "Final-Recipient: rfc822;ann@example.org\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: X-Notes; User ann (ann@example.o\n rg) not listed in Domino Dir\n"
        " ectory\n\n"
        "Final-Recipient: rfc822;bob@example.net\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: X-Notes; Error transferring to mx.exam\n ple.net; SMTP Protocol "
        "Returned a Permanent Error 552 Message size exceeds maximum v\n alue\n\n"
        # Another MTA's fold is a space as RFC 5322 says ("Unknown\n user" is two words).
        "Final-Recipient: rfc822;cy@example.com\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: smtp; 550 Unknown\n user\n\n"
        f"--{b}--\n"
    )
    assert sorted(_explain_mail(tmp_path, mail)) == [
        ("ann@example.org", "recipient", "rcpt_to"),
        ("bob@example.net", "message_size", "message"),
        ("cy@example.com", "recipient", "rcpt_to"),
    ]


def test_a_reply_a_wrapper_hides_is_read_as_it_came() -> None:
    from smtpdoctor.diagnosis.classifier import classify_best

    # "542 x Rejected" alone is a refusal without a reason (policy); so it stays
    # inside Exchange's "#... ##" and GroupWise's brackets.
    for text in (
        "mx.example.org #542 ann@example.org Rejected ##",
        "ann@example.org (550 Rejected)",
    ):
        assert classify_best((text, "Status: 5.0.0")).category.value == "policy_rejection"


def test_a_mail_loop_named_outranks_a_generic_status() -> None:
    from smtpdoctor.diagnosis.classifier import classify_best

    c = classify_best(("Diagnostic-Code: smtp; 554 5.4.0 Error: too many hops", "Status: 5.4.0"))
    assert "loop" in " ".join(c.matched)
    # ... but not a precise one: "User unknown" stands over an alias loop's summary.
    c = classify_best(("554 x... aliasing/forwarding loop broken", "Status: 5.1.1"))
    assert c.category.value == "recipient"


def test_smtputf8_not_offered_is_read_at_the_ehlo_reply() -> None:
    # RFC 6531: a client learns from the EHLO reply whether SMTPUTF8 is offered.
    for text in (
        "local-part of envelope contains utf8 but remote server did not offer SMTPUTF8",
        "SMTPUTF8 is required, but was not offered by host mx.example.org[192.0.2.7]",
    ):
        assert classify(text).stage.value == "ehlo"


def test_sendmails_service_unavailable_summary_does_not_outrank_the_reply() -> None:
    # Sendmail writes "554 5.0.0 Service unavailable" under any refusal it quotes.
    text = (
        "... while talking to mx.example.org.:\n>>> MAIL From:<jo@example.com> SIZE=900\n"
        "<<< 553 5.7.1 Relaying denied: use your provider's relay\n"
        "554 5.0.0 Service unavailable\n"
    )
    c = classify(text)
    assert (c.category.value, c.stage.value) == ("policy_rejection", "mail_from")


def test_a_sendmail_transcript_of_two_recipients_gives_each_its_own_lines(
    tmp_path: Path,
) -> None:
    mail = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\nTo: jo@example.com\n"
        "Subject: Returned mail: see transcript for details\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<ann@example.org>\n    (reason: 554 5.7.1 Message rejected as spam)\n"
        "<bob@example.net>\n    (reason: 550 5.1.1 No such user)\n\n"
        "   ----- Transcript of session follows -----\n"
        "... while talking to mx.example.org.:\n>>> DATA\n<<< 354 Go ahead\n>>> .\n"
        "<<< 554 5.7.1 Message rejected as spam\n"
        "554 5.0.0 <ann@example.org>... Service unavailable\n"
        "... while talking to mx.example.net.:\n>>> RCPT To:<bob@example.net>\n"
        "<<< 550 5.1.1 No such user\n550 5.1.1 <bob@example.net>... User unknown\n"
    )
    assert sorted(_explain_mail(tmp_path, mail)) == [
        ("ann@example.org", "policy_rejection", "message"),
        ("bob@example.net", "recipient", "rcpt_to"),
    ]


def test_a_reason_that_names_its_recipient_is_that_recipients_only(tmp_path: Path) -> None:
    block = (
        "was not delivered to:\n\n  {a}\n\nbecause:\n\n  Error transferring to mx.example.org; "
        "SMTP Protocol Returned a Permanent Error {r}\n\n"
    )
    mail = (
        "From: Mail Router <postmaster@mail.example.com>\nTo: jo@example.com\n"
        "Subject: DELIVERY FAILURE: Agenda\n\nYour message\n\n  Subject: Agenda\n\n"
        + block.format(a="ann@example.org", r="554 5.7.1 Access denied")
        + block.format(a="bob@example.net", r="550 5.1.1 <bob@example.net>... User unknown")
    )
    got = sorted(_explain_mail(tmp_path, mail))
    assert [(w, cat) for w, cat, _ in got] == [
        ("ann@example.org", "policy_rejection"),
        ("bob@example.net", "recipient"),
    ]


def test_an_html_report_keeps_its_lines_and_characters(tmp_path: Path) -> None:
    # A page writes the transcript's "<<<" as "&lt;&lt;&lt;" and breaks lines with <br>.
    page = (
        "<html><body><p>&lt;ann@example.org&gt;:<br>\n"
        "    mx.example.org [192.0.2.7]:<br>\n"
        "&gt;&gt;&gt; MAIL FROM:&lt;jo@example.com&gt;<br>\n"
        "&lt;&lt;&lt; 553 5.7.1 Relaying denied</p></body></html>\n"
    )
    mail = (
        "From: MAILER-DAEMON@mail.example.com\nTo: jo@example.com\n"
        "Subject: NOTICE: mail delivery status.\nMIME-Version: 1.0\n"
        f"Content-Type: text/html; charset=utf-8\n\n{page}"
    )
    assert [x[1:] for x in _explain_mail(tmp_path, mail)] == [("policy_rejection", "mail_from")]


def test_an_expiry_says_why_by_its_earlier_attempts() -> None:
    from smtpdoctor.diagnosis.classifier import classify_best

    text = (
        "ann@example.org\n"
        "1/2/2026 8:05:56 PM - Remote Server at example.org (192.0.2.7) returned "
        "'550 4.4.7 QUEUE.Expired; message expired'\n"
        "1/2/2026 7:58:27 PM - Remote Server at example.org (192.0.2.7) returned "
        "'441 4.4.1 Error encountered while communicating with primary target IP address: "
        '"Failed to connect. Winsock error code: 10060, Win32 error code: 10060."\''
    )
    c = classify_best((text, "Status: 4.4.7"))
    assert (c.category.value, c.stage.value) == ("firewall_block", "connect")


def test_a_quoted_reply_ends_at_its_closing_quote() -> None:
    from smtpdoctor.diagnosis.classifier import classify_best

    text = "ann@example.org\nRemoteserver hat '542 ann@example.org Rejected' zurückgegeben"
    assert classify_best((text, "Status: 5.0.0")).category.value == "policy_rejection"


# --- the tune bounces themselves, re-encoded ---------------------------------------------

# The same real mail as another system would pass it on: with CRLF line ends (a
# Windows client's export, an IMAP fetch), or its text parts re-encoded base64 or
# quoted-printable (RFC 2045; gateways and archives do). The meaning is untouched,
# so the expectation is the row's own category and stage.
RECODINGS = ("crlf", "base64", "quoted-printable")


def _recoded(raw: str, form: str) -> str | None:
    if form == "crlf":
        return None if "\r\n" in raw else raw.replace("\n", "\r\n")
    msg = email.message_from_string(raw, policy=policy.compat32)
    if not msg.get("Content-Type") and not msg.get("From"):
        return None  # a pasted text, not a mail
    if any(p.defects for p in msg.walk()):
        return None  # (the library would not write it back as it came)
    changed = False
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_content_type() == "text/rfc822-headers":
            continue  # (the returned headers, not the report's text)
        if str(part.get("Content-Transfer-Encoding", "7bit")).lower() not in ("7bit", "8bit"):
            continue
        try:
            payload = part.get_payload()
        except (TypeError, UnicodeError):  # (a part the library cannot hand back as it is)
            continue
        if not isinstance(payload, str):
            continue
        # (7bit or 8bit: the payload is the bytes as they are, read surrogate-escaped.)
        data = payload.encode("utf-8", "surrogateescape")
        encoded = base64.encodebytes(data) if form == "base64" else quopri.encodestring(data)
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = form
        part.set_payload(encoded.decode("ascii"))
        changed = True
    if not changed:
        return None
    try:
        return msg.as_string()
    except (TypeError, UnicodeError, LookupError):  # (the library cannot write it back)
        return None


def recoding_scores(folder: Path) -> dict[str, list[int]]:
    """Per form: [category right, stage right, rows] over the tune rows read right as they are."""
    rows = [json.loads(x) for x in _ROWS.read_text("utf-8").splitlines() if x]
    rows = [r for r in rows if r["split"] == "tune"]
    right = _right_rows(rows)
    written: dict[str, tuple[str, str]] = {}  # copy name -> (file, form)
    for n, f in enumerate(sorted(right)):
        raw = (_ROOT / f).read_bytes().decode("utf-8", "surrogateescape")
        for form in RECODINGS:
            text = _recoded(raw, form)
            if text is None:
                continue
            name = f"{n:04d}-{form}.eml"
            (folder / name).write_bytes(text.encode("utf-8", "surrogateescape"))
            written[name] = (f, form)
    got: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for item, c in explain_files([str(folder)]):
        name = Path(item.origin["source"]).name
        who = (item.origin.get("recipient") or "").lower()
        got.setdefault((name, who), []).append((c.category.value, c.stage.value))
        got.setdefault((name, ""), []).append((c.category.value, c.stage.value))
    out: dict[str, list[int]] = {}
    for name, (f, form) in written.items():
        for r in right[f]:
            answers = got.get((name, r["recipient"])) or got.get((name, ""), [])
            want = (r["category"], r["stage"])
            for key in (form, "all"):
                s = out.setdefault(key, [0, 0, 0])
                s[0] += bool(answers) and answers[0][0] == want[0]
                s[1] += bool(answers) and answers[0][1] == want[1]
                s[2] += 1
    return out


def _right_rows(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The rows ``explain`` reads right as they are, by file (with one answer per file
    or per named recipient, as the corpus test matches them)."""
    files = sorted({r["file"] for r in rows})
    got: dict[tuple[str, str], tuple[str, str]] = {}
    for item, c in explain_files([str(_ROOT / f) for f in files]):
        source = str(Path(item.origin["source"]).relative_to(_ROOT))
        who = (item.origin.get("recipient") or "").lower()
        got.setdefault((source, who), (c.category.value, c.stage.value))
        got.setdefault((source, ""), (c.category.value, c.stage.value))
    out: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        answer = got.get((r["file"], r["recipient"])) or got.get((r["file"], ""))
        if answer == (r["category"], r["stage"]):
            out.setdefault(r["file"], []).append(r)
    return out


def test_tune_bounces_keep_their_meaning_re_encoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores = recoding_scores(tmp_path)
    with capsys.disabled():
        for name, (cat, stage, n) in sorted(scores.items()):
            print(f"\nre-encoded tune bounces, {name}: {n} rows, ", end="")
            print(f"category {100 * cat / n:.1f} %, stage {100 * stage / n:.1f} %")
    cat, stage, n = scores["all"]
    assert cat / n >= RECODED_FLOOR[0], scores
    assert stage / n >= RECODED_FLOOR[1], scores


# Reached (session 6): 2,095 of 2,095 rows right in both (2,093 on the session's
# starting code: two pasted texts with CRLF line ends were read line by line).
RECODED_FLOOR = (0.999, 0.999)


def test_a_report_pasted_with_crlf_line_ends_is_read_as_a_report(tmp_path: Path) -> None:
    text = (
        "Sorry. Your message could not be delivered to:\r\n\r\n"
        "ann,Sales (The name was not found at the remote site. Check that the name\r\n"
        "has been entered correctly.)\r\n"
    )
    path = tmp_path / "pasted.txt"
    path.write_bytes(text.encode())
    (_item, c), *rest = explain_files([str(path)])
    assert not rest
    assert (c.category.value, c.stage.value) == ("recipient", "rcpt_to")


# --- the tune bounces' own text, pasted without the mail around it ----------------------


def _report_text(raw: str) -> str | None:
    """The first text/plain part of a mail, decoded: what a user copies out of a client."""
    msg = email.message_from_string(raw, policy=policy.compat32)
    if not msg.get("From"):
        return None
    for part in msg.walk():
        if part.get_content_type() != "text/plain" or part.is_multipart():
            continue
        try:
            data = part.get_payload(decode=True)
        except (TypeError, UnicodeError, LookupError):
            return None
        if not isinstance(data, bytes):
            return None
        try:
            return data.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:
            return None
    return None


def _pastings(text: str) -> list[tuple[str, str]]:
    """The text as pasted: as it is, quoted by a mail client ("> "), forwarded inline
    under the report's own header lines as a client shows them."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    forwarded = (
        "---------- Forwarded message ---------\n"
        "From: Mail Delivery System <MAILER-DAEMON@mail.example.com>\n"
        "Date: Sat, Dec 5, 2026 at 10:00 AM\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "To: <jo@example.com>\n\n" + text
    )
    return [("plain", text), ("quoted", quoted), ("forwarded", forwarded)]


def pasted_scores(folder: Path) -> list[int]:
    """[category right, stage right, rows]: tune rows of one recipient read right as mails
    whose reply their text quotes, the text alone pasted."""
    rows = [json.loads(x) for x in _ROWS.read_text("utf-8").splitlines() if x]
    rows = [r for r in rows if r["split"] == "tune" and r["category"] != "ok"]
    right = _right_rows(rows)
    keys = {k.source: k for k in _keys()}
    out = [0, 0, 0]
    written: dict[str, dict[str, str]] = {}
    for n, (f, mine) in enumerate(sorted(right.items())):
        key = keys.get(f)
        if len(mine) != 1 or key is None:
            continue
        raw = (_ROOT / f).read_bytes().decode("utf-8", "surrogateescape")
        text = _report_text(raw)
        # Only a text that quotes the reply carries the row's meaning by itself.
        if text is None or _one_line(key.reply)[:40] not in " ".join(text.split()):
            continue
        for form, pasted in _pastings(text):
            (folder / f"{n:04d}-{form}.txt").write_text(pasted, "utf-8", "surrogateescape")
            written[f"{n:04d}-{form}.txt"] = mine[0]
    got: dict[str, tuple[str, str]] = {}
    for item, c in explain_files([str(folder)]):
        got.setdefault(Path(item.origin["source"]).name, (c.category.value, c.stage.value))
    for name, row in written.items():
        answer = got.get(name)
        out[0] += answer is not None and answer[0] == row["category"]
        out[1] += answer is not None and answer[1] == row["stage"]
        out[2] += 1
    return out


def test_tune_bounces_pasted_without_their_headers_keep_their_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cat, stage, n = pasted_scores(tmp_path)
    with capsys.disabled():
        print(f"\ntune bounces' text pasted alone: {n} rows, ", end="")
        print(f"category {100 * cat / n:.1f} %, stage {100 * stage / n:.1f} %")
    assert cat / n >= PASTED_FLOOR[0]
    assert stage / n >= PASTED_FLOOR[1]


# Reached (session 6): 99.2 % and 99.2 % of 798 (266 texts, each as it is, quoted
# and forwarded); as it is, 264/266 in both (242 and 241 before the report-shape
# rule: a report whose opening is not a known one was read line by line). The
# floor keeps a row of margin per form.
PASTED_FLOOR = (0.988, 0.988)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "Automatic notice from the content gateway.\n\n"
            "Your message could not be sent to the following address.\n\n"
            "ann@example.org: [192.0.2.5], 550 5.1.1 ann@example.org... No such user\n",
            ("recipient", "rcpt_to"),
        ),
        (
            "Avis automatique de la passerelle.\n\n"
            "Votre message n'a pas pu être remis au destinataire suivant :\n\n"
            "ann@example.org\n    Réponse : 552 5.2.2 Mailbox full\n",
            ("recipient", "rcpt_to"),
        ),
    ],
)
def test_a_report_with_an_unknown_opening_is_read_as_one_report(
    tmp_path: Path, text: str, want: tuple[str, str]
) -> None:
    path = tmp_path / "pasted.txt"
    path.write_text(text, "utf-8")
    answers = explain_files([str(path)])
    assert [(c.category.value, c.stage.value) for _, c in answers] == [want]


def test_replies_in_paragraphs_without_a_failure_sentence_stay_one_per_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pasted.txt"
    path.write_text("550 5.1.1 No such user\n\n421 4.7.0 Try again later\n", "utf-8")
    assert len(explain_files([str(path)])) == 2


def test_consecutive_lines_each_opening_with_a_recipient_are_each_its_own(
    tmp_path: Path,
) -> None:
    mail = (
        "From: postmaster@mail.example.com\nTo: jo@example.com\n"
        "Subject: Message status - undeliverable\n\n"
        "The message that you sent was undeliverable to the following:\n"
        "\tann@example.org (552 5.2.2 Mailbox full)\n"
        "\tbob@example.net (554 5.7.1 Message rejected as spam)\n"
    )
    got = sorted(_explain_mail(tmp_path, mail))
    assert [(w, cat) for w, cat, _ in got] == [
        ("ann@example.org", "recipient"),
        ("bob@example.net", "policy_rejection"),
    ]
