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
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.diagnosis.pasted import decode_pasted, ends_with_time, unfold
from smtpdoctor.diagnosis.prefilter import candidates as _candidates
from smtpdoctor.diagnosis.prefilter import maybe as _maybe
from smtpdoctor.diagnosis.transcript import (
    CODE_STAGE,
    after_data,
    target,
    transcript_stage,
    without_summary,
)
from smtpdoctor.evidence.records import unrecord
from smtpdoctor.knowledge import (
    CATEGORY_INFO,
    CLASSES,
    MICROSOFT_HINT,
    PATTERNS,
    PERMANENCE_CUES,
    STAGE_PHRASES,
    SUBJECTS,
    TextPattern,
    fixes_for,
    lookup_basic,
    lookup_microsoft,
    lookup_registry,
    pattern_by_id,
    permanence_of,
    split_enhanced,
)
from smtpdoctor.knowledge.alternatives import readings_for
from smtpdoctor.knowledge.libraries import rust_reply_codes
from smtpdoctor.knowledge.phrasing import (
    needed_words,
    present_words,
    search_open,
    words_absent,
)
from smtpdoctor.knowledge.vendors import FAILURE_SAID as _FAILURE_SAID
from smtpdoctor.knowledge.wording import CODE_STAGES, subject_stage
from smtpdoctor.model import MTA, Category, Fix, Permanence, Stage
from smtpdoctor.protocol.reply import Reply
from smtpdoctor.protocol.reply import parse_reply_text as _parse_reply_text

__all__ = ["MAX_TEXT", "Classification", "classify", "classify_best", "classify_reply", "notice"]

# Real replies and log lines are under a few KiB; past this the text is cut
# before matching, so hostile input cannot make the regexes slow.
MAX_TEXT = 16 * 1024

# A reply code where one can start: 2xx/4xx/5xx with a plausible second digit
# (RFC 5321 §4.2.1), optionally followed by an enhanced code of any class
# (Exchange writes "550 4.4.7"; the mismatch is kept to be judged later).
_REPLY_AT = re.compile(
    # (not a line anchor such as "StreamBuffer.php#223"). The lookbehinds
    # stand after the code's first digit: the same matches, but the regex
    # engine skips to a 2, 4 or 5 instead of trying them at every character.
    r"(2(?<![\w.\-/]2)(?<!\w#2)[0-5]\d|4(?<![\w.\-/]4)(?<!\w#4)[2-5]\d"
    r"|5(?<![\w.\-/]5)(?<!\w#5)[0-5]\d)"
    r"(?:([ -])(?:#?([245]\.\d{1,3}\.\d{1,3}))(?![\d.])|(?=[ -]|$)|(?<=\(\d\d\d)(?=\)))",
    re.MULTILINE,
)
# What may stand right before a reply code inside a log line or NDR.
# (MDaemon's session transcript marks the server's lines "<-- 550 ...".)
# (Lotus Domino: "SMTP Protocol Returned a Permanent Error 550 ...".)
_REPLY_LEAD: tuple[str, ...] = (":", ";", "'", '"', "(", "#", "[", "<", ">", "said", "with")
_REPLY_LEAD += ("was", "reason", "<--", "Permanent Error", "Transient Error")
# Enhanced codes stated outright: Postfix "dsn=", DSN "Status:", Exchange/qmail
# "#x.y.z", or a text that starts with one ("4.4.316 Connection refused").
_ENHANCED_FIELDS = (
    re.compile(r"\bdsn=([245]\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})\b", re.MULTILINE | re.IGNORECASE),
    re.compile(r"#([245]\.\d{1,3}\.\d{1,3})\b"),
    re.compile(r"\A\s*([245]\.\d{1,3}\.\d{1,3})(?![\d.])"),
)
# The "dsn=" field's: each match holds "dsn=" as written, but the "\b" before
# it keeps re from looking for those characters first (a substring test does).
_DSN_EQUALS = next(
    (rx for rx in _ENHANCED_FIELDS if rx.pattern.startswith(r"\bdsn=") and not rx.flags & re.I),
    None,
)
# The DSN "Status:" field's: a match holds "tatu" in some case ("t", "a" and "u"
# have no other case-insensitive match), and "^" keeps re from skipping ahead.
_STATUS_FIELD = next(
    (rx for rx in _ENHANCED_FIELDS if rx.pattern.startswith(r"^\s*Status:")),
    None,
)
# Last resort, a failure code loose in the text ("smtp error 5.7.1 Mail from…");
# subjects 0-7 only and not inside a version string ("PHP/5.6.40").
# (As _REPLY_AT: the lookbehinds after the first digit, "(?<![\s\S]4)" meaning
# "at the start"; the same matches as "(?:(?<=[\s(\[])|^)([45]\.[0-7]...", quicker.)
_ENHANCED_LOOSE = re.compile(
    r"([45](?:(?<=[\s(\[][45])|(?<![\s\S][45]))\.[0-7]\.\d{1,3})(?=[\s);,:]|$)"
)
# "421-4.7.0 " continuation prefixes inside a flattened multi-line reply.
# (The same matches as "(?:(?<=\s)|^)[245]\d\d-...", the lookbehinds after the first digit.)
_CONTINUATION = re.compile(
    r"[245](?:(?<=\s[245])|(?<![\s\S][245]))\d\d-(?:[245]\.\d{1,3}\.\d{1,3}\s?)?(?=\S)"
)
# Numbers that look like reply codes but are not: a mailer's exit status
# ("Diagnostic-Code: X-Unix; 255"), a header's "id:number" ("Feedback-Id:
# 10345:200"), a port ("host:250").
_NOT_A_REPLY = re.compile(r"(?:X-Unix|X-Local);\s*\Z|\d:\Z|[\w-]+-Id:\s*\S*\Z", re.I)
# What stands before a reply one server quotes from another.
_NESTED_LEAD = re.compile(
    r"(?:said|responded with|returned|reply was|replied|answered|error|response|"
    r"smtp;|message)\s*:?\s*['\"(<\[]?\s*$|[;'\"<(]\s*$",
    re.I,
)
# Stage phrases whose DATA may stand for the end of the message or for a
# pipelined RCPT: Sendmail transcripts (no "." echoed), Python's SMTPDataError
# (raised for the reply to DATA and to the message alike), m-FILTER's
# "SMTP command DATA".
_DATA_OR_AFTER = frozenset(
    {"stage.transcript", "stage.library_data", "stage.gateway_data", "stage.at_command_data"}
)
_PY_REPLY = re.compile(r"\(([245]\d\d), b?(['\"])([^\n]*?)\2\)")
_PY_REPLY_HEAD = re.compile(r"\(([245]\d\d), b?['\"]")
_POSTFIX_TAIL = re.compile(r"\s*\(in reply to [^()]*\)\)?\s*$", re.IGNORECASE)

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
_MICROSOFT_NEEDS = needed_words(MICROSOFT_HINT.pattern, least=2)


