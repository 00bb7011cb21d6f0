"""The one classifier: an SMTP reply or failure text → root cause, stage, permanence.

Pure and table-driven (the tables live in :mod:`smtpdoctor.knowledge`). The
same failure gets the same answer whichever door it came through: a live
probe (the caller passes the parsed :class:`Reply` and the stage it came
at), a log line, a DSN or pasted text.

Order of evidence, strongest first (docs/explain.md; each step tested):

1. a provider's, vendor's or library's phrase that names the cause
   (:data:`~smtpdoctor.knowledge.PATTERNS`), read inside a quoted remote
   reply before the wrapper around it;
2. a provider's own code table (Microsoft's codes when the text comes from
   Microsoft);
3. the innermost nested reply ("... returned '550 5.1.1 ...'");
4. a stage the text states (phrases, transcripts, Exim error numbers): a bare
   550 at MAIL FROM refuses the sender, not a recipient;
5. the enhanced code (RFC 3463), a generic X.Y.0 last among them;
6. the basic reply code (RFC 5321 §4.2); then ``other``.

A text that says the mail was not delivered is never a success.
:func:`classify_best` weighs several texts about one failure (a bounce's
DSN fields, human part and quoted reply) and keeps the most specific.

Permanence comes from the reply class (4xx temporary, 5xx permanent), else
from the enhanced class, else from log words (deferred, bounced), else from
the pattern. ``retry_helps`` tells the truth behind it: a 421 for a TLS
version mismatch is temporary by code but will fail until someone changes a
configuration.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import field, replace
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.evidence_rules import (
    FIXES_OF,
    Evidence,
    at_stage,
    basic_evidence,
    code_evidence,
    from_pattern,
    kind_of,
    meaning_of,
    merged_causes,
    ordered_fixes,
    permanence_from,
    retry_helps_of,
)
from smtpdoctor.diagnosis.prefilter import candidates as _candidates

# (Read here by tests/unit/test_bounce_shortcuts.py, as before the split.)
from smtpdoctor.diagnosis.replytext import DSN_EQUALS as _DSN_EQUALS  # noqa: F401
from smtpdoctor.diagnosis.replytext import ENHANCED_FIELDS as _ENHANCED_FIELDS  # noqa: F401
from smtpdoctor.diagnosis.replytext import (
    MAX_TEXT,
    flatten,
    mask_addresses,
    normalise,
    reply_and_enhanced,
    wire_text,
)
from smtpdoctor.diagnosis.replytext import STATUS_FIELD as _STATUS_FIELD  # noqa: F401
from smtpdoctor.diagnosis.replytext import enhanced_fields as _enhanced_fields  # noqa: F401
from smtpdoctor.diagnosis.transcript import (
    after_data,
    target,
    transcript_stage,
    without_summary,
)
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge import (
    CATEGORY_INFO,
    MICROSOFT_HINT,
    PATTERNS,
    STAGE_PHRASES,
    pattern_by_id,
)
from smtpdoctor.knowledge.alternatives import class_readings, named_readings, readings_for
from smtpdoctor.knowledge.phrasing import (
    in_batch,
    present_words,
    present_words_of,
    search_gated,
    search_open,
)
from smtpdoctor.knowledge.stage_wording import (
    CODE_STAGES,
    DELIVERED_LOCALLY,
    implied_stage,
    names_recipient,
    subject_stage,
)
from smtpdoctor.knowledge.vendors import FAILURE_SAID as _FAILURE_SAID
from smtpdoctor.model import Category, Fix, Permanence, Stage
from smtpdoctor.protocol.reply import Reply

if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_TEXT", "Classification", "classify", "classify_best", "classify_reply", "notice"]

# Stage phrases whose DATA may stand for the end of the message or for a
# pipelined RCPT: Sendmail transcripts (no "." echoed), Python's SMTPDataError
# (raised for the reply to DATA and to the message alike), m-FILTER's
# "SMTP command DATA"; (session 14) any library's data exception, nodemailer's
# command: 'DATA' (its code for the final reply too), a refusal "after DATA", a
# traceback's last frame in smtplib's data().
_DATA_OR_AFTER = frozenset(
    {
        "stage.transcript",
        "stage.library_data",
        "stage.exception_data",
        "stage.after_data_command",
        "stage.command_key_data",
        "stage.traceback_frame_data",
        "stage.gateway_data",
        "stage.at_command_data",
        "stage.localised_data",
    }
)


def _looks_microsoft(flat: str) -> bool:
    """``MICROSOFT_HINT`` matches in ``flat``: only its alternatives whose words the
    text holds are searched (phrasing.search_gated: one scan of the long alternation
    cost more than the few short ones)."""
    return search_gated(MICROSOFT_HINT, flat)


@dataclass(frozen=True)
class Classification:
    """What a reply or failure text means, and what to do about it."""

    reply: Reply | None
    category: Category
    stage: Stage
    permanence: Permanence
    retry_helps: bool
    kind: str  # "connection_drop" | "rejection" | "deferral" | "success" | "unknown"
    meaning: str
    causes: tuple[str, ...]
    matched: tuple[str, ...]  # ids of the patterns, codes and phrases that decided
    # The input as classified (cut to MAX_TEXT) and the enhanced code found,
    # also when there was no reply line to parse.
    text: str = ""
    enhanced: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # What the fixes and the alternatives are made from, on first use (see _Remedies).
    remedies: _Remedies | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def fixes(self) -> tuple[Fix, ...]:
        """Every MTA's recipe for the cause, the MTA the text comes from first."""
        return self.remedies.fixes(self.stage) if self.remedies is not None else ()

    @functools.cached_property
    def alternatives(self) -> tuple[dict[str, str], ...]:
        """Other readings of the same text, each with the check that tells them apart."""
        if self.remedies is None:
            return ()
        return self.remedies.alternatives(self.matched, self.category, self.stage)

    def to_json(self, *, fixes: bool = True) -> dict[str, Any]:
        """The contract's ``smtpdoctor.explanation/1`` document without ``schema``
        (``fixes=False``: an empty list in their place, for a caller that encodes them)."""
        if self.reply is not None:
            reply: dict[str, Any] = {
                "code": self.reply.code,
                "enhanced": self.reply.enhanced or self.enhanced,
                "text": self.reply.text,
            }
        else:
            reply = {"code": None, "enhanced": self.enhanced, "text": self.text}
        return {
            "reply": reply,
            "category": self.category.value,
            "stage": self.stage.value,
            "permanence": self.permanence.value,
            "meaning": self.meaning,
            "causes": list(self.causes),
            "fixes": [f.to_json() for f in self.fixes] if fixes else [],
            "retry_helps": self.retry_helps,
            "kind": self.kind,
            "matched": list(self.matched),
            "alternatives": list(self.alternatives),
            # (Only where the learned fallback read the category or the stage.)
            **({"learned": self.evidence["learned"]} if "learned" in self.evidence else {}),
        }


