"""The walk's evidence as the session rules' unit tests give it (one factory for them all)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpdoctor.diagnosis.session_rules import SessionEvidence
from smtpdoctor.evidence.session import Step

# Nothing known beyond the steps: no STARTTLS offered, no TLS, no certificate, no SIZE.
_NOTHING_KNOWN: dict[str, Any] = {
    "starttls_offered": False,
    "tls_version": None,
    "tls_cipher": None,
    "certificate": None,
    "size_limit": None,
    "size_wanted": None,
}
# A walk that negotiated TLS 1.3 after STARTTLS.
TLS13: dict[str, Any] = {
    "starttls_offered": True,
    "tls_version": "TLSv1.3",
    "tls_cipher": "TLS_AES_256_GCM_SHA384",
}


def session_evidence(steps: Sequence[Step], **fields: Any) -> SessionEvidence:
    """What the session rules are given of ``steps``: ``fields`` (``**TLS13`` for a
    TLS 1.3 walk), nothing else known."""
    return SessionEvidence(steps=steps, **(_NOTHING_KNOWN | fields))