def _alternatives(
    rx: re.Pattern[str],
) -> tuple[tuple[tuple[str, ...] | None, re.Pattern[str]], ...] | None:
    """Each top-level alternative of ``rx`` with its needed words; None when a
    group or class (which may hold a ``|``) makes cutting at ``|`` unsafe."""
    if re.search(r"[(\[]", re.sub(r"\\.", "", rx.pattern)):
        return None
    return tuple((needed_words(p, least=2), re.compile(p, rx.flags)) for p in rx.pattern.split("|"))


_MICROSOFT_PARTS = _alternatives(MICROSOFT_HINT)


def _looks_microsoft(flat: str, lowered: str) -> bool:
    """``MICROSOFT_HINT`` matches in ``flat``: for an ASCII text, only the
    alternatives whose words it holds are searched (one scan of the long
    alternation cost more than the few short ones)."""
    if not _maybe(_MICROSOFT_NEEDS, lowered):
        return False
    if _MICROSOFT_PARTS is None or not flat.isascii():
        return MICROSOFT_HINT.search(flat) is not None
    return any(_maybe(needs, lowered) and rx.search(flat) for needs, rx in _MICROSOFT_PARTS)


_CUE_NEEDS = tuple(needed_words(cue.regex.pattern, least=2) for cue in PERMANENCE_CUES)


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
    fixes: tuple[Fix, ...]
    matched: tuple[str, ...]  # ids of the patterns, codes and phrases that decided
    # The input as classified (cut to MAX_TEXT) and the enhanced code found,
    # also when there was no reply line to parse.
    text: str = ""
    enhanced: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # Other readings of the same text, each with the check that tells them apart.
    alternatives: tuple[dict[str, str], ...] = ()

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
        }


@dataclass(frozen=True, slots=True)
class _Evidence:
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


