"""Fix recipes for the MTAs a banner can name beyond the six (and OpenSMTPD).

qmail/netqmail, Haraka, hMailServer, MDaemon, Zimbra and Courier, for the
categories where their settings differ from the generic advice: TLS version
and ciphers, the certificate, STARTTLS, the PTR/EHLO name, a blocked port
(a smart host), timeouts, the size limit and sending rate. Written from each
project's own documentation: qmail-smtpd(8), qmail-remote(8) and
qmail-control(5); Haraka's docs (CoreConfig, the tls, limit and smtp_forward
plugins); hMailServer's and MDaemon's manuals (settings as the admin tools
show them); the Zimbra Collaboration Administrator Guide (the MTA is Postfix
whose main.cf zmconfigd rewrites from LDAP, so ``zmprov`` changes what
``postconf -e`` would); Courier's esmtpd and courierd configuration files.
Names such as ``mail.example.com``, ``mx.example.net`` and ``192.0.2.10``
are placeholders for the user's own and the remote host, as in
:mod:`smtpdoctor.knowledge.fixes`.
"""

from __future__ import annotations

from smtpdoctor.model import MTA, Category, Fix

__all__ = ["MORE"]

_C = Category

_QMAIL_TLS = (
    "Stock netqmail 1.06 has no STARTTLS: build it with the qmail-tls patch (or use a "
    "packaged qmail or notqmail that includes it)."
)


def _q(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.QMAIL, tuple(steps), snippet, verify)