def classify(
    text: str, *, reply: Reply | None = None, stage: Stage | None = None, learned: bool = True
) -> Classification:
    """Classify a reply, bounce text, NDR line or MTA log line.

    ``reply`` and ``stage`` come from a live session when there is one; the
    text is still read for provider phrasings. ``learned=False``: the rules'
    reading alone, without the learned fallback (``knowledge/learned.py``).
    """
    if reply is None:
        # The same text comes again and again in a bounce folder or a log
        # (a provider's one rejection for thousands of recipients).
        return _classify_learned(text, stage) if learned else _classify_text(text, stage)
    c = _classify(text, reply, stage)
    return _with_learned(c, stage) if learned else c


@functools.lru_cache(maxsize=4096)
def _classify_text(text: str, stage: Stage | None) -> Classification:
    return _classify(text, None, stage)


@functools.lru_cache(maxsize=4096)
def _classify_learned(text: str, stage: Stage | None) -> Classification:
    return _with_learned(_classify_text(text, stage), stage)


# The evidence that reads a category from a code alone (a generic 5.0.0, a bare
# 550 read as "other"), or from words that say only that delivery failed.
_CODE_IDS = ("reply:", "enhanced:", "microsoft:", _FAILURE_SAID.id)


def learned_may_read(c: Classification, stage: Stage | None) -> tuple[bool, bool]:
    """Whether the learned fallback may read ``c``'s category, and its stage
    (``stage``: the one the caller gave): a failure whose cause no phrase read."""
    if c.category is Category.OK or not c.text:
        return False, False
    first = c.matched[0] if c.matched else ""
    unknown = c.category is Category.OTHER and (not first or first.startswith(_CODE_IDS))
    stated = bool(c.evidence.get("stage_stated"))
    # (session 20) Also a cause read from a bare reply code or a generic enhanced code
    # (evidence_rank 1) where neither the text nor the caller states the stage (a stage
    # says what the code refused: a 550 at MAIL FROM, a 554 at the greeting refuse the
    # client): on the texts the engine saw first, such a cause was right about half the
    # time, the model's sure reading far more often (docs/explain.md, "Session 20:
    # firstsight"). The code's stage stays: the model reads only the cause there.
    open_category = unknown or (not stated and stage is None and evidence_rank(c) == 1)
    # A rule that read a cause also chose its stage, none included (a refusal of the
    # client itself states none): the stage is open only where no cause was read.
    open_stage = unknown and c.stage is Stage.NONE and stage is None and not stated
    return open_category, open_stage


