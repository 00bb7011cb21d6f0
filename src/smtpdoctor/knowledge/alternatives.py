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
from smtpdoctor.model import Category

__all__ = ["ALTERNATIVES", "Reading", "named_readings", "readings_for"]


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
}


def readings_for(ids: tuple[str, ...]) -> tuple[Reading, ...]:
    """The readings of the first id that has some (the deciding evidence comes first)."""
    for id_ in ids:
        found = ALTERNATIVES.get(id_)
        if found:
            return found
    return ()


# ---------------------------------------------------------------------------
# Texts whose own words name two causes ("552 Mailbox full or message too large";
# Alibaba Mail's "收件方邮箱可用容量不足或该邮件大小超过..."). The reply's first cause
# is its category (the classifier reads it); the text still admits the other, and
# a check tells them apart. A cause is named by the words servers use for it, in
# the languages knowledge/wording.py reads for it; two causes of different
# categories joined by "or" (or, oder, ou, o, lub, или, 或, または) a few words
# apart make the text's readings, in the order it names them.

_SMALL_TEST = "smtpdoctor diagnose {host}:{port} --send --size 1000 --to RECIPIENT"
_DOMAIN_TEST = "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT"
_LATER_TEST = "smtpdoctor diagnose {host}:{port} --to RECIPIENT"

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

# What names each cause: English as servers write it, and the words
# knowledge/wording.py's intl_* patterns read in other languages.
# (compiled on first use: only the reading shown needs them)
_NAMED_WORDS: tuple[tuple[Reading, str], ...] = (
    (
        _MAILBOX_FULL,
        (
            r"\b(?:mail ?box|in ?box|account|user)(?: is)? (?:full|over (?:its |the )?quota)\b|"
            r"\bover (?:the |its )?(?:mailbox |storage |disk )?quota\b|"
            r"\b(?:mailbox|storage|disk|user|mail) quota (?:exceeded|full|reached)\b|"
            r"(?<!sending )(?<!daily )(?<!rate )\bquota (?:exceeded|full)\b|"
            r"\bexceeded storage allocation\b|\bstorage (?:allocation|limit) exceeded\b|"
            r"\binsufficient (?:storage|space)\b|"
            r"\b(?:Postfach|boite|boîte|buzón|buzon|casella|caixa|skrzynka|ящик)\b[^.;]{0,40}?"
            r"(?:voll|pleine|lleno|piena|cheia|pe[łl]na|переполнен)|"
            r"(?:邮箱|郵箱|信箱)(?:已满|已滿|空间不足)|"
            r"(?:收件人|收件方|用户|用戶)的?(?:邮箱|郵箱|信箱)?(?:可用)?(?:空间|空間|容量)(?:不足|已满|已滿)"
        ),
    ),
    (
        _TOO_LARGE,
        (
            r"\bmessage (?:is )?too (?:large|big|long)\b|"
            r"\bmessage (?:size|length) (?:exceeds|is over|too large|limit exceeded)|"
            r"\bexceeds? (?:the )?(?:fixed )?(?:maximum|max|allowed) (?:message )?size\b|"
            r"\bmessage exceeds\b[^.;]{0,30}\bsize\b|"
            r"\b(?:Nachricht|message|mensaje|messaggio|mensagem|wiadomo[śs][ćc]|сообщение)\b"
            r"[^.;]{0,30}?(?:zu gro[ßs]|trop (?:volumineux|gros|grand)|demasiado grande|"
            r"troppo grande|muito grande|za du[żz]|слишком больш)|"
            r"(?:邮件|郵件|信件)(?:大小)?(?:超过|超過|过大|過大)|(?:メッセージ|メール)(?:サイズ)?が?大きすぎ"
        ),
    ),
    (
        _NO_SUCH_USER,
        (
            r"\b(?:user|recipient|address|mailbox) (?:is )?(?:unknown|not found|does not exist)\b|"
            r"\bunknown (?:user|recipient|address|mailbox)\b|"
            r"\bno such (?:user|recipient|mailbox)\b|"
            r"\brecipient (?:address )?rejected\b|\binvalid (?:recipient|mailbox|address)\b"
        ),
    ),
    (
        _NO_RELAY,
        (
            r"\brelay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed)|prohibited)\b|"
            r"\b(?:unable|not allowed|not permitted) to relay\b"
        ),
    ),
    (
        _BLOCKED,
        r"\b(?:blocked|black ?listed|block ?listed|banned)\b",
    ),
    (
        _RATE,
        (
            r"\brate[- ]?limit(?:ed)?\b|\bthrottled\b|\btoo many (?:messages|connections|"
            r"recipients|mails|emails)\b|\brate of (?:mail|messages) exceeded\b"
        ),
    ),
)

# "or" between two causes, a few words apart, in one sentence.
_OR = re.compile(r"(?:^|[^\w])(?:or|oder|ou|o|lub|или)(?:[^\w]|$)|或|または", re.IGNORECASE)
_GAP = 40  # characters between the two causes' words at most
_SENTENCE_END = re.compile(r"[.;!?。；](?:\s|$)")


@cache
def _named() -> tuple[tuple[Reading, re.Pattern[str]], ...]:
    return tuple((reading, re.compile(words, re.IGNORECASE)) for reading, words in _NAMED_WORDS)


def named_readings(text: str) -> tuple[Reading, ...]:
    """The causes ``text`` names joined by "or", when they are of different
    categories: each reading in the order the text names it, else ()."""
    if _OR.search(text) is None:
        return ()
    found = sorted(
        ((m.start(), m.end(), reading) for reading, rx in _named() for m in rx.finditer(text)),
        key=lambda f: (f[0], f[1]),
    )
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
