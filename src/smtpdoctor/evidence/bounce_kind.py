"""What a mail or a pasted text is: a failure report, or a mail that is no failure.

A report: a text that opens the way MTAs' and providers' bounce texts open
(pasted without its headers), a Microsoft NDR's heading, a mail from a mailer
daemon or with a bounce subject. No failure (:func:`nature`): a feedback
report (ARF, RFC 5965), an auto-reply (RFC 3834 headers, an out-of-office
subject, opening or responder's sentence), a phishing lure that imitates a
bounce; a challenge-response hold is none of these. The case-insensitive
regexes are tried only where their words or openings stand (:func:`gated`,
:func:`opens`). Pure.
"""

from __future__ import annotations

import email.message
import html
import re

from smtpdoctor.evidence.bounce_dsn import DSN_TYPES
from smtpdoctor.evidence.bounce_text import folded, header, part_text
from smtpdoctor.knowledge.bounces import (
    AGGREGATE_REPORT_FILES,
    AGGREGATE_REPORT_SUBJECTS,
    AUTO_REPLY_MARKS,
    AUTO_REPLY_OPENINGS,
    AUTO_REPLY_SUBJECTS,
    BOUNCE_SUBJECTS,
    BOUNCE_TEXT_OPENINGS,
    CHALLENGE_MARKS,
    DELIVERED_MARKS,
    DELIVERED_SUBJECTS,
    LURE_MARKS,
    MS_NDR_HEADINGS,
    NOTICE_MARKS,
    QMAIL_LOG_FAILURE,
)
from smtpdoctor.knowledge.phrasing import (
    LazyRegex,
    after_line_end,
    caseless,
    caseless_words,
    gate_words,
    line_start_search,
    openings,
    opens_in,
    search_gated,
    split_by_openings,
    split_top,
)
from smtpdoctor.knowledge.report_shapes import REPORT_FAILURE_WORDS, REPORT_REPLY_CODE

__all__ = [
    "AUTO_REPLY_MARK",
    "AUTO_REPLY_MARK_WORDS",
    "AUTO_REPLY_TEXT",
    "BODY_MARK",
    "BODY_MARK_PARTS",
    "CHALLENGE",
    "CHALLENGE_WORDS",
    "LOG_LINE",
    "LURE",
    "LURE_WORDS",
    "MS_NDR",
    "NATURE_TEXT",
    "OPENINGS",
    "auto_reply_mark",
    "body_marked",
    "caseless",
    "caseless_words",
    "gated",
    "is_aggregate_report",
    "is_auto_reply_text",
    "is_delivered_text",
    "is_lure_text",
    "looks_like_bounce",
    "looks_like_bounce_body",
    "nature",
    "no_failure_nature",
    "opens",
    "subject_only",
]

# Exchange's NDR headings in the sender's language (knowledge/bounces.py).
MS_NDR = re.compile(MS_NDR_HEADINGS, re.I)

# The opening words of the bounce texts MTAs and providers write, or a
# Postfix-style "<addr>: host ... said:" paragraph (knowledge/bounces.py).
# (Compiled on first need, ~3 ms: a folder of mails with their headers never needs it.)
BODY_MARK = LazyRegex(BOUNCE_TEXT_OPENINGS, re.I | re.M)
# A log file is read line by line, even when its lines quote a bounce (a
# timestamp alone on its line is a report's field value, not a log line).
LOG_LINE = re.compile(
    r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d)[^\n]*?[ \t]\S", re.M
)


def body_marked(head: str) -> bool:
    """``BODY_MARK.search(head) is not None``: its alternatives that open with known
    strings tried only where one stands (see opens); of the others, those that open
    with a multi-line "^" (session 22: a Postfix "<addr>: host" paragraph, Gmail's
    "** Address not found **") at the start and after each line end
    (phrasing.line_start_search: as one regex they were tried at every character),
    the rest searched as one."""
    if not BODY_MARK_PARTS:  # (worked out on first need, as BODY_MARK is compiled)
        BODY_MARK_PARTS.append(_body_mark_parts())
    parts = BODY_MARK_PARTS[0]
    if parts is None:
        return BODY_MARK.search(head) is not None
    opening, starts, rest, anchored, after = parts
    return (
        opens_in(opening, head, folded(head), starts)
        or (rest is not None and rest.search(head) is not None)
        or (anchored is not None and line_start_search(anchored, after, head) >= 0)
    )


