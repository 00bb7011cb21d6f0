"""First sight of the bounces: how the engine read each tune bounce row the first time it saw it.

``bench/firstsight.py`` does it for lines; this does it for ``tests/data/replies/bounces.jsonl``
with its parts (the parent's tree unpacked, one worker process per tree, results cached).
For each non-merge commit that changed the file (oldest first), the rows (file, recipient) the
parent's tune rows did not hold are taken, **held-back rows dropped first** (by the source
URL's hash, as ``_split_of`` in tests/unit/test_explain.py, or their own ``split``: a held-back
row's mail is never copied, read or listed); each taken row's mail, as that commit holds it,
is copied under ``/tmp/bouncefirst/mails/COMMIT/`` and read by the parent's ``explain`` (its
``explain_files``, else its ``_split`` of the file), with the label the row had there.

Recorded per entry of each mail: its recipient, its nature (a bounce-kind reading: no
failure), the answer (category, stage, ``matched``, what each id in it implies), and every
candidate text the answer was weighed from (the DSN's ``Diagnostic-Code``, the
human-readable paragraphs, the ``Status``/``Action`` fields, a Microsoft NDR's section, the
remote replies read bare, the earlier attempts), each read alone by the rules, with the
tree's own ``evidence_rank`` and ``_specificity``; and which of them decided.

Usage: python bench/bouncefirst.py [table|pairs|formats|confusions|weigh|all] [--since=DATE]
       python bench/bouncefirst.py words CATEGORY=REGEX ... [--since=DATE]

``table`` prints first-sight category and stage by where the deciding text stood, by the
kind of evidence that decided it (firstsight.py's kinds) and by where the stage came from;
``formats`` by the mail's format (the MTA or provider its headers and wording name; and
Sisimai's module for its set-of-emails); ``pairs`` the head-to-heads (the candidate that
decided against each other candidate that read another category, and the part of
``_specificity`` that parted them: which was right); ``confusions`` the misses, largest
first; ``weigh`` the first-sight category under other orders of the candidates
(``WEIGHINGS``), from the candidates' recorded readings; ``words`` (session 22) the words
of candidate rules alone, each ``CATEGORY=REGEX`` searched in the rows' mails as their
commits held them, counted by whether the row was read right at first sight and whether
the rule's category is the row's. ``--since=2026-12-06`` keeps the
commits from that date on. Run it with ``nice``: two cores are shared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bounce_generalise as BG  # (the bench scripts beside this file)
import firstsight as FS

BOUNCES = "tests/data/replies/bounces.jsonl"
CACHE = Path("/tmp/bouncefirst")

# Runs inside the old tree: [path, ...] on stdin, per path the list of its entries' records.
WORKER = (
    FS.WORKER_DEFS
    + r"""
from smtpdoctor.cli import explain as X
try:
    from smtpdoctor.diagnosis.classifier import evidence_rank
except ImportError:
    evidence_rank = None
spec = getattr(classifier, "_specificity", None)
kw = {"learned": False} if has_learned else {}

def read(path):
    try:
        if hasattr(X, "explain_files"):
            return X.explain_files([path])
        with open(path, "rb") as fh:
            data = fh.read()
        items = X._split(X._decode(data, path), path, False, may_be_mail=True)
        return [(i, X._explain(i, None)) for i in items]
    except Exception:  # (a mail that engine refused, "looks binary": no entry)
        return []

def role(text, ndr):
    if text.startswith(("Diagnostic-Code:", "X-Exim-Diagnostic:")):
        return "delivery-status field: Diagnostic-Code"
    if text.startswith(("Status:", "Action:")):
        return "delivery-status field: Status"
    return "a Microsoft NDR's section" if ndr else "the human-readable part"

def tried(f, c):
    try:
        return f(c) if f and c.matched else None
    except KeyError:  # (a notice's id is no pattern's)
        return None

