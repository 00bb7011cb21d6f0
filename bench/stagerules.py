"""Stage rules for a text that states none, judged at first sight and on today's tune rows.

Issue 10, session 21 (docs/explain.md, "Session 21: stages3"). Session 20's first sight
(``bench/firstsight.py``: each tune row read by the engine of the commit before it was
added) found "no stage found" right only about half the time. A candidate rule here says
where a failure happened from its cause and the words of the text (the quoted reply's,
as ``subject_stage`` reads them) where nothing else gave a stage; it stands where
``classifier._usual_stage`` calls ``stage_wording.implied_stage``.

Each candidate is measured twice, on tune rows only (no held-back row is read):

* **first sight**: the old engine's reading of each first-sight record plus the rule,
  applied where the old engine found no stage and its deciding evidence gave none on
  purpose (a pattern's own ``none``); ``--newest=N``: only the last N commits' rows.
* **today**: the tune lines (``bench/generalise.py``'s rows) read by this tree with the
  rule in the hook, against the same tree with the hook as shipped; rows gained and lost.

Usage: PYTHONPATH=src python bench/stagerules.py [RULE ...] [--newest=N] [-v] [--today]
       [--shipped]

Without RULE names every candidate is measured. ``-v`` prints the rows each rule moves
(first sight: tune rows' texts only). ``--today`` adds the measure on today's tree (about
20 s a rule). ``--shipped``: the hook as it stands is the candidate, measured at first
sight (today's measure of it is ``bench/generalise.py full`` against the start).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import firstsight
import generalise

from smtpdoctor.diagnosis import classifier
from smtpdoctor.diagnosis.evidence_rules import basic_evidence
from smtpdoctor.diagnosis.replytext import (
    flatten,
    mask_addresses,
    normalise,
    reply_and_enhanced,
)
from smtpdoctor.diagnosis.transcript import without_summary
from smtpdoctor.knowledge import stage_wording
from smtpdoctor.model import Category, Stage
from smtpdoctor.protocol.reply import Reply

Rule = Callable[[str, str, bool], str | None]
# Categories gained and lost at first sight by reading a bare code again at the new stage.
moved_categories = [0, 0]
SHIPPED = stage_wording.implied_stage


def _words(rx: str) -> re.Pattern[str]:
    return re.compile(rx, re.IGNORECASE)


# --- candidates: (category, the judged words) -> stage or None ------------------------

_RCPT = _words(
    r"\b(?:recipients?|addressee|mail-?box(?:es)?|user(?:name)?s?|accounts?|destinat\w*|"
    r"forward-path|RCPT|rcpthosts|relay(?:ing)?)\b"
)
_MSG = _words(r"\b(?:message|content|body|data|size|header|attachment|spam|virus)s?\b")
_SENDER = _words(r"\b(?:sender|from address|from domain|mail ?from|return[- ]path|envelope from)\b")
_GREET = _words(r"\b(?:greeting|banner|welcome)\b")
_RECIPIENTS_MANY = _words(
    r"\b(?:too many|max(?:imum)?(?: number)? of|limit)\b[^.;]{0,30}recipients?\b|"
    r"\brecipients? limit|RecipLimit|\brecipients reached\b"
)
_AUTH_WORDS = _words(
    r"\b(?:authentication (?:type|method|mechanism)|(?:user ?name|password|credentials?)\b"
    r"[^.;]{0,30}\b(?:invalid|incorrect|wrong|not accepted|rejected)|"
    r"(?:invalid|incorrect|wrong|bad) (?:user ?name|password|credentials?|login))"
)
_RELAY = _words(r"\brelay(?:ing)?\b")
_SENDS = _words(r"\bto send (?:mail|e-?mail|messages?)\b|\bsend(?:ing)? mail from\b|\bsenders?\b")


def recipient_rcpt(category: str, words: str, by_code: bool = False) -> str | None:
    """A recipient cause at RCPT TO (RFC 5321 §3.3), whatever read it."""
    return "rcpt_to" if category == "recipient" else None


def subject_any(category: str, words: str, by_code: bool = False) -> str | None:
    """The subject words (``SUBJECT_STAGES``) for every failure cause, not only a policy's."""
    if category in {"ok", "other"}:
        return None
    for rx, stage in stage_wording.SUBJECT_STAGES:
        if rx.search(words):
            return stage.value if stage is not Stage.NONE else None
    return None


