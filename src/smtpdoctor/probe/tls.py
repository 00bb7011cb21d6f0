"""The server's TLS version matrix in a handful of connections.

Why this way: a server picks exactly one version per ClientHello, so the top
version comes from the walk's own handshake (a lenient OpenSSL client offering
TLS 1.0-1.3), and each *lower* version needs one ClientHello offering only it.
Python's ``ssl`` would need a full handshake per version (and cannot speak
SSLv3 at all); a hand-built ClientHello (``protocol.tlshello``) learns the
answer from the ServerHello or the alert in one round trip, then closes. That
is at most four extra connections (TLS 1.2, 1.1, 1.0, SSLv3) plus one with a
ClientHello the size a post-quantum key share gives (~1.5 KB), against the
hundreds that sslyze and testssl.sh open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from smtpdoctor.evidence.tls import VERSIONS, HelloProbe, TlsMatrix
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.errors import NetError
from smtpdoctor.net.stream import Connector, abandon
from smtpdoctor.protocol.client import ClientConnection, Closed, Command, NeedData, Verb
from smtpdoctor.protocol.errors import ProtocolError
from smtpdoctor.protocol.reply import Reply
from smtpdoctor.protocol.tlshello import (
    DEFAULT_SIGNATURE_ALGORITHMS,
    POST_QUANTUM_GROUPS,
    SHA1_SIGNATURE_ALGORITHMS,
    HelloParser,
    NamedGroup,
    ServerHelloResult,
    TLSVersionCode,
    build_client_hello,
)

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.net.seam import Stream

__all__ = [
    "Preambles",
    "early_matrix",
    "hello_probe",
    "implicit_tls_probe",
    "read_reply",
    "swap_probe",
    "tls_matrix",
    "version_hello",
]

_CODES = {
    "SSLv3": TLSVersionCode.SSLv3,
    "TLSv1": TLSVersionCode.TLSv1,
    "TLSv1.1": TLSVersionCode.TLSv1_1,
    "TLSv1.2": TLSVersionCode.TLSv1_2,
    "TLSv1.3": TLSVersionCode.TLSv1_3,
}
# A probe that gets no answer within this long is "no answer", not a hang of
# the whole diagnosis (the probe's deadline still bounds it).
PROBE_SECONDS = 5.0
# At least this long for a TLS <= 1.2 chain after its ServerHello (seconds).
CHAIN_WAIT = 0.25
_NO_SHA1 = tuple(a for a in DEFAULT_SIGNATURE_ALGORITHMS if a not in SHA1_SIGNATURE_ALGORITHMS)
# Below this much time left, the matrix is skipped rather than half-done.
MIN_SECONDS = 1.0
# The size of a ClientHello with an X25519MLKEM768 key share (OpenSSL 3.5's
# default): middleboxes and some stacks that drop large first flights hang on
# it while a small one passes.
LARGE_HELLO_BYTES = 1500
LARGE_HELLO = "large-hello"


async def read_reply(
    stream: Stream, conn: ClientConnection, deadline: Deadline, what: str
) -> Reply | None:
    """The next whole reply on a connection beside the walk; None when it closed.
    ``what`` names the awaited reply in a timeout's words."""
    while True:
        event = conn.next_event()
        if isinstance(event, Reply):
            return event
        if isinstance(event, Closed):
            return None
        assert isinstance(event, NeedData)
        conn.receive_data(await stream.recv(deadline, what))


async def _reply(stream: Stream, conn: ClientConnection, deadline: Deadline) -> Reply | None:
    return await read_reply(stream, conn, deadline, "a STARTTLS preamble reply")


async def _starttls_preamble(stream: Stream, helo: str, deadline: Deadline) -> str | None:
    """Greeting, EHLO, STARTTLS → 220. None when ready, else why not."""
    conn = ClientConnection()
    greeting = await _reply(stream, conn, deadline)
    if greeting is None or greeting.code != 220:
        return f"greeting {greeting}" if greeting else "no greeting"
    await stream.send(conn.send(Command(Verb.EHLO, helo)), deadline)
    ehlo = await _reply(stream, conn, deadline)
    if ehlo is None or ehlo.code != 250:
        # (A refusal, not a server without STARTTLS: what a pool member that
        # differs from the walk's says: doctor.recheck reads it.)
        return f"EHLO answered {ehlo}" if ehlo else "closed after EHLO"
    if "STARTTLS" not in conn.extensions:
        return "STARTTLS not offered"
    await stream.send(conn.send(Command(Verb.STARTTLS)), deadline)
    ready = await _reply(stream, conn, deadline)
    if ready is None or ready.code != 220:
        return f"STARTTLS answered {ready}" if ready else "closed after STARTTLS"
    return None


