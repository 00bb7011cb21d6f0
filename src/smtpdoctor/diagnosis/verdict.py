"""Findings → the one verdict: the root cause, in a sentence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smtpdoctor.model import Category, Finding, Permanence, Severity, Stage, Status, Verdict

__all__ = ["sort_findings", "verdict_for"]

_STATUS = {Severity.CRITICAL: Status.FAILURE, Severity.WARNING: Status.WARNING}


# Among findings of equal severity, how directly each class stops mail: a
# session that breaks outranks a certificate nobody verifies, which outranks a
# PTR that does not match a banner (hygiene that strict peers only sometimes
# act on).
_HYGIENE = {
    Category.TLS_CERTIFICATE: 1,
    Category.DNS_PTR_MISMATCH: 2,
    Category.OTHER: 3,
    Category.OK: 4,
}
_STAGE_ORDER = list(Stage)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; then the fault nearest the root: what stops mail
    before hygiene, and the earliest stage of the session."""
    return sorted(
        findings,
        key=lambda f: (f.severity.rank, _HYGIENE.get(f.category, 0), _STAGE_ORDER.index(f.stage)),
    )


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
    # Only where mail really stops: a warning (a self-signed certificate
    # nobody verifies, a backup MX while another works) is not being retried.
    if (
        top.severity is Severity.CRITICAL
        and top.permanence is Permanence.TEMPORARY
        and top.retry_helps is False
    ):
        summary += " Senders will keep retrying, but that cannot help until this is fixed."
    return Verdict(
        _STATUS[top.severity], top.category, top.stage, top.permanence, summary, top.retry_helps
    )