def subject_auth(category: str, words: str, by_code: bool = False) -> str | None:
    """The subject words for an authentication failure: a sender's, a relay's."""
    if category != "authentication":
        return None
    return subject_any("policy_rejection", words, by_code)


def auth_words(category: str, words: str, by_code: bool = False) -> str | None:
    """An authentication failure that names the credentials or the mechanism: AUTH."""
    return "auth" if category == "authentication" and _AUTH_WORDS.search(words) else None


def auth_relay(category: str, words: str, by_code: bool = False) -> str | None:
    """Authentication demanded for relaying: RCPT TO (the relay is refused per recipient)."""
    return "rcpt_to" if category == "authentication" and _RELAY.search(words) else None


def auth_send(category: str, words: str, by_code: bool = False) -> str | None:
    """Authentication demanded to send: MAIL FROM (RFC 4954 §6's 530 at MAIL)."""
    if category != "authentication" or _RELAY.search(words):
        return None
    return "mail_from" if _SENDS.search(words) else None


def rate_recipients(category: str, words: str, by_code: bool = False) -> str | None:
    """Too many recipients: RCPT TO (RFC 5321 §4.5.3.1.10)."""
    return "rcpt_to" if category == "rate_limited" and _RECIPIENTS_MANY.search(words) else None


def size_message(category: str, words: str, by_code: bool = False) -> str | None:
    """A message over the size limit, no stage stated: the message (the convention)."""
    return "message" if category == "message_size" else None


def _words_any(rx: re.Pattern[str], stage: str, name: str) -> Rule:
    """Any failure cause whose words match ``rx``: ``stage`` (the broad word classes)."""

    def rule(category: str, words: str, by_code: bool = False) -> str | None:
        return stage if category not in {"ok", "other"} and rx.search(words) else None

    rule.__name__ = name
    return rule


recipient_words_any = _words_any(_RCPT, "rcpt_to", "recipient_words_any")
message_words_any = _words_any(_MSG, "message", "message_words_any")
sender_words_any = _words_any(_SENDER, "mail_from", "sender_words_any")
greeting_words_any = _words_any(_GREET, "greeting", "greeting_words_any")


def subject_code(category: str, words: str, by_code: bool = False) -> str | None:
    """A cause read from a code alone is a guess: the subject words decide the stage."""
    if not by_code or category in {"ok", "other"}:
        return None
    return subject_any("policy_rejection", words)


_REFUSALS = {"recipient", "message_size", "authentication", "starttls_unavailable"}


def subject_refusals(category: str, words: str, by_code: bool = False) -> str | None:
    """The subject words for refusals whose cause is judged on an argument."""
    if category not in _REFUSALS:
        return None
    return subject_any("policy_rejection", words)


_HELO = _words(r"\b(?:HELO|EHLO)\b")


def helo_words(category: str, words: str, by_code: bool = False) -> str | None:
    """A refusal whose words name HELO/EHLO judged the client's greeting name."""
    if category in {"ok", "other"}:
        return None
    return "ehlo" if _HELO.search(words) else None


_ADDRESS = _words(r"(?<![Ii][Pp] )(?<!sender )(?<!from )\baddress\b|\bRECIPIENT\b|_RECIPIENT\b")


def recipient_address(category: str, words: str, by_code: bool = False) -> str | None:
    """A recipient cause read from a code whose words name an address: RCPT TO."""
    return "rcpt_to" if category == "recipient" and _ADDRESS.search(words) else None


_RELAY_REFUSED = _words(
    r"\brelay(?:ing)?\b[^.;]{0,20}?\b(?:denied|denined|not (?:permitted|allowed)|prohibited|"
    r"refused|disallowed|rejected)\b|\b(?:denies|no|unable to) relay\b|\brcpthosts\b"
)


def relay_rcpt(category: str, words: str, by_code: bool = False) -> str | None:
    """Relaying refused (a recipient in a domain the server does not serve): RCPT TO."""
    if category in {"ok", "other"}:
        return None
    return "rcpt_to" if _RELAY_REFUSED.search(words) else None


def tls_cats(category: str, words: str, by_code: bool = False) -> str | None:
    """A certificate's or a handshake's failure with no stage: the handshake."""
    tls = {"tls_certificate", "tls_handshake_failure", "tls_version_mismatch"}
    return "tls_handshake" if category in tls else None


