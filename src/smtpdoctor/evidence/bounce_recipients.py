"""Whom each part of a bounce's text is about: one :class:`BounceEntry` per failed recipient.

A bounce that speaks of several recipients (Exim's listing, Domino's and
GroupWise's lists, a Sendmail transcript of several ``RCPT TO``, an NDR with a
block per address) gives each recipient the paragraphs and transcript lines
that are its own, and the report's common prose. Pure, used by
:mod:`smtpdoctor.evidence.bounce`.
"""

from __future__ import annotations

import email.message
import re
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ADDRESS_LINE",
    "NOT_DELIVERED",
    "BounceEntry",
    "by_recipient",
    "failed_recipients",
    "fields_inside_named",
    "listed",
    "listed_lines",
    "with_human",
]

NOT_DELIVERED = "The message could not be delivered (the bounce gives no reason)."


@dataclass(frozen=True, slots=True)
class BounceEntry:
    """One reply (or log line) to explain, and where in the input it was found."""

    text: str
    line: int | None = None  # the line number, for text read line by line
    recipient: str | None = None  # DSN Final-Recipient, without the address type
    remote_mta: str | None = None
    action: str | None = None  # DSN Action: failed, delayed...
    status: str | None = None  # DSN Status: 5.1.1
    reporting_mta: str | None = None
    ndr: str | None = None  # "microsoft" for a Microsoft NDR
    generating_server: str | None = None  # the NDR's "Generating server"
    # The texts to weigh against each other, most direct first (the DSN's
    # Diagnostic-Code, what the human-readable part says about this
    # recipient, the Status field); the most specific one decides.
    candidates: tuple[str, ...] = ()
    # Set when the mail is no failure: "feedback-report", "auto-reply", "delivered".
    nature: str | None = None

    def origin(self) -> dict[str, Any]:
        """The fields that are set, as the ``input`` object of an explanation."""
        keys = (
            "line",
            "recipient",
            "remote_mta",
            "action",
            "status",
            "reporting_mta",
            "ndr",
            "generating_server",
            "nature",
        )
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


# A local part's characters: RFC 5322's atext less the ones that stand around an
# address in prose ("&", "{|}", "`", "$"), so a user's redaction ("???@x.org",
# "***@x.org") is still the address it stands for.
_LOCAL = r"[\w.+=/'?*!#%~-]+"
_ADDRESS = re.compile(_LOCAL + r"@[\w-]+(?:\.[\w-]+)+", re.A)
_MAIL_FROM = re.compile(r">>> MAIL From:\s*<([^>\s]+)>", re.I)
_SENDMAIL_HOST = re.compile(r"^\d{3} ([\w-]+(?:\.[\w-]+)+) \(smtp\)\.\.\.", re.M | re.A)
_SENDMAIL_RCPT = re.compile(r"<(" + _LOCAL + r"@[\w-]+(?:\.[\w-]+)+)>\.\.\.\s", re.A)
# (Exchange 5.5/2003 writes "addr on <date>" above each recipient's reason.)
ADDRESS_LINE = re.compile(
    r"^[ \t]*<?" + _LOCAL + r"@[\w-]+(?:\.[\w-]+)+>?:?(?: on \w{3}, [^\n]*)?[ \t]*$", re.M | re.A
)


# An address that opens a line and is followed by its reason on the same line
# (not Sendmail's "<addr>... reason" transcript lines).
_ADDRESS_FIRST = re.compile(
    r"[ \t]*<?(" + _LOCAL + r"@[\w-]+(?:\.[\w-]+)+)>?(?::| \(|;)[ \t]*\S", re.A
)


def listed_lines(lines: list[str]) -> set[int]:
    """The lines of a run of two or more consecutive lines that each open, at the
    same indent, with a different address and its reason (not a Postfix
    paragraph's folds under its "said:" line)."""
    heads: dict[int, tuple[str, str]] = {}
    for i, ln in enumerate(lines):
        # (Postfix's "<addr>: host x said: 550 ..." goes on over the next lines.)
        if "@" in ln and (m := _ADDRESS_FIRST.match(ln)) is not None and "said:" not in ln:
            heads[i] = (ln[: len(ln) - len(ln.lstrip())], m.group(1).lower())
    out: set[int] = set()
    for i, (indent, who) in heads.items():
        for j in (i - 1, i + 1):
            if j in heads and heads[j][0] == indent and heads[j][1] != who:
                out.add(i)
    return out


