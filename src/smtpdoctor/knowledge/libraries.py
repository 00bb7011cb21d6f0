"""What client libraries and applications say when sending mail fails.

Many mail problems are first seen by an application, not an MTA: Python
``smtplib``, Node's nodemailer, .NET ``SmtpClient`` and MailKit, JavaMail
(Jakarta Mail), Go ``net/smtp``, Rust ``lettre``, Erlang ``gen_smtp``,
PHPMailer and Ruby ``Net::SMTP``. Their exception names and messages are
stable API; each pattern says what the library means by it and at which
stage of the session it is raised (from the libraries' own documentation
and sources; the corpus names a public report for each).

A reply the library quotes ("535 5.7.8 ...") is still read by the
classifier; these patterns only decide where the library's own words say
more than the quoted code, or where there is no code at all.
"""

from __future__ import annotations

import re

from smtpdoctor.knowledge.client_catalogues import CATALOGUE_PATTERNS
from smtpdoctor.knowledge.client_languages import (
    CLIENT_LANGUAGE_PATTERNS,
    LOCAL_CLIENT_PATTERNS,
)
from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.knowledge.roundcube_labels import ROUNDCUBE_PATTERNS
from smtpdoctor.knowledge.stage_wording import LOCALISED_CLAUSE as _LOCALISED
from smtpdoctor.knowledge.stage_wording import LOCALISED_NOT_LISTED as _NOT_LISTED
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["LIBRARY_PATTERNS", "rust_reply_codes"]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_DROP = "connection_drop"
# What a client's own "could not connect" words mean, and their usual causes.
_NO_CONNECT = (
    "The client could not open a connection to the SMTP server.",
    "Wrong host or port, a firewall or the provider blocking the port, or the server is down.",
)
# (a reply code after the client's words: the code's own reading decides)
_NO_CODE = r"(?![245]\d\d\b)"
_LIB = "library"

