"""The learned fallback (knowledge/learned.py) judged by leave-one-collection-out, tune split only.

For each collection (bench/generalise.py's grouping: the row's collection, else its
source repository or host) the two models are trained on every other collection's
tune texts, and the collection's own rules are switched off as generalise.py's ``loco``
does (the patterns and stage phrases no other tune group used); its tune rows are then
read by the rules and, where the rules found no cause or no stage, by the models. So
neither the rules nor the model have seen the collection: the figure is the honest
estimate of what the held-back split sees. It never reads a held-back row.

Usage: PYTHONPATH=src python bench/learned.py [--thresholds=0.9,0.99]
       [--stage-thresholds=0.8,0.9] [--min-df=2] [--char-word=4] [--with-bounces] [-v]
       [--kind-thresholds=nothing:0.97,code:0.97,cause:0.85] [--patterns[=strict]]
       PYTHONPATH=src python bench/learned.py --cost

Prints, per threshold: how often the fallback fires (category, stage), its accuracy
where it fires, and the net gain in rows right against the rules alone. The stage's
threshold is the category's unless ``--stage-thresholds`` gives others (each paired
with each category threshold). ``--char-word=N``: character trigrams of words of N
characters or more (0: none). ``--with-bounces``: also train on the tune bounces'
deciding texts (the text ``classify_best`` chose in each tune bounce, labelled with the
row's category and stage; a bounce file is read only when every row of it hashes
into the tune split), each in its source's group (measured worse: docs/explain.md).
``--kind-thresholds``: the category threshold by why the category is open (``open_kind``:
no cause read from ``nothing``, none read from a ``code``, a ``cause`` a code alone read;
the shipped gate's ``cause`` threshold by default); each threshold's line also gives
the net rows per kind. ``--patterns[=strict]``: the category model also learns each
table pattern's literal words (``pattern_rows``; measured, not taken: docs/explain.md,
"Session 21: learned5").
"""

from __future__ import annotations

import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generalise as G

from smtpdoctor.diagnosis import classifier
from smtpdoctor.knowledge import PATTERNS
from smtpdoctor.knowledge import learned as L

ROOT = Path(__file__).resolve().parents[1]
# --stage-anywhere: the stage read wherever the rules found none and some evidence (not only
# where the model read the cause, as the classifier does): measured worse (docs/explain.md)
CAUSE_ONLY = "--stage-anywhere" not in sys.argv
# --stage-cause: the stage also read where a rule read the cause but found no stage (none
# stated, none given), not only where the model read the cause
STAGE_CAUSE = any(a.startswith("--stage-cause") for a in sys.argv)
CAUSE_TH = 2.0  # --stage-cause=0.99: its threshold (the stage model's own by default)
# --kind-thresholds=nothing:0.9,code:0.9,cause:0.8: the category threshold per open_kind()
# (the shipped gate: a cause a code alone read is taken over at CODE_CAUSE_THRESHOLD)
KIND_TH: dict[str, float] = {"cause": L.CODE_CAUSE_THRESHOLD}


def loco_model(
    full: L.Counts, whole: L.Model, totals: dict[str, int], gone: L.Counts, min_df: int
) -> L.Model:
    """The model of ``full`` without ``gone``'s texts: only their tokens' entries
    change (``whole``: the model of ``full``), and each label's base."""
    left = L.minus(full, gone)
    labels = tuple(sorted(k for k, v in left.docs.items() if v > 0))
    same = labels == whole.labels
    weights: dict[str, tuple[int, ...]] = {}
    for t in whole.weights:
        if t in gone.df or not same:
            if left.df[t] >= min_df:
                weights[t] = L.token_weights(left, labels, t)
        else:
            weights[t] = whole.weights[t]
    n_docs = sum(left.docs[k] for k in labels)
    prior = tuple(round(100 * math.log(left.docs[k] / n_docs)) for k in labels)
    base = []
    for k in labels:
        total = sum(full.tokens[k][t] for t in whole.weights) if not same else totals[k]
        total -= sum(
            full.tokens[k][t] - (left.tokens[k][t] if t in weights else 0)
            for t in gone.df
            if t in whole.weights
        )
        base.append(round(100 * math.log(L.ALPHA / (total + L.ALPHA * len(weights)))))
    return L.Model(labels, prior, tuple(base), weights, 0.0)


