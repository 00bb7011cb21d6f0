"""The TLS lines of a Postfix log, and the line shapes the scanner's parts share.

:class:`TlsLines` is the part of :class:`~smtpdoctor.logs.postfix.PostfixScanner`
that reads handshake failures (``SSL_connect error to …``, ``SSL_accept error
from …``, ``certificate verification failed``) with the OpenSSL reason the same
process logs next (``TLS library problem``), remembers the most specific one per
process, and refines the vaguer "Cannot start TLS" of a status line with it.
The syslog header and ``name[address]`` shapes, and their helpers, are here too:
the scanner, its TLS part and the reference of the compiled engine read them.
"""

from __future__ import annotations

import re

from smtpdoctor.logs import native
from smtpdoctor.logs.aggregate import _TLS_CATS
from smtpdoctor.logs.events import DeliveryEvent, EventStatus
from smtpdoctor.logs.inbound import inbound_cause, inbound_cause_of_client
from smtpdoctor.logs.postfix_inbound import _PROC_MEMORY, ScannerParts, client_key
from smtpdoctor.logs.reasons import Info
from smtpdoctor.logs.sources import HANDSHAKE_LOOKAHEAD
from smtpdoctor.model import Category, Stage

__all__ = ["TlsLines"]

# The rare lines (TLS, certificate, connect, expiry, inbound) are found by
# markers.py: one hyperscan pass, or one bytes.find pass per marker. The
# OpenSSL reason ("TLS library problem") on the next line of the same process
# is looked for right after a handshake error, not in a pass of its own.
_LIBRARY_PROBLEM = b"TLS library problem"
# (bytes after a handshake failure searched for its OpenSSL reason: the block reader
# ends a block before a failure line whose look-ahead would pass its end)
_LOOKAHEAD = HANDSHAKE_LOOKAHEAD
# The syslog header: timestamp, host, program[pid] (RFC 3164) or
# program pid msgid sd (RFC 5424), then the message.
_HEAD = re.compile(
    rb"(?:<\d{1,3}>)?(?:1 )?"
    rb"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    rb" +\S+ +([^\s\[]+)(?:\[(\d+)\]:| (\d+|-) \S+ (?:-|(?:\[(?:[^\]\\\n]|\\.)*\])+))[ ]?"
    rb"(?:\xef\xbb\xbf)?"  # RFC 5424: any number of SD elements, then a BOM before UTF-8
)
# Its common form (RFC 3164, "program[pid]: "), the one _scan.c reads itself.
_CLASSIC_HEAD = re.compile(
    rb"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? +\S+ +([^\s\[]+)\[\d+\]: ?(?:\xef\xbb\xbf)?"
)
# (The lookbehind starts a match only where a name can start: the same matches,
# without trying, and backtracking over, every byte inside a word.)
_PEER = re.compile(
    rb"(?<![^\s\[\](),;<>])([^\s\[\](),;<>]+)\[((?:IPv6:)?[0-9A-Fa-f:.]+)\](?::(\d+))?"
)

# An inbound TLS failure's peer, client and address, by the peer's match (when
# it is the first client its line names).
_CLIENT_MEMO: dict[bytes, tuple[str, str | None, str]] = {}
# _refined's results: (id(better), id(info)) -> (better, info, refined).
_REFINED_MEMO: dict[tuple[int, int], tuple[Info, Info, Info]] = {}


