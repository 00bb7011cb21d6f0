"""The receiving side: why a client could not hand us its mail.

A mail admin whose partners cannot send *to* them reads their own server's
lines: Postfix ``smtpd``/``postscreen`` rejections, lost connections and
timeouts, TLS handshake failures on ``SSL_accept``; Exim's ACL rejections
and TLS errors on incoming connections; Sendmail's ``check_*`` rulesets and
``reject=``; Exchange receive protocol logs. Each such line becomes one
inbound event (``direction="inbound"``), and :func:`inbound_cause` reads it
from the receiver's side: which of a small set of :class:`Cause` values it
is, at which stage, and the detail the log gives (the TLS version or cipher
the client offered, the DNSBL, the missing PTR). The causes are what the
report's inbound section counts per client, and each has a finding
(``logs.inbound.<cause>``, :mod:`smtpdoctor.knowledge.catalogue.logs_inbound`)
with fixes written for the receiving side.

The sender-side classifier would read "Client host rejected: cannot find
your hostname" as the *sender's* PTR problem; here the same line means "our
policy refuses clients without a PTR", which calls for different advice.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache, lru_cache

from smtpdoctor.model import Category, Stage

__all__ = [
    "CAUSE_CATEGORY",
    "Cause",
    "inbound_cause",
    "inbound_cause_of_client",
    "stage_of_command",
    "tls_detail",
]


class Cause(StrEnum):
    """Why an incoming session failed, as the receiving admin acts on it."""

    TLS_VERSION = "tls_version"  # the client's TLS versions and ours do not overlap
    TLS_CIPHER = "tls_cipher"  # no cipher suite in common
    TLS_CERTIFICATE = "tls_certificate"  # the client refused our certificate
    TLS_HANDSHAKE = "tls_handshake"  # another handshake failure, or gone after STARTTLS
    PTR = "ptr"  # our policy refuses clients without (matching) reverse DNS
    DNSBL = "dnsbl"  # the client is on a blocklist we use
    PROTOCOL = "protocol"  # pregreet, pipelining, synchronization errors, non-SMTP
    HELO = "helo"  # its HELO/EHLO name is refused
    SENDER = "sender"  # its sender address or domain is refused
    RELAY = "relay_denied"  # it asked us to relay to a domain we do not serve
    RECIPIENT = "recipient"  # the recipient does not exist here, or its mailbox is full
    GREYLISTED = "greylisted"  # a temporary refusal of a first-seen triplet
    CONTENT = "content"  # milter, header/body checks, spam or virus scanners
    SIZE = "message_size"  # bigger than our message_size_limit
    RATE = "rate_limited"  # too many connections, messages or errors from it
    AUTH = "auth"  # SASL authentication failed
    TIMEOUT = "timeout"  # the client went silent
    DROPPED = "dropped"  # the client closed the connection mid-session
    POLICY = "policy"  # any other refusal


CAUSE_CATEGORY: dict[Cause, Category] = {
    Cause.TLS_VERSION: Category.TLS_VERSION_MISMATCH,
    Cause.TLS_CIPHER: Category.TLS_HANDSHAKE_FAILURE,
    Cause.TLS_CERTIFICATE: Category.TLS_CERTIFICATE,
    Cause.TLS_HANDSHAKE: Category.TLS_HANDSHAKE_FAILURE,
    Cause.PTR: Category.DNS_PTR_MISMATCH,
    Cause.DNSBL: Category.POLICY_REJECTION,
    Cause.PROTOCOL: Category.POLICY_REJECTION,
    Cause.HELO: Category.POLICY_REJECTION,
    Cause.SENDER: Category.POLICY_REJECTION,
    Cause.RELAY: Category.POLICY_REJECTION,
    Cause.RECIPIENT: Category.RECIPIENT,
    Cause.GREYLISTED: Category.RATE_LIMITED,
    Cause.CONTENT: Category.POLICY_REJECTION,
    Cause.SIZE: Category.MESSAGE_SIZE,
    Cause.RATE: Category.RATE_LIMITED,
    Cause.AUTH: Category.AUTHENTICATION,
    Cause.TIMEOUT: Category.NETWORK_TIMEOUT,
    Cause.DROPPED: Category.CONNECTION_DROPPED,
    Cause.POLICY: Category.POLICY_REJECTION,
}

# The SMTP command names servers log, in the session's order.
_COMMANDS: tuple[tuple[str, Stage], ...] = (
    ("CONNECT", Stage.CONNECT),
    ("GREETING", Stage.GREETING),
    ("EHLO", Stage.EHLO),
    ("HELO", Stage.EHLO),
    ("STARTTLS", Stage.STARTTLS),
    ("AUTH", Stage.AUTH),
    ("MAIL", Stage.MAIL_FROM),
    ("RCPT", Stage.RCPT_TO),
    ("DATA", Stage.DATA),
    ("BDAT", Stage.MESSAGE),
    ("END-OF-MESSAGE", Stage.MESSAGE),
    ("END-OF-DATA", Stage.MESSAGE),
    ("QUIT", Stage.QUIT),
)


@lru_cache(maxsize=256)  # (a log repeats a few commands: pure, so remembered)
def stage_of_command(word: str) -> Stage:
    """``RCPT`` → rcpt_to, ``END-OF-MESSAGE`` → message, ``check_rcpt`` → rcpt_to, …"""
    upper = word.strip().upper()
    if upper.startswith("CHECK_"):
        return _RULESETS.get(upper[6:], Stage.NONE)
    for name, stage in _COMMANDS:
        if upper.startswith(name):
            return stage
    return Stage.NONE


# Sendmail's rulesets, by the stage they run at.
_RULESETS = {
    "RELAY": Stage.CONNECT,
    "MAIL": Stage.MAIL_FROM,
    "RCPT": Stage.RCPT_TO,
    "COMPAT": Stage.RCPT_TO,
    "DATA": Stage.DATA,
    "EOH": Stage.MESSAGE,
    "EOM": Stage.MESSAGE,
}


# Ordered: the first that matches decides. TLS first (a TLS alert may quote a
# reply), then the receiver's own policies, then the generic endings.
_RULES: tuple[tuple[Cause, str], ...] = (
    # Exim's temporary refusals because its ACL itself is wrong (a configuration error:
    # "cannot test domains condition in DATA ACL", "unknown ACL verb", 'expected
    # "sender[=address]", "recipient", "helo", … at start of ACL condition'): the words
    # of the configuration they quote are no reason of the client's.
    (
        Cause.POLICY,
        r"\bACL error\b|unknown ACL (?:condition|verb|modifier)|at start of ACL condition"
        r"|cannot (?:verify|test) [\w ]+? in (?:[\w-]+ ACL|ACL for)",
    ),
    # Exim's check of the CLIENT's certificate ("TLS error on connection from …
    # (certificate verification failed): certificate revoked"): not the client's
    # alert about ours.
    (Cause.TLS_HANDSHAKE, r"\(certificate verification failed\)"),
    (
        Cause.TLS_VERSION,
        r"unsupported protocol|version too low|wrong version number|no protocols available"
        r"|unknown protocol|protocol version|inappropriate fallback"
        r"|could not negotiate a supported (?:protocol|version)|unsupported version",
    ),
    (
        Cause.TLS_CIPHER,
        r"no shared cipher|no suitable signature|could not negotiate a supported cipher"
        r"|no cipher|insufficient security|no suitable key share|no shared sig",
    ),
    (
        Cause.TLS_CERTIFICATE,
        r"alert (?:bad|unknown|unsupported) certificate|alert unknown ca"
        r"|certificate unknown|certificate is bad"
        r"|certificate (?:expired|revoked)|alert certificate|bad certificate",
    ),
    (
        Cause.TLS_HANDSHAKE,
        r"SSL_accept|TLS error on connection from|STARTTLS=server|gnutls_handshake"
        r"|TLS library problem|after STARTTLS|TLS negotiation failed|handshake",
    ),
    (Cause.GREYLISTED, r"greylist|graylist|try again later.*postgrey|\b4\.2\.0 .*later"),
    (
        Cause.DNSBL,
        r"blocked using|listed (?:at|in|on|by)|\bRBL\b|DNSBL|blacklist|blocklist|spamhaus"
        r"|barracuda|spamcop",
    ),
    (
        Cause.PTR,
        r"cannot find your (?:reverse )?hostname|reverse (?:DNS|hostname|lookup)"
        r"|no host name found|client host rejected: cannot|PTR|does not resolve to address"
        r"|may be forged|unknown client|hostname .* not verified",
    ),
    (
        Cause.PROTOCOL,
        r"PREGREET|COMMAND PIPELINING|BARE NEWLINE|NON-SMTP COMMAND|synchronization error"
        r"|improper command pipelining|non-SMTP command"
        r"|too many (?:errors|unknown commands)"
        r"|protocol error|SMTP syntax error|unrecognized command|pipelining|nonmail commands"
        r"|pre-?greeting"
        # a command out of place (RFC 5321's 503: "Bad sequence of commands"; OpenSMTPD's
        # "503 5.5.1 Invalid command: Command not allowed at this point", AUTH or STARTTLS
        # when not offered)
        r"|bad sequence of commands|command not allowed at this point"
        # RFC 3463's X.5.1 "Invalid command" (out of sequence or not supported), in the
        # words OpenSMTPD replies and logs ("500 5.5.1 Invalid command: …", 5.7-5.9's
        # "received invalid command: …"); X.5.4 "Invalid command arguments" is not it
        r"|invalid command:",
    ),
    (Cause.HELO, r"Helo command rejected|HELO|EHLO.*(?:invalid|rejected|syntactically)"),
    (
        Cause.RELAY,
        r"Relay access denied|relay not permitted|Relaying denied|unable to relay"
        r"|not permitted to relay|relay denied",
    ),
    (
        Cause.SIZE,
        r"size limit|too (?:big|large)|message_size_limit|exceeds .*size|Message size",
    ),
    (
        Cause.RATE,
        r"too many (?:open )?connections|connection rate|rate limit|ratelimit|Too much mail"
        r"|too many (?:messages|recipients)|Connection concurrency|try again later.*rate",
    ),
    (
        Cause.AUTH,
        r"authentication failed|SASL|AUTH .*(?:failed|rejected)|535 |command=AUTH"
        # (Exim's authenticators, whatever their reply: 435 "Unable to authenticate at
        # present", 501 "Authentication cancelled"; a client that must log in first)
        r"|authenticator failed|\bAUTH(?:entication)? (?:is )?required",
    ),
    (
        Cause.CONTENT,
        r"milter|header_checks|body_checks|spam|virus|malware|content|DMARC|DKIM|SPF"
        r"|local_scan|hits="
        # (not Exim's verify = header_sender, after DATA too: SENDER's)
        r"|rejected after DATA(?!: there is no valid sender)|Message rejected|policy violation"
        r"|check_eo[hm]",
    ),
    (
        Cause.RECIPIENT,
        r"User unknown|Recipient address rejected|unknown user|No such user|mailbox"
        r"|unrouteable address|user doesn't exist|invalid recipient|5\.1\.1",
    ),
    (
        Cause.SENDER,
        r"Sender address rejected|sender verify|Domain of sender|sender domain|check_mail"
        r"|Sender .* rejected|unverified sender|5\.1\.[78]|no valid sender in any header line"
        # (Exim's MAIL ACL refusing with no message: the sender is what it was given)
        r"|^rejected MAIL <[^>]*>$",
    ),
    (Cause.TIMEOUT, r"timeout|timed out"),
    (
        Cause.DROPPED,
        r"lost connection|lost input channel|unexpected disconnection|connection .* lost"
        r"|HANGUP|Connection reset|did not issue|no MAIL in",
    ),
)


@cache
def _rules() -> tuple[tuple[Cause, re.Pattern[str]], ...]:
    """Compiled on first use: most logs have no inbound failure at all."""
    return tuple((cause, re.compile(rx, re.IGNORECASE)) for cause, rx in _RULES)


_SPECIAL = frozenset(".^$*+?{}[]\\|()")


@cache
def _quick_rules() -> tuple[tuple[Cause, tuple[str, ...], re.Pattern[str] | None], ...]:
    """The rules for a text of ASCII only: each rule's branches that are plain
    words (``(?:a|b)`` and ``(?:a)?`` groups spelled out), lower-cased, to find
    in the lower-cased text; the other branches as one regex (or None). On ASCII
    text a case-insensitive regex of ASCII words matches exactly where the
    lower-cased words occur in the lower-cased text, so the causes are the same;
    a dozen substring searches cost less than a dozen case-insensitive regexes,
    and a text from a client differs from line to line (the memo misses)."""
    from smtpdoctor.knowledge.phrasing import split_top  # noqa: PLC0415 - on first need

    quick = []
    for cause, source in _RULES:
        words: list[str] = []
        rest: list[str] = []
        for branch in split_top(source):
            spelled = _spelled_out(branch)
            if spelled is None:
                rest.append(branch)
            else:
                words.extend(spelled)
        rx = re.compile("|".join(rest), re.IGNORECASE) if rest else None
        quick.append((cause, tuple(dict.fromkeys(words)), rx))
    return tuple(quick)


def _spelled_out(branch: str) -> list[str] | None:
    """Every text ``branch`` matches, lower-cased, when it is ASCII words with
    ``(?:a|b)`` or ``(?:a|b)?`` groups (no other regex syntax); else None.
    (A run of plain characters at a time, each found by one search: a rule's
    branches are read by every process that meets an inbound failure, a split
    run's halves each, and character by character they cost ~1.5 ms.)"""
    if not branch.isascii():
        return None
    out, i, size = [""], 0, len(branch)
    while i < size:
        group = branch.find("(?:", i)
        plain = branch[i:] if group < 0 else branch[i:group]
        if not _SPECIAL.isdisjoint(plain):
            return None
        if plain:
            out = [o + plain for o in out]
        if group < 0:
            break
        end = branch.find(")", group)
        inner = branch[group + 3 : end] if end >= 0 else "("
        if not _SPECIAL.isdisjoint(inner.replace("|", "")):
            return None
        alts = inner.split("|")
        i = end + 1
        if branch.startswith("?", i):
            alts.append("")
            i += 1
        out = [o + a for o in out for a in alts]
    return [o.lower() for o in out]


# What a TLS failure's lines say about the client's offer: OpenSSL's reason
# ("unsupported protocol", "no shared cipher", "tlsv1 alert protocol version"),
# GnuTLS's sentence, Sendmail's reason=, and any protocol version named.
_OPENSSL_REASON = re.compile(r"SSL routines:[^:]*:([^:]+)")
_GNUTLS_REASON = re.compile(r"\((?:gnutls_handshake|recv|send)\): ([^\n]+)")
_SENDMAIL_REASON = re.compile(r"reason=([^,]+)")
_VERSION = re.compile(r"\b(SSLv[23]|TLSv1(?:\.[0-3])?|TLS1\.[0-3])\b")
_REASONS = (
    ("SSL routines:", _OPENSSL_REASON),
    ("): ", _GNUTLS_REASON),
    ("reason=", _SENDMAIL_REASON),
)


@lru_cache(maxsize=1024)  # (pure: a log repeats its texts; bounded like the memos)
def tls_detail(text: str) -> str | None:
    """The TLS reason and version a failure's text gives, in a few words (or None)."""
    found = []
    for needed, rx in _REASONS:
        # (each regex holds its word: a text without it, most of them, is not searched)
        m = rx.search(text) if needed in text else None
        if m is not None:
            found.append(m.group(1).strip())
            break
    # (Every version _VERSION names holds one of these: most texts hold none.)
    versions = (
        dict.fromkeys(_VERSION.findall(text))
        if "TLSv1" in text or "TLS1." in text or "SSLv" in text
        else None
    )
    if versions:
        found.append("offered " + "/".join(versions))
    return "; ".join(found) or None


_CAUSE_MEMO: dict[tuple[str, Stage], Cause] = {}
_CAUSE_MEMO_MAX = 4096


def inbound_cause(text: str, stage: Stage = Stage.NONE) -> Cause:
    """The receiving side's reading of one inbound failure's text (remembered:
    a log repeats its rejections, and the rules are a dozen regexes)."""
    key = (text, stage)
    found = _CAUSE_MEMO.get(key)
    if found is None:
        found = _inbound_cause(text, stage)
        if len(_CAUSE_MEMO) >= _CAUSE_MEMO_MAX:
            _CAUSE_MEMO.clear()
        _CAUSE_MEMO[key] = found
    return found


def _inbound_cause(text: str, stage: Stage) -> Cause:
    if text.isascii():
        low = text.lower()
        for cause, words, rest in _quick_rules():
            if _holds(low, words) or (rest is not None and rest.search(text)):
                if cause is Cause.TLS_HANDSHAKE and stage not in _TLS_STAGES:
                    continue  # (as below)
                return cause
        return Cause.POLICY
    for cause, rx in _rules():
        if rx.search(text):
            if cause is Cause.TLS_HANDSHAKE and stage not in _TLS_STAGES:
                continue  # "lost connection after RCPT" on a TLS session is not TLS
            return cause
    return Cause.POLICY


_TLS_STAGES = (Stage.STARTTLS, Stage.TLS_HANDSHAKE, Stage.NONE)

# The rules before RECIPIENT's: none has a word that can lie inside a client's
# address (hex digits, ":", ".", "IPv6:"; RECIPIENT's "5.1.1" and SENDER's
# "5.1.[78]" can), nor a literal bracket; their ".*" spans "[addr]" as "[]".
_ADDRESS_BLIND = frozenset(
    cause
    for cause, _ in _RULES[: [c for c, _ in _RULES].index(Cause.RECIPIENT)]
    # (not POLICY, the ACL errors' rule: it is also what a text no rule reads gets)
    if cause is not Cause.POLICY
)
_BLIND_MEMO: dict[tuple[str, Stage], Cause | None] = {}


def inbound_cause_of_client(text: str, stage: Stage, address: str) -> Cause:
    """:func:`inbound_cause` of a text that names a client as ``[address]`` (an
    address of hex digits, dots and colons), remembered by the text without the
    address: a log names a new client per line, and the rules' verdict before
    RECIPIENT's does not depend on it (``_ADDRESS_BLIND``)."""
    blind = text.replace(f"[{address}]", "[]", 1)
    key = (blind, stage)
    if key in _BLIND_MEMO:
        found = _BLIND_MEMO[key]
    else:
        cause = inbound_cause(blind, stage) if blind != text else None
        found = cause if cause in _ADDRESS_BLIND else None
        if len(_BLIND_MEMO) >= _CAUSE_MEMO_MAX:
            _BLIND_MEMO.clear()
        _BLIND_MEMO[key] = found
    return inbound_cause(text, stage) if found is None else found


def _holds(low: str, words: tuple[str, ...]) -> bool:
    for word in words:  # noqa: SIM110 - a loop costs less than any() over a generator
        if word in low:
            return True
    return False
