"""Texts that admit more than one cause, and the one check that tells them apart.

"connect to X:25: Connection timed out" is a dead host, a destination that
filters this sender, or an outbound port-25 block where the sender runs;
"Connection refused" is a stopped MTA or a firewall that REJECTs. The text
alone cannot decide; a probe from the sending machine can. Each reading
names its category, why it fits, and the ``smtpdoctor diagnose`` command
that confirms or rules it out (``{host}`` and ``{port}`` are filled from
the text when it names them).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.phrasing import LazyRegex, present_words, search_open, words_absent
from smtpdoctor.model import Category, Stage

__all__ = ["ALTERNATIVES", "Reading", "class_readings", "named_readings", "readings_for"]


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read an ambiguous text."""

    category: Category
    why: str
    check: str  # a command line with {host} and {port}
    tells: str  # what the check shows when this reading is right

    def to_json(self, host: str, port: int) -> dict[str, str]:
        return {
            "category": self.category.value,
            "why": self.why.format(host=host, port=port),
            "check": self.check.format(host=host, port=port),
            "if": self.tells,
        }


_OUTBOUND = Reading(
    Category.FIREWALL_BLOCK,
    "Outbound port 25 is blocked where the sender runs (cloud providers and many "
    "ISPs drop it by default), so every destination times out.",
    "smtpdoctor diagnose gmail-smtp-in.l.google.com --quick",
    "a well-known MX times out too from the same machine",
)
_DEAD = Reading(
    Category.SERVICE_UNAVAILABLE,
    "The destination host is down or the address is wrong: nothing on it answers.",
    "smtpdoctor diagnose {host}:{port}",
    "the port probe finds no port of the host answering (net.host.silent)",
)
_FILTERED = Reading(
    Category.FIREWALL_BLOCK,
    "A firewall in front of the destination silently drops this sender on port "
    "{port} while the host itself is up.",
    "smtpdoctor diagnose {host}:{port}",
    "ports 80/443/465/587 answer while port 25 stays silent (net.port25.filtered)",
)
_STOPPED = Reading(
    Category.SERVICE_UNAVAILABLE,
    "Nothing listens on the port: the MTA is stopped, crashed, or listens on localhost only.",
    "smtpdoctor diagnose {host}:{port}",
    "the refusal comes from the host itself (TCP RST at once) while its other ports answer",
)
_REJECT = Reading(
    Category.FIREWALL_BLOCK,
    "A firewall REJECTs this sender (a TCP RST or an ICMP 'port/admin prohibited' "
    "sent on the host's behalf).",
    "smtpdoctor diagnose {host}:{port} --path",
    "the refusal is an ICMP error or comes from a hop before the host (traceroute)",
)
_NO_ROUTE = Reading(
    Category.FIREWALL_BLOCK,
    "A router or firewall on the way answered 'unreachable' for this sender.",
    "smtpdoctor diagnose {host}:{port} --path",
    "the traceroute stops at a hop that answers with an ICMP unreachable",
)
_NO_IPV6 = Reading(
    Category.DNS_RESOLUTION,
    "This host has no route for the address family it tried (often IPv6 from an "
    "IPv4-only network), though the MX publishes an AAAA record.",
    "smtpdoctor diagnose {host}:{port}",
    "the IPv4 addresses of the same host connect and only the IPv6 ones fail",
)

_SMALL_TEST = "smtpdoctor diagnose {host}:{port} --send --size 1000 --to RECIPIENT"
_DOMAIN_TEST = "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT"
_LATER_TEST = "smtpdoctor diagnose {host}:{port} --to RECIPIENT"