class TlsLines(ScannerParts):
    """TLS line readers, mixed into the Postfix scanner."""

    # process → (peer, most specific TLS reason) from its last handshake failure
    _tls_by_proc: dict[bytes, tuple[str | None, Info]]
    # smtpd process → the client whose TLS handshake with us just failed
    _failed_by_proc: dict[bytes, str]
    _tls_memo: dict[tuple[bytes, bytes | None], Info]

    def _refine_tls(self, proc: bytes | None, relay: str | None, info: Info) -> tuple[Info, bool]:
        """ "Cannot start TLS: handshake failure" says less than the OpenSSL
        reason the same process (``proc``) logged just before for the same peer:
        use that. Also says whether that handshake failure was already counted."""
        known = self._tls_by_proc.pop(proc, None) if proc is not None else None
        if known is None or known[0] != relay:
            return info, False
        better = known[1]
        if better.category is not info.category:
            return _refined(better, info), True
        return info, True

    @staticmethod
    def _library_problem_after(block: bytes, end: int, proc: bytes) -> bytes | None:
        """The "TLS library problem" line the same process logged just after
        (other processes' lines may come between: smtp clients run in parallel)."""
        if end < 0:
            return None
        limit = end + _LOOKAHEAD
        p = block.find(_LIBRARY_PROBLEM, end, limit)
        while p >= 0:
            ls = block.rfind(b"\n", 0, p) + 1
            le = block.find(b"\n", p)
            line = block[ls : le if le >= 0 else len(block)]
            head = _HEAD.match(line)
            if head is not None and line[head.start(1) : head.end()] == proc:
                if block.find(proc, end, ls) >= 0:
                    return None  # the process logged something else first: not ours
                return line[head.end() :]
            if le < 0:
                return None
            p = block.find(_LIBRARY_PROBLEM, le, limit)
        return None

    def _tls_failure(
        self,
        block: bytes,
        ls: int,
        proc: bytes,
        msg: bytes,
        library: bytes | None,
        *,
        inbound: bool,
    ) -> None:
        """A TLS handshake failure line: one "other" event, refined by the
        OpenSSL reason when that names a version mismatch or a certificate."""
        epoch = self._when(block, ls)
        if not self._epoch_ok(epoch):
            return
        if self.sink is None:
            if inbound:
                self._tls_in_counted(proc, msg, library)
            else:
                self._tls_failure_counted(proc, msg, library)
            return
        text = msg.decode("utf-8", "replace").strip()
        info = self.reasons.info(text)
        if library is not None:
            lib_text = library.decode("utf-8", "replace").strip()
            lib_info = self.reasons.info(lib_text)
            if lib_info.category in (Category.TLS_VERSION_MISMATCH, Category.TLS_CERTIFICATE):
                info = lib_info
            text = f"{text}; {lib_text}"
        pm = _PEER.search(msg)
        host, ip = _split_peer(pm.group(0)) if pm else (None, None)
        peer = _peer_text(pm) if pm else None
        event = DeliveryEvent(
            time=epoch,
            mta=self.mta,
            status=EventStatus.OTHER,
            category=info.category,
            stage=info.stage if info.stage is not Stage.NONE else Stage.TLS_HANDSHAKE,
            permanence=info.permanence,
            text=text,
            relay_host=host,
            relay_ip=ip,
            direction="inbound" if inbound else "outbound",
            peer=peer,
        )
        if not inbound:
            self._remember_tls(proc, peer, info)
        else:
            client = client_key(msg) or peer
            self.agg.add_inbound(
                client, inbound_cause(text, Stage.TLS_HANDSHAKE), Stage.TLS_HANDSHAKE, text
            )
            if client is not None:
                if len(self._failed_by_proc) >= _PROC_MEMORY:
                    self._failed_by_proc.clear()
                self._failed_by_proc[proc] = client
        self.agg.add_other(event)
        if self.sink is not None:
            self.events += 1
            self.sink(event)

    def _tls_failure_counted(self, proc: bytes, msg: bytes, library: bytes | None) -> None:
        """An outbound handshake failure when only counts are wanted: what it adds
        depends on the message and the OpenSSL reason alone, so it is remembered
        by those (the peer's name[address] kept aside, as for status lines)."""
        # The peer's name[address] varies, the rest repeats: it is replaced in
        # the memo key (normalize_reason would replace it the same way).
        pm = _PEER.search(msg)
        peer = _peer_text(pm) if pm else None
        self._tls_counted(
            proc, peer, msg.replace(pm.group(0), b"host[addr]") if pm else msg, library
        )

    def _tls_out(self, block: bytes, ls: int, kind: native.TlsOut) -> None:
        """An outbound TLS failure line the engine read (count-only)."""
        epoch = self._when(block, ls)
        if self._epoch_ok(epoch):
            proc, peer, key, library = kind
            self._tls_counted(proc, _none_relay(peer), key, library)

    def _tls_counted(
        self, proc: bytes, peer: str | None, text: bytes, library: bytes | None
    ) -> None:
        info = self._tls_info(text, library)
        self._remember_tls(proc, peer, info)
        self.agg.status["other"] += 1  # as add_other() counts the event
        if info.category in _TLS_CATS:
            self.agg.add_tls(peer, info.category, inbound=False)

    def _tls_info(self, text: bytes, library: bytes | None) -> Info:
        """What a handshake failure's message (its peer replaced by host[addr]) and
        OpenSSL reason mean, remembered by those."""
        key = (text, library)
        info = self._tls_memo.get(key)
        if info is None:
            info = self.reasons.info(text.decode("utf-8", "replace").strip())
            if library is not None:
                lib_info = self.reasons.info(library.decode("utf-8", "replace").strip())
                if lib_info.category in (Category.TLS_VERSION_MISMATCH, Category.TLS_CERTIFICATE):
                    info = lib_info
            if len(self._tls_memo) >= _PROC_MEMORY:
                self._tls_memo.clear()
            self._tls_memo[key] = info
        return info

    def _tls_in_counted(self, proc: bytes, msg: bytes, library: bytes | None) -> None:
        """An inbound handshake failure when only counts are wanted: what
        :meth:`_tls_failure` adds, without the event and with the meaning
        remembered as for outbound ones."""
        pm = _PEER.search(msg)
        text = msg.decode("utf-8", "replace").strip()
        if library is not None:
            text = f"{text}; {library.decode('utf-8', 'replace').strip()}"
        stage = Stage.TLS_HANDSHAKE
        if pm is None:
            peer = None
            info = self._tls_info(msg, library)
            client = client_key(msg)
            cause = inbound_cause(text, stage)
        else:
            whole = pm.group(0)
            info = self._tls_info(msg.replace(whole, b"host[addr]"), library)
            if b"[" in msg[: pm.start()]:  # (another client may come first: _client_of)
                peer = _peer_text(pm)
                client = client_key(msg) or peer
                address = pm.group(2).decode("ascii")
            else:
                # (a failing client logs two or three such lines in a row)
                found = _CLIENT_MEMO.get(whole)
                if found is None:
                    found = (_peer_text(pm), _client_of(msg, pm), pm.group(2).decode("ascii"))
                    if len(_CLIENT_MEMO) >= _PROC_MEMORY:
                        _CLIENT_MEMO.clear()
                    _CLIENT_MEMO[whole] = found
                peer, client, address = found
            cause = inbound_cause_of_client(text, stage, address)
        agg = self.agg
        agg.add_inbound(client, cause, stage, text)
        if client is not None:
            if len(self._failed_by_proc) >= _PROC_MEMORY:
                self._failed_by_proc.clear()
            self._failed_by_proc[proc] = client
        agg.status["other"] += 1  # as add_other() counts the event
        if info.category in _TLS_CATS:
            agg.add_tls(peer, info.category, inbound=True)

    def _remember_tls(self, proc: bytes, peer: str | None, info: Info) -> None:
        known = self._tls_by_proc.get(proc)
        # Keep the most specific reason seen for this process and peer.
        if (
            known is not None
            and known[0] == peer
            and known[1].category is not Category.TLS_HANDSHAKE_FAILURE
            and info.category is Category.TLS_HANDSHAKE_FAILURE
        ):
            return
        if len(self._tls_by_proc) >= _PROC_MEMORY:
            self._tls_by_proc.clear()
        self._tls_by_proc[proc] = (peer, info)


