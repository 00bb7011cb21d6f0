"""Log reasons → classification, through the one engine, remembered.

A busy mail log repeats the same few hundred replies millions of times, with
only host names, addresses, queue ids and numbers changing. Each reason is
normalized (those variable parts replaced by placeholders) and the
normalized text is classified once by
:func:`smtpdoctor.diagnosis.classifier.classify`; later reasons with the same
normalized text reuse the answer. Classifying the normalized text (not the
first raw text seen) keeps the answer independent of the order lines are
read in, so every engine and every chunking gives the same report.

Both caches are bounded: when full they are emptied and refilled, which
costs a few re-classifications and keeps memory constant.
"""

from __future__ import annotations

import re
from dataclasses import field

try:
    from _blake2 import blake2b  # (CPython's, without hashlib's OpenSSL: ~0.2 ms to import)
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

from collections.abc import Callable
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.phrasing import batch_mode
from smtpdoctor.logs.events import TLS_CATEGORIES, Group, group_of
from smtpdoctor.model import Category, Permanence, Stage
from smtpdoctor.protocol.reply import Reply

if TYPE_CHECKING:
    from smtpdoctor.diagnosis.classifier import Classification

__all__ = [
    "MAX_REASON",
    "Info",
    "Kept",
    "ReasonCache",
    "before_classifying",
    "learn",
    "learned",
    "normalize_reason",
    "reply_from_text",
    "take_stored",
    "warm_up",
]

# Reasons longer than this are cut before normalizing (real ones are < 1 KiB).
MAX_REASON = 2048

