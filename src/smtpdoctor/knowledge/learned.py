"""A reading learned from the corpus's words, for texts no rule recognises (issue 10).

    python -m smtpdoctor.knowledge.learned > /tmp/l.py
    cp /tmp/l.py src/smtpdoctor/knowledge/_learned.py

Two multinomial naive Bayes models over a text's words (unigrams and
bigrams of a normalised text: case-folded; addresses, hosts, IPs and URLs
masked, a URL's or host's name kept as a word; reply codes, enhanced codes
and other numbers as shape tokens such as ``550``, ``5xx``, ``5.7.1``,
``x.7.1``; Chinese, Japanese and Korean runs as character pairs; and each
word's character trigrams, for the inflections and compounds of other languages): one says
the category, the other the stage. They are trained on the tune split
only (``tests/data/replies/lines.jsonl`` rows whose split is ``tune``, and
every row of ``corpus.jsonl``, which is tuned on whole); a held-back row is
never read. The classifier asks them only where its rules found no cause
(category ``other``, read by no phrase), the stage only where the model read
the cause and the rules found no stage, and takes an answer only above a
confidence threshold chosen by leave-one-collection-out cross-validation on
the tune split (``bench/learned.py``). Bounces are read by the rules alone.

Training is deterministic: the same rows give the same ``_learned.py``, byte
for byte. It stores each kept token's counts per label (the tokens that occur in
at least ``MIN_DF`` training texts), from which the loader makes the weights:
log-likelihoods in hundredths; the scorer is a lookup and a sum. ``_learned.py`` loads only when
a text needs the fallback (a diagnose's cold path never imports it).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import sys
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, NamedTuple

from smtpdoctor import sidefile

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = ["Model", "Reading", "read", "read_taken", "render", "tokens", "train"]

# --- the text's tokens -------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<url>\b(?:https?|ftp)://(?P<urlhost>[^\s/<>\"')\]]*)[^\s<>\"')\]]*)"
    r"|(?P<addr>[\w.+=%'-]+@(?P<addrhost>[\w-]+(?:\.[\w-]+)+))"
    r"|(?P<ip4>\b\d{1,3}(?:\.\d{1,3}){3}\b)"
    r"|(?P<time>\b\d{1,2}:\d\d(?::\d\d)?\b)"
    r"|(?P<ip6>\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{1,4}\b)"
    r"|(?P<enh>\b[245]\.\d{1,3}\.\d{1,3}\b)"
    r"|(?P<host>\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b)"
    r"|(?P<code>\b[2-5]\d\d\b)"
    r"|(?P<num>\d+)"
    r"|(?P<cjk>[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+)"
    r"|(?P<word>[^\W\d_]+)"
)
# A host's or URL's name: the label before its top-level domain(s).
_SECOND_LEVEL = re.compile(r"([a-z0-9-]+)\.(?:(?:co|com|net|org|ac|gov|ne|or)\.)?[a-z]{2,}$")
MAX_CHARS = 4000
CHAR_WORD = 4  # words this long or longer also give their character trigrams


def _name_of(host: str) -> str | None:
    m = _SECOND_LEVEL.search(host.rstrip("."))
    return m.group(1) if m and not m.group(1).isdigit() else None


def _words(text: str) -> Iterator[str]:
    for m in _TOKEN.finditer(text[:MAX_CHARS].lower()):
        kind = m.lastgroup
        if kind == "word":
            yield m.group()
        elif kind == "code":
            code = m.group()
            yield code
            yield code[0] + "xx"
        elif kind == "enh":
            _, subject, detail = m.group().split(".")
            yield m.group()
            yield f"x.{subject}.{detail}"
        elif kind == "cjk":
            run = m.group()
            if len(run) == 1:
                yield run
            for i in range(len(run) - 1):
                yield run[i : i + 2]
        elif kind in {"url", "addr", "host"}:
            yield f"<{kind}>"
            name = _name_of(m.group(f"{kind}host") if kind != "host" else m.group())
            if name:
                yield name
        else:
            yield f"<{kind}>"


def tokens(text: str, category: str | None = None) -> tuple[str, ...]:
    """The features of ``text``: its words and shapes, each adjacent pair, and the
    character trigrams of each word of ``CHAR_WORD`` or more characters, once each (and
    the category, for the stage model)."""
    words = list(_words(text))
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    grams = [g for w in words if len(w) >= CHAR_WORD and w[0] != "<" for g in _grams(w)]
    cat = [f"<category {category}>"] if category else []
    return tuple(dict.fromkeys(words + pairs + grams + cat))


def _grams(word: str) -> Iterator[str]:
    """A word's character trigrams, its ends marked (``#^mai``, ``#ail``, ``#il$``): an
    inflected or compounded word shares them with its stem (``mailbox``, ``Mailboxen``)."""
    marked = f"^{word}$"
    for i in range(len(marked) - 2):
        yield "#" + marked[i : i + 3]


# --- the scorer ---------------------------------------------------------------------


class Model(NamedTuple):
    """One naive Bayes model, its log-probabilities in hundredths.

    A token's log-likelihood under a label is ``base`` (that of a token the
    label's texts never held) plus the token's entry for the label, stored only
    for the labels whose texts held it: ``weights[token]`` is a flat tuple of
    (label index, extra) pairs.
    """

    labels: tuple[str, ...]
    prior: tuple[int, ...]
    base: tuple[int, ...]
    weights: dict[str, tuple[int, ...]]
    threshold: float


class Reading(NamedTuple):
    """What a model reads in a text: the label, its confidence, the words that weighed most."""

    label: str
    confidence: float
    words: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The reading in an explanation's JSON (``learned``)."""
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "words": list(self.words),
        }