def _with_learned(c: Classification, stage: Stage | None) -> Classification:
    """The learned fallback where the rules found no cause, or no stage (issue 10).

    Only for a failure (never a success or a notice), only where no phrase
    decided (category ``other`` read from a code alone, or from nothing; or a cause
    read from a bare reply code or a generic enhanced code where no stage is stated or
    given), its stage only where no cause was read and none was found (none given, none
    stated), and only a reading above the model's confidence threshold: it never
    overrides a phrase's answer, a precise code's or a stage's.
    """
    open_category, open_stage = learned_may_read(c, stage)
    if not open_category:
        return c
    if not c.matched:
        # (session 22) A text nothing read that says it reports no failure (an
        # out-of-office text, a quota warning, a delivery receipt, pasted without its
        # headers) is that notice, not a failure for the model to guess the cause of.
        from smtpdoctor.evidence.bounce_kind import no_failure_nature  # noqa: PLC0415

        if (nature := no_failure_nature(c.text)) is not None:
            return notice(nature, c.text)
    from smtpdoctor.knowledge import learned  # noqa: PLC0415 - loaded only when needed

    said: dict[str, dict[str, Any]] = {}
    category, final_stage = c.category, c.stage
    # (A reading under its model's threshold is not taken. Where a code alone read a
    # cause, the bar is lower: such a cause was right 38 % of the time at first sight,
    # and the model's reading there gains from 0.85 on; docs/explain.md, "Session 21".)
    lower = learned.CODE_CAUSE_THRESHOLD if c.category is not Category.OTHER else None
    got = learned.read_taken(
        c.text, learned.model("category"), refused=("ok", "other"), threshold=lower
    )
    if got is not None:
        category = Category(got.label)
        said["category"] = got.to_json()
        # (session 19) A DATA the text states stands for the command or the message's
        # end by the cause, as where a rule read the cause (``after_data``).
        if c.evidence.get("stage_phrase") in _DATA_OR_AFTER and c.stage is Stage.DATA:
            final_stage = after_data(category, final_stage)
    # A stage alone is no reading of a text whose cause is still unknown.
    if open_stage and "category" in said:
        # The stage model reads the category too (as it was trained: with the row's).
        got = learned.read_taken(c.text, learned.model("stage"), category.value, refused=("none",))
        if got is not None:
            final_stage = Stage(got.label)
            said["stage"] = got.to_json()
    if not said:
        return c
    return _learned_reading(c, category, final_stage, said)


def _learned_reading(
    c: Classification, category: Category, stage: Stage, said: dict[str, dict[str, Any]]
) -> Classification:
    """``c`` with the learned category and/or stage, saying it was learned and from which words."""
    meaning, causes, kind, retry_helps = c.meaning, c.causes, c.kind, c.retry_helps
    if "category" in said:
        got = said["category"]
        info = CATEGORY_INFO[category]
        words = ", ".join(f"'{w}'" for w in got["words"]) or "none in particular"
        sure = math.floor(1000 * got["confidence"]) / 10  # (99.96 % is not 100 %)
        meaning = (
            f"No rule recognised this text; a model learned from the corpus's words reads it "
            f"as {category.value} ({sure:g} % confident; the words that weighed most: "
            f"{words}). {info.meaning}"
        )
        causes = merged_causes(info.causes)
        decided = Evidence("learned:category", category, meaning)
        retry_helps = c.permanence is Permanence.TEMPORARY and info.retry_helps
        kind = kind_of(category, c.permanence, decided, c.reply, c.enhanced)
    learned_ids = tuple(f"learned:{k}" for k in said)
    return replace(
        c,
        category=category,
        stage=stage,
        retry_helps=retry_helps,
        kind=kind,
        meaning=meaning,
        causes=causes,
        # A learned category leads (nothing else decided it); a learned stage follows.
        matched=((*learned_ids, *c.matched) if "category" in said else (*c.matched, *learned_ids)),
        evidence={**c.evidence, "learned": said},
        remedies=_Remedies(
            category if "category" in said else (c.remedies.category if c.remedies else category),
            c.text,
        ),
    )


