"""Building findings: the one constructor the rule modules share."""

from __future__ import annotations

from typing import Any

from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import Category, Finding, Fix, Permanence, Severity, Stage

__all__ = ["finding"]


def finding(
    fid: str,
    severity: Severity,
    category: Category,
    stage: Stage,
    message: str,
    *,
    fixes: tuple[Fix, ...] | None = None,
    permanence: Permanence = Permanence.TEMPORARY,
    retry_helps: bool | None = None,
    **evidence: Any,
) -> Finding:
    """A finding whose keyword arguments beyond these become its evidence.

    ``fixes=None`` takes the knowledge base's recipes for the category.
    """
    return Finding(
        id=fid,
        severity=severity,
        category=category,
        stage=stage,
        message=message,
        evidence=evidence,
        fixes=fixes_for(category, stage) if fixes is None else fixes,
        permanence=permanence,
        retry_helps=retry_helps,
    )
