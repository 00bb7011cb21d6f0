"""``explain`` gives the same answer whatever shape a reply arrives in (issue 10).

The same remote reply reaches a user bare, inside an MTA's log line or
bounce paragraph, a DSN field, a Microsoft or Google NDR, a client library's
exception, or pasted through JSON, HTML, quoted-printable or a mail quote.
This harness takes bare replies (the tune rows of
``tests/data/replies/lines.jsonl`` and the rows of ``corpus.jsonl`` whose text
is a bare SMTP reply, and replies written here), wraps each in those shapes
and checks that the category stays what the bare reply gives, and the stage
too: the one the wrapper states where it states one (the category then
compared with the bare reply classified at that stage), else the bare one.

The wrappers follow the formats as the software writes them: Postfix's
``status=`` log line and bounce paragraph (wrapped at 72 columns and
indented), Exim's ``**`` log line and bounce text, Sendmail's transcript and
``stat=Deferred:``, RFC 3464 ``Diagnostic-Code: smtp;`` (folded, RFC 5322),
Exchange's ``Remote Server returned`` and ``#< #5.x.x smtp;...> #SMTP#``,
Gmail's "The response from the remote server was:", qmail's "Remote host
said:", Python smtplib's exception reprs, nodemailer's error with its
``code``/``command`` keys, JavaMail's exceptions, PHPMailer's debug output,
.NET's ``SmtpFailedRecipientException`` (which keeps the text after the code),
Exchange Online's "Primary target IP address responded with:", Symfony
Mailer's "Expected response code", Ruby's ``Net::SMTPFatalError`` with its
frames, Gmail's older "The error that the other server returned was:",
Yahoo's "Remote host said: ... [RCPT_TO]", and the JSON of Amazon SES,
SendGrid and Mailgun (which keeps the code apart from the text); and some of
them once more through a log shipper's JSON, a web page's HTML or typography,
a mail quote, quoted-printable, CRLF line ends or a mail client's re-flow.
Both doors are scored: the text as ``explain``'s argument, and pasted to
``explain -`` (the bounce reader first).

Never reads held-back rows: only ``"split": "tune"`` rows are taken.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.cli.explain import _recognised
from smtpdoctor.diagnosis import classify
from smtpdoctor.diagnosis.classifier import Classification, _specificity, classify_best, notice
from smtpdoctor.evidence.bounce import parse_bounce
from smtpdoctor.evidence.pastes import unpaste
from smtpdoctor.model import Stage
from smtpdoctor.protocol.reply import parse_reply_text

_DATA = Path(__file__).parents[1] / "data" / "replies"
_REPLY = re.compile(r"[245]\d\d[ -]")


def _bare(text: str) -> bool:
    return _REPLY.match(text) is not None and parse_reply_text(text) is not None


def _tune_replies() -> list[str]:
    texts: list[str] = []
    for name in ("corpus.jsonl", "lines.jsonl"):
        for line in (_DATA / name).read_text("utf-8").splitlines():
            if not line:
                continue
            row = json.loads(line)
            # corpus.jsonl is tuned on as a whole; lines.jsonl only its tune split.
            # (The wrappers report failures: a 2xx reply has no place in them.)
            if row.get("split", "tune") == "tune" and _bare(row["text"]) and row["text"][0] != "2":
                texts.append(row["text"])
    return texts


# Replies written here, in the forms real servers send (RFC 5321 §4.2, RFC 3463
# codes, the providers' published texts), so the harness does not hang on the
# corpus alone.
OWN_REPLIES = (
    "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
    "550-5.1.1 double-checking the recipient's email address for typos or\n"
    "550-5.1.1 unnecessary spaces. For more information, go to\n"
    "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp",
    "552 5.2.2 The email account that you tried to reach is over quota.",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org",
    "550 5.7.1 Relaying denied",
    "554 5.7.1 <jo@example.org>: Relay access denied",
    "421 4.7.0 [192.0.2.9] Our system has detected an unusual rate of unsolicited mail "
    "originating from your IP address. To protect our users from spam, mail sent from "
    "your IP address has been temporarily rate limited.",
    "451 4.7.1 Please try again later",
    "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.9]",
    "550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do "
    "not pass). DMARC policy of the sender domain requires authentication.",
    "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    "554 5.7.1 Message rejected as spam by Content Filtering.",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
    "452 4.2.2 Mailbox full",
    "550 5.7.606 Access denied, banned sending IP [192.0.2.9].",
    "421 4.3.2 Service not available, closing transmission channel",
    "554 5.4.14 Hop count exceeded - possible mail loop",
    "553 5.1.8 <bounce@nonexistent.invalid>... Domain of sender address does not exist",
    "550 5.7.1 Client does not have permissions to send as this sender",
    "451 4.4.0 DNS temporary failure",
    "550 Requested action not taken: mailbox unavailable",
    "554 5.7.0 Reject, id=12345-01 - SPAM",
    "550 5.7.350 Remote server returned message detected as spam",
    "421 4.7.28 Gmail has detected an unusual rate of unsolicited mail from your IP.",
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "452 4.5.3 Too many recipients",
    "550 5.2.1 The email account that you tried to reach is disabled.",
)


def _lines(reply: str) -> list[str]:
    """The reply's lines, with the JSON-style ``\\n`` a log kept written out."""
    return [part for part in reply.replace("\\n", "\n").split("\n") if part.strip()]