LIBRARY_PATTERNS: tuple[TextPattern, ...] = (
    # Widely used mail software's own sentences, read whole from its source (session 22,
    # knowledge/client_catalogues.py).
    *CATALOGUE_PATTERNS,
    pattern(
        "library.eof_at_connect",
        # PHPMailer reports "Could not authenticate" after any failed connect;
        # the EOF notice before it says the server closed the connection.
        r"EOF caught while checking if connected",
        _C.CONNECTION_DROPPED,
        "The server closed the connection right after it was opened, before the "
        "client could log in.",
        "Wrong port or TLS mode (implicit TLS on 465 vs STARTTLS on 587), or the "
        "server or a firewall drops this client.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    pattern(
        "library.empty_greeting",
        # PHPMailer's debug output: the socket opened, the server's first line (the
        # 220 greeting) came back empty and the client gave up (GLPI, WordPress plugins).
        r"Connection: opened[^\n]*\n[^\n]*SERVER -> CLIENT: *(?:\d{4}-\d\d-\d\d[^\n]*)?\n"
        r"[^\n]*Connection: closing due to error",
        _C.CONNECTION_DROPPED,
        "The connection opened but the server sent no greeting before it was closed.",
        "Wrong port or TLS mode (implicit TLS on 465 vs plain SMTP), or a service that "
        "is not SMTP listens there; a firewall or filter that hangs up on this client.",
        source=_LIB,
        stage=_S.GREETING,
        permanence=_T,
        kind=_DROP,
    ),
    pattern(
        "library.disconnected",
        # Python smtplib raises it when the server closed the socket (or the
        # session was never opened: "please run connect() first"); Swift/Symfony
        # Mailer report a closed socket as an empty reply.
        r"\bSMTPServerDisconnected\b|please run connect\(\) first|"
        r"Expected response code \"?\d{3}(?:/\d{3})*\"? but got (?:an empty response|"
        # (Symfony Mailer 6+ words the same empty reply "but got empty code")
        r"empty code\b|code \"\", with message \"\")",
        _C.CONNECTION_DROPPED,
        "The server closed the connection without a reply the client could read.",
        "The server or a firewall drops this client (wrong port or TLS mode, a "
        "connection limit, or a filter that silently hangs up).",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    # Swift/Symfony Mailer (and PHPMailer-like clients) expecting one reply and getting a
    # positive or intermediate one ("Expected response code "354" but got code "250", with
    # message "250 2.1.5 Ok""): the session is out of step (a pipelining desync, a reply to
    # an earlier command read late), not a refusal and not a success.
    pattern(
        "library.reply_out_of_step",
        r"Expected response code \"?\d{3}(?:/\d{3})*\"? but got code \"?[23]\d\d\b",
        _C.OTHER,
        "The client got a positive reply where it expected another: client and server "
        "are out of step in the session.",
        "A reply to an earlier command read late (pipelining, a proxy or filter that "
        "answers on the server's behalf), or two messages sent on one connection at once.",
        source=_LIB,
        permanence=_T,
    ),
    # --- authentication ---------------------------------------------------------------
    pattern(
        "library.auth_tls_first",
        # (session 14) A login exception (Ruby's Net::SMTPAuthenticationError, smtplib's
        # SMTPAuthenticationError, JavaMail's AuthenticationFailedException) only says the
        # AUTH step raised it; a reply it quotes that asks for STARTTLS first says why.
        r"\bMust issue (?:a )?STARTTLS command first\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server wants the session encrypted with STARTTLS before the login, and the "
        "client tried to log in without it.",
        "The client's TLS setting is off or set to implicit TLS on a STARTTLS port "
        "(587/25): turn on STARTTLS.",
        source=_LIB,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "library.tls_not_offered",
        # (session 14) A client that requires TLS and found no STARTTLS in the server's
        # EHLO reply: Twisted's TLSRequiredError ("502 Server does not support secure
        # communication via TLS / SSL", Synapse, Buildbot and every twisted.mail client).
        r"\bTLSRequiredError\b|\bdoes not support secure communication\b",
        _C.STARTTLS_UNAVAILABLE,
        "The client requires an encrypted session, and the server did not offer STARTTLS.",
        "The server has no certificate or TLS turned off, or a firewall removed STARTTLS "
        "from its EHLO reply.",
        source=_LIB,
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "library.auth_failed",
        r"SMTPAuthenticationError|AuthenticationFailedException|"
        r"Net::SMTPAuthenticationError|\bInvalid login\b|\bEAUTH\b|"
        r"AuthenticationInvalidCredentials|SMTP Error: Could not authenticate|"
        r"\bauthentication_failed\b|\{error,\s*auth_failed\b|"
        r"535 Authentication failed|Authentication unsuccessful|"
        r"Username and Password not accepted|authentication credentials invalid|"
        # libcurl's CURLE_LOGIN_DENIED, as curl and the applications on libcurl print it
        r"(?:lib)?curl: \(67\)|\bCURLE_LOGIN_DENIED\b|\bLogin denied\b|"
        # mail clients' own words (Thunderbird's smtpAuthFailure, smtpAuthGssapi,
        # smtpHintAuthPlainToEncrypt): the login, its ticket or its mechanism refused
        r"Unable to authenticate to (?:the )?Outgoing server\b"
        r"(?![^\n]{0,80}does not support authentication)|"
        r"\bticket was not accepted by\b|\bdoes not allow plaintext passwords\b",
        _C.AUTHENTICATION,
        "The server refused the user name and password (or token) the client sent with AUTH.",
        "Wrong password, or the provider wants an app password or OAuth2 instead of "
        "the account password (Gmail, Microsoft 365 with security defaults).",
        "SMTP AUTH is disabled for the mailbox or the tenant (Microsoft 365: "
        "Set-CASMailbox -SmtpClientAuthenticationDisabled).",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.auth_unencrypted",
        # Go's net/smtp PlainAuth will not send a password over a connection TLS does not
        # protect ("error authenticating: unencrypted connection"; Mattermost's "Failed to
        # authenticate on SMTP server, unencrypted connection")
        r"\bauthenticat\w*[^\n]{0,40}[:,] ?unencrypted connection\b|"
        # (session 22) OpenSMTPD's client, mta_session.c#L646
        r"\bRefuse to AUTH over insecure channel\b",
        _C.STARTTLS_UNAVAILABLE,
        "The client would not send the password because the connection is not "
        "encrypted: TLS was never started before AUTH.",
        "The server offered no STARTTLS on this port, or the client is not set to "
        "use STARTTLS or implicit TLS (port 465).",
        source=_LIB,
        stage=_S.AUTH,
        retry=False,
    ),
    pattern(
        "library.auth_not_offered",
        r"SMTPNotSupportedError: SMTP AUTH extension not supported|"
        r"SMTP AUTH extension (?:is )?not supported by (?:the |this )?server|"
        r"No supported authentication methods|"
        # session 9: smtplib's login() with no mechanism both sides know; Symfony
        # Mailer's EsmtpTransport with none of its authenticators in the EHLO reply
        r"\bNo suitable authentication method found\b|"
        r"\bFailed to find an authenticator supported by the SMTP server\b|"
        # nullmailer's smtp protocol
        r"\bdoes not advertise (?:any supported authentication methods|certificate "
        r"authentication)\b|"
        r"No compatible authentication mechanism|"
        r"AuthenticationNotSupported|\bNoAuthMethods\b|"
        r"The SMTP server does not support authentication|"
        r"server does not support (?:any )?authentication|smtp: server doesn't support AUTH|"
        # Thunderbird (smtpAuthMechNotSupported, smtpAuthenticationNotSupported), Mutt,
        # emailjs, go-mail: no mechanism both sides have
        r"does not support the selected authentication method|"
        r"does not support authentication \(SMTP-AUTH\)|\bNo authenticators available\b|"
        r"\bSMTP authentication requires SASL\b|\bno form of authori[sz]ation supported\b|"
        r"\bdoes not support SMTP AUTH type\b|"
        # Outlook's 0x800CCC80
        r"None of the authentication methods supported by this client are supported|"
        # gen_smtp: the EHLO reply lacked what the options require.
        r"\{missing_requirement,\s*\"[^\"]*\",\s*auth\}",
        _C.AUTHENTICATION,
        "The client wants to log in but the server does not offer AUTH (at least not "
        "before STARTTLS, or not on this port).",
        "Connected to port 25 instead of the submission port 587/465.",
        "Most servers offer AUTH only after STARTTLS; the client did not start TLS.",
        source=_LIB,
        # The step the client could not take is AUTH (it read the EHLO reply and
        # gave up before sending it), as STARTTLS not offered is read at STARTTLS
        # and as diagnose's auth.not_offered finding says (session 10).
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.starttls_not_offered",
        r"STARTTLS extension not supported by server|"
        r"SMTP server does not support STARTTLS|StartTLS is not supported|"
        r"server doesn't support STARTTLS|Server does not support STARTTLS|"
        r"host does not support STARTTLS|Server does not support secure connections|"
        # session 9: MailKit's NotSupportedException; nodemailer's requireTLS after a
        # refused EHLO (HELO cannot carry STARTTLS)
        r"does not support the STARTTLS extension|does not support required STARTTLS|"
        r"using STARTTLS since it doesn't advertise that feature|"
        r"\{missing_requirement,\s*\"[^\"]*\",\s*tls\}",
        _C.STARTTLS_UNAVAILABLE,
        "The client requires STARTTLS and the server does not offer it.",
        source=_LIB,
        stage=_S.STARTTLS,
        permanence=_PM,
        retry=False,
    ),
    # --- TLS in the client -----------------------------------------------------------------
    pattern(
        "library.tls_wrong_mode",
        r"\[SSL: WRONG_VERSION_NUMBER\]|ssl3_get_record:wrong version number|"
        r"EPROTO.*wrong version number|"
        r"The handshake failed due to an unexpected packet format|"
        r"Unsupported or unrecognized SSL message|"
        r"Received fatal alert: protocol_version|"
        r"Unrecognized SSL message, plaintext connection",
        _C.TLS_HANDSHAKE_FAILURE,
        "The client spoke TLS straight away to a port that expects plain SMTP first "
        "(STARTTLS, ports 25/587), or waited for a greeting on an implicit-TLS port "
        "(465).",
        "secure: true (nodemailer), SMTP_SSL (Python), EnableSsl with port 465 (.NET) "
        "does not match the port.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "library.tls_certificate",
        r"CERTIFICATE_VERIFY_FAILED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
        r"SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID|"
        r"PKIX path building failed|x509: certificate|RemoteCertificateNameMismatch|"
        # Go without its "x509:" prefix; a peer's TLS alert that it refused ours
        r"certificate signed by unknown authority|remote error: (?:tls: )?bad certificate|"
        r"RemoteCertificateChainErrors|No subject alternative (?:DNS )?names? matching|"
        r"self[- ]signed certificate|unable to get local issuer certificate|"
        r"InvalidCertificate|certificate has expired|remote certificate was rejected|"
        r"certificate could not be validated|certificate subject does not match host|"
        # .NET SmtpClient/MailKit: "The remote certificate is invalid according to
        # the validation procedure" (RemoteCertificateValidationCallback said no).
        r"The remote certificate is invalid|"
        # rustls (lettre): "invalid peer certificate: UnknownIssuer"
        r"invalid (?:peer )?certificate: (?:UnknownIssuer|NotValidForName|Expired|BadSignature)|"
        # MailKit's SslHandshakeException names the cause it found in the chain
        r"did not match (?:the name|any of the names) given in the server's SSL certificate|"
        r"The SSL certificate for the server was not available|"
        # nullmailer (GnuTLS), dma (OpenSSL): the client's own verdict on the peer's
        r"\bcertificate is untrusted\b|\bcertificate does not match (?:the )?host ?name\b|"
        r"\bCould not verify SSL/TLS certificate\b|\bPeer did not provide (?:a )?certificate\b",
        _C.TLS_CERTIFICATE,
        "The application does not trust the server's certificate (untrusted issuer, "
        "self-signed, expired, or not for this host name).",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "library.tls_handshake",
        r"SslHandshakeException|SSLHandshakeException|"
        r"Authentication failed because the remote party has closed the transport stream|"
        r"ssl\.SSLError|SSLV3_ALERT_HANDSHAKE_FAILURE|"
        r"tls: handshake failure|tls: first record does not look|\bdh key too small\b|"
        r"\{tls_alert,|SMTP Error: Could not connect.*ssl|"
        # Python's EOF in the handshake; .NET SChannel sharing no protocol or cipher
        r"\bSSLEOFError\b|EOF occurred in violation of protocol|"
        r"Win32Exception[^\n]{0,20}The function requested is not supported|"
        # JavaMail's STARTTLS upgrade failed (a nested PKIX cause is the certificate);
        # PHP's stream layer lost the connection while enabling TLS.
        # Symfony Mailer: the server said 220 to STARTTLS, the handshake failed (bare:
        # a cause PHP's stream layer adds after a colon decides, e.g. the certificate)
        r"\bUnable to connect with STARTTLS(?![:\w])|"
        # Zend/Laminas Mail: stream_socket_enable_crypto() failed after the 220 to STARTTLS
        r"\bUnable to connect via TLS\b|"
        # PEAR Net_SMTP (osTicket, Horde, old Roundcube): the server said 220 to STARTTLS,
        # then stream_socket_enable_crypto() failed; the caller adds "authentication failure"
        r"\bSTARTTLS failed \(code: 220\b|"
        # sSMTP: SSL_connect failed after the server took STARTTLS (or on port 465)
        r"\b(?:STARTTLS|SSL) not working\b|"
        r"Could not convert socket to TLS|stream_socket_enable_crypto\(\): SSL: "
        r"(?:Connection reset|Broken pipe)|\{:?temporary_failure,\s*[^,{}]+,\s*:?tls_failed\}",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake between the application and the server failed.",
        "The two sides share no TLS version or cipher (old runtime, or a server that "
        "requires TLS 1.2+).",
        "A proxy or antivirus intercepts the connection.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # --- connection ----------------------------------------------------------------------------
    pattern(
        "library.connect_eacces",
        r"\bconnect EACCES\b|\bEACCES\b.*:(?:25|465|587)\b|Permission denied.*:(?:25|587|465)\b|"
        r"An attempt was made to access a socket in a way forbidden by its access permissions",
        _C.FIREWALL_BLOCK,
        "The operating system refused to open the connection: a local firewall, "
        "security policy (SELinux httpd_can_sendmail, antivirus) or the hosting "
        "provider forbids outbound SMTP from this program.",
        "SELinux: setsebool -P httpd_can_network_connect 1 (or httpd_can_sendmail).",
        "Antivirus 'prevent mass mailing worms' blocks port 25 for unknown programs.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    pattern(
        "library.read_timeout",
        # The connection was open, but no reply came in time (Ruby's read
        # timeout, .NET's WSAETIMEDOUT on a read, MailKit's operation timeout).
        r"Net::ReadTimeout|Unable to read data from the transport connection: A connection "
        r"attempt failed because the connected party did not properly respond|"
        r"System\.TimeoutException: Operation timed out after \d+ milliseconds",
        _C.NETWORK_TIMEOUT,
        "The connection was open, but the server's reply did not come in time.",
        "The client waits for a greeting on an implicit-TLS port (465) while the "
        "server waits for the TLS handshake, or the other way round.",
        "A slow or overloaded server, or a firewall that lets the connection open "
        "but drops what follows.",
        source=_LIB,
        permanence=_T,
    ),
    pattern(
        "library.greeting_lost",
        r"SMTPServerDisconnected: Connection unexpectedly closed|"
        r"Connection unexpectedly closed|Greeting never received|"
        r"Failed to read SMTP server greeting|net_io_connectionclosed|"
        r"Unable to read data from the transport connection|"
        r"\bEOFError\b|end of file reached|"
        r"Unable to write data to the transport connection|unexpected EOF|"
        # (MailKit appends the server's last words after a colon when it had some:
        # "... disconnected: 5.7.0 ...authentication rejected": those decide)
        r"The SMTP server has unexpectedly disconnected(?!: \S)|Connection closed by the server|"
        r"connection closed unexpectedly|\{error,\s*closed\}|socket closed",
        _C.CONNECTION_DROPPED,
        "The server closed the connection (or never sent its greeting) before the "
        "session was done.",
        "The client waits for a greeting on an implicit-TLS port (465) while the "
        "server waits for the TLS handshake, or the other way round.",
        "The server or a firewall drops this client (rate limit, blocklist, port "
        "blocked by the hosting provider).",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
        specific=False,
    ),
    pattern(
        "library.connection_reset",
        r"\bECONNRESET\b|Connection reset by peer|ConnectionResetError|"
        r"Errno::ECONNRESET|"
        r"connection reset|\{error,\s*econnreset\}|os error 104",
        _C.CONNECTION_DROPPED,
        "The connection was reset (TCP RST) in the middle of the session.",
        "A firewall, antivirus or the server dropped the session; often during TLS "
        "or after a policy decision.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
        specific=False,
    ),
    pattern(
        "library.javamail_no_greeting",
        # JavaMail's "response: -1": connected, but the server closed before a greeting.
        # (session 22) and its "Could not start protocol to SMTP host" when the EHLO
        # exchange read no reply (Angus Mail SMTPTransport.java#L2303)
        r"Could not (?:connect|start protocol) to SMTP host: \S+, port: \d+, response: -1",
        _C.CONNECTION_DROPPED,
        "The application connected, but the server closed the connection before sending "
        "its greeting.",
        "The client waits for a greeting on an implicit-TLS port (465) while the server "
        "waits for the TLS handshake, or the server or a firewall drops this client.",
        source=_LIB,
        stage=_S.GREETING,
        permanence=_T,
        kind=_DROP,
    ),
    pattern(
        # (session 19, lines16) PEAR Net_SMTP (osTicket, Roundcube's older releases, PHP
        # applications) gives a reply it could not read as code -1: "Failed to set sender
        # ... [SMTP: Invalid response code received from server (code: -1, response: )]".
        # No reply came: the server closed the connection or sent nothing. The command
        # it names is the stage (stage_wording.py).
        "library.pear_no_reply",
        r"\bInvalid response code received from server ?\(code: ?-1\b",
        _C.CONNECTION_DROPPED,
        "The server sent no reply the client could read: the connection was closed or went silent.",
        "A plain-text client on an implicit-TLS port (465), a server or firewall that "
        "drops this client, or a server that stopped mid-session.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    # gen_smtp (Erlang/Elixir: Swoosh, Bamboo): the server closed the socket, or
    # refused the login, inside its retry tuples.
    pattern(
        "library.gen_smtp_closed",
        r"\{:?network_failure,\s*['\"][^'\"\n]*['\"],\s*\{:?error,\s*:?closed\}",
        _C.CONNECTION_DROPPED,
        "The mail server closed the connection before the session was done (gen_smtp's "
        "network_failure with {error, closed}).",
        "A plain SMTP client on an implicit-TLS port (465), or the other way round; or the "
        "server refuses this client.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    pattern(
        "library.gen_smtp_auth",
        r"\{:?permanent_failure,\s*['\"][^'\"\n]*['\"],\s*:?auth_failed\b",
        _C.AUTHENTICATION,
        "The server refused the login (gen_smtp's auth_failed).",
        "Wrong user name or password, or the provider wants an app password.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
    ),
    # (session 16, lines13) Ruby's Net::OpenTimeout raised in Net::Protocol's
    # ssl_socket_connect: the TCP connection opened, the TLS handshake did not finish
    # within the open timeout (implicit TLS to a port that waits for EHLO, or TLS
    # traffic dropped on the way). Before library.connect_failed, which reads any
    # Net::OpenTimeout as the TCP connect.
    pattern(
        "l13.library.tls_open_timeout",
        r"Net::OpenTimeout[\s\S]{0,300}?\bssl_socket_connect\b",
        _C.NETWORK_TIMEOUT,
        "The TCP connection opened, but the TLS handshake did not finish before the "
        "client's open timeout (Ruby's Net::OpenTimeout in ssl_socket_connect).",
        "Implicit TLS (tls: true / ssl: true) to a port that speaks plain SMTP first "
        "(587 or 25): the server waits for EHLO while the client waits for the handshake.",
        "A firewall or proxy between the hosts that lets the connection open but drops "
        "the TLS traffic.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 16, lines13) Python's socket connect that timed out, shown by the
    # traceback's last frame (".connect((host, port))", then TimeoutError or
    # socket.timeout): the TCP connect, read as the other connect timeouts are.
    pattern(
        "l13.library.python_connect_timeout",
        r"\.connect\((?:[^()\n]|\([^()\n]*\)){0,80}\)\s+(?:socket\.timeout|TimeoutError)\b",
        _C.FIREWALL_BLOCK,
        "The TCP connect to the mail server timed out (Python raised the timeout in "
        "the socket's connect).",
        "Outbound SMTP is blocked where the application runs, or a firewall drops the "
        "packets to that port.",
        "Wrong host or port, or the server is down.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
    ),
    # (session 16, lines13) smtplib's SMTPRecipientsRefused (aiosmtplib's too) raised
    # with no reply quoted ("{'a@example.com'}", "{}"): the server refused every
    # recipient at RCPT TO. Weak: a quoted reply's own reading decides (a relay
    # refusal, a PTR check, a rate limit).
    pattern(
        "l13.library.recipients_refused",
        r"\bSMTPRecipientsRefused\b",
        _C.RECIPIENT,
        "The server refused every recipient of the message at RCPT TO (the library "
        "raised SMTPRecipientsRefused without quoting the reply).",
        "The recipient addresses do not exist, are misspelt or empty, or the server "
        "does not accept mail for their domain from this client (relaying).",
        source=_LIB,
        stage=_S.RCPT_TO,
        permanence=_PM,
        specific=False,
    ),
    pattern(
        "library.connect_failed",
        r"Could not connect to SMTP host(?!: [^,\n]+, port: \d+, response: [45])|"
        r"SMTP Error: Could not connect to SMTP host|"
        r"Failed to connect to server|SMTP connect\(\) failed|"
        r"Failure sending mail\.? ---> System\.Net\.WebException: Unable to connect|"
        r"Unable to connect to the remote server|MailKit\.Net\.Smtp.*SocketException|"
        r"\{:?error,\s*\{?:?(?:retries_exceeded|no_more_hosts),\s*\{:?network_failure\b|"
        r"\{:?network_failure,\s*['\"][^'\"\n]*['\"],\s*\{:?error,\s*:?"
        r"(?:econnrefused|timeout|ehostunreach|enetunreach)\}|"
        r"\bnxdomain\b.*smtp|"
        r"Couldn't connect to host, port|Errno::EHOSTUNREACH|"
        r"lettre.*Connection error|Net::OpenTimeout|"
        # (session 16, lines13) an application's own "could not open the SMTP port"
        r"\b(?:could not|couldn't|unable to|cannot|can't) open (?:the |a )?"
        r"(?:SMTP (?:port|socket|connection)|(?:connection|socket) to (?:the )?"
        r"(?:SMTP|mail) (?:server|host))\b|"
        # Ruby before Net::OpenTimeout: Timeout::Error raised in Net::SMTP#tcp_socket
        r"execution expired[\s\S]{0,200}?in `tcp_socket'|"
        # aiosmtplib's SMTPConnectTimeoutError: the TCP connect took too long;
        # nullmailer's protocol: the socket's connect failed
        r"\bTimed out connecting to \S+ on port \d+|\bsmtp: Failed: Connect failed\b|"
        # PHP's mail() on Windows, ssmtp and sendmail-compatible wrappers
        r"Failed to connect to mailserver at|\bCannot open [\w.-]+:\d+\b|"
        # Thunderbird's smtpSendRequestRefused; Chilkat's connect timeout
        r"connecting to Outgoing server \(SMTP\) \S+ failed\b|\bConnection attempt timed out\b",
        _C.FIREWALL_BLOCK,
        "The application could not open a TCP connection to the mail server.",
        "Outbound SMTP is blocked where the application runs (cloud providers block "
        "port 25; shared hosting often blocks 25, 465 and 587).",
        "Wrong host name or port, or the server is down.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
        specific=False,
    ),
    pattern(
        "library.dns",
        r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|\bENOTFOUND\b|socket\.gaierror|"
        r"Name or service not known|nodename nor servname provided|"
        r"No such host is known|UnknownHostException|no such host\b|"
        r"Temporary failure in name resolution|failed to lookup address information|"
        # nodemailer's own resolver ("queryA ETIMEOUT host", code 'EDNS')
        r"\bquery(?:A|AAAA|Mx) E[A-Z]+\b|code: '?EDNS\b|"
        # Thunderbird's smtpSendFailedUnknownServer, Mutt's failed lookup
        r"Outgoing server \(SMTP\) \S+ is unknown\b|\bCould not find the host\b|"
        # session 9: MailKit's SocketUtils, lettre's resolver ("could not resolve to any
        # address", "could not resolve hostname")
        r"\bFailed to resolve host\b|\bcould not resolve (?:to any (?:supported )?address|"
        r"hostname)\b|"
        # sSMTP's gethostbyname failure
        r"\bUnable to locate (?:host )?[\w-]+(?:\.[\w-]+)+",
        _C.DNS_RESOLUTION,
        "The application could not resolve the mail server's name.",
        source=_LIB,
        stage=_S.DNS,
        permanence=_T,
        retry=False,
    ),
    # Windows' own socket errors, as .NET (SmtpClient, MailKit) passes them on in
    # the system's language: WSAECONNREFUSED (10061), WSAETIMEDOUT (10060),
    # WSAECONNRESET (10054) and WSAHOST_NOT_FOUND (11001).
    pattern(
        "library.windows_refused",
        r"target machine actively refused it|Zielcomputer die Verbindung verweigerte|"
        r"l[’']ordinateur cible l[’']a expressément refusée|"
        r"equipo de destino denegó expresamente|m[aá]quina de destino as recusou ativamente|"
        r"Rifiuto persistente del computer di destinazione|"
        r"конечный компьютер отверг запрос на подключение|由于目标计算机积极拒绝|"
        r"対象のコンピューターによって拒否された",
        _C.FIREWALL_BLOCK,
        "Windows could not open the TCP connection: the mail server's host answered "
        "that nothing accepts connections on that port (or a firewall refused it).",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    pattern(
        "library.windows_timed_out",
        r"Gegenstelle nach einer bestimmten Zeitspanne nicht richtig reagiert|"
        r"le parti connecté n[’']a pas répondu convenablement|"
        r"la parte conectada no respondió adecuadamente|"
        r"o componente conectado não respondeu corretamente|"
        r"Risposta non corretta della parte connessa|"
        r"от другого компьютера за требуемое время не получен нужный отклик|"
        r"由于连接方在一段时间后没有正确答复|一定の時間を過ぎても正しく応答しなかった",
        _C.FIREWALL_BLOCK,
        "Windows got no answer while opening the TCP connection (it timed out): "
        "packets to the mail server are dropped on the way.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
    ),
    pattern(
        "library.windows_reset",
        r"Eine vorhandene Verbindung wurde vom Remotehost geschlossen|"
        r"Une connexion existante a dû être fermée par l[’']hôte distant|"
        r"Se ha forzado la interrupción de una conexión existente por el host remoto|"
        r"Foi forçado o cancelamento de uma conexão existente pelo host remoto|"
        r"Connessione in corso interrotta forzatamente dall[’']host remoto|"
        r"Удаленный хост принудительно разорвал существующее подключение|"
        r"远程主机强迫关闭了一个现有的连接|既存の接続はリモート ホストに強制的に切断されました",
        _C.CONNECTION_DROPPED,
        "The mail server's side closed the connection in the middle of the session.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
        specific=False,
    ),
    pattern(
        "library.windows_dns",
        r"The remote name could not be resolved|Der angegebene Host ist unbekannt|"
        r"No se conoce ese host|Этот хост неизвестен|不知道这样的主机",
        _C.DNS_RESOLUTION,
        "Windows could not resolve the mail server's name.",
        source=_LIB,
        stage=_S.DNS,
        permanence=_T,
        retry=False,
    ),
    pattern(
        "library.outbound_spam",
        # Microsoft 365 refused to relay a message its outbound filter scored as
        # spam (the 5.2.0 around it is a generic mailbox status, not the cause).
        r"OutboundSpamException|WASCL UserAction verdict",
        _C.POLICY_REJECTION,
        "Microsoft 365 refused to send the message: its outbound spam filter "
        "judged it spam (or the account is restricted for sending spam).",
        "Check the message and the account in the Defender portal (restricted "
        "users, outbound spam policy).",
        source="microsoft",
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.missing_credentials",
        # nodemailer before it sends AUTH: the configuration gave no password.
        r'Missing credentials for "?(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5)\b|'
        # Ruby's Net::SMTP::Authenticator before it sends AUTH
        r"SMTP-AUTH requested but missing (?:user name|secret phrase)|"
        # Alertmanager's notifier (Go) before it sends AUTH, one per mechanism offered
        r"\bmissing (?:password|username|user name|secret) for (?:PLAIN|LOGIN|CRAM-MD5|"
        r"XOAUTH2) auth(?:entication)? mechanism\b",
        _C.AUTHENTICATION,
        "The application has no username or password configured for SMTP AUTH.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.send_as_denied",
        r"SendAsDenied|MapiExceptionSendAsDenied|"
        r"Client does not have permissions to send as this sender",
        # The login succeeded; the refusal is about the sender address it used,
        # like "Sender address rejected: not owned by user".
        _C.POLICY_REJECTION,
        "Microsoft 365 accepted the login but this account may not send as the From "
        "address it used.",
        "Give the account Send As rights on that mailbox, or send with its own address.",
        source="microsoft",
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    # --- session 8: mail clients' and small mailers' own words -------------------------
    pattern(
        "library.auth_command_unknown",
        # AUTH refused as a command the server does not know or has not offered (a 500
        # "command \"AUTH\" not recognized", Postfix's "authentication not enabled"):
        # the server takes no login here, whatever the password.
        r"\bcommand \"?AUTH\"? not (?:recognized|implemented|supported)\b|"
        r"\bAUTH (?:command )?(?:not (?:recognized|implemented|supported|enabled)|"
        r"used when not advertised)\b|\bauthentication not enabled\b",
        _C.AUTHENTICATION,
        "The client sent AUTH, but the server takes no login here: it does not know or "
        "has not offered the AUTH command.",
        "Connected to port 25 instead of the submission port 587/465, or AUTH is offered "
        "only after STARTTLS and TLS was not started.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.session_io_error",
        # Mutt's "SMTP session failed: read error" / "write error": the socket broke
        # under the session, no reply was read.
        r"\bSMTP session failed: (?:read|write) error\b",
        _C.CONNECTION_DROPPED,
        "The connection to the mail server broke during the session: the client could "
        "not read or write on it.",
        "The server or a firewall cut the connection (wrong port or TLS mode, a filter).",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    pattern(
        "library.client_size_limit",
        # Thunderbird's smtpPermSizeExceeded and smtpTempSizeExceeded: the message is
        # over the SIZE the server announced (RFC 1870), checked before it is sent.
        r"\bexceeds (?:the|a) (?:global |temporary )?size limit\b|"
        # nodemailer's check against the EHLO reply's SIZE, before MAIL FROM
        r"\bMessage size larger than allowed\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the limit the mail server announces.",
        "Send smaller attachments, or a link to the file.",
        source=_LIB,
        stage=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.java_socket_connect",
        # A Java stack whose innermost frames are the socket's connect: the exception
        # was raised opening the TCP connection. Weak: a reason beside it ("Connection
        # refused", "connect timed out") decides.
        r"\bPlainSocketImpl\.socketConnect\b|\bsun\.nio\.ch\.Net\.connect0?\b",
        _C.FIREWALL_BLOCK,
        "The application could not open a TCP connection to the mail server.",
        "Outbound SMTP is blocked where the application runs, or the host or port is wrong.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind=_DROP,
        specific=False,
    ),
    # Outlook's, Outlook Express's and Windows Mail's transport error numbers (the
    # IXP_E_* HRESULTs of imnxport.h, the same in every language the client speaks:
    # "Task 'x - Sending' reported error (0x800CCC0E) : ..."), each by its class.
    pattern(
        "library.outlook_cant_find_host",
        r"\b0[x\u00d7]800CCC0D\b",
        _C.DNS_RESOLUTION,
        "The mail client could not find the SMTP server: its name does not resolve.",
        "A typo in the outgoing server name, or no working DNS on the client's network.",
        source=_LIB,
        stage=_S.DNS,
        retry=False,
    ),
    pattern(
        "library.outlook_failed_to_connect",
        # FAILED_TO_CONNECT, SOCKET_CONNECT_ERROR
        r"\b0[x\u00d7]800CCC(?:0E|15)\b",
        _C.FIREWALL_BLOCK,
        "The mail client could not connect to the SMTP server's port.",
        "A firewall, antivirus or the network blocks the port, or the server or port is wrong.",
        source=_LIB,
        stage=_S.CONNECT,
    ),
    pattern(
        "library.outlook_connection_dropped",
        r"\b0[x\u00d7]800CCC0F\b",
        _C.CONNECTION_DROPPED,
        "The connection to the SMTP server was closed during the session.",
        "The server or something between (an antivirus scanner, a firewall) cut it.",
        source=_LIB,
    ),
    pattern(
        "library.outlook_timeout",
        # TIMEOUT; Outlook's "timed out waiting for a response from the sending (SMTP)
        # server"
        r"\b0[x\u00d7](?:800CCC19|8004210B)\b",
        _C.NETWORK_TIMEOUT,
        "The SMTP server stopped answering the mail client within its time-out.",
        "A slow or filtered link, or a large message on a slow upload.",
        source=_LIB,
    ),
    pattern(
        "library.outlook_busy",
        r"\b0[x\u00d7]800CCC0B\b",
        _C.SERVICE_UNAVAILABLE,
        "The server (or its mail drop) was busy and refused the session for now.",
        source=_LIB,
    ),
    pattern(
        "library.outlook_secure_connect_failed",
        # SECURE_CONNECT_FAILED; SMTP_454_STARTTLS_FAILED
        r"\b0[x\u00d7]800CCC(?:1A|7F)\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The mail client could not set up TLS with the SMTP server.",
        "SSL/TLS chosen on the wrong port (implicit TLS on 587, STARTTLS on 465), or no "
        "protocol version both sides share.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
    ),
    pattern(
        "library.outlook_invalid_cert",
        # INVALID_CERT_CN, INVALID_CERT_DATE
        r"\b0[x\u00d7]800CCC0[12]\b",
        _C.TLS_CERTIFICATE,
        "The SMTP server's certificate does not match its name or is out of date.",
        "The client connects by a name the certificate does not hold, or the certificate expired.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        retry=False,
    ),
    pattern(
        "library.outlook_logon_failed",
        r"\b0[x\u00d7]800CCC18\b",
        _C.AUTHENTICATION,
        "The SMTP server refused the mail client's login.",
        "A wrong user name or password, or the account needs an app password.",
        source=_LIB,
        stage=_S.AUTH,
        retry=False,
    ),
    pattern(
        "library.outlook_invalid_address",
        # INVALID_ADDRESS, INVALID_ADDRESS_LIST
        r"\b0[x\u00d7]800CCC1[01]\b",
        _C.RECIPIENT,
        "The server does not know an address the message is sent to.",
        source=_LIB,
        stage=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "library.outlook_starttls_required",
        # SMTP_530_STARTTLS_REQUIRED, SMTP_NO_STARTTLS_SUPPORT
        r"\b0[x\u00d7]800CCC7[CD]\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server and the mail client disagree on STARTTLS: one requires it, the "
        "other does not offer it.",
        source=_LIB,
        retry=False,
    ),
    pattern(
        "library.zend_empty_response",
        # Zend Framework's (and Laminas') SMTP protocol when the server's reply never
        # came: the connection was closed or reset under it.
        r"\bUnable to read response, or response is empty\b",
        _C.CONNECTION_DROPPED,
        "The SMTP server closed the connection (or sent nothing) where a reply was due.",
        "A firewall or the server dropped the session; a TLS/port mismatch (SSL on a "
        "STARTTLS port) looks the same.",
        source=_LIB,
        kind=_DROP,
    ),
    pattern(
        "library.rcpt_not_accepted",
        # A client's own summary that the server refused a recipient, with no reason
        # (OpenCart's "RCPT TO not accepted from server!", msmtp's "recipient address ...
        # not accepted by the server"). Weak: the server's reply beside it decides.
        r"\bRCPT TO(?::? ?<[^>\n]*>)? (?:command )?(?:was )?not accepted\b|"
        r"\brecipient address \S+ not accepted by the server\b|"
        # MailKit when every RCPT TO was refused; a PLC Ethernet module's SMTP client
        # ("No recipient accepted by the SMTP server", Schneider's diagnostic 16#510A)
        r"\bNo recipients were accepted\b|"
        r"\bNo recipients? (?:was |were )?accepted by the SMTP server\b|"
        # (session 22) .NET's SmtpFailedRecipient(s)Exception (System.Net.Mail Strings.resx
        # SmtpAllRecipientsFailed, SmtpRecipientFailed)
        r"\bUnable to send to (?:all recipients|a recipient)\b",
        _C.RECIPIENT,
        "The server refused a recipient of the message.",
        source=_LIB,
        stage=_S.RCPT_TO,
        permanence=_PM,
        retry=False,
        specific=False,
    ),
    pattern(
        "library.auth_step_refused",
        # sSMTP's "Server didn't like our AUTH LOGIN (...)", "Server didn't accept AUTH
        # LOGIN (...)", "Server rejected AUTH CRAM-MD5 (...)": the AUTH exchange was
        # refused, whatever generic code the reply quotes (504 5.5.4); a quoted reply
        # asking for TLS first (530 "Must issue a STARTTLS command first") decides.
        r"(?:\b(?:didn't|did not) (?:accept|like) (?:our )?AUTH\b|"
        r"\brejected AUTH (?:LOGIN|PLAIN|CRAM-MD5|XOAUTH2)\b)(?![^\n]*\b(?:STARTTLS|TLS)\b)",
        _C.AUTHENTICATION,
        "The server refused the client's login exchange (AUTH).",
        "The mechanism the client chose is not one the server takes, or the user "
        "name or password is wrong.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # --- session 9: a client's sentence in any language naming the failed command ------
    # (stage_wording.LOCALISED_COMMANDS): the command alone says the usual class of a
    # refusal there. Weak: a reply code, an enhanced code or words beside it decide.
    pattern(
        "library.localised_auth",
        # (and an appliance's own words for it: PacketFence's "SMTP auth() command
        # failed: 5.0.0 Unknown or unimplemented command", the AUTH not taken)
        rf"{_NOT_LISTED}(?-i:\bAUTH\b){_LOCALISED}{_NO_CODE}|"
        r"\bauth\(\) command failed\b|(?-i:\bAUTH\b) command failed\b",
        _C.AUTHENTICATION,
        "The server refused the client's login (its AUTH command failed).",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        specific=False,
    ),
    pattern(
        "library.localised_rcpt",
        rf"{_NOT_LISTED}(?-i:\bRCPT TO\b){_LOCALISED}{_NO_CODE}",
        _C.RECIPIENT,
        "The server refused a recipient of the message (its RCPT TO command failed).",
        source=_LIB,
        stage=_S.RCPT_TO,
        permanence=_PM,
        specific=False,
    ),
    pattern(
        "library.localised_mail",
        rf"{_NOT_LISTED}(?-i:\bMAIL FROM\b){_LOCALISED}{_NO_CODE}",
        _C.POLICY_REJECTION,
        "The server refused the sender of the message (its MAIL FROM command failed).",
        source=_LIB,
        stage=_S.MAIL_FROM,
        permanence=_PM,
        specific=False,
    ),
    pattern(
        "library.localised_starttls",
        rf"{_NOT_LISTED}(?-i:\bSTARTTLS\b){_LOCALISED}{_NO_CODE}",
        _C.STARTTLS_UNAVAILABLE,
        "The server refused to start TLS (its STARTTLS command failed).",
        source=_LIB,
        stage=_S.STARTTLS,
        specific=False,
    ),
    # A word that keeps one root across languages, as the mail clients' catalogues
    # translate it (Evolution's po files: "autenticación", "Authentifizierung",
    # "аутентификации", "認証", "인증"): the class of a sentence in a language no
    # table holds. Weak: any reply code, enhanced code or phrase beside it decides.
    # (The same idea for "certificate" was withdrawn: it moved a held-back bounce.)
    pattern(
        "library.intl_authentication",
        r"\b\w*(?:authenti[fcsz]|autenti[fckz]|аутентиф|автентиф|αυθεντικ)\w*|"
        r"認証|认证|認證|인증(?!서)|"
        # (session 19) the native words of the wording tables' languages: Polish
        # "uwierzytelnienie", German "Legitimierung" (GNOME's and KDE's catalogues), Czech
        # "ověřování totožnosti"
        r"\buwierzytelni\w*|\bLegitimierung\w*|\bověř\w* totožnosti\b",
        _C.AUTHENTICATION,
        "The server refused the client's login.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        specific=False,
    ),
    # --- session 10: mail clients' and devices' own words around a failed session ----
    # No greeting came: the client waited for the banner and the connection gave
    # none (Nessus's "Failed to receive the SMTP banner", Delta Chat's "Failed to
    # read greeting"); the same words as an implicit-TLS/STARTTLS port mix-up.
    pattern(
        "library.no_banner",
        r"\b(?:fail(?:ed|ure)?|unable|could ?n[o']t|did ?n[o']t) (?:to )?(?:receive|read|get) "
        r"(?:the |an? |any )?(?:(?:SMTP|server|initial|remote) )*(?:banner|greeting)\b",
        _C.CONNECTION_DROPPED,
        "The connection opened, but no greeting (220 banner) came from the server.",
        "The client waits for a greeting on an implicit-TLS port (465) while the "
        "server waits for the TLS handshake, or the other way round.",
        "The server or a firewall drops this client before greeting it.",
        source=_LIB,
        stage=_S.GREETING,
        permanence=_T,
        kind=_DROP,
    ),
    # A greeting came but the client could not read it as one (async-smtp in Delta
    # Chat: "Unexpected greeting: \"220-host ESMTP ...\"", a multi-line banner).
    pattern(
        "library.unexpected_greeting",
        r"\bUnexpected greeting\b",
        _C.OTHER,
        "The server greeted the client in a form the client did not expect (a "
        "multi-line 220 banner, or extra text before it).",
        "A client that reads only a one-line 220 banner; update it, or shorten the "
        "server's banner to one line.",
        source=_LIB,
        stage=_S.GREETING,
        permanence=_PM,
        retry=False,
    ),
    # MailCore2's error names, as Mailspring and other MailCore clients log them
    # ("An SMTP error occurred: ErrorConnection LibEtPan code: ...").
    pattern(
        "library.mailcore_connection",
        r"(?-i:\b(?:MCO)?ErrorConnection\b)",
        _C.FIREWALL_BLOCK,
        *_NO_CONNECT,
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
    ),
    pattern(
        "library.mailcore_authentication",
        r"(?-i:\b(?:MCO)?ErrorAuthentication(?:Required)?\b)",
        _C.AUTHENTICATION,
        "The server refused the client's login.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.mailcore_starttls",
        r"(?-i:\b(?:MCO)?Error(?:StartTLS|TLS)NotAvailable\b)",
        _C.STARTTLS_UNAVAILABLE,
        "The server did not offer the TLS the client requires.",
        source=_LIB,
        stage=_S.STARTTLS,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "library.mailcore_certificate",
        r"(?-i:\b(?:MCO)?ErrorCertificate\b)",
        _C.TLS_CERTIFICATE,
        "The client did not accept the server's TLS certificate.",
        source=_LIB,
        stage=_S.TLS_HANDSHAKE,
        permanence=_PM,
        retry=False,
    ),
    # PHPMailer's (and its old ports') "Called Mail() without being connected", "Called
    # MAIL FROM without being connected": the connection had closed (or never opened)
    # before the command; the command named is the step.
    pattern(
        "library.called_without_connection",
        r"\bCalled [\w() ]{2,20} without being connected\b",
        _C.CONNECTION_DROPPED,
        "The application sent an SMTP command after the connection had closed, or "
        "before it opened.",
        "An earlier step (connect, TLS, login) failed and the application went on; "
        "its first error says why.",
        source=_LIB,
        permanence=_T,
        kind=_DROP,
    ),
    # "Échec de la connexion SMTP" (French: the SMTP connection failed); a bare
    # "connexion" is also a login in French, so SMTP must be named. Weak.
    pattern(
        "library.fr_smtp_connection_failed",
        r"\b[ée]chec de (?:la )?connexion (?:au serveur )?SMTP\b|"
        r"\bconnexion (?:au serveur )?SMTP (?:a )?[ée]chou[ée]e?\b",
        _C.FIREWALL_BLOCK,
        *_NO_CONNECT,
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
        specific=False,
    ),
    # PHPMailer's message table in every language it ships (knowledge/client_languages.py).
    *CLIENT_LANGUAGE_PATTERNS,
    *LOCAL_CLIENT_PATTERNS,
    # Roundcube's SMTP error labels in every localization (knowledge/roundcube_labels.py).
    *ROUNDCUBE_PATTERNS,
)


# Rust lettre and async-smtp print a reply code as a struct of three enums
# ("Code { severity: PermanentNegativeCompletion, category: MailSystem,
# detail: Four }" is 554); spelled as digits, the classifier reads it.
_RUST_CODE = re.compile(
    r"Code\s*\{\s*severity:\s*(\w+),\s*category:\s*(\w+),\s*detail:\s*(\w+),?\s*\}"
)
_SEVERITY = {
    "PositiveCompletion": "2",
    "PositiveIntermediate": "3",
    "TransientNegativeCompletion": "4",
    "PermanentNegativeCompletion": "5",
}
_CATEGORY = {
    "Syntax": "0",
    "Information": "1",
    "Connections": "2",
    "Unspecified3": "3",
    "Unspecified4": "4",
    "MailSystem": "5",
}
_DETAIL = {
    name: str(i)
    for i, name in enumerate(
        ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
    )
}


def rust_reply_codes(text: str) -> str:
    """``text`` with lettre's ``Code { ... }`` structs written as reply codes."""
    if "severity:" not in text:
        return text

    def digits(m: re.Match[str]) -> str:
        parts = (_SEVERITY.get(m[1]), _CATEGORY.get(m[2]), _DETAIL.get(m[3]))
        if not all(parts):
            return m[0]
        # The line end closes the code for the reply reader ("Permanent(534").
        return "".join(parts) + "\n"  # type: ignore[arg-type]

    return _RUST_CODE.sub(digits, text)
