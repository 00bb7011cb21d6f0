"""Session 17's ideas for the learned fallback, judged by leave one collection out (tune only).

The same leave-one-collection-out as bench/learned.py (each collection's tune rows read by
rules with its own rules off and by models trained without its texts; never a held-back
row), but every row is read by the models, not only the rows the shipped fallback may read,
and each row's nearest training texts are found, so that one run can score:

* ``override``: where the rules' cause came from weak evidence only (its rank, as
  ``classifier.evidence_rank`` grades it: a bare reply code or a generic enhanced code,
  a generic pattern, a precise enhanced code) and the category model is sure of another
  cause, the model's cause;
* ``stage``: a stage where none was read: the one a cause is (almost) always judged at
  in the training rows, or the stage model's at a confidence;
* ``fallback``: the shipped fallback at lower thresholds, alone or where the nearest
  training texts (TF-IDF cosine over the same tokens) agree with it.

Usage: PYTHONPATH=src python bench/learned_ideas.py [--collect] [-v]

``--collect`` reads the rows (~2 min) into /tmp/learned_ideas.pickle; without it the
tables are made from that file (seconds). ``-v`` prints the tune rows each idea changes.
"""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generalise as G
import learned as B

from smtpdoctor.diagnosis import classifier
from smtpdoctor.knowledge import learned as L

CACHE = Path("/tmp/learned_ideas.pickle")
K = 10  # nearest training texts kept per row
COMMON = 0.2  # tokens in more than this share of the training texts are left out of the cosine


def _read(text: str, model: L.Model, category: str | None = None) -> tuple[str, float]:
    toks, scores, best = L._label(text, model, category)
    return model.labels[best], L.confidence(scores, best, len(toks))


class Index:
    """The training texts' tokens as idf-weighed vectors, for the cosine to a row's. (The
    idf is counted over every training text, the left-out group's too: it reads no label;
    the neighbours themselves are never the left-out group's.)"""

    def __init__(self, docs: list[tuple[str, ...]]) -> None:
        df = Counter(t for d in docs for t in d)
        n = len(docs)
        self.idf = {t: math.log(n / k) for t, k in df.items() if k <= COMMON * n}
        kept = [[t for t in d if t in self.idf] for d in docs]
        self.norm = [math.sqrt(sum(self.idf[t] ** 2 for t in d)) or 1.0 for d in kept]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for j, d in enumerate(kept):
            for t in d:
                self.postings[t].append(j)

    def nearest(self, toks: tuple[str, ...], out: set[int]) -> list[tuple[float, int]]:
        """The ``K`` training texts nearest ``toks`` (cosine, index), none of ``out``."""
        q = [t for t in toks if t in self.idf]
        qn = math.sqrt(sum(self.idf[t] ** 2 for t in q)) or 1.0
        sims: dict[int, float] = defaultdict(float)
        for t in q:
            w = self.idf[t] ** 2
            for j in self.postings[t]:
                if j not in out:
                    sims[j] += w
        return sorted(((x / qn / self.norm[j], j) for j, x in sims.items()), reverse=True)[:K]


def collect() -> dict[str, Any]:
    training = B.Training(L.training_rows(B.ROOT), L.MIN_DF)
    index = Index([toks for toks, _ in training.feats["category"]])
    groups, support = B.rule_groups()

    records = []
    for g, rs in sorted(groups.items()):
        models = training.models_without(g)
        G.use(frozenset(rule for rule, gs in support.items() if gs == {g}))
        out = set(training.by_group.get(g, []))
        for r in rs:
            rule = classifier.classify(r["text"], learned=False)
            oc, os_ = classifier.learned_may_read(rule, None)
            cat = _read(rule.text, models["category"]) if rule.text else ("other", 0.0)
            stages = {
                k: _read(rule.text, models["stage"], k)
                for k in {rule.category.value, cat[0]}
                if rule.text
            }
            near = index.nearest(L.tokens(rule.text), out)
            records.append({
                "group": g, "text": r["text"], "category": r["category"], "stage": r["stage"],
                "rule_category": rule.category.value, "rule_stage": rule.stage.value,
                "first": rule.matched[0] if rule.matched else "",
                "rank": classifier.evidence_rank(rule),
                "stated": bool(rule.evidence.get("stage_stated")),
                "open_category": oc, "open_stage": os_,
                "model_category": cat, "model_stage": stages,
                "near": [(s, training.rows[j].category, training.rows[j].stage) for s, j in near],
            })  # fmt: skip
    G.use(frozenset())
    pairs = Counter(
        (g, r.category, r.stage) for g, r in zip(training.group, training.rows, strict=True)
    )
    return {"records": records, "pairs": pairs}


# --- the tables ---------------------------------------------------------------------------

REFUSED = {"ok", "other", "none"}