def reading(c):
    ev = getattr(c, "evidence", {}) or {}
    return {"category": c.category.value, "stage": c.stage.value, "matched": list(c.matched),
            "enhanced": c.enhanced, "reply": c.reply.code if c.reply else None,
            "stated": bool(ev.get("stage_stated")), "stage_phrase": ev.get("stage_phrase"),
            "implied": [x for x in (implied(c, i) for i in c.matched) if x],
            "failure_said": said,
            "rank": tried(evidence_rank, c), "spec": tried(spec and (lambda x: list(spec(x))), c)}

out = []
for path in json.load(sys.stdin):
    entries = []
    for item, c in read(path):
        origin = getattr(item, "origin", {}) or {}
        rec = {"recipient": origin.get("recipient"), "nature": item.nature,
               "ndr": origin.get("ndr"), **reading(c)}
        cands = []
        texts = [t for t in (item.candidates or ()) if t.strip()]
        results = [classifier.classify(t, **kw) for t in texts]
        for t, r in zip(texts, results):
            cands.append({"role": role(t, origin.get("ndr")), "same": t == c.text, **reading(r)})
        for name, label in (("_bare_replies", "a remote reply read bare"),
                            ("_earlier_attempts", "an earlier attempt")):
            more = getattr(classifier, name, None)
            for t in (more(results) if more and results else []):
                r = classifier.classify(t, **kw)
                cands.append({"role": label, "same": t == c.text, **reading(r)})
        rec["candidates"] = cands
        if has_learned and not item.nature:
            m = learned.model("category")
            rec["model"] = {}
            for name, t in (("decider", c.text), ("joined", "\n".join(texts))):
                got = learned.read(t, m) if t else None
                if got is not None:
                    rec["model"][name] = {"label": got.label, "confidence": got.confidence,
                                          "threshold": m.threshold}
        rec["decided"] = (
            "the bounce-kind reading" if item.nature else
            next((x["role"] for x in cands if x["same"]), None)
            or ("the entry's own text" if not texts else "a quoted reply")
        )
        entries.append(rec)
    out.append(entries)
json.dump(out, sys.stdout)
"""
)


def tune_rows(commit: str) -> list[dict[str, Any]]:
    """The file's tune rows at ``commit`` (held-back rows dropped before anything else)."""
    try:
        blob = FS.git("show", f"{commit}:{BOUNCES}")
    except subprocess.CalledProcessError:
        return []
    rows = (json.loads(line) for line in blob.splitlines() if line.strip())
    return [
        r
        for r in rows
        if FS.split_of(str(r.get("source", ""))) == "tune" and r.get("split", "tune") == "tune"
    ]


def mail_copy(commit: str, file: str) -> str:
    """The row's mail as ``commit`` holds it, copied out (a tune row's only)."""
    path = CACHE / "mails" / commit[:12] / file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = subprocess.run(
            ["git", "show", f"{commit}:{file}"], cwd=FS.ROOT, check=True, capture_output=True
        ).stdout
        path.write_bytes(blob)
    return str(path)


def first_sight(since: str = "") -> list[dict[str, Any]]:
    """One record per tune bounce row, read by the engine before the commit that added it."""
    CACHE.mkdir(exist_ok=True)
    log = FS.git("log", "--no-merges", "--reverse", "--format=%H %P %cs", "--", BOUNCES)
    seen: set[tuple[str, str]] = set()
    records = []
    for entry in filter(None, log.split("\n")):
        commit, parent, day = entry.split()[0], entry.split()[1], entry.split()[-1]
        before = {(r["file"], r["recipient"]) for r in tune_rows(parent)}
        added = [r for r in tune_rows(commit) if (r["file"], r["recipient"]) not in before | seen]
        seen.update((r["file"], r["recipient"]) for r in added)
        if day < since or not added:
            continue
        paths = {r["file"]: mail_copy(commit, r["file"]) for r in added}
        read = FS.classify_in(parent, sorted(set(paths.values())), WORKER, CACHE)
        for r in added:
            got = read[paths[r["file"]]]
            mine = BG.entry_for([(e["recipient"], e["nature"], e) for e in got], r["recipient"])
            records.append(
                {
                    "commit": commit[:10],
                    "parent": parent[:10],
                    "file": r["file"],
                    "format": format_of(paths[r["file"]]),
                    "module": BG.bounce_group(r).removeprefix("sisimai:"),
                    "expected": {"category": r["category"], "stage": r["stage"]},
                    **(mine or _no_entry(bool(got))),
                    "recipient": r["recipient"],
                    "entries": len(got),
                }
            )
    return records


