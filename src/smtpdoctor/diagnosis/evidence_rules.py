"""What each kind of evidence says, and the answer's parts that follow from it.

:mod:`smtpdoctor.diagnosis.classifier` weighs the evidence a text holds (a
phrase, an enhanced status code, a basic reply code, a stated stage) and
decides. This module owns the evidence itself (:class:`Evidence`), the
readings of the codes (:func:`code_evidence`: a provider's code table where
it differs from RFC 3463, then the registry, then the subject;
:func:`basic_evidence`: RFC 5321's reply code, read at the stage it came),
and what the deciding evidence gives the answer: its permanence, kind,
whether retrying helps, and the fixes (the MTA the text comes from first).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from smtpdoctor.diagnosis.prefilter import maybe as _maybe
from smtpdoctor.diagnosis.transcript import CODE_STAGE
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge import (
    CATEGORY_INFO,
    CLASSES,
    PERMANENCE_CUES,
    SUBJECTS,
    TextPattern,
    fixes_for,
    lookup_basic,
    lookup_microsoft,
    lookup_registry,
    permanence_of,
    split_enhanced,
)
from smtpdoctor.knowledge.phrasing import needed_words, search_open, words_absent
from smtpdoctor.model import MTA, Category, Fix, Permanence, Stage
from smtpdoctor.protocol.reply import Reply

_NETWORKISH = frozenset(
    {
        Category.CONNECTION_DROPPED,
        Category.NETWORK_TIMEOUT,
        Category.FIREWALL_BLOCK,
        Category.TLS_HANDSHAKE_FAILURE,
        Category.TLS_VERSION_MISMATCH,
    }
)


_MTA_HINTS: tuple[tuple[MTA, re.Pattern[str]], ...] = (
    (MTA.POSTFIX, re.compile(r"postfix|status=(?:deferred|bounced|sent)|X-Postfix|\bdsn=", re.I)),
    (MTA.EXIM, re.compile(r"\bexim|\bdefer \(-?\d+\)|\bR=\w+ T=\w+|exinext", re.I)),
    (MTA.SENDMAIL, re.compile(r"sendmail|sm-mta|\bstat=|\bctladdr=|\bmailer=esmtp", re.I)),
    (MTA.MICROSOFT365, re.compile(r"protection\.outlook|outlook\.office365|office365|EOP", re.I)),
    (
        MTA.EXCHANGE,
        re.compile(r"\bExchange\b|SocketError|RESOLVER\.|QUEUE\.|Remote Server returned", re.I),
    ),
)
# The words one of which each hint's match contains: a substring test skips
# the case-insensitive regex on most texts (two letters: "R=", "(S1234)").
_MTA_NEEDS = tuple(needed_words(rx.pattern, least=2) for _, rx in _MTA_HINTS)


_CUE_NEEDS = tuple(needed_words(cue.regex.pattern, least=2) for cue in PERMANENCE_CUES)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence that can decide the category."""

    id: str
    category: Category
    meaning: str
    causes: tuple[str, ...] = ()
    retry_helps: bool | None = None
    stage: Stage | None = None  # a stated fact
    stage_hint: Stage | None = None  # a usual place
    permanence: Permanence | None = None
    kind: str | None = None


def retry_helps_of(
    category: Category,
    permanence: Permanence,
    decided: Evidence,
    code_ev: Evidence | None,
    basic_ev: Evidence | None,
) -> bool:
    if category is Category.OK or permanence is Permanence.PERMANENT:
        return False
    if decided.retry_helps is not None:
        return decided.retry_helps
    if code_ev is not None and code_ev.retry_helps is not None and decided is not basic_ev:
        return code_ev.retry_helps
    return CATEGORY_INFO[category].retry_helps


def meaning_of(meaning: str, category: Category, permanence: Permanence, retry_helps: bool) -> str:
    futile_retry = permanence is Permanence.TEMPORARY and not retry_helps
    if futile_retry and category is not Category.OK and "retry" not in meaning.lower():
        meaning += (
            " The failure is reported as temporary, but retrying will not help "
            "until the cause is fixed."
        )
    return meaning