def classify(
    text: str, *, reply: Reply | None = None, stage: Stage | None = None
) -> Classification:
    """Classify a reply, bounce text, NDR line or MTA log line.

    ``reply`` and ``stage`` come from a live session when there is one; the
    text is still read for provider phrasings.
    """
    if reply is None:
        # The same text comes again and again in a bounce folder or a log
        # (a provider's one rejection for thousands of recipients).
        return _classify_text(text, stage)
    return _classify(text, reply, stage)


@functools.lru_cache(maxsize=4096)
def _classify_text(text: str, stage: Stage | None) -> Classification:
    return _classify(text, None, stage)


def _classify(text: str, reply: Reply | None, stage: Stage | None) -> Classification:
    raw = without_summary(_normalise(text or ""))
    if reply is None and not raw.strip():
        return _unknown(raw, stage)
    if not raw.strip() and reply is not None:
        raw = _wire_text(reply)
    flat = _flatten(raw)

    found_reply, enhanced = _codes(raw, flat, reply)
    # (Only an enhanced code's reading and a decided text's evidence use it.)
    microsoft = _looks_microsoft(flat, flat.lower()) if enhanced is not None else None

    low = present_words(f"{flat}\n{raw}".lower() if "\n" in raw else flat.lower())
    strong, weak = _match_patterns(flat, raw, low)
    strong, weak = _inner_first(found_reply, flat, strong, weak)
    code_ev, code_generic = _code_evidence(enhanced, bool(microsoft))
    phrase_stage, phrase_id = transcript_stage(raw)
    if phrase_stage is None:
        phrase_stage, phrase_id = _stage_from_text(flat, low)
    known_stage = phrase_stage or (strong.stage if strong else None) or stage
    basic_ev = _basic_evidence(found_reply, known_stage)

    # A text that says the mail was not delivered is never a success, whatever
    # 2xx code (a mailer's exit status, a header's number) stands in it.
    failed = search_open(_FAILURE_SAID.regex, low, flat)
    # Nor is one where a specific failure phrase follows a positive reply (a
    # session's "220 Ready to start TLS", then the handshake that failed).
    failed = failed or bool(strong and strong.category is not Category.OK)
    success = found_reply is not None and found_reply.code < 400 and not failed
    if success:
        assert basic_ev is not None
        decided: _Evidence | None = basic_ev
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
            or (_from_pattern(_FAILURE_SAID) if failed else None)
        )
        decided = _after_connect(decided, phrase_stage, flat)

    matched = _unique_ids((decided, strong, weak, code_ev, basic_ev))
    if decided is None:
        # No cause, but a stated stage still counts (a bounce's "SMTP command: DATA"
        # paragraph next to the reply that says why).
        return _unknown(raw, phrase_stage or stage, found_reply, enhanced, phrase_id)

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
    # Permanence: the reply class, the enhanced class, log words, the pattern.
    permanence, cue_id = _permanence(found_reply, enhanced, raw, low, decided, category)
    if cue_id:
        matched.append(cue_id)

    info = CATEGORY_INFO[category]
    readings = readings_for(tuple(matched))
    host, port = target(raw) if readings else ("", 0)
    alternatives = tuple(r.to_json(host, port) for r in readings)
    retry_helps = _retry_helps(category, permanence, decided, code_ev, basic_ev)
    # The deciding evidence's own causes when it has some; the category's
    # usual ones otherwise (a generic list would only dilute a precise one).
    causes = _merge_causes(decided.causes or (info.causes if category is not Category.OK else ()))
    return Classification(
        reply=found_reply,
        category=category,
        stage=final_stage,
        permanence=permanence,
        retry_helps=retry_helps,
        kind=_kind(category, permanence, decided, found_reply, enhanced),
        meaning=_meaning(decided.meaning, category, permanence, retry_helps),
        causes=causes,
        fixes=_ordered_fixes(_FIXES_OF.get(decided.id, category), final_stage, raw),
        matched=tuple(matched),
        text=raw.strip(),
        enhanced=enhanced,
        evidence={
            "microsoft": _looks_microsoft(flat, flat.lower()) if microsoft is None else microsoft,
            "stage_stated": bool(phrase_id),
            "stage_phrase": phrase_id,
        },
        alternatives=alternatives,
    )


_STAGES_BEFORE_SESSION = frozenset({Stage.DNS, Stage.CONNECT})
_TIMEOUT_WORDS = re.compile(r"\btimed? ?out\b|\btime-?out\b", re.IGNORECASE)


