"""Stage phrases in vendors', client libraries' and MTAs' own words.

Which SMTP command a text names where it does not say "in reply to X":
client libraries' exceptions and traceback frames (Python smtplib, PHPMailer,
nodemailer, JavaMail, .NET, MailKit, Ruby Net::SMTP), gateways' "SMTP command"
blocks, Sendmail transcripts and check rulesets, local delivery agents, and,
weaker than any of them (``FALLBACK_STAGE_PHRASES``), the sender refusals and
Exim's error numbers (``macros.h`` ERRNO_RCPT4XX/MAIL4XX/DATA4XX).
"""

from __future__ import annotations

from smtpdoctor.knowledge.device_codes import DEVICE_STAGE_PHRASES
from smtpdoctor.knowledge.filter_texts import FILTER_FALLBACK_PHRASES, FILTER_STAGE_PHRASES
from smtpdoctor.knowledge.phrasing import StagePhrase, stage_phrase
from smtpdoctor.model import Stage

__all__ = ["FALLBACK_STAGE_PHRASES", "VENDOR_STAGE_PHRASES"]

_S = Stage


def _exim_v(command: str) -> str:
    """Exim's "SMTP>> <command>" line, then the first failing reply before the next
    command (the text is read flattened, one line)."""
    return rf"SMTP>> {command}(?:(?!SMTP>>).){{0,300}}?SMTP<< [45]\d\d\b"


def _swift_log(command: str) -> str:
    """Swift Mailer's log (">> MAIL FROM:<x>" then "<< 550 ..." or "!! Expected response
    code ..."): the command the first failing reply answered, before the next command."""
    return rf"(?<![>\w])>> {command}(?:(?!>> ).){{0,300}}?(?:<< [45]\d\d\b|<< !!|!! Expected)"