# An address list in a header (no prose around it): a local part and domain in
# UTF-8 as well (RFC 6531's SMTPUTF8 addresses, "ñaca@africa.org").
_LISTED_ADDRESS = re.compile(r"[^\s,;:<>\"()@\[\]]+@[\w-]+(?:\.[\w-]+)+")


def failed_recipients(msg: email.message.Message) -> list[str]:
    value = str(msg.get("X-Failed-Recipients", "") or "")
    return [a.lower() for a in _LISTED_ADDRESS.findall(value)]


# Exim's heading above the addresses of a failure or delay report; each address
# it lists failed, whether or not a reason follows it.
_LISTING = re.compile(
    r"(?:not yet been delivered (?:are|is)|following address(?:\(es\)|es)? failed):\s*\Z", re.I
)


def _may_list(para: str) -> bool:
    """Whether ``para`` holds words every ``_LISTING`` match does, as its regex would see
    them (letters other than i, k and s: no other character matches them case-blind,
    and no other character lower-cases to them)."""
    low = para.lower()
    return "not yet been" in low or "follow" in low


# Microsoft 365's opening names the one recipient it is about, in the sender's
# language ("Your message to x couldn't be delivered.", "Ihre Nachricht an x konnte
# nicht übermittelt werden.", "No se pudo entregar el mensaje a x."): the sentence
# the classifier need not know, the address in it a failed recipient.
_M365_OPENING = re.compile(
    r"^(?:Your message to (\S+@\S+?) couldn'?t be delivered|"
    r"Ihre Nachricht an (\S+@\S+?) konnte nicht (?:zugestellt|(?:ü|ue)bermittelt) werden|"
    r"Votre message (?:à|a|pour) (\S+@\S+?) n'a pas pu (?:ê|e)tre (?:remis|distribu(?:é|e))|"
    r"No se pudo entregar (?:el|su) mensaje a (\S+@\S+?)[.,]?$|"
    r"Su mensaje (?:a|para) (\S+@\S+?) no se pudo entregar|"
    r"(?:Impossibile|Non (?:è|e) stato possibile) recapitare il messaggio a (\S+@\S+?)[.,]?$|"
    r"(?:Sua|A sua) mensagem para (\S+@\S+?) n(?:ã|a)o (?:p(?:ô|o)de|pode) ser entregue|"
    r"Uw bericht aan (\S+@\S+?) (?:kan|kon) niet worden bezorgd)",
    re.I | re.M,
)


def listed(paragraphs: list[str]) -> list[str]:
    """The addresses listed under Exim's heading (a delay warning has no X-Failed-Recipients),
    or named by Microsoft 365's opening sentence."""
    out: list[str] = []
    m = _M365_OPENING.search(paragraphs[0][:240]) if paragraphs else None
    if m is not None:
        # (Only where it opens the report and no other paragraph names another
        # recipient: a Postfix paragraph above or below keeps its own entry.)
        who = next(g for g in m.groups() if g).lower().strip(".,'<>")
        if all(_named(p) in (None, who) for p in paragraphs[1:]):
            out.append(who)
    for i, para in enumerate(paragraphs[:-1]):
        if _LISTING.search(para) if _may_list(para) else False:
            for after in paragraphs[i + 1 :]:
                who = _named(after)
                if who is None:
                    break
                out.append(who)
    return list(dict.fromkeys(out))


def _has_address(text: str) -> bool:
    """``_ADDRESS.search(text)`` found: looked for only where an "@" stands (its
    local part's class tried at every character, and again from each one of a long
    word, costs more than the paragraph's one memchr)."""
    return "@" in text and _ADDRESS.search(text) is not None


