"""Rules: evidence → findings → verdict. Pure functions, no I/O."""

from smtpdoctor.diagnosis.classify import Classification, classify, classify_reply

__all__ = ["Classification", "classify", "classify_reply"]