def _body_mark_parts() -> _BodyMarkParts | None:
    split = split_by_openings(BOUNCE_TEXT_OPENINGS, BODY_MARK.flags)
    if split is None:
        return None
    others = split_top(split[2]) if split[2] else []
    rest = "|".join(a for a in others if not a.startswith("^"))
    lines = "|".join(a for a in others if a.startswith("^"))
    anchored = re.compile(lines, BODY_MARK.flags) if lines else None
    return (
        re.compile(split[0], BODY_MARK.flags),
        split[1],
        re.compile(rest, BODY_MARK.flags) if rest else None,
        anchored,
        after_line_end(anchored) if anchored is not None else None,
    )


# The openings' regex, its openings, the other alternatives but those opening with
# "^", those, and those searched after line ends (see body_marked).
_BodyMarkParts = tuple[
    re.Pattern[str],
    tuple[str, ...],
    "re.Pattern[str] | None",
    "re.Pattern[str] | None",
    "re.Pattern[str] | None",
]
BODY_MARK_PARTS: list[_BodyMarkParts | None] = []


def looks_like_bounce_body(text: str) -> bool:
    """A bounce's text without the mail around it (no header block, no log lines)."""
    head = text[:20_000]
    marked = body_marked(head) or opens(MS_NDR, head)
    return (marked or _laid_out_as_report(head)) and LOG_LINE.search(head) is None


# (Compiled on first need: a folder of mails with their headers never needs them.)
_FAILURE_WORDS = LazyRegex(REPORT_FAILURE_WORDS, re.I)
_REPLY_CODE = LazyRegex(REPORT_REPLY_CODE, re.M)
# (session 18) A notice that says the mail was not delivered is a refusal, whatever
# else it says of an attachment or a virus.
_NOT_DELIVERED = re.compile(r"\bnot (?:been )?delivered\b", re.I)


def _laid_out_as_report(head: str) -> bool:
    """A report whose opening is not a known one: paragraphs, a sentence saying the
    delivery failed, a quoted reply code (knowledge/report_shapes.py)."""
    return (
        "\n\n" in head.strip()
        and _REPLY_CODE.search(head) is not None
        and _FAILURE_WORDS.search(" ".join(head.split())) is not None
    )


_DAEMON = re.compile(r"mailer-daemon|postmaster|post_master|mail delivery|mail administrator", re.I)


def looks_like_bounce(msg: email.message.Message) -> bool:
    """From a mailer daemon (or the null address), or a subject that says delivery failed."""
    sender = header(msg, "From")
    return bool(
        _DAEMON.search(sender)
        # the null reverse-path (RFC 5321 §4.5.5), bare or with a name ("Jetmail System" <>)
        or sender.strip().endswith("<>")
        or _BOUNCE_SUBJECT.search(header(msg, "Subject"))
        or msg.get("X-Failed-Recipients")
    )


# A subject a person wrote over another mail's: "Re:", "Fwd:", "FW:" and the
# German, French, Spanish, Nordic and Dutch ones ("AW:", "WG:", "TR:", "RV:", "SV:",
# "VS:", "Antw:").
_PERSON_PREFIX = re.compile(r"^\s*(?:re|fwd?|aw|wg|tr|rv|sv|vs|antw)\s*(?:\[\d+\])?\s*:", re.I)