def fields_inside_named(fields: list[str], paragraphs: list[str]) -> bool:
    """Whether each of ``fields`` (a DSN field line, "Diagnostic-Code: ...") stands
    inside a paragraph that opens with the address it is about: a Postfix
    "<x@y>: host ... said: ..." paragraph pasted with its Diagnostic-Code line."""
    named = [" ".join(p.split()) for p in paragraphs if _named(p) is not None]
    return bool(named) and all(any(f in p for p in named) for f in fields)


def _named(paragraph: str) -> str | None:
    """The address a paragraph is about, when it starts with one (qmail, Postfix, Exchange)."""
    head = paragraph[:160]
    m = _ADDRESS.search(head) if "@" in head else None  # (every address holds one)
    if m is None or m.start() > 80:
        return None
    who = m.group(0).lower().strip(".'")
    # The reporting daemon's own address ("Mail Delivery Subsystem
    # <mailer-daemon@googlemail.com>" above a pasted reply) is no recipient,
    # nor the one a label says is the sender (MailMarshal's "Original Sender:",
    # a quoted header's "From:", a transcript's "MAIL From:").
    if who.startswith("mailer-daemon@") or _SENDER_LABEL.search(head, 0, m.start()):
        return None
    return who


_SENDER_LABEL = re.compile(
    r"(?:\bsender|^from|\bmail from|\breturn-path|\boriginator)"
    r"[ \t]*:[ \t]*\"?[^\n\"<>@]*\"?[ \t]*<?[ \t]*\Z",
    re.I | re.M,
)


def by_recipient(
    kept: list[str], failed: list[str], every: list[str] | None = None
) -> list[BounceEntry]:
    """One entry per recipient a plain bounce names; context paragraphs go with each
    (those under one recipient's own paragraph, of ``every`` paragraph, with it only)."""
    groups: dict[str, list[str]] = {a: [] for a in failed}
    context: list[str] = []
    for para in kept:
        who = _named(para)
        # With X-Failed-Recipients, only those recipients get an entry (the
        # sender's address in "MAIL FROM:<...>" is not a failed recipient).
        if who is not None and (not failed or who in groups):
            groups.setdefault(who, []).append(para)
        else:
            context.append(para)
    if every is not None:
        context = _listed_blocks(kept, every, groups, context, bool(failed))
    if not groups and context:
        # A Sendmail transcript names each failed recipient as "<addr>... reason".
        senders = {a.lower() for p in context for a in _MAIL_FROM.findall(p)}
        named = list(
            dict.fromkeys(
                a.lower()
                for p in context
                for a in _SENDMAIL_RCPT.findall(p)
                if a.lower() not in senders
            )
        )
        # Lines about another destination ("421 example.org (smtp)... Deferred")
        # are not about these recipients either.
        hosts = {h.lower() for p in context for h in _SENDMAIL_HOST.findall(p)}
        if len(named) > 1 or (named and hosts):
            return [
                BounceEntry(
                    context[0],
                    recipient=who,
                    candidates=tuple(
                        _excerpt(p, who, [o for o in named if o != who] + _elsewhere(who, hosts))
                        for p in context
                    ),
                )
                for who in named
            ]
    if not groups or not any(groups.values()):
        if not context:
            return []
        if len(groups) <= 1:
            only = next(iter(groups), None)
            return [BounceEntry(context[0], recipient=only, candidates=tuple(context))]
    # (A transcript that speaks of several recipients gives each only its lines.)
    return [
        BounceEntry(
            (paras or context or [NOT_DELIVERED])[0],
            recipient=who,
            candidates=tuple(paras + _about(context, who, groups)) or (NOT_DELIVERED,),
        )
        for who, paras in groups.items()
    ]


def _about(context: list[str], who: str, groups: dict[str, list[str]]) -> list[str]:
    if len(groups) < 2:
        return context
    others = [o for o in groups if o != who]
    return [_excerpt(p, who, others) for p in context]