def _refined(better: Info, info: Info) -> Info:
    """A status line's reason (``info``) with the category and meaning of the
    OpenSSL reason its process logged just before (``better``); the same pair
    gives the same Info object (the batch counts it under one key instead of
    one per line)."""
    pair = (id(better), id(info))
    found = _REFINED_MEMO.get(pair)
    # (the memo holds both objects: their ids are not reused while it does)
    if found is not None and found[0] is better and found[1] is info:
        return found[2]
    made = Info(
        category=better.category,
        stage=better.stage if better.stage is not Stage.NONE else info.stage,
        permanence=info.permanence,
        code=info.code,
        enhanced=info.enhanced,
        meaning=better.meaning,
        key=info.key,
    )
    if len(_REFINED_MEMO) >= _PROC_MEMORY:
        _REFINED_MEMO.clear()
    _REFINED_MEMO[pair] = (better, info, made)
    return made


def _client_of(msg: bytes, pm: re.Match[bytes] | None) -> str | None:
    """``client_key(msg)``, from the peer ``pm`` already found in it when that is
    the first client named: client_key's regex also takes a bare "[address]",
    which only a "[" before the peer could start (a log names a new client per
    line: client_key's memo misses, and its regex is the slower one)."""
    if pm is not None and b"[" not in msg[: pm.start()]:
        host, address = pm.group(1, 2)
        return f"{host.decode('utf-8', 'replace')}[{address.decode('ascii', 'replace')}]"
    return client_key(msg)


def _none_relay(peer: bytes | None) -> str | None:
    """The relay of a ``relay=none`` line: the name[address] of its reason, if any."""
    if peer is None:
        return None
    text = peer.decode("utf-8", "replace")
    return text[:-3] if text.endswith("]:25") else text


def _proc_key(block: bytes, ls: int) -> bytes | None:
    end = block.find(b"\n", ls)
    head = _HEAD.match(block, ls, end if end >= 0 else len(block))
    if head is None:
        return None
    return block[head.start(1) : head.end()]


def _peer_text(m: re.Match[bytes]) -> str:
    text = m.group(0).decode("utf-8", "replace")
    return text[:-3] if text.endswith("]:25") else text


def _split_peer(peer: bytes) -> tuple[str | None, str | None]:
    m = _PEER.match(peer) or _PEER.search(peer)
    if m is None:
        text = peer.decode("utf-8", "replace")
        return (text or None), None
    return m.group(1).decode("utf-8", "replace"), m.group(2).decode("ascii", "replace")


def _split_text_peer(peer: str | None) -> tuple[str | None, str | None]:
    if not peer:
        return None, None
    return _split_peer(peer.encode())
