"""Network evidence → findings: ports, latency and loss, the route, the rate, the MTU.

Pure functions, no I/O. They read the network evidence types
(:mod:`smtpdoctor.evidence.network`) that the port and path probes return.

Finding ids (stable):

================================  =================  =========  ==========================
id                                category           stage      when
================================  =================  =========  ==========================
``net.port25.filtered``           firewall_block     connect    SYNs to 25 unanswered while
                                                                another port answers: the
                                                                classic outbound block
``net.port25.rejected``           firewall_block     connect    RST to the SYN on 25
``net.port25.unreachable``        firewall_block     connect    ICMP error for 25
``net.host.silent``               firewall_block     connect    no port answers at all
``net.port25.open``               ok (info)          connect    connect time and banner
``net.path.loss``                 network_timeout    connect    handshakes lost packets
``net.path.latency``              network_timeout    connect    round-trip figures (info
                                                                unless very slow)
``net.path.dies_at_hop``          firewall_block     connect    the TCP traceroute goes
                                                                silent (or ICMP) after a hop
``net.path.route``                ok (info)          connect    the hops to the server
``net.path.slow_for_size``        network_timeout    message    the DATA rate cannot carry
                                                                the message in time
``net.path.transfer_rate``        ok (info)          message    the measured DATA rate
``net.path.mtu_blackhole``        network_timeout    tls_hand-  large segments stall, small
                                                     shake or   ones pass
                                                     message
================================  =================  =========  ==========================

(``25`` in the port ids is the SMTP port probed: ``net.port587.filtered`` when
diagnosing submission.)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from smtpdoctor.diagnosis.findings import finding
from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.network import (
    LatencyResult,
    MtuResult,
    PortResult,
    PortsResult,
    TraceResult,
    TransferAssessment,
)
from smtpdoctor.model import MTA, Category, Finding, Fix, Permanence, Severity, Stage

__all__ = [
    "latency_findings",
    "mtu_findings",
    "network_findings",
    "port_findings",
    "trace_findings",
    "transfer_findings",
]

JSON = dict[str, Any]

# Thresholds. Loss: one lost SYN in ten handshakes is already unusual on a
# healthy path; a fifth of all packets lost makes TCP crawl.
LOSS_WARNING = 0.01
LOSS_CRITICAL = 0.20
# Round trips: SMTP is a dialogue of ~10 round trips before the body; a
# second per round trip is where sessions start to feel the timeouts.
RTT_WARNING_MS = 1000.0


# -- fixes --------------------------------------------------------------------

_RELAY = "smtp.provider.example"


def _fix(mta: MTA, steps: Sequence[str], snippet: str = "", verify: str = "") -> Fix:
    return Fix(mta, tuple(steps), snippet, verify)


def _outbound_block_fixes(port: int) -> tuple[Fix, ...]:
    """Port 25 blocked on the way out: unblock it, or relay through a smart host on 587."""
    return (
        _fix(
            MTA.GENERIC,
            [
                f"Ask the network or hosting provider to unblock outbound TCP port {port} for "
                "this server's address. Clouds block it by default and unblock on request: "
                "AWS ('Request to remove email sending limitations' form), Azure (blocked for "
                "most subscription types: use an authenticated relay), Google Cloud (never "
                "unblocked: use a relay on 587 or 2525); residential and many business ISPs "
                "only unblock on a business line with a static address.",
                "Until then, or instead, send through a smart host (your provider's relay, or "
                "a mail service) on port 587 with authentication and TLS: the recipes below.",
                "If the server's own firewall or a perimeter firewall drops it, allow outbound "
                f"TCP {port} from the mail server there.",
            ],
            f"# the same test from the sending host: filtered on {port}, open on 587\n"
            f"nc -vz -w 10 mx.example.net {port}\n"
            "nc -vz -w 10 mx.example.net 587",
            f"nc -vz -w 10 mx.example.net {port}",
        ),
        _fix(
            MTA.POSTFIX,
            [
                "Relay all outbound mail through the smart host on 587 with SASL and "
                "mandatory TLS.",
                "Put the credentials in /etc/postfix/sasl_passwd, run postmap on it, "
                "chmod 600 both files, then postfix reload.",
            ],
            f"# main.cf\nrelayhost = [{_RELAY}]:587\n"
            "smtp_sasl_auth_enable = yes\n"
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
            "smtp_sasl_security_options = noanonymous\n"
            "smtp_sasl_tls_security_options = noanonymous\n"
            "smtp_tls_security_level = encrypt\n"
            "# /etc/postfix/sasl_passwd (then: postmap /etc/postfix/sasl_passwd)\n"
            f"[{_RELAY}]:587 user@example.com:password",
            "postconf relayhost smtp_sasl_auth_enable smtp_tls_security_level",
        ),
        _fix(
            MTA.EXIM,
            [
                "Debian: run dpkg-reconfigure exim4-config, choose 'mail sent by smarthost', "
                f"smarthost {_RELAY}::587, and put the credentials in "
                "/etc/exim4/passwd.client; or add the router, transport and authenticator "
                "below to exim.conf (router before dnslookup).",
            ],
            "# routers\nsmarthost:\n  driver = manualroute\n  domains = ! +local_domains\n"
            f"  transport = remote_smtp_smarthost\n  route_list = * {_RELAY}::587\n"
            "  no_more\n"
            "# transports\nremote_smtp_smarthost:\n  driver = smtp\n  port = 587\n"
            "  hosts_require_auth = *\n  hosts_require_tls = *\n"
            "# authenticators\nplain_login:\n  driver = plaintext\n  public_name = PLAIN\n"
            "  client_send = ^user@example.com^password\n"
            f"# Debian instead: /etc/exim4/passwd.client\n# {_RELAY}:user@example.com:password",
            "exim -bt user@example.net",
        ),
        _fix(
            MTA.SENDMAIL,
            [
                "Send through the smart host on 587 with AUTH: add these lines to "
                "sendmail.mc, create /etc/mail/authinfo, makemap it, rebuild sendmail.cf "
                "and restart sendmail.",
            ],
            f"define(`SMART_HOST', `[{_RELAY}]')dnl\n"
            "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
            "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl\n"
            "FEATURE(`authinfo', `hash -o /etc/mail/authinfo.db')dnl\n"
            "# /etc/mail/authinfo (then: makemap hash /etc/mail/authinfo < /etc/mail/authinfo)\n"
            f'AuthInfo:{_RELAY} "U:user@example.com" "P:password" "M:PLAIN LOGIN"',
            "grep '^DS' /etc/mail/sendmail.cf",
        ),
        _fix(
            MTA.EXCHANGE,
            [
                "Route the Internet send connector through the smart host on 587 with basic "
                "authentication over TLS (Exchange Management Shell).",
                "Check that the Windows firewall and any anti-virus 'mass mailing' rule do "
                "not block outbound 25 if you keep direct delivery.",
            ],
            f'New-SendConnector -Name "Smart host {_RELAY}" -Usage Custom '
            f"-AddressSpaces '*' -DNSRoutingEnabled $false -SmartHosts {_RELAY} -Port 587 "
            "-SmartHostAuthMechanism BasicAuthRequireTLS -RequireTLS $true "
            "-AuthenticationCredential (Get-Credential)",
            "Get-SendConnector | Format-List Name,SmartHosts,Port,SmartHostAuthMechanism",
        ),
    )


def _rejected_fixes(port: int) -> tuple[Fix, ...]:
    return (
        _fix(
            MTA.GENERIC,
            [
                f"On the receiving server, check that something listens on port {port} on "
                "the public address, not only on 127.0.0.1.",
                "Look for a REJECT rule on the way (the server's own firewall, a perimeter "
                "firewall, a cloud security group or network ACL).",
                "If the RST comes from your own network's egress filter, the provider-unblock "
                "and smart-host fixes for a filtered port apply.",
            ],
            f"ss -ltnp 'sport = :{port}'\n"
            f"iptables -S | grep -E -- '--dport {port}\\b|REJECT'\n"
            f"nft list ruleset | grep -n {port}",
            f"nc -vz -w 10 mx.example.net {port}",
        ),
        _fix(
            MTA.POSTFIX,
            [
                "Make smtpd listen on every interface and check the smtp line in master.cf "
                "is not commented out; then postfix reload.",
            ],
            "# main.cf\ninet_interfaces = all\n# master.cf\n"
            "smtp      inet  n       -       y       -       -       smtpd",
            "postconf inet_interfaces; ss -ltnp 'sport = :25'",
        ),
        _fix(
            MTA.EXIM,
            ["Listen on the SMTP ports on every interface."],
            "daemon_smtp_ports = 25 : 465 : 587\nlocal_interfaces = <; 0.0.0.0 ; ::",
            "exim -bP daemon_smtp_ports local_interfaces",
        ),
        _fix(
            MTA.SENDMAIL,
            ["Sendmail listens on 127.0.0.1 only by default on many distributions."],
            "dnl DAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA')dnl\n"
            "DAEMON_OPTIONS(`Port=smtp, Name=MTA')dnl",
            "grep '^O DaemonPortOptions' /etc/mail/sendmail.cf",
        ),
        _fix(
            MTA.EXCHANGE,
            [
                "Check the frontend receive connector binds 0.0.0.0:25 and that the Windows "
                "firewall allows inbound 25.",
            ],
            "Get-ReceiveConnector | Format-List Name,Bindings,RemoteIPRanges\n"
            'Get-NetFirewallRule -DisplayName "*SMTP*" | Format-Table DisplayName,Enabled,Action',
            "Test-NetConnection mail.contoso.com -Port 25",
        ),
    )


def _slow_path_fixes() -> tuple[Fix, ...]:
    return (
        _fix(
            MTA.GENERIC,
            [
                "Find the loss or the bottleneck: mtr over TCP to the mail port shows at which "
                "hop loss starts; check the sender's uplink (shaping, duplex mismatch, a "
                "saturated link or VPN).",
                "Fewer parallel connections to the same destination help a thin or lossy "
                "link; so does sending large messages off-peak.",
            ],
            "mtr -T -P 25 -c 100 --report mx.example.net",
            "mtr -T -P 25 -c 100 --report mx.example.net",
        ),
        _fix(
            MTA.POSTFIX,
            [
                "Give slow paths more time and fewer parallel sessions (main.cf), then "
                "postfix reload. smtp_data_xfer_timeout is per write: raise it when the body "
                "stalls on a slow link.",
            ],
            "smtp_connect_timeout = 60s\n"
            "smtp_data_xfer_timeout = 600s\n"
            "smtp_data_done_timeout = 1200s\n"
            "smtp_destination_concurrency_limit = 2\n"
            "smtp_mx_session_limit = 2",
            "postconf smtp_connect_timeout smtp_data_xfer_timeout smtp_data_done_timeout",
        ),
        _fix(
            MTA.EXIM,
            ["Raise the remote_smtp transport's timeouts; on a receiver, smtp_receive_timeout."],
            "# transports: remote_smtp\n  connect_timeout = 2m\n  data_timeout = 10m\n"
            "  final_timeout = 20m\n# main section of a receiving Exim\n"
            "smtp_receive_timeout = 10m",
            "exim -bP transport remote_smtp",
        ),
        _fix(
            MTA.SENDMAIL,
            ["Raise the data timeouts in sendmail.mc and rebuild sendmail.cf."],
            "define(`confTO_CONNECT', `2m')dnl\n"
            "define(`confTO_DATABLOCK', `1h')dnl\n"
            "define(`confTO_DATAFINAL', `1h')dnl",
            "grep -E '^O Timeout\\.(connect|datablock|datafinal)' /etc/mail/sendmail.cf",
        ),
        _fix(
            MTA.EXCHANGE,
            [
                "Give slow sessions more time on the send connector and, on a receiving "
                "Exchange, on the receive connector.",
            ],
            'Set-SendConnector "Internet" -ConnectionInactivityTimeOut 00:20:00\n'
            'Set-ReceiveConnector "Default Frontend EX01" -ConnectionTimeout 00:30:00 '
            "-ConnectionInactivityTimeout 00:10:00",
            "Get-SendConnector | Format-List Name,ConnectionInactivityTimeOut",
        ),
    )


def _mtu_fixes(mss: int) -> tuple[Fix, ...]:
    mtu = mss + 40
    return (
        _fix(
            MTA.GENERIC,
            [
                "Let ICMP 'fragmentation needed' (type 3 code 4; ICMPv6 type 2 'packet too "
                "big') through every firewall on the path: it is how TCP learns the path MTU "
                "(RFC 1191, RFC 8201). Dropping it is what makes the black hole.",
                "On the router with the small link (tunnel, PPPoE, VPN), clamp the TCP MSS "
                "of forwarded connections to the path MTU.",
                f"Or lower the MTU of the mail server's interface (here {mtu} passed), or "
                "turn on packet-layer path MTU discovery (RFC 4821) on the sending host.",
            ],
            "iptables -A INPUT -p icmp --icmp-type fragmentation-needed -j ACCEPT\n"
            "iptables -A FORWARD -p icmp --icmp-type fragmentation-needed -j ACCEPT\n"
            "ip6tables -A FORWARD -p icmpv6 --icmpv6-type packet-too-big -j ACCEPT\n"
            "iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN "
            "-j TCPMSS --clamp-mss-to-pmtu\n"
            f"ip link set dev eth0 mtu {mtu}\n"
            "sysctl -w net.ipv4.tcp_mtu_probing=1",
            "ping -M do -s 1472 -c 3 mx.example.net   # 1500-byte packets, do not fragment",
        ),
        _fix(
            MTA.POSTFIX,
            [
                "Postfix has no MTU setting: fix the path (see the generic steps) or the "
                "host's interface MTU; tcp_mtu_probing lets the Linux host recover by itself.",
            ],
            f"ip link set dev eth0 mtu {mtu}\nsysctl -w net.ipv4.tcp_mtu_probing=1",
            "ip link show dev eth0 | grep -o 'mtu [0-9]*'",
        ),
        _fix(
            MTA.EXCHANGE,
            [
                "On the Windows server: lower the interface MTU and make sure black-hole "
                "detection is on (EnablePMTUBHDetect), then restart the transport service.",
            ],
            f'netsh interface ipv4 set subinterface "Ethernet" mtu={mtu} store=persistent\n'
            "Set-ItemProperty -Path "
            "'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters' "
            "-Name EnablePMTUBHDetect -Value 1 -Type DWord",
            "netsh interface ipv4 show subinterfaces",
        ),
    )


# Network findings carry their own recipes (or none, for facts).
_finding = partial(finding, fixes=())


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


# -- ports ----------------------------------------------------------------------


def _describe(p: PortResult) -> str:
    return f"{p.port} ({p.state})"


def _ports_phrase(ports: Sequence[PortResult]) -> str:
    """ "port 587 (open)" or "ports 587 (open) and 443 (refused)"."""
    parts = [_describe(p) for p in ports]
    if len(parts) == 1:
        return f"port {parts[0]}"
    return f"ports {', '.join(parts[:-1])} and {parts[-1]}"


def port_findings(ports: PortsResult, smtp_port: int = 25) -> list[Finding]:
    """What the port states say: the outbound block, a REJECT, an ICMP error, silence."""
    mail = next((p for p in ports.ports if p.port == smtp_port), None)
    if mail is None:
        return []
    others = [p for p in ports.ports if p.port != smtp_port]
    answering = [p for p in others if p.state in ("open", "refused")]
    evidence: JSON = {
        "address": ports.address,
        "port": smtp_port,
        "ports": {str(p.port): p.state for p in ports.ports},
        "timeout_s": ports.timeout_s,
    }
    where = f"Port {smtp_port} on {ports.address}"
    if mail.state == "filtered":
        if not answering:
            return [
                _finding(
                    "net.host.silent",
                    Severity.CRITICAL,
                    Category.FIREWALL_BLOCK,
                    Stage.CONNECT,
                    f"Nothing on {ports.address} answers: ports "
                    f"{', '.join(str(p.port) for p in ports.ports)} all stayed silent for "
                    f"{ports.timeout_s:.0f} s. The host is down, the address is wrong, or a "
                    "firewall drops everything to it (or everything leaving this network).",
                    fixes=_outbound_block_fixes(smtp_port),
                    retry_helps=None,
                    **evidence,
                )
            ]
        return [
            _finding(
                f"net.port{smtp_port}.filtered",
                Severity.CRITICAL,
                Category.FIREWALL_BLOCK,
                Stage.CONNECT,
                f"{where} is filtered: the connection attempts went unanswered for "
                f"{ports.timeout_s:.0f} s while {_ports_phrase(answering)} answered. Port "
                f"{smtp_port} alone being silent is the classic outbound block by an ISP or "
                "cloud provider (or a firewall in front of the server that drops it): ask "
                f"the provider to unblock outbound port {smtp_port}, or send through a smart "
                "host on port 587 with authentication.",
                fixes=_outbound_block_fixes(smtp_port),
                retry_helps=False,
                answering=[p.to_json() for p in answering],
                **evidence,
            )
        ]
    if mail.state == "refused":
        context = (
            f" while {_ports_phrase([p for p in answering if p.state == 'open'])} "
            "answered, so the host is up"
            if any(p.state == "open" for p in answering)
            else ""
        )
        return [
            _finding(
                f"net.port{smtp_port}.rejected",
                Severity.CRITICAL,
                Category.FIREWALL_BLOCK,
                Stage.CONNECT,
                f"{where} actively refused the connection with a TCP reset after "
                f"{_ms(mail.connect_ms)}{context}: no SMTP service listens there, or a "
                "firewall rejects the port (REJECT --reject-with tcp-reset).",
                fixes=_rejected_fixes(smtp_port) + _outbound_block_fixes(smtp_port)[1:],
                retry_helps=False,
                connect_ms=mail.connect_ms,
                **evidence,
            )
        ]
    if mail.state == "unreachable":
        icmp = mail.icmp
        if icmp is None:
            why = (
                "this host refused to send the SYN or has no route: a local firewall "
                "(OUTPUT chain) or routing problem"
            )
        else:
            sender = icmp.offender or "an unknown sender"
            by = (
                f"from {sender}, a router on the way, answering for the server"
                if icmp.offender and icmp.offender != ports.address
                else f"from {sender}"
            )
            if icmp.port_unreachable:
                kind = (
                    "a firewall REJECT rule (a TCP stack answers a closed port with a reset, "
                    "never with ICMP)"
                )
            elif icmp.admin_prohibited:
                kind = "a firewall or ACL that explicitly forbids it"
            else:
                kind = "a firewall REJECT rule or a missing route"
            why = f"ICMP {icmp.name} {by}: {kind}"
        return [
            _finding(
                f"net.port{smtp_port}.unreachable",
                Severity.CRITICAL,
                Category.FIREWALL_BLOCK,
                Stage.CONNECT,
                f"{where} is unreachable: {why}.",
                fixes=_rejected_fixes(smtp_port)[:1] + _outbound_block_fixes(smtp_port),
                retry_helps=False,
                icmp=icmp.to_json() if icmp else None,
                **evidence,
            )
        ]
    if mail.state == "open":
        banner = f", greeting {mail.banner!r}" if mail.banner else ""
        return [
            _finding(
                f"net.port{smtp_port}.open",
                Severity.INFO,
                Category.OK,
                Stage.CONNECT,
                f"{where} is open (TCP handshake in {_ms(mail.connect_ms)}{banner}).",
                permanence=Permanence.NONE,
                connect_ms=mail.connect_ms,
                banner=mail.banner,
                **evidence,
            )
        ]
    return []


# -- latency and loss -------------------------------------------------------------


def latency_findings(lat: LatencyResult) -> list[Finding]:
    """Loss and round-trip figures from repeated connects."""
    if lat.answered == 0:
        return []  # nothing answered: the port findings say why
    evidence: JSON = {
        "address": lat.address,
        "port": lat.port,
        "sent": lat.sent,
        "answered": lat.answered,
        "unanswered": lat.unanswered,
        "retransmitted": lat.retransmitted,
        "handshake_loss": round(lat.handshake_loss, 4),
        "packet_loss": round(lat.packet_loss, 4),
        "min_ms": _round(lat.min_ms),
        "avg_ms": _round(lat.avg_ms),
        "max_ms": _round(lat.max_ms),
        "jitter_ms": _round(lat.jitter_ms),
    }
    figures = (
        f"round trip min/avg/max {_ms(lat.min_ms)}/{_ms(lat.avg_ms)}/{_ms(lat.max_ms)}, "
        f"jitter {_ms(lat.jitter_ms)}"
    )
    out: list[Finding] = []
    lost = lat.retransmitted + lat.unanswered
    if lost and lat.packet_loss >= LOSS_WARNING:
        severe = lat.packet_loss >= LOSS_CRITICAL
        out.append(
            _finding(
                "net.path.loss",
                Severity.CRITICAL if severe else Severity.WARNING,
                Category.NETWORK_TIMEOUT,
                Stage.CONNECT,
                f"The path to {lat.address} loses packets: {lost} of {lat.sent} TCP handshakes "
                f"to port {lat.port} lost their SYN or SYN-ACK ({lat.unanswered} never "
                f"answered), about {lat.packet_loss:.0%} packet loss; {figures}. Each loss "
                "costs a retransmission timeout and halves TCP's rate, so large messages "
                "crawl and sessions can hit the sender's timeouts.",
                fixes=_slow_path_fixes(),
                retry_helps=True,
                **evidence,
            )
        )
    slow = lat.avg_ms is not None and lat.avg_ms >= RTT_WARNING_MS
    out.append(
        _finding(
            "net.path.latency",
            Severity.WARNING if slow else Severity.INFO,
            Category.NETWORK_TIMEOUT if slow else Category.OK,
            Stage.CONNECT,
            f"Path to {lat.address}:{lat.port}: {figures} over {lat.answered} handshakes"
            + (
                "; over a second per round trip, every SMTP command waits that long and "
                "slow peers run into their timeouts."
                if slow
                else "."
            ),
            fixes=_slow_path_fixes() if slow else (),
            permanence=Permanence.TEMPORARY if slow else Permanence.NONE,
            **evidence,
        )
    )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# -- the route --------------------------------------------------------------------


def trace_findings(trace: TraceResult, port_filtered: bool | None = None) -> list[Finding]:
    """Where the TCP traceroute died, or the route it took.

    ``port_filtered`` (from the port check) makes a dead path the explanation
    of a filtered port rather than a curiosity.
    """
    hops = [h.to_json() for h in trace.hops]
    last = trace.last_responding
    if trace.status in ("died", "unreachable"):
        if trace.status == "unreachable" and last is not None and last.icmp is not None:
            how = (
                f"ends at hop {last.ttl} ({last.address}) with ICMP {last.icmp.name}: that "
                "router refuses to forward it (a REJECT rule or a missing route)"
            )
        elif last is None:
            how = (
                "gets no answer from any hop, not even the first router: this host's own "
                "firewall or its first router drops them"
            )
        else:
            how = (
                f"gets as far as hop {last.ttl} ({last.address}) and no further: the filter "
                f"sits at or right after that hop"
            )
        severe = port_filtered is not False
        return [
            _finding(
                "net.path.dies_at_hop",
                Severity.CRITICAL if severe else Severity.WARNING,
                Category.FIREWALL_BLOCK,
                Stage.CONNECT,
                f"A TCP traceroute to {trace.address}:{trace.port} {how}.",
                fixes=_outbound_block_fixes(trace.port),
                retry_helps=False,
                address=trace.address,
                port=trace.port,
                last_hop=last.to_json() if last else None,
                hops=hops,
            )
        ]
    if trace.status == "reached":
        route = " → ".join(h.address or "*" for h in trace.hops)
        return [
            _finding(
                "net.path.route",
                Severity.INFO,
                Category.OK,
                Stage.CONNECT,
                f"Route to {trace.address}:{trace.port} in {len(trace.hops)} hops: {route}.",
                permanence=Permanence.NONE,
                hops=hops,
            )
        ]
    if trace.note:
        return [
            _finding(
                "net.path.route",
                Severity.INFO,
                Category.OK,
                Stage.CONNECT,
                f"TCP traceroute to {trace.address}:{trace.port} {trace.status}: {trace.note}.",
                permanence=Permanence.NONE,
                hops=hops,
            )
        ]
    return []


# -- the transfer rate ------------------------------------------------------------


def _size(n: float) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def transfer_findings(assessment: TransferAssessment) -> list[Finding]:
    """Whether the message size fits the path's DATA rate within the RFC 5321 limits."""
    a = assessment
    rate = f"{_size(a.bytes_per_s)}/s"
    t = a.timeouts
    evidence = a.to_json()
    if a.verdict == "too_slow":
        if not a.rate.completed:
            msg = (
                f"The message transfer stalled: {_size(a.rate.bytes)} did not get through in "
                f"{a.rate.elapsed_ms / 1000:.1f} s (at most {rate}). At that rate a message "
                f"of {_size(a.size)} cannot be carried within the RFC 5321 §4.5.3.2 limits "
                f"({t.data_block_s:.0f} s per data block, {t.data_termination_s:.0f} s for "
                "the end of data)."
            )
        elif a.chunk_s > t.data_block_s:
            msg = (
                f"The path carries the message body at only {rate}: even one "
                f"{_size(t.chunk_bytes)} write takes {a.chunk_s:.0f} s, over the "
                f"{t.data_block_s:.0f} s RFC 5321 §4.5.3.2.5 allows per data block."
            )
        else:
            msg = (
                f"The path carries the message body at {rate}: a message of "
                f"{_size(a.size)} needs {a.expected_s:.0f} s, over the "
                f"{t.data_termination_s:.0f} s budget (RFC 5321 §4.5.3.2.6, and the session "
                f"limits receivers enforce). The largest message that fits is about "
                f"{_size(a.max_size)}."
            )
        return [
            _finding(
                "net.path.slow_for_size",
                Severity.CRITICAL,
                Category.NETWORK_TIMEOUT,
                Stage.MESSAGE,
                msg,
                fixes=_slow_path_fixes(),
                retry_helps=False,
                **evidence,
            )
        ]
    if a.verdict == "marginal":
        return [
            _finding(
                "net.path.slow_for_size",
                Severity.WARNING,
                Category.NETWORK_TIMEOUT,
                Stage.MESSAGE,
                f"The path carries the message body at {rate}: a message of {_size(a.size)} "
                f"needs {a.expected_s:.0f} s, over half of the {t.data_termination_s:.0f} s "
                "budget (RFC 5321 §4.5.3.2): a slower day will time out.",
                fixes=_slow_path_fixes(),
                retry_helps=True,
                **evidence,
            )
        ]
    if a.verdict == "unknown" and not a.rate.completed:
        note = (
            " at most, before the session ended mid-transfer (the session findings say how); "
            "no judgement on the message size"
        )
    elif a.verdict == "unknown":
        note = " (the test message was too small for a reliable figure: use --size 100000 or more)"
    else:
        note = f"; a message of {_size(a.size)} takes about {a.expected_s:.1f} s"
    return [
        _finding(
            "net.path.transfer_rate",
            Severity.INFO,
            Category.OK,
            Stage.MESSAGE,
            f"Message body transfer rate: {rate}{note}.",
            permanence=Permanence.NONE,
            **evidence,
        )
    ]


