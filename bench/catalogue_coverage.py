"""Whole message catalogues of widely used mail software, as a user pastes them (issue 10).

Each row is one failure message of one product, written from the product's own source at a
fixed commit (the format string's placeholders filled with documentation values:
example.com, example.org, 192.0.2.x, a size), in the shape the product prints it (msmtp's
``msmtp: `` prefix and closing line, nodemailer's ``Error: ... { code, command }``,
curl's ``curl: (N) ...``, MailKit's exception name). Its expected category and stage were
written from the product's docs and source and docs/explain.md's conventions ("What
decides": a stage the text states wins; a client's own refusal of a missing login or
STARTTLS states no stage; a size refusal sits at the message; a connect timeout is a
firewall block at the connect) **before** the tool read any of them.

These are texts written for the purpose (a catalogue), not corpus rows: they measure how
much of each product's family of sentences the tables know, and print every miss.

Usage: PYTHONPATH=src python bench/catalogue_coverage.py [--misses] [--product NAME]
"""

from __future__ import annotations

import sys
from collections import Counter

MSMTP = "https://github.com/marlam/msmtp/blob/933d35be8ab6e35a7ea3f78df54b64230177590b/src/"
NODEMAILER = (
    "https://github.com/nodemailer/nodemailer/blob/2f667f4272cb2d7cb479b2e3903ab10600fc0eae/"
    "lib/smtp-connection/index.js"
)
CURL = "https://github.com/curl/curl/blob/5c61e168698a72b87437d58ed728bcdea6d5db42/lib/"
MAILKIT = "https://github.com/jstedfast/MailKit/blob/d1f7aa7655d50777c4ece3803ff86f3591e60db5/"
POSTFIX = (
    "https://github.com/vdukhovni/postfix/blob/17830e5c13c160d51c95cb971d137a46de84e48c/"
    "postfix/src/"
)

_MS_END = "\nmsmtp: could not send mail (account default from /etc/msmtprc)"

