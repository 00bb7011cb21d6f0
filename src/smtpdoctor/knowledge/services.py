"""What other services say first, to tell one answering on an SMTP port.

A port forward (DNAT) or load balancer aimed at the wrong host or port, an MX
(or its address) that names a host running no mail server, or another program
holding the port: the client meets SSH, HTTP, IMAP, POP3, FTP, LMTP, NNTP or
telnet where an SMTP greeting was due. Each row reads the first line the
server sent (its raw bytes); a row marked ``refuses_ehlo`` looks like an SMTP
greeting (FTP's and LMTP's ``220``), so it counts only when EHLO (and HELO)
was refused too.
"""

from __future__ import annotations

import re

from smtpdoctor.fastdataclass import dataclass

__all__ = ["OTHER_SERVICES", "OtherService", "other_service"]


@dataclass(frozen=True, slots=True)
class OtherService:
    """One service's first line, and whether it counts only after EHLO was refused."""

    name: str
    first_line: re.Pattern[bytes]
    refuses_ehlo: bool
    source: str


OTHER_SERVICES: tuple[OtherService, ...] = (
    OtherService(
        "SSH", re.compile(rb"SSH-\d+\.\d+-"), False, "RFC 4253 §4.2 (protocol version exchange)"
    ),
    OtherService(
        "HTTP", re.compile(rb"HTTP/\d(?:\.\d)? \d{3}\b"), False, "RFC 9112 §4 (status line)"
    ),
    OtherService(
        "IMAP",
        re.compile(rb"\* (?:OK|PREAUTH|BYE)\b"),
        False,
        "RFC 9051 §7.1 (greeting: untagged OK, PREAUTH or BYE)",
    ),
    OtherService("POP3", re.compile(rb"\+OK\b"), False, "RFC 1939 §4 (greeting: +OK)"),
    # IAC followed by WILL, WONT, DO or DONT: option negotiation before any text.
    OtherService("telnet", re.compile(rb"\xff[\xfb-\xfe]"), False, "RFC 854 (IAC commands)"),
    OtherService(
        "NNTP",
        re.compile(rb"20[01][ -].*\b(?:NNTP|InterNetNews|INN|news|Leafnode)\b", re.IGNORECASE),
        False,
        "RFC 3977 §5.1.1 (greeting: 200 or 201)",
    ),
    OtherService(
        "FTP",
        re.compile(rb"220[ -].*\b(?:FTP|vsFTPd|ProFTPD|Pure-FTPd|FileZilla)", re.IGNORECASE),
        True,
        "RFC 959 §5.4 (greeting: 220; unknown commands 500, or 530 before USER/PASS)",
    ),
    OtherService(
        "LMTP",
        re.compile(rb"220[ -].*\bLMTP\b", re.IGNORECASE),
        True,
        "RFC 2033 §4 (LMTP answers LHLO, not EHLO, and must not run on port 25)",
    ),
)


def other_service(first_line: bytes, ehlo_refused: bool) -> OtherService | None:
    """The service whose first line this is, or None (SMTP, or unknown)."""
    for service in OTHER_SERVICES:
        if service.refuses_ehlo and not ehlo_refused:
            continue
        if service.first_line.match(first_line):
            return service
    return None