def _classify(text: str, reply: Reply | None, stage: Stage | None) -> Classification:
    raw = without_summary(normalise(text or ""))
    if reply is None and "', [" in raw:
        raw = _esa_quoted(raw)
    if reply is None and not raw.strip():
        return _unknown(raw, stage)
    if not raw.strip() and reply is not None:
        raw = wire_text(reply)
    flat = flatten(raw)

    found_reply, enhanced = reply_and_enhanced(raw, flat, reply)
    # (Only an enhanced code's reading and a decided text's evidence use it.)
    microsoft = _looks_microsoft(flat) if enhanced is not None else None

    # Words are read with the addresses' local parts masked (``mask_addresses``).
    text_raw, (raw, flat) = raw, _masked(raw, flat)
    low = present_words_of(flat, raw)
    strong, weak = _match_patterns(flat, raw, low)
    strong, weak = _inner_first(found_reply, flat, strong, weak)
    code_ev, code_generic = code_evidence(enhanced, bool(microsoft))
    phrase_stage, phrase_id = _stated_stage(raw, flat, low, strong, found_reply, enhanced)
    known_stage = phrase_stage or (strong.stage if strong else None) or stage
    basic_ev = basic_evidence(found_reply, known_stage)

    # A text where a specific failure phrase follows a positive reply is never a
    # success (a session's "220 Ready to start TLS", then the handshake that failed);
    # nor is one that says the mail was not delivered, whatever 2xx code (a mailer's
    # exit status, a header's number) stands in it. (The phrase first: it is known,
    # and with it the sentence's search is not needed.)
    failed = bool(strong and strong.category is not Category.OK) or search_open(
        _FAILURE_SAID.regex, low, flat
    )
    success = found_reply is not None and found_reply.code < 400 and not failed
    if success:
        assert basic_ev is not None
        decided: Evidence | None = basic_ev
    else:
        if failed:
            basic_ev = basic_ev if basic_ev and basic_ev.category is not Category.OK else None
            code_ev = code_ev if code_ev and code_ev.category is not Category.OK else None
            strong = strong if strong and strong.category is not Category.OK else None
        # A generic enhanced code (X.7.0) says less than a reply code that
        # answers one command only (535: the AUTH credentials were refused).
        precise_basic = basic_ev if found_reply and found_reply.code in CODE_STAGES else None
        decided = (
            strong
            or (None if code_generic else code_ev)
            or weak
            or (precise_basic if code_generic else None)
            or code_ev
            or basic_ev
            or (from_pattern(_FAILURE_SAID) if failed else None)
        )
        decided = _after_connect(decided, phrase_stage, flat)
        decided = _connect_timeout(decided, phrase_stage, flat)

    matched = _unique_ids((decided, strong, weak, code_ev, basic_ev))
    if decided is None:
        # No cause, but a stated stage still counts (a bounce's "SMTP command: DATA"
        # paragraph next to the reply that says why).
        return _unknown(text_raw, phrase_stage or stage, found_reply, enhanced, phrase_id)

    category = Category.OK if success else decided.category

    # Stage: a phrase in the text > a stage a pattern states > the caller's
    # stage > where the deciding evidence usually happens > none.
    if phrase_id:
        matched.append(phrase_id)
    final_stage = (
        phrase_stage
        or (strong.stage if strong else None)
        or (decided.stage if decided is not strong else None)
        or stage
        or _usual_stage(category, decided, code_ev, basic_ev, found_reply, flat)
    )

    if phrase_id in _DATA_OR_AFTER and final_stage is Stage.DATA:
        final_stage = after_data(category, final_stage)
    if (
        decided is basic_ev
        and not success
        and known_stage is None
        and final_stage is not Stage.NONE
    ):
        # (session 21) A bare code read again at the stage its words imply ("550 Sender
        # address must be specified": MAIL FROM), as at a stated one: a 550 there refuses
        # the sender, not a recipient.
        decided = basic_evidence(found_reply, final_stage) or decided
        category = decided.category
    decided, category = at_stage(decided, category, found_reply, final_stage, matched)
    # Permanence: the reply class, the enhanced class, log words, the pattern.
    permanence, cue_id = permanence_from(found_reply, enhanced, raw, low, decided, category)
    if cue_id:
        matched.append(cue_id)

    info = CATEGORY_INFO[category]
    retry_helps = retry_helps_of(category, permanence, decided, code_ev, basic_ev)
    # The deciding evidence's own causes when it has some; the category's
    # usual ones otherwise (a generic list would only dilute a precise one).
    causes = merged_causes(decided.causes or (info.causes if category is not Category.OK else ()))
    return Classification(
        reply=found_reply,
        category=category,
        stage=final_stage,
        permanence=permanence,
        retry_helps=retry_helps,
        kind=kind_of(category, permanence, decided, found_reply, enhanced),
        meaning=meaning_of(decided.meaning, category, permanence, retry_helps),
        causes=causes,
        matched=tuple(matched),
        text=text_raw.strip(),
        enhanced=enhanced,
        evidence={
            "microsoft": _looks_microsoft(flat) if microsoft is None else microsoft,
            "stage_stated": bool(phrase_id),
            "stage_phrase": phrase_id,
        },
        remedies=_Remedies(FIXES_OF.get(decided.id, category), text_raw),
    )


def _masked(raw: str, flat: str) -> tuple[str, str]:
    """``mask_addresses`` of the text and of its flattened form."""
    if "@" in flat and flat == raw.replace("\n", " "):
        # Flattening changed only the line ends, which end a local part and a
        # domain as a space does: the masked flat text is the masked raw one's.
        masked = mask_addresses(raw)
        return masked, masked.replace("\n", " ")
    return mask_addresses(raw), mask_addresses(flat)


@dataclass(frozen=True, slots=True)
class _Remedies:
    """What a classification's fixes and alternatives are made from, made on first use.

    Only the reading shown needs them: a bounce folder's run classifies every
    paragraph of every mail (which one names the failure?) and each recipient's
    several texts, and shows one reading per recipient.
    """

    category: Category  # whose recipes (a refused EHLO name: the host names')
    raw: str  # the text as classified

    def fixes(self, stage: Stage) -> tuple[Fix, ...]:
        return ordered_fixes(self.category, stage, self.raw)

    def alternatives(
        self, matched: tuple[str, ...], category: Category, stage: Stage
    ) -> tuple[dict[str, str], ...]:
        readings = readings_for(matched)
        if not readings:
            # A text whose words name two causes ("mailbox full or message too
            # large"), the one it was read as among them.
            readings = named_readings(self.raw)
            if all(r.category is not category for r in readings):
                # A class of text several causes word alike ("Relay access denied").
                readings = class_readings(matched, category, stage, self.raw)
        if not readings:
            # (Most texts have none: the host and port their checks name need no search.)
            return ()
        host, port = target(self.raw)
        return tuple(r.to_json(host, port) for r in readings)


