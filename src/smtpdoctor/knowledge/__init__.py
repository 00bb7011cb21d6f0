"""What smtpdoctor knows about SMTP: codes, provider phrasings and fix recipes.

Data and pure lookups only (no I/O): RFC 5321 reply codes, the IANA enhanced
status code registry, Microsoft's own codes, text patterns for provider
replies and MTA log lines, and per-MTA fix recipes for every root-cause
category. :mod:`smtpdoctor.diagnosis.classify` turns these into answers.
"""

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