def subject_only(msg: email.message.Message, bodies: list[str]) -> bool:
    """A person's mail whose only bounce sign is a replied or forwarded subject
    ("FW: Delivery Status Notification (Failure)" over a question of one's own):
    no daemon sender, no failed-recipients header, no report in its text."""
    sender = header(msg, "From")
    return bool(
        _PERSON_PREFIX.match(header(msg, "Subject"))
        and not _DAEMON.search(sender)
        and not sender.strip().endswith("<>")
        and not msg.get("X-Failed-Recipients")
        and not any(looks_like_bounce_body(b) for b in bodies)
    )


NATURE_TEXT = {
    "feedback-report": "A feedback report (ARF, RFC 5965): a complaint about a delivered "
    "message, not a delivery failure.",
    "auto-reply": "An automatic reply (RFC 3834: vacation, out of office): the message "
    "was delivered.",
    "delivered": "A delivery notification: the message was delivered or relayed.",
    "not-a-bounce": "An ordinary message: no delivery report, no failure text.",
}
_BOUNCE_SUBJECT = re.compile(BOUNCE_SUBJECTS, re.I)
# Lotus Notes' "AUTO:", Outlook's "Automatic reply:" in many languages ...
# (knowledge/bounces.py); an out-of-office text's own opening where neither a
# header nor the subject says so (Gmail's and Zimbra's "Re: <subject>").
_AUTO_REPLY_SUBJECT = re.compile(AUTO_REPLY_SUBJECTS, re.I)
AUTO_REPLY_TEXT = re.compile(AUTO_REPLY_OPENINGS, re.I)
AUTO_REPLY_MARK = re.compile(AUTO_REPLY_MARKS, re.I)
CHALLENGE = re.compile(CHALLENGE_MARKS, re.I)
LURE = re.compile(LURE_MARKS, re.I)
NOTICE = re.compile(NOTICE_MARKS, re.I)
DELIVERED = re.compile(DELIVERED_MARKS, re.I | re.M)
_QMAIL_LOG = re.compile(QMAIL_LOG_FAILURE)


# Each match of AUTO_REPLY_MARK holds one of these, lower-cased: a text
# holding none (most) is not searched, 4,000 characters case-insensitively.
AUTO_REPLY_MARK_WORDS = gate_words(AUTO_REPLY_MARKS)
CHALLENGE_WORDS = gate_words(CHALLENGE_MARKS)
LURE_WORDS = gate_words(LURE_MARKS)
NOTICE_WORDS = gate_words(NOTICE_MARKS)
DELIVERED_WORDS = gate_words(DELIVERED_MARKS)


# The strings the matches of these open with (None: not known; searched as usual).
OPENINGS = {
    rx.pattern: openings(rx.pattern, rx.flags)
    for rx in (MS_NDR, AUTO_REPLY_MARK, CHALLENGE, LURE, NOTICE, DELIVERED)
}


def is_auto_reply_text(text: str) -> bool:
    """An out-of-office text: by its opening, or by a responder's own sentence in it."""
    head = text.lstrip()[:4000]
    # (The responder's words first: most texts have none, and then the long
    # alternation of report headings need not run.)
    if not AUTO_REPLY_TEXT.search(head[:600]) and not (
        # (session 22) a responder's sentence in a text that names no reply code: a
        # server's reply may say its mailbox is unread ("550 ... not monitored")
        auto_reply_mark(head) and _REPLY_CODE.search(head) is None
    ):
        return False
    # A report's text is none, whatever it quotes.
    return not (body_marked(head) or opens(MS_NDR, head))


def no_failure_nature(text: str) -> str | None:
    """What a text pasted without its headers is when it reports no failure (None: it
    may): a lure, a notice, an auto-reply, a delivery receipt (NATURE_TEXT's keys)."""
    if is_lure_text(text):
        # A lure dressed as a delivery notice (phishing, a worm's fake bounce): no
        # report on mail the reader sent.
        return "not-a-bounce"
    if is_notice_text(text):
        # (session 14) an anti-virus filter's or a quota notice (cleaned and
        # delivered, to the recipient, to a mailbox's owner).
        return "not-a-bounce"
    if is_auto_reply_text(text):
        # An out-of-office text.
        return "auto-reply"
    if is_delivered_text(text):
        # (session 22) a delivery or read receipt's text
        return "delivered"
    return None