# (product, text, category, stage, source)
ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # --- msmtp (Debian's, Arch's and Alpine's sendmail for small hosts, cron, git) ---------
    ("msmtp", "msmtp: the server sent an empty reply" + _MS_END,
     "connection_dropped", "none", MSMTP + "smtp.c#L213"),
    ("msmtp", "msmtp: the server sent an invalid reply" + _MS_END,
     "other", "none", MSMTP + "smtp.c#L217"),
    ("msmtp", "msmtp: cannot get initial OK message from server" + _MS_END,
     "other", "greeting", MSMTP + "smtp.c#L355"),
    ("msmtp", "msmtp: SMTP server does not accept EHLO or HELO commands" + _MS_END,
     "policy_rejection", "ehlo", MSMTP + "smtp.c#L417"),
    ("msmtp", "msmtp: command STARTTLS failed" + _MS_END,
     "starttls_unavailable", "starttls", MSMTP + "smtp.c#L585"),
    ("msmtp", "msmtp: command AUTH PLAIN failed" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L663"),
    ("msmtp", "msmtp: authentication failed (method PLAIN)" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L668"),
    ("msmtp", "msmtp: authentication failed (method XOAUTH2)" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1070"),
    ("msmtp", "msmtp: the server does not support authentication method CRAM-MD5" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1192"),
    ("msmtp", "msmtp: cannot find a usable authentication method" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1292"),
    ("msmtp", "msmtp: authentication method PLAIN needs a user name" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1305"),
    ("msmtp", "msmtp: authentication method LOGIN needs a password" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1318"),
    ("msmtp", "msmtp: GNU SASL: authentication method GSSAPI not supported" + _MS_END,
     "authentication", "auth", MSMTP + "smtp.c#L1205"),
    ("msmtp", "msmtp: the server does not support authentication" + _MS_END,
     "authentication", "auth", MSMTP + "msmtp.c#L1572"),
    ("msmtp", "msmtp: envelope from address noreply@example.com not accepted by the server"
     + _MS_END, "policy_rejection", "mail_from", MSMTP + "smtp.c#L1781"),
    ("msmtp", "msmtp: recipient address user@example.org not accepted by the server" + _MS_END,
     "recipient", "rcpt_to", MSMTP + "smtp.c#L1800"),
    ("msmtp", "msmtp: the server does not accept mail data" + _MS_END,
     "other", "data", MSMTP + "smtp.c#L1819"),
    ("msmtp", "msmtp: the server did not accept the mail" + _MS_END,
     "other", "message", MSMTP + "smtp.c#L2059"),
    ("msmtp", "msmtp: the server refuses to send the mail to user@example.org" + _MS_END,
     "recipient", "rcpt_to", MSMTP + "smtp.c#L2123"),
    ("msmtp", "msmtp: cannot connect to smtp.example.com, port 587: Connection timed out"
     + _MS_END, "firewall_block", "connect", MSMTP + "net.c#L676"),
    ("msmtp", "msmtp: cannot locate host smtp.example.com: Name or service not known" + _MS_END,
     "dns_resolution", "dns", MSMTP + "net.c#L676"),
    ("msmtp", "msmtp: network read error: the operation timed out" + _MS_END,
     "network_timeout", "none", MSMTP + "net.c#L197"),
    ("msmtp", "msmtp: network write error: Broken pipe" + _MS_END,
     "connection_dropped", "none", MSMTP + "net.c#L264"),
    ("msmtp", "msmtp: TLS certificate verification failed: the certificate hasn't got a known "
     "issuer" + _MS_END, "tls_certificate", "tls_handshake", MSMTP + "mtls-gnutls.c#L329"),
    ("msmtp", "msmtp: TLS certificate verification failed: the certificate owner does not "
     "match hostname smtp.example.com" + _MS_END,
     "tls_certificate", "tls_handshake", MSMTP + "mtls-openssl.c#L617"),
    ("msmtp", "msmtp: TLS certificate verification failed: the certificate fingerprint does "
     "not match" + _MS_END, "tls_certificate", "tls_handshake", MSMTP + "mtls-gnutls.c#L271"),
    ("msmtp", "msmtp: TLS handshake failed: The TLS connection was non-properly terminated."
     + _MS_END, "tls_handshake_failure", "tls_handshake", MSMTP + "mtls-gnutls.c#L568"),
    ("msmtp", "msmtp: cannot read from TLS connection: a protocol violating EOF occurred"
     + _MS_END, "connection_dropped", "none", MSMTP + "mtls-openssl.c#L801"),
    ("msmtp", "msmtp: the server does not support DSN" + _MS_END,
     "other", "none", MSMTP + "msmtp.c#L1561"),
    ("msmtp", "msmtp: proxy failure: connection refused" + _MS_END,
     "firewall_block", "connect", MSMTP + "net.c#L636"),
    ("msmtp", "msmtp: proxy failure: host unreachable" + _MS_END,
     "firewall_block", "connect", MSMTP + "net.c#L633"),
    # --- nodemailer (Node.js; every Node application's SMTP) ------------------------------
    ("nodemailer", "Error: Invalid greeting. response=554 5.7.1 Service unavailable; Client host "
     "[192.0.2.1] blocked using zen.spamhaus.org { code: 'EPROTOCOL', command: 'CONN' }",
     "policy_rejection", "greeting", NODEMAILER + "#L1438"),
    ("nodemailer", "Error: Invalid greeting. response=421 Too many concurrent SMTP connections; "
     "please try again later. { code: 'EPROTOCOL', command: 'CONN' }",
     "rate_limited", "greeting", NODEMAILER + "#L1438"),
    ("nodemailer", "Error: Invalid HELO. response=501 5.5.2 <localhost>: Helo command rejected: "
     "need fully-qualified hostname { code: 'EPROTOCOL', command: 'HELO' }",
     "policy_rejection", "ehlo", NODEMAILER + "#L1579"),
    ("nodemailer", "Error: EHLO failed but HELO does not support required STARTTLS. "
     "response=502 5.5.2 Error: command not recognized { code: 'ECONNECTION', command: 'EHLO' }",
     "starttls_unavailable", "ehlo", NODEMAILER + "#L1485"),
    ("nodemailer", "Error: Error upgrading connection with STARTTLS: 454 4.7.0 TLS not available "
     "due to local problem { code: 'ETLS', command: 'STARTTLS' }",
     "starttls_unavailable", "starttls", NODEMAILER + "#L1607"),
    ("nodemailer", "Error: Error initiating TLS - wrong version number { code: 'ETLS', command: "
     "'STARTTLS' }", "tls_handshake_failure", "tls_handshake", NODEMAILER + "#L1613"),
    ("nodemailer", "Error: Unknown authentication method \"NTLM\" { code: 'EAUTH', command: "
     "'API' }", "authentication", "auth", NODEMAILER + "#L701"),
    ("nodemailer", "Error: Invalid login sequence while waiting for \"334 VXNlcm5hbWU6\": "
     "504 5.7.4 Unrecognized authentication type { code: 'EAUTH', command: 'AUTH LOGIN' }",
     "authentication", "auth", NODEMAILER + "#L1651"),
    ("nodemailer", "Error: Invalid login sequence while waiting for \"235\": 535 5.7.8 "
     "Authentication credentials invalid { code: 'EAUTH', command: 'AUTH CRAM-MD5' }",
     "authentication", "auth", NODEMAILER + "#L1707"),
    ("nodemailer", "Error: Message size larger than allowed 10485760",
     "message_size", "message", NODEMAILER + "#L724"),
    ("nodemailer", "Error: Can't send mail - all recipients were rejected: 550 5.1.1 "
     "<user@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
     "recipient", "rcpt_to", NODEMAILER + "#L1862"),
    ("nodemailer", "Error: Mail command failed: 530 5.7.0 Must issue a STARTTLS command first.",
     "starttls_unavailable", "mail_from", NODEMAILER + "#L1811"),
    ("nodemailer", "Error: Recipient command failed: 554 5.7.1 <user@example.org>: Relay access "
     "denied", "policy_rejection", "rcpt_to", NODEMAILER + "#L1845"),
    ("nodemailer", "Error: Data command failed: 554 5.5.1 Error: no valid recipients",
     "recipient", "data", NODEMAILER + "#L1886"),
    ("nodemailer", "Error: Message failed: 552 5.3.4 Message size exceeds fixed maximum message "
     "size", "message_size", "message", NODEMAILER + "#L1913"),
    ("nodemailer", "Error: Message failed for recipient user@example.org: 452 4.2.2 Mailbox "
     "full { code: 'EMESSAGE', command: 'DATA' }", "recipient", "message", NODEMAILER + "#L1931"),
    ("nodemailer", "Error: Cannot SEND - smtp connection socket is already destroyed.",
     "connection_dropped", "none", NODEMAILER + "#L1984"),
    ("nodemailer", "Error: Cannot SEND - smtp connection socket is already half-closed.",
     "connection_dropped", "none", NODEMAILER + "#L1988"),
    ("nodemailer", "Error: Connection closed unexpectedly { code: 'ETLS', command: 'CONN' }",
     "connection_dropped", "none", NODEMAILER + "#L990"),
    ("nodemailer", "Error: Greeting never received { code: 'ETIMEDOUT', command: 'CONN' }",
     "network_timeout", "greeting", NODEMAILER + "#L853"),
    ("nodemailer", "Error: Could not reset session state. response=421 4.4.2 mx.example.com "
     "Error: timeout exceeded { code: 'EPROTOCOL', command: 'RSET' }",
     "network_timeout", "none", NODEMAILER + "#L793"),
    # --- curl (its SMTP protocol: scripts, monitors, CI jobs) -----------------------------
    ("curl", "curl: (67) Login denied", "authentication", "auth", CURL + "smtp.c#L1216"),
    ("curl", "curl: (67) Remote access denied: 535", "authentication", "auth",
     CURL + "smtp.c#L1309"),
    ("curl", "curl: (64) STARTTLS denied, code 454", "starttls_unavailable", "starttls",
     CURL + "smtp.c#L1187"),
    ("curl", "curl: (64) STARTTLS not supported.", "starttls_unavailable", "starttls",
     CURL + "smtp.c#L1283"),
    ("curl", "curl: (55) MAIL failed: 530", "authentication", "mail_from", CURL + "smtp.c#L1401"),
    ("curl", "curl: (55) MAIL failed: 553", "policy_rejection", "mail_from",
     CURL + "smtp.c#L1401"),
    ("curl", "curl: (55) RCPT failed: 550", "recipient", "rcpt_to", CURL + "smtp.c#L1436"),
    ("curl", "curl: (55) RCPT failed: 550 (last error)", "recipient", "rcpt_to",
     CURL + "smtp.c#L1455"),
    ("curl", "curl: (55) DATA failed: 451", "service_unavailable", "data", CURL + "smtp.c#L1481"),
    ("curl", "curl: (8) Got unexpected smtp-server response: 421", "service_unavailable", "none",
     CURL + "smtp.c#L1163"),
    ("curl", "curl: (8) Unexpectedly short EHLO response", "other", "ehlo",
     CURL + "smtp.c#L1292"),
    ("curl", "curl: (7) Failed to connect to smtp.example.com port 587 after 21045 ms: "
     "Couldn't connect to server", "firewall_block", "connect", CURL + "connect.c"),
    ("curl", "curl: (28) Connection timed out after 10001 milliseconds", "firewall_block",
     "connect", CURL + "connect.c"),
    ("curl", "curl: (6) Could not resolve host: smtp.example.com", "dns_resolution", "dns",
     CURL + "strerror.c"),
    ("curl", "curl: (35) OpenSSL/3.0.2: error:0A00010B:SSL routines::wrong version number",
     "tls_handshake_failure", "tls_handshake", CURL + "vtls/openssl.c"),
    ("curl", "curl: (60) SSL certificate problem: unable to get local issuer certificate",
     "tls_certificate", "tls_handshake", CURL + "vtls/openssl.c"),
    ("curl", "curl: (56) Recv failure: Connection reset by peer", "connection_dropped", "none",
     CURL + "cf-socket.c"),
    # --- MailKit (.NET's recommended SMTP client) -----------------------------------------
    ("mailkit", "MailKit.Net.Smtp.SmtpProtocolException: The SMTP server has unexpectedly "
     "disconnected.", "connection_dropped", "none", MAILKIT + "MailKit/Net/Smtp/SmtpStream.cs#L255"),
    ("mailkit", "MailKit.Net.Smtp.SmtpProtocolException: Unable to parse status code returned "
     "by the server.", "other", "none", MAILKIT + "MailKit/Net/Smtp/SmtpStream.cs#L488"),
    ("mailkit", "MailKit.Net.Smtp.SmtpProtocolException: The status codes returned by the "
     "server did not match.", "other", "none", MAILKIT + "MailKit/Net/Smtp/SmtpStream.cs#L498"),
    ("mailkit", "System.NotSupportedException: The SMTP server does not support authentication.",
     "authentication", "auth", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L1005"),
    ("mailkit", "System.NotSupportedException: No compatible authentication mechanisms found.",
     "authentication", "auth", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L1277"),
    ("mailkit", "System.NotSupportedException: The SMTP server does not support the STARTTLS "
     "extension.", "starttls_unavailable", "starttls",
     MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L1369"),
    ("mailkit", "System.NotSupportedException: The SMTP server does not support the 8BITMIME "
     "extension.", "other", "none", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L2387"),
    ("mailkit", "MailKit.ServiceNotConnectedException: The SmtpClient is not connected.",
     "connection_dropped", "none", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L1789"),
    ("mailkit", "MailKit.ServiceNotConnectedException: The SmtpClient must be connected before "
     "you can authenticate.", "connection_dropped", "auth",
     MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L999"),
    ("mailkit", "MailKit.Net.Smtp.SmtpCommandException: No recipients were accepted.",
     "recipient", "rcpt_to", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs#L2478"),
    ("mailkit", "MailKit.Security.AuthenticationException: 535: 5.7.8 Username and Password not "
     "accepted.", "authentication", "auth", MAILKIT + "MailKit/Net/Smtp/SmtpClient.cs"),
    ("mailkit", "MailKit.Security.SslHandshakeException: An error occurred while attempting to "
     "establish an SSL or TLS connection.", "tls_handshake_failure", "tls_handshake",
     MAILKIT + "MailKit/Security/SslHandshakeException.cs#L66"),
    # --- Postfix's SMTP client (smtp(8): the delivery agent's own reasons) ----------------
    ("postfix", "connect to mx.example.org[192.0.2.1]:25: Connection refused",
     "firewall_block", "connect", POSTFIX + "smtp/smtp_connect.c#L335"),
    ("postfix", "connect to mx.example.org[192.0.2.1]:25: No route to host",
     "firewall_block", "connect", POSTFIX + "smtp/smtp_connect.c#L335"),
    ("postfix", "lost connection with mx.example.org[192.0.2.1] while receiving the initial "
     "server greeting", "connection_dropped", "greeting", POSTFIX + "smtp/smtp_trouble.c#L475"),
    ("postfix", "lost connection with mx.example.org[192.0.2.1] while sending RCPT TO",
     "connection_dropped", "rcpt_to", POSTFIX + "smtp/smtp_trouble.c#L475"),
    ("postfix", "lost connection with mx.example.org[192.0.2.1] while sending end of data -- "
     "message may be sent more than once", "connection_dropped", "message",
     POSTFIX + "smtp/smtp_trouble.c#L475"),
    ("postfix", "conversation with mx.example.org[192.0.2.1] timed out while sending message "
     "body", "network_timeout", "message", POSTFIX + "smtp/smtp_trouble.c#L483"),
    ("postfix", "conversation with mx.example.org[192.0.2.1] timed out while receiving the "
     "initial server greeting", "network_timeout", "greeting",
     POSTFIX + "smtp/smtp_trouble.c#L483"),
    ("postfix", "local data error while talking to mx.example.org[192.0.2.1]",
     "other", "none", POSTFIX + "smtp/smtp_trouble.c#L492"),
    ("postfix", "Host or domain name not found. Name service error for name=example.org type=MX: "
     "Host not found, try again", "dns_resolution", "dns", POSTFIX + "smtp/smtp_addr.c"),
    ("postfix", "unable to look up host mx.example.org: Name or service not known",
     "dns_resolution", "dns", POSTFIX + "smtp/smtp_addr.c#L251"),
    ("postfix", "mx.example.org: host not found", "dns_resolution", "dns",
     POSTFIX + "smtp/smtp_addr.c#L279"),
    ("postfix", "TLS is required, but was not offered by host mx.example.org[192.0.2.1]",
     "starttls_unavailable", "starttls", POSTFIX + "smtp/smtp_proto.c#L943"),
    ("postfix", "TLS is required, but host mx.example.org[192.0.2.1] refused to start TLS: 454 "
     "4.7.0 TLS not available due to local problem", "starttls_unavailable", "starttls",
     POSTFIX + "smtp/smtp_proto.c#L890"),
    ("postfix", "Server certificate not verified", "tls_certificate", "tls_handshake",
     POSTFIX + "smtp/smtp_proto.c#L1349"),
    ("postfix", "Cannot start TLS: handshake failure", "tls_handshake_failure", "tls_handshake",
     POSTFIX + "smtp/smtp_proto.c#L1277"),
    ("postfix", "SASL authentication failed; server smtp.example.com[192.0.2.1] said: 535 5.7.8 "
     "Error: authentication failed: authentication failure", "authentication", "auth",
     POSTFIX + "smtp/smtp_sasl_glue.c#L465"),
    ("postfix", "SASL authentication failed; cannot authenticate to server "
     "smtp.example.com[192.0.2.1]: no mechanism available", "authentication", "auth",
     POSTFIX + "smtp/smtp_sasl_glue.c#L364"),
    ("postfix", "server smtp.example.com[192.0.2.1] offered no compatible authentication "
     "mechanisms for this type of connection security", "authentication", "auth",
     POSTFIX + "smtp/smtp_sasl_proto.c#L145"),
    ("postfix", "host mx.example.org[192.0.2.1] refused to talk to me: 554 5.7.1 Service "
     "unavailable; Client host [198.51.100.1] blocked using zen.spamhaus.org",
     "policy_rejection", "greeting", POSTFIX + "smtp/smtp_proto.c#L383"),
    ("postfix", "message size 31457280 exceeds size limit 26214400 of server "
     "mx.example.org[192.0.2.1]", "message_size", "message", POSTFIX + "smtp/smtp_proto.c#L2707"),
    ("postfix", "mail for example.org loops back to myself", "other", "none",
     POSTFIX + "smtp/smtp_addr.c#L728"),
)


def main(argv: list[str]) -> int:
    from smtpdoctor.diagnosis import classify

    only = argv[argv.index("--product") + 1] if "--product" in argv else None
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[str] = Counter()
    for product, text, category, stage, _source in ROWS:
        if only and product != only:
            continue
        c = classify(text)
        total[product] += 1
        cat_ok = c.category.value == category
        stage_ok = c.stage.value == stage
        right[product, "category"] += cat_ok
        right[product, "stage"] += stage_ok
        if "--misses" in argv and not (cat_ok and stage_ok):
            print(
                f"MISS {product}: {text[:110]!r}\n   want {category}/{stage} "
                f"got {c.category.value}/{c.stage.value} {list(c.matched)[:3]}"
            )
    for product in total:
        n = total[product]
        print(
            f"{product:12} category {right[product, 'category']}/{n}  "
            f"stage {right[product, 'stage']}/{n}"
        )
    n = sum(total.values())
    cats = sum(v for (_p, k), v in right.items() if k == "category")
    stages = sum(v for (_p, k), v in right.items() if k == "stage")
    print(f"{'all':12} category {cats}/{n}  stage {stages}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
