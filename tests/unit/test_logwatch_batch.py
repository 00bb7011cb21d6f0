"""The monitor's log counters when the Postfix reader adds a block's failures in one batch.

Failures alike (destination, relay, reason) are added once with their count:
the monitor's 421 count per destination must still count every line.
"""

from __future__ import annotations

from smtpdoctor.logs import Limits, Options
from smtpdoctor.logs.aggregate import S_421, S_FAILURES
from smtpdoctor.logs.engine import _handler
from smtpdoctor.logs.reasons import ReasonCache
from smtpdoctor.logs.timeparse import TimeParser
from smtpdoctor.monitor.logwatch import _Counting

_LINE = (
    "Nov 28 21:50:{s:02d} mx postfix/smtp[1{i}]: 1A2B3C{i:X}: to=<u{i}@{dom}>, "
    "relay=mx.{dom}[192.0.2.7]:25, delay=0.1, delays=0/0/0.05/0.05, dsn={dsn}, "
    "status={status} ({text})\n"
)


def _block() -> bytes:
    lines = []
    for i in range(6):  # three 421 deferrals to a.example, in two seconds
        if i % 2 == 0:
            text = "host mx.a.example[192.0.2.7] refused to talk to me: 421 4.7.0 Try again later"
            lines.append(
                _LINE.format(
                    s=i // 4, i=i, dom="a.example", dsn="4.7.0", status="deferred", text=text
                )
            )
        else:
            text = "250 2.0.0 Ok: queued as 4E604A87A4"
            lines.append(
                _LINE.format(s=i // 4, i=i, dom="b.example", dsn="2.0.0", status="sent", text=text)
            )
    lines.append(
        _LINE.format(
            s=2,
            i=7,
            dom="b.example",
            dsn="5.1.1",
            status="bounced",
            text="host mx.b.example[192.0.2.7] said: 550 5.1.1 unknown user",
        )
    )
    return "".join(lines).encode()


def test_batched_failures_count_each_421_line() -> None:
    agg = _Counting(Limits())
    handle = _handler(
        "postfix",
        agg,
        times=TimeParser(1_764_400_000.0),
        reasons=ReasonCache(),
        sink=None,
        options=Options(),
    )
    handle(_block())
    assert agg.count_421 == {"a.example": 3}
    assert agg.status["deferred"] == 3
    assert agg.status["bounced"] == 1
    assert agg.status["sent"] == 3
    a = agg.destinations.rows["a.example"]
    assert (a[0], a[1]) == (3, 0)  # attempts, sent
    assert sum(v[S_FAILURES] for v in agg.series.buckets.values()) == 3 + 1
    assert sum(v[S_421] for v in agg.series.buckets.values()) == 3