def _elsewhere(who: str, hosts: set[str]) -> list[str]:
    """Sendmail's "<host> (smtp)..." markers of destinations other than ``who``'s domain."""
    domain = who.rpartition("@")[2]
    return [
        f"{h} (smtp)..."
        for h in hosts
        if not (domain == h or domain.endswith("." + h) or h.endswith("." + domain))
    ]


def with_human(
    entry: BounceEntry, kept: list[str], others: list[str], every: list[str] | None = None
) -> BounceEntry:
    """A DSN recipient's fields, weighed with what the human-readable part says about it."""
    who = (entry.recipient or "").lower()
    if not others:
        about = kept  # the whole human-readable part is about the one recipient
    else:
        mine = [_excerpt(p, who, others) for p in kept if who and who in p.lower()]
        owners = _owners(every or kept, [who, *others])
        about = mine + [p for p in kept if not _has_address(p) and owners.get(id(p)) in (None, who)]
    diagnostic = [
        ln
        for ln in entry.text.splitlines()
        if ln.startswith(("Diagnostic-Code:", "X-Exim-Diagnostic:"))
    ]
    status = [ln for ln in entry.text.splitlines() if ln.startswith(("Status:", "Action:"))]
    candidates = (*diagnostic, *about, "\n".join(status))
    return BounceEntry(
        entry.text,
        recipient=entry.recipient,
        remote_mta=entry.remote_mta,
        action=entry.action,
        status=entry.status,
        reporting_mta=entry.reporting_mta,
        candidates=tuple(c for c in candidates if c),
    )


def _listed_blocks(
    kept: list[str], every: list[str], groups: dict[str, list[str]], context: list[str], told: bool
) -> list[str]:
    """Each listed recipient's own paragraphs into ``groups``; the context left.

    An address alone in its paragraph lists a recipient (Domino's "was not
    delivered to:", blank line, the address, blank line, "because:" ...), unless
    ``X-Failed-Recipients`` already ``told`` them; and each recipient's block goes
    on after a blank line ("The response from the remote server was:" under each
    address): its reply is its own.
    """
    if not told:
        for para in every:
            if "\n" not in para and "@" in para and ADDRESS_LINE.match(para):
                who = _named(para)
                if who is not None:
                    groups.setdefault(who, [])
    if len(groups) < 2:
        return context
    after = _owners(every, list(groups))
    for p in kept:
        if (owner := after.get(id(p))) is not None and p not in groups[owner]:
            groups[owner].append(p)
    return [p for p in context if after.get(id(p)) is None]


def _owners(paragraphs: list[str], recipients: list[str]) -> dict[int, str | None]:
    """For each paragraph (by ``id``), the recipient it is about: the one it names
    alone, else (naming no address) the one whose own paragraph it follows (its
    reply, under its address); or None: the report's prose before any recipient
    is named, or after one naming several."""
    out: dict[int, str | None] = {}
    owner: str | None = None
    for p in paragraphs:
        if not _has_address(p):
            out[id(p)] = owner
            continue
        low = p.lower()
        named = [r for r in recipients if r and r in low]
        if len(named) == 1:
            owner = out[id(p)] = named[0]
        elif named:
            owner = None
    return out


def _excerpt(paragraph: str, who: str, others: list[str]) -> str:
    """The lines of a paragraph about one recipient when it speaks of several.

    A Sendmail transcript lists every recipient's exchange in one block:
    take the lines naming this recipient, the two before (the command and
    reply that failed) and the replies right after, never a line that names
    another recipient.
    """
    lines = paragraph.split("\n")
    low = [ln.lower() for ln in lines]
    if not any(o in text for o in others for text in low):
        return paragraph
    keep: set[int] = set()
    for i, text in enumerate(low):
        if who not in text:
            continue
        keep.add(i)
        for j in (i - 1, i - 2):
            if j < 0 or any(o in low[j] for o in others):
                break
            keep.add(j)
        for j in (i + 1, i + 2):
            if (
                j >= len(lines)
                or any(o in low[j] for o in others)
                or not lines[j].startswith("<<<")
            ):
                break
            keep.add(j)
    return "\n".join(lines[i] for i in sorted(keep))
