"""A delaying Ethernet bridge between two interfaces, for test networks without netem.

This kernel has no ``sch_netem``, so ``tc ... netem delay`` is not available.
A TCP relay would add delay to the data but not to the handshake (it answers
the SYN itself), and connect-time latency is what the path probe measures.
So this copies whole Ethernet frames between two interfaces of a namespace
(``AF_PACKET`` raw sockets, no IP addresses there) and holds each frame for
the delay first: the two sides see one L2 segment with real per-packet
delay, SYNs included. Order is kept (one FIFO per direction).

Run inside its own network namespace, by the harness in ``netns.py``::

    ip netns exec NS python relay_delay.py --delay-ms 150 IF_A IF_B

It prints ``ready`` once both sockets are bound and runs until SIGTERM or
until its standard input closes (the harness died).
The interfaces need GRO off (frames larger than the MTU cannot be sent on)
and their peers need TX checksum offload off (a frame read before the
checksum was filled in would arrive corrupt).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # sll_pkttype of frames this host sent: not ours to copy
MAX_QUEUE = 20000  # frames in flight per direction; more are dropped (a full queue)


class _Direction:
    """Frames read on ``rx`` leave on ``tx`` after ``delay`` seconds, in order."""

    def __init__(self, rx: socket.socket, tx: socket.socket, delay: float) -> None:
        self.rx = rx
        self.tx = tx
        self.delay = delay
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.wake = asyncio.Event()
        self.dropped = 0

    def on_readable(self) -> None:
        now = time.monotonic()
        while True:
            try:
                frame, addr = self.rx.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            if len(self.queue) >= MAX_QUEUE:
                self.dropped += 1
                continue
            self.queue.append((now + self.delay, frame))
            self.wake.set()

    async def pump(self) -> None:
        while True:
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            due, frame = self.queue[0]
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self.queue.popleft()
            with contextlib.suppress(OSError):
                self.tx.send(frame)


def _open(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, ETH_P_ALL))
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    return sock


async def run(if_a: str, if_b: str, delay_ms: float) -> None:
    a, b = _open(if_a), _open(if_b)
    # One-way delay per direction: the round trip gains twice this.
    delay = delay_ms / 1000.0
    forward, backward = _Direction(a, b, delay), _Direction(b, a, delay)
    loop = asyncio.get_running_loop()
    loop.add_reader(a.fileno(), forward.on_readable)
    loop.add_reader(b.fileno(), backward.on_readable)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    # Also stop when the harness goes away: its end of our stdin closes.
    def on_stdin() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    pumps = [asyncio.create_task(forward.pump()), asyncio.create_task(backward.pump())]
    print("ready", flush=True)
    await stop.wait()
    for task in pumps:
        task.cancel()
    a.close()
    b.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, required=True, help="one-way delay")
    parser.add_argument("if_a")
    parser.add_argument("if_b")
    args = parser.parse_args(argv)
    asyncio.run(run(args.if_a, args.if_b, args.delay_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
