"""The network probes a walk's ending calls for: which ports answer and
where the path dies after a failed connect, the MTU black-hole probe after
a stall, the transfer rate of ``--send --size``, and ``--path``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.doctor.options import DiagnoseOptions
from smtpdoctor.evidence.session import SessionResult
from smtpdoctor.model import Finding, Outcome, Stage
from smtpdoctor.net.deadline import Deadline
from smtpdoctor.net.stream import Connector
from smtpdoctor.probe.session import SessionOptions

if TYPE_CHECKING:
    from typing import Any


async def _follow_up(
    address: str,
    result: SessionResult,
    *,
    session_opts: SessionOptions,
    opts: DiagnoseOptions,
    deadline: Deadline,
    connector: Connector,
) -> tuple[dict[str, Any], list[Finding]]:
    """The network probes a walk's ending calls for (issue 4 items 5-6).

    - no connection: which ports answer and how (filtered vs refused vs ICMP),
      and where the path dies;
    - a stall in the TLS handshake or the message: the MTU black-hole probe;
    - ``--send --size``: the transfer rate against RFC 5321's timeouts;
    - ``--path``: latency, loss and the route, whatever happened.
    """
    failed = result.failed_step
    found: dict[str, Any] = {}
    port_state: str | None = None
    stalled = (
        failed is not None
        and failed.outcome is Outcome.TIMEOUT
        and failed.stage in (Stage.TLS_HANDSHAKE, Stage.MESSAGE)
    )
    connect_failed = failed is not None and failed.stage is Stage.CONNECT
    if not opts.follow_up and not opts.path:
        return {}, []
    if not (connect_failed or stalled or opts.path or (opts.send and opts.size)):
        return {}, []
    from smtpdoctor.diagnosis.network_rules import network_findings
    from smtpdoctor.probe.path import (
        assess_transfer,
        measure_latency,
        probe_mtu,
        tcp_traceroute,
        transfer_rate,
    )
    from smtpdoctor.probe.ports import DEFAULT_PORTS, check_ports

    if connect_failed:
        ports = await check_ports(
            address,
            sorted({opts.port, *DEFAULT_PORTS}),
            deadline=deadline,
            connector=connector,
            # Linux resends a SYN after 1 s and 3 s: 3 s survives one lost SYN.
            connect_timeout=min(5.0, max(3.0, deadline.remaining() / 3)),
        )
        found["ports"] = ports
        mail = next((p for p in ports.ports if p.port == opts.port), None)
        port_state = mail.state.value if mail else None
    if opts.path or port_state in ("filtered", "unreachable"):
        if opts.path:
            found["latency"] = await measure_latency(
                address, opts.port, deadline=deadline, connector=connector
            )
        if deadline.remaining() > 2:
            found["trace"] = await tcp_traceroute(
                address, opts.port, deadline=deadline, connector=connector, max_hops=20
            )
    if stalled and deadline.remaining() > 2:
        found["mtu"] = await probe_mtu(
            address,
            opts.port,
            deadline=deadline,
            connector=connector,
            helo=session_opts.helo,
            server_name=session_opts.server_name,
            step_timeout=min(4.0, deadline.remaining() / 3),
            starttls=not session_opts.implicit_tls,
        )
    if opts.send and opts.size:
        rate = transfer_rate(result.steps, opts.size)
        if rate is not None:
            found["transfer"] = assess_transfer(rate, opts.size)
    findings = network_findings(smtp_port=opts.port, **found) if found else []
    return {k: v.to_json() for k, v in found.items()}, findings
