"""Widely used mail software's own failure sentences, read whole from its source (issue 10).

Session 22 took each product's *whole* set of SMTP-facing failure messages from its
source at a fixed commit (``bench/catalogue_coverage.py`` holds each message as a user
pastes it, with its expected reading, and measures the tables on it) and wrote here the
families the other tables did not read right. Each entry names the format string it is
written for and where it stands; the placeholders (an address, a method, a code) are
matched as any value, never one filled-in string.

Sources (commits):

* msmtp ``src/smtp.c``, ``src/net.c``:
  https://github.com/marlam/msmtp/blob/933d35be8ab6e35a7ea3f78df54b64230177590b/src/
* nodemailer ``lib/smtp-connection/index.js``:
  https://github.com/nodemailer/nodemailer/blob/2f667f4272cb2d7cb479b2e3903ab10600fc0eae/
* curl ``lib/smtp.c``:
  https://github.com/curl/curl/blob/5c61e168698a72b87437d58ed728bcdea6d5db42/lib/smtp.c
* MailKit ``MailKit/Net/Smtp/SmtpClient.cs``:
  https://github.com/jstedfast/MailKit/blob/d1f7aa7655d50777c4ece3803ff86f3591e60db5/
* Sendmail ``sendmail/err.c``, ``usersmtp.c``:
  https://github.com/deepin-community/sendmail/blob/c7e7de44d95651fef2967c9e1623bb204f250bb3/
* .NET System.Net.Mail ``Resources/Strings.resx``:
  https://github.com/dotnet/runtime/blob/003e43b4e551874822af3c8f28188e0139a798f4/src/libraries/System.Net.Mail/src/Resources/Strings.resx
* Angus (Jakarta) Mail ``SMTPTransport.java``:
  https://github.com/eclipse-ee4j/angus-mail/blob/eca8e08baa56a83ab68ae3faaca25d8ca3c0e5ee/
* Symfony Mailer ``Transport/Smtp/Stream/AbstractStream.php``:
  https://github.com/symfony/mailer/blob/eb0c3187c7ddfde12d8aa0e1fa5fb29e730a41e0/
* sSMTP ``ssmtp.c``:
  https://github.com/TheJonny/debian-ssmtp/blob/d4631356318ae3f78f15bd55eeae295dec2a48e2/ssmtp.c
* Go ``src/net/smtp/auth.go``:
  https://github.com/golang/go/blob/07858f11a8fc8ae91c010664631a54e9379e6f26/src/net/smtp/
* notqmail ``qmail-remote.c``:
  https://github.com/notqmail/notqmail/blob/a7012e4fdf2f82f6aa5abe2f57e20831d238d774/
* Zeta Components' ezcMail (its STARTTLS refusal, quoted in
  https://github.com/zetacomponents/Mail/issues/34)

Session 23 (``bench/data/catalogues.jsonl``'s rows name each file and line):

* Dovecot lib-smtp ``src/lib-smtp/smtp-client-connection.c``:
  https://github.com/dovecot/core/blob/f28b5a92ec52eef0a111a095d00435756343dc94/
* go-mail ``client.go``: https://github.com/wneessen/go-mail/blob/46f4d6f78b2ddca72a7e2b6c78aa0180c6ce4c41/
* aiosmtplib ``src/aiosmtplib/protocol.py``:
  https://github.com/cole/aiosmtplib/blob/320180ee448666fe15d68264e49ba7c265842b40/
* NeoMutt ``send/smtp.c``, ``conn/raw.c``:
  https://github.com/neomutt/neomutt/blob/ed494b09e3e31d4c06edec00c2074ff1353952b4/

A client's summary sentence that names no reason is weak (``specific=False``): the
server's reply it quotes beside it decides, as for PHPMailer's table
(``client_languages.py``).
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["CATALOGUE_PATTERNS", "CATALOGUE_STAGE_PHRASES"]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_LIB = "library"

CATALOGUE_PATTERNS: tuple[TextPattern, ...] = (
    # msmtp smtp.c#L213 "the server sent an empty reply" (the socket gave an empty
    # line or closed where a reply was due).
    pattern(
        "c22.library.empty_reply",
        r"\bserver sent an empty (?:reply|response)\b",
        _C.CONNECTION_DROPPED,
        "The server's reply was empty: it closed the connection (or sent a bare line "
        "end) where a reply was due.",
        "A filter or firewall that hangs up on this client; a server that crashed or hit "
        "a limit mid-session; the wrong port or TLS mode.",
        source=_LIB,
        permanence=_T,
        kind="connection_drop",
    ),
    # msmtp smtp.c#L585 "command %s failed" for STARTTLS: the reply to STARTTLS was no
    # 220 (RFC 3207's 454 "TLS not available"), so no handshake began; curl smtp.c#L1187
    # "STARTTLS denied, code %d" is the same refusal.
    pattern(
        "c22.library.starttls_refused",
        r"\bcommand STARTTLS failed\b|\bSTARTTLS denied\b|"
        # Zeta Components' ezcMail: "SMTP server does not accept the STARTTLS command."
        r"\bdoes not accept the STARTTLS command\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server refused the STARTTLS command, so the session could not be encrypted.",
        "The server has TLS turned off or cannot load its certificate or key (RFC 3207's "
        '454 "TLS not available due to local problem").',
        source=_LIB,
        stage=_S.STARTTLS,
        permanence=_T,
    ),
    # msmtp smtp.c#L1781 "envelope from address %s not accepted by the server": the
    # sender refused at MAIL FROM (the server's message follows on its own line and,
    # when present, decides; weak).
    pattern(
        "c22.library.sender_not_accepted",
        r"\benvelope[- ]from address \S+ not accepted by the server\b",
        _C.POLICY_REJECTION,
        "The server refused the envelope sender (its reply to MAIL FROM).",
        "The sender's domain or address is not allowed for this login or relay; the "
        "server's message beside it says why.",
        source=_LIB,
        stage=_S.MAIL_FROM,
        permanence=_PM,
        specific=False,
    ),
    # msmtp smtp.c#L2123 "the server refuses to send the mail to %s" (a recipient refused,
    # the reason in the server's message beside it; weak).
    pattern(
        "c22.library.refuses_recipient",
        r"\bserver refuses to send the mail to\b",
        _C.RECIPIENT,
        "The server refused to deliver the mail to this recipient.",
        source=_LIB,
        stage=_S.RCPT_TO,
        permanence=_PM,
        specific=False,
    ),
    # msmtp net.c#L197 "network read error: the operation timed out" (and its write
    # twin): a read or write on an open session timed out, not the connect.
    pattern(
        "c22.library.session_io_timeout",
        r"\bnetwork (?:read|write) error: (?:the )?operation timed out\b",
        _C.NETWORK_TIMEOUT,
        "The connection was open, but the server's reply (or the client's write) did not "
        "come within the client's timeout.",
        "A slow server (content scanning, DNS checks, a tarpit); a firewall that stalls "
        "the session; a timeout set too short for this server.",
        source=_LIB,
        permanence=_T,
    ),
    # nodemailer index.js#L1984/#L1988 "Cannot %s - smtp connection socket is already
    # destroyed." / "... half-closed.", MailKit SmtpClient.cs#L1789 "The SmtpClient is not
    # connected." and #L999 "... must be connected before you can authenticate/send
    # commands": the connection had closed before the client's next step.
    pattern(
        "c22.library.socket_gone",
        r"\bsocket is already (?:destroyed|half-closed|closed)\b|"
        r"\bSmtpClient (?:is not connected|must be connected before)\b|"
        # (session 23) go-mail client.go#L260 ErrNoActiveConnection
        r"\bnot connected to (?:the )?SMTP server\b|"
        # Symfony Mailer AbstractStream.php#L50: a write to the closed socket failed
        r"\bUnable to write bytes on the wire\b",
        _C.CONNECTION_DROPPED,
        "The connection to the server had already closed when the client tried its next step.",
        "The server (or a firewall) closed an idle or refused session; an application "
        "that reuses a closed connection.",
        source=_LIB,
        permanence=_T,
        kind="connection_drop",
    ),
    # Sendmail err.c#L1215 "Host %s is down" (EHOSTDOWN on the connect).
    pattern(
        "c22.library.host_down",
        r"\bHost \S+ is down\b",
        _C.FIREWALL_BLOCK,
        "The client's system reported the server's host as down: the connect got no answer at all.",
        "The server is off or unreachable on this network; a firewall drops the "
        "connection silently.",
        source=_LIB,
        stage=_S.CONNECT,
        permanence=_T,
    ),
    # Sendmail usersmtp.c#L3287 "451 4.4.1 reply: read error from %s": the connection
    # broke while the client read the server's reply, whatever X.4.1 beside it.
    pattern(
        "c22.library.reply_read_error",
        r"\breply: read error from\b",
        _C.CONNECTION_DROPPED,
        "The connection broke while the client waited for the server's reply.",
        "The server or a firewall closed or reset the connection mid-session; a server "
        "that crashed or hit a limit.",
        source=_LIB,
        permanence=_T,
        kind="connection_drop",
    ),
    # The application's own envelope check found no recipient to send to (nodemailer
    # index.js#L1204 "No recipients defined", Angus Mail SMTPTransport.java#L1255 "No
    # recipient addresses"): no server refused anything.
    pattern(
        "c22.library.no_recipients_given",
        r"\bNo recipients defined\b|\bNo recipient addresses\b",
        _C.OTHER,
        "The application had no recipient address to send to; nothing reached a server.",
        "The message's To/Cc/Bcc (or the envelope the code builds) is empty: a setting or "
        "a form field left blank.",
        source=_LIB,
        permanence=_PM,
        retry=False,
    ),
    # .NET System.Net.Mail's MailHostNotFound (Strings.resx): "The SMTP host was not
    # found." (the name did not resolve).
    pattern(
        "c22.library.dotnet_host_not_found",
        r"\bThe SMTP host was not found\b",
        _C.DNS_RESOLUTION,
        "The SMTP server's name did not resolve, so the client could not connect.",
        "A misspelt host name in the settings; the client's DNS cannot resolve it.",
        source=_LIB,
        stage=_S.DNS,
        permanence=_T,
    ),
    # sSMTP ssmtp.c#L1648 "Timeout on stdin while reading body": the local program that
    # piped the message stopped writing; no server is involved.
    pattern(
        "c22.library.stdin_timeout",
        r"\bTimeout on stdin\b",
        _C.OTHER,
        "The mailer timed out reading the message from its own input: the program that "
        "hands it the message stopped writing; no server was involved.",
        source=_LIB,
        permanence=_T,
    ),
    # Go net/smtp auth.go: PlainAuth refuses to send the password when the server name it
    # dialled is not the host it was given ("wrong host name").
    pattern(
        "c22.library.go_wrong_host_name",
        r"\bwrong host name\b",
        _C.AUTHENTICATION,
        "Go's PLAIN login refused to send the credentials: the server it connected to is "
        "not the host named in its authentication settings.",
        "smtp.PlainAuth's host differs from the address dialled (an IP or another name).",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_PM,
        retry=False,
    ),
    # (session 23) NeoMutt send/smtp.c#L235 "SMTP session failed: cannot add recipient
    # <%s>" (commit ed494b0): the server refused a recipient, its reason shown before
    # (weak: the server's reply beside it decides).
    pattern(
        "c23.library.cannot_add_recipient",
        r"\bcannot add recipient\b",
        _C.RECIPIENT,
        "The server refused a recipient of the message (its reply to RCPT TO).",
        source=_LIB,
        stage=_S.RCPT_TO,
        permanence=_PM,
        specific=False,
    ),
    # (session 23) NeoMutt conn/raw.c#L313 "Connection to %s has been aborted": the
    # socket's read or write failed mid-session (ECONNABORTED or a closed poll).
    pattern(
        "c23.library.connection_aborted",
        r"\bConnection to \S+ has been aborted\b",
        _C.CONNECTION_DROPPED,
        "The connection to the server broke in the middle of the session.",
        "The server or a firewall closed or reset the connection; an unstable network.",
        source=_LIB,
        permanence=_T,
        kind="connection_drop",
    ),
    # (session 23) Dovecot lib-smtp smtp-client-connection.c#L1790 "Authentication timed
    # out after %u seconds" (commit f28b5a9): the login's exchange took too long, not a
    # refused login.
    pattern(
        "c23.library.auth_timed_out",
        r"\bAuthentication timed out\b",
        _C.NETWORK_TIMEOUT,
        "The login (AUTH) exchange did not finish within the client's timeout; the "
        "server did not refuse it.",
        "A slow authentication back end on the server (LDAP, SQL); a firewall that stalls "
        "the session; a timeout set too short.",
        source=_LIB,
        stage=_S.AUTH,
        permanence=_T,
    ),
)

CATALOGUE_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # (session 23) aiosmtplib protocol.py#L421/#L429 "Timed out while upgrading
    # transport", "Connection reset while upgrading transport": the TLS handshake.
    stage_phrase(
        "c23.stage.upgrading_transport", r"\bwhile upgrading transport\b", _S.TLS_HANDSHAKE
    ),
    # msmtp smtp.c#L355 "cannot get initial OK message from server": the greeting.
    stage_phrase("c22.stage.initial_ok_message", r"\binitial OK message\b", _S.GREETING),
    # msmtp smtp.c#L1819 "the server does not accept mail data": the DATA command.
    stage_phrase("c22.stage.mail_data_refused", r"\bdoes not accept mail data\b", _S.DATA),
    # msmtp smtp.c#L2059 "the server did not accept the mail": the end of data.
    stage_phrase("c22.stage.mail_not_accepted", r"\bdid not accept the mail\b", _S.MESSAGE),
    # nodemailer index.js#L1931 "Message failed for recipient %s" (LMTP's per-recipient
    # reply after the data): the message, whatever the recipient word.
    stage_phrase("c22.stage.message_failed_for", r"\bMessage failed for recipient\b", _S.MESSAGE),
    # MailKit SmtpClient.cs#L999 "must be connected before you can authenticate".
    stage_phrase(
        "c22.stage.before_authenticate", r"\bconnected before you can authenticate\b", _S.AUTH
    ),
    # .NET System.Net.Mail's SmtpEhloResponseInvalid (Strings.resx).
    stage_phrase(
        "c22.stage.invalid_ehlo_response", r"\binvalid response to the EHLO command\b", _S.EHLO
    ),
    # qmail-remote.c#L66 "CNAME lookup failed temporarily": a DNS lookup.
    stage_phrase("c22.stage.cname_lookup", r"\bCNAME lookup failed\b", _S.DNS),
    # Angus Mail SMTPTransport.java#L1355 "IOException while sending message": the data.
    stage_phrase(
        "c22.stage.io_while_sending_message", r"\bIOException while sending message\b", _S.MESSAGE
    ),
)