_TLS_OFFER = Reading(
    Category.TLS_VERSION_MISMATCH,
    "The two sides share no TLS version or cipher suite and the server's TLS stack hangs "
    "up instead of sending an alert (an old server with TLS 1.0/1.1 or RC4/3DES only, "
    "a client that requires TLS 1.2).",
    "smtpdoctor diagnose {host}:{port} --ciphers",
    "some TLS versions or ciphers handshake and none of this client's do (tls.version.*)",
)
_MIDDLEBOX = Reading(
    Category.FIREWALL_BLOCK,
    "A middlebox on the path (an IPS, a TLS-inspecting firewall, an SMTP fixup) cuts the "
    "session once STARTTLS begins, whatever the server would negotiate.",
    "smtpdoctor diagnose {host}:{port} --ciphers",
    "every TLS version is cut the same way right after STARTTLS, or the EHLO reply shows "
    "STARTTLS masked (XXXXXXXA)",
)
_CONNECTION_LIMIT = Reading(
    Category.RATE_LIMITED,
    "This sender keeps more connections open to the server than it allows one client "
    "address (Postfix's smtpd_client_connection_count_limit, Exim's smtp_accept_max_per_host).",
    "smtpdoctor diagnose {host}:{port} --quick",
    "one connection from this machine, with its other deliveries paused, gets the greeting: "
    "lower the sender's concurrency to that destination",
)
_OVERLOADED = Reading(
    Category.SERVICE_UNAVAILABLE,
    "The server is at its total connection limit, busy for every client (Postfix's process "
    "limit, Exim's smtp_accept_max), whatever this sender does.",
    "smtpdoctor diagnose {host}:{port} --quick",
    "that one connection gets the 421 too: the receiver is overloaded; retries get through later",
)
_NOT_HOSTED = Reading(
    Category.POLICY_REJECTION,
    "The server that answered does not host the recipient's domain (a stale MX, a wrong "
    "relay host or transport), so it refuses to relay the mail.",
    _DOMAIN_TEST,
    "the domain's own MX hosts accept the address: send to them (fix the MX, relayhost "
    "or transport)",
)
_NOT_AUTHENTICATED = Reading(
    Category.AUTHENTICATION,
    "The server is the sender's own outgoing server and relays only for clients that log "
    "in (or send from its trusted networks); this client sent without AUTH.",
    "smtpdoctor diagnose {host}:587 --auth USER --to RECIPIENT",
    "with AUTH the same RCPT TO is accepted: turn on SMTP authentication in the client",
)
_ADDRESS_GONE = Reading(
    Category.RECIPIENT,
    "The address does not exist, or its mailbox is disabled, on the recipient's server "
    "(RFC 5321's 550 text 'mailbox unavailable' covers both).",
    "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT",
    "postmaster@RECIPIENT-DOMAIN is accepted while RECIPIENT is refused (5.1.1: no such "
    "user; 5.2.1: disabled)",
)
_SENDER_REFUSED = Reading(
    Category.POLICY_REJECTION,
    "The receiver refuses this sender by policy and words it with RFC 5321's generic "
    "550 text ('no access, or command rejected for policy reasons').",
    "smtpdoctor diagnose RECIPIENT-DOMAIN --to postmaster@RECIPIENT-DOMAIN",
    "postmaster@, which every domain must accept (RFC 5321 4.5.1), is refused too: the "
    "sender is refused, not the mailbox",
)

_NO_ACCOUNT = Reading(
    Category.RECIPIENT,
    "The address has no account on the recipient's domain (a typo, or a closed account).",
    "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT",
    "the domain's own MX hosts refuse the address at RCPT TO",
)
_LISTED = Reading(
    Category.POLICY_REJECTION,
    "The mail server keeps a block list, and the address or its domain is on it.",
    "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT",
    "the domain's own MX hosts accept the address: the refusal is that server's list",
)
_NO_DNS = Reading(
    Category.DNS_RESOLUTION,
    "The recipient's domain publishes no usable MX or address record, so no route to it is found.",
    "smtpdoctor diagnose RECIPIENT-DOMAIN",
    "the DNS stage finds no MX and no A/AAAA record for the domain",
)

# Keyed by the id of the evidence that decided (a pattern or a vendor code).
ALTERNATIVES: dict[str, tuple[Reading, ...]] = {
    "smtp.connect_timeout": (_OUTBOUND, _FILTERED, _DEAD),
    "library.connect_failed": (_OUTBOUND, _FILTERED, _DEAD),
    # knowledge/wording.py: Go's dialer and Windows' WSAETIMEDOUT at connect.
    "wording.go_dial_timeout": (_OUTBOUND, _FILTERED, _DEAD),
    "wording.connect_timeout_windows": (_OUTBOUND, _FILTERED, _DEAD),
    "microsoft:4.4.315": (_FILTERED, _DEAD),
    "microsoft:4.4.317": (_FILTERED, _DEAD),
    "smtp.connect_refused": (_STOPPED, _REJECT),
    "synonyms.connection_refused_order": (_STOPPED, _REJECT),
    "microsoft:4.4.316": (_STOPPED, _REJECT),
    "ms.connection_refused_316": (_STOPPED, _REJECT),
    "smtp.no_route": (_NO_ROUTE, _NO_IPV6),
    # (session 20) cPanel's Exim names three causes itself: "The account or domain may
    # not exist, they may be blacklisted, or missing the proper dns entries" (Sisimai
    # reads its lhost-exim-31 as a host that does not resolve).
    "bounce.cpanel_cannot_route": (_NO_ACCOUNT, _LISTED, _NO_DNS),
}


def readings_for(ids: tuple[str, ...]) -> tuple[Reading, ...]:
    """The readings of the first id that has some (the deciding evidence comes first)."""
    for id_ in ids:
        found = ALTERNATIVES.get(id_)
        if found:
            return found
    return ()


