"""A bare reply code read at the command it answers (RFC 5321 §4.2.3, §4.3.2),
and a refusal of STARTTLS read as the session rules read it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.knowledge import learned
from smtpdoctor.knowledge.replycodes import lookup_basic
from smtpdoctor.knowledge.stage_wording import CAUSE_STAGES
from smtpdoctor.model import Category, Stage


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        (Stage.GREETING, "No SMTP service here"),
        (Stage.CONNECT, "No SMTP service here"),
        (Stage.MAIL_FROM, "refused the sender"),
        (Stage.RCPT_TO, "refused this recipient or the whole transaction"),
        (Stage.DATA, "refused the message itself"),
        (Stage.MESSAGE, "refused the message itself"),
    ],
)
def test_bare_554_reads_at_its_stage(stage: Stage, words: str) -> None:
    c = classify("554 Transaction failed", stage=stage)
    assert c.category is Category.POLICY_REJECTION
    assert c.stage is stage
    assert words in c.meaning
    if stage not in (Stage.GREETING, Stage.CONNECT):
        assert "greeting" not in c.meaning
        assert "Transaction failed" in c.meaning


def test_bare_554_without_a_stage_names_both_readings() -> None:
    assert "Transaction failed" in lookup_basic(554).meaning
    assert "greeting" in lookup_basic(554).meaning
    assert lookup_basic(554, Stage.DATA).reference.startswith("RFC 5321")
    # Codes without a stage-dependent reading are the same at every stage.
    assert lookup_basic(550, Stage.DATA) is lookup_basic(550)


@pytest.mark.parametrize(
    "text",
    [
        "502 5.5.1 Command not implemented",
        "500 unrecognized command",
        "554 5.7.1 blocked",
        "550 Access denied",
        "554 Transaction failed",
    ],
)
def test_any_refusal_of_starttls_but_421_is_starttls_unavailable(text: str) -> None:
    c = classify(text, stage=Stage.STARTTLS)
    assert c.category is Category.STARTTLS_UNAVAILABLE
    assert c.stage is Stage.STARTTLS
    assert "STARTTLS" in c.meaning


def test_421_to_starttls_keeps_its_own_reading() -> None:
    c = classify("421 4.3.2 Service shutting down", stage=Stage.STARTTLS)
    assert c.category is Category.SERVICE_UNAVAILABLE


def test_a_stated_tls_reason_is_kept_and_a_success_is_untouched() -> None:
    c = classify("454 4.7.0 TLS not available due to local problem", stage=Stage.STARTTLS)
    assert c.category is Category.STARTTLS_UNAVAILABLE
    assert "stage.starttls_refused" not in c.matched
    assert classify("220 2.0.0 Ready to start TLS", stage=Stage.STARTTLS).category is Category.OK


def test_the_same_refusal_elsewhere_keeps_its_reading() -> None:
    c = classify("502 5.5.1 Command not implemented", stage=Stage.EHLO)
    assert c.category is Category.OTHER


def test_a_bare_554_takes_the_reading_of_a_stage_inferred_later() -> None:
    # No stage given: the words name the message, so the message's reading.
    c = classify("554 Message not allowed - [299]")
    assert c.stage is Stage.MESSAGE
    assert "refused the message itself" in c.meaning


# (session 17) Texts written for this test: a certificate cause read from an enhanced
# code (X.7.5) with no stage stated, which the rules used to leave at no stage.
@pytest.mark.parametrize(
    "text",
    [
        "454 4.7.5 The client certificate named in the connector settings is missing",
        "4.7.5 Cannot load the certificate for this host",
    ],
)
def test_a_cause_judged_at_one_stage_only_takes_it(text: str) -> None:
    c = classify(text, learned=False)
    assert (c.category, c.stage) == (Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE)
    # A stage the caller gives still wins.
    assert classify(text, stage=Stage.MAIL_FROM).stage is Stage.MAIL_FROM


def test_the_causes_judged_at_one_stage_are_so_in_the_tune_rows() -> None:
    """Each cause of ``CAUSE_STAGES`` is judged at its stage in at least 95 % of 20 or more
    tune texts (lines' tune rows and corpus.jsonl, as the learned fallback trains on; no
    other cause was when bench/learned_ideas.py measured the table)."""
    per: dict[str, Counter[str]] = {}
    for row in learned.training_rows(Path(__file__).parents[2]):
        per.setdefault(row.category, Counter())[row.stage] += 1
    for category, stage in CAUSE_STAGES.items():
        stages = per[category.value]
        assert sum(stages.values()) >= 20
        assert stages[stage.value] >= 0.95 * sum(stages.values()), (category, stages)
