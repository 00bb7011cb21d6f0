"""Fix recipes for DNS and the network: PTR/EHLO names, resolution, blocked
ports, timeouts and dropped connections.

Part of :mod:`smtpdoctor.knowledge.fixes` (which assembles every category's
recipes, in order, and says how they are written).
"""

from __future__ import annotations

from smtpdoctor.knowledge.fixes_tls import RECIPE_MTAS, SCHANNEL_TLS12, recipe
from smtpdoctor.model import Category, Fix

__all__ = ["NETWORK"]

_C = Category
_P, _X, _S, _E, _M, _G = RECIPE_MTAS

_f = recipe

NETWORK: dict[Category, tuple[Fix, ...]] = {
    _C.DNS_PTR_MISMATCH: (
        _f(
            _P,
            [
                "Ask whoever owns the sending IP (hosting provider, ISP) to set its PTR to "
                "your mail host name, and publish an A record for that name pointing back.",
                "Send that same name in EHLO and send from that IP.",
            ],
            "smtp_helo_name = mail.example.com\n"
            "# only on multi-address hosts:\n"
            "smtp_bind_address = 192.0.2.10",
            "dig -x 192.0.2.10 +short",
        ),
        _f(
            _X,
            [
                "Set the EHLO name and source address on the remote_smtp transport to match "
                "the PTR of the sending IP.",
            ],
            "# remote_smtp transport\nhelo_data = mail.example.com\ninterface = 192.0.2.10",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Make sendmail announce the PTR name and bind to the IP that carries it.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confDOMAIN_NAME', `mail.example.com')dnl\n"
            "CLIENT_OPTIONS(`Family=inet, Addr=192.0.2.10')dnl",
            "dig -x 192.0.2.10 +short",
        ),
        _f(
            _E,
            [
                "Set the send connector's FQDN to the name the sending IP's PTR returns.",
                "Have the PTR set by the owner of the public IP Exchange sends from (often "
                "the firewall's NAT address).",
            ],
            'Set-SendConnector -Identity "Internet" -Fqdn mail.contoso.com',
            "Get-SendConnector | Format-List Identity,Fqdn",
        ),
        _f(
            _M,
            [
                "Microsoft 365's own outbound IPs have correct PTRs; if mail is relayed "
                "through your own server or an appliance, fix the PTR of that server's IP.",
            ],
            "",
            "Resolve-DnsName -Type PTR 192.0.2.10",
        ),
        _f(
            _G,
            [
                "Publish forward-confirmed reverse DNS: PTR(IP) = name, A(name) = IP, and "
                "use that name in EHLO.",
            ],
            "dig -x 192.0.2.10 +short\ndig +short A mail.example.com",
            "dig -x 192.0.2.10 +short",
        ),
    ),
    _C.DNS_RESOLUTION: (
        _f(
            _P,
            [
                "Check the domain's MX and A/AAAA records, and that Postfix's resolver works "
                "(inside the chroot it reads /var/spool/postfix/etc/resolv.conf).",
                "If AAAA lookups or IPv6 routes fail, limit Postfix to IPv4.",
            ],
            "inet_protocols = ipv4\nsmtp_host_lookup = dns",
            "dig +short MX example.com",
        ),
        _f(
            _X,
            [
                "Test how Exim routes the address; fix the MX/A records or the resolver.",
            ],
            "exim -bt user@example.com",
            "exim -bt user@example.com",
        ),
        _f(
            _S,
            [
                "Check the MX, and SMART_HOST/MAIL_HUB names in sendmail.mc.",
                "Work around resolvers that answer AAAA queries badly.",
            ],
            "define(`confBIND_OPTS', `WorkAroundBrokenAAAA')dnl",
            "host -t mx example.com",
        ),
        _f(
            _E,
            [
                "Check the send connector uses DNS routing and that the transport service "
                "uses working external DNS servers.",
            ],
            'Set-SendConnector -Identity "Internet" -DNSRoutingEnabled $true\n'
            "Set-TransportService -Identity EX01 -ExternalDNSAdapterEnabled $true",
            "Resolve-DnsName -Type MX example.com",
        ),
        _f(
            _M,
            [
                "Check the recipient domain's MX in public DNS; for your own domains the MX "
                "must point to <domain>-<tld>.mail.protection.outlook.com.",
            ],
            "",
            "Resolve-DnsName -Type MX contoso.com",
        ),
        _f(
            _G,
            [
                'Look up the MX, then the A/AAAA of each MX host; a null MX ("0 .") means '
                "the domain takes no mail at all.",
            ],
            "dig +short MX example.com",
            "dig +short MX example.com",
        ),
    ),
    _C.FIREWALL_BLOCK: (
        _f(
            _P,
            [
                "Test port 25 from the sending host; many clouds and ISPs block it outbound.",
                "If it is blocked, relay through your provider's smarthost on port 587 with SASL.",
                "Fail over faster and avoid unroutable IPv6 if that is the problem.",
            ],
            "relayhost = [smtp.provider.example]:587\n"
            "smtp_sasl_auth_enable = yes\n"
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
            "smtp_tls_security_level = encrypt\n"
            "smtp_connect_timeout = 30s\n"
            "inet_protocols = ipv4",
            "postconf relayhost smtp_connect_timeout inet_protocols",
        ),
        _f(
            _X,
            [
                "Test port 25 outbound; if blocked, route through a smarthost on 587.",
            ],
            "# router before dnslookup\n"
            "smarthost:\n"
            "  driver = manualroute\n"
            "  domains = ! +local_domains\n"
            "  transport = remote_smtp_smarthost\n"
            "  route_list = * smtp.provider.example::587",
            "exim -bt user@example.net",
        ),
        _f(
            _S,
            [
                "Test port 25 outbound; if blocked, send through a smart host on 587.",
            ],
            "define(`SMART_HOST', `[smtp.provider.example]')dnl\n"
            "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
            "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl",
            "grep '^DS' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Check the Windows firewall, the perimeter firewall and anti-virus 'mass "
                "mailing' protection do not block outbound port 25 from the Exchange server.",
                "If the network cannot send on 25, use a smart host on 587.",
            ],
            'Set-SendConnector -Identity "Internet" -SmartHosts smtp.provider.example -Port 587 '
            "-SmartHostAuthMechanism BasicAuthRequireTLS "
            "-AuthenticationCredential (Get-Credential)",
            "Test-NetConnection mx.example.net -Port 25",
        ),
        _f(
            _M,
            [
                "4.4.316/4.4.317: the receiving server refuses or ignores Microsoft 365. Allow "
                "Exchange Online's published IP ranges to port 25 on the destination's firewall.",
                "Check the outbound connector's smart host name and port.",
            ],
            'Validate-OutboundConnector -Identity "To On-Premises" '
            "-Recipients postmaster@contoso.com",
            "Get-OutboundConnector | Format-List Name,SmartHosts,UseMXRecord",
        ),
        _f(
            _G,
            [
                "Check TCP reachability of port 25 from the sender's network and the "
                "destination's firewall rules (timeout = filtered, refused = REJECT or no "
                "listener).",
            ],
            "nc -vz -w 10 mx.example.net 25",
            "nc -vz -w 10 mx.example.net 25",
        ),
    ),
    _C.NETWORK_TIMEOUT: (
        _f(
            _P,
            [
                "Find where it stalls (greeting, after EHLO, during the body) with "
                "debug_peer_list; raise the matching timeout only if the peer is just slow.",
                "If small commands pass but the body stalls, suspect a path-MTU black hole.",
            ],
            "smtp_helo_timeout = 300s\n"
            "smtp_data_xfer_timeout = 180s\n"
            "smtp_data_done_timeout = 600s\n"
            "debug_peer_list = mx.example.net",
            "postconf smtp_helo_timeout smtp_data_xfer_timeout smtp_data_done_timeout",
        ),
        _f(
            _X,
            [
                "Raise the transport timeouts only for slow peers; check the path MTU.",
            ],
            "# remote_smtp transport\ncommand_timeout = 5m\ndata_timeout = 5m\nfinal_timeout = 10m",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Keep RFC-sized timeouts (initial 5m, datafinal 1h); check the path MTU.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confTO_INITIAL', `5m')dnl\n"
            "define(`confTO_DATABLOCK', `1h')dnl\n"
            "define(`confTO_DATAFINAL', `1h')dnl",
            "grep -E 'Timeout\\.(initial|datablock|datafinal)' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Check the connector timeouts and the network path (MTU, SMTP inspection).",
            ],
            'Set-SendConnector -Identity "Internet" -ConnectionInactivityTimeOut 00:10:00',
            "Get-SendConnector | Format-List Identity,ConnectionInactivityTimeOut",
        ),
        _f(
            _M,
            [
                "Trace the message; if Microsoft 365 times out towards your server, check that "
                "server's load, greeting delay and path MTU.",
            ],
            "Get-MessageTrace -RecipientAddress user@contoso.com | Get-MessageTraceDetail",
            "Get-MessageTrace -RecipientAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Time the greeting and test for a path-MTU black hole.",
            ],
            "time nc -w 60 mx.example.net 25 </dev/null\nping -M do -s 1472 mx.example.net",
            "ping -c 3 -M do -s 1472 mx.example.net",
        ),
    ),
    _C.CONNECTION_DROPPED: (
        _f(
            _P,
            [
                "Log the session with the peer to see the last command before the drop.",
                "Towards Exchange, turn off pipelining if the drop follows a pipelined QUIT.",
                "If the drop is right after STARTTLS, treat it as a TLS version problem.",
            ],
            "debug_peer_list = mx.example.net\n"
            "smtp_tls_loglevel = 1\n"
            "# master.cf, only if needed:\n"
            "# smtp unix - - n - - smtp -o smtp_discard_ehlo_keywords=pipelining",
            "postconf debug_peer_list smtp_tls_loglevel",
        ),
        _f(
            _X,
            [
                "Log the session (-d+transport); avoid pipelining or TLS only for the peer "
                "that drops.",
            ],
            "# remote_smtp transport\nhosts_avoid_pipelining = mx.example.net",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Deliver in verbose mode to see where the peer hangs up.",
            ],
            "sendmail -v -qR example.net",
            "mailq",
        ),
        _f(
            _E,
            [
                "'SocketError' towards Microsoft 365 usually means TLS 1.2 is missing: enable "
                "it in SCHANNEL and .NET, then restart transport.",
                "Turn off SMTP inspection on firewalls (Cisco ESMTP inspection and the like).",
            ],
            SCHANNEL_TLS12,
            "Get-Queue | Format-List Identity,Status,LastError",
        ),
        _f(
            _M,
            [
                "Check the message trace for the drop, and make sure the other server accepts "
                "TLS 1.2 from Microsoft 365.",
            ],
            "Get-MessageTrace -RecipientAddress user@contoso.com | Get-MessageTraceDetail",
            "Get-MessageTrace -RecipientAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Capture the session on the sender to see who sends the FIN/RST and when.",
            ],
            "tcpdump -ni any -w smtp.pcap host mx.example.net and port 25",
            "tcpdump -ni any -c 20 host mx.example.net and port 25",
        ),
    ),
}
