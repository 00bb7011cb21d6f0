"""Findings → the one verdict: the root cause, in a sentence."""

from __future__ import annotations

from collections.abc import Sequence

from smtpdoctor.model import Category, Finding, Permanence, Severity, Stage, Status, Verdict

__all__ = ["verdict_for"]

_STATUS = {Severity.CRITICAL: Status.FAILURE, Severity.WARNING: Status.WARNING}


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def verdict_for(findings: Sequence[Finding]) -> Verdict:
    """The most severe finding, taken as sorted (most severe, earliest stage first)."""
    problems = [f for f in findings if f.severity is not Severity.INFO]
    if not problems:
        return Verdict(
            Status.OK,
            Category.OK,
            Stage.NONE,
            Permanence.NONE,
            "Healthy: the session went through every stage without a fault.",
            retry_helps=None,
        )
    top = min(problems, key=lambda f: f.severity.rank)
    summary = _first_sentence(top.message)
    if top.permanence is Permanence.TEMPORARY and top.retry_helps is False:
        summary += " The reply is temporary, but retrying will not help until this is fixed."
    return Verdict(
        _STATUS[top.severity], top.category, top.stage, top.permanence, summary, top.retry_helps
    )