def _code(reply: str) -> str:
    return reply[:3]


def _enhanced(reply: str) -> str | None:
    m = re.match(r"[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b", reply)
    return m.group(1) if m else None


def _status(reply: str) -> str:
    return _enhanced(reply) or f"{reply[0]}.0.0"


def _one_line(reply: str) -> str:
    """What Postfix does with a multi-line reply: the lines joined by a space."""
    return " ".join(part.strip() for part in _lines(reply))


def _multiline(reply: str) -> str:
    """A one-line reply split into RFC 5321 continuation lines (``550-5.1.1 ...``)."""
    lines = _lines(reply)
    if len(lines) > 1:
        return "\n".join(lines)
    m = re.match(r"([245]\d\d) ((?:[245]\.\d{1,3}\.\d{1,3} )?)(.*)", lines[0])
    if m is None:
        return lines[0]
    code, enh, rest = m.groups()
    words = rest.split(" ")
    if len(words) < 4:
        return lines[0]
    half = len(words) // 2
    return f"{code}-{enh}{' '.join(words[:half])}\n{code} {enh}{' '.join(words[half:])}"


# --- the wrappers -------------------------------------------------------------------

_ADDR = "jo@example.org"
_MX = "mx.example.org"
_IP = "192.0.2.1"


@dataclass(frozen=True)
class Wrapper:
    """A shape: ``wrap(reply, stage)`` gives the text; ``states`` the stages it can state."""

    name: str
    wrap: Callable[[str, Stage | None], str]
    states: frozenset[Stage] = frozenset()


_POSTFIX_CMD = {
    Stage.GREETING: None,
    Stage.EHLO: "EHLO",
    Stage.MAIL_FROM: "MAIL FROM",
    Stage.RCPT_TO: "RCPT TO",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "end of DATA",
}


