"""The network path: ports, loss and latency, the route, the rate, the MTU.

Findings of :mod:`smtpdoctor.diagnosis.network_rules`, with their own recipes:
unblocking port 25 or relaying through a smart host on 587, a REJECT on the
way, a slow or lossy path, a path MTU black hole. ``{port}`` in the port ids
is the SMTP port probed: ``net.port587.filtered`` when diagnosing submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["SPECS"]

_C, _S = Category, Severity
_NONE = Permanence.NONE
# The walk's bare "connect timed out/refused/unreachable" says less than the
# port probe that follows it.
_CONNECT_IDS = ("connect.timeout", "connect.refused", "connect.unreachable")

# -- fixes --------------------------------------------------------------------

_RELAY = "smtp.provider.example"


def _fix(mta: MTA, steps: Sequence[str], snippet: str = "", verify: str = "") -> Fix:
    return Fix(mta, tuple(steps), snippet, verify)


def outbound_block_fixes(port: int) -> tuple[Fix, ...]:
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


def _port_fixes(params: Params) -> tuple[Fix, ...]:
    return outbound_block_fixes(params["port"])


def _rejected_port_fixes(params: Params) -> tuple[Fix, ...]:
    port = params["port"]
    return _rejected_fixes(port) + outbound_block_fixes(port)[1:]


def _unreachable_port_fixes(params: Params) -> tuple[Fix, ...]:
    port = params["port"]
    return _rejected_fixes(port)[:1] + outbound_block_fixes(port)


def _latency_fixes(params: Params) -> tuple[Fix, ...]:
    return _slow_path_fixes() if params["variant"] == "slow" else ()


def _blackhole_fixes(params: Params) -> tuple[Fix, ...]:
    return _mtu_fixes(params["small"])


# -- specs --------------------------------------------------------------------

_PORTS_EXAMPLE = {
    "address": "192.0.2.25",
    "port": 25,
    "ports": {"25": "filtered", "80": "open", "443": "open", "465": "filtered", "587": "open"},
    "timeout_s": 5.0,
}
_LATENCY_EXAMPLE = {
    "address": "192.0.2.25",
    "port": 25,
    "sent": 10,
    "answered": 10,
    "unanswered": 0,
    "retransmitted": 3,
    "handshake_loss": 0.3,
    "packet_loss": 0.15,
    "figures": "round trip min/avg/max 80 ms/120 ms/400 ms, jitter 60 ms",
    "lost": 3,
}


def _ports() -> list[FindingSpec]:
    block: dict[str, Any] = {"category": _C.FIREWALL_BLOCK, "stage": Stage.CONNECT}
    return [
        FindingSpec(
            "net.host.silent",
            _S.CRITICAL,
            title="No port of the host answers at all (SMTP, submission, web).",
            message="Nothing on {address} answers: ports {port_list} all stayed silent for "
            "{timeout_s:.0f} s. The host is down, the address is wrong, or a firewall drops "
            "everything to it (or everything leaving this network).",
            fixes=_port_fixes,
            example={**_PORTS_EXAMPLE, "port_list": "25, 80, 443, 465, 587"},
            **block,
        ),
        FindingSpec(
            "net.port{port}.filtered",
            _S.CRITICAL,
            title="SYNs to the SMTP port go unanswered while another port answers: the "
            "classic outbound block.",
            message="Port {port} on {address} is filtered: the connection attempts went "
            "unanswered for {timeout_s:.0f} s while {answering_phrase} answered. Port {port} "
            "alone being silent is the classic outbound block by an ISP or cloud provider (or "
            "a firewall in front of the server that drops it): ask the provider to unblock "
            "outbound port {port}, or send through a smart host on port 587 with "
            "authentication.",
            retry_helps=False,
            fixes=_port_fixes,
            supersedes=_CONNECT_IDS,
            example={
                "answering": [{"port": 587, "state": "open"}],
                **_PORTS_EXAMPLE,
                "answering_phrase": "ports 80 (open), 443 (open) and 587 (open)",
            },
            **block,
        ),
        FindingSpec(
            "net.port{port}.rejected",
            _S.CRITICAL,
            title="The SYN to the SMTP port is answered with a TCP reset.",
            message="Port {port} on {address} actively refused the connection with a TCP reset "
            "after {connect_time}{context}: no SMTP service listens there, or a firewall "
            "rejects the port (REJECT --reject-with tcp-reset).",
            retry_helps=False,
            fixes=_rejected_port_fixes,
            supersedes=_CONNECT_IDS,
            example={
                "connect_ms": 0.4,
                **_PORTS_EXAMPLE,
                "connect_time": "0.4 ms",
                "context": " while port 443 (open) answered, so the host is up",
            },
            **block,
        ),
        FindingSpec(
            "net.port{port}.unreachable",
            _S.CRITICAL,
            title="An ICMP error answers the SYN to the SMTP port.",
            message="Port {port} on {address} is unreachable: {why}.",
            retry_helps=False,
            fixes=_unreachable_port_fixes,
            supersedes=_CONNECT_IDS,
            example={
                "icmp": {"name": "admin-prohibited"},
                **_PORTS_EXAMPLE,
                "why": "ICMP admin-prohibited from 192.0.2.25: a firewall or ACL that "
                "explicitly forbids it",
            },
            **block,
        ),
        FindingSpec(
            "net.port{port}.open",
            _S.INFO,
            _C.OK,
            Stage.CONNECT,
            title="The SMTP port is open: the connect time and the greeting.",
            message="Port {port} on {address} is open (TCP handshake in "
            "{connect_time}{banner_text}).",
            permanence=_NONE,
            fixes=(),
            supersedes=_CONNECT_IDS,
            example={
                "connect_ms": 21.0,
                "banner": "220 mx.example.com ESMTP",
                **_PORTS_EXAMPLE,
                "connect_time": "21 ms",
                "banner_text": ", greeting '220 mx.example.com ESMTP'",
            },
        ),
    ]


def _path() -> list[FindingSpec]:
    return [
        FindingSpec(
            "net.path.loss",
            None,
            _C.NETWORK_TIMEOUT,
            Stage.CONNECT,
            title="Repeated TCP handshakes to the server lose packets.",
            message="The path to {address} loses packets: {lost} of {sent} TCP handshakes to "
            "port {port} lost their SYN or SYN-ACK ({unanswered} never answered), about "
            "{packet_loss:.0%} packet loss; {figures}. Each loss costs a retransmission "
            "timeout and halves TCP's rate, so large messages crawl and sessions can hit the "
            "sender's timeouts.",
            retry_helps=True,
            fixes=_slow_path_fixes(),
            example=_LATENCY_EXAMPLE,
        ),
        FindingSpec(
            "net.path.latency",
            None,
            None,
            Stage.CONNECT,
            title="Round-trip figures from repeated connects (a warning over a second).",
            message={
                "fast": "Path to {address}:{port}: {figures} over {answered} handshakes.",
                "slow": "Path to {address}:{port}: {figures} over {answered} handshakes; over "
                "a second per round trip, every SMTP command waits that long and slow peers run "
                "into their timeouts.",
            },
            permanence=None,
            fixes=_latency_fixes,
            example={**_LATENCY_EXAMPLE, "variant": "slow"},
        ),
        FindingSpec(
            "net.path.dies_at_hop",
            None,
            _C.FIREWALL_BLOCK,
            Stage.CONNECT,
            title="A TCP traceroute to the SMTP port goes silent (or gets ICMP) after a hop.",
            message="A TCP traceroute to {address}:{port} {how}.",
            retry_helps=False,
            fixes=_port_fixes,
            example={
                "address": "192.0.2.25",
                "port": 25,
                "last_hop": {"ttl": 3, "address": "198.51.100.1"},
                "hops": [],
                "how": "gets as far as hop 3 (198.51.100.1) and no further: the filter sits at "
                "or right after that hop",
            },
        ),
        FindingSpec(
            "net.path.route",
            _S.INFO,
            _C.OK,
            Stage.CONNECT,
            title="The hops to the server (TCP traceroute to the SMTP port).",
            message={
                "reached": "Route to {address}:{port} in {hops_text}: {route}.",
                "other": "TCP traceroute to {address}:{port} {status}: {note}.",
            },
            permanence=_NONE,
            fixes=(),
            example={
                "hops": [],
                "address": "192.0.2.25",
                "port": 25,
                "count": 3,
                "hops_text": "3 hops",
                "route": "192.168.1.1 → 198.51.100.1 → 192.0.2.25",
                "status": "skipped",
                "note": "raw sockets need root",
            },
        ),
    ]


_RATE_EXAMPLE = {
    "size": 20000000,
    "bytes_per_s": 12000.0,
    "rate": "12.0 kB/s",
    "size_text": "20.0 MB",
    "sent": "1.2 MB",
    "elapsed_s": "100.0",
    "chunk": "65.5 kB",
    "chunk_s": 6.0,
    "expected_s": 1667.0,
    "block_s": 180.0,
    "termination_s": 600.0,
    "max_size_text": "7.2 MB",
}


def _rate() -> list[FindingSpec]:
    limits = "RFC 5321 §4.5.3.2"
    return [
        FindingSpec(
            "net.path.slow_for_size",
            None,
            _C.NETWORK_TIMEOUT,
            Stage.MESSAGE,
            title="The path's DATA rate cannot carry the message within RFC 5321's timeouts.",
            message={
                "stalled": "The message transfer stalled: {sent} did not get through in "
                "{elapsed_s} s (at most {rate}). At that rate a message of {size_text} cannot "
                f"be carried within the {limits} limits ({{block_s:.0f}} s per data block, "
                "{termination_s:.0f} s for the end of data).",
                "block": "The path carries the message body at only {rate}: even one {chunk} "
                "write takes {chunk_s:.0f} s, over the {block_s:.0f} s RFC 5321 §4.5.3.2.5 "
                "allows per data block.",
                "too_slow": "The path carries the message body at {rate}: a message of "
                "{size_text} needs {expected_s:.0f} s, over the {termination_s:.0f} s budget "
                "(RFC 5321 §4.5.3.2.6, and the session limits receivers enforce). The largest "
                "message that fits is about {max_size_text}.",
                "marginal": "The path carries the message body at {rate}: a message of "
                "{size_text} needs {expected_s:.0f} s, over half of the {termination_s:.0f} s "
                f"budget ({limits}): a slower day will time out.",
            },
            retry_open=True,
            fixes=_slow_path_fixes(),
            source=limits,
            example={**_RATE_EXAMPLE, "variant": "too_slow"},
        ),
        FindingSpec(
            "net.path.transfer_rate",
            _S.INFO,
            _C.OK,
            Stage.MESSAGE,
            title="The measured DATA rate (with --send --size).",
            message={
                "measured": "Message body transfer rate: {rate}; a message of {size_text} takes "
                "about {expected_s:.1f} s.",
                "cut_short": "Message body transfer rate: {rate} at most, before the session "
                "ended mid-transfer (the session findings say how); no judgement on the message "
                "size.",
                "too_small": "Message body transfer rate: {rate} (the test message was too small "
                "for a reliable figure: use --size 100000 or more).",
            },
            permanence=_NONE,
            fixes=(),
            example={**_RATE_EXAMPLE, "variant": "measured", "expected_s": 2.5},
        ),
        FindingSpec(
            "net.path.mtu_blackhole",
            _S.CRITICAL,
            _C.NETWORK_TIMEOUT,
            None,
            title="Full-size TCP segments never arrive while small ones pass (a path MTU black "
            "hole); at the TLS handshake or the message body.",
            message="Path MTU black hole between here and {address}: full-size TCP segments "
            "({big} bytes) {directions_text} never arrive, while {small}-byte segments pass. A "
            "link on the path has a smaller MTU and the ICMP 'fragmentation needed' messages "
            "that should report it are dropped, so TCP never shrinks its segments: the session "
            "hangs at the first large packet (the TLS handshake, or the message body) while the "
            "small SMTP commands before it work.",
            retry_helps=False,
            fixes=_blackhole_fixes,
            supersedes=("tls.handshake.timeout", "message.timeout"),
            source="RFC 1191, RFC 8201, RFC 4821",
            example={
                "address": "192.0.2.25",
                "port": 25,
                "big": 1460,
                "small": 1200,
                "directions_text": "from the server (its TLS certificate flight)",
            },
        ),
    ]


SPECS: tuple[FindingSpec, ...] = (*_ports(), *_path(), *_rate())