def _no_entry(lines: bool) -> dict[str, Any]:
    """The record of a row no entry of its mail was found for (several entries, none its
    recipient's: the text was read line by line)."""
    where = "no entry for the row's recipient" + (" (the text read line by line)" if lines else "")
    empty: dict[str, Any] = {"matched": [], "implied": [], "candidates": [], "nature": None}
    return {"category": "-", "stage": "-", "decided": where, **empty}


# --- the mail's format ------------------------------------------------------------

# What a mail's headers and wording say wrote it, first match wins (tune mails only).
_FORMATS = (
    ("Microsoft (Exchange, Microsoft 365, Outlook.com)",
     r"Diagnostic information for administrators|Generating server:|X-MS-Exchange|"
     r"Remote Server returned|outlook\.com|hotmail\.com|Microsoft Exchange"),
    ("Gmail", r"mailer-daemon@google(?:mail)?\.com|Delivery Status Notification \(Failure\)"),
    ("Yahoo", r"yahoo\.com>?\s*$|MAILER-DAEMON@yahoo"),
    ("Postfix", r"X-Postfix-|This is the mail system at host|The Postfix program"),
    ("Exim", r"X-Failed-Recipients:|created automatically by mail delivery software|"
     r"X-Exim-Diagnostic"),
    ("Sendmail", r"Transcript of session follows|addresses had (?:permanent )?fatal errors|"
     r"Sendmail"),
    ("qmail", r"This is the qmail-send program|qmail"),
    ("another MTA's DSN (RFC 3464)", r"message/delivery-status"),
)  # fmt: skip
_FORMAT_RES = [(name, re.compile(rx, re.I | re.M)) for name, rx in _FORMATS]


def format_of(path: str) -> str:
    """The MTA or provider the mail's own headers and wording name, else plain text."""
    text = Path(path).read_text("utf-8", errors="replace")
    return next((name for name, rx in _FORMAT_RES if rx.search(text)), "another mail or a text")


# --- tables -------------------------------------------------------------------


def kind(rec: dict[str, Any]) -> str:
    return "a no-failure notice" if rec.get("nature") else FS.kind_of(rec)


def stage_from(rec: dict[str, Any]) -> str:
    """Where the answer's stage came from."""
    own = next((c for c in rec["candidates"] if c["same"]), None)
    if rec.get("nature") or rec["stage"] == "-":
        return rec["decided"]
    if own is not None and own["stage"] != rec["stage"]:
        return "a stage another piece states"
    if rec.get("stated"):
        return "a stage the deciding text states"
    return "no stage found" if rec["stage"] == "none" else "the deciding evidence's usual stage"


def table(records: list[dict[str, Any]]) -> None:
    FS.headline(records, "tune bounce rows")
    FS.tally(records, lambda r: r["decided"], "where the deciding text stood")
    FS.tally(records, kind, "deciding evidence (`matched[0]`)")
    FS.tally(records, stage_from, "where the stage came from")
    FS.tally(records, lambda r: f"{r['decided']} / {kind(r)}", "where / what decided")


def formats(records: list[dict[str, Any]]) -> None:
    FS.tally(records, lambda r: r["format"], "format (by the mail's headers and wording)")
    sisimai = [r for r in records if r["file"].startswith("bench/data/set-of-emails/")]
    modules = Counter(r["module"] for r in sisimai)
    big = [r for r in sisimai if modules[r["module"]] >= 5]
    FS.tally(big, lambda r: r["module"], "Sisimai's module (set-of-emails; 5 rows or more)")