@dataclass(slots=True)
class _Slot:
    """A probe connection up to the point where its ClientHello is due."""

    stream: Stream | None = None
    failure: tuple[str, str] | None = None  # (outcome, detail) when it never got there
    active: float = 0.0  # seconds spent getting there


async def _open(
    *,
    address: str,
    port: int,
    helo: str,
    implicit: bool,
    deadline: Deadline,
    connector: Connector,
    seconds: float = PROBE_SECONDS,
    dialed: tuple[asyncio.Future[Stream], Deadline] | None = None,
) -> _Slot:
    """Connect and, for STARTTLS, greet, EHLO and STARTTLS: ready for a ClientHello.

    ``dialed``: the connect already begun (:func:`_open_now`), with its deadline."""
    slot = _Slot()
    started = time.monotonic()
    local = Deadline(min(seconds, deadline.remaining())) if dialed is None else dialed[1]
    try:
        if dialed is None:
            slot.stream = await connector.connect(address, port, local)
        else:
            slot.stream = await dialed[0]
        if not implicit:
            why = await _starttls_preamble(slot.stream, helo, local)
            if why is not None:
                slot.failure = ("protocol_error", why)
    except NetError as err:
        slot.failure = (err.outcome.value, err.detail)
        if local.expired and local.at >= deadline.at:
            # The probe's own budget was cut by the diagnosis deadline: no
            # evidence either way.
            slot.failure = ("skipped", "the diagnosis deadline ran out")
    except ProtocolError as exc:
        slot.failure = ("protocol_error", str(exc))
    except asyncio.CancelledError:
        if slot.stream is not None:
            slot.stream.abort()
        raise
    finally:
        slot.active = time.monotonic() - started
    if slot.failure is not None and slot.stream is not None:
        slot.stream.abort()
        slot.stream = None
    return slot


def _open_now(*, deadline: Deadline, connector: Connector, **where: Any) -> asyncio.Future[_Slot]:
    """:func:`_open` (``where``: its address, port, helo, implicit), its connect
    begun before this returns (:meth:`Connector.dial`): its SYN is out and
    counted whether or not the loop turns before the caller goes on.
    Cancelled before its first step, it closes that connection."""
    local = Deadline(min(PROBE_SECONDS, deadline.remaining()))
    dialed = connector.dial(where["address"], where["port"], local)
    task = asyncio.ensure_future(
        _open(**where, deadline=deadline, connector=connector, dialed=(dialed, local))
    )

    def drop(opened: asyncio.Future[_Slot]) -> None:
        if opened.cancelled():
            abandon(dialed)

    task.add_done_callback(drop)
    return task