def stage_of_cause(pairs: Counter[tuple[str, str, str]], g: str) -> dict[str, Counter[str]]:
    """Per category, the stages its training rows outside group ``g`` are judged at."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for (gg, c, s), n in pairs.items():
        if gg != g:
            out[c][s] += n
    return out


def score(recs: list[dict[str, Any]], decide: Any, verbose: str = "") -> tuple[int, int, int, int]:
    """Totals (category, stage) of ``decide(rec) -> (category, stage)``, and the rows it
    changed against the shipped reading (gained, lost), category and stage together."""
    cat = st = gain = loss = 0
    for r in recs:
        c, s = decide(r)
        c0, s0 = shipped(r)
        cat += c == r["category"]
        st += s == r["stage"]
        before = (c0 == r["category"]) + (s0 == r["stage"])
        after = (c == r["category"]) + (s == r["stage"])
        gain += after > before
        loss += after < before
        if verbose and (c, s) != (c0, s0):
            sign = "+" if after > before else "-" if after < before else "="
            print(f"  {verbose} {sign} {r['category']}/{r['stage']}: {c0}/{s0} -> {c}/{s} "
                  f"| {r['text'][:100]!r}")  # fmt: skip
    return cat, st, gain, loss


def shipped(r: dict[str, Any], cth: float = 0.97, sth: float = 0.8) -> tuple[str, str]:
    """The shipped reading: the rules, and the fallback where they found no cause."""
    c, s = r["rule_category"], r["rule_stage"]
    if r["open_category"]:
        label, sure = r["model_category"]
        if label not in REFUSED and sure >= cth:
            c = label
            if r["open_stage"]:
                sl, ss = r["model_stage"][c]
                if sl not in REFUSED and ss >= sth:
                    s = sl
    return c, s


def main() -> None:
    if "--collect" in sys.argv or not CACHE.exists():
        CACHE.write_bytes(pickle.dumps(collect()))
    data = pickle.loads(CACHE.read_bytes())
    recs, pairs = data["records"], data["pairs"]
    v = "-v" in sys.argv
    n = len(recs)
    rules = score(recs, lambda r: (r["rule_category"], r["rule_stage"]))
    print(f"{n} tune rows; rules alone: category {rules[0]}, stage {rules[1]}")
    base = score(recs, shipped)
    print(f"shipped (0.97 / 0.8): category {base[0]}, stage {base[1]}")
    ranks = Counter(r["rank"] for r in recs)
    print("rows by the rank of the rules' deciding evidence:", dict(sorted(ranks.items())))
    for r in recs:
        r["cause_stages"] = stage_of_cause(pairs, r["group"])
    ideas(recs, v)


def knn(r: dict[str, Any], field: str, k: int = 5, least: float = 0.0) -> tuple[str, float]:
    """The nearest ``k`` training texts' vote on ``field`` (weighed by cosine; those at least
    ``least`` similar): the label and its share; ("", 0) if none is that near."""
    votes: Counter[str] = Counter()
    for sim, cat, stage in r["near"][:k]:
        if sim >= least:
            votes[cat if field == "category" else stage] += sim
    if not votes:
        return "", 0.0
    label, w = votes.most_common(1)[0]
    return label, w / sum(votes.values())


def _agrees(r: dict[str, Any], label: str, share: float, k: int = 5) -> bool:
    """The ``k`` nearest training texts vote for ``label`` with at least ``share``."""
    got, sh = knn(r, "category", k)
    return got == label and sh >= share


def _table(title: str, recs: list[dict[str, Any]], tried: list[tuple[str, Any]], v: bool) -> None:
    print(f"\n{title}\n| variant | category | stage | rows gained | rows lost |")
    print("|---|---|---|---|---|")
    for name, decide in tried:
        c, s, g, lo = score(recs, decide, name if v else "")
        print(f"| {name} | {c} | {s} | {g} | {lo} |")


def override(r: dict[str, Any], ranks: set[int], th: float, near: float) -> tuple[str, str]:
    """Idea 1: the model's cause over a rule's cause read from weak evidence only."""
    c, s = shipped(r)
    label, sure = r["model_category"]
    if (
        r["rank"] in ranks
        and r["rule_category"] not in REFUSED
        and label not in REFUSED
        and label != r["rule_category"]
        and sure >= th
        and (not near or _agrees(r, label, near))
    ):
        return label, s
    return c, s


def no_stage(r: dict[str, Any], c: str, s: str) -> bool:
    """A failure read with no stage, none stated."""
    return s == "none" and c not in {"ok"} and not r["stated"] and bool(r["text"])


def implied(
    r: dict[str, Any], th: float, *, with_other: bool = False, least: int = 1
) -> tuple[str, str]:
    """Idea 2a: the stage the cause's training rows are judged at, where at least ``th`` of
    them are (``none`` counted among them) and the cause has ``least`` training rows."""
    c, s = shipped(r)
    if no_stage(r, c, s) and (c != "other" or with_other):
        stages = r["cause_stages"].get(c)
        if stages and sum(stages.values()) >= least:
            best, n = stages.most_common(1)[0]
            if best != "none" and n / sum(stages.values()) >= th:
                return c, best
    return c, s


def model_stage(
    r: dict[str, Any], th: float, *, with_other: bool = False, agree: str = ""
) -> tuple[str, str]:
    """Idea 2b: the stage model's stage (for the category read) at ``th``; ``agree``:
    only where the cause's usual stage (``cause``) or the nearest texts (``near``) agree."""
    c, s = shipped(r)
    if no_stage(r, c, s) and (c != "other" or with_other) and c in r["model_stage"]:
        label, sure = r["model_stage"][c]
        if label in REFUSED or sure < th:
            return c, s
        if agree == "cause":
            stages = r["cause_stages"].get(c) or Counter({"none": 1})
            if stages.most_common(1)[0][0] != label:
                return c, s
        if agree == "near" and knn(r, "stage")[0] != label:
            return c, s
        return c, label
    return c, s