def _after_connect(decided: _Evidence | None, stated: Stage | None, flat: str) -> _Evidence | None:
    """A connect timeout's words at a stage the text states after the connection
    was made ("Connection timed out (in reply to end of DATA command)") are a
    timeout in the session, not a blocked connect."""
    if (
        decided is None
        or decided.category is not Category.FIREWALL_BLOCK
        or stated is None
        or stated in _STAGES_BEFORE_SESSION
        or not _TIMEOUT_WORDS.search(flat)
    ):
        return decided
    return _from_pattern(pattern_by_id("generic.timeout"))


def _usual_stage(  # noqa: PLR0917 - the evidence in order of strength
    category: Category,
    decided: _Evidence,
    code_ev: _Evidence | None,
    basic_ev: _Evidence | None,
    reply: Reply | None,
    text: str,
) -> Stage:
    """Where the deciding evidence usually happens, when the text states no stage."""
    return (
        decided.stage_hint
        # What the text says was judged (the message, the sender), then a reply
        # code that answers one command only (RFC 4954: 535 answers AUTH).
        # (the quoted remote reply's words, not the wrapper's prose about "your message")
        or subject_stage(
            category, " ".join(reply.text.split()) if reply is not None and reply.text else text
        )
        or (CODE_STAGES.get(reply.code) if reply is not None else None)
        or (code_ev.stage if code_ev else None)
        or (code_ev.stage_hint if code_ev and code_ev is decided else None)
        # A text that names a recipient problem was the reply to RCPT TO
        # (RFC 5321 §3.3); a bare code is no text.
        or (Stage.RCPT_TO if category is Category.RECIPIENT and decided is not basic_ev else None)
        or Stage.NONE
    )


def classify_best(candidates: tuple[str, ...], *, stage: Stage | None = None) -> Classification:
    """The most specific reading among texts that describe the same failure.

    A bounce says it several times: the DSN's Diagnostic-Code, the
    human-readable part, the Status field. The most specific wins, not the
    first (a provider phrase over a code, a precise code over a generic
    ``5.0.0``); a stage one of them states is kept when the winner has none.
    """
    results = [classify(text, stage=stage) for text in candidates if text.strip()]
    if not results:
        return _unknown("", stage)
    # A report of a failure is never healthy: a success one of its texts quotes
    # (a transcript's "250 2.1.0 Ok" before the refusal) does not speak for it.
    failing = [c for c in results if c.category is not Category.OK]
    if failing and len(failing) < len(results):
        results = failing
    # A remote reply a wrapper's words hid from its own phrases ("#542 x Rejected ##",
    # "Permanent Error 550 ..."): read as it came too, where the wrapper said little.
    results += [classify(bare, stage=stage) for bare in _bare_replies(results)]
    results += [classify(line, stage=stage) for line in _earlier_attempts(results)]
    best = max(results, key=_specificity)
    source = next((c for c in results if c.evidence.get("stage_stated")), None)
    if source is None or best.evidence.get("stage_stated") or source.stage == best.stage:
        return best
    stated = source.stage
    if source.evidence.get("stage_phrase") in _DATA_OR_AFTER and stated is Stage.DATA:
        stated = after_data(best.category, stated)
    return classify(best.text, stage=stated)


_WRAPPER_TAIL = re.compile(r"\s*(?:> #SMTP#|##)\s*\Z")
_CLOSERS = {")": "(", "]": "[", ">": "<"}


def _bare_replies(results: list[Classification]) -> list[str]:
    """The remote replies found inside wrapped texts that were read by a code only."""
    out: list[str] = []
    for c in results:
        if c.reply is None or c.reply.code < 400 or _specificity(c)[1]:
            continue
        bare = _WRAPPER_TAIL.sub("", _wire_text(c.reply))
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


def _specificity(c: Classification) -> tuple[int, int, int, int, int]:
    """How much a classification says: a known cause, a remote reply, how it was decided, a stage.

    A quoted remote reply beats prose about it ("** Address not found **"
    over "501 5.1.8 Sender address rejected" would blame the recipient).
    """
    if not c.matched:
        return (0, 0, 0, 0, 0)
    first = c.matched[0]
    if first.startswith(("microsoft:", "enhanced:")):
        rank = 1 if (c.enhanced or "").endswith(".0") else 3
    elif first.startswith("reply:"):
        rank = 1
    elif first == _FAILURE_SAID.id:
        rank = 0
    else:
        rank = 4 if pattern_by_id(first).specific else 2
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
        fixes=(),
        matched=(f"notice:{nature}",),
        text=text,
    )


