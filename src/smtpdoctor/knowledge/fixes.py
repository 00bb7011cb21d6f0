"""Fix recipes: for each root cause, what to change on each MTA, and how to check.

One entry per (category, MTA) for every contract category except ``ok``.
Steps are short imperatives; the snippet is the configuration or command to
paste; ``verify`` is one command whose output shows whether the fix is in.
Names such as ``mail.example.com``, ``192.0.2.10`` (RFC 5737) and
``contoso.com`` are placeholders for the user's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.knowledge.fixes_more import MORE
from smtpdoctor.knowledge.fixes_opensmtpd import OPENSMTPD
from smtpdoctor.model import MTA, Category, Fix

__all__ = ["FIXES", "fixes_for"]

_C = Category
_P, _X, _S, _E, _M, _G = (
    MTA.POSTFIX,
    MTA.EXIM,
    MTA.SENDMAIL,
    MTA.EXCHANGE,
    MTA.MICROSOFT365,
    MTA.GENERIC,
)

# SCHANNEL + .NET keys that make Windows (and so Exchange) offer TLS 1.2, as
# Microsoft documents for the TLS 1.0/1.1 retirement in Exchange Online.
_SCHANNEL_TLS12 = r"""$sc = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'
$base = "$sc\Protocols\TLS 1.2"
foreach ($side in 'Client','Server') {
  New-Item -Path "$base\$side" -Force | Out-Null
  Set-ItemProperty -Path "$base\$side" -Name Enabled -Value 1 -Type DWord
  Set-ItemProperty -Path "$base\$side" -Name DisabledByDefault -Value 0 -Type DWord
}
foreach ($net in 'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319',
                 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319') {
  Set-ItemProperty -Path $net -Name SystemDefaultTlsVersions -Value 1 -Type DWord
  Set-ItemProperty -Path $net -Name SchUseStrongCrypto -Value 1 -Type DWord
}
# SCHANNEL changes need a reboot; afterwards:
Restart-Service MSExchangeTransport"""


def _f(mta: MTA, steps: Iterable[str], snippet: str = "", verify: str = "") -> Fix:
    return Fix(mta, tuple(steps), snippet, verify)


FIXES: dict[Category, tuple[Fix, ...]] = {
    _C.TLS_VERSION_MISMATCH: (
        _f(
            _P,
            [
                "Let Postfix speak TLS 1.2 and 1.3 both as client (smtp) and server (smtpd); "
                "do not set a floor above what your peers offer.",
                "If the peer only offers TLS 1.0/1.1, ask its administrator to enable TLS 1.2; "
                "lower the floor only for that destination, in smtp_tls_policy_maps, as a stopgap.",
                "Reload Postfix (postfix reload).",
            ],
            "# main.cf (Postfix 3.6+ syntax; older: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)\n"
            "smtp_tls_mandatory_protocols = >=TLSv1.2\n"
            "smtp_tls_protocols = >=TLSv1.2\n"
            "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
            "smtpd_tls_protocols = >=TLSv1.2",
            "postconf smtp_tls_mandatory_protocols smtp_tls_protocols smtpd_tls_protocols",
        ),
        _f(
            _X,
            [
                "Allow TLS 1.2 and 1.3 in Exim's TLS library options (OpenSSL or GnuTLS build).",
                "Restart Exim and send a test message to the failing destination.",
            ],
            "# OpenSSL build: exim.conf main section\n"
            "openssl_options = +no_sslv2 +no_sslv3 +no_tlsv1 +no_tlsv1_1\n"
            "# GnuTLS build instead:\n"
            "# tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
            "exim -bP openssl_options tls_require_ciphers",
        ),
        _f(
            _S,
            [
                "Disable SSLv3/TLS 1.0/1.1 and keep TLS 1.2+ for both directions in sendmail.mc.",
                "Make sure sendmail is linked against an OpenSSL that supports TLS 1.2.",
                "Rebuild sendmail.cf (m4 sendmail.mc > sendmail.cf) and restart sendmail.",
            ],
            "define(`confSERVER_SSL_OPTIONS', "
            "`+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1')dnl\n"
            "define(`confCLIENT_SSL_OPTIONS', "
            "`+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1')dnl",
            "grep -E 'ServerSSLOptions|ClientSSLOptions' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Enable TLS 1.2 for SCHANNEL client and server, and make .NET use the OS "
                "default TLS versions (SystemDefaultTlsVersions, SchUseStrongCrypto).",
                "Install current Windows and Exchange updates (old builds lack TLS 1.2).",
                "Reboot, or at least restart the transport service.",
            ],
            _SCHANNEL_TLS12,
            "Get-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
            "\\SCHANNEL\\Protocols\\TLS 1.2\\Client'",
        ),
        _f(
            _M,
            [
                "Microsoft 365 sends and accepts only TLS 1.2 or later; the fix is on the other "
                "server (on-premises Exchange, appliance or partner), which must enable TLS 1.2.",
                "After the other side is fixed, validate the connector in the Exchange admin "
                "center (Mail flow > Connectors > Validate this connector).",
            ],
            'Validate-OutboundConnector -Identity "To Partner" '
            "-Recipients postmaster@partner.example",
            "Get-OutboundConnector | Format-List Name,TlsSettings,TlsDomain,SmartHosts",
        ),
        _f(
            _G,
            [
                "Find which TLS versions each side offers and make them overlap on TLS 1.2 or 1.3.",
                "Upgrade the side that only has TLS 1.0/1.1 (OS, OpenSSL, MTA).",
            ],
            "openssl s_client -connect mx.example.com:25 -starttls smtp -tls1_2 -brief </dev/null",
            "openssl s_client -connect mx.example.com:25 -starttls smtp -tls1_2 -brief </dev/null",
        ),
    ),
    _C.TLS_HANDSHAKE_FAILURE: (
        _f(
            _P,
            [
                "Go back to Postfix's default cipher lists (medium) unless a peer needs more.",
                "Use implicit TLS (smtp_tls_wrappermode = yes) only towards port 465, and "
                "STARTTLS (wrappermode no) towards 25 and 587.",
                "Raise smtp_tls_loglevel to 1 to see the failing alert, then reload.",
            ],
            "smtp_tls_security_level = may\n"
            "smtp_tls_ciphers = medium\n"
            "smtp_tls_mandatory_ciphers = medium\n"
            "smtp_tls_loglevel = 1\n"
            "# only for a relay on port 465:\n"
            "# relayhost = [smtp.example.com]:465\n"
            "# smtp_tls_wrappermode = yes\n"
            "# smtp_tls_security_level = encrypt",
            "postconf smtp_tls_security_level smtp_tls_wrappermode smtp_tls_ciphers",
        ),
        _f(
            _X,
            [
                "Use the library defaults for tls_require_ciphers unless a peer needs otherwise.",
                "For one broken peer, stop offering TLS to it (hosts_avoid_tls) rather than "
                "weakening everyone; keep tls_tempfail_tryclear enabled for opportunistic TLS.",
            ],
            "# remote_smtp transport\n"
            "tls_tempfail_tryclear = true\n"
            "# last resort for a single broken host:\n"
            "# hosts_avoid_tls = broken-mx.example.net",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Stop requesting client certificates if peers abort on it (confTLS_SRV_OPTIONS V).",
                "Set a sane cipher list, and skip TLS for one broken peer in the access map.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confTLS_SRV_OPTIONS', `V')dnl\n"
            "define(`confCIPHER_LIST', `HIGH:MEDIUM:!aNULL:!eNULL')dnl\n"
            "# /etc/mail/access (then makemap hash /etc/mail/access < /etc/mail/access):\n"
            "# Try_TLS:broken-mx.example.net   NO",
            "grep -E 'TLSSrvOptions|CipherList' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Make sure a valid certificate is enabled for the SMTP service.",
                "Enable TLS 1.2 in SCHANNEL and turn off 'SMTP/ESMTP inspection' on firewalls "
                "in front of Exchange (it breaks STARTTLS).",
                "Restart the transport service.",
            ],
            "Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP\n"
            "Restart-Service MSExchangeTransport",
            "Get-ExchangeCertificate | Format-List Thumbprint,Services,NotAfter,Subject",
        ),
        _f(
            _M,
            [
                "Check the connector's TLS settings match what the partner supports.",
                "Re-validate the connector after the partner fixes its TLS stack.",
            ],
            'Set-OutboundConnector -Identity "To Partner" -TlsSettings EncryptionOnly',
            "Get-OutboundConnector | Format-List Name,TlsSettings,TlsDomain",
        ),
        _f(
            _G,
            [
                "Reproduce the handshake and read the alert: no shared cipher, bad record "
                "(implicit TLS vs STARTTLS), or a reset from a middlebox.",
            ],
            "openssl s_client -connect mx.example.com:25 -starttls smtp -crlf",
            "openssl s_client -connect mx.example.com:25 -starttls smtp -brief </dev/null",
        ),
    ),
    _C.TLS_CERTIFICATE: (
        _f(
            _P,
            [
                "On the receiving side, serve a current certificate with the full chain whose "
                "names include the MX host name.",
                "On the sending side, point Postfix at the system CA bundle.",
                "Reload Postfix.",
            ],
            "smtpd_tls_chain_files = /etc/letsencrypt/live/mail.example.com/privkey.pem,\n"
            "    /etc/letsencrypt/live/mail.example.com/fullchain.pem\n"
            "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt",
            "postconf smtpd_tls_chain_files smtp_tls_CAfile",
        ),
        _f(
            _X,
            [
                "Use the full chain file as tls_certificate and the matching key.",
                "Let the client verify against the system store.",
                "Restart Exim.",
            ],
            "tls_certificate = /etc/letsencrypt/live/mail.example.com/fullchain.pem\n"
            "tls_privatekey = /etc/letsencrypt/live/mail.example.com/privkey.pem\n"
            "tls_verify_certificates = system",
            "exim -bP tls_certificate tls_privatekey tls_verify_certificates",
        ),
        _f(
            _S,
            [
                "Install the renewed certificate and chain; point sendmail at a CA bundle.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confSERVER_CERT', `/etc/mail/certs/fullchain.pem')dnl\n"
            "define(`confSERVER_KEY', `/etc/mail/certs/privkey.pem')dnl\n"
            "define(`confCACERT', `/etc/mail/certs/ca-bundle.crt')dnl\n"
            "define(`confCACERT_PATH', `/etc/ssl/certs')dnl",
            "grep -E 'ServerCertFile|CACertFile' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Import the renewed certificate, enable it for SMTP and remove the expired one.",
                "Where a connector names a certificate, update TlsCertificateName to the new one.",
                "Restart the transport service.",
            ],
            "Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('C:\\cert.pfx')) "
            "-Password (Read-Host -AsSecureString)\n"
            "Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP\n"
            'Set-SendConnector -Identity "Outbound to Office 365" '
            '-TlsCertificateName "<I>CN=Issuer CA<S>CN=mail.contoso.com"\n'
            "Restart-Service MSExchangeTransport",
            "Get-ExchangeCertificate | Format-Table Thumbprint,Services,NotAfter,Subject -AutoSize",
        ),
        _f(
            _M,
            [
                "Make the inbound connector expect the certificate name the on-premises server "
                "now presents (TlsSenderCertificateName), or re-run the Hybrid Configuration "
                "Wizard.",
            ],
            'Set-InboundConnector -Identity "From On-Premises" '
            "-TlsSenderCertificateName mail.contoso.com -RequireTls $true",
            "Get-InboundConnector | Format-List Name,TlsSenderCertificateName,RequireTls",
        ),
        _f(
            _G,
            [
                "Check dates, names and chain of the certificate the MX presents.",
                "Renew it and serve the intermediate certificates too.",
            ],
            "openssl s_client -connect mx.example.com:25 -starttls smtp -servername mx.example.com "
            "</dev/null | openssl x509 -noout -subject -issuer -dates -ext subjectAltName",
            "openssl s_client -connect mx.example.com:25 -starttls smtp -verify_return_error "
            "-brief </dev/null",
        ),
    ),
    _C.STARTTLS_UNAVAILABLE: (
        _f(
            _P,
            [
                "Receiving: give smtpd a certificate and offer STARTTLS (security level may).",
                "Sending: use STARTTLS whenever offered; require it only per destination.",
                "Reload Postfix.",
            ],
            "smtpd_tls_security_level = may\n"
            "smtpd_tls_chain_files = /etc/ssl/private/mail.example.com.pem\n"
            "smtp_tls_security_level = may\n"
            "# require TLS for one destination:\n"
            "# smtp_tls_policy_maps = hash:/etc/postfix/tls_policy   (example.net encrypt)",
            "postconf smtpd_tls_security_level smtp_tls_security_level",
        ),
        _f(
            _X,
            [
                "Advertise STARTTLS to everyone and configure the certificate.",
                "Try TLS towards every host (the default) and require it where needed.",
            ],
            "tls_advertise_hosts = *\n"
            "tls_certificate = /etc/exim4/mail.example.com.crt\n"
            "tls_privatekey = /etc/exim4/mail.example.com.key\n"
            "# remote_smtp transport:\n"
            "# hosts_require_tls = example.net",
            "exim -bP tls_advertise_hosts tls_certificate",
        ),
        _f(
            _S,
            [
                "Configure a server certificate so sendmail offers STARTTLS, and make sure "
                "DAEMON_OPTIONS does not carry M=S (which hides it).",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confSERVER_CERT', `/etc/mail/certs/fullchain.pem')dnl\n"
            "define(`confSERVER_KEY', `/etc/mail/certs/privkey.pem')dnl\n"
            "define(`confCLIENT_CERT', `/etc/mail/certs/fullchain.pem')dnl\n"
            "define(`confCLIENT_KEY', `/etc/mail/certs/privkey.pem')dnl",
            "echo EHLO test | sendmail -bs | grep -i STARTTLS",
        ),
        _f(
            _E,
            [
                "Give the receive connector an FQDN that matches a certificate enabled for SMTP; "
                "Exchange only offers STARTTLS when it has one.",
                "Require TLS on the send connector only towards partners that support it.",
            ],
            'Set-ReceiveConnector -Identity "EX01\\Default Frontend EX01" -Fqdn mail.contoso.com\n'
            "Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP\n"
            'Set-SendConnector -Identity "To Partner" -RequireTLS $true '
            "-TlsAuthLevel DomainValidation "
            "-TlsDomain mail.partner.example",
            "Get-ReceiveConnector | Format-List Identity,Fqdn,AuthMechanism",
        ),
        _f(
            _M,
            [
                "Use a partner connector that forces TLS in the direction that needs it.",
            ],
            'New-InboundConnector -Name "From Partner" -ConnectorType Partner '
            "-SenderDomains partner.example -RequireTls $true\n"
            'Set-OutboundConnector -Identity "To Partner" -TlsSettings DomainValidation '
            "-TlsDomain mail.partner.example",
            "Get-InboundConnector | Format-List Name,RequireTls,SenderDomains",
        ),
        _f(
            _G,
            [
                "Check that the EHLO reply lists STARTTLS and that no firewall strips it "
                "(a reply showing 'XXXXXXXA' instead of STARTTLS means SMTP inspection).",
            ],
            "openssl s_client -connect mx.example.com:25 -starttls smtp -brief </dev/null",
            "printf 'EHLO test\\r\\nQUIT\\r\\n' | nc mx.example.com 25 | grep -i starttls",
        ),
    ),
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
            _SCHANNEL_TLS12,
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
    _C.SERVICE_UNAVAILABLE: (
        _f(
            _P,
            [
                "Nothing to change locally: Postfix retries on its own; flush when the remote "
                "side is back.",
            ],
            "postqueue -f",
            "postqueue -p",
        ),
        _f(
            _X,
            [
                "Exim retries on its own; force a run when the remote side is back.",
            ],
            "exim -qff",
            "exim -bp | exiqsumm",
        ),
        _f(
            _S,
            [
                "sendmail retries on its own; force a queue run when the remote side is back.",
            ],
            "sendmail -q -v",
            "mailq",
        ),
        _f(
            _E,
            [
                "Retry the queue when the remote side is back; if your own server answers "
                "4.3.x, check back pressure (disk space, memory).",
            ],
            'Retry-Queue -Identity "EX01\\<queue>"\n'
            "Get-ExchangeDiagnosticInfo -Process EdgeTransport -Component ResourceThrottling",
            "Get-Queue | Format-List Identity,Status,LastError",
        ),
        _f(
            _M,
            [
                "Check Service health in the Microsoft 365 admin center, then trace the message.",
            ],
            "",
            "Get-MessageTrace -SenderAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Wait and let the queue retry; if it lasts hours, tell the recipient's postmaster.",
            ],
            "",
            "nc -vz -w 10 mx.example.net 25",
        ),
    ),
    _C.RATE_LIMITED: (
        _f(
            _P,
            [
                "Send more slowly to the throttling domain with its own transport.",
                "Postfix retries deferred mail; do not flush the queue repeatedly.",
            ],
            "# master.cf\n"
            "slow      unix  -       -       n       -       2       smtp\n"
            "# main.cf\n"
            "slow_destination_concurrency_limit = 2\n"
            "slow_destination_rate_delay = 1s\n"
            "transport_maps = hash:/etc/postfix/transport   # gmail.com slow:",
            "postconf -n | grep -E '^slow_|^transport_maps'",
        ),
        _f(
            _X,
            [
                "Limit parallel deliveries and messages per connection.",
            ],
            "remote_max_parallel = 2\n"
            "# remote_smtp transport:\n"
            "connection_max_messages = 20\n"
            "max_rcpt = 50",
            "exim -bP remote_max_parallel",
        ),
        _f(
            _S,
            [
                "Run fewer queue processes so each destination sees fewer connections.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confMAX_QUEUE_CHILDREN', `5')dnl\n"
            "define(`confMAX_RUNNERS_PER_QUEUE', `2')dnl\n"
            "define(`confMIN_QUEUE_AGE', `27m')dnl",
            "grep -E 'MaxQueueChildren|MaxRunnersPerQueue' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Fewer connections and messages per connection per destination.",
            ],
            "Set-TransportService -Identity EX01 -MaxPerDomainOutboundConnections 5\n"
            'Set-SendConnector -Identity "Internet" -MaxMessagesPerConnection 20',
            "Get-TransportService | Format-List MaxPerDomainOutboundConnections",
        ),
        _f(
            _M,
            [
                "Check the outbound spam policy limits and Restricted entities in the Defender "
                "portal; warm up new domains and ramp volume gradually.",
            ],
            "",
            "Get-HostedOutboundSpamFilterPolicy | Format-List Name,Recipient*Limit*",
        ),
        _f(
            _G,
            [
                "Throttle per destination, warm up new IPs, watch Google Postmaster Tools, "
                "Microsoft SNDS and Yahoo's sender hub, and cut complaint rates.",
            ],
            "",
            "swaks --to postmaster@example.net --quit-after RCPT",
        ),
    ),
    _C.POLICY_REJECTION: (
        _f(
            _P,
            [
                "Publish SPF, sign with DKIM (OpenDKIM milter) and publish DMARC.",
                "Check the sending IP against blocklists and request delisting.",
                "Relay denied: send through your own authorised relay, not the recipient's MX.",
            ],
            "smtpd_milters = inet:127.0.0.1:8891\n"
            "non_smtpd_milters = $smtpd_milters\n"
            "milter_default_action = accept",
            "dig +short TXT example.com",
        ),
        _f(
            _X,
            [
                "Sign outgoing mail with DKIM on the remote_smtp transport; publish SPF/DMARC.",
            ],
            "# remote_smtp transport\n"
            "dkim_domain = ${lc:${domain:$h_from:}}\n"
            "dkim_selector = s1\n"
            "dkim_private_key = /etc/exim4/dkim/s1.key",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Add the OpenDKIM milter and publish SPF/DMARC; rebuild sendmail.cf.",
            ],
            "INPUT_MAIL_FILTER(`opendkim', `S=inet:8891@localhost')dnl",
            "grep -i opendkim /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Include the Exchange server's public IP in SPF, sign DKIM (gateway or "
                "Microsoft 365), and delist the IP where it is blocked.",
            ],
            "",
            "Resolve-DnsName -Type TXT contoso.com",
        ),
        _f(
            _M,
            [
                "Enable DKIM for the domain and publish DMARC.",
                "5.7.606-649: delist the IP at https://sender.office.com.",
                "5.7.64 TenantAttribution: make the inbound connector match the sending server "
                "(its certificate name in TlsSenderCertificateName, or its IP), or re-run the "
                "Hybrid Configuration Wizard.",
            ],
            "Set-DkimSigningConfig -Identity contoso.com -Enabled $true\n"
            'Set-InboundConnector -Identity "From On-Premises" '
            "-TlsSenderCertificateName mail.contoso.com",
            "Get-DkimSigningConfig | Format-List Domain,Enabled,Status",
        ),
        _f(
            _G,
            [
                "Check blocklists for the sending IP, and SPF/DKIM/DMARC pass and align with "
                "the From: domain.",
            ],
            "dig +short 10.2.0.192.zen.spamhaus.org\ndig +short TXT _dmarc.example.com",
            "dig +short TXT _dmarc.example.com",
        ),
    ),
    _C.AUTHENTICATION: (
        _f(
            _P,
            [
                "Authenticate to the relay with SASL over TLS.",
                "postmap the password file and reload.",
            ],
            "smtp_sasl_auth_enable = yes\n"
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
            "smtp_sasl_security_options = noanonymous\n"
            "smtp_tls_security_level = encrypt\n"
            "# /etc/postfix/sasl_passwd:  [smtp.example.com]:587  user:password",
            "postconf smtp_sasl_auth_enable smtp_sasl_password_maps",
        ),
        _f(
            _X,
            [
                "Add a client authenticator and the credentials file.",
            ],
            "# begin authenticators\n"
            "client_login:\n"
            "  driver = plaintext\n"
            "  public_name = LOGIN\n"
            "  client_send = : user@example.com : password",
            "exim -bP authenticators",
        ),
        _f(
            _S,
            [
                "Enable authinfo and store the relay credentials.",
                "makemap hash /etc/mail/authinfo < /etc/mail/authinfo; rebuild sendmail.cf.",
            ],
            "FEATURE(`authinfo', `hash /etc/mail/authinfo')dnl\n"
            "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
            "# /etc/mail/authinfo:\n"
            '# AuthInfo:smtp.example.com "U:user" "P:password" "M:PLAIN"',
            "grep -c AuthInfo /etc/mail/authinfo",
        ),
        _f(
            _E,
            [
                "Authenticate the send connector to its smart host over TLS.",
            ],
            'Set-SendConnector -Identity "Relay" -SmartHostAuthMechanism BasicAuthRequireTLS '
            "-AuthenticationCredential (Get-Credential)",
            "Get-SendConnector | Format-List Identity,SmartHostAuthMechanism,SmartHosts",
        ),
        _f(
            _M,
            [
                "5.7.57: log in to smtp.office365.com:587 with STARTTLS before MAIL FROM, "
                "and allow SMTP AUTH for the mailbox (or relay through a connector instead).",
            ],
            "Set-CASMailbox -Identity user@contoso.com -SmtpClientAuthenticationDisabled $false",
            "Get-CASMailbox -Identity user@contoso.com "
            "| Format-List SmtpClientAuthenticationDisabled",
        ),
        _f(
            _G,
            [
                "Use the submission port (587) with STARTTLS and AUTH, with current credentials "
                "or an app password/OAuth where basic auth is off.",
            ],
            "",
            "openssl s_client -connect smtp.example.com:587 -starttls smtp -brief </dev/null",
        ),
    ),
    _C.RECIPIENT: (
        _f(
            _P,
            [
                "Check the address for typos; on your own server check the recipient maps "
                "and mailbox size limit.",
            ],
            "postmap -q user@example.com hash:/etc/postfix/virtual\n"
            "mailbox_size_limit = 0   # or a value larger than message_size_limit",
            "postmap -q user@example.com hash:/etc/postfix/virtual",
        ),
        _f(
            _X,
            [
                "Test how Exim routes the address.",
            ],
            "exim -bt user@example.com",
            "exim -bt user@example.com",
        ),
        _f(
            _S,
            [
                "Verify the address against aliases and virtusertable.",
            ],
            "sendmail -bv user@example.com",
            "sendmail -bv user@example.com",
        ),
        _f(
            _E,
            [
                "Check the recipient exists and is not over quota.",
            ],
            "Get-Recipient -Identity user@contoso.com\n"
            "Get-MailboxStatistics user@contoso.com | Format-List TotalItemSize",
            "Get-Recipient -Identity user@contoso.com",
        ),
        _f(
            _M,
            [
                "5.4.1/5.1.10: create the recipient, or if some users of the domain live "
                "elsewhere make the accepted domain InternalRelay.",
            ],
            "Set-AcceptedDomain -Identity contoso.com -DomainType InternalRelay",
            "Get-AcceptedDomain | Format-List Name,DomainType",
        ),
        _f(
            _G,
            [
                "Confirm the address with the recipient; a full mailbox clears when they "
                "delete mail.",
            ],
            "",
            "swaks --to user@example.com --quit-after RCPT",
        ),
    ),
    _C.MESSAGE_SIZE: (
        _f(
            _P,
            [
                "Raise the limit on your side if it is yours (message_size_limit, bytes).",
                "Otherwise send a link instead: the receiver decides its limit.",
            ],
            "message_size_limit = 52428800\nmailbox_size_limit = 0",
            "postconf message_size_limit",
        ),
        _f(
            _X,
            [
                "Raise message_size_limit if the limit is yours.",
            ],
            "message_size_limit = 50M",
            "exim -bP message_size_limit",
        ),
        _f(
            _S,
            [
                "Raise the maximum message size if the limit is yours; rebuild sendmail.cf.",
            ],
            "define(`confMAX_MESSAGE_SIZE', `52428800')dnl",
            "grep MaxMessageSize /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Raise the organisation, connector and mailbox limits consistently.",
            ],
            "Set-TransportConfig -MaxSendSize 50MB -MaxReceiveSize 50MB\n"
            'Set-ReceiveConnector -Identity "EX01\\Default Frontend EX01" -MaxMessageSize 50MB\n'
            'Set-SendConnector -Identity "Internet" -MaxMessageSize 50MB',
            "Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize",
        ),
        _f(
            _M,
            [
                "Raise the mailbox send/receive limits (up to 150 MB).",
            ],
            "Set-Mailbox -Identity user@contoso.com -MaxSendSize 150MB -MaxReceiveSize 150MB",
            "Get-Mailbox -Identity user@contoso.com | Format-List MaxSendSize,MaxReceiveSize",
        ),
        _f(
            _G,
            [
                "Share large files by link; encoding makes attachments about a third larger.",
            ],
            "",
            "swaks --to user@example.com --quit-after EHLO | grep -i SIZE",
        ),
    ),
    _C.OTHER: (
        _f(
            _P,
            [
                "Read the queued message's full status and the log around it.",
            ],
            "postcat -vq <queue-id>",
            "postqueue -p",
        ),
        _f(
            _X,
            [
                "Look at the retry data and the full log for the message.",
            ],
            "exinext example.net\nexigrep <message-id> /var/log/exim4/mainlog",
            "exinext example.net",
        ),
        _f(
            _S,
            [
                "Look at the queue entry and deliver it verbosely.",
            ],
            "mailq -v\nsendmail -v -qI<queue-id>",
            "mailq",
        ),
        _f(
            _E,
            [
                "Track the message through transport.",
            ],
            'Get-MessageTrackingLog -MessageId "<message-id>" | Format-List',
            "Get-Queue | Format-List Identity,Status,LastError",
        ),
        _f(
            _M,
            [
                "Run a message trace and read the detail.",
            ],
            "Get-MessageTrace -SenderAddress user@contoso.com | Get-MessageTraceDetail",
            "Get-MessageTrace -SenderAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Read the full reply and both servers' logs; loops (hop count) come from MX "
                "or forwarding pointing back.",
            ],
            "",
            "swaks --to user@example.com --quit-after RCPT",
        ),
    ),
}


def _with_more() -> None:
    """OpenSMTPD's recipe, then those of the MTAs in :mod:`fixes_more` where they
    have one, just before the generic one, in every category."""
    for category, recipes in FIXES.items():
        extra = [t[category] for t in (OPENSMTPD, *MORE) if category in t]
        FIXES[category] = (*recipes[:-1], *extra, recipes[-1])


_with_more()


def fixes_for(category: Category, mtas: Iterable[MTA] | None = None) -> tuple[Fix, ...]:
    """The recipes for ``category`` (all MTAs, or just ``mtas`` in that order)."""
    recipes = FIXES.get(category, ())
    if mtas is None:
        return recipes
    wanted = list(dict.fromkeys(mtas))
    by_mta = {f.for_: f for f in recipes}
    return tuple(by_mta[m] for m in wanted if m in by_mta)
