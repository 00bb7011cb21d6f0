"""A bare reply code read at the command it answers (RFC 5321 §4.2.3, §4.3.2),
and a refusal of STARTTLS read as the session rules read it."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.knowledge.replycodes import lookup_basic
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