# Classes of text that state one cause in words several causes give (issue 10
# item 2): each with the condition on the classification and the text.
_TLS_STAGES = frozenset({Stage.STARTTLS, Stage.TLS_HANDSHAKE})
# (the peer gone without a TLS alert: reset, closed, EOF)
_TLS_CUT = re.compile(
    r"\breset\b|\blost connection\b|\bconnection (?:was )?closed\b|\bclosed by\b|"
    r"\bunexpected eof\b|\bEOF\b|\bbroken pipe\b|\bdisconnected\b",
    re.IGNORECASE,
)
# "too many connections" in the words of the rate patterns' languages
_CONNECTIONS = re.compile(
    r"connections|sessions|connexions|Verbindungen|conexiones|connessioni|conexões|"
    r"соединени|подключени|连接|連線|接続",
    re.IGNORECASE,
)
_RELAY_IDS = frozenset(
    {
        "generic.relay_denied",
        "i18n.relay_denied",
        "synonyms.relay_refused",
        "bounce.rcpt_restriction_relay",
    }
)
_MAILBOX_UNAVAILABLE = re.compile(
    r"\bmail-?box (?:is )?(?:currently )?(?:unavailable|not available)\b", re.IGNORECASE
)
# an enhanced code that already says which (X.1.x the address, X.2.x the mailbox, X.7.x policy)
_DECIDING_ENHANCED = re.compile(r"(?<![\d.])[245]\.[127]\.\d{1,3}(?![\d.])")


def class_readings(
    matched: tuple[str, ...], category: Category, stage: Stage, text: str
) -> tuple[Reading, ...]:
    """The readings of a class of text that states its cause in words several
    causes give (a reset after STARTTLS, 421 too many connections, relay access
    denied, mailbox unavailable), else ()."""
    if stage in _TLS_STAGES and category in (
        Category.TLS_HANDSHAKE_FAILURE,
        Category.CONNECTION_DROPPED,
    ):
        return (_TLS_OFFER, _MIDDLEBOX) if _TLS_CUT.search(text) else ()
    if category is Category.RATE_LIMITED and _CONNECTIONS.search(text):
        return (_CONNECTION_LIMIT, _OVERLOADED)
    if category is Category.POLICY_REJECTION and not _RELAY_IDS.isdisjoint(matched):
        return (_NOT_HOSTED, _NOT_AUTHENTICATED)
    if (
        category is Category.RECIPIENT
        and _MAILBOX_UNAVAILABLE.search(text)
        and not _DECIDING_ENHANCED.search(text)
    ):
        return (_ADDRESS_GONE, _SENDER_REFUSED)
    return ()


# ---------------------------------------------------------------------------
# Texts whose own words name two causes ("552 Mailbox full or message too large";
# Alibaba Mail's "收件方邮箱可用容量不足或该邮件大小超过..."). The reply's first cause
# is its category (the classifier reads it); the text still admits the other, and
# a check tells them apart. A cause is named by the words servers use for it, in
# the languages knowledge/wording.py reads for it; two causes of different
# categories joined by "or" (in the languages below) a few words apart make the
# text's readings, in the order it names them.


_MAILBOX_FULL = Reading(
    Category.RECIPIENT,
    "The recipient's mailbox is full (over its storage quota): it refuses any "
    "message, however small, until space is freed.",
    _SMALL_TEST,
    "a small test message is refused too; the recipient or their provider must "
    "free space or raise the quota",
)
_TOO_LARGE = Reading(
    Category.MESSAGE_SIZE,
    "The message is larger than the receiving server or this mailbox accepts.",
    _SMALL_TEST,
    "a small test message is accepted; send the large one smaller (a link, or split attachments)",
)
_NO_SUCH_USER = Reading(
    Category.RECIPIENT,
    "The address does not exist (or is disabled) on the recipient domain's server.",
    _DOMAIN_TEST,
    "the domain's own MX hosts refuse the address at RCPT TO",
)
_NO_RELAY = Reading(
    Category.POLICY_REJECTION,
    "The server that answered does not take mail for the recipient's domain and "
    "will not relay it for this sender (not the domain's MX, or no authentication).",
    _DOMAIN_TEST,
    "the domain's own MX hosts accept the address: the mail went to another server",
)
_BLOCKED = Reading(
    Category.POLICY_REJECTION,
    "The receiver refuses this sender (its IP or domain) by policy or a block list; "
    "waiting does not help.",
    _LATER_TEST,
    "run after an hour without sending to it, RCPT TO is still refused",
)
_RATE = Reading(
    Category.RATE_LIMITED,
    "The sender went over the receiver's rate limit; mail is taken again after a pause.",
    _LATER_TEST,
    "run after an hour without sending to it, RCPT TO is accepted",
)