def from_pattern(p: TextPattern) -> Evidence:
    return Evidence(
        p.id,
        p.category,
        p.meaning,
        p.causes,
        p.retry_helps,
        p.stage,
        p.stage_hint,
        p.permanence,
        p.kind,
    )


# Pure of its two arguments; a folder holds a few dozen codes, said again and again.
@functools.lru_cache(maxsize=1024)
def code_evidence(enhanced: str | None, microsoft: bool) -> tuple[Evidence | None, bool]:
    """Evidence from an enhanced code, and whether it is only a generic subject.

    A code whose meaning names no cause the contract has (X.3.5 "System
    incorrectly configured", X.3.3) counts as generic too: it says no more than
    X.0.0, so the text's own weak wording ("Temporarily unavailable, try again
    later") decides before it."""
    if enhanced is None:
        return None, False
    parts = split_enhanced(enhanced)
    if parts is None:
        return None, False
    klass, subject, detail = parts
    if klass == "2":
        return Evidence(f"enhanced:{enhanced}", Category.OK, CLASSES["2"].meaning), False
    vendor = lookup_microsoft(enhanced)
    if vendor is not None and (microsoft or not vendor.overrides_registry):
        return Evidence(
            f"microsoft:{enhanced}",
            vendor.category,
            f"{vendor.title}: {vendor.meaning}",
            retry_helps=vendor.retry_helps,
            stage_hint=vendor.stage,
        ), vendor.category is Category.OTHER
    entry = lookup_registry(enhanced)
    if entry is not None:
        category, generic = entry.category, detail == 0
        if category is Category.OK:
            # A success detail in a failure class ("501 5.1.5 Recipient address
            # reserved"): only the subject still says what failed, as a generic code.
            subj_of = SUBJECTS.get(subject)
            category, generic = (subj_of.category if subj_of else Category.OTHER), True
        return Evidence(
            f"enhanced:{enhanced}",
            category,
            f"{entry.title}: {entry.meaning}",
            retry_helps=entry.retry_helps,
            stage_hint=CODE_STAGE.get((subject, detail)) or CODE_STAGE.get((subject, None)),
        ), generic or category is Category.OTHER
    subj = SUBJECTS.get(subject)
    if subj is None:
        return None, False
    return Evidence(
        f"enhanced:{enhanced}",
        subj.category,
        f"{subj.title} ({enhanced}, a detail code the registry does not list): {subj.meaning}",
    ), True


# "Mailbox unavailable" codes only mean a recipient problem at RCPT TO; said
# at the greeting, MAIL FROM or after the data they refuse the sender.
_MAILBOX_CODES = frozenset({450, 550, 553})
_SYNTAX_IN_PARAMETERS = 501
_SENDER_STAGES = frozenset(
    {Stage.CONNECT, Stage.GREETING, Stage.EHLO, Stage.MAIL_FROM, Stage.DATA, Stage.MESSAGE}
)


def basic_evidence(reply: Reply | None, stage: Stage | None) -> Evidence | None:
    if reply is None:
        return None
    basic = lookup_basic(reply.code, stage)
    category = basic.category
    if reply.code in _MAILBOX_CODES and stage in _SENDER_STAGES:
        category = Category.POLICY_REJECTION
    elif reply.code == _SYNTAX_IN_PARAMETERS and stage is Stage.RCPT_TO:
        # A parameter RCPT TO carries is the recipient address (RFC 3463 X.1.3).
        category = Category.RECIPIENT
    return Evidence(f"reply:{reply.code}", category, basic.meaning)


_CLOSING = 421
_BAD_SEQUENCE = 503