class Training:
    """The training texts counted once, each one's group, and what loco_model needs."""

    def __init__(self, rows: list[L.Row], min_df: int) -> None:
        self.rows = rows
        self.group = [G.group_of({"collection": r.collection, "source": r.source}) for r in rows]
        self.by_group: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(self.group):
            self.by_group[g].append(i)
        self.feats = {f: L.labelled(rows, f) for f in L.FIELDS}
        self.full = {f: L.count(self.feats[f]) for f in L.FIELDS}
        self.whole = {f: L.train(self.full[f], 0.0, min_df) for f in L.FIELDS}
        self.totals = {
            f: {k: sum(self.full[f].tokens[k][t] for t in m.weights) for k in m.labels}
            for f, m in self.whole.items()
        }
        self.min_df = min_df
        # (--patterns: the category model's extra texts that leave with each group)
        self.extra_by_group: dict[str, list[int]] = {}

    def models_without(self, g: str) -> dict[str, L.Model]:
        """Both models trained without group ``g``'s texts."""
        gone = self.by_group.get(g, [])
        extra = self.extra_by_group.get(g, [])
        return {
            f: loco_model(
                self.full[f],
                self.whole[f],
                self.totals[f],
                L.count(self.feats[f][i] for i in (gone + extra if f == "category" else gone)),
                self.min_df,
            )
            for f in L.FIELDS
        }