def pairs(records: list[dict[str, Any]]) -> None:
    """The deciding candidate against each other candidate that read another category."""
    duel: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for rec in records:
        won = next((c for c in rec["candidates"] if c["same"]), None)
        if won is None:
            continue
        expected = rec["expected"]["category"]
        for other in rec["candidates"]:
            if other is won or other["category"] == rec["category"]:
                continue
            key = (f"{won['role']} ({FS.kind_of(won)})", f"{other['role']} ({FS.kind_of(other)})")
            FS.add_duel(duel, key, rec["category"] == expected, other["category"] == expected)
    FS.print_duels(duel, "outweighed")


_PARTS = ("a cause read", "a precise cause", "a remote reply", "the evidence's rank", "a stage")


def parts(records: list[dict[str, Any]]) -> None:
    """Which part of today's key (``_today``) parted the winner from each candidate that
    read another category, and which was right; and the stage another candidate states
    put on the winner (``classify_best``'s last step) against the winner's own."""
    duel: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    stated: dict[str, int] = defaultdict(int)
    for rec in records:
        cands = rec["candidates"]
        if not cands or rec.get("nature"):
            continue
        expected = rec["expected"]["category"]
        won = max(cands, key=_today)
        for other in cands:
            if other["category"] == won["category"]:
                continue
            a, b = _today(won), _today(other)
            at = next((_PARTS[i] for i in range(len(a)) if a[i] != b[i]), "a tie: the order")
            FS.add_duel(duel, at, won["category"] == expected, other["category"] == expected)
        own = next((c for c in cands if c["same"]), None)
        if own is not None and own["stage"] != rec["stage"]:
            e = rec["expected"]["stage"]
            stated[
                "stated" if rec["stage"] == e else "own" if own["stage"] == e else "neither"
            ] += 1
    print("\n| the part of the key that parted them | pairs | winner right | other right |")
    print("|---|---:|---:|---:|")
    for at, (x, y, k) in sorted(duel.items(), key=lambda x: -x[1][2]):
        print(f"| {at} | {k} | {FS.pct(x, k)} | {FS.pct(y, k)} |")
    n = sum(stated.values())
    print(f"\na stage another candidate states, over the winner's own ({n} rows): the stated "
          f"right {stated['stated']}, the winner's own right {stated['own']}, "
          f"neither {stated['neither']}")  # fmt: skip


def confusions(records: list[dict[str, Any]]) -> None:
    FS.confusions(
        records,
        why=lambda r: f"{r['decided']}; {kind(r)}",
        where=lambda r: str(r["decided"]),
        said=("where; what decided", "where"),
    )


# --- other weighings, from the candidates' recorded readings --------------------------


def _today(c: dict[str, Any]) -> tuple[int, ...]:
    """classifier._specificity as it stands, from a recorded reading."""
    if not c["matched"]:
        return (0, 0, 0, 0, 0)
    rank = c["rank"] if c["rank"] is not None else _rank(c)
    known = c["category"] != "other"
    precise = int(rank >= 3)
    if not known and rank == 4:
        known, precise = True, 0
    return (int(known), precise, int(c["reply"] is not None), rank, int(c["stage"] != "none"))


def _rank(c: dict[str, Any]) -> int:
    k = FS.kind_of(c)
    if k.startswith(("nothing", "learned", "'not delivered'")):
        return 0
    if k in {"basic reply code", "enhanced code, generic", "microsoft code table (generic)"}:
        return 1
    if k.startswith(("enhanced code", "microsoft")):
        return 3
    return 2 if k.endswith("weak") else 4


_FIELDS_FIRST = {"delivery-status field: Diagnostic-Code": 2, "delivery-status field: Status": 1}


def _swap(order: tuple[int, ...]) -> Callable[[dict[str, Any]], tuple[int, ...]]:
    """Today's key with its parts (known, precise, reply, rank, staged) in ``order``."""
    return lambda c: tuple(_today(c)[i] for i in order)


