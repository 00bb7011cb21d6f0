"""First sight: how the engine read each tune row the first time it saw it (issue 10).

Every commit that added rows to ``tests/data/replies/lines.jsonl`` added texts the engine
*before that commit* had never seen: no rule was written from them, the learned model was
not trained on them. Scoring those rows with the parent commit's engine measures what each
kind of evidence is worth on a text nobody has seen, from the tune split alone.

For each non-merge commit that changed the file (oldest first), the rows whose text the
parent's tune rows did not hold are taken, **held-back rows dropped first** (by the same
source-URL hash as ``_split_of`` in tests/unit/test_explain.py, or their own ``split``
field: a row either calls held is never read further, its text included); a text already
seen in an earlier commit is not counted again. The parent's ``src/`` is unpacked under
``/tmp/firstsight/tree-PARENT`` (``git archive``; the line classifier needs no C build;
removed once read) and one process per tree classifies all of that commit's texts through
the Python API. Each row keeps its label as it stood in that commit. Results are cached in
``/tmp/firstsight/PARENT-WORKER.json`` (keyed by text; WORKER: a hash of the code run in
the tree), so a second run only tabulates.

Recorded per row: expected and read category and stage, ``matched``, the deciding
evidence (``matched[0]``: a pattern id, ``enhanced:``, ``microsoft:``, ``reply:``,
``learned:``, nothing), whether a pattern is specific, the category each other piece of
evidence in ``matched`` would have given, the stage phrase that stated the stage, and
the rules' reading without the learned fallback and the learned model's own reading of
every text with its confidence, taken or not (trees since session 15).

Usage: python bench/firstsight.py [table|rows|pairs|confusions|all] [--since=DATE]
       [--collections] [--tables]

``table`` (default) prints first-sight precision by the kind of evidence that decided the
category and by where the stage came from; ``pairs`` the head-to-heads (the deciding kind
against each outranked kind that read another category: which was right); ``confusions``
the first-sight misses as expected -> read, largest first; ``rows`` each tune row's record
(text cut to 100 characters); ``all`` everything but ``rows``. ``--since=2026-12-06``
keeps commits from that date on. The message-table and language collections
(``TABLE_COLLECTIONS``, ``LANGUAGE_COLLECTIONS`` of the test: many copies of one program's
messages) are left out unless ``--tables``. Run it with ``nice``: one classifying process
at a time, two cores are shared.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINES = "tests/data/replies/lines.jsonl"
CACHE = Path("/tmp/firstsight")
PYTHON = os.environ.get("FIRSTSIGHT_PYTHON", sys.executable)
TABLES = frozenset(
    {
        "session8-phpmailer-lang",
        "session8-roundcube-lang",
        "session9-evolution-lang",
        "session14-lines8",
        "session14-lines8-2",
    }
)

# The helpers of a worker run inside an old tree (bench/bouncefirst.py's worker uses them
# too): what each piece of evidence in ``matched`` implies, every specific pattern that
# matches.
WORKER_DEFS = r'''
import inspect, json, sys
from smtpdoctor.diagnosis import classifier
from smtpdoctor.diagnosis import classify
from smtpdoctor.knowledge import pattern_by_id
try:
    from smtpdoctor.diagnosis.evidence_rules import basic_evidence, code_evidence
except ImportError:
    basic_evidence = classifier._basic_evidence
    code_evidence = classifier._code_evidence
try:
    from smtpdoctor.knowledge.vendors import FAILURE_SAID
    said = FAILURE_SAID.id
except ImportError:
    said = "generic.not_delivered"
has_learned = "learned" in inspect.signature(classify).parameters
from smtpdoctor.knowledge import PATTERNS
try:
    from smtpdoctor.diagnosis import replytext, transcript
except ImportError:
    replytext = transcript = None

def _fn(names, same):
    for mod in (replytext, transcript, classifier):
        for name in names:
            if mod is not None and getattr(mod, name, None) is not None:
                return getattr(mod, name)
    return same

norm = _fn(("normalise", "_normalise"), str)
flatten = _fn(("flatten", "_flatten"), lambda t: " ".join(t.split()))
mask = _fn(("mask_addresses", "_mask_addresses"), str)
summary = _fn(("without_summary",), str)

def specific_matches(text):
    """Every specific pattern that matches, in table order (the decider is the first,
    or the one read inside a quoted reply)."""
    raw = summary(norm(text))
    flat, raw = mask(flatten(raw)), mask(raw)
    return [p.id for p in PATTERNS if p.specific and (
        p.regex.search(flat) or ("\n" in raw and p.regex.search(raw)))]
if has_learned:
    from smtpdoctor.knowledge import learned

def implied(c, ident):
    """The category and detail one piece of evidence in ``matched`` gives."""
    try:
        if ident.startswith(("enhanced:", "microsoft:")):
            ev, generic = code_evidence(c.enhanced, bool(c.evidence.get("microsoft")))
            if ev is None or ev.id != ident:
                return None
            return {"id": ident, "category": ev.category.value, "generic": generic}
        if ident.startswith("reply:"):
            ev = basic_evidence(c.reply, c.stage)
            return {"id": ident, "category": ev.category.value} if ev else None
        if ":" in ident or ident.startswith(("stage.", "permanence.")):
            return None
        p = pattern_by_id(ident)
    except Exception:
        return None
    return {"id": ident, "category": p.category.value, "specific": p.specific,
            "stage": p.stage.value if p.stage else None,
            "stage_hint": p.stage_hint.value if p.stage_hint else None}
'''

# Runs inside the old tree: texts on stdin (a JSON list), records on stdout.
WORKER = (
    WORKER_DEFS
    + r"""
