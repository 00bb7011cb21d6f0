"""The learned fallback judged at first sight: on tune rows the rules had never seen.

``bench/firstsight.py`` reads every tune row of ``lines.jsonl`` with the engine of the
commit before the one that added it (its cache under ``/tmp/firstsight``; held-back rows
are dropped there before anything of them is read). This bench takes the rows whose
first-sight *rules* reading (the fallback's own reading set aside) left the category open
to the fallback, as ``classifier.learned_may_read`` does today: no cause read (category
``other`` from nothing, from words that say only that delivery failed, or from a code
alone), or a cause read from a bare reply code or a generic enhanced code with no stage
stated. For each such row the category model is trained on today's tune texts **without
the row's collection** (bench/generalise.py's grouping, ``bench/learned.py``'s
``Training``) and reads the text; where it is sure (a label other than ``ok``/``other`` at
the threshold) its label replaces the rules' one. The tally says, per kind of deciding
evidence, how often it fired, how often it was right there, and the net rows gained
against the first-sight rules. Each row is judged by its label today (the conventions
relabelled some), and a row whose text no longer stands among the tune rows is left out.

Ideas measured (docs/explain.md, "Session 21: learned5"):

* ``--thresholds=0.9,0.97,shipped``: category thresholds (each applied to every kind;
  ``shipped``: the classifier's, ``CODE_CAUSE_THRESHOLD`` where a code alone read a
  cause, ``THRESHOLDS["category"]`` elsewhere); the per-kind tally shows what a
  threshold per kind of evidence would give.
* ``--patterns[=strict]``: every table pattern's literal words as one more training
  text of the category model, labelled with the pattern's category
  (``bench/learned.py``'s ``pattern_rows``, ``with_patterns``); a pattern that only the left-out
  group's tune texts match (``rule_groups``: lines, corpus.jsonl, tune bounces) is left
  out with it, as ``loco`` switches such a rule off (``strict``: every pattern that any
  of the group's texts matches: it may have been written from them).
* ``--code-prior=A``: each label's score plus ``A`` times log P(label | the text's reply
  code class, 4xx or 5xx), counted over the training texts (none where the text holds no
  code, or both classes).
* ``--min-df=N``, ``--temperature=T``: the trainer's settings.

Usage: PYTHONPATH=src python bench/learned_firstsight.py [--thresholds=...]
       [--patterns[=strict]] [--code-prior=0.5] [--min-df=10] [--temperature=0.5] [-v]

The support of each rule (which groups' texts it matches) is counted once and kept in
``/tmp/learned_firstsight_support.pickle`` (delete it after a rule change).
"""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import firstsight as F
import generalise as G
from learned import Training, rule_groups, with_patterns

from smtpdoctor.knowledge import learned as L

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = Path("/tmp/learned_firstsight_support.pickle")
CODE_IDS = ("reply:", "enhanced:", "microsoft:")


def support() -> dict[str, set[str]]:
    """Each rule's groups (``rule_groups``), counted once and kept."""
    if SUPPORT.exists():
        return pickle.loads(SUPPORT.read_bytes())  # type: ignore[no-any-return]
    _, sup = rule_groups()
    SUPPORT.write_bytes(pickle.dumps(dict(sup)))
    return dict(sup)


def open_kind(rec: dict[str, Any]) -> str | None:
    """The kind of evidence that left the first-sight rules' category open to the
    fallback (``classifier.learned_may_read``), or None where it was closed."""
    rules = rec.get("rules", rec)
    category = rules["category"]
    first = rules["matched"][0] if rules["matched"] else ""
    if category == "ok":
        return None
    if category == "other" and (not first or first == rec.get("failure_said")):
        return "nothing"
    if category == "other" and first.startswith(CODE_IDS):
        return "code, no cause"
    generic = first.startswith(("enhanced:", "microsoft:")) and (rec["enhanced"] or "").endswith(
        ".0"
    )
    if (first.startswith("reply:") or generic) and not rec.get("stage_phrase"):
        return "code, a cause"
    return None


