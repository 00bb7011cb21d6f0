"""What smtpdoctor knows about SMTP: codes, provider phrasings and fix recipes.

Data and pure lookups only (no I/O): RFC 5321 reply codes, the IANA enhanced
status code registry, Microsoft's own codes, text patterns for provider
replies and MTA log lines, and per-MTA fix recipes for every root-cause
category. :mod:`smtpdoctor.diagnosis.classifier` turns these into answers.
"""

# The names below load on first use (PEP 562): the pattern tables compile
# dozens of regular expressions, which a diagnosis that never meets a
# negative reply should not pay for at start-up.
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.knowledge.categories import CATEGORY_INFO, CategoryInfo, category_info
    from smtpdoctor.knowledge.enhanced import (
        CLASSES,
        REGISTRY,
        REGISTRY_SOURCE,
        REGISTRY_TAKEN,
        REGISTRY_UPDATED,
        SUBJECTS,
        ClassInfo,
        EnhancedCode,
        SubjectInfo,
        lookup_registry,
        split_enhanced,
    )
    from smtpdoctor.knowledge.fixes import FIXES, fixes_for
    from smtpdoctor.knowledge.microsoft import (
        MICROSOFT_CODES,
        MICROSOFT_HINT,
        VendorCode,
        lookup_microsoft,
    )
    from smtpdoctor.knowledge.patterns import (
        KINDS,
        PATTERNS,
        PERMANENCE_CUES,
        STAGE_PHRASES,
        PermanenceCue,
        StagePhrase,
        TextPattern,
        pattern_by_id,
    )
    from smtpdoctor.knowledge.replycodes import (
        BASIC_CODES,
        FIRST_DIGIT,
        SECOND_DIGIT,
        BasicCode,
        lookup_basic,
        permanence_of,
    )

_WHERE: dict[str, str] = {
    "CATEGORY_INFO": "smtpdoctor.knowledge.categories",
    "CategoryInfo": "smtpdoctor.knowledge.categories",
    "category_info": "smtpdoctor.knowledge.categories",
    "CLASSES": "smtpdoctor.knowledge.enhanced",
    "REGISTRY": "smtpdoctor.knowledge.enhanced",
    "REGISTRY_SOURCE": "smtpdoctor.knowledge.enhanced",
    "REGISTRY_TAKEN": "smtpdoctor.knowledge.enhanced",
    "REGISTRY_UPDATED": "smtpdoctor.knowledge.enhanced",
    "SUBJECTS": "smtpdoctor.knowledge.enhanced",
    "ClassInfo": "smtpdoctor.knowledge.enhanced",
    "EnhancedCode": "smtpdoctor.knowledge.enhanced",
    "SubjectInfo": "smtpdoctor.knowledge.enhanced",
    "lookup_registry": "smtpdoctor.knowledge.enhanced",
    "split_enhanced": "smtpdoctor.knowledge.enhanced",
    "FIXES": "smtpdoctor.knowledge.fixes",
    "fixes_for": "smtpdoctor.knowledge.fixes",
    "MICROSOFT_CODES": "smtpdoctor.knowledge.microsoft",
    "MICROSOFT_HINT": "smtpdoctor.knowledge.microsoft",
    "VendorCode": "smtpdoctor.knowledge.microsoft",
    "lookup_microsoft": "smtpdoctor.knowledge.microsoft",
    "KINDS": "smtpdoctor.knowledge.patterns",
    "PATTERNS": "smtpdoctor.knowledge.patterns",
    "PERMANENCE_CUES": "smtpdoctor.knowledge.patterns",
    "STAGE_PHRASES": "smtpdoctor.knowledge.patterns",
    "PermanenceCue": "smtpdoctor.knowledge.patterns",
    "StagePhrase": "smtpdoctor.knowledge.patterns",
    "TextPattern": "smtpdoctor.knowledge.patterns",
    "pattern_by_id": "smtpdoctor.knowledge.patterns",
    "BASIC_CODES": "smtpdoctor.knowledge.replycodes",
    "FIRST_DIGIT": "smtpdoctor.knowledge.replycodes",
    "SECOND_DIGIT": "smtpdoctor.knowledge.replycodes",
    "BasicCode": "smtpdoctor.knowledge.replycodes",
    "lookup_basic": "smtpdoctor.knowledge.replycodes",
    "permanence_of": "smtpdoctor.knowledge.replycodes",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BASIC_CODES",
    "CATEGORY_INFO",
    "CLASSES",
    "FIRST_DIGIT",
    "FIXES",
    "KINDS",
    "MICROSOFT_CODES",
    "MICROSOFT_HINT",
    "PATTERNS",
    "PERMANENCE_CUES",
    "REGISTRY",
    "REGISTRY_SOURCE",
    "REGISTRY_TAKEN",
    "REGISTRY_UPDATED",
    "SECOND_DIGIT",
    "STAGE_PHRASES",
    "SUBJECTS",
    "BasicCode",
    "CategoryInfo",
    "ClassInfo",
    "EnhancedCode",
    "PermanenceCue",
    "StagePhrase",
    "SubjectInfo",
    "TextPattern",
    "VendorCode",
    "category_info",
    "fixes_for",
    "lookup_basic",
    "lookup_microsoft",
    "lookup_registry",
    "pattern_by_id",
    "permanence_of",
    "split_enhanced",
]
