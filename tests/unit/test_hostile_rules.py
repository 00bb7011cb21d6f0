"""Rules fixed by the hostile matrix (tests/integration/test_hostile_matrix.py), on
timelines made for the purpose: each fails on the code before its fix."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.session_rules import SessionEvidence, session_findings
from smtpdoctor.evidence.session import Step
from smtpdoctor.model import Category, Outcome, Severity, Stage
from smtpdoctor.protocol.reply import Reply, parse_reply_text


def _step(stage: Stage, outcome: Outcome = Outcome.OK, reply: Reply | None = None) -> Step:
    return Step(stage, None, 0.0, outcome=outcome, reply=reply)


def _evidence(*steps: Step, offered: bool = True) -> SessionEvidence:
    return SessionEvidence(
        steps=steps,
        starttls_offered=offered,
        tls_version=None,
        tls_cipher=None,
        certificate=None,
        size_limit=None,
        size_wanted=None,
    )


_GREETED = (_step(Stage.CONNECT), _step(Stage.GREETING), _step(Stage.EHLO))


@pytest.mark.parametrize(
    "text",
    [
        "502 5.5.1 Error: command not recognized",  # advertised, then not known
        "554 Transaction failed",
        "451 4.3.0 Temporary failure, try again later",
        "554 5.3.0 Transaction failed, permanent error",
        "454 4.7.0 TLS not available due to local problem",
    ],
)
def test_any_refusal_of_starttls_is_starttls_unavailable(text: str) -> None:
    reply = parse_reply_text(text)
    refused = _step(Stage.STARTTLS, Outcome.REPLY, reply)
    findings = session_findings(
        _evidence(*_GREETED, refused, _step(Stage.MAIL_FROM), _step(Stage.RCPT_TO))
    )
    top = findings[0]
    assert top.id.startswith("starttls.reply.")
    assert top.category is Category.STARTTLS_UNAVAILABLE
    assert top.severity is Severity.WARNING  # opportunistic: the walk went on
    assert "greeting" not in top.message


def test_421_to_starttls_stays_service_unavailable() -> None:
    reply = parse_reply_text("421 4.3.2 Service shutting down")
    findings = session_findings(_evidence(*_GREETED, _step(Stage.STARTTLS, Outcome.REPLY, reply)))
    assert findings[0].category is Category.SERVICE_UNAVAILABLE
