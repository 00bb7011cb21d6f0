"""smtpdoctor: finds out why mail between two SMTP servers fails in transit."""

__version__ = "0.1.0"