# Cisco ESA's bounce and mail logs put the appliance's own label before the
# remote server's reply as a Python tuple: 'Reason: "5.1.0 - Unknown address
# error" Response: "('550', ['5.7.1 ... blocked'])"', or "RID 0 - 5.1.0 - Unknown
# address error ('550', [...])". The label is the appliance's coarse guess from
# the reply code; the quoted reply is the remote server's own words, the more
# specific (issue 10 point 4). With a reply quoted (not "('000', [])": nothing
# came back, the label is all there is), the label goes and the reply stands on
# a line of its own, read like any reply.
_ESA_QUOTED = re.compile(
    r"(?:\bReason: ?\"?[45]\.\d{1,3}\.\d{1,3} - [^\"(\n]{0,60}\"? ?Response: ?\"?"
    r"| - [45]\.\d{1,3}\.\d{1,3} - [A-Za-z ]{1,60}? )"
    r"\('([245]\d\d)', \[((?:'[^'\n]*'|\"[^\"\n]*\")(?:, ?(?:'[^'\n]*'|\"[^\"\n]*\"))*)\]\)\"?"
)
_ESA_PART = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


def _esa_quoted(raw: str) -> str:
    """``raw`` with a Cisco ESA label and its tuple-quoted reply replaced by the reply."""

    def reply(m: re.Match[str]) -> str:
        parts = [a or b for a, b in _ESA_PART.findall(m.group(2))]
        return "\n" + m.group(1) + " " + " ".join(p.strip() for p in parts) + "\n"

    return _ESA_QUOTED.sub(reply, raw)


_STAGES_BEFORE_SESSION = frozenset({Stage.DNS, Stage.CONNECT})
_TIMEOUT_WORDS = re.compile(r"\btimed? ?out\b|\btime-?out\b", re.IGNORECASE)


def _after_connect(decided: Evidence | None, stated: Stage | None, flat: str) -> Evidence | None:
    """A connect timeout's words at a stage the text states after the connection
    was made ("Connection timed out (in reply to end of DATA command)") are a
    timeout in the session, not a blocked connect; a client's "unable to connect"
    after its log says it was in the TLS handshake (session 14: ESP Mail Client's
    "perform the SSL/TLS handshake ... unable to connect to server") is the
    handshake that failed on a connection that was made."""
    if (
        decided is None
        or decided.category is not Category.FIREWALL_BLOCK
        or stated is None
        or stated in _STAGES_BEFORE_SESSION
    ):
        return decided
    if _TIMEOUT_WORDS.search(flat):
        return from_pattern(pattern_by_id("generic.timeout"))
    if stated is Stage.TLS_HANDSHAKE:
        return from_pattern(pattern_by_id("tls.handshake_failed"))
    return decided


_SESSION_TIMEOUTS = frozenset({"smtp.session_timeout", "generic.timeout"})
_CONNECTING_TIMED_OUT = re.compile(r"\btimed? ?out (?:while )?connecting to\b", re.IGNORECASE)


def _connect_timeout(decided: Evidence | None, stated: Stage | None, flat: str) -> Evidence | None:
    """A timeout the text says came while connecting ("Timed out connecting to h on
    port 587") is the TCP connect timing out, a filtered port (docs/contract's
    firewall_block), not a session that stalled after it was opened."""
    if (
        decided is None
        or stated is not Stage.CONNECT
        or decided.id not in _SESSION_TIMEOUTS
        or not _CONNECTING_TIMED_OUT.search(flat)
    ):
        return decided
    return from_pattern(pattern_by_id("smtp.connect_timeout"))


# RFC 3463 §3.2's addressing subject: X.1.1 to X.1.3, X.1.6, X.1.10, each about
# the destination address.
_ADDRESSING = re.compile(r"enhanced:[45]\.1\.(?:[1236]|10)$")


def _delivered_locally(text: str) -> bool:
    """``DELIVERED_LOCALLY`` matches in ``text``: each alternative searched only where
    the text holds its words (phrasing.search_gated: the branches open with a word
    boundary, so the regex was tried at every character, ~10 us a bounce paragraph,
    and "deliver", one alternative's word, stands in most)."""
    return search_gated(DELIVERED_LOCALLY, text)


def _usual_stage(  # noqa: PLR0917 - the evidence in order of strength
    category: Category,
    decided: Evidence,
    code_ev: Evidence | None,
    basic_ev: Evidence | None,
    reply: Reply | None,
    text: str,
) -> Stage:
    """Where the deciding evidence usually happens, when the text states no stage."""
    # (session 12) a failure in the local delivery answered no SMTP command
    first = (Stage.NONE if _delivered_locally(text) else None) or decided.stage_hint
    if first:
        return first
    # (the quoted remote reply's words, not the wrapper's prose about "your message";
    # masked only when the words are read)
    judged = (
        mask_addresses(" ".join(reply.text.split())) if reply is not None and reply.text else text
    )
    return (
        # What the text says was judged (the message, the sender), then a reply
        # code that answers one command only (RFC 4954: 535 answers AUTH).
        subject_stage(category, judged)
        or (CODE_STAGES.get(reply.code) if reply is not None else None)
        or (code_ev.stage if code_ev else None)
        or (code_ev.stage_hint if code_ev and code_ev is decided else None)
        # An enhanced code about the destination address (X.1.1 "Bad destination
        # mailbox address", RFC 3463) answered RCPT TO whatever phrase decided why
        # (Facebook's "5.1.1 RCP-P2 ... recipient preferences": a refusal there).
        or (code_ev.stage_hint if code_ev and _ADDRESSING.match(code_ev.id) else None)
        # A text that names a recipient problem was the reply to RCPT TO
        # (RFC 5321 §3.3); a bare code is no text, but a bare 550 whose words name the
        # user, recipient or mailbox is (session 12: "550 User status is locked").
        or (
            Stage.RCPT_TO
            if category is Category.RECIPIENT
            and (decided is not basic_ev or names_recipient(reply.text if reply else text))
            else None
        )
        # (session 21) words that imply a stage; a cause read from a code alone is a guess
        or implied_stage(
            category,
            judged,
            decided is basic_ev or (decided is code_ev and decided.id.endswith(".0")),
        )
        or Stage.NONE
    )