def rule_groups() -> tuple[dict[str, list[dict[str, Any]]], dict[str, set[str]]]:
    """The tune lines by group, and each rule's groups (lines, corpus.jsonl, tune bounces):
    a rule only one group uses is switched off for it (generalise.py's ``loco``)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    support: dict[str, set[str]] = defaultdict(set)
    for r in G.tune_lines():
        groups[G.group_of(r)].append(r)
        for rule in classifier.classify(r["text"], learned=False).matched:
            support[rule].add(G.group_of(r))
    for r in G._rows("tests/data/replies/corpus.jsonl"):
        for rule in classifier.classify(r["text"], learned=False).matched:
            support[rule].add(G.group_of(r) + "#corpus")
    for rule in G.bounce_rules():
        support[rule].add("#bounces")
    return groups, support


def main() -> None:
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    thresholds = [
        float(x) for x in args.get("thresholds", "0.5,0.8,0.9,0.95,0.99,0.999").split(",")
    ]
    stage_ths = (
        [float(x) for x in args["stage-thresholds"].split(",")]
        if "stage-thresholds" in args
        else None
    )
    global CAUSE_TH  # noqa: PLW0603 - one measurement's setting
    CAUSE_TH = float(args.get("stage-cause", L.THRESHOLDS["stage"]))
    min_df = int(args.get("min-df", L.MIN_DF))
    if "kind-thresholds" in args:  # (given empty: every kind at the category threshold)
        KIND_TH.clear()
        kinds = (x.split(":") for x in args["kind-thresholds"].split(",") if x)
        KIND_TH.update((k, float(v)) for k, v in kinds)
    L.CHAR_WORD = int(args.get("char-word", L.CHAR_WORD)) or 10**6
    verbose = "-v" in sys.argv

    train_rows = L.training_rows(ROOT) + (_bounce_texts() if "--with-bounces" in sys.argv else [])
    training = Training(train_rows, min_df)
    groups, support = rule_groups()
    if "patterns" in args or "--patterns" in sys.argv:
        with_patterns(training, support, args.get("patterns", ""))

    temps = [float(x) for x in args.get("temperatures", str(L.TEMPERATURE)).split(",")]
    # (row, rules' reading, {temperature: (category reading, {category: stage reading})})
    records = []
    dumped: list[dict[str, Any]] = []
    for g, rs in sorted(groups.items()):
        models = training.models_without(g)
        G.use(frozenset(rule for rule, gs in support.items() if gs == {g}))
        for r in rs:
            rule = classifier.classify(r["text"], learned=False)
            oc, os_ = classifier.learned_may_read(rule, None)
            sc = STAGE_CAUSE and _cause_without_stage(rule)
            reads = {t: _readings(rule, models, t, oc=oc, os_=os_, sc=sc) for t in temps}
            records.append((r, rule, reads))
            if "dump" in args:
                dumped.append({"group": g, "category": r["category"], "stage": r["stage"],
                               "rule_category": rule.category.value, "rule_stage": rule.stage.value,
                               "open_category": oc, "open_stage": os_, "cause_stage": sc,
                               "tokens": L.tokens(rule.text)})  # fmt: skip
    G.use(frozenset())
    if "dump" in args:
        import json  # noqa: PLC0415 - only for this variant

        train = [{"group": g, "category": r.category, "stage": r.stage, "tokens": L.tokens(r.text)}
                 for g, r in zip(training.group, train_rows, strict=True)]  # fmt: skip
        Path(args["dump"]).write_text(json.dumps({"train": train, "records": dumped}), "utf-8")

    n = len(records)
    rule_cat = sum(rule.category.value == r["category"] for r, rule, _ in records)
    rule_st = sum(rule.stage.value == r["stage"] for r, rule, _ in records)
    print(f"rules alone (loco): {n} tune rows, category {rule_cat}, stage {rule_st}")
    for t in temps:
        for th in thresholds:
            for ts in stage_ths or [th]:
                _report(records, t, th, ts, verbose and th == thresholds[-1])


_OPERATORS = re.compile(r"\\[bBsSdDwW]|\[[^\]]*\]|\(\?[:!=<]*|[()|?*+{}^$]|\\")


def pattern_text(source: str) -> str:
    """A table regex's literal words: its operators and character classes taken out
    (``\\bmailbox (?:is )?full\\b`` gives ``mailbox is full``)."""
    return " ".join(_OPERATORS.sub(" ", source).split())


def pattern_rows() -> list[tuple[L.Row, str]]:
    """Each table pattern's literal words as a training text of the category model, with
    the pattern's id (``--patterns``: the words the rules know, each with its cause, might
    reach texts that hold them where no pattern matches; measured, not taken)."""
    out = []
    for p in PATTERNS:
        text = pattern_text(p.regex.pattern)
        if text:
            out.append((L.Row(text, p.category.value, "none", f"pattern:{p.id}", None), p.id))
    return out


def with_patterns(training: Training, support: dict[str, set[str]], how: str) -> None:
    """``--patterns[=strict]``: the category model also learns each table pattern's
    literal words (``pattern_rows``); a pattern only the left-out group's texts
    match (``strict``: any of them) is left out with the group."""
    extra = pattern_rows()
    start = len(training.rows)
    training.rows = training.rows + [r for r, _ in extra]
    cat = training.feats["category"] + L.labelled([r for r, _ in extra], "category")
    training.feats["category"] = cat
    training.full["category"] = L.count(cat)
    training.whole["category"] = m = L.train(training.full["category"], 0.0, training.min_df)
    training.totals["category"] = {
        k: sum(training.full["category"].tokens[k][t] for t in m.weights) for k in m.labels
    }
    training.extra_by_group = defaultdict(list)
    for i, (_, ident) in enumerate(extra):
        gs = support.get(ident, set())
        for g in gs if how == "strict" or len(gs) == 1 else ():
            training.extra_by_group[g].append(start + i)


def _readings(
    rule: Any, models: dict[str, L.Model], t: float, *, oc: bool, os_: bool, sc: bool
) -> tuple[L.Reading | None, dict[str, L.Reading]]:
    """The models' readings of one row at temperature ``t``: the category where it is open,
    the stage for each category it may end with where the stage is open."""
    L.TEMPERATURE = t
    cat = L.read(rule.text, models["category"]) if oc else None
    st = {}
    if os_:
        for k in {rule.category.value, cat.label if cat else rule.category.value}:
            st[k] = L.read(rule.text, models["stage"], k)
    if sc:
        st[rule.category.value] = L.read(rule.text, models["stage"], rule.category.value)
    return cat, st


def _cause_without_stage(rule: Any) -> bool:
    """A rule read the cause (not ``ok``, not ``other``) but no stage, and none was stated."""
    return (
        rule.category.value not in {"ok", "other"}
        and rule.stage.value == "none"
        and bool(rule.text)
        and not rule.evidence.get("stage_stated")
    )


def _bounce_texts() -> list[L.Row]:
    """The tune bounces' deciding texts (``--with-bounces``), never a held-back file's."""
    from smtpdoctor.cli.explain import explain_files  # noqa: PLC0415 - only for this variant

    rows = G._rows("tests/data/replies/bounces.jsonl")
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    files = sorted(
        f
        for f, rs in by_file.items()
        if all(r.get("split") == "tune" and L._split_of(r["source"]) == "tune" for r in rs)
    )
    got: dict[str, list[Any]] = defaultdict(list)
    for item, c in explain_files([str(ROOT / f) for f in files]):
        got[str(Path(item.origin["source"]).relative_to(ROOT))].append((item, c))
    out = []
    for f in files:
        for row in by_file[f]:
            mine = [
                x
                for x in got[f]
                if (x[0].origin.get("recipient") or "").lower() == row["recipient"]
            ]
            if not mine and (len(got[f]) == 1 or all(x[0].nature for x in got[f])):
                mine = got[f][:1]
            if mine and not mine[0][0].nature:
                text = mine[0][1].text
                out.append(L.Row(text, row["category"], row["stage"], row["source"], None))
    return out


def _report(records: list[Any], t: float, th: float, ts: float, verbose: bool) -> None:
    # fired / right where the rules were wrong (a gain each) and where they were right (a loss)
    n = len(records)
    tally = {
        f: [0, 0, 0, 0, 0] for f in (*L.FIELDS, "cause")
    }  # open&wrong, fired, right; open&right, fired
    tot = dict.fromkeys(L.FIELDS, 0)
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # open, rules right, after
    for r, rule, reads in records:
        cat, st = reads[t]
        category = rule.category.value
        if cat is not None:
            kind = open_kind(rule)
            category = _tally(
                tally["category"], r, "category", category, cat,
                th=KIND_TH.get(kind, th), verbose=verbose,
            )  # fmt: skip
            k = kinds[kind]
            k[0] += 1
            k[1] += rule.category.value == r["category"]
            k[2] += category == r["category"]
        tot["category"] += category == r["category"]
        stage = rule.stage.value
        learned_cause = category != rule.category.value
        rule_cause = STAGE_CAUSE and not learned_cause and _cause_without_stage(rule)
        if st and rule_cause:
            stage = _tally(
                tally["cause"], r, "stage", stage, st[category], th=CAUSE_TH, verbose=verbose
            )
        elif st and (learned_cause if CAUSE_ONLY else rule.matched or learned_cause):
            stage = _tally(tally["stage"], r, "stage", stage, st[category], th=ts, verbose=verbose)
        tot["stage"] += stage == r["stage"]
    out = []
    for f in (*L.FIELDS, "cause"):
        ow, fw, right, orr, fr = tally[f]
        out.append(
            f"{f}: {tot.get(f, '-')}/{n}; open where the rules were wrong {ow}, fired {fw}, "
            f"right {right}; open where right {orr}, fired {fr}"
        )
    print(f"T={t} threshold {th} (stage {ts}): " + " | ".join(out))
    print("  category by kind: " + ", ".join(
        f"{k} {n} open, rules {b}, net {a - b:+d}" for k, (n, b, a) in sorted(kinds.items())
    ))  # fmt: skip


def open_kind(rule: Any) -> str:
    """Why the category is open to the fallback: ``nothing`` read (or words that say only
    that delivery failed), a ``code`` read no cause, or a code alone read a ``cause``."""
    if rule.category.value != "other":
        return "cause"
    first = rule.matched[0] if rule.matched else ""
    return "code" if first.startswith(("reply:", "enhanced:", "microsoft:")) else "nothing"


def _tally(
    tally: list[int], row: dict[str, Any], field: str, before: str, got: L.Reading,
    *, th: float, verbose: bool,
) -> str:  # fmt: skip
    """Count one open row (fired or not, right or not) and return the label it ends with."""
    wrong = before != row[field]
    tally[0 if wrong else 3] += 1
    if got.label in {"ok", "other", "none"} or got.confidence < th:
        return before
    tally[1 if wrong else 4] += 1
    tally[2] += got.label == row[field]
    if verbose and got.label != row[field]:
        print(f"  WRONG {field} {row[field]} -> {got.label} {got.confidence:.3f} | "
              f"{row['text'][:110]!r}")  # fmt: skip
    return got.label


def cost() -> None:
    """``--cost``: CPU time to import ``_learned``, build the tables, and read a text (ms)."""
    import importlib  # noqa: PLC0415 - only for this measure
    import time  # noqa: PLC0415

    import smtpdoctor.knowledge  # noqa: F401, PLC0415 - the package's own import apart

    t0 = time.process_time()
    importlib.import_module("smtpdoctor.knowledge._learned")
    t1 = time.process_time()
    m = L.model("category")
    t2 = time.process_time()
    texts = [
        "That user account is closed and its mailbox is gone",
        "Poruka je prevelika (Maksimalna veličina je 10.0 MB)",
        "451 4.5.7  try again after some time",
    ]
    for text in texts:
        L.read(text, m)  # (the first: a stored model parses its tokens' counts on first use)
    t3 = time.process_time()
    for _ in range(1000):
        for text in texts:
            L.read(text, m)
    t4 = time.process_time()
    print(
        f"import _learned {1000 * (t1 - t0):.1f} ms, build the tables {1000 * (t2 - t1):.1f} ms, "
        f"first reading {1000 * (t3 - t2) / 3:.3f} ms, one reading {(t4 - t3) / 3:.3f} ms"
    )


if __name__ == "__main__":
    cost() if "--cost" in sys.argv else main()