def _codes(raw: str, flat: str, reply: Reply | None) -> tuple[Reply | None, str | None]:
    """The reply (given, or found in the text) and the enhanced status code."""
    found_reply, reply_enhanced = (reply, _enhanced_of(reply)) if reply else _find_reply(raw)
    enhanced = reply_enhanced or _enhanced_fields(raw)
    if reply_enhanced is None and found_reply is not None and enhanced and enhanced[1:] == ".0.0":
        # A report's "dsn=5.0.0", "Status: 5.0.0", "#5.0.0" around a reply that
        # had no enhanced code: the reporting MTA's rendering of its reply code
        # (RFC 3463 X.0.0), which says less than the reply itself.
        enhanced = None
    if enhanced is None and found_reply is None:
        loose = _ENHANCED_LOOSE.search(flat)
        enhanced = loose.group(1) if loose else None
    return found_reply, enhanced


def _unique_ids(evidence: tuple[_Evidence | None, ...]) -> list[str]:
    """The ids of the evidence that was found, the deciding one first, once each."""
    matched: list[str] = []
    for ev in evidence:
        if ev is not None and ev.id not in matched:
            matched.append(ev.id)
    return matched


def _retry_helps(
    category: Category,
    permanence: Permanence,
    decided: _Evidence,
    code_ev: _Evidence | None,
    basic_ev: _Evidence | None,
) -> bool:
    if category is Category.OK or permanence is Permanence.PERMANENT:
        return False
    if decided.retry_helps is not None:
        return decided.retry_helps
    if code_ev is not None and code_ev.retry_helps is not None and decided is not basic_ev:
        return code_ev.retry_helps
    return CATEGORY_INFO[category].retry_helps


def _meaning(meaning: str, category: Category, permanence: Permanence, retry_helps: bool) -> str:
    futile_retry = permanence is Permanence.TEMPORARY and not retry_helps
    if futile_retry and category is not Category.OK and "retry" not in meaning.lower():
        meaning += (
            " The failure is reported as temporary, but retrying will not help "
            "until the cause is fixed."
        )
    return meaning


def classify_reply(reply: Reply, stage: Stage) -> Classification:
    """A reply seen live at ``stage`` (the walker's entry point)."""
    return classify(_wire_text(reply), reply=reply, stage=stage)


def _wire_text(reply: Reply) -> str:
    """The reply as it came on the wire: "421-…" lines, then "421 …"."""
    if not reply.lines:
        return str(reply.code)
    last = len(reply.lines) - 1
    return "\n".join(
        f"{reply.code}{'-' if i < last else ' '}{line}" for i, line in enumerate(reply.lines)
    )


# --- text handling ----------------------------------------------------------------


def _normalise(text: str) -> str:
    """Cut to size, unify line ends, and undo Exim's literal "\\n" in log lines."""
    # (A log pipeline's record first: its JSON escapes "\n" of its own.)
    cut = unrecord(text[:MAX_TEXT]).replace("\r\n", "\n").replace("\r", "\n")
    if "\\n" in cut:
        # (Exim's literal "\n" once more escaped by a JSON log: "\\n".)
        cut = cut.replace("\\\\n", "\n").replace("\\n", "\n")
    cut = decode_pasted(cut)
    cut = rust_reply_codes(cut)
    # Python's smtplib quotes a reply as a tuple: "(550, b'5.7.1 Unable to relay')".
    if "(" not in cut:
        return cut
    return _PY_REPLY_HEAD.sub(r"(\1 ", _PY_REPLY.sub("\\1 \\3\\n", cut))


def _flatten(text: str) -> str:
    """One line, continuation prefixes of multi-line replies removed."""
    lines = [part.strip() for part in text.split("\n")]
    first = _REPLY_AT.match(lines[0]) if lines else None
    if first is not None:
        # Later lines of a multi-line reply repeat its code (and enhanced code).
        prefix = _prefix(first.group(1), first.group(3))
        lines = [lines[0], *(prefix.sub("", line, count=1) for line in lines[1:])]
        if lines[0][3:4] == "-" and len(lines) > 1:
            # Its first line reads as the same reply sent on one line does.
            lines[0] = f"{lines[0][:3]} {lines[0][4:]}"
    elif len(lines) > 1:
        lines = _continued(lines)
    joined = " ".join(lines)
    if "-" in joined:  # (every continuation prefix holds one: none, nothing to remove)
        joined = _CONTINUATION.sub("", joined)
    return " ".join(joined.split())