def classify_best(candidates: tuple[str, ...], *, stage: Stage | None = None) -> Classification:
    """The most specific reading among texts that describe the same failure.

    The rules alone read a bounce: on the tune split's bounces (texts the learned
    fallback was not trained on) it lost rows and gained none (docs/explain.md,
    "Session 15: a learned fallback").

    A bounce says it several times: the DSN's Diagnostic-Code, the
    human-readable part, the Status field. The most specific wins, not the
    first (a provider phrase over a code, a precise code over a generic
    ``5.0.0``); a stage one of them states is kept when the winner has none.
    """
    results = [classify(text, stage=stage, learned=False) for text in candidates if text.strip()]
    if not results:
        return _unknown("", stage)
    # A report of a failure is never healthy: a success one of its texts quotes
    # (a transcript's "250 2.1.0 Ok" before the refusal) does not speak for it.
    failing = [c for c in results if c.category is not Category.OK]
    if failing and len(failing) < len(results):
        results = failing
    # A remote reply a wrapper's words hid from its own phrases ("#542 x Rejected ##",
    # "Permanent Error 550 ..."): read as it came too, where the wrapper said little.
    results += [classify(bare, stage=stage, learned=False) for bare in _bare_replies(results)]
    results += [classify(line, stage=stage, learned=False) for line in _earlier_attempts(results)]
    best = max(results, key=_specificity)
    source = next((c for c in results if c.evidence.get("stage_stated")), None)
    if source is None or best.evidence.get("stage_stated") or source.stage == best.stage:
        return best
    stated = source.stage
    if source.evidence.get("stage_phrase") in _DATA_OR_AFTER and stated is Stage.DATA:
        stated = after_data(best.category, stated)
    return classify(best.text, stage=stated, learned=False)


_WRAPPER_TAIL = re.compile(r"\s*(?:> #SMTP#|##)\s*\Z")
_CLOSERS = {")": "(", "]": "[", ">": "<"}


def _bare_replies(results: list[Classification]) -> list[str]:
    """The remote replies found inside wrapped texts that were read by a code only."""
    out: list[str] = []
    for c in results:
        if c.reply is None or c.reply.code < 400 or _specificity(c)[1]:
            continue
        bare = _WRAPPER_TAIL.sub("", wire_text(c.reply))
        at = c.text.find(f"'{c.reply.code}")
        if at >= 0 and "'" in bare:
            # "Remoteserver hat '542 x Rejected' zurückgegeben": the quote ends the reply.
            bare = bare[: bare.rfind("'")]
        if bare[-1:] in _CLOSERS and _CLOSERS[bare[-1]] not in bare:
            bare = bare[:-1]  # "x@example.org (550 Rejected)": the wrapper's bracket
        if bare != c.text and bare not in out:
            out.append(bare)
    return out


# Exchange lists each attempt: "... returned '550 4.4.7 QUEUE.Expired; message
# expired'", then an earlier "... returned '441 4.4.1 ... Failed to connect'".
_ATTEMPT = re.compile(r"^[^\n]*\breturned '[245]\d\d[^\n]*$", re.M)


def _earlier_attempts(results: list[Classification]) -> list[str]:
    """The earlier attempts' replies under an expiry (X.4.7): they say why it expired."""
    out: list[str] = []
    for c in results:
        if (c.enhanced or "")[1:] != ".4.7" or "returned '" not in c.text:
            continue
        out += [line for line in _ATTEMPT.findall(c.text)[1:] if line not in out]
    return out


def evidence_rank(c: Classification) -> int:
    """How strong the evidence that decided ``c``'s category is: 4 a specific phrase,
    3 a precise enhanced code (or Microsoft's), 2 a generic phrase (one class-wide
    wording), 1 a bare reply code or a generic enhanced code (X.Y.0), 0 words that
    say only that delivery failed, a learned reading, or nothing."""
    first = c.matched[0] if c.matched else ""
    if not first or first.startswith("learned:") or first == _FAILURE_SAID.id:
        return 0  # (a learned reading: known, but weaker than any rule's)
    if first.startswith(("microsoft:", "enhanced:")):
        return 1 if (c.enhanced or "").endswith(".0") else 3
    if first.startswith("reply:"):
        return 1
    return 4 if pattern_by_id(first).specific else 2