_BUSY = _words(r"\b(?:too busy|too much load|ports are busy|overloaded|load average)\b")


def busy_greeting(category: str, words: str, by_code: bool = False) -> str | None:
    """A server too busy to take the connection: the greeting."""
    return "greeting" if category == "service_unavailable" and _BUSY.search(words) else None


def subject_union(category: str, words: str, by_code: bool = False) -> str | None:
    """``subject_code`` and ``subject_refusals`` together."""
    return subject_code(category, words, by_code) or subject_refusals(category, words, by_code)


_HELO_JUDGED = _words(
    r"\b(?:HELO|EHLO)\b(?: command| name| host ?name| domain| argument)?(?: \[[^\]\n]{0,80}\])?"
    r"[^.;\n]{0,20}?\b(?:denied|rejected|refused|blocked|invalid|not accepted|should be|must be)\b|"
    r"\b(?:invalid|bad|bogus|forged) (?:HELO|EHLO)\b"
)


def helo_judged(category: str, words: str, by_code: bool = False) -> str | None:
    """A refusal whose words say the HELO/EHLO name was judged: EHLO."""
    if category in {"ok", "other"}:
        return None
    return "ehlo" if _HELO_JUDGED.search(words) else None


CANDIDATES: dict[str, Rule] = {
    f.__name__: f
    for f in (
        recipient_rcpt,
        subject_any,
        subject_auth,
        auth_words,
        auth_relay,
        auth_send,
        rate_recipients,
        size_message,
        recipient_words_any,
        message_words_any,
        sender_words_any,
        greeting_words_any,
        subject_code,
        subject_refusals,
        helo_words,
        recipient_address,
        relay_rcpt,
        tls_cats,
        busy_greeting,
        subject_union,
        helo_judged,
    )
}


# --- first sight ------------------------------------------------------------------


def judged_words(text: str) -> str:
    """The words ``_usual_stage`` reads: the quoted reply's, else the whole text, masked."""
    raw = without_summary(normalise(text))
    flat = flatten(raw)
    reply, _ = reply_and_enhanced(raw, flat, None)
    if reply is not None and reply.text:
        return mask_addresses(" ".join(reply.text.split()))
    return mask_addresses(flat)


def by_code(rec: dict[str, Any]) -> bool:
    """The cause was read from a bare reply code or a generic enhanced code alone."""
    first = rec["matched"][0] if rec["matched"] else ""
    return first.startswith("reply:") or (
        first.startswith(("enhanced:", "microsoft:")) and first.endswith(".0")
    )


def open_at_first_sight(rec: dict[str, Any]) -> bool:
    """The old engine found no stage, and no evidence of it gave ``none`` on purpose."""
    if firstsight.stage_source(rec) != "no stage found" or rec["category"] in {"ok", "other"}:
        return False
    first = rec["matched"][0] if rec["matched"] else ""
    info = firstsight.implied_of(rec, first) or {}
    return not (info.get("stage") or info.get("stage_hint"))


def beyond_today(rec: dict[str, Any], words: str) -> bool:
    """Today's usual-stage words would not have given a stage either (the rule's own share:
    the subject words, a recipient cause whose words name a recipient or that a phrase
    read)."""
    category = Category(rec["category"])
    if stage_wording.subject_stage(category, words) is not None:
        return False
    first = rec["matched"][0] if rec["matched"] else ""
    return not (
        category is Category.RECIPIENT
        and (not first.startswith("reply:") or stage_wording.names_recipient(words))
    )


def first_sight(
    records: list[dict[str, Any]], rule: Rule, verbose: bool
) -> tuple[int, int, int, int, Counter[str]]:
    gained = lost = mg = ml = 0
    moved: Counter[str] = Counter()
    for rec in records:
        if not open_at_first_sight(rec):
            continue
        words = judged_words(rec["text"])
        got = rule(rec["category"], words, by_code(rec))
        if got is None or got == rec["stage"]:
            continue
        expected = rec["expected"]["stage"]
        gained += got == expected
        lost += rec["stage"] == expected
        first = rec["matched"][0] if rec["matched"] else ""
        if first.startswith("reply:") and got != "none":
            # (the engine reads a bare code again at the stage found: a 550 at MAIL FROM)
            again = basic_evidence(Reply(int(first[6:]), ""), Stage(got))
            assert again is not None
            right = rec["expected"]["category"]
            moved_categories[0] += again.category.value == right != rec["category"]
            moved_categories[1] += rec["category"] == right != again.category.value
        if beyond_today(rec, words):
            mg += got == expected
            ml += rec["stage"] == expected
        moved[f"{rec['category']}: {rec['stage']} -> {got} (expected {expected})"] += 1
        if verbose:
            mark = "+" if got == expected else "-" if rec["stage"] == expected else " "
            text = " ".join(rec["text"].split())[:150]
            print(f"  {mark} {rec['category']}/{expected} -> {got} | {text}")
    return gained, lost, mg, ml, moved


