"""The learned fallback (knowledge/learned.py): fresh, tune-only, used only where no rule decides.

Its figures (leave-one-collection-out on the tune split) are in docs/explain.md,
"Session 15: a learned fallback", measured by bench/learned.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.cli.main import main
from smtpdoctor.diagnosis.classifier import classify, learned_may_read, notice
from smtpdoctor.knowledge import learned
from smtpdoctor.model import Category, Stage

ROOT = Path(__file__).parents[2]
STORED = ROOT / "src" / "smtpdoctor" / "knowledge" / "_learned.py"
SOE = ROOT / "bench" / "data" / "set-of-emails" / "maildir" / "bsd"

# Phrasings written for this test (no corpus row says them so): a known class in
# words no rule's phrase holds.
UNSEEN = [
    ("That user account is closed and its mailbox is gone", Category.RECIPIENT),
    (
        "The username and password you entered for the outgoing server were not accepted",
        Category.AUTHENTICATION,
    ),
]


def test_stored_weights_are_fresh() -> None:
    """``_learned.py`` is what the trainer makes of today's tune rows (regenerate:
    ``python -m smtpdoctor.knowledge.learned > /tmp/l.py && cp /tmp/l.py
    src/smtpdoctor/knowledge/_learned.py``)."""
    assert learned.render(ROOT) == STORED.read_text("utf-8")


def test_stored_counts_give_the_trained_models() -> None:
    """``_learned.py`` stores each token's counts per label; the loader makes from them
    the very models the trainer makes (every entry, base, prior and threshold)."""
    assert learned._load() == learned.models_of(learned.training_rows(ROOT))


def test_models_kept_beside_the_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader keeps the models it made in a file beside the bytecode and reads them
    back equal, without making them again; a file of another stamp is not taken."""
    monkeypatch.setattr(learned, "__cached__", str(tmp_path / "learned.pyc"), raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    built = learned._build()
    assert learned._load() == built  # made, and written
    kept = tmp_path / f"_learned.{sys.implementation.cache_tag}.marshal"
    assert kept.is_file()

    def no_build() -> None:
        raise AssertionError("made again")

    with monkeypatch.context() as m:
        m.setattr(learned, "_build", no_build)
        assert learned._load() == built  # read back
    learned.sidefile.write(str(kept), [("elsewhere", 0, 0)], ())
    assert learned._load() == built  # another stamp: made again (and written)
    monkeypatch.setattr(learned, "_build", no_build)
    assert learned._load() == built


def test_a_reading_taken_is_the_reading() -> None:
    """``read_taken`` gives ``read``'s reading where its label is not refused and its
    confidence reaches the threshold, and None elsewhere (every corpus text, both models)."""
    rows = learned.training_rows(ROOT)[::7]
    seen = set()
    for which, category in (("category", None), ("stage", "recipient")):
        m = learned.model(which)
        for r in rows:
            got = learned.read(r.text, m, category)
            taken = learned.read_taken(r.text, m, category, refused=("other", "none"))
            ok = got.label not in {"other", "none"} and got.confidence >= m.threshold
            assert taken == (got if ok else None)
            seen.add(ok)
    assert seen == {True, False}


def test_scores_are_each_labels_sum_of_its_token_weights() -> None:
    """``_scores`` (each token's extras kept by label, summed in C) gives, for every
    corpus text and both models, the prior, ``base`` per token and each extra a
    token's pairs hold, added one by one."""
    rows = learned.training_rows(ROOT)[::3]
    for which, category in (("category", None), ("stage", "recipient")):
        m = learned.model(which)
        for r in rows:
            toks = [t for t in learned.tokens(r.text, category) if t in m.weights]
            plain = [p + len(toks) * b for p, b in zip(m.prior, m.base, strict=True)]
            for t in toks:
                pairs = m.weights[t]
                for j in range(0, len(pairs), 2):
                    plain[pairs[j]] += pairs[j + 1]
            assert learned._scores(toks, m) == plain


def test_words_give_their_character_trigrams() -> None:
    """An inflected or compounded word shares trigrams with its stem; words of fewer
    than four characters (a reply code, "at") and masked tokens give none."""
    toks = learned.tokens("Mailboxen voll: 550 5.2.2 at mx.example.org")
    assert {"#^ma", "#box", "#xen", "#en$", "#^vo", "#ll$"} <= set(toks)
    assert "#.2." in toks  # (an enhanced code's too: its subject, whatever its class)
    assert not {"#^55", "#^at", "#^<h"} & set(toks)
    assert not any("<" in t for t in toks if t.startswith("#"))


def test_trainer_reads_no_held_back_row(tmp_path: Path) -> None:
    """With every held-back row deleted from a copy of the corpora (told by the
    source URL's hash alone, no text read), the trainer writes the same module;
    and a row marked tune whose hash says held is skipped too."""
    data = tmp_path / "tests" / "data" / "replies"
    data.mkdir(parents=True)
    for name in ("lines.jsonl", "corpus.jsonl"):
        kept = []
        for line in (ROOT / "tests" / "data" / "replies" / name).read_text("utf-8").splitlines():
            if line.strip() and learned._split_of(json.loads(line)["source"]) == "tune":
                kept.append(line)
        (data / name).write_text("\n".join(kept) + "\n", "utf-8")
    assert learned.render(tmp_path) == learned.render(ROOT)
    # A held-back source's row (a made-up one) changes nothing, whatever its split field says.
    held = next(
        f"https://example.org/{n}"
        for n in range(100)
        if learned._split_of(f"https://example.org/{n}") == "held"
    )
    extra = {"text": "zzqx zzqy mailbox gone", "category": "recipient", "stage": "rcpt_to",
             "split": "tune", "source": held}  # fmt: skip
    with (data / "lines.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(extra) + "\n")
    assert learned.render(tmp_path) == learned.render(ROOT)


def test_training_is_deterministic() -> None:
    assert learned.render(ROOT) == learned.render(ROOT)


def test_weights_module_is_small() -> None:
    assert STORED.stat().st_size < 300_000


@pytest.mark.parametrize(("text", "category"), UNSEEN)
def test_unseen_phrasing_of_a_known_class(text: str, category: Category) -> None:
    rules = classify(text, learned=False)
    assert rules.category is Category.OTHER  # no rule recognises it
    c = classify(text)
    assert c.category is category
    assert c.matched[0] == "learned:category"
    got = c.evidence["learned"]["category"]
    assert got["label"] == category.value
    assert got["confidence"] >= learned.threshold("category")
    assert got["words"]
    assert not any(w.startswith(("<", "#")) for w in got["words"])  # no shape, no trigram
    assert "learned from the corpus's words" in c.meaning
    assert c.fixes  # the category's recipes


def test_explain_says_it_was_learned(capsys: pytest.CaptureFixture[str]) -> None:
    text, category = UNSEEN[0]
    assert main(["explain", text, "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["category"] == category.value
    assert doc["learned"]["category"]["label"] == category.value
    assert 0 < doc["learned"]["category"]["confidence"] <= 1
    assert "learned:category" in doc["matched"]
    main(["explain", text, "--format", "text"])
    out = capsys.readouterr().out
    assert "learned from the corpus's words" in " ".join(out.split())
    assert doc["learned"]["category"]["words"][0] in out


def test_healthy_reply_and_notices_stay_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("250 OK", "250 2.0.0 Ok: queued as 4Xy1Z2"):
        c = classify(text)
        assert c.category is Category.OK
        assert not any(m.startswith("learned:") for m in c.matched)
        assert "learned" not in c.evidence
    assert notice("auto-reply").category is Category.OK
    status = main(["explain", "--file", str(SOE / "rfc3834-01.eml"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert (status, doc["category"], "learned" in doc) == (0, "ok", False)


def test_a_rule_answer_is_never_overridden() -> None:
    """A text a phrase decided keeps the phrase's category and stage."""
    text = "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in local table"
    assert classify(text) == classify(text, learned=False)
    c = classify(
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
    )
    assert not any(m.startswith("learned:") for m in c.matched)


def test_a_cause_read_from_a_code_alone_is_open() -> None:
    """(session 20) A cause a bare reply code or a generic enhanced code read, with no
    stage stated or given, may be read by the model (its stage stays the rules'); not where a
    precise code, a phrase or a stated stage read it (docs/explain.md, "Session 20:
    firstsight")."""
    bare = classify("550 5.7.0 Error: insufficient authorization", learned=False)
    assert bare.matched[0] == "enhanced:5.7.0"
    assert bare.category is not Category.OTHER
    assert learned_may_read(bare, None) == (True, False)
    assert learned_may_read(bare, Stage.RCPT_TO) == (False, False)  # a stage given
    for text in (
        "550 5.1.1 mailbox gone forever",  # a precise enhanced code
        "host mx.example.org[192.0.2.1] refused to talk to me: 554 no thanks",  # stated
    ):
        rules = classify(text, learned=False)
        assert learned_may_read(rules, None) == (False, False), rules.matched
        assert classify(text) == rules


def test_a_cause_read_from_a_code_alone_yields_at_a_lower_threshold() -> None:
    """(session 21) Where a code alone read a cause, the model's reading is taken from
    ``CODE_CAUSE_THRESHOLD`` on, under the threshold where no cause was read (a text
    written for this test: its 550 reads a missing recipient, its words a size refusal;
    docs/explain.md, "Session 21: learned5")."""
    text = "550 The message is larger than we allow"
    rules = classify(text, learned=False)
    assert rules.category is Category.RECIPIENT
    assert learned_may_read(rules, None) == (True, False)
    got = learned.read(text, learned.model("category"))
    assert got.label == "message_size"
    assert learned.CODE_CAUSE_THRESHOLD <= got.confidence < learned.threshold("category")
    assert classify(text).category is Category.MESSAGE_SIZE
    assert learned.read_taken(text, learned.model("category")) is None
    assert learned.read_taken(
        text, learned.model("category"), threshold=learned.CODE_CAUSE_THRESHOLD
    )


def test_stage_given_by_the_caller_is_kept() -> None:
    text, _ = UNSEEN[1]
    assert classify(text, stage=Stage.MAIL_FROM).stage is Stage.MAIL_FROM


def test_loaded_only_when_needed() -> None:
    """Importing the classifier and reading a healthy or rule-decided reply loads no weights."""
    code = (
        "import sys\n"
        "from smtpdoctor.diagnosis.classifier import classify\n"
        "classify('250 OK'); classify('550 5.1.1 User unknown')\n"
        "print('smtpdoctor.knowledge._learned' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