# What names each cause: the classifier's own patterns for it (no word list of
# this module's), English and every language they read: knowledge/patterns.py's
# generic table, knowledge/languages.py's i18n table (French, German, Spanish,
# Portuguese, Italian, Russian, Chinese, Japanese, Polish, Czech, Dutch, Turkish,
# Korean) and knowledge/wording.py's intl_*/cjk_* classes.
_NAMED_BY: tuple[tuple[Reading, tuple[str, ...]], ...] = (
    (
        _MAILBOX_FULL,
        (
            "generic.mailbox_full",
            "wording.mailbox_quota",
            "i18n.mailbox_full",
            "wording.intl_mailbox_full",
        ),
    ),
    (_TOO_LARGE, ("generic.message_size", "wording.intl_message_size")),
    (
        _NO_SUCH_USER,
        (
            "generic.user_unknown",
            "i18n.user_unknown",
            "wording.intl_recipient_gone",
            "wording.cjk_recipient_gone",
        ),
    ),
    (_NO_RELAY, ("generic.relay_denied", "i18n.relay_denied")),
    (_BLOCKED, ("generic.blocklist", "wording.policy_words", "i18n.blocked")),
    (_RATE, ("generic.rate_limit", "i18n.rate", "wording.cjk_rate")),
)

# "or" between two causes, a few words apart, in one sentence.
# (English or, German oder, French/Portuguese ou, Spanish/Italian o and u, Polish lub
# and albo, Czech nebo, Russian или and либо, Turkish veya, Korean 또는, Chinese 或,
# Japanese または and もしくは; Dutch "of" is left out: it is English's "of" too.)
_OR = re.compile(
    r"(?:^|[^\w])(?:or|oder|ou|o|u|lub|albo|nebo|или|либо|veya|또는)(?:[^\w]|$)|或|または|もしくは",
    re.IGNORECASE,
)
# (session 20) _OR of an ASCII text: its ASCII words alone can stand there, and an ASCII
# text's letters, cases and word characters are the ASCII ones: the same truth, without
# a Unicode case and word lookup at every character of a long bounce paragraph.
# (session 22) Each word between word boundaries (a word that opens and ends with a
# letter has a non-word character or an end on each side exactly there), the words
# that open with "o" as one branch: the same truth, ~40 % less of the regex engine's
# work at every character of a text that holds no such word (the match spans, never
# read, are the words alone).
_OR_ASCII = re.compile(r"\b(?:o(?:r|der|u)?|u|lub|albo|nebo|veya)\b", re.IGNORECASE | re.ASCII)
_GAP = 40  # characters between the two causes' words at most
_SENTENCE_END = re.compile(r"[.;!?。；](?:\s|$)")


@cache
def _named() -> tuple[tuple[Reading, tuple[LazyRegex, ...]], ...]:
    from smtpdoctor.knowledge.patterns import pattern_by_id  # noqa: PLC0415 - the tables, on first use

    return tuple(
        (reading, tuple(pattern_by_id(id_).regex for id_ in ids)) for reading, ids in _NAMED_BY
    )


def named_readings(text: str) -> tuple[Reading, ...]:
    """The causes ``text`` names joined by "or", when they are of different
    categories: each reading in the order the text names it, else ()."""
    if (_OR_ASCII if text.isascii() else _OR).search(text) is None:
        return ()
    # Only the causes whose patterns' needed words the text holds (the word index
    # the classifier's tables search by), and only when two categories remain: most
    # texts with an "or" in them name one cause or none.
    present = present_words(text.lower())
    named = [
        (reading, rx)
        for reading, regexes in _named()
        for rx in regexes
        if not words_absent(rx, present)
    ]
    if len({reading.category for reading, _ in named}) < 2:
        return ()
    # Of those, the causes whose regexes match (searched by their open branches: a whole
    # table regex's matches, below, are tried with its every branch at every character).
    named = [(reading, rx) for reading, rx in named if search_open(rx, present, text)]
    if len({reading.category for reading, _ in named}) < 2:
        return ()
    found: list[tuple[int, int, Reading]] = []
    # (a cause's words inside another's are not a cause of their own: "Relay
    # access denied" is no block for its "denied")
    for start, end, reading in sorted(
        (
            (m.start(), -m.end(), reading)
            for reading, rx in named
            for m in rx.compiled.finditer(text)
        ),
        key=lambda f: f[:2],
    ):
        if not found or start >= found[-1][1]:
            found.append((start, -end, reading))
    for (_, end, first), (start, _, second) in pairwise(found):
        gap = text[end:start]
        if (
            first.category is not second.category
            and len(gap) <= _GAP
            and _OR.search(gap) is not None
            and _SENTENCE_END.search(gap) is None
        ):
            return (first, second)
    return ()