def _scores(toks: list[str], model: Model) -> list[int]:
    """Each label's score: its prior, ``base`` per token and each token's extras, summed
    by label in C (a token's extras as one entry per label, made at its first use: a
    folder's texts share most of their tokens)."""
    held = _DENSE.get(id(model))
    if held is None or held[0] is not model:
        held = _DENSE[id(model)] = (model, {})
    dense = held[1]
    rows = [dense.get(t) or _dense(dense, t, model) for t in toks]
    start = [p + len(toks) * b for p, b in zip(model.prior, model.base, strict=True)]
    return list(map(sum, zip(start, *rows, strict=True)))


def _dense(dense: dict[str, tuple[int, ...]], token: str, model: Model) -> tuple[int, ...]:
    """``token``'s extras as one entry per label (0 where it has none), kept in ``dense``."""
    row = [0] * len(model.labels)
    pairs = model.weights[token]
    for j in range(0, len(pairs), 2):
        row[pairs[j]] += pairs[j + 1]
    dense[token] = found = tuple(row)
    return found


# Per model (held, so its id stays its own): each token's extras by label (_dense).
_DENSE: dict[int, tuple[Model, dict[str, tuple[int, ...]]]] = {}


def _weight(model: Model, token: str, label: int) -> int:
    pairs = model.weights[token]
    extra = next((pairs[j + 1] for j in range(0, len(pairs), 2) if pairs[j] == label), 0)
    return model.base[label] + extra


def confidence(scores: list[int], best: int, n_tokens: int) -> float:
    """The best label's share of a softmax over the labels' scores, each scaled by
    ``TEMPERATURE`` per square root of the text's known tokens (naive Bayes adds one
    log-likelihood per token, so a long text's raw scores are too sure)."""
    top = scores[best]
    scale = 100 * TEMPERATURE * math.sqrt(max(n_tokens, 1))
    return 1 / sum(math.exp((s - top) / scale) for s in scores)


def read(text: str, model: Model, category: str | None = None) -> Reading:
    """The model's reading of ``text`` (its confidence a softmax over the labels);
    ``category``: the text's category, a token of the stage model's."""
    toks, scores, best = _label(text, model, category)
    return Reading(
        model.labels[best], confidence(scores, best, len(toks)), _pull(toks, scores, best, model)
    )


def read_taken(
    text: str,
    model: Model,
    category: str | None = None,
    *,
    refused: Iterable[str] = (),
    threshold: float | None = None,
) -> Reading | None:
    """:func:`read`'s reading where it is taken: a label not in ``refused`` read with at
    least ``threshold`` of confidence (default: the model's); None otherwise. (The words
    that weighed most, a sort over the text's tokens, are worked out only for a reading
    taken: a bounce folder asks some 260 texts and takes a handful.)"""
    toks, scores, best = _label(text, model, category)
    label = model.labels[best]
    sure = confidence(scores, best, len(toks))
    if label in refused or sure < (model.threshold if threshold is None else threshold):
        return None
    return Reading(label, sure, _pull(toks, scores, best, model))


def _label(text: str, model: Model, category: str | None) -> tuple[list[str], list[int], int]:
    """The text's known tokens, each label's score and the best label's index."""
    toks = [t for t in tokens(text, category) if t in model.weights]
    scores = _scores(toks, model)
    return toks, scores, max(range(len(scores)), key=lambda i: (scores[i], -i))


def _pull(toks: list[str], scores: list[int], best: int, model: Model) -> tuple[str, ...]:
    """The words that pulled most toward the label ``best``, against the runner-up's pull."""
    second = max((i for i in range(len(scores)) if i != best), key=lambda i: (scores[i], -i))
    pull = sorted(
        ((_weight(model, t, best) - _weight(model, t, second), t) for t in toks),
        key=lambda x: (-x[0], x[1]),
    )
    # (Words and pairs only: a masked shape or a trigram says nothing to a reader.)
    return tuple(t for gain, t in pull if gain > 0 and not t.startswith(("<", "#")))[:5]