def _postfix_said(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    cmd = _POSTFIX_CMD[stage]
    if cmd is None:
        return f"host {_MX}[{_IP}] refused to talk to me: {_one_line(reply)}"
    return f"host {_MX}[{_IP}] said: {_one_line(reply)} (in reply to {cmd} command)"


def _postfix_log(reply: str, stage: Stage | None) -> str:
    status = "bounced" if reply[0] == "5" else "deferred"
    return (
        f"Dec  5 10:00:00 mail postfix/smtp[1234]: 4F1A2B3C4D: to=<{_ADDR}>, "
        f"relay={_MX}[{_IP}]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn={_status(reply)}, "
        f"status={status} ({_postfix_said(reply, stage)})"
    )


def _postfix_bounce(reply: str, stage: Stage | None) -> str:
    para = textwrap.fill(
        f"<{_ADDR}>: {_postfix_said(reply, stage)}",
        width=72,
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return (
        "This is the mail system at host mail.example.net.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n"
        f"{para}\n"
    )


_EXIM_AFTER = {
    Stage.GREETING: "initial connection",
    Stage.EHLO: "EHLO mail.example.net",
    Stage.MAIL_FROM: "MAIL FROM:<me@example.net> SIZE=1234",
    Stage.RCPT_TO: f"RCPT TO:<{_ADDR}>",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "end of data",
}


def _exim_log(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    flag = "**" if reply[0] == "5" else "=="
    defer = "" if reply[0] == "5" else " defer (-44)"
    return (
        f"2026-12-05 10:00:00 1tABCD-000123-AB {flag} {_ADDR} R=dnslookup T=remote_smtp"
        f"{defer} H={_MX} [{_IP}]: SMTP error from remote mail server after "
        f"{_EXIM_AFTER[stage]}: " + "\\n".join(_lines(reply))
    )


def _exim_bounce(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    body = "\n".join(f"    {line}" for line in _lines(reply))
    return (
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {_ADDR}\n"
        f"    host {_MX} [{_IP}]\n"
        f"    SMTP error from remote mail server after {_EXIM_AFTER[stage]}:\n"
        f"{body}\n"
    )


_SENDMAIL_CMD = {
    Stage.EHLO: "EHLO mail.example.net",
    Stage.MAIL_FROM: "MAIL From:<me@example.net> SIZE=1234",
    Stage.RCPT_TO: f"RCPT To:<{_ADDR}>",
    Stage.DATA: "DATA",
}


def _sendmail_transcript(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    received = "\n".join(f"<<< {line}" for line in _lines(reply))
    return (
        "   ----- Transcript of session follows -----\n"
        f"... while talking to {_MX}.:\n"
        f">>> {_SENDMAIL_CMD[stage]}\n"
        f"{received}\n"
    )


def _sendmail_deferred(reply: str, stage: Stage | None) -> str:
    return (
        "Dec  5 10:00:00 mail sm-mta[4321]: 4B5A0xyz012345: to=<jo@example.org>, "
        "delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120000, "
        f"relay={_MX}. [{_IP}], dsn={_status(reply)}, stat=Deferred: {_one_line(reply)}"
    )


def _fold(field: str, width: int = 76) -> str:
    """An RFC 5322 field folded onto indented continuation lines."""
    return textwrap.fill(
        field, width=width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )


def _dsn(reply: str, stage: Stage | None) -> str:
    action = "failed" if reply[0] == "5" else "delayed"
    return (
        "Reporting-MTA: dns; mail.example.net\n\n"
        f"Final-Recipient: rfc822; {_ADDR}\n"
        f"Original-Recipient: rfc822;{_ADDR}\n"
        f"Action: {action}\n"
        f"Status: {_status(reply)}\n"
        f"Remote-MTA: dns; {_MX}\n" + _fold(f"Diagnostic-Code: smtp; {_one_line(reply)}") + "\n"
    )


def _diagnostic_code(reply: str, stage: Stage | None) -> str:
    return _fold(f"Diagnostic-Code: smtp; {_one_line(reply)}", width=72)


def _diagnostic_tab(reply: str, stage: Stage | None) -> str:
    # Upper-case type, no space after ";", folded with a tab (RFC 5322 allows each).
    field = _fold(f"Diagnostic-Code: SMTP;{_one_line(reply)}", width=70)
    return f"Status: {_status(reply)}\n" + field.replace("\n    ", "\n\t")


def _exchange_returned(reply: str, stage: Stage | None) -> str:
    return (
        "Diagnostic information for administrators:\n\n"
        "Generating server: mail.example.net\n\n"
        f"{_ADDR}\n"
        f"Remote Server returned '{_one_line(reply)}'\n\n"
        "Original message headers:\n"
    )


def _exchange_nested(reply: str, stage: Stage | None) -> str:
    return (
        "Diagnostic information for administrators:\n\n"
        "Generating server: mail.example.net\n\n"
        f"{_ADDR}\n"
        f"Remote Server returned '< #{_status(reply)} smtp;{_one_line(reply)}>'\n"
    )


def _exchange_hash(reply: str, stage: Stage | None) -> str:
    return f"{_ADDR}\n#< #{_status(reply)} smtp;{_one_line(reply)}> #SMTP#"


def _exchange_2003(reply: str, stage: Stage | None) -> str:
    return f"#{_one_line(reply)} ##"


def _m365_responded(reply: str, stage: Stage | None) -> str:
    return (
        f"The server has tried to deliver this message to {_ADDR}, "
        f"but the server responded with: {_one_line(reply)}"
    )


def _gmail(reply: str, stage: Stage | None) -> str:
    return (
        "** Message not delivered **\n\n"
        f"There was a problem delivering your message to {_ADDR}. "
        "See the technical details below.\n\n"
        "The response from the remote server was:\n"
        f"{_one_line(reply)}\n"
    )


_QMAIL_SAID = {
    Stage.GREETING: f"Connected to {_IP} but greeting failed.",
    Stage.EHLO: f"Connected to {_IP} but my name was rejected.",
    Stage.MAIL_FROM: f"Connected to {_IP} but sender was rejected.",
    Stage.RCPT_TO: f"{_IP} does not like recipient.",
    Stage.DATA: f"{_IP} failed on DATA command.",
    Stage.MESSAGE: f"{_IP} failed after I sent the message.",
}


def _qmail(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    return (
        "Hi. This is the qmail-send program at mail.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{_ADDR}>:\n{_QMAIL_SAID[stage]}\n"
        f"Remote host said: {_one_line(reply)}\n"
        f"Giving up on {_IP}.\n"
    )


def _py_bytes(reply: str) -> str:
    """The text smtplib keeps after the code, as Python prints the bytes."""
    rest = "\n".join(line[4:] for line in _lines(reply))
    return repr(rest.encode())


_PY_EXC = {
    Stage.GREETING: "SMTPConnectError",
    Stage.EHLO: "SMTPHeloError",
    Stage.DATA: "SMTPDataError",
    Stage.MESSAGE: "SMTPDataError",
}


def _smtplib(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    code, text = _code(reply), _py_bytes(reply)
    if stage is Stage.RCPT_TO:
        return f"smtplib.SMTPRecipientsRefused: {{'{_ADDR}': ({code}, {text})}}"
    if stage is Stage.MAIL_FROM:
        return f"smtplib.SMTPSenderRefused: ({code}, {text}, 'me@example.net')"
    return f"smtplib.{_PY_EXC[stage]}: ({code}, {text})"


_NODE = {
    Stage.MAIL_FROM: ("Mail command failed", "EENVELOPE", "MAIL FROM"),
    Stage.RCPT_TO: ("Can't send mail - all recipients were rejected", "EENVELOPE", "RCPT TO"),
    Stage.MESSAGE: ("Message failed", "EMESSAGE", "DATA"),
}


def _nodemailer(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    said, code, command = _NODE[stage]
    flat = _one_line(reply)
    return (
        f"Error: {said}: {flat}\n"
        "    at SMTPConnection._formatError (/app/node_modules/nodemailer/lib/"
        "smtp-connection/index.js:790:19)\n"
        f"  code: '{code}',\n"
        f"  response: {json.dumps(flat)},\n"
        f"  responseCode: {_code(reply)},\n"
        f"  command: '{command}'\n"
    )


_JAVA = {
    Stage.MAIL_FROM: "SMTPSenderFailedException",
    Stage.RCPT_TO: "SMTPAddressFailedException",
    Stage.MESSAGE: "SMTPSendFailedException",
}


def _javamail(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    invalid = "Invalid Addresses" if stage is Stage.RCPT_TO else _one_line(reply)
    return (
        f"javax.mail.SendFailedException: {invalid};\n"
        "  nested exception is:\n"
        f"\tcom.sun.mail.smtp.{_JAVA[stage]}: {_one_line(reply)}\n"
    )


_PHP_CMD = {
    Stage.EHLO: "EHLO",
    Stage.MAIL_FROM: "MAIL FROM",
    Stage.RCPT_TO: "RCPT TO",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "DATA END",
}


def _phpmailer(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    server = "\n".join(f"2026-12-05 10:00:01 SERVER -> CLIENT: {line}" for line in _lines(reply))
    return f"{server}\nSMTP ERROR: {_PHP_CMD[stage]} command failed: {_one_line(reply)}"


# System.Net.Mail.SmtpStatusCode's texts, by reply code.
_DOTNET = {
    "421": "Service not available, closing transmission channel.",
    "450": "Mailbox unavailable.",
    "451": "Error in processing.",
    "452": "Insufficient system storage.",
    "550": "Mailbox unavailable.",
    "552": "Exceeded storage allocation.",
    "553": "Mailbox name not allowed.",
    "554": "Transaction failed.",
}


def _dotnet(reply: str, stage: Stage | None) -> str:
    said = _DOTNET.get(_code(reply), "Syntax error, command unrecognized.")
    # The exception keeps the server's text after the reply code.
    rest = " ".join(line[4:] for line in _lines(reply))
    return (
        f"System.Net.Mail.SmtpFailedRecipientException: {said} "
        f"The server response was: {rest}\n"
        "   at System.Net.Mail.SmtpTransport.SendMail(MailAddress sender, ...)\n"
    )


def _json_log(reply: str, stage: Stage | None) -> str:
    doc = {"level": "error", "msg": "delivery failed", "to": _ADDR, "error": _multiline(reply)}
    return json.dumps(doc)


def _html(reply: str, stage: Stage | None) -> str:
    return "<pre>" + html.escape(_multiline(reply)) + "</pre>"


def _quoted_printable(reply: str, stage: Stage | None) -> str:
    # An encoder breaks where the line is full (76 characters with the "="), mid-word.
    flat = _one_line(reply).replace("=", "=3D")
    cut = [flat[i : i + 75] for i in range(0, len(flat), 75)]
    for i in range(len(cut) - 1):  # an "=XX" is never split
        if "=" in cut[i][-2:]:
            keep = cut[i].rindex("=")
            cut[i], cut[i + 1] = cut[i][:keep], cut[i][keep:] + cut[i + 1]
    return "=\n".join(cut)


def _quoted_mail(reply: str, stage: Stage | None) -> str:
    inner = _postfix_bounce(reply, stage)
    quoted = "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
    return f"On Sat, 5 Dec 2026, Mail Delivery System wrote:\n{quoted}\n"


def _timestamped(reply: str, stage: Stage | None) -> str:
    return "\n".join(f"2026-12-05T10:00:00.123Z {line}" for line in _lines(_multiline(reply)))


def _bracket_time(reply: str, stage: Stage | None) -> str:
    return f"[05-Dec-2026 10:00:00 UTC] {_one_line(reply)}"


def _m365_primary(reply: str, stage: Stage | None) -> str:
    # Exchange Online's queue error: its own code around the remote reply it quotes.
    return (
        f'451 4.4.0 Primary target IP address responded with: "{_one_line(reply)}." '
        "Attempted failover to alternate host, but that did not succeed. Either there "
        "are no alternate hosts, or delivery failed to all alternate hosts. The last "
        f"endpoint attempted was {_IP}:25"
    )


def _exchange_at(reply: str, stage: Stage | None) -> str:
    return f"Remote Server at {_MX} ({_IP}) returned '{_one_line(reply)}'"


def _gmail_new(reply: str, stage: Stage | None) -> str:
    return (
        "** Message not delivered **\n\n"
        f"Your message couldn't be delivered to {_ADDR}. See the technical details below.\n\n"
        "The response was:\n\n"
        f"{_one_line(reply)}\n"
    )


def _symfony(reply: str, stage: Stage | None) -> str:
    # Symfony Mailer (Laravel): the code it expected, the code and the reply it got.
    return (
        "Symfony\\Component\\Mailer\\Exception\\TransportException: Expected response code "
        f'"250/251/252" but got code "{_code(reply)}", with message "{_one_line(reply)}".'
    )


_RUBY_CALL = {Stage.MAIL_FROM: "mailfrom", Stage.RCPT_TO: "rcptto"}


def _ruby(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    exc = "Net::SMTPFatalError" if reply[0] == "5" else "Net::SMTPServerBusy"
    return (
        f"/usr/lib/ruby/3.2.0/net/smtp.rb:1075:in `check_response': {_one_line(reply)} ({exc})\n"
        f"\tfrom /usr/lib/ruby/3.2.0/net/smtp.rb:1004:in `{_RUBY_CALL[stage]}'\n"
    )


def _gmail_old(reply: str, stage: Stage | None) -> str:
    return (
        "Delivery to the following recipient failed permanently:\n\n"
        f"     {_ADDR}\n\n"
        "Technical details of permanent failure:\n"
        "Google tried to deliver your message, but it was rejected by the server for the "
        f"recipient domain example.org by {_MX}. [{_IP}].\n\n"
        "The error that the other server returned was:\n" + "\n".join(_lines(reply)) + "\n"
    )


_YAHOO_TAG = {Stage.RCPT_TO: " [RCPT_TO]", Stage.MESSAGE: " [BODY]"}


def _yahoo(reply: str, stage: Stage | None) -> str:
    assert stage is not None
    return (
        "Sorry, we were unable to deliver your message to the following address.\n\n"
        f"<{_ADDR}>:\nRemote host said: {_one_line(reply)}{_YAHOO_TAG[stage]}\n"
    )


def _ses_json(reply: str, stage: Stage | None) -> str:
    # An Amazon SES bounce notification (the fields of its "bouncedRecipients").
    recipient = {
        "emailAddress": _ADDR,
        "action": "failed",
        "status": _status(reply),
        "diagnosticCode": f"smtp; {_one_line(reply)}",
    }
    doc = {"notificationType": "Bounce", "bounce": {"bouncedRecipients": [recipient]}}
    return json.dumps(doc)


def _sendgrid_json(reply: str, stage: Stage | None) -> str:
    doc = {"email": _ADDR, "event": "bounce", "reason": _one_line(reply), "status": _status(reply)}
    return json.dumps(doc)


def _mailgun_json(reply: str, stage: Stage | None) -> str:
    # Mailgun's webhook keeps the reply code apart from the text after it.
    rest = " ".join(line[4:] for line in _lines(reply))
    doc = {
        "event": "failed",
        "severity": "permanent" if reply[0] == "5" else "temporary",
        "recipient": _ADDR,
        "delivery-status": {"code": int(_code(reply)), "message": rest, "attempt-no": 1},
    }
    return json.dumps(doc, indent=2)


# --- what a user's copy does to those texts ---


def _json_text(text: str) -> str:
    """A log shipper's JSON line around the text (escaped quotes and newlines)."""
    return json.dumps({"@timestamp": "2026-12-05T10:00:00Z", "message": text})


def _html_text(text: str) -> str:
    """A web page's copy: entities, and <br> for each line break."""
    return "<div>" + "<br>\n".join(html.escape(line) for line in text.splitlines()) + "</div>"


def _quote_text(text: str) -> str:
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"On Sat, 5 Dec 2026, Mail Delivery System wrote:\n{quoted}\n"


def _qp_text(text: str) -> str:
    """Quoted-printable: "=" as "=3D", lines cut at 75 characters with a soft break."""
    out = []
    for line in text.replace("=", "=3D").split("\n"):
        cut = [line[i : i + 75] for i in range(0, len(line), 75)] or [""]
        for i in range(len(cut) - 1):  # an "=XX" is never split
            if "=" in cut[i][-2:]:
                keep = cut[i].rindex("=")
                cut[i], cut[i + 1] = cut[i][:keep], cut[i][keep:] + cut[i + 1]
        out.append("=\n".join(cut))
    return "\n".join(out)


def _crlf_text(text: str) -> str:
    """Saved on Windows: CRLF line ends."""
    return text.replace("\n", "\r\n")


def _web_text(text: str) -> str:
    """Copied from a rendered page: no-break spaces after punctuation, curly quotes."""
    text = re.sub(r"([:;.,]) ", "\\1\u00a0", text)
    text = re.sub(r"'([^'\n]*)'", "\u2018\\1\u2019", text)
    return text.replace("'", "\u2019").replace('"', "\u201c")


def _rewrap_text(text: str) -> str:
    """A mail client's re-flow: each paragraph's lines joined and wrapped anew at
    66 columns, without the indentation."""
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), 66, break_on_hyphens=False) for p in paragraphs
    )


def _combo(outer: Callable[[str], str], inner: Wrapper) -> Wrapper:
    name = f"{outer.__name__.strip('_').removesuffix('_text')}({inner.name})"
    return Wrapper(name, lambda reply, stage: outer(inner.wrap(reply, stage)), inner.states)


_RELAY_STAGES = frozenset(
    {Stage.GREETING, Stage.EHLO, Stage.MAIL_FROM, Stage.RCPT_TO, Stage.MESSAGE}
)

WRAPPERS = (
    Wrapper("postfix-log", _postfix_log, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("postfix-bounce", _postfix_bounce, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("exim-log", _exim_log, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("exim-bounce", _exim_bounce, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("sendmail-transcript", _sendmail_transcript, frozenset(_SENDMAIL_CMD)),
    Wrapper("qmail", _qmail, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("smtplib", _smtplib, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("nodemailer", _nodemailer, frozenset(_NODE)),
    Wrapper("javamail", _javamail, frozenset(_JAVA)),
    Wrapper("phpmailer", _phpmailer, frozenset(_PHP_CMD)),
    Wrapper("dotnet", _dotnet, frozenset({Stage.RCPT_TO})),
    Wrapper("sendmail-deferred", _sendmail_deferred),
    Wrapper("dsn", _dsn),
    Wrapper("diagnostic-code", _diagnostic_code),
    Wrapper("diagnostic-tab", _diagnostic_tab),
    Wrapper("exchange-returned", _exchange_returned),
    Wrapper("exchange-nested", _exchange_nested),
    Wrapper("exchange-hash", _exchange_hash),
    Wrapper("exchange-2003", _exchange_2003),
    Wrapper("m365-responded", _m365_responded),
    Wrapper("gmail", _gmail),
    Wrapper("json", _json_log),
    Wrapper("html", _html),
    Wrapper("quoted-printable", _quoted_printable),
    Wrapper("quoted-mail", _quoted_mail, _RELAY_STAGES | {Stage.DATA}),
    Wrapper("multiline", lambda reply, _: _multiline(reply)),
    Wrapper("timestamped", _timestamped),
    Wrapper("bracket-time", _bracket_time),
    Wrapper("m365-primary", _m365_primary),
    Wrapper("exchange-at", _exchange_at),
    Wrapper("gmail-new", _gmail_new),
    Wrapper("symfony", _symfony),
    Wrapper("ruby", _ruby, frozenset(_RUBY_CALL)),
    Wrapper("gmail-old", _gmail_old),
    Wrapper("yahoo", _yahoo, frozenset(_YAHOO_TAG)),
    Wrapper("ses-json", _ses_json),
    Wrapper("sendgrid-json", _sendgrid_json),
    Wrapper("mailgun-json", _mailgun_json),
)
_BY_NAME = {w.name: w for w in WRAPPERS}
WRAPPERS += tuple(
    _combo(outer, _BY_NAME[inner])
    for outer, inners in (
        (_json_text, ("postfix-log", "exim-log", "nodemailer", "smtplib")),
        (_html_text, ("postfix-bounce", "exim-bounce", "dsn", "gmail", "exchange-returned")),
        (_quote_text, ("exim-bounce", "dsn", "gmail", "exchange-nested", "qmail")),
        (_qp_text, ("dsn", "postfix-bounce", "exchange-returned", "gmail", "exim-bounce")),
        (_crlf_text, ("postfix-bounce", "exim-bounce", "dsn", "nodemailer")),
        (_web_text, ("gmail", "exchange-returned", "postfix-bounce", "m365-primary")),
        (_rewrap_text, ("postfix-bounce", "exim-bounce", "gmail", "qmail")),
    )
    for inner in inners
)


# --- the engine's two doors ------------------------------------------------------------


def _as_argument(text: str) -> Classification:
    """``smtpdoctor explain "TEXT"``."""
    return classify(text)


def _as_paste(text: str) -> Classification:
    """``smtpdoctor explain -`` (stdin): the bounce reader first, as the command does.

    A paste about one reply may come out as several entries (its lines); the
    answer is the one the engine weighs most specific, as for a bounce.
    """
    found = parse_bounce(text, may_be_mail=True, keep=_recognised)
    results = [
        notice(e.nature, e.text)
        if e.nature is not None
        else classify_best(e.candidates)
        if e.candidates
        else classify(e.text)
        for e in found.entries
    ]
    if not results:
        return classify("")
    return max(results, key=_specificity)


@dataclass(frozen=True)
class Pair:
    reply: str
    wrapper: Wrapper
    stage: Stage | None  # the stage the wrapper states
    category: str
    expected_stage: str


def _pairs() -> list[Pair]:
    pairs: list[Pair] = []
    for reply in (*_tune_replies(), *OWN_REPLIES):
        bare = classify(reply)
        for wrapper in WRAPPERS:
            if not wrapper.states:
                pairs.append(Pair(reply, wrapper, None, bare.category.value, bare.stage.value))
                continue
            stated = bare.stage if bare.stage in wrapper.states else Stage.RCPT_TO
            if stated not in wrapper.states or bare.stage in _BEFORE_COMMANDS:
                continue
            at = classify(reply, stage=stated)
            pairs.append(Pair(reply, wrapper, stated, at.category.value, stated.value))
    return pairs


# A reply read as a connection or TLS failure is not wrapped in a command's reply.
_BEFORE_COMMANDS = frozenset(
    {Stage.DNS, Stage.CONNECT, Stage.STARTTLS, Stage.TLS_HANDSHAKE, Stage.AUTH, Stage.QUIT}
)

PAIRS = _pairs()


def _agrees(pair: Pair, c: Classification) -> tuple[bool, bool]:
    return c.category.value == pair.category, c.stage.value == pair.expected_stage


def _score(door: Callable[[str], Classification]) -> tuple[int, int, int, list[str]]:
    cat = stage = 0
    misses: list[str] = []
    for pair in PAIRS:
        text = pair.wrapper.wrap(pair.reply, pair.stage)
        c = door(text)
        ok_cat, ok_stage = _agrees(pair, c)
        cat += ok_cat
        stage += ok_stage
        if not (ok_cat and ok_stage):
            misses.append(
                f"{pair.wrapper.name}: want {pair.category}/{pair.expected_stage} "
                f"got {c.category.value}/{c.stage.value} {c.matched} :: {text!r}"
            )
    return cat, stage, len(PAIRS), misses


def test_harness_is_wide() -> None:
    assert len({p.reply for p in PAIRS}) >= 150
    assert {w.name for w in WRAPPERS} == {p.wrapper.name for p in PAIRS}


# (category, stage) pairs that agree, by door, of 10,533 (152 replies, 69 shapes:
# 38 wrappers and 31 copies of a wrapper through JSON, HTML, a mail quote,
# quoted-printable, CRLF line ends, a page's typography or a client's re-flow).
# On the engine before this harness (7388d00): argument 10370 / 10234, stdin
# 10319 / 9829. After unwrapping mail quotes, quoted-printable, HTML tags,
# no-break spaces and curly quotes, per-line times, .NET's status texts,
# Mailgun's separate code, transcript blocks and stack frames on stdin,
# multi-line replies inside wrappers and X.0.0 report codes: argument
# 10529 / 10517, stdin 10529 / 10516.
# The harness grows with the tune split: on session 7's tree, with its three line
# collections (21,156 pairs per door): argument 21114 / 21101, stdin 21125 / 21108
# (the engine of the session's start, 15f0d5b, on the same pairs: the same).
# After a phrase that runs past a re-flowed quoted reply is read whole (the
# classifier's _reads_on): argument 21116 / 21102, stdin 21128 / 21110.
# With the second lines round's collection (22,129 pairs per door): argument 22085 /
# 22074, stdin 22097 / 22082, the same before and after its classes; with its second
# collection and its classes (22,205): argument 22161 / 22150, stdin 22173 / 22158.
# Both rounds merged with the re-flow reading: argument 22163 / 22151, stdin 22175 / 22159.
# Session 8, with the session8-clients collection (22,243 pairs per door) and its
# classes: argument 22201 / 22189, stdin 22213 / 22197 (misses as before: 42 / 54).
# With its MTA collection (22,657 pairs: hMailServer's documented replies and
# OpenSMTPD's lines wrapped each way) and its classes: argument 22581 / 22569, stdin
# 22592 / 22576 (the new pairs bring the misses of the collection's tune rows left
# as they are, "421 Excessive amounts of data" and "451 Please try again later",
# in each wrapper).
FLOORS = {"argument": (22581, 22569), "stdin": (22592, 22576)}


# ~22,000 texts a door (about a minute of CPU for stdin): the suite's 120 s limit,
# there to catch a hang, was reached at load 5.6 on two cores; a hang still ends here.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("door", ["argument", "stdin"])
def test_wrapped_replies_agree(door: str, capsys: pytest.CaptureFixture[str]) -> None:
    cat, stage, n, misses = _score(_as_argument if door == "argument" else _as_paste)
    with capsys.disabled():
        print(f"\nwrapped replies ({door}): category {cat}/{n}, stage {stage}/{n}")
    assert n >= 10500
    floor = FLOORS[door]
    assert cat >= floor[0], "\n".join(misses[:40])
    assert stage >= floor[1], "\n".join(misses[:40])


# --- the unwrapping leaves other texts alone -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # Sendmail's transcript marks are no mail quote.
        ">>> RCPT To:<jo@example.org>\n<<< 550 5.1.1 User unknown",
        # curl-style "> " (client) and "< " (server) lines are no quote either.
        "> RCPT TO:<jo@example.org>\n< 550 5.1.1 User unknown\n> QUIT",
        # "=XX" without a soft line break is no quoted-printable.
        "Dec  5 10:00:00 mx postfix/smtp[1]: id=12AB, dsn=5.1.1, status=bounced",
        # A single timestamped line keeps its time (read where it stands).
        "2026-12-05 10:00:00 550 5.1.1 User unknown",
        # An address in angle brackets is no HTML tag.
        "550 5.1.1 <b@example.org>: Recipient address rejected",
    ],
)
def test_unpaste_leaves_program_text_alone(text: str) -> None:
    assert unpaste(text) == text


def test_unpaste_undoes_the_paste_forms() -> None:
    quoted = "On Sat, X wrote:\n> > 550 5.1.1 User\n> > unknown\n>"
    assert unpaste(quoted) == "On Sat, X wrote:\n550 5.1.1 User\nunknown\n"
    qp = "550 5.7.1 Message rejected: the sender domain has a DMARC policy p=3Dre=\nject"
    assert (
        unpaste(qp) == "550 5.7.1 Message rejected: the sender domain has a DMARC policy p=reject"
    )
    assert unpaste("<pre>550-5.1.1 a<br>550 5.1.1 b</pre>") == "550-5.1.1 a\n550 5.1.1 b"
    timed = "2026-12-05T10:00:00Z 550-5.1.1 a\n2026-12-05T10:00:00Z 550 5.1.1 b"
    assert unpaste(timed) == "550-5.1.1 a\n550 5.1.1 b"


def test_dotnet_status_text_gives_the_code_back() -> None:
    c = classify(
        "System.Net.Mail.SmtpFailedRecipientException: Mailbox unavailable. "
        "The server response was: 4.2.2 Mailbox full"
    )
    assert (c.reply and c.reply.code, c.category.value, c.stage.value) == (
        450,
        "recipient",
        "rcpt_to",
    )