# A reply inside a wrapper ('"error": "554-5.7.1 ...', "(421 4.7.0 ...").
_OPENING = re.compile(
    r"(?:^|(?<=[\s\"'(<\[:;>]))([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})(?=\s))?"
)


def _prefix(code: str, enhanced: str | None) -> re.Pattern[str]:
    """What a later line of a multi-line reply repeats: its code (and enhanced
    code), or the enhanced code alone (smtplib keeps the text after the code)."""
    alone = rf"|{re.escape(enhanced)}\s" if enhanced else ""
    return re.compile(rf"{code}[ -](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s)?{alone}")


def _continued(lines: list[str]) -> list[str]:
    """Lines that continue a multi-line reply opened on a line before, the prefix
    they repeat removed (the last line's "554 5.7.1 " too)."""
    out = [lines[0]]
    prefix: re.Pattern[str] | None = None
    for before, line in itertools.pairwise(lines):
        # (A transcript's "<<< " before each line of the reply goes too.)
        body = line.removeprefix("<<< ")
        if not body[:1].isdigit():  # no code to repeat: the cheap test first
            prefix = None
            out.append(line)
            continue
        if prefix is None:
            opened = list(_OPENING.finditer(before))
            prefix = _prefix(opened[-1].group(1), opened[-1].group(2)) if opened else None
        m = prefix.match(body) if prefix is not None else None
        if m is None:
            prefix = None
        out.append(line if m is None else body[m.end() :])
    return out


def _find_reply(text: str) -> tuple[Reply | None, str | None]:
    """The reply inside ``text``: the first failure reply, else the first success."""
    stripped = text.strip()
    if stripped[:3].isdigit() and _REPLY_AT.match(stripped):
        end = stripped.find("\n")
        folded = unfold(stripped, stripped[:end], end, _REPLY_AT) if end > 0 else stripped
        parsed = _parse_reply(folded if end > 0 and folded != stripped[:end] else stripped)
        if parsed is not None and (parsed.code >= 400 or not _has_failure_reply(stripped[3:])):
            found = parsed, parsed.enhanced or _leading_enhanced(parsed.lines)
            head = _REPLY_AT.match(stripped)
            return _innermost(stripped, head, found) if head and parsed.code >= 400 else found
    first: tuple[Reply, str | None] | None = None
    for m in _REPLY_AT.finditer(text):
        lead = text[max(0, m.start() - 24) : m.start()].rstrip(" \t")
        # "421-4.7.0" is a reply wherever it stands; a bare code needs a lead.
        shaped = m.group(3) is not None and m.group(3)[0] == m.group(1)[0]
        if not (
            shaped
            or m.start() == 0
            or not lead
            or lead.endswith("\n")
            or lead.endswith(_REPLY_LEAD)
            or (lead.endswith("=") and m.group(3))
            or ends_with_time(lead)
        ):
            continue
        if _not_a_reply(text, m.start()):
            continue
        candidate = _reply_from(text, m)
        if candidate is None:
            continue
        if candidate[0].code >= 400:
            return _innermost(text, m, candidate)
        if first is None:
            first = candidate
    return first if first is not None else (None, None)


def _innermost(
    text: str, outer: re.Match[str], found: tuple[Reply, str | None], depth: int = 0
) -> tuple[Reply, str | None]:
    """The remote reply an NDR or DSN line wraps ("550 5.0.0 ... said: 554 5.7.1 ..."), if any.

    The reply that decides is the innermost one: the outer reply is the
    reporting server's summary of it.
    """
    # Nesting happens within one line (a DSN field, a log line, an NDR line);
    # a reply on a later line is another report (Sendmail's own summary).
    end = text.find("\n", outer.end())
    scope = text[outer.end() : end if end >= 0 else len(text)]
    for m in _REPLY_AT.finditer(scope):
        if m.group(1)[0] not in "45":
            continue
        lead = scope[max(0, m.start() - 32) : m.start()].rstrip(" \t")
        same = m.group(1) == outer.group(1) and m.group(3) in (None, outer.group(3))
        nested = m.group(3) is not None or _NESTED_LEAD.search(lead) is not None
        if same or not nested or _not_a_reply(scope, m.start()):
            continue
        inner = _reply_from(scope, m)
        if inner is None:
            continue
        if depth < 3:
            return _innermost(scope, m, inner, depth + 1)
        return inner
    return found