_MODELS: dict[str, Model] = {}


def model(which: str) -> Model:
    """The stored model ``category`` or ``stage`` (``_learned.py``, loaded on first use)."""
    if not _MODELS:
        _MODELS.update(_load())
    return _MODELS[which]


def threshold(which: str) -> float:
    """The confidence a reading of model ``which`` needs to be taken."""
    return model(which).threshold


def use(models: dict[str, Model]) -> None:
    """Read with ``models`` from here on (the cross-validation's models per collection)."""
    _MODELS.clear()
    _MODELS.update(models)


# --- the trainer --------------------------------------------------------------------

ALPHA = 0.5  # Laplace smoothing
TEMPERATURE = 0.5  # (see confidence())
MIN_DF = 10  # a token kept occurs in at least this many training texts
# The thresholds chosen by bench/learned.py's leave-one-collection-out run on the tune split.
THRESHOLDS = {"category": 0.97, "stage": 0.8}
# (session 21) The category threshold where a bare reply code or a generic enhanced code
# read a cause (not where no cause was read): such causes were right 38 % of the time at
# first sight, and the model's reading there is taken from 0.85 on (bench/learned.py's
# leave-one-out and bench/learned_firstsight.py: docs/explain.md, "Session 21: learned5").
CODE_CAUSE_THRESHOLD = 0.85
FIELDS = ("category", "stage")


class Row(NamedTuple):
    """One training text with its labels, its source and collection (for leave-one-out)."""

    text: str
    category: str
    stage: str
    source: str
    collection: str | None


def _split_of(source: str) -> str:
    import hashlib  # noqa: PLC0415 - (~10 ms: OpenSSL) the trainer's, not a reading's

    return "held" if int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 4 == 0 else "tune"


