"""The audit: a parsed configuration dump → findings. Pure: no I/O, no clock.

Each MTA's rules live in their own module (:mod:`.postfix`, :mod:`.exim`,
:mod:`.sendmail`, :mod:`.exchange`); the checks they share (the EHLO name,
timeouts, open relays, the ``--cert`` certificate) in :mod:`.common`, the
value judgements (durations, host names, TLS protocol sets, cipher strings)
in :mod:`.judgements`. Each rule looks for one setting (or combination) that
makes sessions fail: refused, dropped, deferred, or rejected by the peer.

Finding ids are dotted and stable: ``<mta>.<area>.<problem>``
(``postfix.tls.protocols_no_tls12``, ``exchange.receive.open_relay``...).
Every finding carries the offending setting as evidence (name, value, line,
the line as written); its words and fixes (one written for the setting,
then the MTA's recipes) come from the finding catalogue's ``config_*``
areas.

Timeouts are compared with the minimums of RFC 5321 §4.5.3.2 (the client
waits at least 5 minutes for the greeting, MAIL and RCPT replies, 2 for the
DATA reply, 3 per data block and 10 for the end-of-data reply; the server
waits at least 5 minutes for the next command).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from smtpdoctor.config import (
    exchange,
    exim,
    postfix,
    postfix_services,
    sendmail,
    system_tls,
    windows,
)
from smtpdoctor.config.common import Ctx
from smtpdoctor.config.parsers import CertFacts, ConfigDump, Kind
from smtpdoctor.model import MTA, Finding

__all__ = ["audit"]

_MTA_OF = {
    Kind.POSTFIX: MTA.POSTFIX,
    Kind.EXIM: MTA.EXIM,
    Kind.SENDMAIL: MTA.SENDMAIL,
    Kind.EXCHANGE_SEND: MTA.EXCHANGE,
    Kind.EXCHANGE_RECEIVE: MTA.EXCHANGE,
    Kind.OPENSSL: MTA.GENERIC,
    Kind.CRYPTO_POLICIES: MTA.GENERIC,
    Kind.WINDOWS_REGISTRY: MTA.EXCHANGE,
    Kind.EXCHANGE_HEALTHCHECKER: MTA.EXCHANGE,
    Kind.WINDOWS_CIPHER_SUITES: MTA.EXCHANGE,
    Kind.EXCHANGE_CERTIFICATE: MTA.EXCHANGE,
    Kind.EXCHANGE_TRANSPORT: MTA.EXCHANGE,
    Kind.LOCAL: MTA.GENERIC,
}


def _postfix(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    """main.cf, then every service with its overrides, then what TLS really runs."""
    return postfix.check(dump, ctx) + postfix_services.check(dump, ctx)


def _system(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    return system_tls.check(dump, ctx)


_RULES: dict[Kind, Callable[[ConfigDump, Ctx], list[Finding]]] = {
    Kind.POSTFIX: _postfix,
    Kind.EXIM: exim.check,
    Kind.SENDMAIL: sendmail.check,
    Kind.EXCHANGE_SEND: exchange.check,
    Kind.EXCHANGE_RECEIVE: exchange.check,
    Kind.OPENSSL: _system,
    Kind.CRYPTO_POLICIES: _system,
    Kind.WINDOWS_REGISTRY: windows.check,
    Kind.EXCHANGE_HEALTHCHECKER: windows.check,
    Kind.WINDOWS_CIPHER_SUITES: windows.check,
    Kind.EXCHANGE_CERTIFICATE: windows.check,
    Kind.EXCHANGE_TRANSPORT: windows.check,
}


def audit(
    dump: ConfigDump, cert: CertFacts | None = None, now: dt.datetime | None = None
) -> list[Finding]:
    """Every finding for ``dump``, most severe first, then in file order.

    ``cert`` is the server certificate to hold host names against (``--cert``);
    ``now`` is when to judge its dates (default: the current time).
    """
    ctx = Ctx(dump.kind, _MTA_OF[dump.kind], cert, now or dt.datetime.now(dt.UTC))
    findings = _RULES[dump.kind](dump, ctx)
    # One finding per (id, setting line): rules that look at the same line
    # from two angles must not say it twice.
    unique: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        ev = f.evidence
        key = (f.id, ev.get("line"), ev.get("connector"), ev.get("file"), ev.get("service"))
        unique.setdefault(key, f)
    return sorted(unique.values(), key=lambda f: (f.severity.rank, _line_of(f), f.id))


def _line_of(f: Finding) -> int:
    line = f.evidence.get("line")
    return line if isinstance(line, int) else 0