out = []
for text in json.load(sys.stdin):
    c = classify(text)
    ev = getattr(c, "evidence", {}) or {}
    rec = {"category": c.category.value, "stage": c.stage.value, "matched": list(c.matched),
           "enhanced": c.enhanced, "stage_phrase": ev.get("stage_phrase"),
           "implied": [x for x in (implied(c, i) for i in c.matched) if x],
           "failure_said": said}
    rec["implied"] += [x for x in (implied(c, i) for i in specific_matches(text))
                       if x and x["id"] not in c.matched]
    if has_learned:
        r = classify(text, learned=False)
        rec["rules"] = {"category": r.category.value, "stage": r.stage.value,
                        "matched": list(r.matched)}
        m = learned.model("category")
        got = learned.read(text, m)
        rec["model"] = {"label": got.label, "confidence": got.confidence,
                        "threshold": m.threshold}
    out.append(rec)
json.dump(out, sys.stdout)
"""
)


def split_of(source: str) -> str:
    """tests/unit/test_explain.py's ``_split_of``: a quarter held back by the URL's hash."""
    return "held" if int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % 4 == 0 else "tune"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def rows_at(commit: str) -> list[dict[str, Any]]:
    """The file's tune rows at ``commit`` (held-back rows dropped before anything else)."""
    try:
        blob = git("show", f"{commit}:{LINES}")
    except subprocess.CalledProcessError:
        return []
    out = []
    for line in blob.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        source = str(row.get("source", ""))
        if split_of(source) == "held" or row.get("split", "tune") != "tune":
            continue
        out.append(row)
    return out


def tree_of(parent: str, cache: Path = CACHE) -> Path:
    tree = cache / f"tree-{parent[:12]}"
    if not (tree / "src").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", parent, "src"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        tar = cache / f"{parent[:12]}.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as t:
            t.extractall(tree, filter="data")
        tar.unlink()
    return tree


def classify_in(
    parent: str, texts: list[str], worker: str = WORKER, where: Path = CACHE
) -> dict[str, dict[str, Any]]:
    """``texts`` read by the engine of ``parent``, cached by text (``worker``: the code run
    in the tree, each text on its stdin's JSON list giving one record on its stdout's)."""
    cache = where / f"{parent}-{hashlib.sha256(worker.encode()).hexdigest()[:8]}.json"
    known: dict[str, dict[str, Any]] = json.loads(cache.read_text()) if cache.exists() else {}
    todo = [t for t in texts if t not in known]
    if todo:
        tree = tree_of(parent, where)
        env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            ["nice", "-n", "10", PYTHON, "-c", worker],
            input=json.dumps(todo),
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # (its stderr shown: a failing old tree says why)
            text=True,
        ).stdout
        known.update(zip(todo, json.loads(done), strict=True))
        cache.write_text(json.dumps(known))
        shutil.rmtree(tree)  # (the results are cached; 119 trees of 5 MB need not stay)
    return {t: known[t] for t in texts}