def _not_a_reply(text: str, start: int) -> bool:
    lead = text[max(0, start - 32) : start]
    # (Each match holds a ";", ends with ":" or holds "-Id:": in an ASCII lead
    # that has none of them, the regex, slow on a long word, need not run.)
    if lead.isascii() and ";" not in lead and lead[-1:] != ":" and "-id:" not in lead.lower():
        return False
    return _NOT_A_REPLY.search(lead) is not None


def _has_failure_reply(text: str) -> bool:
    return any(m.group(1)[0] in "45" for m in _REPLY_AT.finditer(text))


def _reply_from(text: str, m: re.Match[str]) -> tuple[Reply, str | None] | None:
    code = m.group(1)
    line_end = text.find("\n", m.start())
    lines = [text[m.start() : line_end if line_end >= 0 else len(text)]]
    # Exim writes the continuation lines of a multi-line reply on their own lines.
    pos = line_end
    while pos >= 0 and lines[-1][3:4] == "-":
        nxt = text.find("\n", pos + 1)
        line = text[pos + 1 : nxt if nxt >= 0 else len(text)].strip()
        if not (line.startswith(code + "-") or line.startswith(code + " ")):
            break
        lines.append(line)
        pos = nxt
    if len(lines) == 1:
        lines[0] = unfold(text, lines[0], pos, _REPLY_AT)
    first_line = lines[0]
    # A reply folded into one log line: drop the inner "550-5.7.1 " markers.
    enh = m.group(3)
    marker = rf"\s{code}[- ](?:{re.escape(enh)}\s)?" if enh else rf"\s{code}[- ]"
    if code in first_line[4:]:  # (no marker without the code: no regex to build)
        first_line = first_line[:4] + re.sub(marker, " ", first_line[4:])
    # (The tail ends the line with ")": a line that does not holds none.)
    if first_line.rstrip().endswith(")"):
        first_line = _POSTFIX_TAIL.sub("", first_line)
    first_line = first_line.rstrip(" '\"")
    lines[0] = first_line
    parsed = _parse_reply("\n".join(lines))
    if parsed is None:
        body = first_line[4:].strip()
        parsed = Reply(int(code), (body,), None)
    return parsed, parsed.enhanced or enh


# A Reply is immutable; the same reply line stands in many paragraphs of a folder.
@functools.lru_cache(maxsize=4096)
def _parse_reply(text: str) -> Reply | None:
    return _parse_reply_text(text)


def _leading_enhanced(lines: tuple[str, ...]) -> str | None:
    if not lines:
        return None
    m = re.match(r"\s*#?([245]\.\d{1,3}\.\d{1,3})(?![\d.])", lines[0])
    return m.group(1) if m else None


def _enhanced_of(reply: Reply) -> str | None:
    return reply.enhanced or _leading_enhanced(reply.lines)


def _enhanced_fields(text: str) -> str | None:
    for rx in _ENHANCED_FIELDS:
        if rx is _DSN_EQUALS and "dsn=" not in text:
            continue
        if rx is _STATUS_FIELD and not ("tatu" in text or "TATU" in text or "tatu" in text.lower()):
            continue
        m = rx.search(text)
        if m:
            return m.group(1)
    return None


def _inner_first(
    reply: Reply | None, flat: str, strong: _Evidence | None, weak: _Evidence | None
) -> tuple[_Evidence | None, _Evidence | None]:
    """The phrasing of a quoted remote reply before the wrapper's words around it.

    "554 4.4.7 Message expired ... <421 4.4.2 Connection timed out>": the
    expiry is the reporting server's summary, the inner reply the cause.
    """
    if reply is None or not reply.text or len(reply.text) >= len(flat) - 8:
        return strong, weak
    i_strong, i_weak = _inner_patterns(" ".join(reply.text.split()))
    if i_strong is not None:
        return i_strong, weak
    if strong is not None and strong.category is Category.OTHER and i_weak is not None:
        return None, i_weak
    return strong, weak or i_weak


# The same quoted reply stands in many paragraphs of a folder (a DSN field, the prose).
@functools.lru_cache(maxsize=4096)
def _inner_patterns(inner: str) -> tuple[_Evidence | None, _Evidence | None]:
    return _match_patterns(inner, inner, present_words(inner.lower()))