def is_lure_text(text: str) -> bool:
    """A lure dressed as a delivery notice (LURE_MARKS), pasted without its headers:
    the asks phishing makes, a worm's fake bounce; a report's text is none."""
    head = _visible(text.lstrip())
    return lure(head) and not opens(MS_NDR, head)


def lure(head: str) -> bool:
    """LURE_MARKS stand in ``head``, and not only as qmail-send's own log line of a
    failure (QMAIL_LOG_FAILURE: its underscored sentences are real, the worm's copy
    of them comes under its "Occured_Errors:")."""
    if not gated(LURE, LURE_WORDS, head):
        return False
    return "Occured_Errors" in head or _QMAIL_LOG.search(head) is None


def is_notice_text(text: str) -> bool:
    """(session 14) A notice that reports no failed delivery of the reader's mail
    (NOTICE_MARKS: an anti-virus filter's "cleaned and delivered", a notice to the
    recipient about mail sent to them, a quota warning to a mailbox's owner) that
    quotes no reply and is no Microsoft NDR. (Forefront's notices open as its reports
    do, "This message was created automatically by mail delivery software": their
    words decide, not the opening.)"""
    return notice(_visible(text.lstrip()))


# A notice names one of these: an anti-virus filter's, a mailbox quota's, an attachment
# removed; (session 19) a list manager's warning that mail to a member was bouncing;
# (session 22) a mailbox almost full, its share of the quota.
_NOTICE_TOPICS = (
    "virus",
    "quota",
    "ウイルス",
    "attach",
    "bounc",
    "most full",
    "early full",
    "% of",
    "% full",
    "size limit set on your",
)


def notice(head: str) -> bool:
    """:func:`is_notice_text` of a text's visible start (its topic words looked for
    first: a notice of an anti-virus filter or a mailbox quota names one)."""
    low = folded(head)
    if not any(map(low.__contains__, _NOTICE_TOPICS)):
        return False
    return gated(NOTICE, NOTICE_WORDS, head) and _reports_no_failure(head)


def is_delivered_text(text: str) -> bool:
    """(session 22) A delivery or read receipt pasted without its subject (DELIVERED_MARKS:
    Outlook's "was delivered to the following recipient(s):"), naming no failure."""
    head = _visible(text.lstrip()[:4000])
    return gated(DELIVERED, DELIVERED_WORDS, head) and _reports_no_failure(head)


def _reports_no_failure(head: str) -> bool:
    """``head`` (a notice's words found in it) names no reply code, no mail "not
    delivered", and is no Microsoft NDR: a notice that says so is a report."""
    return (
        _REPLY_CODE.search(head) is None
        and _NOT_DELIVERED.search(head) is None
        and not opens(MS_NDR, head)
    )


def auto_reply_mark(head: str) -> bool:
    """``AUTO_REPLY_MARK.search(head)``, its words looked for first."""
    return gated(AUTO_REPLY_MARK, AUTO_REPLY_MARK_WORDS, head)


def gated(pattern: re.Pattern[str], words: tuple[str, ...] | None, text: str) -> bool:
    """``pattern.search(text)``, not run when ``text`` holds none of the ``words``
    every match holds (:func:`caseless_words`; None: always run)."""
    if words is not None:
        low = folded(text)
        if not any(map(low.__contains__, words)):
            return False
    return opens(pattern, text)


def opens(pattern: re.Pattern[str], text: str) -> bool:
    """``pattern.search(text) is not None``; for a regex whose every match opens with
    known strings (phrasing.openings: a heading, a phrase), tried only where one
    stands in the :func:`folded` text: a case-insensitive regex that opens with
    a letter is otherwise tried at every character (~250 us on a long NDR). Any
    other is searched by its top-level alternatives, each only where the folded text
    holds its words (phrasing.search_gated: session 20, an auto-reply mark's words,
    "reply" and "contact" among them, stand in most bounces; then its whole
    alternation of sentences ran case-insensitively at every character of 4,000,
    ~120 us a mail)."""
    starts = OPENINGS.get(pattern.pattern)
    if starts is None:
        return search_gated(pattern, text, folded(text))
    return opens_in(pattern, text, folded(text), starts)


