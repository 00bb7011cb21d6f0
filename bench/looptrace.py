"""Where a diagnosis's wall time goes on a slow path: its event loop and sockets, traced.

``bench/rtt_bench.py --only ... --trace DIR`` runs each smtpdoctor command as::

    python bench/looptrace.py diagnose ...   (SMTPDOCTOR_LOOPTRACE=DIR/TOOL-N.trace)

which runs ``python -m smtpdoctor diagnose ...`` unchanged but records, in
JSON lines: every event-loop callback over 0.3 ms (wall and the loop thread's
CPU: wall well above CPU means the loop thread waited, for the GIL or a
core), each TCP/UDP connect and every send and receive on a socket (time,
peer, size, first bytes), every thread (its wall and CPU), and the exit.
The hooks go in before smtpdoctor's own imports (``socket`` patched at once,
``asyncio.events`` and ``selectors`` as they load), so the first packet
leaves a few ms later than in an untraced run; compare traced runs only with
traced runs. :func:`summary` reads a trace back:

- ``reply->connect``: from the first DNS reply to the first SMTP connect;
- ``turn s0..s4``: on each host's walk connection, from a reply to the next
  send (greeting → EHLO, EHLO → STARTTLS, 220 → ClientHello, ServerHello →
  Finished and the EHLO under TLS, that EHLO's reply → MAIL): the client's
  share of each round trip;
- ``after last reply``: CPU (whole process) and wall from the last SMTP
  reply to the exit.

Not part of the test suite.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_T0 = time.perf_counter()
_REC: list[tuple[str, float, float, float, str]] = []


def _now() -> float:
    return time.perf_counter() - _T0


def _patch_events(mod: ModuleType) -> None:
    run = mod.Handle._run

    def timed(self: Any) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        run(self)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        if wall > 0.0003:
            cb = self._callback
            what = getattr(cb, "__qualname__", None) or repr(cb)
            owner = getattr(cb, "__self__", None)
            if type(owner).__name__ == "Task":
                what = "Task:" + getattr(owner.get_coro(), "__qualname__", "?")
            _REC.append(("cb", _now() - wall, wall, cpu, what[:120]))

    mod.Handle._run = timed


def _tag(sock: socket.socket) -> str:
    try:
        peer, local = sock.getpeername(), sock.getsockname()
    except OSError:
        return "?"
    if not (isinstance(peer, tuple) and isinstance(local, tuple)):
        return "local"  # the event loop's self-pipe (AF_UNIX): a thread's call_soon_threadsafe
    return f"{peer[0]}:{peer[1]}/{local[1]}"


def _patch_socket() -> None:
    connect = socket.socket.connect

    def connecting(self: socket.socket, address: Any) -> None:
        _REC.append(("connect", _now(), 0.0, 0.0, str(address)))
        connect(self, address)

    socket.socket.connect = connecting  # type: ignore[method-assign]
    for name in ("recv", "send"):
        setattr(socket.socket, name, _io(name, getattr(socket.socket, name)))


def _io(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def traced(self: socket.socket, *args: Any) -> Any:
        out = call(self, *args)
        data = out if name == "recv" else bytes(args[0][: out if isinstance(out, int) else 0])
        size = len(data) if name == "recv" else out
        _REC.append((name, _now(), float(size), time.process_time(), f"{_tag(self)} {data[:24]!r}"))
        return out

    return traced


def _patch_threads() -> None:
    run = threading.Thread.run

    def traced(self: threading.Thread) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            run(self)
        finally:
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            _REC.append(("thread", _now() - wall, wall, cpu, self.name))

    threading.Thread.run = traced  # type: ignore[method-assign]


class _Hook(importlib.abc.MetaPathFinder):
    """Patches ``asyncio.events`` as soon as it is loaded (not loaded here first:
    that would move asyncio's import before the CLI's early DNS questions)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "asyncio.events":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _patch_events(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _dump(path: str) -> None:
    _REC.append(("exit", _now(), 0.0, time.process_time(), ""))
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in _REC)