async def _finish(
    slot: _Slot, label: str, hello: bytes, *, deadline: Deadline, seconds: float = PROBE_SECONDS
) -> HelloProbe:
    """Send ``hello`` on an opened slot and read the ServerHello or alert.

    ``seconds`` bounds the probe's active time (the preamble's included); any
    wait between the two is not counted. The large hello's ``seconds`` (its
    patience) count from its sending: the hang it looks for is the answer's,
    and a greeting or EHLO that is slow on every connection (a greet pause, a
    dripped banner, a slow DNS check at EHLO) must not use them up.
    """
    probe = HelloProbe(label, len(hello))
    started = time.monotonic()
    stream = slot.stream
    parser: HelloParser | None = None
    try:
        if slot.failure is not None or stream is None:
            probe.outcome, probe.detail = slot.failure or ("skipped", "no connection")
            return probe  # never sent (probe.sent): nothing said about the hello
        spent = 0.0 if label == LARGE_HELLO else slot.active
        local = Deadline(max(0.0, min(seconds - spent, deadline.remaining())))
        try:
            probe.sent = True
            await stream.send(hello, local, "ClientHello")
            # Below TLS 1.3 the chain follows the ServerHello in clear, in the
            # same flight: read on to it (another pool member's certificate).
            parser = HelloParser(certificate=True)
            result: ServerHelloResult | None = None
            while result is None:
                wait = local
                if parser.server_hello is not None:
                    # The chain is extra: waited for no longer than the hello took
                    # (it comes in the same flight), never a stall's whole time.
                    took = time.monotonic() - started
                    wait = Deadline(min(local.remaining(), max(CHAIN_WAIT, took)))
                data = await stream.recv(wait, "ServerHello")
                if not data:
                    if parser.server_hello is not None:  # answered; the chain cut short
                        _fill(probe, parser.server_hello)
                        return probe
                    probe.outcome, probe.detail = "closed", "the server closed without answering"
                    return probe
                result = parser.feed(data)
            _fill(probe, result)
        except NetError as err:
            probe.outcome, probe.detail = err.outcome.value, err.detail
            if parser is not None and parser.server_hello is not None:
                _fill(probe, parser.server_hello)  # the hello answered; the rest is extra
            elif local.expired and local.at >= deadline.at:
                probe.outcome, probe.detail = "skipped", "the diagnosis deadline ran out"
        except ProtocolError as exc:
            probe.outcome, probe.detail = "protocol_error", str(exc)
    finally:
        probe.elapsed_ms = (slot.active + time.monotonic() - started) * 1000
        if stream is not None:
            stream.abort()
    return probe


async def _probe(
    label: str,
    hello: bytes,
    *,
    address: str,
    port: int,
    helo: str,
    implicit: bool,
    deadline: Deadline,
    connector: Connector,
    seconds: float = PROBE_SECONDS,
) -> HelloProbe:
    where: dict[str, Any] = {"address": address, "port": port, "helo": helo}
    # The preamble's bound: the probe's own seconds, the large hello's patience
    # aside (it counts from the hello's sending).
    opening = PROBE_SECONDS if label == LARGE_HELLO else seconds
    slot = await _open(
        **where, implicit=implicit, deadline=deadline, connector=connector, seconds=opening
    )
    return await _finish(slot, label, hello, deadline=deadline, seconds=seconds)


def _fill(probe: HelloProbe, result: ServerHelloResult) -> None:
    if result.kind == "alert":
        probe.accepted = False
        probe.alert = result.alert_description
        probe.outcome = "tls_alert"
        return
    probe.outcome = "ok"
    probe.version = result.version
    probe.cipher = result.cipher_name
    probe.group = result.selected_group_name
    probe.extended_master_secret = result.extended_master_secret
    probe.chain_der = result.chain_der
    # A server that answers a TLS 1.1 hello with 1.0 accepts 1.0, not 1.1.
    probe.accepted = result.version == probe.label if probe.label in _CODES else True


def _hello(version: str, server_name: str | None, ciphers: Sequence[int] | None = None) -> bytes:
    """A ClientHello offering only ``version`` (and ``ciphers``: a peer's suites)."""
    code = _CODES[version]
    # A peer's hello also leaves out SHA-1 signatures, as OpenSSL 3 does at
    # its default security level: a server that can only sign with SHA-1
    # fails it just as a real peer's handshake would.
    sigalgs = _NO_SHA1 if ciphers is not None else None
    return build_client_hello(
        max_version=code,
        min_version=code,
        server_name=server_name,
        ciphers=ciphers,
        signature_algorithms=sigalgs,
    )


def _large_hello(top: str, server_name: str | None) -> bytes:
    """A ~1.5 KB hello at the top version, the size a post-quantum key share gives."""
    return build_client_hello(
        max_version=_CODES[top],
        min_version=_CODES[top] if top != "TLSv1.3" else TLSVersionCode.TLSv1_2,
        server_name=server_name,
        groups=POST_QUANTUM_GROUPS,
        key_share_groups=(NamedGroup.X25519MLKEM768, NamedGroup.X25519),
        pad_to=LARGE_HELLO_BYTES,
    )