QMAIL: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _q(
        [
            _QMAIL_TLS,
            "The versions it speaks are the OpenSSL it was built with: rebuild against a "
            "current OpenSSL (TLS 1.2 and 1.3) and restart qmail-smtpd.",
        ],
        "# /var/qmail/control/tlsserverciphers (qmail-tls patch)\nHIGH:!aNULL:!MD5:!RC4:!3DES",
        "qmail-showctl | grep -i tls",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _q(
        [
            "With the qmail-tls patch, the server's cipher list is control/tlsserverciphers "
            "and the client's control/tlsclientciphers: leave out the weak suites but keep "
            "what current peers share.",
            "Check that control/servercert.pem holds the key and certificate and is readable "
            "by the qmail-smtpd user (qmaild).",
        ],
        "echo 'HIGH:!aNULL:!MD5:!RC4:!3DES' > /var/qmail/control/tlsserverciphers",
        "ls -l /var/qmail/control/servercert.pem /var/qmail/control/tlsserverciphers",
    ),
    _C.TLS_CERTIFICATE: _q(
        [
            "Put a certificate from a public CA that names the MX host, its intermediates "
            "and the private key in /var/qmail/control/servercert.pem (qmail-tls patch), "
            "readable by qmaild only.",
            "Restart qmail-smtpd; renewals need the same file replaced.",
        ],
        "cat mail.example.com.key mail.example.com.fullchain.pem "
        "> /var/qmail/control/servercert.pem\n"
        "chown qmaild /var/qmail/control/servercert.pem\n"
        "chmod 400 /var/qmail/control/servercert.pem",
        "openssl x509 -noout -subject -enddate -in /var/qmail/control/servercert.pem",
    ),
    _C.STARTTLS_UNAVAILABLE: _q(
        [
            _QMAIL_TLS,
            "Install control/servercert.pem; qmail-smtpd then offers STARTTLS.",
        ],
        "ls -l /var/qmail/control/servercert.pem",
        "qmail-showctl | grep -i servercert",
    ),
    _C.DNS_PTR_MISMATCH: _q(
        [
            "qmail-remote says control/helohost in HELO (control/me when it is absent): "
            "make it the name the sending address's PTR gives.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "echo mail.example.com > /var/qmail/control/helohost",
        "dig -x 192.0.2.10 +short",
    ),
    _C.FIREWALL_BLOCK: _q(
        [
            "If your network blocks outbound port 25, route all mail to a smart host with "
            "a ':relay' line in control/smtproutes (stock qmail-remote does not "
            "authenticate: the relay must accept your address).",
        ],
        "echo ':smtp.provider.example' > /var/qmail/control/smtproutes",
        "nc -vz -w 10 mx.example.net 25",
    ),
    _C.NETWORK_TIMEOUT: _q(
        [
            "qmail-remote waits control/timeoutconnect (default 60 s) for the connection and "
            "control/timeoutremote (default 1200 s) for each reply; qmail-smtpd waits "
            "control/timeoutsmtpd (1200 s) for the client.",
            "A slow peer needs the wait; a stall at the same command every time is the "
            "path (MTU, a middlebox), not the timeout.",
        ],
        "echo 1200 > /var/qmail/control/timeoutremote",
        "qmail-showctl | grep -i timeout",
    ),
    _C.MESSAGE_SIZE: _q(
        [
            "qmail-smtpd refuses messages over control/databytes (0: no limit); raise it "
            "where the limit is yours, or send smaller messages.",
        ],
        "echo 52428800 > /var/qmail/control/databytes",
        "cat /var/qmail/control/databytes",
    ),
    _C.RATE_LIMITED: _q(
        [
            "Lower control/concurrencyremote (default 20 parallel deliveries) so a "
            "throttling receiver sees fewer connections; the queue retries the rest.",
        ],
        "echo 5 > /var/qmail/control/concurrencyremote",
        "qmail-qstat",
    ),
}


def _h(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.HARAKA, tuple(steps), snippet, verify)


_HARAKA_RESTART = "Restart Haraka (it reads config/tls.ini and the certificates at start)."

HARAKA: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _h(
        [
            "Haraka's TLS is Node.js's: set minVersion in config/tls.ini (global, or under "
            "[outbound] for delivery) no higher than your peers offer (TLSv1.2 is the floor "
            "peers following RFC 8996 expect), and run a Node.js whose OpenSSL has TLS 1.2 "
            "and 1.3.",
            _HARAKA_RESTART,
        ],
        "; config/tls.ini\nminVersion=TLSv1.2",
        "node -p 'process.versions.openssl' && grep -n minVersion config/tls.ini",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _h(
        [
            "Give the tls plugin a cipher list current peers share (ciphers= in "
            "config/tls.ini, OpenSSL syntax) and a key and certificate it can read.",
            _HARAKA_RESTART,
        ],
        "; config/tls.ini\nciphers=ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
        "HIGH:!aNULL:!MD5:!RC4:!3DES\nhonorCipherOrder=true",
        "grep -n -e ciphers -e key -e cert config/tls.ini",
    ),
    _C.TLS_CERTIFICATE: _h(
        [
            "Install a certificate from a public CA that names the MX host: a PEM bundle of "
            "key, certificate and intermediates, in that order, in config/tls/ (one per "
            "name, chosen by SNI), or as tls_key.pem and tls_cert.pem.",
            _HARAKA_RESTART,
        ],
        "cat mail.example.com.key mail.example.com.crt intermediate.crt "
        "> config/tls/mail.example.com.pem",
        "openssl x509 -noout -subject -enddate -in config/tls/mail.example.com.pem",
    ),
    _C.STARTTLS_UNAVAILABLE: _h(
        [
            "Offer STARTTLS: list the tls plugin in config/plugins and give it a certificate "
            "(config/tls/ or tls_key.pem/tls_cert.pem).",
        ],
        "# config/plugins\ntls",
        "grep -nx tls config/plugins",
    ),
    _C.DNS_PTR_MISMATCH: _h(
        [
            "Haraka's outbound delivery says the name in config/me in its EHLO (unless a "
            "get_mx hook sets bind_helo or a plugin the outbound_helo note): make it the "
            "name the sending address's PTR gives.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "echo mail.example.com > config/me",
        "dig -x 192.0.2.10 +short",
    ),
    _C.FIREWALL_BLOCK: _h(
        [
            "If your network blocks outbound port 25, send outbound mail through a smart "
            "host on 587: a get_mx hook returning the host, port and AUTH credentials "
            "(a plugin listed in config/plugins).",
        ],
        "// plugins/smarthost.js\n"
        "exports.hook_get_mx = (next, hmail, domain) => next(OK, {priority: 0,\n"
        "  exchange: 'smtp.provider.example', port: 587,\n"
        "  auth_user: 'user@example.com', auth_pass: 'SECRET'})",
        "nc -vz -w 10 mx.example.net 25",
    ),
    _C.NETWORK_TIMEOUT: _h(
        [
            "Outbound, Haraka waits outbound.ini's connect_timeout (default 30 s) for a "
            "connection; inbound, it drops a client idle for smtp.ini's inactivity_timeout "
            "(default 300 s). A stall at the same command every time is the path.",
        ],
        "; config/outbound.ini\nconnect_timeout=60",
        "grep -n -e connect_timeout -e inactivity_timeout config/outbound.ini config/smtp.ini",
    ),
    _C.MESSAGE_SIZE: _h(
        [
            "Raise the size Haraka accepts where the limit is yours: [max] bytes in "
            "config/connection.ini (config/databytes in Haraka before 3.0).",
        ],
        "; config/connection.ini\n[max]\nbytes=52428800",
        "grep -n -A2 '^\\[max\\]' config/connection.ini",
    ),
    _C.RATE_LIMITED: _h(
        [
            "Outbound: lower pool_concurrency_max in config/outbound.ini (connections to one "
            "destination IP, default 10) so a throttling receiver sees fewer at once; "
            "concurrency_max (default 100) bounds them all. Inbound limits are the limit "
            "plugin's (limit.ini).",
        ],
        "; config/outbound.ini\npool_concurrency_max=2",
        "grep -n concurrency_max config/outbound.ini",
    ),
}


def _w(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.HMAILSERVER, tuple(steps), snippet, verify)


_HMAIL_TLS = "hMailServer Administrator: Settings > Advanced > SSL/TLS"
_HMAIL_PORT = "Settings > Advanced > TCP/IP ports > 0.0.0.0 / 25 / SMTP"
# hMailServer's COM API reads the same settings the Administrator shows.
_HMAIL_COM = (
    "$h = New-Object -ComObject hMailServer.Application; "
    "$null = $h.Authenticate('Administrator', 'PASSWORD'); "
)

HMAILSERVER: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _w(
        [
            f"In {_HMAIL_TLS}, tick TLS 1.2 and TLS 1.3 (hMailServer 5.6.8 and later; older "
            "versions cannot offer TLS 1.2 to every peer: upgrade).",
            "Restart the hMailServer service.",
        ],
        "",
        _HMAIL_COM + "$h.Settings.TlsVersion12Enabled; $h.Settings.TlsVersion13Enabled",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _w(
        [
            f"In {_HMAIL_TLS}, give a cipher list current peers share (OpenSSL syntax), "
            "or leave the default.",
            "Turn on TLS logging (Settings > Logging) to see the handshake error.",
        ],
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL:!MD5:!RC4:!3DES",
        _HMAIL_COM + "$h.Settings.SslCipherList",
    ),
    _C.TLS_CERTIFICATE: _w(
        [
            "Add a certificate from a public CA that names the MX host under Settings > "
            "Advanced > SSL certificates (the certificate file with its intermediates, and "
            "the key file).",
            f"Select it on the SMTP port ({_HMAIL_PORT}), then restart the service.",
        ],
        "",
        "",
    ),
    _C.STARTTLS_UNAVAILABLE: _w(
        [
            f"On the port 25 entry ({_HMAIL_PORT}) set Connection security to "
            "STARTTLS (Optional) and select the SSL certificate.",
        ],
        "",
        "",
    ),
    _C.DNS_PTR_MISMATCH: _w(
        [
            "Set Settings > Protocols > SMTP > Delivery of e-mail > Host name to the name the "
            "sending address's PTR gives (hMailServer says it in HELO).",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "",
        "Resolve-DnsName 192.0.2.10 -Type PTR",
    ),
    _C.FIREWALL_BLOCK: _w(
        [
            "If your network blocks outbound port 25, set an SMTP relayer in Settings > "
            "Protocols > SMTP > Delivery of e-mail: the provider's host, port 587, "
            "STARTTLS and its credentials.",
        ],
        "",
        "Test-NetConnection mx.example.net -Port 25",
    ),
    _C.MESSAGE_SIZE: _w(
        [
            "Raise Max message size (KB) in Settings > Protocols > SMTP > General where the "
            "limit is yours (a domain's own limit overrides it), or send smaller messages.",
        ],
        "",
        "",
    ),
}


def _m(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.MDAEMON, tuple(steps), snippet, verify)


_MD_TLS = "Security > Security Manager > SSL & TLS > MDaemon"

MDAEMON: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _m(
        [
            "Keep MDaemon current (versions that predate TLS 1.2 cannot offer it) and check "
            f"the protocols allowed in {_MD_TLS}.",
        ],
        "",
        "Test-NetConnection mx.example.net -Port 25",
    ),
    _C.TLS_CERTIFICATE: _m(
        [
            f"In {_MD_TLS}, enable SSL, STARTTLS and STLS and select a certificate from a "
            "public CA that names the MX host (imported into the Windows certificate store "
            "with its intermediates).",
            "Restart the servers when prompted.",
        ],
        "",
        "",
    ),
    _C.STARTTLS_UNAVAILABLE: _m(
        [
            f"In {_MD_TLS}, enable SSL, STARTTLS and STLS and select a certificate; MDaemon "
            "then offers STARTTLS on port 25.",
        ],
        "",
        "",
    ),
    _C.DNS_PTR_MISMATCH: _m(
        [
            "Set the domain's SMTP host name (Domain Manager > Host Name & IP) to the name the "
            "sending address's PTR gives: MDaemon says it in HELO/EHLO.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "",
        "Resolve-DnsName 192.0.2.10 -Type PTR",
    ),
    _C.FIREWALL_BLOCK: _m(
        [
            "If your network blocks outbound port 25, send all outbound mail to a smart host "
            "on 587 (Server Settings > Delivery), with its credentials.",
        ],
        "",
        "Test-NetConnection mx.example.net -Port 25",
    ),
    _C.NETWORK_TIMEOUT: _m(
        [
            "Server Settings > Timers: 'Wait xx seconds for sockets to connect' and 'for "
            "protocol dialog to start' bound how long MDaemon waits for a slow peer before "
            "the message goes to the retry queue (or the smart host).",
        ],
        "",
        "",
    ),
    _C.MESSAGE_SIZE: _m(
        [
            "Raise the maximum message size accepted (Server Settings > Servers) where the "
            "limit is yours, or send smaller messages.",
        ],
        "",
        "",
    ),
    _C.RATE_LIMITED: _m(
        [
            "Lower 'Maximum concurrent SMTP outbound sessions' (Server Settings > Sessions, "
            "default 30) so a throttling receiver sees fewer connections.",
        ],
        "",
        "",
    ),
}


def _z(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.ZIMBRA, tuple(steps), snippet, verify)


_ZM = (
    "Zimbra's MTA is Postfix, but zmconfigd rewrites main.cf from LDAP: change it with zmprov "
    "(as the zimbra user), not postconf -e."
)

ZIMBRA: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _z(
        [
            _ZM,
            "Let the MTA speak TLS 1.2 and 1.3 (server and client side) and do not set a "
            "floor above what your peers offer.",
        ],
        "zmprov mcf zimbraMtaSmtpdTlsProtocols '>=TLSv1.2'\n"
        "zmprov mcf zimbraMtaSmtpTlsProtocols '>=TLSv1.2'\n"
        "zmmtactl restart",
        "zmprov gcf zimbraMtaSmtpdTlsProtocols zimbraMtaSmtpTlsProtocols",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _z(
        [
            _ZM,
            "Use Postfix's cipher grades (medium or high) and exclude the weak suites; keep "
            "what current peers share.",
        ],
        "zmprov mcf zimbraMtaSmtpdTlsCiphers medium\n"
        "zmprov mcf zimbraMtaSmtpdTlsExcludeCiphers 'aNULL,MD5,DES,RC4,3DES'\n"
        "zmmtactl restart",
        "zmprov gcf zimbraMtaSmtpdTlsCiphers zimbraMtaSmtpdTlsExcludeCiphers",
    ),
    _C.TLS_CERTIFICATE: _z(
        [
            "Deploy a certificate from a public CA that names the MX host with zmcertmgr "
            "(the key in /opt/zimbra/ssl/zimbra/commercial/commercial.key), then restart.",
        ],
        "/opt/zimbra/bin/zmcertmgr verifycrt comm commercial.key cert.pem chain.pem\n"
        "/opt/zimbra/bin/zmcertmgr deploycrt comm cert.pem chain.pem\n"
        "zmcontrol restart",
        "/opt/zimbra/bin/zmcertmgr viewdeployedcrt",
    ),
    _C.STARTTLS_UNAVAILABLE: _z(
        [
            _ZM,
            "Offer STARTTLS on port 25 (security level may); as a sender, may uses TLS when "
            "offered.",
        ],
        "zmprov mcf zimbraMtaTlsSecurityLevel may\nzmmtactl restart",
        "zmprov gcf zimbraMtaTlsSecurityLevel",
    ),
    _C.DNS_PTR_MISMATCH: _z(
        [
            "Postfix says smtp_helo_name (default myhostname) in EHLO; on Zimbra they are "
            "zimbraMtaSmtpHeloName and zimbraMtaMyHostname: make the EHLO name the name the "
            "sending address's PTR gives.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "zmprov mcf zimbraMtaSmtpHeloName mail.example.com\nzmmtactl restart",
        "dig -x 192.0.2.10 +short",
    ),
    _C.FIREWALL_BLOCK: _z(
        [
            _ZM,
            "If your network blocks outbound port 25, relay through a smart host "
            "(zimbraMtaRelayHost) on 587.",
        ],
        "zmprov mcf zimbraMtaRelayHost smtp.provider.example:587\nzmmtactl restart",
        "nc -vz -w 10 mx.example.net 25",
    ),
    _C.MESSAGE_SIZE: _z(
        [
            "Raise zimbraMtaMaxMessageSize where the limit is yours (it sets Postfix's "
            "message_size_limit), or send smaller messages.",
        ],
        "zmprov mcf zimbraMtaMaxMessageSize 52428800\nzmmtactl restart",
        "zmprov gcf zimbraMtaMaxMessageSize",
    ),
}


def _k(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.COURIER, tuple(steps), snippet, verify)


_COURIER_TLS = "/etc/courier/esmtpd"

COURIER: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _k(
        [
            f"Set TLS_PROTOCOL in {_COURIER_TLS} to allow TLS 1.2 and later (OpenSSL builds; "
            "GnuTLS builds take TLS_PRIORITY), no floor above what your peers offer, and "
            "restart esmtpd.",
        ],
        "# /etc/courier/esmtpd\nTLS_PROTOCOL=TLSv1.2+",
        f"grep -n TLS_PROTOCOL {_COURIER_TLS}",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _k(
        [
            f"Set TLS_CIPHER_LIST in {_COURIER_TLS} to a list current peers share, and "
            "check that TLS_CERTFILE is readable by the daemon.",
        ],
        "# /etc/courier/esmtpd\nTLS_CIPHER_LIST='HIGH:!aNULL:!MD5:!RC4:!3DES'",
        f"grep -n -e TLS_CIPHER_LIST -e TLS_CERTFILE {_COURIER_TLS}",
    ),
    _C.TLS_CERTIFICATE: _k(
        [
            "Install a certificate from a public CA that names the MX host: key, "
            "certificate and intermediates in the PEM file TLS_CERTFILE names "
            "(esmtpd.pem), then restart esmtpd.",
        ],
        "cat mail.example.com.key mail.example.com.fullchain.pem > /etc/courier/esmtpd.pem",
        "openssl x509 -noout -subject -enddate -in /etc/courier/esmtpd.pem",
    ),
    _C.STARTTLS_UNAVAILABLE: _k(
        [
            f"Offer STARTTLS: give TLS_CERTFILE in {_COURIER_TLS} (a PEM file with the key and "
            "certificate); esmtpd offers STARTTLS when it can read it.",
        ],
        "# /etc/courier/esmtpd\nTLS_CERTFILE=/etc/courier/esmtpd.pem",
        f"grep -n TLS_CERTFILE {_COURIER_TLS}",
    ),
    _C.DNS_PTR_MISMATCH: _k(
        [
            "Courier says the name in /etc/courier/esmtphelo (else me) in EHLO: make it the "
            "name the sending address's PTR gives.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        "echo mail.example.com > /etc/courier/esmtphelo",
        "dig -x 192.0.2.10 +short",
    ),
    _C.NETWORK_TIMEOUT: _k(
        [
            "Courier's outbound waits /etc/courier/esmtptimeoutconnect (default 60 s) for the "
            "connection, esmtptimeouthelo (5 min) for the greeting and EHLO, esmtptimeout "
            "(10 min) for other replies; a stall at the same command every time is the path.",
        ],
        "echo 120 > /etc/courier/esmtptimeoutconnect",
        "cat /etc/courier/esmtptimeoutconnect",
    ),
    _C.MESSAGE_SIZE: _k(
        [
            "Raise /etc/courier/sizelimit (bytes; 0: none) where the limit is yours, or "
            "send smaller messages.",
        ],
        "echo 52428800 > /etc/courier/sizelimit",
        "cat /etc/courier/sizelimit",
    ),
}

MORE: tuple[dict[Category, Fix], ...] = (QMAIL, HARAKA, HMAILSERVER, MDAEMON, ZIMBRA, COURIER)