def at_stage(
    decided: Evidence,
    category: Category,
    reply: Reply | None,
    stage: Stage,
    matched: list[str],
) -> tuple[Evidence, Category]:
    """The deciding evidence read again at the stage finally given to it.

    A bare reply code whose meaning depends on the command it answers (554)
    takes that command's reading, also when the stage was inferred after the
    code was read ("554 Message not allowed": the message). Whatever a refusal
    of STARTTLS says (a 502 from a server that advertised it, a 554, a 550),
    what it does is the same: no TLS in this session; the session rules read a
    live refusal so, and a text read at STARTTLS agrees. A 421 closes the
    connection instead (RFC 5321 §3.8), so it keeps its own reading, and so does
    a 503 (RFC 5321 §4.2.4, bad sequence of commands: STARTTLS sent before EHLO,
    "Send hello first", is the client's order, not TLS switched off). A new
    deciding id goes first in ``matched``."""
    if reply is not None and decided.id == f"reply:{reply.code}":
        meaning = lookup_basic(reply.code, stage).meaning
        if meaning != decided.meaning:
            decided = replace(decided, meaning=meaning)
    if (
        stage is not Stage.STARTTLS
        or reply is None
        or reply.code < 400  # RFC 5321 §4.2.1: 4xx and 5xx refuse
        or reply.code in (_CLOSING, _BAD_SEQUENCE)
        or decided.category is Category.STARTTLS_UNAVAILABLE
    ):
        return decided, category
    matched.insert(0, "stage.starttls_refused")
    refused = Evidence(
        "stage.starttls_refused",
        Category.STARTTLS_UNAVAILABLE,
        "STARTTLS was refused, so this session cannot be encrypted (a server that "
        "advertises STARTTLS and then refuses it has TLS broken or switched off: no "
        "certificate, a TLS library error, or the extension advertised by mistake).",
    )
    return refused, refused.category


def permanence_from(  # noqa: PLR0917 - the evidence in order of strength
    reply: Reply | None,
    enhanced: str | None,
    raw: str,
    low: frozenset[str] | None,
    decided: Evidence,
    category: Category,
) -> tuple[Permanence, str | None]:
    if reply is not None:
        return permanence_of(reply.code), None
    if enhanced is not None:
        parts = split_enhanced(enhanced)
        if parts is not None:
            return CLASSES[parts[0]].permanence, None
    lowered = raw.lower()
    for cue, needs in zip(PERMANENCE_CUES, _CUE_NEEDS, strict=True):
        if (
            not words_absent(cue.regex, low)
            and _maybe(needs, lowered)
            and search_open(cue.regex, low, raw)
        ):
            return cue.permanence, cue.id
    if decided.permanence is not None:
        return decided.permanence, None
    if category is Category.OK:
        return Permanence.NONE, None
    return Permanence.TEMPORARY if category in _NETWORKISH else Permanence.NONE, None


def kind_of(
    category: Category,
    permanence: Permanence,
    decided: Evidence,
    reply: Reply | None,
    enhanced: str | None,
) -> str:
    if category is Category.OK:
        return "success"
    if decided.kind is not None:
        return decided.kind
    if reply is None and category in _NETWORKISH:
        return "connection_drop"
    if permanence is Permanence.TEMPORARY:
        return "deferral"
    if permanence is Permanence.PERMANENT:
        return "rejection"
    return "unknown" if reply is None and enhanced is None else "deferral"


def merged_causes(causes: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for cause in causes:
        if cause not in out:
            out.append(cause)
    return tuple(out[:6])


# A refused EHLO name is a policy refusal, but its remedy is the one for the
# sending host's names: announce the public, fully qualified name its PTR gives.
FIXES_OF = {
    "generic.helo": Category.DNS_PTR_MISMATCH,
    "generic.helo_not_found": Category.DNS_PTR_MISMATCH,
}


def ordered_fixes(category: Category, stage: Stage, raw: str) -> tuple[Fix, ...]:
    """Every MTA's recipe, the MTA the text comes from first."""
    recipes = fixes_for(category)
    lowered = raw.lower()
    seen = [
        mta
        for (mta, rx), needs in zip(_MTA_HINTS, _MTA_NEEDS, strict=True)
        if _maybe(needs, lowered) and rx.search(raw)
    ]
    if not seen:
        return recipes
    return tuple(
        sorted(
            recipes, key=lambda f: (f.for_ not in seen, seen.index(f.for_) if f.for_ in seen else 0)
        )
    )