WEIGHINGS: dict[str, Callable[[dict[str, Any]], tuple[int, ...]]] = {
    "today's order (classifier._specificity: a cause, a precise one, a remote reply, "
    "the evidence's rank, a stage)": _today,
    "how the cause was read before a remote reply (rank before reply)": _swap((0, 1, 3, 2, 4)),
    "a remote reply before a precise cause": _swap((0, 2, 1, 3, 4)),
    "a stage before the rank": _swap((0, 1, 2, 4, 3)),
    "the delivery-status fields first, then today's order": lambda c: (
        _FIELDS_FIRST.get(c["role"], 0), *_today(c)),
    "the human-readable part first, then today's order": lambda c: (
        c["role"] == "the human-readable part", *_today(c)),
    "a cause first, then the delivery-status fields, then today's order": lambda c: (
        _today(c)[0], _FIELDS_FIRST.get(c["role"], 0), *_today(c)),
    "a precise code over a phrase (rank 3 before 4)": lambda c: (
        _today(c)[0], int(_today(c)[3] == 3), *_today(c)),
    "the first text that reads a cause (no weighing)": lambda c: (_today(c)[0],),
}  # fmt: skip


def weigh(records: list[dict[str, Any]]) -> None:
    """First-sight category if the candidates had been weighed by each of ``WEIGHINGS``."""
    rows = [r for r in records if r["candidates"] and not r.get("nature")]
    print(f"\n{len(rows)} rows with candidate texts (the rest are no-failure notices or "
          "entries without candidates, which no weighing moves)")  # fmt: skip
    ceiling = sum(any(c["category"] == r["expected"]["category"] for c in r["candidates"])
                  for r in rows)  # fmt: skip
    print(f"(any weighing's ceiling: a candidate read the expected category in "
          f"{FS.pct(ceiling, len(rows))})")  # fmt: skip
    print("\n| weighing | category right | gained | lost |")
    print("|---|---:|---:|---:|")
    base = {id(r): max(r["candidates"], key=_today)["category"] for r in rows}
    for name, key in WEIGHINGS.items():
        right = gained = lost = 0
        for r in rows:
            got = max(r["candidates"], key=key)["category"]
            ok, was = got == r["expected"]["category"], base[id(r)] == r["expected"]["category"]
            right += ok
            gained += ok and not was
            lost += was and not ok
        print(f"| {name} | {FS.pct(right, len(rows))} | {gained} | {lost} |")


def words(records: list[dict[str, Any]], rules: list[str]) -> None:
    """Words alone at first sight: each ``CATEGORY=REGEX`` searched (case-insensitive, white
    space folded) in each record's mail as its commit held it (tune rows only), and each
    match counted by whether the engine of its day read the row right and whether the
    rule's category is the row's expected one."""
    wanted = [(cat, re.compile(rx, re.I)) for cat, _, rx in (r.partition("=") for r in rules)]
    counts: Counter[str] = Counter()
    for rec in records:
        path = next((CACHE / "mails").glob(f"{rec['commit']}*/{rec['file']}"), None)
        if path is None:
            continue
        text = re.sub(r"\s+", " ", path.read_bytes().decode("utf-8", "replace"))
        expected = rec["expected"]["category"]
        seen = "right" if rec["category"] == expected else "missed"
        for cat, rx in wanted:
            if (m := rx.search(text)) is not None:
                said = "its category" if cat == expected else "another category"
                counts[f"read {seen} then, the rule says {said}"] += 1
                where = f"{rec['file']} ({expected}, read {rec['category']})"
                print(f"{seen}: {where}: {m.group(0)[:70]}")
    for key, n in sorted(counts.items()):
        print(f"{n:5}  {key}")


def main() -> None:
    args = sys.argv[1:]
    mode = next((a for a in args if not a.startswith("-")), "table")
    since = next((a[8:] for a in args if a.startswith("--since=")), "")
    records = first_sight(since)
    if mode == "words":
        words(records, [a for a in args[args.index("words") + 1 :] if not a.startswith("--")])
        return
    for name, show in (("table", table), ("formats", formats), ("pairs", pairs), ("pairs", parts),
                       ("confusions", confusions), ("weigh", weigh)):  # fmt: skip
        if mode in {name, "all"}:
            show(records)


if __name__ == "__main__":
    main()