def _fill_versions(matrix: TlsMatrix, top: str) -> None:
    rank = VERSIONS.index(top)
    for v in VERSIONS:
        if v == top:
            matrix.versions[v] = True
        elif VERSIONS.index(v) > rank:
            matrix.versions[v] = False  # the walk offered it and the server chose lower
        else:
            probe = next(p for p in matrix.probes if p.label == v)
            matrix.versions[v] = probe.accepted
            if probe is matrix.peer_ciphers and matrix.peer_cipher_shared is False:
                matrix.versions[v] = None  # refused the suites, maybe not the version


def _plan(
    top: str,
    server_name: str | None,
    large_hello: bool,
    peer: tuple[int, ...] | None,
    patience: float,
) -> list[tuple[str, bytes, float]]:
    """The hellos a matrix below ``top`` needs: (label, ClientHello, seconds)."""
    lower = VERSIONS[: VERSIONS.index(top)]
    plan = [
        (v, _hello(v, _named(v, top, server_name), peer if v == "TLSv1.2" else None), PROBE_SECONDS)
        for v in reversed(lower)
    ]
    if peer and top == "TLSv1.2":
        plan.append(("peer-ciphers", _hello("TLSv1.2", server_name, peer), PROBE_SECONDS))
    if large_hello:
        plan.append((LARGE_HELLO, _large_hello(top, server_name), patience))
    return plan


def _named(version: str, top: str, server_name: str | None) -> str | None:
    """The name a matrix hello carries: the walk's, but none on a TLS 1.3
    server's TLS 1.2 hello, whose chain comes in clear: a hello with no SNI, as
    Postfix and Exim send by default, shows the certificate (or the refusal)
    such senders get (doctor.recheck compares it with the walk's)."""
    return None if version == "TLSv1.2" and top == "TLSv1.3" else server_name


def _assemble(
    matrix: TlsMatrix, results: Sequence[HelloProbe], peer: object, server_name: str | None
) -> TlsMatrix:
    assert matrix.top is not None
    for probe in results:
        if server_name and probe.label in _CODES:
            probe.sni = _named(probe.label, matrix.top, server_name) is not None
    matrix.probes = [r for r in results if r.label in _CODES]
    matrix.large_hello = next((r for r in results if r.label == LARGE_HELLO), None)
    if peer:
        label = "TLSv1.2" if matrix.top == "TLSv1.3" else "peer-ciphers"
        matrix.peer_ciphers = next((r for r in results if r.label == label), None)
    _fill_versions(matrix, matrix.top)
    return matrix


async def tls_matrix(
    address: str,
    port: int,
    *,
    helo: str,
    server_name: str | None,
    top: str | None,
    deadline: Deadline,
    connector: Connector,
    implicit: bool = False,
    large_hello: bool = True,
    patience: float = PROBE_SECONDS,
    peer_ciphers: Sequence[int] = (),
    walk_ended: asyncio.Future[float] | None = None,
) -> TlsMatrix:
    """Which versions the server accepts, learnt from ``top`` plus one hello per lower one.

    ``patience``: how long the large ClientHello may go unanswered before it
    counts as a hang. Scale it to the path (the walk's own handshake time).
    ``peer_ciphers``: the suites a sending peer offers at TLS 1.2. On a TLS 1.3
    server the TLS 1.2 version probe offers just those (an accepted hello
    answers both questions); on a TLS 1.2 server, whose version probe is not
    needed, one hello offers them instead. No extra connection either way.
    ``walk_ended``: as for :func:`early_matrix` (a scan's matrix, started after
    the walk's handshake, is cut as long after the walk's end as an early one).
    """
    matrix = TlsMatrix(top)
    if top not in _CODES:
        return matrix
    if deadline.remaining() < MIN_SECONDS:
        matrix.skipped = "not enough time left before the deadline"
        return matrix
    where: dict[str, Any] = {
        "address": address,
        "port": port,
        "helo": helo,
        "implicit": implicit,
        "deadline": deadline,
        "connector": connector,
    }
    peer = tuple(peer_ciphers) or None
    plan = _plan(top, server_name, large_hello, peer, patience)
    if walk_ended is None:
        jobs = [_probe(label, hello, **where, seconds=seconds) for label, hello, seconds in plan]
        return _assemble(matrix, await asyncio.gather(*jobs), peer, server_name)
    opening = [
        asyncio.ensure_future(_open(**where, seconds=PROBE_SECONDS if label == LARGE_HELLO else s))
        for label, _, s in plan
    ]
    try:
        sent_at: dict[asyncio.Future[Any], float] = {}
        cut = [
            asyncio.ensure_future(
                _after_open(opening[i], label, hello, deadline, seconds, sent_at=sent_at)
            )
            for i, (label, hello, seconds) in enumerate(plan)
        ]
        await _until_walk_ends(cut, walk_ended, patience, sent_at)
        results = [
            _result_or_cut(job, slot, label, hello)
            for job, slot, (label, hello, _) in zip(cut, opening, plan, strict=False)
        ]
        return _assemble(matrix, results, peer, server_name)
    finally:
        for task in opening:
            _discard(task)