def nature(msg: email.message.Message, parts: list[email.message.Message]) -> str | None:
    """What a mail that is not a failure report is: ARF, an auto-reply, or None."""
    ctype = str(msg.get("Content-Type", "")).lower()
    types = {p.get_content_type() for p in parts}
    if "report-type=feedback-report" in ctype.replace('"', "") or (
        "message/feedback-report" in types
    ):
        return "feedback-report"
    first = next((p for p in parts if p.get_content_maintype() == "text"), None)
    if not types & DSN_TYPES and first is not None and lure(_visible(part_text(first))):
        return "not-a-bounce"  # phishing that imitates a bounce: no report on sent mail
    report = bool(types & DSN_TYPES) or "delivery-status" in ctype
    if not report and _delivered_notice(msg, first):
        return "delivered"
    if report or looks_like_bounce(msg):
        return None
    if first is not None and notice(_visible(part_text(first))):
        return "not-a-bounce"  # an anti-virus or quota notice: no failure of sent mail
    subject = header(msg, "Subject")
    if is_aggregate_report(msg, subject, ctype, parts):
        return "not-a-bounce"  # a DMARC or TLS aggregate report: no failure of this mail
    auto = str(msg.get("Auto-Submitted", "")).lower()
    replied = auto.startswith("auto-replied") or any(
        msg.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply")
    )
    precedence = str(msg.get("Precedence", "")).lower()
    if first is not None and gated(CHALLENGE, CHALLENGE_WORDS, part_text(first)[:4000]):
        return None  # a challenge-response filter holds the mail: no auto-reply
    if replied or _AUTO_REPLY_SUBJECT.search(subject) or precedence == "auto_reply":
        return "auto-reply"
    if first is not None and is_auto_reply_text(part_text(first)):
        return "auto-reply"
    return None


def _delivered_notice(msg: email.message.Message, first: email.message.Message | None) -> bool:
    """(session 13) A delivery notice in words, also from the postmaster (Exchange and
    Microsoft 365's "Delivered: x" and "Relayed: x"): its subject says delivered, and no
    failed-recipients header or report of a failure stands in it."""
    return bool(
        _DELIVERED_SUBJECT.search(header(msg, "Subject"))
        and not msg.get("X-Failed-Recipients")
        and (first is None or not looks_like_bounce_body(part_text(first)))
    )


_AGGREGATE_SUBJECT = re.compile(AGGREGATE_REPORT_SUBJECTS, re.I)
_DELIVERED_SUBJECT = re.compile(DELIVERED_SUBJECTS, re.I)
_AGGREGATE_FILE = re.compile(AGGREGATE_REPORT_FILES, re.I)


def is_aggregate_report(
    msg: email.message.Message, subject: str, ctype: str, parts: list[email.message.Message]
) -> bool:
    """A DMARC (RFC 7489 §7.2) or SMTP TLS (RFC 8460 §5.3) aggregate report: by its
    TLS-Report-Domain header or report type, or by its subject and attachment."""
    if msg.get("TLS-Report-Domain") or "report-type=tlsrpt" in ctype.replace('"', ""):
        return True
    if _AGGREGATE_SUBJECT.search(subject) is None:
        return False
    names = [str(p.get_filename() or "") for p in parts] + [str(msg.get_filename() or "")]
    return any(_AGGREGATE_FILE.match(n.strip()) for n in names if "!" in n)


def _visible(text: str) -> str:
    """The words of a text part's start, an HTML part's tags and entities left out."""
    head = text[:20000]
    if "<" not in head:
        return head[:4000]
    return html.unescape(_TAG.sub(" ", head))[:4000]


_TAG = re.compile(r"<[^>]*>")