def main() -> None:
    path = os.environ["SMTPDOCTOR_LOOPTRACE"]
    sys.meta_path.insert(0, _Hook())
    _patch_socket()
    _patch_threads()
    done: list[bool] = []

    def dump_once() -> None:
        if not done:
            done.append(True)
            _dump(path)

    exit_now = os._exit

    def exiting(status: int) -> None:  # the CLI ends with os._exit (no teardown)
        dump_once()
        exit_now(status)

    os._exit = exiting  # type: ignore[assignment]
    atexit.register(dump_once)
    sys.argv = ["smtpdoctor", *sys.argv[1:]]
    runpy.run_module("smtpdoctor", run_name="__main__", alter_sys=True)


def _records(path: str) -> list[list[Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def summary(path: str) -> dict[str, Any]:
    """The figures of one trace (module docstring)."""
    rec = _records(path)
    io = [r for r in rec if r[0] in ("recv", "send")]
    smtp = [r for r in io if ":25/" in r[4]]
    dns_reply = min((r[1] for r in io if r[0] == "recv" and ":53/" in r[4]), default=None)
    first_smtp = min(
        (r[1] for r in rec if r[0] == "connect" and r[4].endswith(" 25)")), default=None
    )
    by_conn: dict[str, list[list[Any]]] = {}
    for r in smtp:
        by_conn.setdefault(r[4].split()[0], []).append(r)
    walks: dict[str, str] = {}  # each host's first connection: its walk
    for conn, evs in by_conn.items():
        host = conn.split(":")[0]
        if host not in walks or evs[0][1] < by_conn[walks[host]][0][1]:
            walks[host] = conn
    turns = {}
    for host, conn in walks.items():
        evs = by_conn[conn]
        # from a reply to the last of the sends that follow it (ServerHello:
        # the Finished, then the EHLO under TLS)
        turns[host] = [
            (evs[j - 1][1] - evs[i][1]) * 1000
            for i in range(len(evs) - 1)
            if evs[i][0] == "recv" and evs[i + 1][0] == "send"
            for j in [next((k for k in range(i + 1, len(evs)) if evs[k][0] == "recv"), len(evs))]
        ]
    last = max((r for r in smtp if r[0] == "recv"), key=lambda r: r[1], default=None)
    end = next(r for r in rec if r[0] == "exit")
    return {
        "reply_to_connect_ms": (first_smtp - dns_reply) * 1000
        if dns_reply is not None and first_smtp is not None
        else None,
        "turns_ms": turns,
        "after_last_reply_cpu_ms": (end[3] - last[3]) * 1000 if last else None,
        "after_last_reply_ms": (end[1] - last[1]) * 1000 if last else None,
        "threads": [
            (r[4], round(r[2] * 1000, 1), round(r[3] * 1000, 1)) for r in rec if r[0] == "thread"
        ],
    }


def _median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.1f}" if known else "-"


def report(paths: dict[str, list[str]]) -> str:
    """One line per tool: the medians of its traces' figures."""
    lines = []
    for tool, files in paths.items():
        sums = [summary(p) for p in files]
        steps: dict[int, list[float | None]] = {}
        for s in sums:
            for turns in s["turns_ms"].values():
                for i, t in enumerate(turns):
                    steps.setdefault(i, []).append(t)
        turn = " ".join(f"s{i} {_median(v)}" for i, v in sorted(steps.items()))
        connect = _median([s["reply_to_connect_ms"] for s in sums])
        cpu = _median([s["after_last_reply_cpu_ms"] for s in sums])
        wall = _median([s["after_last_reply_ms"] for s in sums])
        lines.append(
            f"{tool} (traced, medians): reply->connect {connect} ms; turn {turn} ms; "
            f"after the last reply {cpu} ms of CPU, {wall} ms"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