VENDOR_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # The return path is the envelope sender (RFC 5321's reverse-path): Proton Mail
    # Bridge's "invalid return path: not owned by user" refuses MAIL FROM (session 10).
    stage_phrase(
        "stage.vendor_return_path",
        r"\b(?:invalid|bad|unknown|rejected) return[- ]path\b|"
        r"\breturn[- ]path\b[^\n]{0,40}\bnot owned\b",
        _S.MAIL_FROM,
    ),
    # Client libraries name the command in their exception or traceback frame
    # (Python smtplib: "line 739, in login", SMTPRecipientsRefused).
    stage_phrase(
        "stage.library_greeting",
        r"line \d+, in connect \(code, msg\) = self\.getreply\(\)|\bSMTPConnectError\b",
        _S.GREETING,
    ),
    stage_phrase(
        "stage.library_auth",
        # (Ruby raises it for any 53x reply too; a 530 "Authentication required"
        # answers the command that needed a login, never AUTH: RFC 4954 §6)
        r"line \d+, in login\b|\bSMTPAuthenticationError\b(?!\W{0,4}530\b)",
        _S.AUTH,
    ),
    stage_phrase("stage.library_ehlo", r"line \d+, in (?:ehlo|helo)\b|\bSMTPHeloError\b", _S.EHLO),
    stage_phrase("stage.library_starttls", r"line \d+, in starttls\b", _S.STARTTLS),
    stage_phrase("stage.library_rcpt", r"\bSMTPRecipientsRefused\b", _S.RCPT_TO),
    stage_phrase("stage.library_mail", r"\bSMTPSenderRefused\b", _S.MAIL_FROM),
    stage_phrase("stage.library_data", r"line \d+, in data\b|\bSMTPDataError\b", _S.DATA),
    # PHPMailer ("MAIL FROM command failed", "DATA END command failed") and
    # nodemailer ("Mail command failed", "Recipient command failed") name the
    # command whose reply they quote.
    stage_phrase("stage.library_data_end", r"\bDATA END command failed\b", _S.MESSAGE),
    # A refusal of the From header (SMTP2GO's "550 From header sender domain not verified")
    # is read after the message: the header is part of the message, not of MAIL FROM.
    stage_phrase(
        "stage.from_header_refused",
        r"\bFrom header\b[^\n]{0,40}\b"
        r"(?:not verified|not allowed|rejected|invalid|does not match)\b",
        _S.MESSAGE,
    ),
    # Python smtplib's debug output: the AUTH it sent, then the refusal.
    stage_phrase("stage.smtplib_debug_auth", r"send: 'AUTH [^']*'\s*reply: '[45]\d\d", _S.AUTH),
    stage_phrase("stage.library_data_failed", r"\bDATA command failed\b", _S.DATA),
    # A second MAIL FROM in one transaction ("503 Error: nested MAIL command", Postfix and
    # smtp-server) answers MAIL FROM, whatever the client's "Message failed" wrapper says.
    stage_phrase("stage.nested_mail", r"\bnested MAIL command\b", _S.MAIL_FROM),
    stage_phrase("stage.library_message_failed", r"\bMessage failed: [45]\d\d\b", _S.MESSAGE),
    # JavaMail's SendFailedException "Invalid Addresses" wraps RCPT TO refusals;
    # .NET raises SmtpFailedRecipientException(s) for them.
    stage_phrase(
        "stage.javamail_rcpt",
        r"\bInvalid Addresses\b|\bSMTPAddressFailedException\b|SMTPTransport\.rcptTo\b|"
        r"\bSmtpFailedRecipientExceptions?\b",
        _S.RCPT_TO,
    ),
    # Postfix's receiving side: a milter's verdict on the whole message; a TLS
    # handshake the server accepted the connection for.
    stage_phrase("stage.milter_eom", r"milter-reject: END-OF-MESSAGE\b", _S.MESSAGE),
    stage_phrase("stage.tls_accept", r"\bSSL_accept error from\b", _S.TLS_HANDSHAKE),
    stage_phrase(
        "stage.library_mail_failed",
        r"\bMAIL(?: FROM)? command failed\b|Failed to set sender\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.library_rcpt_failed",
        r"\b(?:RCPT TO|Recipient) command failed\b|all recipients were rejected|"
        r"Failed to add recipient|SMTP Error: The following recipients failed",
        _S.RCPT_TO,
    ),
    # Stack frames: MailKit's and .NET SmtpClient's handler of the reply, Ruby
    # Net::SMTP waiting for the greeting in do_start.
    stage_phrase(
        "stage.library_frame_mail",
        r"\bOnSenderNotAccepted\b|\bProcessMailFromResponse\b|System\.Net\.Mail\.MailCommand\.Send\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.library_frame_rcpt",
        r"\bOnRecipientNotAccepted\b|\bProcessRcptToResponse\b|"
        r"System\.Net\.Mail\.RecipientCommand\.Send\b",
        _S.RCPT_TO,
    ),
    # (session 16, lines13) PHP mailers' authenticator frames (Swift Mailer 3's
    # Swift_Authenticator_LOGIN and its "Authenticator/LOGIN.php", Swift Mailer 5/6's
    # Swift_Transport_Esmtp_Auth_*Authenticator, Symfony Mailer's Smtp\Auth\*Authenticator):
    # the reply, whatever command the frame sent (a RSET on the way), came while logging in.
    stage_phrase(
        "l13-stage.php_authenticator_frame",
        r"\bSwift_Authenticator_\w+|"
        r"\bSwift[/\\](?:Authenticator|Transport[/\\]Esmtp[/\\]Auth)[/\\]\w+\.php\b|"
        r"\bSwift_Transport_Esmtp_Auth_\w*Authenticator\b|\bSmtp\\+Auth\\+\w+Authenticator\b",
        _S.AUTH,
    ),
    stage_phrase(
        "stage.library_frame_greeting",
        r"ReadLine\(SmtpReplyReader caller\)\s+"
        r"at System\.Net\.Mail\.SmtpConnection\.GetConnection\b|"
        r"`recv_response'\s+\S*smtp\.rb:\d+:in `block in do_start'|\bInvalid greeting\b",
        _S.GREETING,
    ),
    # .NET SmtpClient raises this for a 530 reply to MAIL FROM (MailCommand).
    stage_phrase(
        "stage.library_dotnet_mail",
        r"requires a secure connection or the client was not authenticated",
        _S.MAIL_FROM,
    ),
    # A local delivery agent's own log line (Dovecot's LMTP/LDA, Cyrus lmtpd,
    # maildrop) is past the SMTP session: it states no SMTP command; nor does a
    # reply to VRFY or EXPN. (Postfix's own "relay=local" lines stay RCPT TO for a
    # recipient: corpus.jsonl reads them so.)
    stage_phrase(
        "stage.local_delivery_agent",
        r"\bdovecot(?:\[\d+\])?: (?:lmtp|lda|deliver)\(|\blmtpd?(?:\[\d+\])?: verify_user\(|"
        r"\bmaildrop(?:\[\d+\])?: |\breject: (?:VRFY|EXPN) from\b",
        _S.NONE,
    ),
    # Exchange's transport agents name the event they refused in ("[Stage: OnRcptCommand]");
    # the routing and categorizer events come after the message was accepted (session 10:
    # "[Stage: OnCreatedEvent][Agent: Approval Processing Agent]").
    stage_phrase("stage.exchange_agent_mail", r"\[Stage: OnMailCommand\]", _S.MAIL_FROM),
    stage_phrase("stage.exchange_agent_rcpt", r"\[Stage: OnRcptCommand\]", _S.RCPT_TO),
    stage_phrase("stage.exchange_agent_data", r"\[Stage: OnDataCommand\]", _S.DATA),
    stage_phrase("stage.exchange_agent_message", r"\[Stage: OnEndOf(?:Data|Headers)\]", _S.MESSAGE),
    stage_phrase(
        "stage.exchange_agent_after",
        r"\[Stage: On(?:Submitted|Resolved|Routed|Categorized|Created)(?:Message|Event)\]",
        _S.NONE,
    ),
    # Sendmail names the command it counted ("possible SMTP attack: command=AUTH").
    stage_phrase("stage.sendmail_attack_auth", r"possible SMTP attack: command=AUTH\b", _S.AUTH),
    # A policy service's own decision line (postgrey's "action=greylist, reason=")
    # is no SMTP reply: it states no command.
    stage_phrase("stage.policy_service_line", r"\baction=greylist, reason=", _S.NONE),
    # nginx's mail proxy looks the client's name up when it connects.
    stage_phrase("stage.nginx_client_lookup", r"while in resolving client address", _S.CONNECT),
    # Exim's connect ACL refuses the connection in place of the greeting.
    stage_phrase(
        "stage.exim_connect_acl", r"\brejected connection in \"connect\" ACL\b", _S.GREETING
    ),
    # Receiving-side lines that say when the server refused (a sending MTA's own
    # "(in reply to X command)" after the words states the command instead).
    # Exim's whole sender-verification refusal ("550-Verification failed for <sender>
    # 550-... 550 Sender verify failed", as a DSN quotes it) comes from "verify = sender"
    # in the RCPT ACL of Exim's default configuration (and cPanel's): it answers RCPT TO.
    stage_phrase(
        "stage.exim_sender_verify_rcpt",
        r"\bVerification failed for <[^>\n]*>(?:(?!\(in reply to ).){0,300}?"
        r"\bSender verify failed\b(?![^\n]*\(in reply to )",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.exim_sender_verify",
        r"(?:sender verify fail|Could not complete sender verify callout)"
        r"(?![^\n]*\(in reply to )",
        _S.MAIL_FROM,
    ),
    # JavaMail connected but the greeting was a refusal.
    stage_phrase(
        "stage.javamail_greeting",
        r"Could not connect to SMTP host: [^,\n]+, port: \d+, response: [45]",
        _S.GREETING,
    ),
    # A client's log naming the command before the reply: "RCPT TO:<a@b> (554 ...)".
    # ... or Coremail's "SMTP error, RCPT TO:550 ..." / "DOT:519 ...".
    stage_phrase(
        "stage.command_reply_rcpt", r"RCPT TO:\s*(?:<[^>\n]*>)?:? ?\(?[45]\d\d\b", _S.RCPT_TO
    ),
    stage_phrase(
        "stage.command_reply_mail", r"MAIL FROM:\s*(?:<[^>\n]*>)?:? ?\(?[45]\d\d\b", _S.MAIL_FROM
    ),
    stage_phrase("stage.command_reply_dot", r"SMTP error, DOT:\s?[45]\d\d\b", _S.MESSAGE),
    # curl's SMTP errors name the command: "(55) MAIL failed: 553", "RCPT failed: 550".
    stage_phrase("stage.curl_mail", r"\bMAIL failed: [45]\d\d\b", _S.MAIL_FROM),
    stage_phrase("stage.curl_rcpt", r"\bRCPT failed: [45]\d\d\b", _S.RCPT_TO),
    # (session 14) Perl's Email::Sender names the step of its failure: "error at RCPT",
    # "error at DATA start" (the DATA command), "error at after DATA" (the reply to the
    # message sent, the end of data).
    stage_phrase("stage.email_sender_after_data", r"\berror at after DATA\b", _S.MESSAGE),
    # JavaMail's AuthenticationFailedException when it had no password to log in with
    # ("failed to connect, no password specified?"): the login, not the connect.
    stage_phrase(
        "stage.javamail_no_password", r"\bfailed to connect, no password specified\b", _S.AUTH
    ),
    stage_phrase("stage.command_reply_data", r"SMTP error, DATA:\s?[45]\d\d\b", _S.DATA),
    stage_phrase("stage.route_list", r"Recipient not in route list", _S.RCPT_TO),
    # Gmail's older DSNs name the state the session was in ("(SENT_HELO)").
    stage_phrase("stage.gmail_sent_helo", r"\(SENT_E?HELO\)", _S.EHLO),
    # Exim's DATA ACL runs once the whole message is in.
    stage_phrase("stage.exim_data_acl", r"\brejected after DATA\b", _S.MESSAGE),
    stage_phrase("stage.exim_acl_connect", r"by 'connect' ACL", _S.CONNECT),
    stage_phrase("stage.exim_pregreeting", r"input sent without waiting for greeting", _S.GREETING),
    stage_phrase(
        "stage.inbound_connect",
        r"Connection rate limit exceeded: \d+ from|hostname \S+ does not resolve to address|"
        r"\bwarning: [\w.:-]+: hostname \S+ verification failed\b",
        _S.CONNECT,
    ),
    stage_phrase(
        "stage.sendmail_data_end",
        r">>> \.\s*(?:\n|<<<)|\.\.\. while talking to [^\n]*\n?>>> \.",
        _S.MESSAGE,
    ),
    stage_phrase("stage.greeting_read", r"Failed to read SMTP server greeting", _S.GREETING),
    # (Thunderbird's "The mail server sent an incorrect greeting: <the server's banner>")
    stage_phrase("stage.incorrect_greeting", r"\bsent an incorrect greeting\b", _S.GREETING),
    # qmail's words for where the remote host said no; Yahoo's [RCPT_TO] tags.
    stage_phrase(
        "stage.qmail_message",
        r"failed after I sent the message|\bSTEP: DATA SEND\b|for TEXT command",
        _S.MESSAGE,
    ),
    stage_phrase(
        "stage.qmail_rcpt",
        r"does not like recipient|most progress was RCPT TO|\[RCPT_TO\]|"
        r"Error following RCPT command",
        _S.RCPT_TO,
    ),
    stage_phrase("stage.qmail_mail", r"but sender was rejected|\[MAIL_FROM\]", _S.MAIL_FROM),
    stage_phrase("stage.qmail_helo", r"but my name was rejected", _S.EHLO),
    stage_phrase("stage.data_refused", r"refused to accept your message \(DATA\)", _S.DATA),
    # m-FILTER and other gateways: "-------SMTP command\nDATA".
    stage_phrase("stage.gateway_data", r"-+\s*SMTP command\s+DATA\b", _S.DATA),
    stage_phrase("stage.gateway_rcpt", r"-+\s*SMTP command\s+RCPT\b", _S.RCPT_TO),
    stage_phrase("stage.gateway_mail", r"-+\s*SMTP command\s+MAIL\b", _S.MAIL_FROM),
    stage_phrase("stage.failed_connect", r"Failed to connect\. Winsock", _S.CONNECT),
    # (session 14) Domino's SMTP client debug log names the command a reply answered:
    # "SMTPClient: ReceiveResponse: Server: <ip> Command:EODT Error:554 ..." (EODT: its
    # end of the message data; its RCPT and MAIL are read by the command keys).
    stage_phrase("stage.domino_eodt", r"\bCommand:\s?EODT\b", _S.MESSAGE),
    # (session 17, lines14) Mail servers' own session logs that mark the end of the
    # message's transfer before the reply to it: MDaemon's "[id] Transfer Complete" then
    # "[id] <-- 550 ...", pmsrv's "[End of Data]", and the Japanese "EOD にエラー応答"
    # ("error reply at end of data"): the reply answers the message's final dot.
    stage_phrase(
        "stage.session_log_end_of_data",
        r"\bTransfer Complete\s+(?:\[\d+\]\s+)?<--|\[End of Data\]|\bEOD\s?にエラー応答",
        _S.MESSAGE,
    ),
    stage_phrase(
        "stage.sendmail_transcript",
        r">>> (?:RCPT To:|RCPT TO:)|ruleset=check_rcpt\b",
        _S.RCPT_TO,
    ),
    stage_phrase("stage.sendmail_mail", r">>> MAIL From:|ruleset=check_mail\b", _S.MAIL_FROM),
    stage_phrase("stage.sendmail_data", r">>> DATA\b", _S.DATA),
    # check_relay runs when the client connects; its refusal is sent instead
    # of the greeting (like "refused to talk to me").
    stage_phrase("stage.sendmail_relay", r"ruleset=check_relay\b", _S.GREETING),
    # Exim's delivery transcript (exim -v, -d): "SMTP>> RCPT TO:<x>" then the server's
    # "SMTP<< 550 ..."; the command the first failing reply answered (session 11). A
    # refusal right after "Connecting to ... connected" was the greeting.
    stage_phrase("stage.exim_v_rcpt", _exim_v(r"RCPT TO:"), _S.RCPT_TO),
    stage_phrase("stage.exim_v_mail", _exim_v(r"MAIL FROM:"), _S.MAIL_FROM),
    stage_phrase("stage.exim_v_data", _exim_v(r"DATA\b"), _S.DATA),
    stage_phrase("stage.exim_v_dot", _exim_v(r"writing message and terminating"), _S.MESSAGE),
    stage_phrase("stage.exim_v_ehlo", _exim_v(r"(?:EHLO|HELO)\b"), _S.EHLO),
    stage_phrase("stage.exim_v_starttls", _exim_v(r"STARTTLS\b"), _S.STARTTLS),
    stage_phrase("stage.exim_v_auth", _exim_v(r"AUTH\b"), _S.AUTH),
    stage_phrase("stage.swift_log_rcpt", _swift_log(r"RCPT TO:"), _S.RCPT_TO),
    stage_phrase("stage.swift_log_mail", _swift_log(r"MAIL FROM:"), _S.MAIL_FROM),
    stage_phrase("stage.swift_log_data", _swift_log(r"DATA\b"), _S.DATA),
    stage_phrase("stage.swift_log_dot", _swift_log(r"\.(?= )"), _S.MESSAGE),
    stage_phrase("stage.swift_log_ehlo", _swift_log(r"(?:EHLO|HELO)\b"), _S.EHLO),
    stage_phrase("stage.swift_log_starttls", _swift_log(r"STARTTLS\b"), _S.STARTTLS),
    stage_phrase("stage.swift_log_auth", _swift_log(r"AUTH\b"), _S.AUTH),
    stage_phrase("stage.exim_v_greeting", r"\.\.\. connected\s+SMTP<< [45]\d\d\b", _S.GREETING),
    # MDaemon's session log: "Waiting for protocol to start..." is written before the
    # banner, so a "<-- 451" right after it refused the connection in the greeting.
    stage_phrase(
        "stage.mdaemon_greeting",
        r"Waiting for protocol to start\.\.\.(?:(?!-->).){0,400}?<-- [45]\d\d\b",
        _S.GREETING,
    ),
    # Filters' and servers' own sentences said outright (knowledge/filter_texts.py).
    *FILTER_STAGE_PHRASES,
    # Devices' numbered errors that name the command (knowledge/device_codes.py).
    *DEVICE_STAGE_PHRASES,
)