# The connections an early matrix opens before the top version is known: as
# many as a TLS 1.3 or 1.2 server's matrix uses (four hellos and the large one).
EARLY_CONNECTIONS = 5


def early_matrix(
    address: str,
    port: int,
    *,
    helo: str,
    server_name: str | None,
    settled: Awaitable[tuple[str, float] | None],
    deadline: Deadline,
    connector: Connector,
    implicit: bool = False,
    large_hello: bool = True,
    peer_ciphers: Sequence[int] = (),
    walk_ended: asyncio.Future[float] | None = None,
    preambles: Preambles | None = None,
) -> asyncio.Task[TlsMatrix | None]:
    """:func:`tls_matrix`, its connections opened at once, beside the walk.

    Each probe connection goes as far as its ClientHello is due (connect,
    greeting, EHLO, STARTTLS) while the walk runs; ``settled`` gives the
    walk's version and the large hello's patience when its handshake ends
    (None: it never did: no matrix). Then the very hellos :func:`tls_matrix`
    would send go out at once on the waiting connections, so the matrix ends
    about one round trip after the walk's handshake instead of a whole
    session later. Connections a lower top version does not need are closed
    unused; a plan that needs more than were opened opens the rest.

    The connections' SYNs are out (and counted) when this returns, not at
    the loop's next turn: a walk whose server answers before it reads may go
    from EHLO to a failed handshake without a turn, and the matrix's
    connections would then open or not by that race (a diagnosis would cost
    one connection in one run and six in the next). The returned task
    closes them when it ends, however it ends.

    ``walk_ended`` (done when the walk returns, with the seconds the walk took
    to reach its handshake): probes still going then get that long (their own
    preamble's due) and the large hello's patience (ten times the walk's
    handshake, 1-5 s) more, then count as skipped: a tarpit beside the walk
    no longer holds the run to its deadline (or each probe's own 5 s).

    ``preambles``: when the walk never reached its handshake and the caller
    wants them, what each probe connection met up to its ClientHello, as far
    as it got within a short wait: other connections to compare the walk's with.
    """
    where: dict[str, Any] = {"address": address, "port": port, "helo": helo}
    count = EARLY_CONNECTIONS if large_hello else EARLY_CONNECTIONS - 1
    opening = [
        _open_now(**where, implicit=implicit, deadline=deadline, connector=connector)
        for _ in range(count)
    ]
    job = asyncio.ensure_future(
        _early_matrix(
            opening,
            where,
            server_name=server_name,
            settled=settled,
            deadline=deadline,
            connector=connector,
            implicit=implicit,
            large_hello=large_hello,
            peer_ciphers=peer_ciphers,
            walk_ended=walk_ended,
            preambles=preambles,
        )
    )

    def close(_: asyncio.Future[TlsMatrix | None]) -> None:
        for task in opening:
            _discard(task)

    job.add_done_callback(close)
    return job


