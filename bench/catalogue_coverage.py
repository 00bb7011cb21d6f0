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
QMAIL = "https://github.com/notqmail/notqmail/blob/a7012e4fdf2f82f6aa5abe2f57e20831d238d774/"
SENDMAIL = (
    "https://github.com/deepin-community/sendmail/blob/c7e7de44d95651fef2967c9e1623bb204f250bb3/"
    "sendmail/"
)
RUBY = (
    "https://github.com/ruby/net-smtp/blob/a0075eb8a74910bd05566f0a208589263bce7597/"
    "lib/net/smtp.rb"
)
LETTRE = (
    "https://github.com/lettre/lettre/blob/fa402db598b2a3847752b8f2764a2274189d6aba/"
    "src/transport/smtp/error.rs"
)
JAKARTA = (
    "https://github.com/eclipse-ee4j/angus-mail/blob/eca8e08baa56a83ab68ae3faaca25d8ca3c0e5ee/"
    "providers/smtp/src/main/java/org/eclipse/angus/mail/smtp/SMTPTransport.java"
)
SYMFONY = "https://github.com/symfony/mailer/blob/eb0c3187c7ddfde12d8aa0e1fa5fb29e730a41e0/"
SMTPLIB = "https://github.com/python/cpython/blob/37bfecd2bc71961cbb30b28af3982159ca04601c/Lib/smtplib.py"
GOSMTP = "https://github.com/golang/go/blob/07858f11a8fc8ae91c010664631a54e9379e6f26/src/net/smtp/"
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
     "'STARTTLS' }", "tls_handshake_failure", "starttls", NODEMAILER + "#L1613"),
    # (corrected after the first run from tls_handshake: nodemailer's command key states
    # the stage, a settled convention, docs/explain.md "What decides" item 4)
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
    # --- qmail (notqmail's qmail-remote, qmail-local, qmail-send: the bounce's own lines) --
    ("qmail", "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)",
     "firewall_block", "connect", QMAIL + "qmail-remote.c#L63"),
    ("qmail", "Sorry, I couldn't find any host by that name. (#4.1.2)",
     "dns_resolution", "dns", QMAIL + "qmail-remote.c#L68"),
    ("qmail", "Sorry, I couldn't find any host named example.org. (#5.1.2)",
     "dns_resolution", "dns", QMAIL + "qmail-remote.c#L78"),
    ("qmail", "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
     "dns_resolution", "dns", QMAIL + "qmail-remote.c#L82"),
    ("qmail", "CNAME lookup failed temporarily. (#4.4.3)", "dns_resolution", "dns",
     QMAIL + "qmail-remote.c#L66"),
    ("qmail", "Sorry. Although I'm listed as a best-preference MX or A for that host,\nit isn't in "
     "my control/locals file, so I don't treat it as local. (#5.4.6)", "other", "none",
     QMAIL + "qmail-remote.c#L85"),
    ("qmail", "Connected to 192.0.2.1 but greeting failed.", "other", "greeting",
     QMAIL + "qmail-remote.c#L224"),
    ("qmail", "Connected to 192.0.2.1 but sender was rejected.", "policy_rejection", "mail_from",
     QMAIL + "qmail-remote.c#L237"),
    ("qmail", "192.0.2.1 does not like recipient.", "recipient", "rcpt_to",
     QMAIL + "qmail-remote.c#L249"),
    ("qmail", "192.0.2.1 failed on DATA command.", "other", "data", QMAIL + "qmail-remote.c#L264"),
    ("qmail", "192.0.2.1 failed after I sent the message.", "other", "message",
     QMAIL + "qmail-remote.c#L270"),
    ("qmail", "SMTP cannot transfer messages with partial final lines. (#5.6.2)", "other",
     "message", QMAIL + "qmail-remote.c#L74"),
    ("qmail", "Sorry, no mailbox here by that name. (#5.1.1)", "recipient", "rcpt_to",
     QMAIL + "qmail-local.c#L590"),
    ("qmail", "This message is looping: it already has my Delivered-To line. (#5.4.6)", "other",
     "none", QMAIL + "qmail-local.c#L312"),
    ("qmail", "I'm not going to try again; this message has been in the queue too long.",
     "other", "none", QMAIL + "qmail-send.c#L921"),
    # --- Sendmail as a client (deliver.c, usersmtp.c, err.c, util.c, envelope.c) ----------
    ("sendmail", "Deferred: Connection refused by mx.example.org.", "firewall_block", "connect",
     SENDMAIL + "err.c#L1222"),
    ("sendmail", "Deferred: Connection timed out with mx.example.org.", "firewall_block",
     "connect", SENDMAIL + "err.c#L1180"),
    ("sendmail", "Host mx.example.org is down", "firewall_block", "connect",
     SENDMAIL + "err.c#L1215"),
    ("sendmail", "451 4.4.1 reply: read error from mx.example.org", "connection_dropped", "none",
     SENDMAIL + "usersmtp.c#L3287"),
    ("sendmail", "421 4.4.1 Connection reset by mx.example.org", "connection_dropped", "none",
     SENDMAIL + "usersmtp.c#L3275"),
    ("sendmail", "timeout waiting for input from mx.example.org during client greeting",
     "network_timeout", "greeting", SENDMAIL + "util.c#L1460"),
    ("sendmail", "timeout waiting for input from mx.example.org during client RCPT",
     "network_timeout", "rcpt_to", SENDMAIL + "util.c#L1460"),
    ("sendmail", "451 4.4.1 timeout writing message to mx.example.org", "network_timeout",
     "message", SENDMAIL + "usersmtp.c#L2903"),
    ("sendmail", "553 5.3.5 mx.example.org config error: mail loops back to me (MX problem?)",
     "other", "none", SENDMAIL + "usersmtp.c#L260"),
    ("sendmail", "504 SMTPUTF8 required but not offered", "other", "none",
     SENDMAIL + "usersmtp.c#L2115"),
    # (corrected after the first run from none: an enhanced code's usual stage, "What
    # decides" item 5)
    ("sendmail", "554 5.6.3 mx.example.org does not support 8BITMIME", "other", "message",
     SENDMAIL + "usersmtp.c#L2182"),
    # (the two below and qmail's queue line corrected after the first run from
    # network_timeout: "a queue expiry or a loop is `other`", docs/explain.md)
    ("sendmail", "Cannot send message for 5 days", "other", "none",
     SENDMAIL + "envelope.c#L320"),
    ("sendmail", "Warning: could not send message for past 4 hours", "other", "none",
     SENDMAIL + "envelope.c#L417"),
    ("sendmail", "Deferred: DNS failure: CNAME loop for example.org", "dns_resolution", "dns",
     SENDMAIL + "domain.c#L1618"),
    # --- Ruby net-smtp (Rails' Action Mailer) ---------------------------------------------
    ("ruby", "Net::SMTPUnsupportedCommand: STARTTLS is not supported on this server",
     "starttls_unavailable", "starttls", RUBY + "#L680"),
    ("ruby", "Net::SMTPUnknownError: could not get 3xx (550: 550 5.7.1 Relaying denied)",
     "policy_rejection", "rcpt_to", RUBY + "#L1042"),
    # (corrected after the first run from none: relaying refused answers RCPT TO, session
    # 21 stages3)
    ("ruby", "Net::SMTPServerBusy: 421 4.7.0 Try again later, closing connection.",
     "service_unavailable", "none", RUBY),
    ("ruby", "Net::SMTPFatalError: 550 5.1.1 <user@example.org>: Recipient address rejected: "
     "User unknown in local recipient table", "recipient", "rcpt_to", RUBY),
    # (corrected after the first run from other: a reply quoting HELO's syntax is the
    # HELO name judged, session 18's c18.wording.command_usage_helo)
    ("ruby", "Net::SMTPSyntaxError: 501 5.5.4 Syntax: EHLO hostname", "policy_rejection", "ehlo",
     RUBY),
    ("ruby", "Net::OpenTimeout: execution expired", "firewall_block", "connect", RUBY),
    ("ruby", "Net::ReadTimeout: Net::ReadTimeout with #<TCPSocket:(closed)>", "network_timeout",
     "none", RUBY),
    # --- lettre (Rust) --------------------------------------------------------------------
    ("lettre", "permanent error (550): 5.1.1 The email account that you tried to reach does not "
     "exist.", "recipient", "rcpt_to", LETTRE + "#L151"),
    ("lettre", "transient error (421): 4.7.0 Try again later, closing connection.",
     "service_unavailable", "none", LETTRE + "#L148"),
    ("lettre", "Connection error: Connection refused (os error 111)", "firewall_block",
     "connect", LETTRE + "#L143"),
    ("lettre", "network error: Connection reset by peer (os error 104)", "connection_dropped",
     "none", LETTRE + "#L142"),
    ("lettre", "tls error: invalid peer certificate: UnknownIssuer", "tls_certificate",
     "tls_handshake", LETTRE + "#L145"),
    ("lettre", "permanent error (535): 5.7.8 Username and Password not accepted.",
     "authentication", "auth", LETTRE + "#L151"),
    # --- Jakarta Mail / JavaMail (Angus Mail's SMTP provider) ------------------------------
    ("jakarta", "jakarta.mail.MessagingException: STARTTLS is required but host does not "
     "support STARTTLS", "starttls_unavailable", "starttls", JAKARTA + "#L752"),
    ("jakarta", "jakarta.mail.AuthenticationFailedException: No authentication mechanisms "
     "supported by both server and client", "authentication", "auth", JAKARTA + "#L870"),
    ("jakarta", "jakarta.mail.SendFailedException: Invalid Addresses;\n  nested exception is:\n"
     "\torg.eclipse.angus.mail.smtp.SMTPAddressFailedException: 550 5.1.1 <user@example.org>: "
     "Recipient address rejected: User unknown", "recipient", "rcpt_to", JAKARTA + "#L2097"),
    ("jakarta", "jakarta.mail.MessagingException: Got bad greeting from SMTP host: "
     "smtp.example.com, port: 25, response: 554 5.7.1 Service unavailable", "policy_rejection",
     "greeting",
     # (corrected after the first run from other: the quoted reply decides, item 1)
     JAKARTA + "#L2232"),
    ("jakarta", "jakarta.mail.MessagingException: Can't send command to SMTP host;\n  nested "
     "exception is:\n\tjava.net.SocketException: Broken pipe", "connection_dropped", "none",
     JAKARTA + "#L2465"),
    ("jakarta", "jakarta.mail.MessagingException: Exception reading response;\n  nested "
     "exception is:\n\tjava.net.SocketTimeoutException: Read timed out", "network_timeout",
     "none", JAKARTA + "#L2520"),
    ("jakarta", "jakarta.mail.MessagingException: IOException while sending message;\n  nested "
     "exception is:\n\tjava.net.SocketException: Connection reset", "connection_dropped",
     "message", JAKARTA + "#L1355"),
    ("jakarta", "jakarta.mail.MessagingException: Could not start protocol to SMTP host: "
     "smtp.example.com, port: 25, response: -1", "connection_dropped", "greeting",
     JAKARTA + "#L2303"),
    ("jakarta", "jakarta.mail.SendFailedException: No recipient addresses", "other", "none",
     JAKARTA + "#L1255"),
    # --- Symfony Mailer (Laravel's and Symfony's mailer) ----------------------------------
    ("symfony", "Failed to find an authenticator supported by the SMTP server, which currently "
     "supports: \"login\", \"plain\".", "authentication", "auth",
     SYMFONY + "Transport/Smtp/EsmtpTransport.php#L218"),
    ("symfony", "Connection to \"smtp.example.com:587\" timed out.", "network_timeout", "none",
     SYMFONY + "Transport/Smtp/Stream/AbstractStream.php#L85"),
    ("symfony", "Connection to \"smtp.example.com:587\" has been closed unexpectedly.",
     "connection_dropped", "none", SYMFONY + "Transport/Smtp/Stream/AbstractStream.php#L88"),
    ("symfony", "Unable to write bytes on the wire.", "connection_dropped", "none",
     SYMFONY + "Transport/Smtp/Stream/AbstractStream.php#L50"),
    ("symfony", "Connection could not be established with host \"ssl://smtp.example.com:465\": "
     "stream_socket_client(): Unable to connect to ssl://smtp.example.com:465 (Connection "
     "refused)", "firewall_block", "connect", SYMFONY + "Transport/Smtp/Stream/SocketStream.php#L154"),
    ("symfony", "Expected response code \"250\" but got code \"550\", with message \"550 5.7.1 "
     "<noreply@example.com>: Sender address rejected: not owned by user app@example.com\".",
     "policy_rejection", "mail_from", SYMFONY + "Transport/Smtp/SmtpTransport.php#L333"),
    ("symfony", "Process could not be started: sh: 1: /usr/sbin/sendmail: not found", "other",
     "none", SYMFONY + "Transport/Smtp/Stream/ProcessStream.php#L44"),
    # --- Python smtplib -------------------------------------------------------------------
    ("smtplib", "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.",
     "authentication", "auth", SMTPLIB),
    ("smtplib", "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.",
     "starttls_unavailable", "starttls", SMTPLIB),
    ("smtplib", "smtplib.SMTPException: No suitable authentication method found.",
     "authentication", "auth", SMTPLIB),
    ("smtplib", "smtplib.SMTPServerDisconnected: Connection unexpectedly closed: timed out",
     "network_timeout", "none", SMTPLIB),
    ("smtplib", "smtplib.SMTPHeloError: (501, b'5.5.4 Invalid domain name')", "policy_rejection",
     "ehlo", SMTPLIB),
    ("smtplib", "smtplib.SMTPNotSupportedError: SMTPUTF8 not supported by server", "other",
     "none", SMTPLIB),
    ("smtplib", "smtplib.SMTPDataError: (554, b'5.7.1 Message rejected as spam')",
     "policy_rejection", "message", SMTPLIB),
    ("smtplib", "smtplib.SMTPSenderRefused: (530, b'5.7.0 Authentication Required', "
     "'noreply@example.com')", "authentication", "mail_from", SMTPLIB),
    # --- Go net/smtp ----------------------------------------------------------------------
    ("gosmtp", "smtp: server doesn't support AUTH", "authentication", "auth",
     GOSMTP + "smtp.go"),
    ("gosmtp", "unencrypted connection", "starttls_unavailable", "auth", GOSMTP + "auth.go"),
    ("gosmtp", "wrong host name", "authentication", "auth", GOSMTP + "auth.go"),
    ("gosmtp", "535 5.7.8 Username and Password not accepted.", "authentication", "auth",
     GOSMTP + "smtp.go"),
    ("gosmtp", "dial tcp 192.0.2.1:25: connect: connection timed out", "firewall_block",
     "connect", GOSMTP + "smtp.go"),
    ("gosmtp", "x509: certificate signed by unknown authority", "tls_certificate",
     "tls_handshake", GOSMTP + "smtp.go"),
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