def _specificity(c: Classification) -> tuple[int, int, int, int, int]:
    """How much a classification says: a known cause, a remote reply, how it was decided, a stage.

    A quoted remote reply beats prose about it ("** Address not found **"
    over "501 5.1.8 Sender address rejected" would blame the recipient).
    """
    if not c.matched:
        return (0, 0, 0, 0, 0)
    rank = evidence_rank(c)
    known = c.category is not Category.OTHER
    # A reply read by its generic code only ("553 5.3.0 ... Addressee unknown"
    # with no phrase known) does not outrank a phrase that names the cause
    # ("Unknown user: x"): a phrase > a code, as in classify().
    precise = int(rank >= 3)
    if not known and rank == 4:
        # A phrase that names a cause outside the categories (a mail loop) is
        # known, over a generic code's guess ("Status: 5.4.0"), not over a precise one.
        known, precise = True, 0
    staged = int(c.stage is not Stage.NONE)
    return (int(known), precise, int(c.reply is not None), rank, staged)


_NOTICES = {
    "feedback-report": "A feedback report (ARF, RFC 5965): a recipient complained about a "
    "message that was delivered. Not a delivery failure; too many complaints lead to "
    "rate limits and blocks.",
    "auto-reply": "An automatic reply (RFC 3834: vacation, out of office). The message was "
    "delivered.",
    "delivered": "A delivery notification: the message was delivered or relayed.",
    "not-a-bounce": "An ordinary message, not a delivery report: nothing in it says a "
    "delivery failed.",
}


def notice(nature: str, text: str = "") -> Classification:
    """A mail that is no failure (a feedback report, an auto-reply, a delivered notice)."""
    return Classification(
        reply=None,
        category=Category.OK,
        stage=Stage.NONE,
        permanence=Permanence.NONE,
        retry_helps=False,
        kind="success",
        meaning=_NOTICES.get(nature, _NOTICES["not-a-bounce"]),
        causes=(),
        matched=(f"notice:{nature}",),
        text=text,
    )


def _unique_ids(evidence: tuple[Evidence | None, ...]) -> list[str]:
    """The ids of the evidence that was found, the deciding one first, once each."""
    matched: list[str] = []
    for ev in evidence:
        if ev is not None and ev.id not in matched:
            matched.append(ev.id)
    return matched


def classify_reply(reply: Reply, stage: Stage) -> Classification:
    """A reply seen live at ``stage`` (the walker's entry point)."""
    return classify(wire_text(reply), reply=reply, stage=stage)


# --- text handling ----------------------------------------------------------------


def _inner_first(
    reply: Reply | None, flat: str, strong: Evidence | None, weak: Evidence | None
) -> tuple[Evidence | None, Evidence | None]:
    """The phrasing of a quoted remote reply before the wrapper's words around it.

    "554 4.4.7 Message expired ... <421 4.4.2 Connection timed out>": the
    expiry is the reporting server's summary, the inner reply the cause.
    """
    if reply is None or not reply.text or len(reply.text) >= len(flat) - 8:
        return strong, weak
    inner = mask_addresses(" ".join(reply.text.split()))
    i_strong, i_weak = _inner_patterns(inner)
    # (The same phrase inside and around the reply is one reading either way: its
    # regex need not be searched again to tell which.)
    if (
        i_strong is not None
        and strong is not None
        and strong.id != i_strong.id
        and _reads_on(strong, inner, flat)
    ):
        return strong, weak
    if i_strong is not None:
        return i_strong, weak
    if strong is not None and strong.category is Category.OTHER and i_weak is not None:
        return None, i_weak
    return strong, weak or i_weak


def _reads_on(outer: Evidence, inner: str, flat: str) -> bool:
    """The outer phrase starts inside the quoted reply and runs past where the
    parser ended it: a re-flowed reply whose continuation line the parser lost
    ("553 Relaying disallowed\nas a@example.com"), read whole, not a wrapper."""
    at = flat.find(inner)
    if at < 0:
        return False
    found = pattern_by_id(outer.id).regex.search(flat, at)
    return found is not None and found.start() < at + len(inner) < found.end()


# The same quoted reply stands in many paragraphs of a folder (a DSN field, the prose).
@functools.lru_cache(maxsize=4096)
def _inner_patterns(inner: str) -> tuple[Evidence | None, Evidence | None]:
    return _match_patterns(inner, inner, present_words(inner.lower()))


def _match_patterns(
    flat: str, raw: str, low: frozenset[str] | None
) -> tuple[Evidence | None, Evidence | None]:
    strong: Evidence | None = None
    weak: Evidence | None = None
    multiline = "\n" in raw
    for p in _candidates(PATTERNS, low):
        if (p.specific and strong is not None) or (not p.specific and weak is not None):
            continue
        if search_open(p.regex, low, flat, raw) if multiline else search_open(p.regex, low, flat):
            ev = from_pattern(p)
            if p.specific:
                strong = ev
            else:
                weak = ev
        if strong is not None and weak is not None:
            break
    if strong is None and weak is None and not in_batch():
        # (session 23) nothing read it: a concept's words in the languages other mail
        # programs ship (knowledge/concept_words.py), outside a folder run only (there, a
        # bounce's many paragraphs would each pay for them; no bounce collection gained)
        from smtpdoctor.knowledge.concept_words import concept_match  # noqa: PLC0415

        concept = concept_match(flat)
        if concept is not None:
            weak = from_pattern(concept)
    return strong, weak