def _threshold(th: str, kind: str) -> float:
    if th != "shipped":
        return float(th)
    return L.CODE_CAUSE_THRESHOLD if kind == "code, a cause" else L.THRESHOLDS["category"]


def code_class(toks: list[str]) -> str | None:
    classes = {t for t in toks if t in {"4xx", "5xx"}}
    return classes.pop() if len(classes) == 1 else None


def training_with(patterns: str, min_df: int) -> Training:
    """The training texts counted once (``--patterns[=strict]``: with the tables' words)."""
    training = Training(L.training_rows(ROOT), min_df)
    if patterns:
        with_patterns(training, support(), patterns)
    return training


def readings(
    records: list[tuple[dict[str, Any], dict[str, Any], str, str]],
    training: Training,
    prior_a: float,
) -> list[tuple[dict[str, Any], dict[str, Any], str, str, float]]:
    """Each open row read by the category model trained without its group:
    (record, today's row, kind, label, confidence)."""
    # P(label | code class) over the training texts (``--code-prior``)
    by_class: dict[str, Counter[str]] = defaultdict(Counter)
    for toks, label in training.feats["category"]:
        cls = code_class(list(toks))
        if cls:
            by_class[cls][label] += 1
    out = []
    for g in sorted({g for *_, g in records}):
        model = training.models_without(g)["category"]
        for rec, row, kind, _ in (x for x in records if x[3] == g):
            toks, scores, _ = L._label(rec["text"], model, None)
            cls = code_class(toks) if prior_a else None
            if cls:
                n = sum(by_class[cls].values())
                scores = [
                    s + round(100 * prior_a * math.log((by_class[cls][k] + 0.5) / (n + 0.5)))
                    for s, k in zip(scores, model.labels, strict=True)
                ]
            best = max(range(len(scores)), key=lambda i: (scores[i], -i))
            sure = L.confidence(scores, best, len(toks))
            out.append((rec, row, kind, model.labels[best], sure))
    return out


def report(reads: list[Any], th: str, verbose: bool) -> None:
    """One threshold's tally, per kind of deciding evidence."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for rec, row, kind, label, sure in reads:
        t = tally[kind]
        before = rec.get("rules", rec)["category"]
        fired = label not in {"ok", "other"} and sure >= _threshold(th, kind)
        after = label if fired else before
        t[0] += 1
        t[1] += before == row["category"]
        t[2] += fired
        t[3] += fired and label == row["category"]
        t[4] += after == row["category"]
        if verbose and fired and label != row["category"]:
            print(f"  WRONG [{kind}] {row['category']} -> {label} {sure:.3f} "
                  f"(rules {before}) | {rec['text'][:100]!r}")  # fmt: skip
    parts = [
        f"{k}: {n} rows, rules {b}, fired {f} right {r}, net {a - b:+d}"
        for k, (n, b, f, r, a) in sorted(tally.items())
    ]
    net = sum(a - b for _, b, _, _, a in tally.values())
    print(f"threshold {th}: net {net:+d} | " + " | ".join(parts))


def main() -> None:
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    # ("shipped": the classifier's own: a cause a code alone read at CODE_CAUSE_THRESHOLD)
    thresholds = args.get("thresholds", "0.8,0.9,0.95,0.97,0.99,shipped").split(",")
    L.TEMPERATURE = float(args.get("temperature", L.TEMPERATURE))
    patterns = args.get("patterns", "plain" if "--patterns" in sys.argv else "")

    today = {r["text"]: r for r in G.tune_lines()}
    records = []
    for rec in F.first_sight():
        row, kind = today.get(rec["text"]), open_kind(rec)
        if row is not None and kind is not None:
            records.append((rec, row, kind, G.group_of(row)))
    print(f"first-sight rows open to the fallback: {len(records)} "
          f"({Counter(k for _, _, k, _ in records)})")  # fmt: skip
    training = training_with(patterns, int(args.get("min-df", L.MIN_DF)))
    reads = readings(records, training, float(args.get("code-prior", 0)))
    for th in thresholds:
        report(reads, th, "-v" in sys.argv and th == thresholds[-1])


if __name__ == "__main__":
    main()