def training_rows(root: Path) -> list[Row]:
    """The tune split's texts: lines.jsonl's tune rows and corpus.jsonl's rows.

    A row whose source URL hashes into the held-back split is skipped whatever
    its ``split`` field says, so no held-back text can reach the model.
    """
    out: list[Row] = []
    data = root / "tests" / "data" / "replies"
    for name in ("lines.jsonl", "corpus.jsonl"):
        for line in (data / name).read_text("utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("split", "tune") != "tune" or _split_of(r["source"]) != "tune":
                continue
            out.append(Row(r["text"], r["category"], r["stage"], r["source"], r.get("collection")))
    return out


class Counts(NamedTuple):
    """The counts a model is made from; leave-one-out subtracts a group's."""

    docs: Counter[str]  # texts per label
    tokens: dict[str, Counter[str]]  # per label: texts holding each token
    df: Counter[str]  # texts holding each token


def count(rows: Iterable[tuple[tuple[str, ...], str]]) -> Counts:
    """Counts of (tokens, label) pairs."""
    docs: Counter[str] = Counter()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    df: Counter[str] = Counter()
    for toks, label in rows:
        docs[label] += 1
        per[label].update(toks)
        df.update(toks)
    return Counts(docs, dict(per), df)


def minus(a: Counts, b: Counts) -> Counts:
    """``a`` without ``b``'s texts."""
    per = {k: v - b.tokens.get(k, Counter()) for k, v in a.tokens.items()}
    return Counts(a.docs - b.docs, per, a.df - b.df)


def train(counts: Counts, threshold: float, min_df: int = MIN_DF) -> Model:
    """A naive Bayes model from counts (log-probabilities in hundredths).

    log P(t | k) = log(n + a) - log(d_k) = base_k + extra(n), base_k = log(a / d_k),
    extra(n) = log((n + a) / a): a token's entries depend on its own counts only.
    """
    labels = tuple(sorted(k for k, v in counts.docs.items() if v > 0))
    vocab = sorted(t for t, n in counts.df.items() if n >= min_df)
    weights = {t: token_weights(counts, labels, t) for t in vocab}
    return Model(labels, *_base(counts, labels, vocab), weights, threshold)


def _base(
    counts: Counts, labels: tuple[str, ...], vocab: Iterable[str]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The log priors and each label's base (a token its texts never held)."""
    kept = set(vocab)
    n_docs = sum(counts.docs[k] for k in labels)
    prior = tuple(round(100 * math.log(counts.docs[k] / n_docs)) for k in labels)
    base = tuple(
        round(
            100
            * math.log(
                ALPHA
                / (sum(n for t, n in counts.tokens[k].items() if t in kept) + ALPHA * len(kept))
            )
        )
        for k in labels
    )
    return prior, base


def token_weights(counts: Counts, labels: tuple[str, ...], token: str) -> tuple[int, ...]:
    """The (label index, extra) pairs of ``token``: the labels whose texts held it."""
    pairs: list[int] = []
    for i, k in enumerate(labels):
        n = counts.tokens[k][token]
        if n:
            pairs += [i, _extra(n)]
    return tuple(pairs)


def labelled(rows: list[Row], field: str) -> list[tuple[tuple[str, ...], str]]:
    """Each row's tokens and its label for model ``field`` (the stage model also
    reads the row's category)."""
    if field == "category":
        return [(tokens(r.text), r.category) for r in rows]
    return [(tokens(r.text, r.category), r.stage) for r in rows]


def models_of(rows: list[Row]) -> dict[str, Model]:
    """The two models from the training rows."""
    return {f: train(count(labelled(rows, f)), THRESHOLDS[f]) for f in FIELDS}


def _extra(n: int) -> int:
    """A token's entry for a label whose texts held it ``n`` times (train())."""
    return round(100 * math.log((n + ALPHA) / ALPHA))


def render(root: Path) -> str:
    """The ``_learned`` module's text, from the tune rows under ``root``: each
    model's labels, priors, bases and threshold, and one table of the tokens with
    both models' counts, a string each (``"g3l12"``: label 6 held it in 3 texts,
    label 11 in 12; ``""`` where that model does not keep the token): the loader
    makes the entries from the counts (``_extra``), as train() does."""
    rows = training_rows(root)
    counted = {f: count(labelled(rows, f)) for f in FIELDS}
    models = {f: train(counted[f], THRESHOLDS[f]) for f in FIELDS}
    out = [
        '"""The learned fallback\'s weights (generated: python -m '
        'smtpdoctor.knowledge.learned)."""',
        "",
        "# fmt: off",
        "# ruff: noqa: E501",
        f"# From {len(rows)} tune texts; held-back rows are never read.",
        "HEADS = {",
    ]
    for name, m in models.items():
        out.append(f"    {name!r}: ({m.labels!r}, {m.prior!r}, {m.base!r}, {m.threshold!r}),")
    out += ["}", "TOKENS = {"]

    def held(f: str, t: str) -> str:
        m, per = models[f], counted[f].tokens
        if t not in m.weights:
            return ""
        return "".join(f"{chr(97 + i)}{per[k][t]}" for i, k in enumerate(m.labels) if per[k][t])

    for t in sorted(models["category"].weights.keys() | models["stage"].weights.keys()):
        out.append(f"    {t!r}: ({held('category', t)!r}, {held('stage', t)!r}),")
    out += ["}", ""]
    return "\n".join(out)


_HELD = re.compile(r"([a-z])(\d+)")


def _load() -> dict[str, Model]:
    """The stored models: as :func:`_build` makes them from ``_learned.py``, kept beside
    the bytecode between runs (``sidefile``: a marshal file stamped with this module's
    and ``_learned.py``'s path, modification time and size, read only under that stamp;
    written under Python's own rule, never with ``PYTHONDONTWRITEBYTECODE``). Importing
    ``_learned`` and making the entries from its counts took ~25 ms, the file ~2 ms."""
    here = os.path.dirname(os.path.abspath(__file__))
    stamp = sidefile.sources([os.path.abspath(__file__), os.path.join(here, "_learned.py")])
    path = sidefile.beside(globals().get("__cached__"), "_learned.{tag}.marshal")
    stored = sidefile.read(path, stamp) if stamp is not None else None
    if stored is not None:
        return {name: Model(*fields) for name, *fields in stored[0]}
    models = _build()
    if path is not None and stamp is not None and not sys.dont_write_bytecode:
        sidefile.write(path, stamp, tuple((name, *m) for name, m in models.items()))
    return models


def _build() -> dict[str, Model]:
    """The models from ``_learned.py``'s counts (each entry made as :func:`train` does)."""
    from smtpdoctor.knowledge import _learned  # noqa: PLC0415 - only when a text needs it

    extra: dict[str, int] = {}
    tables: tuple[dict[str, tuple[int, ...]], ...] = ({}, {})
    for token, entries in _learned.TOKENS.items():
        for table, held in zip(tables, entries, strict=True):
            if held:
                pairs: list[int] = []
                for label, n in _HELD.findall(held):
                    if n not in extra:
                        extra[n] = _extra(int(n))
                    pairs += (ord(label) - 97, extra[n])
                table[token] = tuple(pairs)
    return {
        name: Model(labels, prior, base, table, threshold)
        for (name, (labels, prior, base, threshold)), table in zip(
            _learned.HEADS.items(), tables, strict=True
        )
    }


def _root() -> Path:
    from pathlib import Path  # noqa: PLC0415 - the trainer's, not a reading's

    return Path(__file__).resolve().parents[3]


if __name__ == "__main__":
    from pathlib import Path

    args: list[Any] = sys.argv[1:]
    sys.stdout.write(render(Path(args[0]) if args else _root()))