def fallback(r: dict[str, Any], th: float, near: float, k: int = 5) -> tuple[str, str]:
    """Idea 3: the shipped fallback at threshold ``th``; ``near`` > 0: only where the
    ``k`` nearest training texts vote for the same cause with at least that share."""
    c, s = r["rule_category"], r["rule_stage"]
    if not r["open_category"]:
        return c, s
    label, sure = r["model_category"]
    if label in REFUSED or sure < th:
        return c, s
    if near and not _agrees(r, label, near, k):
        return c, s
    if r["open_stage"]:
        sl, ss = r["model_stage"].get(label, ("none", 0.0))
        if sl not in REFUSED and ss >= 0.8:
            s = sl
    return label, s


def union(r: dict[str, Any], th: float, near: float, k: int) -> tuple[str, str]:
    """Idea 3c: the shipped reading; where it kept the rules', the fallback at ``th`` where
    the ``k`` nearest texts vote with it (at least ``near``)."""
    c, s = shipped(r)
    if (c, s) != (r["rule_category"], r["rule_stage"]) or not r["open_category"]:
        return c, s
    return fallback(r, th, near, k)


def knn_only(r: dict[str, Any], least: float, share: float, k: int = 5) -> tuple[str, str]:
    """Idea 3b: the nearest texts' cause alone, where the rules found none."""
    c, s = shipped(r)
    if not r["open_category"] or c != "other":
        return c, s
    got, sh = knn(r, "category", k, least)
    if got and got not in REFUSED and sh >= share:
        return got, s
    return c, s


def ideas(recs: list[dict[str, Any]], v: bool) -> None:
    _table("Idea 1: the model's cause over a weak rule's", recs, _overrides(), v)
    _table("Idea 2: a stage where none was read", recs, _stages(), v)
    title = "Idea 3: the fallback's threshold, and the nearest texts as a second opinion"
    _table(title, recs, _fallbacks(), v)


def _overrides() -> list[tuple[str, Any]]:
    tried: list[tuple[str, Any]] = []
    for ranks in ({1}, {1, 2}, {1, 2, 3}):
        for th in (0.9, 0.95, 0.97, 0.99, 0.999):
            for near in (0.0, 0.6):
                name = f"ranks {sorted(ranks)}, {th}" + (f", nearest agree {near}" if near else "")
                tried.append((name, partial(override, ranks=ranks, th=th, near=near)))
    return tried


def _stages() -> list[tuple[str, Any]]:
    tried: list[tuple[str, Any]] = []
    for th in (0.7, 0.8, 0.9, 0.95, 0.99):
        for least in (1, 20):
            name = f"cause's usual stage at >= {th}" + (f", of {least}+ rows" if least > 1 else "")
            tried.append((name, partial(implied, th=th, least=least)))
    for th in (0.9, 0.97, 0.99, 0.999):
        for agree in ("", "cause", "near"):
            for wo in (False, True):
                name = f"stage model at {th}" + (f", {agree} agrees" if agree else "")
                name += ", also for other" if wo else ""
                tried.append((name, partial(model_stage, th=th, with_other=wo, agree=agree)))
    return tried


def _fallbacks() -> list[tuple[str, Any]]:
    tried: list[tuple[str, Any]] = []
    for th in (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99):
        for near in (0.0, 0.5, 0.6, 0.8, 1.0):
            name = f"fallback at {th}" + (f", 5 nearest vote it with >= {near}" if near else "")
            tried.append((name, partial(fallback, th=th, near=near)))
    for least in (0.2, 0.3, 0.4, 0.5):
        for share in (0.6, 0.8, 1.0):
            name = f"nearest texts alone: cosine >= {least}, share >= {share}"
            tried.append((name, partial(knn_only, least=least, share=share)))
    for th in (0.5, 0.7, 0.8, 0.9):
        for near in (0.5, 0.6, 0.8, 1.0):
            for k in (3, 5, 10):
                name = f"shipped, else fallback at {th} where {k} nearest vote it >= {near}"
                tried.append((name, partial(union, th=th, near=near, k=k)))
    return tried


if __name__ == "__main__":
    main()
