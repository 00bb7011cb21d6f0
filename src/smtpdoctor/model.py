"""The contract's vocabularies and the result types every layer shares.

This module is the bottom of the import graph (stdlib only): the protocol
core, the probes, the rules and every front end speak these words, and the
JSON documents in ``shared/spec/contract.md`` are built from them. The string
values are part of the public contract: never rename them.
"""

from __future__ import annotations

from dataclasses import field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.fastenum import FastEnumType

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MTA",
    "Category",
    "ExitCode",
    "Finding",
    "Fix",
    "Outcome",
    "Permanence",
    "Severity",
    "Stage",
    "Status",
    "Verdict",
]

JSON = dict[str, "Any"]  # (typing is for mypy only: a cold diagnose runs without it)


class Category(StrEnum, metaclass=FastEnumType):
    """The root-cause class of a failure."""

    OK = "ok"
    TLS_VERSION_MISMATCH = "tls_version_mismatch"
    TLS_HANDSHAKE_FAILURE = "tls_handshake_failure"
    TLS_CERTIFICATE = "tls_certificate"
    STARTTLS_UNAVAILABLE = "starttls_unavailable"
    DNS_PTR_MISMATCH = "dns_ptr_mismatch"
    DNS_RESOLUTION = "dns_resolution"
    FIREWALL_BLOCK = "firewall_block"
    NETWORK_TIMEOUT = "network_timeout"
    CONNECTION_DROPPED = "connection_dropped"
    SERVICE_UNAVAILABLE = "service_unavailable"
    RATE_LIMITED = "rate_limited"
    POLICY_REJECTION = "policy_rejection"
    AUTHENTICATION = "authentication"
    RECIPIENT = "recipient"
    MESSAGE_SIZE = "message_size"
    OTHER = "other"


class Stage(StrEnum, metaclass=FastEnumType):
    """Where in the session something happened, in walking order."""

    DNS = "dns"
    CONNECT = "connect"
    GREETING = "greeting"
    EHLO = "ehlo"
    STARTTLS = "starttls"
    TLS_HANDSHAKE = "tls_handshake"
    AUTH = "auth"
    MAIL_FROM = "mail_from"
    RCPT_TO = "rcpt_to"
    DATA = "data"
    MESSAGE = "message"  # body transfer up to and including the end-of-data reply
    QUIT = "quit"
    NONE = "none"


class Outcome(StrEnum, metaclass=FastEnumType):
    """How one step of a session ended."""

    OK = "ok"
    REPLY = "reply"  # a negative SMTP reply, parsed
    RESET = "reset"  # TCP RST
    CLOSED = "closed"  # orderly close (FIN) with no reply
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TLS_ALERT = "tls_alert"
    PROTOCOL_ERROR = "protocol_error"


class Permanence(StrEnum, metaclass=FastEnumType):
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    NONE = "none"


class Severity(StrEnum, metaclass=FastEnumType):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


class ExitCode(IntEnum, metaclass=FastEnumType):
    """Every exit status of the command (contract: Exit status).

    The monitoring-plugin convention: a run that found a broken server is a
    successful run with status 2; 3 means the tool itself could not run.
    """

    OK = 0
    WARNING = 1
    FAILURE = 2
    ERROR = 3  # bad arguments or unusable input: one line on stderr
    INTERRUPTED = 130  # Ctrl-C: the shell's 128 + SIGINT


class Status(StrEnum, metaclass=FastEnumType):
    OK = "ok"
    WARNING = "warning"
    FAILURE = "failure"

    @property
    def exit_code(self) -> ExitCode:
        """0 healthy, 1 warning, 2 failure."""
        return ExitCode[self.name]


class MTA(StrEnum, metaclass=FastEnumType):
    """Who a fix is for."""

    POSTFIX = "postfix"
    EXIM = "exim"
    SENDMAIL = "sendmail"
    EXCHANGE = "exchange"
    MICROSOFT365 = "microsoft365"
    OPENSMTPD = "opensmtpd"
    QMAIL = "qmail"
    HARAKA = "haraka"
    HMAILSERVER = "hmailserver"
    MDAEMON = "mdaemon"
    ZIMBRA = "zimbra"
    COURIER = "courier"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Fix:
    """Concrete steps for one MTA, with an optional configuration snippet."""

    for_: MTA
    steps: tuple[str, ...]
    snippet: str = ""
    verify: str = ""  # one command that shows whether the fix is in place

    def to_json(self) -> JSON:
        doc: JSON = {"for": self.for_.value, "steps": list(self.steps), "snippet": self.snippet}
        if self.verify:
            doc["verify"] = self.verify
        return doc


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or notable fact, with its evidence and what to do about it."""

    id: str  # dotted and stable, e.g. "tls.version.below_floor"
    severity: Severity
    category: Category
    stage: Stage
    message: str
    evidence: JSON = field(default_factory=dict)
    fixes: tuple[Fix, ...] = ()
    permanence: Permanence = Permanence.NONE
    # Whether sending again later can succeed without anyone changing anything.
    retry_helps: bool | None = None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "category": self.category.value,
            "stage": self.stage.value,
            "message": self.message,
            "evidence": self.evidence,
            "fixes": [f.to_json() for f in self.fixes],
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The single most important finding: the root cause, in one sentence."""

    status: Status
    category: Category
    stage: Stage
    permanence: Permanence
    summary: str
    retry_helps: bool | None = None

    def to_json(self) -> JSON:
        doc: JSON = {
            "status": self.status.value,
            "category": self.category.value,
            "stage": self.stage.value,
            "permanence": self.permanence.value,
            "summary": self.summary,
        }
        if self.retry_helps is not None:
            doc["retry_helps"] = self.retry_helps
        return doc
