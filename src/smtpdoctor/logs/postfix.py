"""Postfix logs, read a block at a time without looking at most lines.

Most lines of a Postfix log are noise for a delivery report (smtpd
connect/disconnect, cleanup, qmgr). Instead of splitting a block into lines
and testing each, the scanner searches the whole block (bytes, never
decoded) for the few markers a delivery event must contain, with C-speed
searches:

* ``": to=<"`` followed by ``relay=… status=…``: one regular expression,
  run with ``finditer`` over the block, that captures the recipient, relay,
  dsn, status and reason of every delivery status line (smtp, lmtp, local,
  virtual, pipe, error, retry, discard);
* rare markers (``SSL_connect error`` / ``SSL_accept error``, ``verification
  failed``, ``connect to``, ``status=expired``, the receiving side's
  ``reject:`` and ``… after …``): the compiled engine finds the lines holding
  them in one pass (``_scan_markers.c``); without it
  :mod:`~smtpdoctor.logs.markers` does, in one hyperscan pass when the ``fast``
  extra is installed, else with one ``bytes.find`` pass per marker. The OpenSSL reason
  of a handshake failure (``TLS library problem``, logged next by the same
  process) is looked up right after it.

Only the matched lines are sliced and decoded. A status reason is
classified once per distinct text (:class:`~smtpdoctor.logs.reasons.ReasonCache`),
and ``status=sent`` lines are only counted unless events are wanted.

When the compiled engine is built (:mod:`~smtpdoctor.logs.native`, ``_scan*.c``),
the marker and status passes, the reading of the expiry, outbound TLS and
failed-connect lines, and the line count are done in C: the successful deliveries
come back counted per second and per destination, the failures parsed (memo key,
queue id); the per-line state is kept in C too, on this scanner's dictionaries
(:meth:`PostfixScanner._state_context`; :meth:`PostfixScanner._failures` is the
same in Python, for ``--since``/``--until``). Without it (or with
``SMTPDOCTOR_PURE_PYTHON=1``) the regexes above do the same work, with the
same report (``postfix_reference.py`` says what the engine must return).

The receiving side's lines are read by :mod:`~smtpdoctor.logs.postfix_inbound`,
the TLS handshake failures by :mod:`~smtpdoctor.logs.postfix_tls` (mixed in).

Program names are not checked (``postfix/smtp``, ``postfix-out/smtp``,
``postfix/relay/smtp`` all count); the line shapes are Postfix's own.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

from smtpdoctor.logs import native
from smtpdoctor.logs.aggregate import (
    _CAT_INDEX,
    _INBOUND_PARTS,
    _TLS_CATS,
    D_REMOTE_SENT,
    Aggregator,
    FailureBatch,
)
from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.inbound import inbound_cause, inbound_cause_of_client
from smtpdoctor.logs.journal import journal_to_syslog
from smtpdoctor.logs.postfix_inbound import (
    _FOLLOW_UP_STAGES,
    _PROC_MEMORY,
    _REJECT_MEMO,
    InboundLines,
    _rejection_memo,
    _session_end,
    receiving_side_marked,
)
from smtpdoctor.logs.postfix_tls import (
    _HEAD,
    _PEER,
    TlsLines,
    _none_relay,
    _peer_text,
    _proc_key,
    _refined,
    _split_peer,
    _split_text_peer,
)
from smtpdoctor.logs.postfix_unparsed import broken_line, counted_lines
from smtpdoctor.logs.postfix_unparsed import count_lines as count_block_lines
from smtpdoctor.logs.reasons import Info, ReasonCache, reply_from_text
from smtpdoctor.logs.timeparse import TimeParser
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["PostfixScanner", "Prepared", "journal_to_syslog"]

EventSink = Callable[[DeliveryEvent], None]
# PostfixScanner.prepare's result: (rare line starts, newlines, newlines followed by
# the block's first bytes) and the status pass (native.status_lines).
Prepared = tuple[tuple[list[int], int, int], native.FoundAny]

# A delivery status line, from the queue id's colon to the end of the line.
# Everything after ": to=<" is optional so that a line cut short still
# matches (with empty groups) and is counted as unparsed.
_STATUS = re.compile(
    rb": to=<(?:((?:[^@>\n]*@)?([^>\n]*))>, (?:orig_to=<[^>\n]*>, )?relay=([^,\n]*), "
    rb"(?:[a-z_]+=[^,\n]*, )*?(?:dsn=([0-9.]+), )?status=(sent|deferred|bounced|expired)"
    rb"(?![\w-]) ?([^\n]*))?"
)
_FAILED = (EventStatus.SENT, EventStatus.DEFERRED, EventStatus.BOUNCED, EventStatus.EXPIRED)
_STATUS_NAMES = {
    b"sent": EventStatus.SENT,
    b"deferred": EventStatus.DEFERRED,
    b"bounced": EventStatus.BOUNCED,
    b"expired": EventStatus.EXPIRED,
}
_DELAY = re.compile(rb"\bdelay=([\d.]+)")
# The sender may be malformed ("from=<a@b>>"): up to the last ">" before ", status".
_EXPIRED = re.compile(rb"([0-9A-Za-z]+): from=<([^\n]*?)>+, status=(?:force-)?expired, ?([^\n]*)")
# A relay on one of these ports is a mail server out there (an MX, a smarthost),
# not local delivery or a content filter (127.0.0.1:10024): findings.py.
_SMTP_PORTS = (b"]:25", b"]:587", b"]:465", b"]:2525")
_MAX_LINE = 16 * 1024  # a status line longer than this is cut before decoding
_EXPIRY_MEMORY = 50_000  # queue ids whose last deferral is remembered for expiry
_NEVER = 1 << 62


class PostfixScanner(TlsLines, InboundLines):
    """Scans Postfix log blocks into an :class:`Aggregator` (and events)."""

    mta = "postfix"

    def __init__(
        self,
        agg: Aggregator,
        times: TimeParser,
        reasons: ReasonCache | None = None,
        *,
        sink: EventSink | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> None:
        self.agg = agg
        self.times = times
        self.reasons = reasons or ReasonCache()
        self.sink = sink
        self.since = since
        self.until = until
        self._timed = sink is not None or since is not None or until is not None
        self._raw: dict[bytes, tuple[Info, str, str]] = {}
        self._dest: dict[bytes, str | None] = {}
        self._relay: dict[bytes, tuple[str, bytes | None]] = {}
        # process → (peer, most specific TLS reason) from its last handshake failure
        self._tls_by_proc: dict[bytes, tuple[str | None, Info]] = {}
        # smtpd process → the client whose TLS handshake with us just failed
        # (its "lost connection after STARTTLS" is the same failure).
        self._failed_by_proc: dict[bytes, str] = {}
        self._tls_memo: dict[tuple[bytes, bytes | None], Info] = {}
        self._deferrals: OrderedDict[bytes, tuple[bytes, str | None, str | None, Info]] = (
            OrderedDict()
        )
        self.events = 0
        # What the engine read of each rare line of the block (native.rare_lines).
        self._kinds: list[native.RareLine] | None = None
        # Failures are counted by what they add and added once a block (aggregate.py).
        self._batch = FailureBatch()
        # What the engine's per-line state works on (_state_context), made once;
        # --since/--until (or events) keep the per-line path in Python, and so does
        # an Aggregator whose add_tls is its own (the engine adds to the table itself).
        self._context: tuple[object, ...] | None = None
        self._bounded = self._timed or type(agg).add_tls is not Aggregator.add_tls
        # How often _dest, _raw or _relay was cleared (full): the engine's own memos
        # in front of them (native.state_memo) are emptied when it moves.
        self._memo_clears = [0]

    # -- the block loop -------------------------------------------------------------

    def prepare(self, block: bytes) -> Prepared | None:
        """The passes of :meth:`scan` that depend on the block alone, or None when
        the compiled engine is not there: where the rare lines start, the line
        counts and the status pass (the C passes, run with the GIL released). Any
        thread may call it (engine.py reads the next block and prepares it in a
        thread while this one keeps the state of the block before)."""
        both, engine = native.rare_starts_counted, native.status_lines
        if both is None or engine is None or not self.prepares():
            return None
        return both(block, block[:4]), engine(block, self._records())

    def prepares(self) -> bool:
        """Whether :meth:`prepare` makes anything: the compiled engine is there and
        no event is written (a sink takes the Python path)."""
        return (
            native.rare_starts_counted is not None
            and native.status_lines is not None
            and native.line_counts is not None
            and native.rare_starts is not None
            and self.sink is None
        )

    def scan(
        self, block: bytes, *, count_lines: bool = True, prepared: Prepared | None = None
    ) -> None:
        """One block of whole lines (ends with a newline, or is the file's tail);
        ``prepared`` is :meth:`prepare`'s result for it, when a thread made it."""
        both = native.rare_starts_counted
        found: native.FoundAny | None = None
        if prepared is not None and count_lines:
            (rare, newlines, good), found = prepared
            counted_lines(self.agg, block, newlines, good)
        elif count_lines and both is not None and native.line_counts and native.rare_starts:
            # (one pass over the block finds the rare lines and counts the lines)
            rare, newlines, good = both(block, block[:4])
            counted_lines(self.agg, block, newlines, good)
        else:
            if count_lines:
                count_block_lines(self.agg, block)
            rare = self._rare_lines(block)
        engine = native.status_lines
        if (
            engine is None
            or self.sink is not None
            or not self._scan_native(block, rare, engine, found)
        ):
            self._kinds = None
            self._scan_python(block, rare)
        self._kinds = None
        if self._batch:
            self.agg.add_failures(self._batch)

    def _scan_python(self, block: bytes, rare: list[int]) -> None:
        """The status lines of a block, one at a time (the pure-Python path)."""
        agg = self.agg
        ri, next_rare = 0, rare[0] if rare else _NEVER
        count_only = self.sink is None
        dests, drows = self._dest, agg.destinations.rows
        sent = 0
        last_stamp = b"\x00"
        epoch, skip, tvec, hrow = _no_second()
        for m in _STATUS.finditer(block):
            start = m.start()
            if start > next_rare:
                # (Rare lines add failures to the batch, not to the time series:
                # the second's counters stay valid.)
                ri, next_rare = self._rare_before(block, rare, ri, start)
                drows = agg.destinations.rows
            domain, status = m.group(2, 5)
            if status is None:
                broken_line(self.agg, block, start)
                continue
            ls = block.rfind(b"\n", 0, start) + 1
            # Lines of one second share their first 26 bytes (any header form).
            if not block.startswith(last_stamp, ls):
                last_stamp = block[ls : ls + 26]
                epoch, skip, tvec, hrow = self._second(block, ls)
            if skip:
                agg.filtered += 1
                continue
            dkey = domain if m.start(2) != m.start(1) else b">"
            dest = dests.get(dkey)
            if dest is None:
                dest = self._destination(dkey)
            if status == b"sent" and count_only:
                # The hot path: a successful delivery is only counted (and
                # whether it went to an SMTP server on port 25: findings.py).
                sent += 1
                tvec[0] += 1
                hrow[0] += 1
                row = drows.get(dest)
                if row is None:
                    row = agg.destinations.row(dest)
                    drows = agg.destinations.rows
                row[0] += 1
                row[1] += 1
                if block.endswith(_SMTP_PORTS, 0, m.end(3)):
                    row[D_REMOTE_SENT] += 1
                continue
            # (A failure of this same second adds to the same time bucket, so
            # tvec and hrow stay valid; the destination table may be pruned.)
            self._status_line(block, m, ls, epoch=epoch, status=status, dest=dest)
            drows = agg.destinations.rows
        agg.status["sent"] += sent
        self._rare_before(block, rare, ri, _NEVER)

    def _records(self) -> bool:
        """Whether the per-line state is kept in C: then the status pass hands the
        failures on as C records (no Python object per line: _scan_state.c reads
        them); else as tuples."""
        return (
            native.apply_failures is not None
            and native.apply_rare is not None
            and native.apply_sent is not None
            and native.rare_lines is not None
            and not self._bounded
        )

    def _scan_native(
        self,
        block: bytes,
        rare: list[int],
        engine: native.StatusLines,
        found: native.FoundAny | None = None,
    ) -> bool:
        """The status lines of a block through the compiled engine: the successful
        deliveries come back counted per second and per (destination, remote relay),
        the failures parsed, with their memo key, for the same per-line state as
        :meth:`_scan_python` keeps. False (nothing done) when applying the counts per
        key instead of per line could change the report: the destination table would
        be pruned meanwhile, or --since/--until keep some seconds and not others.
        ``found`` is the status pass's result when :meth:`prepare` made it."""
        agg = self.agg
        apply, apply_rare = native.apply_failures, native.apply_rare
        in_c = self._records()
        if found is None:
            found = engine(block, in_c)
        runs, run_sent, before, sent, failures, broken = found
        # (the distinct destinations of the sent lines: records in C, or a dict)
        distinct = len(sent) // native.SENT_RECORD if isinstance(sent, bytes) else len(sent)
        if len(agg.destinations.rows) + distinct >= 2 * agg.destinations.cap:
            return False
        seconds = [self._second(block, ls)[:2] for ls in runs]
        skipped = [skip for (_, skip), n in zip(seconds, run_sent, strict=True) if n]
        if any(skipped) and (not all(skipped) or before):
            return False
        for start in broken:
            broken_line(self.agg, block, start)
        if native.rare_lines is not None:
            self._kinds = native.rare_lines(block, rare)
        kinds = self._kinds
        if in_c and apply is not None and apply_rare is not None and kinds is not None:
            # The per-line state in C, on this scanner's objects (_scan_state.c).
            assert isinstance(failures, bytes)  # (the C records)
            assert isinstance(sent, bytes)
            context = self._context or self._state_context()
            ri = apply(context, block, failures, seconds, rare, kinds)
            self._apply_sent(runs, seconds, run_sent, before, sent, block=block)
            apply_rare(context, block, rare, kinds, ri)
            return True
        assert isinstance(failures, list)
        assert isinstance(sent, dict)
        ri = self._failures(block, failures, seconds, rare)
        if any(skipped):  # every second with a successful delivery is outside --since/--until
            agg.filtered += sum(run_sent)
        else:
            self._apply_sent(runs, seconds, run_sent, before, sent)
        self._rare_before(block, rare, ri, _NEVER)
        return True

    def _state_context(self) -> tuple[object, ...]:
        """What the compiled engine's per-line state works on (_scan_state.c reads
        it in this order): this scanner's memos and tables, and what it calls back."""
        batch, deferrals = self._batch, self._deferrals
        self._context = (
            self._dest,
            self._raw,
            self._relay,
            deferrals,
            batch.infos,
            batch.counts,
            batch.times,
            self.times._cache,
            self.agg.status,
            _FAILED,
            EventStatus.DEFERRED,
            EventStatus.EXPIRED,
            self._destination,
            self._relay_key,
            self._failure_slow,
            self._refine_failure,
            self._rare,
            self.times.at,
            self._expiry_info,
            self._inbound_counted,
            self._tls_info,
            deferrals.pop,
            partial(deferrals.popitem, last=False),
            self._tls_memo,
            self._tls_by_proc,
            Category.TLS_HANDSHAKE_FAILURE,
            _TLS_CATS,
            _CAT_INDEX,
            self.agg.tls_out,
            _refined,
            (
                self.agg,
                _INBOUND_PARTS,
                _session_end,
                _REJECT_MEMO,
                _rejection_memo,
                _FOLLOW_UP_STAGES,
                self._failed_by_proc,
                self._tls_memo,
                self._tls_info,
                inbound_cause,
                inbound_cause_of_client,
                Stage.TLS_HANDSHAKE,
                _TLS_CATS,
                _CAT_INDEX,
                _PROC_MEMORY,
                self.agg.status,
            ),
            _EXPIRY_MEMORY,
            _PROC_MEMORY,
            self._memo_clears,
            native.state_memo() if native.state_memo is not None else None,
            self.agg.destinations,
            D_REMOTE_SENT,
        )
        return self._context

    def _failure_slow(
        self, block: bytes, start: int, ls: int, epoch: float | None, dest: str
    ) -> None:
        """A failure whose reason is not known yet: the regex path classifies it."""
        m = _STATUS.match(block, start)
        assert m is not None  # (the engine found a whole status line here)
        self._status_line(block, m, ls, epoch=epoch, status=m.group(5), dest=dest)

    def _refine_failure(
        self, block: bytes, ls: int, proc: bytes | None, relay: str | None, info: Info
    ) -> tuple[Info, bool]:
        return self._refine_tls(proc or _proc_key(block, ls), relay, info)

    def _failures(
        self,
        block: bytes,
        failures: list[native.Failure],
        seconds: list[tuple[float | None, bool]],
        rare: list[int],
    ) -> int:
        """The failure lines the engine parsed, in order with the rare lines before
        each: what :meth:`_status_line` does with each, without the regex and the
        slicing when its memo key is known (one loop: a call per line is a fair
        share of the work). The index of the next rare line."""
        ri, next_rare = 0, rare[0] if rare else _NEVER
        dests, raws, relays = self._dest, self._raw, self._relay
        deferrals, batch = self._deferrals, self._batch
        infos, counts, times = batch.infos, batch.counts, batch.times
        deferred = EventStatus.DEFERRED
        for failure in failures:
            start, run, ls, status, dkey, relay_field, none_peer, tail, to, qid, proc = failure
            if start > next_rare:
                ri, next_rare = self._rare_before(block, rare, ri, start)
            epoch, skip = seconds[run] if run >= 0 else (None, False)
            if skip:
                self.agg.filtered += 1
                continue
            dest = dests.get(dkey) or self._destination(dkey)
            memo = raws.get(tail)
            if memo is None:  # a reason not seen yet: the regex path classifies it
                m = _STATUS.match(block, start)
                assert m is not None  # (the engine found a whole status line here)
                self._status_line(block, m, ls, epoch=epoch, status=m.group(5), dest=dest)
                continue
            info = memo[0]
            if relay_field == b"none":
                relay = _none_relay(none_peer)
            else:
                relay = (relays.get(relay_field) or self._relay_key(relay_field))[0]
            st = _FAILED[status]
            seen_tls = False
            if info.tls:
                info, seen_tls = self._refine_tls(proc or _proc_key(block, ls), relay, info)
            if st is deferred:
                deferrals[qid] = (to, dest, relay, info)
                if len(deferrals) > _EXPIRY_MEMORY:
                    deferrals.popitem(last=False)
            # FailureBatch.add inlined (once per failure line: the call is a fair share).
            iid = id(info)
            if iid not in infos:
                infos[iid] = info
            key = (st, None if dest == "(none)" else dest, relay, iid, not seen_tls)
            counts[key] = counts.get(key, 0) + 1
            if epoch is not None:
                tkey = (epoch, st is deferred, info.code == 421)
                times[tkey] = times.get(tkey, 0) + 1
        return ri

    def _apply_sent(
        self,
        runs: list[int],
        seconds: list[tuple[float | None, bool]],
        run_sent: list[int],
        before: int,
        sent: dict[tuple[bytes, bool], int] | bytes,
        *,
        block: bytes = b"",
    ) -> None:
        """The engine's counts of successful deliveries, once per second and once
        per distinct destination (``sent`` as C records of ``block``: in C)."""
        agg = self.agg
        for (epoch, _), n in zip(seconds, run_sent, strict=True):
            if n and epoch is not None:
                tvec, hrow = agg.time_slot(epoch)
                tvec[0] += n
                hrow[0] += n
        agg.status["sent"] += sum(run_sent) + before
        if isinstance(sent, bytes):
            assert native.apply_sent is not None
            assert self._context is not None
            native.apply_sent(self._context, block, sent)
            return
        dests, table = self._dest, agg.destinations
        for (dkey, remote), n in sent.items():
            row = table.row(dests.get(dkey) or self._destination(dkey))
            row[0] += n
            row[1] += n
            if remote:
                row[D_REMOTE_SENT] += n

    def _rare_before(self, block: bytes, rare: list[int], ri: int, start: int) -> tuple[int, int]:
        """Reads the rare lines from ``rare[ri]`` up to ``start``; the index
        and the position of the next one."""
        kinds = self._kinds
        while ri < len(rare) and rare[ri] < start:
            kind = kinds[ri] if kinds is not None else None
            if kind is None:
                self._rare(block, rare[ri])
            elif kind is False:
                pass  # (a status line: the main pass has it)
            elif kind is True:  # a failed connect, only counted (as _connect_failure does)
                if self._epoch_ok(self._when(block, rare[ri])):
                    self.agg.status["other"] += 1
            elif len(kind) == 2:  # an expiry the engine read
                self._expiry(block, rare[ri], kind[0], kind[1])
            elif len(kind) >= 5:  # a session end or rejection the engine read
                self._inbound_read(block, rare[ri], kind)
            elif len(kind) == 3:  # the receiving side's line, from its message on
                proc, msg, library = kind
                if isinstance(library, bool):
                    self._inbound_line(block, rare[ri], proc, msg)
                elif self._epoch_ok(self._when(block, rare[ri])):  # a TLS failure
                    self._tls_in_counted(proc, msg, library)
            else:  # an outbound TLS failure the engine read
                self._tls_out(block, rare[ri], kind)
            ri += 1
        return ri, rare[ri] if ri < len(rare) else _NEVER

    def _second(self, block: bytes, ls: int) -> tuple[float | None, bool, list[int], list[int]]:
        """For the lines of one second: its epoch, whether --since/--until
        skip it, and its counters in the time series and the hour table."""
        epoch = self.times.at(block, ls)
        if epoch is None:
            return None, False, [0, 0, 0, 0, 0], [0, 0]
        since, until = self.since, self.until
        skip = (since is not None and epoch < since) or (until is not None and epoch >= until)
        tvec, hrow = self.agg.time_slot(epoch)
        return epoch, skip, tvec, hrow

    def _status_line(
        self,
        block: bytes,
        m: re.Match[bytes],
        ls: int,
        *,
        epoch: float | None,
        status: bytes,
        dest: str,
    ) -> None:
        """A status line that needs more than counting (a failure, or events wanted)."""
        agg = self.agg
        start = m.start()
        tail_start = m.start(4) if m.start(4) >= 0 else m.start(5) - 7
        none_peer, tail = _failure_key(block, m)
        relay_field = m.group(3)
        relay = (
            _none_relay(none_peer) if relay_field == b"none" else self._relay_key(relay_field)[0]
        )
        memo = self._raw.get(tail)
        if memo is None:
            memo = self._remember(tail, m.group(4), status, tail[m.start(6) - tail_start :])
        info, _reason, dsn = memo
        st = _STATUS_NAMES[status]
        seen_tls = False
        if info.tls and st is not EventStatus.SENT:
            info, seen_tls = self._refine_tls(_proc_key(block, ls), relay, info)
        if st is EventStatus.DEFERRED:
            self._remember_deferral(
                block, ls, start, to=m.group(1), dest=dest, relay=relay, info=info
            )
        destination = None if dest == "(none)" else dest
        if st is EventStatus.SENT:
            agg.add_sent(epoch, destination)
            if relay_field.endswith(_SMTP_PORTS):
                agg.destinations.row(dest)[D_REMOTE_SENT] += 1
        else:
            self._batch.add(epoch, st, destination, relay, info, count_tls=not seen_tls)
        if self.sink is not None:
            raw_reason = _strip_parens(m.group(6).decode("utf-8", "replace"))
            self._emit_status(
                block,
                ls,
                m,
                epoch=epoch,
                status=st,
                dest=destination,
                relay=relay,
                info=info,
                reason=raw_reason,
                dsn=dsn,
            )

    # -- helpers for status lines -----------------------------------------------------

    def _destination(self, dkey: bytes) -> str:
        """The destination of a recipient's domain (``dkey``; ``>`` for a local
        name without ``@``, which no domain can be: "(none)").
        (Written out in C too, with the same bound: _scan_state.c's st_destination.)"""
        if dkey == b">":
            value = "(none)"
        else:
            value = dkey.decode("utf-8", "replace").lower().rstrip(".") or "(none)"
        if len(self._dest) >= 50_000:
            self._dest.clear()
            self._memo_clears[0] += 1
        self._dest[dkey] = value
        return value

    def _relay_key(self, relay: bytes) -> tuple[str, bytes | None]:
        """The relay as the report keys it, and its ``name[address]`` as it
        appears in reasons (replaced in memo keys).
        (Written out in C too, with the same bound: _scan_state.c's relay_key.)"""
        found = self._relay.get(relay)
        if found is not None:
            return found
        text = relay.decode("utf-8", "replace")
        bracket = relay.find(b"]")
        value = (text[:-3] if text.endswith("]:25") else text, relay[: bracket + 1] or None)
        if len(self._relay) >= 20_000:
            self._relay.clear()
            self._memo_clears[0] += 1
        self._relay[relay] = value
        return value

    def _remember(
        self, key: bytes, dsn_b: bytes | None, status: bytes, tail: bytes
    ) -> tuple[Info, str, str]:
        reason = _strip_parens(tail.decode("utf-8", "replace"))
        dsn = dsn_b.decode("ascii", "replace") if dsn_b else ""
        # Postfix writes a generic X.0.0 dsn when the reply had no enhanced
        # code: it says no more than the reply's class, so it is not passed
        # on (classify would rank it above the reply code and its stage).
        generic = dsn.endswith(".0.0")
        hint = f"dsn={dsn}, " if dsn and not generic else ""
        hint += f"status={status.decode()} "
        info = self.reasons.info(reason, hint)
        memo = (info, reason, dsn)
        if len(self._raw) >= 50_000:
            self._raw.clear()
            self._memo_clears[0] += 1
        self._raw[key] = memo
        return memo

    def _remember_deferral(
        self,
        block: bytes,
        ls: int,
        start: int,
        *,
        to: bytes,
        dest: str | None,
        relay: str | None,
        info: Info,
    ) -> None:
        qs = block.rfind(b" ", ls, start) + 1
        qid = block[qs:start]
        deferrals = self._deferrals
        # The oldest entries go first (approximately: a queue id deferred
        # again keeps its place); the recipient is decoded only on expiry.
        deferrals[qid] = (to, dest, relay, info)
        if len(deferrals) > _EXPIRY_MEMORY:
            deferrals.popitem(last=False)

    def _emit_status(
        self,
        block: bytes,
        ls: int,
        m: re.Match[bytes],
        *,
        epoch: float | None,
        status: EventStatus,
        dest: str | None,
        relay: str | None,
        info: Info,
        reason: str,
        dsn: str,
    ) -> None:
        assert self.sink is not None
        start = m.start()
        qs = block.rfind(b" ", ls, start) + 1
        line_end = m.end()
        delay_m = _DELAY.search(block, start, line_end)
        relay_field = m.group(3)
        host, ip = _split_peer(relay_field) if relay_field != b"none" else _split_text_peer(relay)
        self.events += 1
        self.sink(
            DeliveryEvent(
                time=epoch,
                mta=self.mta,
                status=status,
                category=info.category if status is not EventStatus.SENT else Category.OK,
                stage=info.stage if status is not EventStatus.SENT else Stage.NONE,
                permanence=info.permanence if status is not EventStatus.SENT else Permanence.NONE,
                text=reason,
                queue_id=block[qs:start].decode("ascii", "replace"),
                recipient=m.group(1).decode("utf-8", "replace"),
                destination=dest,
                relay_host=host,
                relay_ip=ip,
                dsn=dsn or None,
                delay=float(delay_m.group(1)) if delay_m else None,
                reply=reply_from_text(info, reason),
                code_421=info.code == 421,
            )
        )

    # -- rare lines ------------------------------------------------------------------

    @staticmethod
    def _rare_lines(block: bytes) -> list[int]:
        starts = native.rare_starts  # (read here: tests turn it off)
        if starts is not None:
            return starts(block)
        # Without the engine: hyperscan's one pass, or one bytes.find pass per
        # marker (imported on first need: hyperscan compiles its database then).
        from smtpdoctor.logs.markers import rare_line_starts  # noqa: PLC0415

        return rare_line_starts(block)

    def _rare(self, block: bytes, ls: int) -> None:
        end = block.find(b"\n", ls)
        line = block[ls : end if end >= 0 else len(block)][:_MAX_LINE]
        head = _HEAD.match(line)
        if head is None:
            return
        msg = line[head.end() :]
        proc = line[head.start(1) : head.end()]
        if b"expired, returned" in msg:
            self._expired(block, ls, msg)
            return
        if b"status=" in msg:
            return  # a delivery status line: the main pass has it
        if b"SSL_connect error" in msg or b"SSL_accept error" in msg:
            reason = self._library_problem_after(block, end, proc)
            self._tls_failure(block, ls, proc, msg, reason, inbound=b"SSL_accept" in msg)
            return
        if b"certificate verification failed" in msg:
            self._tls_failure(block, ls, proc, msg, None, inbound=False)
            return
        if msg.startswith(b"connect to ") and b"]:" in msg:
            self._connect_failure(block, ls, msg)
            return
        if receiving_side_marked(msg):
            self._inbound_line(block, ls, proc, msg)

    def _when(self, block: bytes, ls: int) -> float | None:
        """The epoch of the line at ``ls`` when anything uses it (events, --since,
        --until), else None: a line counted only, not in the time series, needs
        no time (``_epoch_ok(None)`` is True, as for every epoch without bounds)."""
        return self.times.at(block, ls) if self._timed else None

    def _epoch_ok(self, epoch: float | None) -> bool:
        if epoch is None:
            return True
        if self.since is not None and epoch < self.since:
            return False
        return not (self.until is not None and epoch >= self.until)

    def _connect_failure(self, block: bytes, ls: int, msg: bytes) -> None:
        epoch = self._when(block, ls)
        if not self._epoch_ok(epoch):
            return
        if self.sink is None:
            # Only TLS failures are tabled by peer; a connect failure is counted.
            self.agg.status["other"] += 1
            return
        text = msg.decode("utf-8", "replace").strip()
        info = self.reasons.info(text)
        pm = _PEER.search(msg)
        host, ip = _split_peer(pm.group(0)) if pm else (None, None)
        event = DeliveryEvent(
            time=epoch,
            mta=self.mta,
            status=EventStatus.OTHER,
            category=info.category,
            stage=info.stage,
            permanence=info.permanence,
            text=text,
            relay_host=host,
            relay_ip=ip,
            peer=_peer_text(pm) if pm else None,
        )
        self.agg.add_other(event)
        if self.sink is not None:
            self.events += 1
            self.sink(event)

    def _expired(self, block: bytes, ls: int, msg: bytes) -> None:
        m = _EXPIRED.search(msg)
        if m is not None:
            self._expiry(block, ls, m.group(1), m.group(3))

    def _expiry_info(self, reason: bytes) -> Info:
        """What an expiry means when no deferral of its queue id is remembered."""
        return self.reasons.info(f"status=expired, {_expiry_text(reason)}")

    def _expiry(self, block: bytes, ls: int, qid: bytes, reason: bytes) -> None:
        """An expiry line's queue id and reason (found by _EXPIRED or the engine)."""
        epoch = self.times.at(block, ls)
        if not self._epoch_ok(epoch):
            self.agg.filtered += 1
            return
        last = self._deferrals.pop(qid, None)
        if last is not None:
            _, dest, relay, info = last
        else:
            dest, relay = None, None
            info = self._expiry_info(reason)
        # (Its TLS failure, if that was the reason, was counted with the deferral.)
        # FailureBatch.add inlined, as in _failure.
        batch = self._batch
        iid = id(info)
        if iid not in batch.infos:
            batch.infos[iid] = info
        key = (EventStatus.EXPIRED, dest, relay, iid, False)
        counts = batch.counts
        counts[key] = counts.get(key, 0) + 1
        if epoch is not None:
            tkey = (epoch, False, info.code == 421)
            times = batch.times
            times[tkey] = times.get(tkey, 0) + 1
        if self.sink is not None:
            text = _expiry_text(reason)
            recipient = last[0].decode("utf-8", "replace") if last is not None else None
            self.events += 1
            host, ip = _split_text_peer(relay)
            self.sink(
                DeliveryEvent(
                    time=epoch,
                    mta=self.mta,
                    status=EventStatus.EXPIRED,
                    category=info.category,
                    stage=info.stage,
                    permanence=Permanence.PERMANENT,
                    text=f"{text}; last deferral: {info.key}" if last else text,
                    queue_id=qid.decode("ascii", "replace"),
                    recipient=recipient,
                    destination=dest,
                    relay_host=host,
                    relay_ip=ip,
                )
            )


def _failure_key(block: bytes, m: re.Match[bytes]) -> tuple[bytes | None, bytes]:
    """A status line's memo key: its tail from the dsn (or the status) on, with the
    relay's name[address] and the <recipient> replaced (bytes.replace, C speed), as
    reasons.normalize_reason would replace them (host names and recipients vary
    from line to line); and, for ``relay=none``, the name[address] its reason gives."""
    tail_start = m.start(4) if m.start(4) >= 0 else m.start(5) - 7
    tail = block[tail_start : min(m.end(), tail_start + _MAX_LINE)]
    relay_field = m.group(3)
    none_peer = None
    if relay_field == b"none":
        pm = _PEER.search(m.group(6))
        if pm is not None:
            none_peer = pm.group(0)
            tail = tail.replace(none_peer, b"host[addr]")
    else:
        peer = relay_field[: relay_field.find(b"]") + 1]
        if peer:
            tail = tail.replace(peer, b"host[addr]")
    recipient = m.group(1)
    if recipient:
        tail = tail.replace(b"<" + recipient + b">", b"<user@domain>")
    return none_peer, tail


def _expiry_text(reason: bytes) -> str:
    return reason.decode("utf-8", "replace").strip() or "message expired"


def _no_second() -> tuple[float | None, bool, list[int], list[int]]:
    """Before the first status line of a block: no time, counters that go nowhere."""
    return None, False, [0, 0, 0, 0, 0], [0, 0]


def _strip_parens(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