# -- the MTU ------------------------------------------------------------------------


def mtu_findings(mtu: MtuResult) -> list[Finding]:
    """A path MTU black hole, if the probe found one."""
    if mtu.status != "blackhole":
        return []
    big = mtu.normal.snd_mss or 1460
    small = (mtu.clamped.snd_mss if mtu.clamped else None) or mtu.clamp_mss
    which = {
        "from_server": "from the server (its TLS certificate flight)",
        "to_server": "toward the server (a long command line, as a message body would)",
    }
    dirs = " and ".join(which[d] for d in mtu.directions if d in which) or "on the path"
    return [
        _finding(
            "net.path.mtu_blackhole",
            Severity.CRITICAL,
            Category.NETWORK_TIMEOUT,
            mtu.stage,
            f"Path MTU black hole between here and {mtu.address}: full-size TCP segments "
            f"({big} bytes) {dirs} never arrive, while {small}-byte segments pass. A link on "
            "the path has a smaller MTU and the ICMP 'fragmentation needed' messages that "
            "should report it are dropped, so TCP never shrinks its segments: the session "
            "hangs at the first large packet (the TLS handshake, or the message body) while "
            "the small SMTP commands before it work.",
            fixes=_mtu_fixes(small),
            retry_helps=False,
            **mtu.to_json(),
        )
    ]


# -- all together ---------------------------------------------------------------------


def network_findings(
    *,
    ports: PortsResult | None = None,
    latency: LatencyResult | None = None,
    trace: TraceResult | None = None,
    transfer: TransferAssessment | None = None,
    mtu: MtuResult | None = None,
    smtp_port: int = 25,
) -> list[Finding]:
    """Every network finding the evidence supports, most severe first."""
    findings: list[Finding] = []
    port_filtered: bool | None = None
    if ports is not None:
        findings += port_findings(ports, smtp_port)
        mail = next((p for p in ports.ports if p.port == smtp_port), None)
        port_filtered = None if mail is None else mail.state == "filtered"
    if latency is not None:
        findings += latency_findings(latency)
    if trace is not None:
        findings += trace_findings(trace, port_filtered)
    if transfer is not None:
        findings += transfer_findings(transfer)
    if mtu is not None:
        findings += mtu_findings(mtu)
    return sort_findings(findings)