async def _early_matrix(
    opening: list[asyncio.Future[_Slot]],
    where: dict[str, Any],
    *,
    server_name: str | None,
    settled: Awaitable[tuple[str, float] | None],
    deadline: Deadline,
    connector: Connector,
    implicit: bool,
    large_hello: bool,
    peer_ciphers: Sequence[int],
    walk_ended: asyncio.Future[float] | None,
    preambles: Preambles | None,
) -> TlsMatrix | None:
    """:func:`early_matrix`'s course once its connections are begun."""
    try:
        known = await settled
        if known is None:
            if preambles is not None and preambles.wanted:
                preambles.met.extend(await _preambles(opening, deadline))
            return None
        top, patience = known
        matrix = TlsMatrix(top)
        if top not in _CODES:
            return matrix
        if deadline.remaining() < MIN_SECONDS:
            matrix.skipped = "not enough time left before the deadline"
            return matrix
        peer = tuple(peer_ciphers) or None
        plan = _plan(top, server_name, large_hello, peer, patience)
        while len(opening) < len(plan):
            opening.append(
                asyncio.ensure_future(
                    _open(**where, implicit=implicit, deadline=deadline, connector=connector)
                )
            )
        sent_at: dict[asyncio.Future[Any], float] = {}
        jobs = [
            asyncio.ensure_future(
                _after_open(opening[i], label, hello, deadline, seconds, sent_at=sent_at)
            )
            for i, (label, hello, seconds) in enumerate(plan)
        ]
        await _until_walk_ends(jobs, walk_ended, patience, sent_at)
        results = [
            _result_or_cut(job, slot, label, hello)
            for job, slot, (label, hello, _) in zip(jobs, opening, plan, strict=False)
        ]
        return _assemble(matrix, results, peer, server_name)
    finally:
        for task in opening:
            _discard(task)


class Preambles:
    """What an early matrix's connections met before their hellos (None: ready
    for it), read only when ``wanted`` is set before the walk's end settles."""

    __slots__ = ("met", "wanted")

    def __init__(self) -> None:
        self.wanted = False
        self.met: list[str | None] = []


# How long the preambles of a matrix the walk never needed are waited for.
PREAMBLE_WAIT = 2.0


async def _preambles(
    opening: Sequence[asyncio.Future[_Slot]], deadline: Deadline
) -> list[str | None]:
    """What each opened connection met before its hello (None: ready), for those
    that got that far within PREAMBLE_WAIT."""
    wait = min(PREAMBLE_WAIT, deadline.remaining())
    if not opening or wait <= 0:
        return []
    await asyncio.wait(opening, timeout=wait)
    done = [t.result() for t in opening if t.done() and not t.cancelled() and not t.exception()]
    return [slot.failure[1] if slot.failure else None for slot in done]


async def _after_open(
    opening: asyncio.Future[_Slot],
    label: str,
    hello: bytes,
    deadline: Deadline,
    seconds: float,
    *,
    sent_at: dict[asyncio.Future[Any], float],
) -> HelloProbe:
    slot = await opening
    task = asyncio.current_task()
    if task is not None:
        sent_at[task] = time.monotonic()
    return await _finish(slot, label, hello, deadline=deadline, seconds=seconds)


async def _until_walk_ends(
    jobs: Sequence[asyncio.Future[HelloProbe]],
    walk_ended: asyncio.Future[float] | None,
    patience: float,
    sent_at: dict[asyncio.Future[Any], float] | None = None,
) -> None:
    """Wait for every probe; once the walk has ended, ``patience`` seconds and
    the walk's preamble time more (a probe still opening its connection then,
    or whose hello is unanswered, is cut short: on a healthy server each ends
    within a round trip of the walk's handshake, long before). A hello sent
    (``sent_at``: when, by job) gets ``patience`` from its sending even if its
    connection was ready only after the walk ended: cut sooner, the large
    hello's hang would read as skipped, by a scheduling race."""
    waiting: set[asyncio.Future[Any]] = set(jobs)
    while waiting and walk_ended is not None and not walk_ended.done():
        _, waiting = await asyncio.wait({*waiting, walk_ended}, return_when=asyncio.FIRST_COMPLETED)
        waiting.discard(walk_ended)
    if walk_ended is None:
        await asyncio.gather(*jobs, return_exceptions=True)
        return
    left = [job for job in jobs if not job.done()]
    if left:
        await asyncio.wait(left, timeout=patience + walk_ended.result())
    late = [job for job in left if not job.done() and job in (sent_at or {})]
    if late and sent_at is not None:
        until = max(sent_at[job] for job in late) + patience
        await asyncio.wait(late, timeout=max(0.0, until - time.monotonic()))
    for job in left:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


