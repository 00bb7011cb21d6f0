"""What other services say first, to tell one answering on an SMTP port.

A port forward (DNAT) or load balancer aimed at the wrong host or port, an MX
(or its address) that names a host running no mail server, or another program
holding the port: the client meets SSH, HTTP, IMAP, POP3, FTP, LMTP, NNTP,
telnet, MySQL, VNC, rsync, IRC or ManageSieve where an SMTP greeting was due.
Each row reads the first bytes the server sent (raw, line ends and all: a
binary banner such as MySQL's packet is no line); a row marked ``refuses_ehlo`` looks like an SMTP
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
    # A MySQL/MariaDB packet: 3-byte length (a greeting is under 256 bytes), sequence
    # 0, then HandshakeV10 (0x0a and the version) or an ERR packet (0xff) for a host
    # it refuses before any handshake ("Host '...' is not allowed to connect").
    OtherService(
        "MySQL",
        re.compile(rb"[\s\S]\x00\x00\x00(?:\x0a\d+\.\d+\.\d+|\xff[\s\S]{2})"),
        False,
        "MySQL client/server protocol: Protocol::HandshakeV10 and ERR_Packet "
        "(https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html)",
    ),
    OtherService(
        "VNC", re.compile(rb"RFB \d{3}\.\d{3}\n"), False, "RFC 6143 §7.1.1 (ProtocolVersion)"
    ),
    OtherService(
        "rsync",
        re.compile(rb"@RSYNCD: \d+"),
        False,
        "rsync daemon protocol: the '@RSYNCD: <version>' greeting "
        "(https://download.samba.org/pub/rsync/rsyncd.conf.5)",
    ),
    # An IRC server's first words while it looks the client up: a NOTICE to "*" or
    # AUTH, or the numeric 020 some networks send.
    OtherService(
        "IRC",
        re.compile(rb"(?::\S+ )?(?:NOTICE (?:\*|AUTH)|020 \*) :"),
        False,
        "RFC 2812 §3.3.2 (NOTICE), RFC 1459 §4.4.2",
    ),
    OtherService(
        "ManageSieve",
        re.compile(
            rb'"(?:IMPLEMENTATION|SASL|SIEVE|STARTTLS|VERSION|NOTIFY|MAXREDIRECTS|LANGUAGE|OWNER)"'
        ),
        False,
        "RFC 5804 §1.7 (the greeting is the capability list)",
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