# --- today's tree -----------------------------------------------------------------


def _hook(rule: Rule) -> Callable[[Category, str, bool], Stage | None]:
    def implied(category: Category, text: str, by_code: bool) -> Stage | None:
        got = rule(category.value, text, by_code)
        return Stage(got) if got else None

    return implied


def read_today(rows: list[dict[str, Any]], rule: Rule | None) -> list[tuple[str, str]]:
    classifier.implied_stage = _hook(rule) if rule is not None else SHIPPED  # type: ignore[assignment]
    classifier._classify_text.cache_clear()
    classifier._classify_learned.cache_clear()
    out = []
    for r in rows:
        c = classifier.classify(r["text"])
        out.append((c.category.value, c.stage.value))
    classifier.implied_stage = SHIPPED  # type: ignore[assignment]
    return out


def today(
    rows: list[dict[str, Any]], base: list[tuple[str, str]], rule: Rule, verbose: bool
) -> tuple[int, int, int, int]:
    got = read_today(rows, rule)
    sg = sl = cg = cl = 0
    for r, (bc, bs), (nc, ns) in zip(rows, base, got, strict=True):
        cg += nc == r["category"] and bc != r["category"]
        cl += bc == r["category"] and nc != r["category"]
        sg += ns == r["stage"] and bs != r["stage"]
        sl += bs == r["stage"] and ns != r["stage"]
        if verbose and (bc, bs) != (nc, ns):
            mark = "+" if ns == r["stage"] else "-" if bs == r["stage"] else " "
            print(f"  today {mark} {r['category']}/{r['stage']}: {bc}/{bs} -> {nc}/{ns} | "
                  f"{' '.join(r['text'].split())[:140]}")  # fmt: skip
    return sg, sl, cg, cl


def main() -> None:
    args = sys.argv[1:]
    verbose = "-v" in args
    newest = int(next((a[9:] for a in args if a.startswith("--newest=")), "0"))
    names = [a for a in args if not a.startswith("-")]
    rules = {n: CANDIDATES[n] for n in names} if names else dict(CANDIDATES)
    if "--shipped" in args:
        rules = {"shipped": lambda c, w, b: s.value if (s := SHIPPED(Category(c), w, b)) else None}
    records = firstsight.first_sight()
    if newest:
        commits = list(dict.fromkeys(r["commit"] for r in records))[-newest:]
        records = [r for r in records if r["commit"] in commits]
    n_open = sum(open_at_first_sight(r) for r in records)
    print(f"first sight: {len(records)} tune rows, {n_open} open (no stage found, a cause read)")
    rows = base = None
    if "--today" in args:
        rows = generalise.tune_lines()
        base = read_today(rows, None)
    print("| rule | first sight: gained / lost | beyond today's words: gained / lost "
          "| today: stage gained | lost | category +/- |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---|")
    for name, rule in rules.items():
        if verbose:
            print(f"{name}:")
        g, lo, mg, ml, moved = first_sight(records, rule, verbose)
        cells = ["", "", ""]
        if rows is not None and base is not None:
            sg, sl, cg, cl = today(rows, base, rule, verbose)
            cells = [str(sg), str(sl), f"+{cg}/-{cl}"]
        print(f"| {name} | {g} / {lo} | {mg} / {ml} | {' | '.join(cells)} |")
        if moved_categories != [0, 0]:
            print(f"  (first sight, categories: +{moved_categories[0]} / -{moved_categories[1]})")
            moved_categories[:] = [0, 0]
        if verbose:
            for k, v in moved.most_common(12):
                print(f"    {v:4d}  {k}")


if __name__ == "__main__":
    main()