# A provider's or a documentation table's own entry states where its code is
# given (Vade's OXSUS..._101, "none": a refusal of the sending IP), which a generic
# stage phrase in the same text ("Connection refused") must not overrule; a
# command the text names outright ("in reply to RCPT TO") or the greeting ("refused
# to talk to me", "sent an incorrect greeting") still does.
_TABLE_IDS = ("doc.", "isp.")
_COMMAND_STATED = re.compile(
    r"\b(?:in reply to|in response to|after|while sending|during|SMTP command:?|"
    r"failed on|rejected at|at)\s+(?:the\s+)?(?:pipelined\s+)?"
    r"(?:RCPT(?: TO)?|MAIL(?: FROM)?|DATA|end of data|EHLO|HELO|STARTTLS|AUTH|BDAT|"
    r"RSET|QUIT)\b"
    # the greeting, named or in Postfix's words for a refusal there
    r"|\bgreeting\b|\brefused to talk to me\b"
    # (session 17, lines14) a receiving Postfix's own log names the command it refused
    # in ("NOQUEUE: reject: RCPT from", "milter-reject: END-OF-MESSAGE from")
    r"|\b(?:milter-)?reject: (?:CONNECT|EHLO|HELO|MAIL|RCPT|DATA|END-OF-MESSAGE)\b"
    # (session 18, lines15) Python's smtplib names the command in the exception it raises
    # for the refusal (SMTPHeloError, SMTPSenderRefused, SMTPRecipientsRefused,
    # SMTPDataError: smtplib.py raises each for that command's reply only)
    r"|\bSMTP(?:HeloError|SenderRefused|RecipientsRefused|DataError)\b"
    # (session 19) a delivery transcript's line of the command sent (Exim's -v and -d
    # output, "SMTP>> RCPT TO:<x>", then the reply to it: vendor_stages' exim_v phrases)
    r"|\bSMTP>> (?:MAIL FROM|RCPT TO|DATA|EHLO|HELO|STARTTLS|AUTH)\b",
    re.IGNORECASE,
)


def _table_stage_first(
    strong: Evidence | None, phrase_stage: Stage | None, phrase_id: str | None, flat: str
) -> tuple[Stage | None, str | None]:
    if phrase_stage is None or strong is None or not strong.id.startswith(_TABLE_IDS):
        return phrase_stage, phrase_id
    own = strong.stage or strong.stage_hint
    if own is None or own is phrase_stage or _COMMAND_STATED.search(flat):
        return phrase_stage, phrase_id
    # The entry's stage stands in the phrase's place, "none" included.
    return (own if own is not Stage.NONE else None), None


def _stated_stage(  # noqa: PLR0917 - what the stage is read from
    raw: str,
    flat: str,
    low: frozenset[str] | None,
    strong: Evidence | None,
    reply: Reply | None,
    enhanced: str | None,
) -> tuple[Stage | None, str | None]:
    """The stage a transcript or a phrase of the text states, and the phrase's id."""
    phrase_stage, phrase_id = transcript_stage(raw)
    if phrase_stage is None:
        phrase_stage, phrase_id = _stage_from_text(flat, low)
        phrase_stage, phrase_id = _table_stage_first(strong, phrase_stage, phrase_id, flat)
        if phrase_id == "stage.connect" and _refused_in_reply(reply, enhanced):
            phrase_stage, phrase_id = _stage_from_text(flat, low, skip="stage.connect")
    return phrase_stage, phrase_id


def _refused_in_reply(reply: Reply | None, enhanced: str | None) -> bool:
    """A server's own 5xx reply that says "Connection refused" (GoDaddy's "IB105.
    Connection refused.", Coremail's "Connection refused(mx)", BigPond's "Connection
    Refused."): it answered, so
    the TCP connection was made; the words name a refusal of the client, not the
    connect stage. (An X.4.x code is a relay's report of its own failed connect.)"""
    return (
        reply is not None
        and reply.code >= 500
        and "connection refused" in (reply.text or "").lower()
        and not (enhanced or "")[1:].startswith(".4.")
    )


def _stage_from_text(
    flat: str, low: frozenset[str] | None, skip: str = ""
) -> tuple[Stage | None, str | None]:
    for phrase in _candidates(STAGE_PHRASES, low):
        if phrase.id != skip and search_open(phrase.regex, low, flat):
            return phrase.stage, phrase.id
    if not in_batch():
        from smtpdoctor.knowledge.concept_words import concept_stage  # noqa: PLC0415

        if (stage := concept_stage(flat)) is not None:
            return stage, "stage.i18n_greeting_error"  # (session 23: concept_words.py)
    return None, None


def _unknown(
    raw: str,
    stage: Stage | None,
    reply: Reply | None = None,
    enhanced: str | None = None,
    phrase_id: str | None = None,
) -> Classification:
    return Classification(
        reply=reply,
        category=Category.OTHER,
        stage=stage or Stage.NONE,
        permanence=Permanence.NONE,
        retry_helps=False,
        kind="unknown",
        meaning="No SMTP reply code and no known failure wording was found in the text.",
        causes=(),
        matched=(),
        text=raw.strip(),
        enhanced=enhanced,
        evidence={"stage_stated": bool(phrase_id), "stage_phrase": phrase_id},
    )