def _result_or_cut(
    job: asyncio.Future[HelloProbe], slot: asyncio.Future[_Slot], label: str, hello: bytes
) -> HelloProbe:
    """The probe's own result, or what a probe cut short when the walk ended says."""
    if not job.cancelled():
        return job.result()
    probe = HelloProbe(label, len(hello), outcome="skipped")
    # The walk's verdict did not wait for it: no evidence either way.
    if slot.done() and not slot.cancelled():
        probe.sent = True
        probe.detail = "unanswered when the walk ended and for the patience after it"
    else:
        probe.detail = (
            "its connection was not ready when the walk ended and for the patience after it"
        )
    return probe


def _discard(task: asyncio.Future[_Slot]) -> None:
    """Close an opened connection no hello was sent on (or stop its opening)."""
    if not task.done():
        task.cancel()
    elif not task.cancelled() and task.exception() is None:
        slot = task.result()
        if slot.stream is not None:
            slot.stream.abort()  # idempotent: a slot a hello used is closed already


def version_hello(
    version: str, server_name: str | None, ciphers: Sequence[int] | None = None
) -> bytes:
    """The matrix's hello for ``version`` (with a peer's ``ciphers``), naming ``server_name``."""
    return _hello(version, server_name, tuple(ciphers) if ciphers else None)


# The signatures Schannel (Microsoft 365, Exchange) verifies: RSA (PKCS #1 and
# PSS) and ECDSA on the NIST curves, no EdDSA (learn.microsoft.com,
# SecPkgContext_SupportedSignatures), nor DSA in its TLS 1.3 or default lists.
COMMON_SIGNATURES = (0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601)


def common_key_hello(server_name: str | None, ciphers: Sequence[int] | None = None) -> bytes:
    """The matrix's TLS 1.2 hello (its chain comes in clear) offering only the
    signatures every sender verifies: what a server with a certificate of a
    rarer kind serves a sender that cannot use it."""
    return build_client_hello(
        max_version=TLSVersionCode.TLSv1_2,
        min_version=TLSVersionCode.TLSv1_2,
        server_name=server_name,
        ciphers=tuple(ciphers) if ciphers else None,
        signature_algorithms=COMMON_SIGNATURES,
    )


# The groups and suites BoringSSL (Gmail; ssl_key_share.cc's default groups) and
# Schannel (Microsoft 365; "TLS Elliptic Curves in Windows": curve25519,
# NistP256, NistP384 by default) both offer: TLS 1.2-1.3, X25519, P-256 and
# P-384 with an X25519 share, ECDHE suites with AES-GCM or ChaCha20 at TLS 1.2.
_COMMON_GROUPS = (NamedGroup.X25519, NamedGroup.SECP256R1, NamedGroup.SECP384R1)
_COMMON_SUITES = (0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8)


def common_groups_hello(server_name: str | None) -> bytes:
    """A hello offering only the key exchange groups every common sender
    offers: what a server whose own groups are rarer (FFDHE, X448) refuses."""
    return build_client_hello(
        max_version=TLSVersionCode.TLSv1_3,
        min_version=TLSVersionCode.TLSv1_2,
        server_name=server_name,
        ciphers=_COMMON_SUITES,
        groups=_COMMON_GROUPS,
        key_share_groups=(NamedGroup.X25519,),
    )


# One more hello as the matrix sends them (its own connection, the STARTTLS
# preamble first unless ``implicit``): the ServerHello or the alert.
hello_probe = _probe


def swap_probe(matrix: TlsMatrix, old: HelloProbe, new: HelloProbe) -> None:
    """Put ``new`` in ``old``'s place in the matrix, and read the versions again."""
    matrix.probes = [new if p is old else p for p in matrix.probes]
    if matrix.peer_ciphers is old:
        matrix.peer_ciphers = new
    if matrix.top in _CODES:
        _fill_versions(matrix, matrix.top)


async def implicit_tls_probe(
    address: str,
    port: int,
    *,
    server_name: str | None,
    deadline: Deadline,
    connector: Connector,
) -> HelloProbe:
    """A ClientHello (TLS 1.0-1.3) as the first bytes: does the port speak TLS at once?"""
    hello = build_client_hello(
        max_version=TLSVersionCode.TLSv1_3,
        min_version=TLSVersionCode.TLSv1,
        server_name=server_name,
    )
    where: dict[str, Any] = {"address": address, "port": port, "helo": "", "implicit": True}
    return await _probe("implicit-tls", hello, **where, deadline=deadline, connector=connector)