def first_sight(since: str = "", tables: bool = False) -> list[dict[str, Any]]:
    """One record per tune row, read by the engine before the commit that added it."""
    CACHE.mkdir(exist_ok=True)
    log = git("log", "--no-merges", "--reverse", "--format=%H %P %cs", "--", LINES).split("\n")
    seen: set[str] = set()
    records = []
    for entry in filter(None, log):
        commit, parent, day = entry.split()[0], entry.split()[1], entry.split()[-1]
        before = {r["text"] for r in rows_at(parent)}
        added = [r for r in rows_at(commit) if r["text"] not in before and r["text"] not in seen]
        seen.update(r["text"] for r in added)
        if day < since or not added:
            continue
        if not tables:
            added = [r for r in added if r.get("collection") not in TABLES]
        read = classify_in(parent, [r["text"] for r in added])
        for r in added:
            records.append(
                {
                    "commit": commit[:10],
                    "parent": parent[:10],
                    "collection": r.get("collection", ""),
                    "expected": {"category": r["category"], "stage": r["stage"]},
                    "text": r["text"],
                    **read[r["text"]],
                }
            )
    return records


# --- what decided ---------------------------------------------------------------

PROVIDER_PREFIXES = (
    "doc.", "isp.", "filter.", "mta.", "bounce.", "vendor.", "library.", "i18n.", "ms.",
    "gmail.", "yahoo.", "outlook.", "dotnet.", "tlsrpt.", "postfix.", "exim.", "sendmail.",
    "device.", "c18.", "c19.", "l13.", "l14.", "l16.",
)  # fmt: skip


def implied_of(rec: dict[str, Any], ident: str) -> dict[str, Any] | None:
    return next((x for x in rec["implied"] if x["id"] == ident), None)


def kind_of(rec: dict[str, Any], ident: str | None = None) -> str:
    """The kind of evidence ``ident`` (default ``matched[0]``) is."""
    ident = ident if ident is not None else (rec["matched"][0] if rec["matched"] else "")
    if not ident:
        return "nothing"
    if ident.startswith("learned:"):
        return "learned fallback"
    if ident.startswith("notice:"):
        return "notice"
    info = implied_of(rec, ident) or {}
    if ident.startswith("microsoft:"):
        return "microsoft code table" + (" (generic)" if info.get("generic") else "")
    if ident.startswith("enhanced:"):
        return "enhanced code, generic" if info.get("generic") else "enhanced code, precise"
    if ident.startswith("reply:"):
        return "basic reply code"
    if ident == rec.get("failure_said"):
        return "'not delivered' words"
    strength = "specific" if info.get("specific", True) else "weak"
    table = "provider/table" if ident.startswith(PROVIDER_PREFIXES) else "class-wide"
    return f"{table} pattern, {strength}"


def stage_source(rec: dict[str, Any]) -> str:
    """Where the read stage came from."""
    if rec.get("stage_phrase"):
        return "a stated stage phrase"
    if any(m == "learned:stage" for m in rec["matched"]):
        return "the learned stage"
    if rec["stage"] == "none":
        return "no stage found"
    first = rec["matched"][0] if rec["matched"] else ""
    info = implied_of(rec, first) or {}
    if info.get("stage"):
        return "the deciding pattern's own stage"
    return "a usual stage (hint, subject, code)"


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f} %)" if d else "0/0"


def headline(records: list[dict[str, Any]], what: str) -> None:
    n = len(records)
    cat = sum(r["category"] == r["expected"]["category"] for r in records)
    st = sum(r["stage"] == r["expected"]["stage"] for r in records)
    print(f"first sight, {n} {what}: category {pct(cat, n)}, stage {pct(st, n)}")


def tally(records: list[dict[str, Any]], key: Callable[[dict[str, Any]], str], title: str) -> None:
    """Category and stage right per ``key`` of the records, largest group first."""
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for rec in records:
        s = by[key(rec)]
        s[0] += rec["category"] == rec["expected"]["category"]
        s[1] += rec["stage"] == rec["expected"]["stage"]
        s[2] += 1
    print(f"\n| {title} | rows | category right | stage right |")
    print("|---|---:|---:|---:|")
    for name, (c, s, k) in sorted(by.items(), key=lambda x: -x[1][2]):
        print(f"| {name} | {k} | {pct(c, k)} | {pct(s, k)} |")


