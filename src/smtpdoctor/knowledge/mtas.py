"""Which MTA a server runs, guessed from what it says; fixes in the target's own names.

:func:`guess_mta` reads the greeting banner and the EHLO reply the way an
administrator would (``ESMTP Postfix``, ``Exim 4.97``, ``Sendmail 8.17.1.9``,
``Microsoft ESMTP MAIL Service``, ``*.mail.protection.outlook.com``,
``OpenSMTPD``, ``Haraka 3.0.3``, ``hMailServer``, ``MDaemon 24.5``,
``qmail``/``netqmail``, ``Zimbra``, ``Courier`` or its ``XVERP=Courier``
keyword), so a diagnosis can show the fix for that MTA instead of all of
them. :func:`localize` puts the target's real host, port and the sender's
address and EHLO name into a recipe written with RFC 2606/5737 placeholders
(``mx.example.net`` is the remote MX, ``192.0.2.10`` and ``mail.example.com``
the sending side; see :mod:`smtpdoctor.knowledge.fixes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from smtpdoctor.model import MTA, Fix

__all__ = ["NAMED_ONLY", "Guess", "Names", "guess_mta", "localize"]

# MTAs whose recipes are shown when a banner, a text or --for names them (or
# with --all-fixes): a text that names no MTA gets the six, OpenSMTPD and the
# generic fix, not every server ever written.
NAMED_ONLY = frozenset(
    {MTA.QMAIL, MTA.HARAKA, MTA.HMAILSERVER, MTA.MDAEMON, MTA.ZIMBRA, MTA.COURIER}
)


@dataclass(frozen=True, slots=True)
class Guess:
    """Which MTA a server seems to run, and the words that gave it away."""

    mta: MTA
    because: str  # the words that gave it away, as the server sent them


# Most specific first: Microsoft 365's front ends also say "Microsoft ESMTP".
_BANNER: tuple[tuple[MTA, re.Pattern[str]], ...] = (
    (MTA.MICROSOFT365, re.compile(r"\w*\.protection\.outlook\.com\b|\boutlook\.com\b", re.I)),
    (MTA.EXCHANGE, re.compile(r"Microsoft ESMTP MAIL Service|Microsoft Exchange", re.I)),
    (MTA.OPENSMTPD, re.compile(r"\bOpenSMTPD\b", re.I)),
    # Zimbra's MTA is Postfix: a banner that names Zimbra gets Zimbra's recipes.
    (MTA.ZIMBRA, re.compile(r"\bZimbra\b", re.I)),
    (MTA.POSTFIX, re.compile(r"\bPostfix\b", re.I)),
    (MTA.EXIM, re.compile(r"\bExim(?: [\d.]+)?", re.I)),
    (MTA.SENDMAIL, re.compile(r"\bSendmail(?: [\d.]+(?:/[\d.]+)?)?", re.I)),
    (MTA.HARAKA, re.compile(r"\bHaraka(?:[ /]v?[\d.]+)?", re.I)),
    (MTA.HMAILSERVER, re.compile(r"\bhMailServer(?: [\d.]+)?", re.I)),
    (MTA.MDAEMON, re.compile(r"\bMDaemon(?: [\d.]+)?", re.I)),
    # Stock qmail's greeting is "host ESMTP"; builds and patches that name it do.
    (MTA.QMAIL, re.compile(r"(?<![\w.-])(?:net|not|s/)?qmail(?:[- ][\w.]*\d)?(?![\w.-])", re.I)),
    (MTA.COURIER, re.compile(r"\bCourier(?:[- ]MTA)?\b", re.I)),
)
# EHLO keywords only one family announces.
_KEYWORDS: tuple[tuple[MTA, frozenset[str]], ...] = (
    (MTA.EXCHANGE, frozenset({"X-EXPS", "XEXCH50", "X-ANONYMOUSTLS", "XRDST", "XSHADOWREQUEST"})),
    (MTA.EXIM, frozenset({"X_PIPE_CONNECT", "PIPE_CONNECT"})),
    (MTA.SENDMAIL, frozenset({"VERB"})),
    (MTA.COURIER, frozenset({"XVERP=COURIER", "XEXDATA", "XCOURIEROPTIONS"})),
)


_LOOK = 4096


def guess_mta(
    banner: str | None, ehlo_lines: Iterable[str] = (), keywords: Iterable[str] = ()
) -> Guess | None:
    """The MTA the banner or the EHLO reply names, or None when they do not say."""
    # A banner or EHLO line is short; a pasted text may not be (explain).
    texts = [t[:_LOOK] for t in (banner, *ehlo_lines) if t]
    for text in texts:
        # The first word is the host name ("mx.exim.example" names no MTA);
        # only Microsoft 365's front ends are known by their names.
        rest = text.split(" ", 1)[1] if " " in text else ""
        for mta, pattern in _BANNER:
            m = pattern.search(text if mta is MTA.MICROSOFT365 else rest)
            if m:
                return Guess(mta, m.group(0))
    announced = {k.upper() for k in keywords}
    for mta, words in _KEYWORDS:
        hit = sorted(announced & words)
        if hit:
            return Guess(mta, "EHLO " + hit[0])
    return None


@dataclass(frozen=True, slots=True)
class Names:
    """The real values a recipe's placeholders stand for, where known.

    ``source_ip`` and ``helo`` are the sending side's: give them only for a
    finding about the sender (elsewhere ``mail.example.com`` may name a
    receiving host).
    """

    host: str | None = None  # the remote MX as the user named it (or its address)
    port: int | None = None
    source_ip: str | None = None
    helo: str | None = None


_REMOTE = re.compile(r"\b(?:mx|broken-mx)\.example\.(?:com|net)\b")


def _remote(text: str, names: Names) -> str:
    if names.host is None:
        return text
    host = names.host
    if names.port is not None:
        port = str(names.port)
        # The port rides with the host: "host:25", "nc host 25", "-Port 25", "port 25".
        text = re.sub(_REMOTE.pattern + r":25\b", f"{host}:{port}", text)
        text = re.sub(r"(" + _REMOTE.pattern + r")( -Port| and port)? 25\b", rf"\1\2 {port}", text)
    return _REMOTE.sub(host, text)


def _sender(text: str, names: Names) -> str:
    if names.source_ip:
        text = re.sub(r"\b192\.0\.2\.10\b", names.source_ip, text)
    if names.helo:
        text = re.sub(r"\bmail\.example\.com\b(?![.\w-])", names.helo, text)
        text = re.sub(r"(-Fqdn |helo_data = )mail\.contoso\.com\b", rf"\g<1>{names.helo}", text)
    return text


def localize(fix: Fix, names: Names) -> Fix:
    """``fix`` with the placeholders replaced by the target's real names."""

    def sub(text: str) -> str:
        return _sender(_remote(text, names), names)

    return Fix(fix.for_, tuple(sub(s) for s in fix.steps), sub(fix.snippet), sub(fix.verify))