# Weaker than any phrase that names a command: Exim's error numbers say
# which command got the 4xx (macros.h ERRNO_RCPT4XX/MAIL4XX/DATA4XX).
FALLBACK_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # The sender's address is checked at MAIL FROM (Postfix may delay the
    # reject to RCPT TO, but the text is about the sender).
    stage_phrase(
        "stage.sender_rejected",
        r"Sender address rejected|sender rejected|\binvalid sender\b|[ÉE]metteur invalide|"
        # (a relay's "Sender domain does not exist": the sender's domain, read at MAIL FROM)
        r"\bSender domain (?:does not exist|not found)\b|"
        # (a sender verification callout that failed: "Verify mailfrom failed,blocked")
        r"\bVerify mail ?from failed\b",
        _S.MAIL_FROM,
    ),
    # (session 18, catalogues) Postfix's reply classes name the restriction list that
    # refused (smtpd_dsn_fix.h: "Data command", "End-of-data"; "<%s>: %s rejected: ..."):
    # smtpd_data_restrictions answer DATA, smtpd_end_of_data_restrictions the message.
    stage_phrase("c18.stage.postfix_data_class", r"\bData command rejected\b", _S.DATA),
    stage_phrase("c18.stage.postfix_eod_class", r"\bEnd-of-data rejected\b", _S.MESSAGE),
    # Postfix's recipient class "<a>: Recipient address rejected: <reason>" (smtpd_dsn_fix.h;
    # smtpd_recipient_restrictions, and every other restriction list under the default
    # smtpd_delay_reject) states that the recipient address, RCPT TO's argument (RFC 5321
    # §3.3), was refused, whatever the reason after it: a rate, a busy server, a listed
    # client, a policy service's HELO or SPF check (cbpolicyd's "Invalid HELO/EHLO",
    # pypolicyd-spf's "SPF fail"). Session 20 (conventions): 89 of the 90 tune lines quoting
    # it were first labelled RCPT TO; the earlier convention (the prefix stageless unless
    # its reason judged the recipient) was the engine's, not a fresh reader's.
    stage_phrase(
        "c20.stage.postfix_rcpt_class",
        r"\bRecipient address rejected:",
        _S.RCPT_TO,
    ),
    # (session 19, catalogues2) A content scanner's verdict on the message (rspamd's
    # scanners: "DCC: bulk message found", "spam message found"; amavisd-new's blocked
    # categories after its id: "id=12345-01 - BANNED: ...", "- UNCHECKED: encrypted").
    stage_phrase(
        "c19.stage.content_verdict",
        r"\b(?:bulk|spam|threat) message found\b|"
        r"\bid=[\w.-]+ - (?:INFECTED|BANNED|UNCHECKED|BAD HEADER|spammy?)\b",
        _S.MESSAGE,
    ),
    # (session 19, catalogues2) A refusal that names the message's MIME structure or its
    # header (MIMEDefang's "Message contained too many MIME parts", "MIME type
    # message/partial not accepted here"; Exim's "552 Message header is ridiculously
    # long"): the message was judged.
    stage_phrase(
        "c19.stage.message_structure",
        r"\bMIME (?:types?|parts?|structure|boundar(?:y|ies))\b|"
        r"\bmessage header(?: line)? (?:is |was )?(?:(?:too|ridiculously) long|not CRLF)",
        _S.MESSAGE,
    ),
    # (session 18, catalogues) Encryption demanded for a login (RFC 4954 §6: "538 5.7.11
    # Encryption required for requested authentication mechanism"; hMailServer's "530 A
    # SSL/TLS-connection is required for authentication", mox's "authentication requires
    # tls"): the answer to AUTH.
    stage_phrase(
        "c18.stage.tls_for_auth",
        r"\b(?:TLS|SSL|encryption|STARTTLS)\b[^.;\n]{0,30}?\brequired (?:for|before) (?:the )?"
        r"(?:requested )?(?:authentication|AUTH|login)\b|"
        r"\bauthentication requires (?:TLS|SSL|encryption)\b",
        _S.AUTH,
    ),
    # PHP's mail() on Windows speaks HELO, MAIL FROM, RCPT TO and DATA, never AUTH: a 530
    # "authentication required" it quotes answers its MAIL FROM.
    stage_phrase("stage.php_mail_530", r"\bmail\(\): SMTP server response: 530\b", _S.MAIL_FROM),
    # Relays that ask for a login before relaying ("550 Authentication is required for
    # relay") refuse the outside recipient, and Exchange Online's "Remote certificate
    # failed MTA-STS validation" is read from the certificate of the TLS handshake.
    # A relay refusal that asks for a login ("550 Relay access denied - please authenticate")
    # answers RCPT TO too. (Exchange Online's bare "TenantAttribution; Relay Access Denied"
    # names no login and stays at no stage.)
    stage_phrase(
        "stage.auth_for_relay",
        r"\bauthentication is required for relay\b|"
        r"\brelay access denied\b[^\n]{0,20}\b(?:please |must )?authenticat",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.mta_sts_certificate",
        r"\bcertificate failed MTA-STS validation\b",
        _S.TLS_HANDSHAKE,
    ),
    # An "authentication failed" under an X.1.x enhanced code (RFC 3463 address status:
    # Forpsi's "550 5.1.0 <id> authentication failed") refuses the sender address of a
    # client that did not log in: AUTH's own failures carry X.7.x (RFC 4954), so this
    # answers MAIL FROM.
    stage_phrase(
        "stage.address_code_auth_refusal",
        r"\b[45]\.1\.[0-9]\b[^\n]{0,60}?\bauthentication (?:failed|rejected)\b",
        _S.MAIL_FROM,
    ),
    # VPOP3's SMTP rules ("550 5.7.1 Recipient Prohibited (3)") refuse the recipient.
    stage_phrase("stage.recipient_prohibited", r"\brecipient prohibited\b", _S.RCPT_TO),
    stage_phrase("stage.exim_rcpt4xx", r"\bdefer \(-44\)", _S.RCPT_TO),
    stage_phrase("stage.exim_mail4xx", r"\bdefer \(-45\)", _S.MAIL_FROM),
    stage_phrase("stage.exim_data4xx", r"\bdefer \(-46\)", _S.MESSAGE),
    stage_phrase("stage.exim_connect_timeout", r"\bdefer \(-43\)", _S.CONNECT),
    # Filters' and servers' own sentences (knowledge/filter_texts.py): what a refusal
    # judged, weaker than a command the text states.
    *FILTER_FALLBACK_PHRASES,
)