def table(records: list[dict[str, Any]]) -> None:
    headline(records, "tune rows")
    tally(records, kind_of, "deciding evidence (category)")
    by_stage: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for rec in records:
        s = by_stage[stage_source(rec)]
        s[0] += rec["stage"] == rec["expected"]["stage"]
        s[1] += rec["expected"]["stage"] == "none"
        s[2] += 1
    print("\n| where the stage came from | rows | stage right | rows expected none |")
    print("|---|---:|---:|---:|")
    for kind, (s, none, k) in sorted(by_stage.items(), key=lambda x: -x[1][2]):
        print(f"| {kind} | {k} | {pct(s, k)} | {pct(none, k)} |")
    prefixes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rec in records:
        first = rec["matched"][0] if rec["matched"] else ""
        if first and ":" not in first:
            key = (
                first.split(".")[0]
                + "."
                + ("" if (implied_of(rec, first) or {}).get("specific", True) else " (weak)")
            )
            prefixes[key][0] += rec["category"] == rec["expected"]["category"]
            prefixes[key][1] += 1
    print("\n| deciding pattern's table prefix | rows | category right |")
    print("|---|---:|---:|")
    for key, (c, k) in sorted(prefixes.items(), key=lambda x: -x[1][1]):
        print(f"| {key} | {k} | {pct(c, k)} |")
    learned = [r for r in records if "rules" in r]
    if learned:
        changed = [r for r in learned if r["rules"]["category"] != r["category"]]
        right = sum(r["category"] == r["expected"]["category"] for r in changed)
        before = sum(r["rules"]["category"] == r["expected"]["category"] for r in changed)
        print(
            f"\nlearned fallback (trees since session 15, {len(learned)} rows): changed "
            f"{len(changed)} categories; right after {right}, right before {before}"
        )


def pairs(records: list[dict[str, Any]]) -> None:
    """Where the deciding evidence outranked another that read a different category."""
    duel: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for rec in records:
        if not rec["matched"]:
            continue
        first = rec["matched"][0]
        expected = rec["expected"]["category"]
        for other in rec["implied"]:
            if other["id"] == first or other["category"] == rec["category"]:
                continue
            key = (kind_of(rec), kind_of(rec, other["id"]))
            add_duel(duel, key, rec["category"] == expected, other["category"] == expected)
    print_duels(duel, "outranked")


def add_duel(duel: dict[Any, list[int]], key: Any, decider: bool, other: bool) -> None:
    """One head-to-head counted: whether the decider was right, whether the other was."""
    s = duel[key]
    s[0] += decider
    s[1] += other
    s[2] += 1


def print_duels(duel: dict[tuple[str, str], list[int]], beaten: str) -> None:
    print(f"\n| decided by | {beaten}, reading another category | rows | decider right "
          f"| {beaten} right |")  # fmt: skip
    print("|---|---|---:|---:|---:|")
    for (a, b), (x, y, k) in sorted(duel.items(), key=lambda x: -x[1][2]):
        print(f"| {a} | {b} | {k} | {pct(x, k)} | {pct(y, k)} |")


def confusions(
    records: list[dict[str, Any]],
    top: int = 30,
    why: Callable[[dict[str, Any]], str] = kind_of,
    where: Callable[[dict[str, Any]], str] = stage_source,
    said: tuple[str, str] = ("deciding evidence", "stage source"),
) -> None:
    """The misses as expected -> read [``why``] (category) and [``where``] (stage)."""
    cats: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for rec in records:
        e = rec["expected"]
        if rec["category"] != e["category"]:
            cats[f"{e['category']} -> {rec['category']} [{why(rec)}]"] += 1
        if rec["stage"] != e["stage"]:
            stages[f"{e['stage']} -> {rec['stage']} [{where(rec)}]"] += 1
    for title, counts, note in (("category", cats, said[0]), ("stage", stages, said[1])):
        print(f"\nfirst-sight {title} misses (expected -> read [{note}]):")
        for k, v in counts.most_common(top):
            print(f"{v:5d}  {k}")


def main() -> None:
    args = sys.argv[1:]
    mode = next((a for a in args if not a.startswith("-")), "table")
    since = next((a[8:] for a in args if a.startswith("--since=")), "")
    records = first_sight(since, "--tables" in args)
    if mode == "rows":
        for rec in records:
            print(json.dumps({k: v for k, v in rec.items() if k != "text"} | {
                "text": rec["text"][:100]}, ensure_ascii=False))  # fmt: skip
        return
    if mode in {"table", "all"}:
        table(records)
    if mode in {"pairs", "all"}:
        pairs(records)
    if mode in {"confusions", "all"}:
        confusions(records)


if __name__ == "__main__":
    main()