def _match_patterns(
    flat: str, raw: str, low: frozenset[str] | None
) -> tuple[_Evidence | None, _Evidence | None]:
    strong: _Evidence | None = None
    weak: _Evidence | None = None
    multiline = "\n" in raw
    for p in _candidates(PATTERNS, low):
        if (p.specific and strong is not None) or (not p.specific and weak is not None):
            continue
        if search_open(p.regex, low, flat, raw) if multiline else search_open(p.regex, low, flat):
            ev = _from_pattern(p)
            if p.specific:
                strong = ev
            else:
                weak = ev
        if strong is not None and weak is not None:
            break
    return strong, weak


def _from_pattern(p: TextPattern) -> _Evidence:
    return _Evidence(
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
def _code_evidence(enhanced: str | None, microsoft: bool) -> tuple[_Evidence | None, bool]:
    """Evidence from an enhanced code, and whether it is only a generic subject."""
    if enhanced is None:
        return None, False
    parts = split_enhanced(enhanced)
    if parts is None:
        return None, False
    klass, subject, detail = parts
    if klass == "2":
        return _Evidence(f"enhanced:{enhanced}", Category.OK, CLASSES["2"].meaning), False
    vendor = lookup_microsoft(enhanced)
    if vendor is not None and (microsoft or not vendor.overrides_registry):
        return _Evidence(
            f"microsoft:{enhanced}",
            vendor.category,
            f"{vendor.title}: {vendor.meaning}",
            retry_helps=vendor.retry_helps,
            stage_hint=vendor.stage,
        ), False
    entry = lookup_registry(enhanced)
    if entry is not None:
        category, generic = entry.category, detail == 0
        if category is Category.OK:
            # A success detail in a failure class ("501 5.1.5 Recipient address
            # reserved"): only the subject still says what failed, as a generic code.
            subj_of = SUBJECTS.get(subject)
            category, generic = (subj_of.category if subj_of else Category.OTHER), True
        return _Evidence(
            f"enhanced:{enhanced}",
            category,
            f"{entry.title}: {entry.meaning}",
            retry_helps=entry.retry_helps,
            stage_hint=CODE_STAGE.get((subject, detail)) or CODE_STAGE.get((subject, None)),
        ), generic
    subj = SUBJECTS.get(subject)
    if subj is None:
        return None, False
    return _Evidence(
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


def _basic_evidence(reply: Reply | None, stage: Stage | None) -> _Evidence | None:
    if reply is None:
        return None
    basic = lookup_basic(reply.code)
    category = basic.category
    if reply.code in _MAILBOX_CODES and stage in _SENDER_STAGES:
        category = Category.POLICY_REJECTION
    elif reply.code == _SYNTAX_IN_PARAMETERS and stage is Stage.RCPT_TO:
        # A parameter RCPT TO carries is the recipient address (RFC 3463 X.1.3).
        category = Category.RECIPIENT
    return _Evidence(f"reply:{reply.code}", category, basic.meaning)


def _stage_from_text(flat: str, low: frozenset[str] | None) -> tuple[Stage | None, str | None]:
    for phrase in _candidates(STAGE_PHRASES, low):
        if search_open(phrase.regex, low, flat):
            return phrase.stage, phrase.id
    return None, None


def _permanence(  # noqa: PLR0917 - the evidence in order of strength
    reply: Reply | None,
    enhanced: str | None,
    raw: str,
    low: frozenset[str] | None,
    decided: _Evidence,
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
        if not words_absent(cue.regex, low) and _maybe(needs, lowered) and cue.regex.search(raw):
            return cue.permanence, cue.id
    if decided.permanence is not None:
        return decided.permanence, None
    if category is Category.OK:
        return Permanence.NONE, None
    return Permanence.TEMPORARY if category in _NETWORKISH else Permanence.NONE, None


def _kind(
    category: Category,
    permanence: Permanence,
    decided: _Evidence,
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


def _merge_causes(causes: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for cause in causes:
        if cause not in out:
            out.append(cause)
    return tuple(out[:6])


# A refused EHLO name is a policy refusal, but its remedy is the one for the
# sending host's names: announce the public, fully qualified name its PTR gives.
_FIXES_OF = {
    "generic.helo": Category.DNS_PTR_MISMATCH,
    "generic.helo_not_found": Category.DNS_PTR_MISMATCH,
}


def _ordered_fixes(category: Category, stage: Stage, raw: str) -> tuple[Fix, ...]:
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
        fixes=(),
        matched=(),
        text=raw.strip(),
        enhanced=enhanced,
        evidence={"stage_stated": bool(phrase_id), "stage_phrase": phrase_id},
    )
