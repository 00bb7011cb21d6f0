"""Fix recipes for TLS: the version, the handshake, the certificate and STARTTLS.

Part of :mod:`smtpdoctor.knowledge.fixes` (which assembles every category's
recipes, in order, and says how they are written); the Windows SCHANNEL
script is shared with the network recipes.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.model import MTA, Category, Fix

__all__ = ["RECIPE_MTAS", "SCHANNEL_TLS12", "TLS", "recipe"]

_C = Category
# The targets every recipe module writes for, in one order (each unpacks them).
RECIPE_MTAS = (MTA.POSTFIX, MTA.EXIM, MTA.SENDMAIL, MTA.EXCHANGE, MTA.MICROSOFT365, MTA.GENERIC)
_P, _X, _S, _E, _M, _G = RECIPE_MTAS

# SCHANNEL + .NET keys that make Windows (and so Exchange) offer TLS 1.2, as
# Microsoft documents for the TLS 1.0/1.1 retirement in Exchange Online.
SCHANNEL_TLS12 = r"""$sc = 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'
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


def recipe(mta: MTA, steps: Iterable[str], snippet: str = "", verify: str = "") -> Fix:
    """One MTA's recipe: steps, the snippet to paste, the command that verifies."""
    return Fix(mta, tuple(steps), snippet, verify)


_f = recipe

TLS: dict[Category, tuple[Fix, ...]] = {
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
            SCHANNEL_TLS12,
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
            # Not "echo EHLO test | sendmail -bs": Sendmail 8.17 answers input sent
            # before its greeting with "554 5.5.0 SMTP protocol error", fixed or not.
            "grep -E '^O ServerCertFile=' /etc/mail/sendmail.cf",
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
}