# host[address] or host[address]:port, as Postfix, Exim and Sendmail write peers.
_PEER = re.compile(r"[^\s\[\](),;<>]+\[(?:IPv6:)?[0-9A-Fa-f:.]+\](?::\d+)?")
_BRACKETED = re.compile(r"\[(?:IPv6:)?[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*\](?::\d+)?")
_ADDR = re.compile(r"<[^<>\s]*@[^<>\s]*>")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Tokens that mix letters and digits (queue ids, session ids, Gmail's
# "a640c23a62f3a-ab7f4c1si123456ejc.283"), at least 8 characters long.
_TOKEN = re.compile(r"(?<![\w.-])(?=[\w.-]*\d)(?=[\w.-]*[A-Za-z])[\w.-]{8,}(?![\w.-])")
# Long numbers (sizes, ports, ticket numbers); reply and enhanced codes are
# at most three digits per part, so they are never touched.
_NUMBER = re.compile(r"(?<![\w.])\d{4,}(?![\w.])")
_URL_QUERY = re.compile(r"(https?://[^\s?#]+)[?#]\S*")
_SPACES = re.compile(r"\s+")


def normalize_reason(text: str) -> str:
    """The reason with its variable parts replaced, for counting and memoizing."""
    out = text[:MAX_REASON]
    out = _URL_QUERY.sub(r"\1", out)
    out = _PEER.sub("host[addr]", out)
    out = _BRACKETED.sub("[addr]", out)
    out = _ADDR.sub("<user@domain>", out)
    out = _EMAIL.sub("user@domain", out)
    out = _IPV4.sub("addr", out)
    out = _IPV6.sub("addr", out)
    out = _TOKEN.sub("ID", out)
    out = _NUMBER.sub("N", out)
    return _SPACES.sub(" ", out).strip()


_CATEGORY_INDEX = {c: i for i, c in enumerate(Category)}


@dataclass(frozen=True, slots=True)
class Info:
    """What one (normalized) reason means.

    The fields after ``key`` are derived once here, so the per-line hot path
    reads plain attributes instead of enum properties.
    """

    category: Category
    stage: Stage
    permanence: Permanence
    code: int | None
    enhanced: str | None
    meaning: str
    key: str  # the normalized reason, as shown in reports
    cat_index: int = field(init=False, compare=False)
    cat_value: str = field(init=False, compare=False)
    stage_value: str = field(init=False, compare=False)
    code_key: str = field(init=False, compare=False)
    tls: bool = field(init=False, compare=False)
    connect_timeout: bool = field(init=False, compare=False)
    connect_refused: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cat_index", _CATEGORY_INDEX[self.category])
        object.__setattr__(self, "cat_value", self.category.value)
        object.__setattr__(self, "stage_value", self.stage.value)
        object.__setattr__(self, "code_key", str(self.code) if self.code is not None else "none")
        object.__setattr__(self, "tls", self.category in TLS_CATEGORIES)
        # "connect to mx[addr]:25: Connection timed out": a dead host or a
        # blocked port 25; only the whole log can tell (findings.py). So is a
        # host out of reach at connect ("No route to host", which a firewall's
        # ICMP reject gives too; "Network is unreachable", Postfix's last word
        # when the IPv4 address timed out before an IPv6 one it has no route to).
        low = self.key.lower()
        object.__setattr__(
            self,
            "connect_timeout",
            self.stage is Stage.CONNECT
            and self.category in (Category.FIREWALL_BLOCK, Category.NETWORK_TIMEOUT)
            and ("timed out" in low or "unreachable" in low or "no route to host" in low),
        )
        # "connect to mx[addr]:25: Connection refused": a stopped MTA or a firewall's
        # REJECT, theirs or ours; the whole log tells which too.
        object.__setattr__(
            self, "connect_refused", self.stage is Stage.CONNECT and "refused" in low
        )

    @property
    def group(self) -> Group:
        return group_of(self.category)

    @property
    def is_421(self) -> bool:
        return self.code == 421


def classify(text: str) -> Classification:
    """:func:`smtpdoctor.diagnosis.classifier.classify`, imported at its first call
    (after what :func:`before_classifying` was given): its rules and tables are
    ~12 ms of start-up, and the command line's stores for it ~4 ms more, which a
    run whose reasons were all answered before (:func:`take_stored`) does without.

    The rules alone, without the learned fallback: a report counts what happened,
    and a guessed category must not move a line into a table (an Exim ACL's
    "certificate not verified" refusal after a TLS session that stood is no TLS
    failure)."""
    while _BEFORE:
        _BEFORE.pop(0)()
    from smtpdoctor.diagnosis.classifier import classify as classifier  # noqa: PLC0415

    return classifier(text, learned=False)


_BEFORE: list[Callable[[], object]] = []


def before_classifying(prepare: Callable[[], object]) -> None:
    """Have ``prepare()`` called once, just before the first question to the
    classifier in this process (the command line's stores of its compiled regexes
    and indexes: cli/logs.py)."""
    _BEFORE.append(prepare)


def warm_up() -> None:
    """Make the classifier's word index and table indexes now (or read them:
    cli/indexstore.py), as its first classification in batch mode would: a split
    run calls it before it forks, so that its children inherit them instead of
    each making them again (~10 ms of CPU each). The classifier is pure: nothing
    it answers later changes. Not when classifications were kept from earlier
    runs (:func:`take_stored`): a log whose reasons they hold never asks the
    classifier, and a process that does makes them at its first question, as
    before, beside the other (~0.02 s of a troubled log's start-up)."""
    if _STORED:
        return
    classify("421 4.7.0 Try again later")


# The classifier's answers kept between runs (cli/reasonstore.py): what Info holds
# besides its key, under a digest of the text classified (the hint and the
# normalized reason: the store holds no log text).
Kept = tuple[str, str, str, int | None, str | None, str]
_STORED: dict[bytes, Kept] = {}
_LEARNED: dict[bytes, Kept] = {}
_KEEPING = [False]
LEARNED_MAX = 4096  # (what a run records for the store, at most: bounded memory)


def take_stored(kept: dict[bytes, Kept]) -> None:
    """Classifications an earlier run of the same code made (the caller checks
    that), by :func:`_digest`; from now on the classifications made are
    recorded too (:func:`learned`)."""
    _STORED.update(kept)
    _KEEPING[0] = True


def learned() -> dict[bytes, Kept]:
    """The classifications this process made since :func:`take_stored`, by digest."""
    return _LEARNED


def learn(more: dict[bytes, Kept]) -> None:
    """Add a worker process's :func:`learned` to this one's."""
    if _KEEPING[0]:
        _LEARNED.update(list(more.items())[: max(0, LEARNED_MAX - len(_LEARNED))])


def _digest(hint: str, norm: str) -> bytes:
    return blake2b(f"{hint}\x00{norm}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _from_kept(kept: Kept, norm: str) -> Info | None:
    try:
        category, stage, permanence, code, enhanced, meaning = kept
        return Info(
            category=Category(category),
            stage=Stage(stage),
            permanence=Permanence(permanence),
            code=code,
            enhanced=enhanced,
            meaning=meaning,
            key=norm,
        )
    except (TypeError, ValueError):  # (not what this code keeps: asked again)
        return None


class ReasonCache:
    """Bounded memo of :func:`classify` by normalized reason text."""

    def __init__(self, max_entries: int = 20_000) -> None:
        # A log's reasons are short, and searched outright each would compile
        # every one of the ~200 table patterns at the first few reasons
        # (~0.07 s); prefiltered by the words they hold (the stored word
        # index), a reason compiles only the branches it can match. The
        # classification is the same (the prefilter only drops what cannot match).
        batch_mode()
        self._max = max_entries
        self._by_norm: dict[tuple[str, str], Info] = {}
        self._by_raw: dict[tuple[str, str], Info] = {}
        self.classified = 0  # calls into classify(), for tests and tuning

    def info(self, text: str, hint: str = "") -> Info:
        """Classify ``hint + text`` (``hint`` carries fields such as ``dsn=``)."""
        raw_key = (hint, text)
        found = self._by_raw.get(raw_key)
        if found is not None:
            return found
        norm = normalize_reason(text)
        norm_key = (hint, norm)
        found = self._by_norm.get(norm_key)
        if found is None:
            found = self._classify(norm, hint)
            if len(self._by_norm) >= self._max:
                self._by_norm.clear()
            self._by_norm[norm_key] = found
        if len(self._by_raw) >= self._max:
            self._by_raw.clear()
        self._by_raw[raw_key] = found
        return found

    def _classify(self, norm: str, hint: str) -> Info:
        digest = _digest(hint, norm) if _KEEPING[0] else None
        if digest is not None and (kept := _STORED.get(digest)) is not None:
            found = _from_kept(kept, norm)
            if found is not None:
                return found
        self.classified += 1
        c = classify(f"{hint}{norm}" if hint else norm)
        code = c.reply.code if c.reply is not None else None
        enhanced = (c.reply.enhanced if c.reply is not None else None) or c.enhanced
        info = Info(
            category=c.category,
            stage=c.stage,
            permanence=c.permanence,
            code=code,
            enhanced=enhanced,
            meaning=c.meaning,
            key=norm,
        )
        if digest is not None and len(_LEARNED) < LEARNED_MAX:
            _LEARNED[digest] = (
                info.category.value,
                info.stage.value,
                info.permanence.value,
                code,
                enhanced,
                info.meaning,
            )
        return info


_IN_REPLY = re.compile(r"\s*\(in reply to [^()]*\)\)?\s*$", re.IGNORECASE)


def reply_from_text(info: Info, raw: str) -> Reply | None:
    """The reply (code, enhanced code, the raw text after them) inside ``raw``."""
    if info.code is None:
        return None
    code = str(info.code)
    m = re.search(rf"(?<![\w.]){code}[ -]", raw)
    body = raw[m.end() :] if m else raw
    if info.enhanced and body.startswith(info.enhanced):
        body = body[len(info.enhanced) :]
    body = _IN_REPLY.sub("", body).strip()
    return Reply(info.code, (body,), info.enhanced)
