"""Where a failure happened, in words that hold across a class (issue 10): stated and usual stages.

Split from :mod:`~smtpdoctor.knowledge.wording` (which keeps the class-wide
cause vocabulary); this module holds the stage side of the same wording:

* :data:`STATED_STAGES`: more ways a text states the command it failed at
  (a quoted command with its result, Ruby's and Python's stack frames,
  Go's dialer).
* :data:`SUBJECT_STAGES`: where a refusal usually happens when the text
  states no stage but names what was judged: the message (content, spam,
  DKIM, DMARC, headers) after the data, the sender (SPF, the MAIL FROM
  domain) at MAIL FROM, the connection itself at the greeting.
* :data:`CODE_STAGES`: basic reply codes that answer only one command
  (RFC 4954: 534/535/538 answer AUTH).

Sources: RFC 5321 §4.2.3 and §3.3, RFC 4954 §6, RFC 7208 §2.4 (SPF checks
the MAIL FROM identity), RFC 7489 §3.1 (DMARC aligns the RFC5322.From
header, so it is judged on the message), RFC 6376 (DKIM signs the
message); the rows of tests/data/replies/lines.jsonl name a public source
for each phrasing.
"""

from __future__ import annotations

import re

from smtpdoctor.knowledge.phrasing import StagePhrase, search_gated, stage_phrase
from smtpdoctor.model import Category, Stage

__all__ = [
    "CLIENT_SOCKET_STAGES",
    "CODE_STAGES",
    "DELIVERED_LOCALLY",
    "LOCALISED_CLAUSE",
    "LOCALISED_COMMANDS",
    "LOCALISED_NOT_LISTED",
    "STATED_STAGES",
    "SUBJECT_STAGES",
    "implied_stage",
    "names_recipient",
    "subject_stage",
]

_S = Stage
_CMD, _Q = r"\bcommand\"?: ['\"]", r"['\"]"
# (a step said to have failed, "Failed to set sender": the literal "to " gates the search)
_STEP_FAILED = r"(?:(?<=\bfailed )|(?<=\bfailure )|(?<=\bunable ))to "
_COULD_NOT = r"\b(?:could not|couldn't|cannot|can't) "

# The commands a text may name as the step that failed, with the stage each is (the
# localised "... RCPT TO ..." clauses and Swift's executeCommand frame read them alike).
_COMMAND_STAGES: tuple[tuple[str, str, Stage], ...] = (
    ("rcpt", "RCPT TO", _S.RCPT_TO),
    ("mail", "MAIL FROM", _S.MAIL_FROM),
    ("data", "DATA", _S.DATA),
    ("ehlo", "(?:EHLO|HELO)", _S.EHLO),
    ("auth", "AUTH", _S.AUTH),
    ("starttls", "STARTTLS", _S.STARTTLS),
)

STATED_STAGES: tuple[StagePhrase, ...] = (
    # (session 14) A client's "error 535 ..." ("Check SMTP settings: error 535
    # Authentication required"): RFC 4954's 535 answers AUTH only (CODE_STAGES), also
    # where the client's words stand before it and no reply line is parsed.
    stage_phrase("stage.error_code_535", r"\berror:? \(?535\b(?![.\d])", _S.AUTH),
    # OpenSMTPD and others log the command with its result.
    stage_phrase(
        "stage.quoted_rcpt",
        r"command=\"?RCPT TO\b|\"RCPT TO:[^\"]*\" =>|Failed command[^\n]*RCPT TO",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.quoted_mail",
        r"command=\"?MAIL FROM\b|\"MAIL FROM:[^\"]*\" =>|Failed command[^\n]*MAIL FROM",
        _S.MAIL_FROM,
    ),
    # (session 11) any log's key for the command it was at ("command=AUTH", "cmd=DATA",
    # "command: EHLO"), as OpenSMTPD's and Sendmail's name RCPT TO and MAIL FROM above.
    stage_phrase("stage.command_key_auth", r"\b(?:command|cmd)[=:] ?[\"']?AUTH\b", _S.AUTH),
    stage_phrase(
        "stage.command_key_ehlo", r"\b(?:command|cmd)[=:] ?[\"']?(?:EHLO|HELO)\b", _S.EHLO
    ),
    stage_phrase("stage.command_key_data", r"\b(?:command|cmd)[=:] ?[\"']?DATA\b", _S.DATA),
    stage_phrase(
        "stage.command_key_starttls", r"\b(?:command|cmd)[=:] ?[\"']?STARTTLS\b", _S.STARTTLS
    ),
    # (session 14) A size refusal judged on the size the client declared with MAIL FROM's
    # SIZE parameter (RFC 1870), before any data: Apache James's "exceeding system maximum
    # message size of N based on SIZE option", "SIZE parameter exceeds ...".
    stage_phrase(
        "stage.size_declared",
        r"\b(?:based on|by|from|per) (?:the |its )?(?-i:SIZE) (?:option|parameter|extension)\b|"
        r"\b(?-i:SIZE) parameter (?:exceeds|too large|is too)\b|\bdeclared (?-i:SIZE)\b",
        _S.MAIL_FROM,
    ),
    # Something the client did or was refused before the server's greeting ("client
    # sent data before SMTP greeting", "closed connection before SMTP greeting").
    stage_phrase(
        "stage.before_greeting",
        r"\bbefore (?:the )?(?:SMTP |server )?(?:greeting|banner)\b",
        _S.GREETING,
    ),
    # (session 12) The greeting named as what went wrong or was waited for ("Got bad
    # greeting", "Failed to receive the SMTP banner", "Timed out waiting for server ready
    # message"), or a client that expected the greeting's 220 and got something else.
    stage_phrase(
        "stage.greeting_named",
        r"\b(?:bad|invalid|incorrect|unexpected|no) (?:SMTP )?greeting\b|"
        r"\b(?:receive|read|get|wait(?:ing)? for) (?:the )?(?:SMTP |server )?(?:banner|greeting)\b|"
        r"\bserver ready message\b|\bExpected response code \"?220\"? but got\b",
        _S.GREETING,
    ),
    # A stack frame of an SMTP client class named for the command it was sending
    # (emailjs's "at SMTPConnection.helo", any "SmtpSession.rcpt"): that command.
    stage_phrase("stage.client_frame_ehlo", r"\bat \w*SMTP\w*\.(?:helo|ehlo)\b(?!\w)", _S.EHLO),
    stage_phrase("stage.client_frame_auth", r"\bat \w*SMTP\w*\.(?:login|auth)\b", _S.AUTH),
    stage_phrase("stage.client_frame_mail", r"\bat \w*SMTP\w*\.mail\b", _S.MAIL_FROM),
    stage_phrase("stage.client_frame_rcpt", r"\bat \w*SMTP\w*\.rcpt\b", _S.RCPT_TO),
    stage_phrase("stage.client_frame_starttls", r"\bat \w*SMTP\w*\.starttls\b", _S.STARTTLS),
    # (session 11) A server said to have refused the command or its argument, in
    # English and the clients' other languages ("The server rejected the MAIL FROM
    # command", "rejected the recipient", "Die Empfängeradresse wurde vom Server
    # abgelehnt", "rechazó la dirección del destinatario").
    stage_phrase(
        "stage.refused_the_sender",
        r"\b(?:rejected|refused|did not accept|didn't accept) the (?:MAIL FROM|MAIL|sender)"
        r"(?: address| command)?\b|"
        r"\bAbsender(?:adresse)?\b[^.;\n]{0,40}?\babgelehnt\b|"
        r"\b(?:rechaz\w*|refus\w*) (?:la |l')?"
        r"(?:direcci[óo]n del remitente|adresse de l'exp[ée]diteur)",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.refused_the_recipient",
        r"\b(?:rejected|refused|did not accept|didn't accept) the (?:RCPT TO|RCPT|recipients?)"
        r"(?: address(?:es)?| command)?\b|"
        r"\bEmpfänger(?:adresse)?\b[^.;\n]{0,40}?\babgelehnt\b|"
        r"\b(?:rechaz\w*|refus\w*) (?:la |l')?(?:direcci[óo]n del destinatario|"
        r"adresse du destinataire)",
        _S.RCPT_TO,
    ),
    # Ruby's Net::SMTP frames name the command whose reply raised.
    stage_phrase("stage.ruby_rcpt", r"smtp\.rb:\d+:in [`']?(?:block in )?rcptto", _S.RCPT_TO),
    stage_phrase("stage.ruby_mail", r"smtp\.rb:\d+:in [`']?mailfrom\b", _S.MAIL_FROM),
    stage_phrase("stage.ruby_data", r"smtp\.rb:\d+:in [`']?data\b", _S.DATA),
    stage_phrase("stage.ruby_auth", r"smtp\.rb:\d+:in [`']?(?:authenticate|auth_\w+)", _S.AUTH),
    # Outlook's numbers for a refused sender and refused recipients (imnxport.h
    # SMTP_REJECTED_SENDER, SMTP_REJECTED_RECIPIENTS): the reply beside them says why.
    stage_phrase("stage.outlook_rejected_sender", r"\b0[x\u00d7]800CCC78\b", _S.MAIL_FROM),
    stage_phrase("stage.outlook_rejected_recipients", r"\b0[x\u00d7]800CCC79\b", _S.RCPT_TO),
    # A device's or a client's own report of the SMTP command that failed, with no
    # reply ("SMTP HELO request unsuccessful", "SMTP RCPT request unsuccessful": a PLC
    # Ethernet module's diagnostics)
    stage_phrase(
        "stage.command_request_failed_ehlo",
        r"\b(?:HELO|EHLO) (?:request|command) (?:unsuccessful|failed)\b",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.command_request_failed_mail",
        r"\bMAIL(?: FROM)? (?:request|command) (?:unsuccessful|failed)\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.command_request_failed_rcpt",
        r"\bRCPT(?: TO)? (?:request|command) (?:unsuccessful|failed)\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.command_request_failed_data",
        r"\bDATA (?:request|command) (?:unsuccessful|failed)\b",
        _S.DATA,
    ),
    # Go's net/smtp steps as Mattermost's mail service names them (c.Mail, c.Rcpt, and
    # the DATA writer's Close, which returns the reply to the end of the message).
    stage_phrase(
        "stage.go_mail_steps_rcpt",
        r"\b[Ff]ailed to (?:set the to address|add to email address)\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.go_mail_steps_mail", r"\b[Ff]ailed to set the from address\b", _S.MAIL_FROM
    ),
    stage_phrase(
        "stage.go_mail_steps_end",
        r"\b[Ff]ailed to close connection to SMTP server\b(?= - [45]\d\d)",
        _S.MESSAGE,
    ),
    # Python's smtplib: connect() then getreply() is the wait for the greeting.
    stage_phrase(
        "stage.python_greeting",
        r"smtplib\.py\", line \d+, in connect\b(?:(?!\", line \d+, in (?:ehlo|helo|login|"
        r"starttls|sendmail|mail|rcpt|data)\b).)*?in getreply",
        _S.GREETING,
    ),
    stage_phrase(
        "stage.go_dial", r"(?<![A-Za-z0-9_])dial tcp(?: \S*\d+)?: (?!lookup\b)", _S.CONNECT
    ),
    # Yahoo refuses the sending IP in its reply to MAIL FROM ("553 Mail from x.x.x.x
    # not allowed").
    stage_phrase("stage.yahoo_mail_from_ip", r"\bMail from [\w.:]+ not allowed\b", _S.MAIL_FROM),
    stage_phrase(
        "stage.before_tls",
        r"before (?:a )?secure TLS connection was established|during (?:the )?TLS handshake",
        _S.TLS_HANDSHAKE,
    ),
    # PHPMailer 5 said "DATA command not accepted from server" for the command and
    # "DATA not accepted from server" for the reply to the message's end.
    stage_phrase(
        "stage.phpmailer5_data_end", r"SMTP -> ERROR: DATA not accepted from server\b", _S.MESSAGE
    ),
    # smtplib's debug output: the command sent, then the failing reply; a failing
    # reply right after the connect is the banner.
    stage_phrase(
        "stage.smtplib_debug_rcpt", r"send: b?'rcpt TO:[^']*'\s*reply: b?'[45]\d\d", _S.RCPT_TO
    ),
    stage_phrase(
        "stage.smtplib_debug_mail", r"send: b?'mail FROM:[^']*'\s*reply: b?'[45]\d\d", _S.MAIL_FROM
    ),
    stage_phrase(
        "stage.smtplib_debug_data", r"send: b?'data(?:\\[rn]|\s)*'\s*reply: b?'[45]\d\d", _S.DATA
    ),
    stage_phrase(
        "stage.smtplib_debug_ehlo", r"send: b?'(?:ehlo|helo)\b[^']*'\s*reply: b?'[45]\d\d", _S.EHLO
    ),
    stage_phrase(
        "stage.smtplib_debug_starttls",
        r"send: b?'STARTTLS(?:\\[rn]|\s)*'\s*reply: b?'[45]\d\d",
        _S.STARTTLS,
    ),
    stage_phrase(
        "stage.smtplib_debug_greeting",
        r"connect: to \([^)]*\) None\s*reply: b?'[45]\d\d",
        _S.GREETING,
    ),
    # The DATA command's reply (PHPMailer; Ruby waits for 354 to DATA; Swift and
    # Symfony Mailer name the reply code they waited for).
    stage_phrase(
        "stage.data_reply",
        r"\bdata not accepted\b|could not get 3xx \(354\)|"
        r"expected (?:reply |response code )?\"?354\b",
        _S.DATA,
    ),
    stage_phrase("stage.expected_220", r"\bExpected response code \"?220\b", _S.GREETING),
    stage_phrase("stage.expected_235", r"\bExpected response code \"?(?:235|334)\b", _S.AUTH),
    # Gmail names the command its 4xx answered: "... closing connection. (EHLO)".
    stage_phrase("stage.gmail_command_ehlo", r"[.,] \((?:EHLO|HELO)\)(?=[ \"'\\]|$)", _S.EHLO),
    stage_phrase("stage.gmail_command_mail", r"[.,] \(MAIL\)(?=[ \"'\\]|$)", _S.MAIL_FROM),
    stage_phrase("stage.gmail_command_rcpt", r"[.,] \(RCPT\)(?=[ \"'\\]|$)", _S.RCPT_TO),
    # A traceback's last frame whose source line calls starttls() (Django's
    # backend: "line 87, in open / self.connection.starttls(").
    stage_phrase("stage.python_starttls", r"line \d+, in \w+\s+\S*\.starttls\(", _S.STARTTLS),
    # Exim's "SMTP timeout after sending data block" is the message transfer;
    # Postfix's "... after CONNECT from" is before the client's first command.
    stage_phrase("stage.data_block", r"(?:after|while) sending data block", _S.MESSAGE),
    stage_phrase("stage.after_connect", r"\bafter CONNECT\b", _S.GREETING),
    # A reply that quotes the command it answers ("550 RCPT TO:<a@b> ...").
    stage_phrase(
        "stage.reply_quotes_rcpt", r"\b[45]\d\d[ -](?:[45]\.\d+\.\d+ )?RCPT TO:", _S.RCPT_TO
    ),
    stage_phrase(
        "stage.reply_quotes_mail", r"\b[45]\d\d[ -](?:[45]\.\d+\.\d+ )?MAIL FROM:", _S.MAIL_FROM
    ),
    # RFC 5321's own names for the arguments of RCPT TO and MAIL FROM.
    stage_phrase("stage.forward_path", r"\bforward[- ]path\b", _S.RCPT_TO),
    stage_phrase("stage.reverse_path", r"\breverse[- ]path\b", _S.MAIL_FROM),
    # Postfix's smtpd names the client's last command ("NOQUEUE: reject: CONNECT
    # from", "timeout after END-OF-MESSAGE from"); its older client said "while
    # performing the initial protocol handshake" for the wait for the banner.
    stage_phrase("stage.smtpd_eom", r"\b(?:after|reject:) (?:END-OF-MESSAGE|BDAT)\b", _S.MESSAGE),
    stage_phrase("stage.smtpd_connect", r"\breject: CONNECT from\b", _S.GREETING),
    stage_phrase("stage.smtpd_data", r"\breject: DATA from\b", _S.DATA),
    stage_phrase(
        "stage.smtpd_ehlo",
        r"\breject: (?:EHLO|HELO) from\b|\brejected (?:EHLO|HELO) from\b",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.initial_handshake", r"\bperforming the initial protocol handshake\b", _S.GREETING
    ),
    stage_phrase("stage.exim_initial", r"\bin response to initial connection\b", _S.GREETING),
    # Sendmail's phases (SmtpPhase), stated after "during" by its timeouts ("timeout
    # waiting for input from X during client RCPT", util.c) and connection errors
    # ("Connection reset by X during server MAIL", err.c): "client ..." as the
    # sender (usersmtp.c), "server ..." as the receiver (srvrsmtp.c). DATA 354 is
    # the DATA command, DATA status (older releases: DATA 250) the message's end;
    # "server cmd read", "client RSET" and "client probe" name no one command.
    # Sendmail 8.17.1.9, github.com/deepin-community/sendmail at c7e7de44d956:
    # usersmtp.c 171-220, 2294, 2514, 2721, 2841, 3013; srvrsmtp.c 2511-3943.
    # (The command word as Sendmail prints it: "client MAILER" is no phase.)
    *(
        stage_phrase(f"stage.sendmail_phase_{name}", rf"\bduring {side} (?-i:{word}){after}", stage)
        for name, side, word, after, stage in (
            ("mail", "(?:client|server)", "MAIL", r"\b", _S.MAIL_FROM),
            ("rcpt", "(?:client|server)", "RCPT", r"\b", _S.RCPT_TO),
            ("eom", "client", "DATA", r" (?:status|250)\b", _S.MESSAGE),
            ("data", "(?:client|server)", "DATA", r"\b(?! (?:status|250)\b)", _S.DATA),
            ("ehlo", "(?:client|server)", "EHLO|HELO|LHLO", r"\b", _S.EHLO),
            ("quit", "client", "QUIT", r"\b", _S.QUIT),
            ("tls", "client", "STARTTLS", r"\b", _S.STARTTLS),
            ("auth", "client", "AUTH", r"\b", _S.AUTH),
        )
    ),
    # collect.c: the message's text stopped ("collect: read timeout on connection
    # from X, from=<a>", "unexpected close", "I/O error"; "premature EOM").
    stage_phrase(
        "stage.sendmail_collect",
        r"\bpremature EOM\b|\bcollect: (?:I/O error|read timeout|unexpected close)\b",
        _S.MESSAGE,
    ),
    stage_phrase("stage.sendmail_lost_mail", r"\bto MTA after mail\b", _S.MAIL_FROM),
    # qmail-remote: "Connected to X but greeting failed."
    stage_phrase("stage.qmail_greeting", r"\bbut greeting failed\b", _S.GREETING),
    # JavaMail's and nodemailer's refused or lost banner, aiosmtplib's wait for it
    stage_phrase(
        "stage.client_bad_greeting",
        r"\bGot bad greeting from SMTP host\b|\bInvalid greeting from server\b|"
        r"\bwaiting for (?:the )?server ready message\b",
        _S.GREETING,
    ),
    # No banner came, or one the client could not read ("Failed to receive the SMTP
    # banner", "Failed to read greeting", async-smtp's "Unexpected greeting")
    stage_phrase(
        "stage.client_no_banner",
        r"\b(?:fail(?:ed|ure)?|unable|could ?n[o']t|did ?n[o']t) (?:to )?(?:receive|read|get) "
        r"(?:the |an? |any )?(?:(?:SMTP|server|initial|remote) )*(?:banner|greeting)\b|"
        r"\bUnexpected greeting\b",
        _S.GREETING,
    ),
    # PHPMailer's "Called Mail() without being connected" (its older name of MAIL FROM),
    # "Called Recipient() ...", "Called Data() ...", "Called Hello() ...": the step named
    stage_phrase(
        "stage.called_unconnected_mail",
        r"\bCalled (?:Mail\(\)|MAIL FROM) without being connected\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.called_unconnected_rcpt",
        r"\bCalled (?:Recipient\(\)|RCPT TO) without being connected\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.called_unconnected_data",
        r"\bCalled (?:Data\(\)|DATA) without being connected\b",
        _S.DATA,
    ),
    stage_phrase(
        "stage.called_unconnected_ehlo",
        r"\bCalled (?:Hello\(\)|HELO|EHLO) without being connected\b",
        _S.EHLO,
    ),
    # Go's net/smtp NewClient reads the banner: an application's wrapper around its
    # lost connection (Alertmanager's "create SMTP client: EOF", Mattermost's
    # "Failed to open a connection to SMTP server EOF"; a dial error has other words)
    stage_phrase(
        "stage.go_client_greeting",
        r"\bcreat(?:e|ing) (?:an? )?SMTP client: (?:unexpected )?EOF\b|"
        r"\bopen(?:ing)? a connection to (?:the )?SMTP server:? (?:unexpected )?EOF\b",
        _S.GREETING,
    ),
    # sSMTP's refused or unreadable banner (its STARTTLS reply has its own words);
    # dma's "server greeting" is its EHLO exchange (perform_server_greeting)
    stage_phrase("stage.ssmtp_banner", r"\bInvalid response SMTP server\b(?! \()", _S.GREETING),
    stage_phrase("stage.dma_ehlo", r"\bcould not perform server greeting\b", _S.EHLO),
    # sSMTP's refused AUTH exchange, whatever the reply quoted beside it says why
    stage_phrase(
        "stage.ssmtp_auth",
        r"\b(?:didn't|did not) (?:accept|like) (?:our )?AUTH\b|"
        r"\brejected AUTH (?:LOGIN|PLAIN|CRAM-MD5|XOAUTH2)\b",
        _S.AUTH,
    ),
    # The library checks the addresses for the MAIL FROM (and RCPT TO) it builds
    stage_phrase("stage.client_smtputf8", r"\bSMTPUTF8 is not supported by\b", _S.MAIL_FROM),
    # (nodemailer's command key as util.inspect writes it, 'RCPT TO', or JSON, "RCPT TO")
    # A library or gateway that names the command ("SMTP ERROR: EHLO command
    # failed", nodemailer's command: 'RCPT TO', "rejected at MAIL FROM",
    # "550 ... at RCPT"); the command's name in capitals.
    stage_phrase("stage.ehlo_failed", r"(?-i:\b(?:EHLO|HELO) command failed\b)", _S.EHLO),
    stage_phrase(
        "stage.at_command_rcpt",
        rf"{_CMD}RCPT(?: TO)?{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:RCPT(?: TO)?)\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.at_command_mail",
        rf"{_CMD}MAIL(?: FROM)?{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:MAIL(?: FROM)?)\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.at_command_data",
        rf"{_CMD}DATA{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:DATA)\b",
        _S.DATA,
    ),
    stage_phrase(
        "stage.at_command_ehlo",
        rf"{_CMD}(?:EHLO|HELO|LHLO){_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:EHLO|HELO)\b",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.at_command_auth",
        rf"{_CMD}AUTH\b|(?:\bat|\bfailed at|\bresponse to) (?-i:AUTH)\b",
        _S.AUTH,
    ),
    stage_phrase("stage.at_command_tls", rf"{_CMD}STARTTLS{_Q}", _S.STARTTLS),
    # Mail clients naming the refused command in their own words, read before the
    # words a server's reply uses for a command ("did not accept STARTTLS ... send
    # HELO first"): msmtp's "envelope from address ... not accepted by the server",
    # Nette Mail's "SMTP server did not accept STARTTLS|password|... with error",
    # .NET's 530 wrapper in its other wordings (raised from MAIL FROM: MailCommand).
    stage_phrase(
        "stage.client_words_mail_from",
        r"\benvelope from address \S+ not accepted by the server\b|"
        r"\brequires (?:a )?secure connection or (?:the )?client (?:was|is) not authenticated\b",
        _S.MAIL_FROM,
    ),
    # A client's protocol trace: its "C: ." or Swift Mailer's ">> ." (the end of the
    # data) with an error or a refusal right after it (searched on the flattened text).
    stage_phrase(
        "stage.client_trace_end_of_data",
        r"(?<!\S)(?:C:|>>) \.\s+(?:>> )?"
        r"(?:ERROR\b|(?:S:|<<) [45]\d\d\b|[^\n]{0,40}?\b(?:timeout|timed out)\b)",
        _S.MESSAGE,
    ),
    stage_phrase(
        "stage.client_words_rcpt_to",
        r"\brecipient address \S+ not accepted by the server\b",
        _S.RCPT_TO,
    ),
    stage_phrase("stage.client_words_starttls", r"\bdid not accept STARTTLS\b", _S.STARTTLS),
    stage_phrase(
        "stage.client_words_auth",
        r"\bdid not accept (?:password|username|(?:PLAIN|XOAUTH2) credentials)\b",
        _S.AUTH,
    ),
    # RFC 5321 §4.1.4 sequence replies name what should have come first: the
    # command they answer is the next one.
    # (session 19, catalogues2: Haraka's "503 Use MAIL before RCPT", "503 Use EHLO/HELO
    # before MAIL")
    # (session 22: Exim smtp_in.c#L5004's "503 sender not yet given", its RCPT handler's;
    # #L5331's "503 valid RCPT command must precede DATA")
    stage_phrase(
        "stage.need_mail",
        r"\b(?:need|use) MAIL (?:command|before RCPT)\b|\bsender not yet given\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.need_rcpt",
        r"\b(?:need|use) RCPT(?: TO)? (?:command|before DATA)\b|"
        r"\bRCPT command must precede (?:DATA|BDAT)\b",
        _S.DATA,
    ),
    stage_phrase(
        "c19.stage.need_helo",
        r"\b(?:need|use|send) (?:EHLO|HELO)(?:/(?:EHLO|HELO))? (?:command )?before MAIL\b",
        _S.MAIL_FROM,
    ),
    # Swift/Symfony Mailer wait for 354 only after DATA; mailio's "Mail sender
    # rejection" and mail clients' "Recipient address 'x' not accepted" name theirs.
    stage_phrase("stage.expected_354", r"\bExpected response code 354\b", _S.DATA),
    stage_phrase("stage.sender_rejection", r"\bMail sender rejection\b", _S.MAIL_FROM),
    stage_phrase(
        "stage.recipient_not_accepted",
        r"\bRecipient address '[^'\n]*' not accepted\b|\brecipient not accepted by the server\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.need_helo",
        r"\b(?:send|use) HELO/EHLO first\b|\bneed (?:HELO|EHLO) first\b",
        _S.MAIL_FROM,
    ),
    # (session 19, lines16) A STARTTLS its library calls failed although the server
    # answered 220, the go-ahead of RFC 3207 ("STARTTLS failed (code: 220, response:
    # TLS go ahead)", PEAR Net_SMTP's words, whatever the server's 220 text): the
    # handshake that followed failed, not the command.
    stage_phrase(
        "stage.starttls_go_ahead_failed",
        r"\bSTARTTLS (?:command )?failed\W{1,4}(?:code:? ?)?220\b",
        _S.TLS_HANDSHAKE,
    ),
    # An application's own words around the command it sent ("Failed to send
    # RCPT TO: 550", "MAIL FROM rejected: 553", "[MAIL FROM] 553", "refused DATA").
    *(
        stage_phrase(
            f"stage.named_command_{name}",
            # (session 14: the name quoted, a device's "Send \"RCPT\" command failed")
            rf"\b(?:send(?:ing)?|refused|rejected|failed(?: at| on)?|on) \"?(?-i:{command})\b|"
            # (\b: not the end of a word, an upper-case "EMAIL REJECTED")
            rf"\b(?-i:{command})(?: command)? (?:rejected|refused|failed|not accepted)\b|"
            # (not a log's tag glued to a protocol name: RainLoop's "SMTP[DATA]: <")
            rf"(?<!\w)\[(?-i:{command})\]",
            stage,
        )
        for name, command, stage in (
            ("rcpt", "RCPT(?: TO)?", _S.RCPT_TO),
            ("mail", "MAIL(?: FROM)?", _S.MAIL_FROM),
            ("data", "DATA", _S.DATA),
            ("ehlo", "EHLO|HELO", _S.EHLO),
            ("auth", "AUTH(?: [A-Z0-9-]+)?", _S.AUTH),
            ("starttls", "STARTTLS", _S.STARTTLS),
        )
    ),
    # (session 14) a device's "Send FROM command failed"
    stage_phrase("stage.send_from_command", r"\bsend (?-i:FROM) command\b", _S.MAIL_FROM),
    # OpenCart's "Password not accepted from server!"; libetpan's (Delta Chat,
    # MailCore) function names ("mailsmtp_rcpt: unexpected error code").
    stage_phrase(
        "stage.credentials_not_accepted",
        r"\b(?:Username|Password) not accepted from server\b",
        _S.AUTH,
    ),
    stage_phrase("stage.libetpan_rcpt", r"\bmailsmtp_rcpt\b", _S.RCPT_TO),
    stage_phrase("stage.libetpan_mail", r"\bmailsmtp_mail\b", _S.MAIL_FROM),
    stage_phrase("stage.libetpan_data", r"\bmailsmtp_data(?:_message)?\b", _S.DATA),
    stage_phrase("stage.libetpan_auth", r"\bmailsmtp_auth\w*", _S.AUTH),
    stage_phrase("stage.libetpan_ehlo", r"\bmailsmtp_(?:e?helo|init)\w*", _S.EHLO),
    # Exim's receiving side: "lost while reading message data", "SMTP data
    # timeout (message abandoned)", "(last command was \"RCPT TO:<...>\")";
    # postscreen's PREGREET is a client talking before the banner.
    stage_phrase(
        "stage.exim_message_data",
        r"\blost while reading message data\b|\bSMTP data timeout\b",
        _S.MESSAGE,
    ),
    stage_phrase("stage.last_command_rcpt", r"\blast command was \"RCPT\b", _S.RCPT_TO),
    stage_phrase("stage.last_command_mail", r"\blast command was \"MAIL\b", _S.MAIL_FROM),
    stage_phrase("stage.last_command_data", r"\blast command was \"DATA\b", _S.DATA),
    stage_phrase("stage.last_command_ehlo", r"\blast command was \"(?:EHLO|HELO)\b", _S.EHLO),
    stage_phrase("stage.last_command_auth", r"\blast command was \"AUTH\b", _S.AUTH),
    stage_phrase("stage.pregreet", r"\bPREGREET \d+ after\b", _S.GREETING),
    # STARTTLS the server does not offer; a certificate's validation (Microsoft's
    # 4.7.5) is part of the TLS handshake.
    stage_phrase(
        "stage.starttls_not_offered",
        r"\b(?:does not|doesn't|did not) offer STARTTLS\b|"
        r"\bSTARTTLS (?:is )?not (?:offered|advertised)\b",
        _S.STARTTLS,
    ),
    stage_phrase(
        "stage.certificate_validation", r"\bCertificate validation fail", _S.TLS_HANDSHAKE
    ),
    # qmail-smtpd's HELO check. (Its qmail-queue results, "qqt failure" and "qq temporary
    # problem", name no command: a server-side fault that states no stage, as session 18's
    # relabel reads it; they come after the data only by qmail's code, which a pasted reply
    # does not carry. Session 20, conventions.)
    stage_phrase(
        "stage.your_helo", r"\byour (?:HELO|EHLO) (?:host ?name|name|greeting)\b", _S.EHLO
    ),
    stage_phrase("stage.sending_body", r"\bsend(?:ing)? (?:the )?message body\b", _S.MESSAGE),
    stage_phrase("stage.rejected_sender", r"\b(?:rejected|refused) sender\b", _S.MAIL_FROM),
    # RFC 4954 §6's 538 text answers AUTH (its 504 5.7.4 keeps the corpus's none).
    stage_phrase(
        "stage.auth_mechanism",
        r"\bEncryption required for requested authentication mechanism\b|"
        # (session 19, lines17) encryption demanded for the login in a client's own words
        # (Polish; French, Spanish, Italian and German alike)
        r"\bwymagan[ey] do (?:zalogowania|uwierzytelnienia)|"
        r"\brequis pour (?:l'authentification|s'authentifier)\b|"
        r"\brequerid[oa] para (?:la )?autenticaci[oó]n\b|"
        r"\brichiest[ao] per l'autenticazione\b|"
        r"\bf[uü]r die (?:Authentifizierung|Anmeldung) erforderlich\b",
        _S.AUTH,
    ),
    stage_phrase(
        "stage.auth_mechanism_failed",
        r"\bAUTH (?:LOGIN|PLAIN|CRAM-MD5|DIGEST-MD5|XOAUTH2?|NTLM) (?:failed|rejected)\b",
        _S.AUTH,
    ),
    stage_phrase(
        "stage.connect_words",
        r"\btimed out connecting\b|\bConnection to \"?[^\s\"]+:\d+\"? timed out\b|"
        r"\bFailed to establish (?:a |the )?(?:TCP )?connection\b",
        _S.CONNECT,
    ),
    # MailKit's stack frames and error codes (SmtpErrorCode, printed alone or after
    # "ErrorCode: "; session 16), JavaMail's SMTPTransport frames:
    # the method that raised names the command (MailKit's and JavaMail's data
    # methods send the message too; most refusals there come at its end).
    stage_phrase(
        "stage.library_frame_rcpt_to",
        r"SmtpClient\.RcptTo(?:Async)?\b|\b(?:ErrorCode: )?RecipientNotAccepted\b|"
        r"SMTPTransport\.rcptTo\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.library_frame_mail_from",
        r"SmtpClient\.MailFrom(?:Async)?\b|\b(?:ErrorCode: )?SenderNotAccepted\b|"
        r"SMTPTransport\.mailFrom\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.library_frame_message",
        r"SmtpClient\.(?:Data|Bdat)(?:Async)?\b|\b(?:ErrorCode: )?MessageNotAccepted\b|"
        r"SMTPTransport\.finishData\b",
        _S.MESSAGE,
    ),
    stage_phrase("stage.library_frame_data", r"SMTPTransport\.data\b", _S.DATA),
    stage_phrase("stage.library_frame_ehlo", r"SMTPTransport\.(?:helo|ehlo)\b", _S.EHLO),
    stage_phrase(
        "stage.library_frame_auth",
        r"SmtpClient\.Authenticate(?:Async)?\b|SMTPTransport\$Authenticator\b",
        _S.AUTH,
    ),
    # JavaMail reading the greeting: openServer's readServerResponse (a read timeout
    # or a close there is before any command); its socket connect is the connect.
    stage_phrase(
        "stage.javamail_open_server_read",
        r"SMTPTransport\.readServerResponse\b[^\n]{0,80}?\s+at "
        r"(?:com\.sun|org\.eclipse\.angus)\.mail\.smtp\.SMTPTransport\.openServer\b",
        _S.GREETING,
    ),
    stage_phrase(
        "stage.library_frame_connect",
        r"\bPlainSocketImpl\.socketConnect\b|\bsun\.nio\.ch\.Net\.connect0?\b",
        _S.CONNECT,
    ),
    # Microsoft's SMTPSEND.DNS.* statuses and "Failed to connect" in a wrapper.
    stage_phrase("stage.smtpsend_dns", r"\bSMTPSEND\.DNS\.", _S.DNS),
    stage_phrase("stage.failed_to_connect", r"\bFailed to connect\b", _S.CONNECT),
    # Rust clients' debug logs (async-smtp, lettre): "...inner] >> MAIL FROM:<...>"
    # then, on the next line, "...inner] << 550 ...": the command the refusal answered
    # (searched on the flattened text, so no other "] >> " command in between).
    # (session 12) other clients' marks for the same two lines: "SMTP>> RCPT TO:" /
    # "SMTP<< 550" (BlackBerry's and others' SMTP logs), "C: RCPT TO:" / "S: 550" (RFC
    # 5321's own examples' notation, as debug logs copy it).
    # (session 14) MDaemon's session logs and ListManager's delivery logs: "--> RCPT
    # TO:<x>" for what was sent, "<-- 451 ..." for the answer.
    stage_phrase(
        "stage.debug_arrows_mail_from",
        r"(?:\] >>|\bSMTP>>|\bC:|(?<!-)-->) MAIL FROM:(?:(?!\] >> |SMTP>>|--> ).){0,300}?"
        r"(?:\] <<|SMTP<<|(?:\\n|\s)S:|<--) [45]\d\d",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.debug_arrows_rcpt_to",
        r"(?:\] >>|\bSMTP>>|\bC:|(?<!-)-->) RCPT TO:(?:(?!\] >> |SMTP>>|--> ).){0,300}?"
        r"(?:\] <<|SMTP<<|(?:\\n|\s)S:|<--) [45]\d\d",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.debug_arrows_data", r"\] >> DATA\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d", _S.DATA
    ),
    stage_phrase(
        "stage.debug_arrows_ehlo",
        r"\] >> (?:EHLO|HELO)\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.debug_arrows_auth", r"\] >> AUTH\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d", _S.AUTH
    ),
    # (session 23, catalogues4) Swift Mailer's and Symfony Mailer's stack traces name the
    # command whose reply failed the check in their frame "executeCommand('MAIL
    # FROM:<x>\r\n', array(250))" (swiftmailer #788): the command the trace states.
    *(
        stage_phrase(
            f"stage.frame_execute_{name}",
            rf"(?-i:executeCommand)\(\s*['\"]{command}\b",
            stage,
        )
        for name, command, stage in _COMMAND_STAGES
    ),
    # (session 14, from session 13's unlanded round) A client library's exception or
    # method named for the step that was refused, in any library's naming (Python's
    # smtplib and aiosmtplib "SMTPRecipientsRefused", .NET "SmtpFailedRecipientException",
    # JavaMail "SMTPAddressFailedException" / "SMTPSenderFailedException", MailKit
    # "OnRecipientNotAccepted" / "ProcessMailFromResponse"): identifiers, so matched
    # case-sensitively. Tried after every phrase above (a socket error the exception wraps
    # says more). A data error's stage is read like a transcript's ">>> DATA"
    # (classifier._DATA_OR_AFTER): a content or size refusal answered the message's end.
    # (Literal branches, one a name: their words gate the search of a long text.)
    *(
        stage_phrase(
            f"stage.exception_{name}",
            "|".join(rf"(?-i:{word}{suffix})\b" for word in words),
            stage,
        )
        for name, words, suffix, stage in (
            (
                "rcpt",
                (
                    *(
                        f"Recipient{s}{how}"
                        for s in ("s", "")
                        for how in ("Refused", "NotAccepted", "Rejected")
                    ),
                    "FailedRecipients",
                    "FailedRecipient",
                    "AddressFailed",
                    *(f"RcptTo{how}" for how in ("Response", "Error", "Exception", "Failed")),
                ),
                "(?:Error|Exception)?",
                _S.RCPT_TO,
            ),
            (
                "mail",
                (
                    *(f"Sender{how}" for how in ("Refused", "NotAccepted", "Rejected", "Failed")),
                    *(f"MailFrom{how}" for how in ("Response", "Error", "Exception", "Failed")),
                ),
                "(?:Error|Exception)?",
                _S.MAIL_FROM,
            ),
            ("helo", ("HeloE", "EhloE"), "(?:rror|xception)", _S.EHLO),
            ("data", ("SMTPDataE", "SmtpDataE"), "(?:rror|xception)", _S.DATA),
            # smtplib raises SMTPConnectError when the banner is not a 220 (a socket error
            # it wraps was read above: CLIENT_SOCKET_STAGES).
            ("greeting", (r"\bSMTPConnectError",), "", _S.GREETING),
        )
    ),
    # (session 14, from session 13's unlanded round) A check named for the command it
    # runs at, in any MTA's naming: Sendmail's rulesets (check_relay at the connection,
    # check_mail, check_rcpt; check_eoh and check_eom after the message), Exim's ACLs
    # (acl_smtp_rcpt, Debian's acl_check_rcpt, "rejected connection in "connect" ACL"; its
    # DATA and MIME ACLs run after the message), Postfix's smtpd_*_restrictions, Haraka's
    # hooks.
    *(
        stage_phrase(
            f"stage.check_named_{name}",
            rf"\b(?:{checks})\b|\b(?:{refused})in [\"'](?:{acl})[\"'] ACL\b",
            stage,
        )
        for name, checks, refused, acl, stage in (
            (
                "rcpt",
                r"check_rcpt|acl_(?:smtp|check)_rcpt|smtpd_recipient_restrictions|hook_rcpt",
                "",
                "rcpt",
                _S.RCPT_TO,
            ),
            (
                "mail",
                r"check_mail|acl_(?:smtp|check)_mail|smtpd_sender_restrictions|hook_mail",
                "",
                "mail",
                _S.MAIL_FROM,
            ),
            (
                "helo",
                r"acl_(?:smtp|check)_(?:helo|ehlo)|smtpd_helo_restrictions|hook_(?:helo|ehlo)",
                "",
                "helo|ehlo",
                _S.EHLO,
            ),
            (
                "connect",
                r"check_relay|acl_(?:smtp|check)_connect|hook_connect",
                r"(?:rejected|refused|deferred) connection ",
                "connect",
                _S.GREETING,
            ),
            (
                "message",
                r"check_eo[hm]|acl_(?:smtp|check)_(?:data|mime|dkim)|"
                r"smtpd_end_of_data_restrictions|hook_data_post",
                "",
                "DATA|MIME",
                _S.MESSAGE,
            ),
        )
    ),
    # (session 14, from session 13's unlanded round) JavaMail's "Could not connect to SMTP
    # host: h, port: n, response: r" is raised when the greeting's code is not 220 (-1:
    # none came, the connection closed); without a response the connect failed, as in any
    # client's "Couldn't connect to host" (JavaMail's MailConnectException), or in Ruby's
    # Net::SMTP socket frames. (Not JavaMail's "Could not connect to SMTP host: h, port: n"
    # without a response: a wrapper of any nested exception, a TLS handshake's too.)
    stage_phrase(
        "stage.greeting_response",
        r"\bCould not connect to SMTP host: [^\n;]{0,120}?, response: -?\d",
        _S.GREETING,
    ),
    # PHPMailer's debug output: the connection opened, then closed before the client sent
    # a command (the greeting never came).
    stage_phrase(
        "stage.opened_then_closed",
        r"\bConnection: opened\b(?:(?!CLIENT -> SERVER).){0,300}?\bConnection: clos",
        _S.GREETING,
    ),
    stage_phrase(
        "stage.could_not_connect",
        r"\b(?:could ?n[o']?t|can ?n[o']?t) connect to (?:the )?(?:SMTP |mail |remote )?"
        r"(?:host|server)\b(?!:)|\bin [`']tcp_socket'|\bTCPSocket#initialize\b",
        _S.CONNECT,
    ),
    # An application's words for the step that failed (PEAR's and Roundcube's "Failed to
    # set sender" / "Failed to add recipient", PHPMailer's "The following From address
    # failed" / "The following recipients failed:").
    # (session 18, lines15) and the step named before its failure, as Go programs on
    # net/smtp wrap c.Mail's and c.Rcpt's errors ("set sender failed: %w", "set recipient
    # failed: %w") and ESP Mail Client logs its RCPT refusal ("E: set recipient failed")
    # (session 19, lines16) and "could not set sender: a@b.org" (Zitadel's notifier, Go
    # programs wrapping net/smtp's c.Mail error), "could not add recipient"
    stage_phrase(
        "stage.step_failed_mail",
        rf"{_STEP_FAILED}set (?:the )?(?:sender|from address|envelope sender)\b|"
        r"\bfollowing From address failed\b|\bset (?:the )?sender failed\b|"
        rf"{_COULD_NOT}set (?:the )?(?:sender|from address|envelope sender)\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.step_failed_rcpt",
        rf"{_STEP_FAILED}(?:add|set) (?:the )?recipients?\b|\bfollowing recipients failed:|"
        r"\b(?:add|set) (?:the )?recipients? failed\b|"
        rf"{_COULD_NOT}(?:add|set) (?:the )?recipients?\b",
        _S.RCPT_TO,
    ),
    # (session 14, from session 13's unlanded round) Postfix's smtpd log of a refusal at a
    # command outside the contract's stages (VRFY, ETRN, EXPN): none.
    stage_phrase("stage.smtpd_other_command", r"\breject: (?:VRFY|ETRN|EXPN) from\b", _S.NONE),
    # (session 14, from session 13's unlanded round) A reply that says the sender was
    # refused, whatever its code (X.1.0 is read as the recipient's otherwise): not Postfix's
    # "Sender address rejected:" prefix, applied at RCPT TO under smtpd_delay_reject (the
    # tune rows label it both ways).
    stage_phrase(
        "stage.sender_said_refused",
        "|".join(
            rf"\bsender {how}{what}\b"
            for how in ("", "is ", "was ")
            for what in ("rejected", "refused")
        ),
        _S.MAIL_FROM,
    ),
    # (session 14, from session 13's unlanded round) A reply that names HELO/EHLO as what
    # it refused ("550 HELO denied", "555 helohost error"), or a banner that refuses
    # ("mx.example ESMTP not accepting connections": RFC 5321 §3.1's 554 greeting).
    # (Literal branches: their words gate the search of a long text.)
    stage_phrase(
        "stage.helo_refused",
        "|".join(
            rf"\b{command} {how}\b"
            for command in ("HELO", "EHLO", "helohost")
            for how in ("denied", "rejected", "refused", "error")
        ),
        _S.EHLO,
    ),
    stage_phrase(
        "stage.banner_refuses", r"\bESMTP not accepting (?:connections|mail)\b", _S.GREETING
    ),
    # (session 19) The server's first reply named as what failed, as a client calls it:
    # "Welcome response error" (Evolution's prefix, RFC 5321 §3.1's greeting), "greeting
    # reply", and in the languages the wording tables read, where a catalogue that keeps
    # "Welcome" untranslated ("Welcome-Antwort", "Welcome 応答", "Welcome 응답") or says it
    # in its own words ("respuesta de bienvenida", "réponse de bienvenue", "risposta di
    # benvenuto", "resposta de boas-vindas", "Begrüßungsantwort", "ответ на приветствие",
    # "问候应答", "迎接的回應", "歓迎応答", "환영 응답", "odpowiedź powitalna", "welkomstantwoord";
    # "resposta de boas vindas" written without its hyphen, as Evolution's pt_BR does).
    stage_phrase(
        "stage.welcome_response",
        r"\b(?:welcome|greeting)[- ]?(?:response|reply|Antwort)\b|"
        r"\bWelcome ?(?:応答|응답)|"
        r"\b(?:respuesta de bienvenida|r[ée]ponse de bienvenue|risposta di benvenuto|"
        r"resposta de boas[- ]vindas|Begr[üu](?:ß|ss)ungsantwort|"
        r"Antwort auf die Begr[üu](?:ß|ss)ung|"
        r"ответа? на приветствие|odpowied[źz]i? powitaln\w*|welkomst(?:antwoord|reactie)|"
        # (session 19, lines17) Polish, Czech and Slovak "response to the greeting"
        r"odpowiedzi na powitanie|odpov[ěe]di na p[řr]iv[íi]t[áa]n[íi]|"
        r"odpovede na priv[íi]tanie)\b|"
        r"问候应答|欢迎应答|迎接的回應|歓迎応答|ウェルカム応答|환영 응답",
        _S.GREETING,
    ),
    # (session 14, from session 13's unlanded round) A Python traceback's last frame of an
    # SMTP client's command method (smtplib's login/auth, data; mail and rcpt:
    # synonyms.SYNONYM_STAGES): that command was waiting for its reply when the connection
    # failed (a later frame of another command decides instead). A data frame is read like
    # a transcript's DATA (classifier._DATA_OR_AFTER).
    *(
        stage_phrase(
            f"stage.traceback_frame_{name}",
            rf"\bline \d+, in (?:{frame})\b(?!.*?\bline \d+, in (?:{others})\b)",
            stage,
        )
        for name, frame, others, stage in (
            ("auth", r"login|auth(?:_\w+)?", r"mail|rcpt|data|ehlo|helo|starttls", _S.AUTH),
            ("data", r"data", r"login|auth\w*|mail|rcpt|ehlo|helo|starttls", _S.DATA),
        )
    ),
)

# What was blocked is the sending host or IP (a block list), not the message.
_SOURCE_WORDS = re.compile(
    # (session 14: or its reputation, "Message rejected due to sender IP reputation")
    r"\b(?:IP|host|server|network)\b[^;\n]{0,40}?\b(?:block(?:ed|listed)?|black ?listed|listed|"
    r"reputation)\b|"
    # (session 15: "suspected spam IP", the host judged)
    r"\bblock ?list|\bspam ?list|\bspam ?IPs?\b|"
    r"\b(?:for|de) spam(?:ming)?\b(?! or virus| content)|\bspamming\b|"
    # (session 16, lines12) an address blocked or listed ("x.x.x.x is blocked from
    # sending", "[1.2.3.4] is listed"), or blocked for what it sent before ("Probably due
    # to sending spam messages"): the host judged, not this message
    r"(?<![\w.])(?:\d{1,3}|[x*]{1,3})(?:\.(?:\d{1,3}|[x*]{1,3})){3}\]?\)? (?:is |was |has been )?"
    r"(?:temporarily |permanently )?(?:blocked|black ?listed|block ?listed|banned|listed)\b|"
    r"\b(?:due to|for|because of) (?:sending|having sent) (?:of )?(?:spam|unsolicited)\b|"
    # (session 19) the mail judged by the address it came from ("unauthenticated e-mail
    # from /192.0.2.10 is restricted", "Mail from 11.22.33.44 rejected using ..."): the
    # client's IP, not the message nor the sender
    r"\b(?:e-?mail|mail|messages?) from /?\[?(?:\d{1,3}|[x*]{1,3})(?:\.(?:\d{1,3}|[x*]{1,3})){3}\b|"
    r"Spamhaus(?! DBL)",
    re.IGNORECASE,
)
_MESSAGE_WORDS = re.compile(
    # (an anti-spam engine named, not a host named so: "antispam.example.com")
    r"\banti-?spam\b(?!\.\w)|"
    # (session 19: ARC, RFC 8617, seals the message's own headers as DKIM signs them)
    r"\b(?:spam|virus|malware|attachment|DMARC|DKIM|(?-i:ARC)|headers?|content|SpamAssassin|"
    # "your message" alone is an NDR's own prose ("Your mail to ... could not
    # be delivered"); it names the message as what was judged only with a verdict.
    r"(?:this|the|your) (?:message|mail|email) (?:was |has been |is |looks )?"
    r"(?:rejected|refused|blocked|considered|identified|classified|flagged|detected|"
    r"(?:was )?found|contains?|appears?|does not (?:meet|comply|conform)|violates)|\bDBL|infected|"
    r"message (?:not|was|has been|rejected|refused|blocked|not allowed|not accepted)|"
    r"Message not allowed|mail content|From: header|unsolicited mail|"
    # (session 12) more of what only the message shows: its From: header or the
    # identity it claims ("send as this sender", "The from address does not match a
    # verified Sender Identity", "header based", "MAIL FROM is mismatched with message
    # header from"), how it was judged ("appears to be unsolicited", "mass mailer",
    # "junk mail", "Message Filtered", "Content reject", "Mail data refused"), its form
    # ("does not conform to RFC2822", "character sets", "To: fields", bare line feeds)
    r"From:? (?:address(?:es)?|domain|field)|header[- ]based|header from|"
    r"send as (?:this |that |the |another )?(?:sender|user|address)|SendAs\w*|"
    r"sender identity|unauthenticated (?:e-?mail|mail|message)|appears? to be unsolicited|"
    r"mass mail(?:er|ing)|junk|(?:message|mail|e-?mail) filtered|content reject\w*|"
    r"(?:mail )?data refused|RFC ?2?822|RFC ?5322|character sets?|To: fields?|"
    r"bare ?line ?feeds?|attach(?:ment)?s?(?: types?)?|file extensions?)\b|"
    # (no word boundaries inside CJK text)
    r"спам|垃圾邮件|垃圾郵件|スパム|\bSpam-?verdacht",
    re.IGNORECASE,
)
_SENDER_WORDS = re.compile(
    r"\bSPF\b|Sender Policy Framework|\bMail ?From domain\b|\benvelope sender\b|"
    # (session 19) the MAIL FROM identity in RFC 7489's and Yahoo's words ("RFC5321.MailFrom",
    # "unresolvable RFC.5321 from domain")
    r"\bRFC\.? ?5321\.? ?(?:Mail ?)?From\b|"
    r"\bsender (?:address|domain)\b|\bEmetteur\b|"
    r"\bAbsender\b|\bexp[ée]diteur\b|\bremitente\b|отправител|发件人|送信者|"
    r"\bInvalid Sender\b|"
    # the sender named with its address, or the refusal said of it (session 11: "sender
    # <x@y> black listed", "sender is rejected", "NULL sender is not allowed", "Sender
    # verify failed": what was judged is the MAIL FROM argument)
    r"\bsender <?[\w.+=-]+@[\w.-]+>? (?:is |was |has been )?(?:black ?listed|block ?listed|blocked|"
    r"banned|rejected|refused|denied|not allowed|from unknown)|"
    r"\b(?:sender|originator) (?:is |was |has been )?(?:rejected|refused|denied|black ?listed|"
    r"blocked|banned|not accepted)\b|\bNULL senders?\b|\bsender (?:verif(?:y|ication)|check) fail|"
    # (session 12) the envelope sender in other words: "Envelope blocked", "Spoofed MAIL
    # FROM", "Verify mailfrom failed", "Sender is on domain's blacklist", "your domain
    # has been blocked"
    r"\b(?:fake|forged) sender\b|\bsender (?:e-?mail )?is not in my domain\b|"
    r"\benvelope blocked\b|\benvelope from address\b|\bspoofed MAIL ?FROM\b|\bverify mail ?from\b|"
    # (session 16, lines12) the sender's address not allowed to send ("ExchangeDefender is
    # not allowed to send mail on behalf of your email address")
    r"\bnot (?:allowed|authori[sz]ed|permitted) to send (?:mail |e-?mail |messages? )?"
    r"(?:on behalf of|from) (?:your|this|the|that) (?:e-?mail )?address\b|"
    r"\bsender is on\b|\byour domain (?:is |has been |was )?(?:blocked|black ?listed|banned|"
    r"rejected|refused|denied)\b",
    re.IGNORECASE,
)
# The recipient named as what was refused by policy ("recipient <x@y> black listed",
# "Recipient doesn't want your mail"): the RCPT TO argument was judged.
_RECIPIENT_WORDS = re.compile(
    r"\brecipient (?:<?[\w.+=-]+@[\w.-]+>? )?(?:is |was |has been )?(?:black ?listed|block ?listed|"
    r"blocked|banned|denied|not allowed)\b|\brecipient (?:does not|doesn't) (?:want|accept)\b|"
    # (session 12) a relay refused for the recipient ("relaying to <x> prohibited",
    # qmail's "not in my list of allowed hosts"), delivery refused to the address, a
    # client's "Failed to add recipient"
    r"\brelay(?:ing)? to\b|\ballowed hosts\b|\bas a relay\b|\brelay attempt\b|"
    r"\blocal users? only\b|\bnie jest lokalny\b|"
    r"\bdelivery (?:is )?not (?:allowed|authori[sz]ed|permitted)\b|"
    r"\bmailbox delivery restricted\b|\bfailed to add recipient\b|\ball recipients were rejected\b|"
    r"\baddressing denied\b|"
    # Postfix's reply from its recipient restrictions, which it applies at RCPT TO
    # (postfix.org/SMTPD_ACCESS_README.html; 50 of the 51 tune rows that quote it)
    r"\brecipient address rejected\b",
    re.IGNORECASE,
)
_GREETING_WORDS = re.compile(
    r"not allowed to connect|\bNo SMTP service\b|\bconnection (?:refused|rejected) by policy\b|"
    # a connect hook's refusal of the whole connection (Haraka's default DENY text)
    r"\b(?:mail|connection|you) (?:is |are )?not welcome here\b",
    re.IGNORECASE,
)
# (words, stage); the first that matches decides (NONE: the text names what
# was judged, and it tells no stage).
SUBJECT_STAGES: tuple[tuple[re.Pattern[str], Stage], ...] = (
    (_GREETING_WORDS, Stage.GREETING),
    (_SENDER_WORDS, Stage.MAIL_FROM),
    (_RECIPIENT_WORDS, Stage.RCPT_TO),
    (_SOURCE_WORDS, Stage.NONE),
    (_MESSAGE_WORDS, Stage.MESSAGE),
)
_SUBJECT_CATEGORIES = frozenset({Category.POLICY_REJECTION})
# (session 19) A DNS failure of the domain the text names as the sender's ("cannot verify
# mx records for mailfrom domain", "unresolvable RFC.5321 from domain") was judged at
# MAIL FROM, as a refused sender domain is (docs/explain.md, "Session 18: relabel": a DNS
# failure of an address named as neither sender nor recipient is at `dns`).
_SENDER_CATEGORIES = frozenset({Category.DNS_RESOLUTION})
# For an ASCII text, the (lower-cased) words one of which each of
# SUBJECT_STAGES' matches contains (its other words are not ASCII); None:
# not worth checking. A text without any skips the regex's scan.
_SUBJECT_NEEDS: tuple[tuple[str, ...] | None, ...] = (
    ("not allowed to connect", "no smtp service", " by policy", "not welcome here"),
    (
        *("spf", "sender", "from domain", "5321", "emetteur", "expediteur", "remitente"),
        "originator",
        *("envelope", "mail from", "mailfrom", "your domain", "to send"),
    ),
    ("recipient", "relay", "allowed hosts", "delivery", "addressing", "local user", "lokalny"),
    ("block", "list", "spam", "reputation", " from "),
    None,
)


def subject_stage(category: Category, text: str) -> Stage | None:
    """Where a refusal of ``category`` usually happens, from what the text says was judged."""
    if category in _SUBJECT_CATEGORIES:
        return _judged_stage(text)
    return _judged_stage(text, _SENDER_WORDS) if category in _SENDER_CATEGORIES else None


def _judged_stage(text: str, only: re.Pattern[str] | None = None) -> Stage | None:
    """The stage of the first of ``SUBJECT_STAGES``' words in ``text`` (``only``: those)."""
    lowered = text.lower() if text.isascii() else None
    for (words, stage), needs in zip(SUBJECT_STAGES, _SUBJECT_NEEDS, strict=True):
        if only is not None and words is not only:
            continue
        if lowered is not None and needs is not None and not any(map(lowered.__contains__, needs)):
            continue
        # (Each of its alternatives searched where its words stand: phrasing.search_gated.)
        if search_gated(words, text, lowered):
            return stage
    return None


# (session 21) Relaying refused: a server decides whether it relays by each recipient's
# domain (RFC 5321 §3.6; Postfix's reject_unauth_destination is a recipient restriction,
# SMTPD_ACCESS_README), so it answers RCPT TO, whatever cause was read beside it
# ("Relaying denied. IP name lookup failed"). Not "Relaying disallowed as <address>"
# (Zoho's refusal of the address the mail is sent as, read by its own phrase).
_RELAY_REFUSED = re.compile(
    r"\brelay(?:ing)?\b[^.;\n]{0,20}?\b(?:denied|not (?:permitted|allowed)|prohibited|refused|"
    r"disallowed|rejected)\b(?! as\b)|\b(?:denies|no|unable to) relay(?:ing)?\b|"
    r"\brequired for relay(?:ing)?\b|\brcpthosts\b",
    re.IGNORECASE,
)
# (session 21) The address a recipient cause refused, named so ("A valid address is required",
# "not an active address", a "BAD_RECIPIENT" token): RCPT TO's argument.
_RECIPIENT_ADDRESS = re.compile(
    r"(?<!\bIP )(?<!\bsender )(?<!\bfrom )\baddress\b|(?-i:\bRECIPIENT\b|_RECIPIENT\b)",
    re.IGNORECASE,
)
# (session 21) The mechanism AUTH named refused (RFC 4954 §6: 504 "Unrecognized
# authentication type" answers AUTH).
_AUTH_MECHANISM = re.compile(
    r"\bauthentication (?:type|method|mechanism)s?\b|\bAUTH (?:type|method|mechanism)s?\b",
    re.IGNORECASE,
)
# (session 21) The HELO/EHLO name said to be refused or invalid: the EHLO argument was judged.
_HELO_JUDGED = re.compile(
    r"\b(?:HELO|EHLO)\b(?: command| name| host ?name| domain| argument)?(?: \[[^\]\n]{0,80}\])?"
    r"[^.;\n]{0,20}?\b(?:denied|rejected|refused|blocked|invalid|not accepted|should be|must be)\b|"
    r"\b(?:invalid|bad|bogus|forged) (?:HELO|EHLO)\b",
    re.IGNORECASE,
)
# Causes whose refusal judges one command's argument or the message, as a policy refusal
# does (the subject words read for them too).
_ARGUMENT_CAUSES = frozenset(
    {
        Category.RECIPIENT,
        Category.MESSAGE_SIZE,
        Category.AUTHENTICATION,
        Category.STARTTLS_UNAVAILABLE,
    }
)


def implied_stage(category: Category, text: str, by_code: bool) -> Stage | None:
    """(session 21) Where a failure of ``category`` happened, from words of the text that
    imply a stage, when nothing else gave one (docs/explain.md, "Session 21: stages3").

    ``by_code``: the cause was read from a bare reply code or a generic enhanced code
    alone, a guess (right about half the time at first sight), so the words say what
    was judged whatever the cause: the subject words (``SUBJECT_STAGES``) are read for
    it as for a policy refusal, and for the causes that judge an argument."""
    if category in {Category.OK, Category.OTHER}:
        return None
    if by_code or category in _ARGUMENT_CAUSES:
        judged = _judged_stage(text)
        if judged is not None:
            return judged
    # (An ASCII text without the words each pattern needs skips its search.)
    low = text.lower() if text.isascii() else None
    if _has(low, "relay", "rcpthosts") and _RELAY_REFUSED.search(text):
        return Stage.RCPT_TO
    if (
        category is Category.RECIPIENT
        and _has(low, "address", "recipient")
        and _RECIPIENT_ADDRESS.search(text)
    ):
        return Stage.RCPT_TO
    if category is Category.AUTHENTICATION and _has(low, "auth") and _AUTH_MECHANISM.search(text):
        return Stage.AUTH
    return Stage.EHLO if _has(low, "helo", "ehlo") and _HELO_JUDGED.search(text) else None


def _has(lowered: str | None, *words: str) -> bool:
    """``lowered`` (None: not ASCII, so not known) holds one of ``words``."""
    return lowered is None or any(map(lowered.__contains__, words))


# (session 12) A delivery agent's own log line for the local delivery after the SMTP
# session ended, whatever failed in it: Postfix's local, virtual and LMTP agents
# ("relay=local", "relay=dovecot"), Dovecot's "lmtp(", maildrop, a quota hit while
# writing the mailbox file. No SMTP command was answered: the stage is none, not the RCPT
# TO a recipient's words usually answer. (Not RFC 3464's "x-unix" type nor Exchange's
# STOREDRV.Deliver: the bounce corpus labels those mails' mailbox-full RCPT TO, the lines
# corpus none; left unsettled.) Nor did a sending platform's refusal of a recipient on its
# own suppression list, before any SMTP ("marked as inactive", "on the suppression list").
DELIVERED_LOCALLY = re.compile(
    r"\brelay=(?:local|virtual|dovecot|lmtp)\b|\blmtp\(|\bmaildrop:|"
    # (session 14, from session 13's unlanded round) an LMTP server's or delivery agent's
    # own syslog line (Cyrus' "lmtp[n]:", "lmtpd[n]:", Dovecot's "dovecot-lda(", "deliver(")
    r"\blmtpd?\[\d+\]:|\b(?:dovecot-lda|deliver)\(|"
    r"\bwriting to (?:the )?(?:mailbox )?file\b|\bmarked as inactive\b|"
    r"\bon (?:the|our|your|an?) (?:account[- ]level |global )?suppression list\b",
    re.IGNORECASE,
)

# (session 12) A reply that names the user, recipient or mailbox it refers to: read as a
# bare 550's recipient reading, it answered RCPT TO (RFC 5321 §3.3) like any recipient
# wording ("550 User status is locked", "550 Mailbox (x) not found or inactivated").
_RECIPIENT_NOUNS = re.compile(
    r"(?<!sender )(?<!from )\b(?:user|recipient|mail-?box|account|addressee)s?\b", re.IGNORECASE
)


def names_recipient(text: str) -> bool:
    """The text names a user, recipient or mailbox."""
    return _RECIPIENT_NOUNS.search(text) is not None


# A client's sentence in any language that names the SMTP command it failed at: the
# command stays in capitals, untranslated, in the mail clients' catalogues
# (Evolution's "RCPT TO <%s> gescheitert: ", "MAIL FROM -komento epäonnistui: ",
# "AUTH コマンドが失敗しました: "), followed by the client's words and a colon before
# the reason. Not a wire command ("RCPT TO:<a>"): no address right after the name;
# not the name of a mechanism list ("SMTP AUTH type: PLAIN"), not a sentence going on
# after it ("if you intended to use STARTTLS, make sure to use the following code:").
# (nor an EHLO reply's keyword line, "250-AUTH PLAIN LOGIN", nor a line of a
# session transcript, "Out: STARTTLS", "S: 250-AUTH", ">>> DATA", nor a log's tag
# glued to the protocol's name, RainLoop's "SMTP[DATA]: < 250 ...")
LOCALISED_NOT_LISTED = (
    r"(?<!\d[- ])(?<!Out: )(?<!In: )(?<!In:  )(?<![SC]: )(?<!<<< )(?<!>>> )(?<!<- )(?<!-> )"
    r"(?<!\w\[)"
)
# (session 19) The colon as the catalogues' scripts write it: a full-width "：" needs no
# space after it (Chinese, "MAIL FROM 命令失败：..."), nor does Khmer's "៖"; an ASCII colon
# glued to the reason's first letter ("DATA कमांड असफल:निवेदित", "je spodletel:Zahtevano")
# ends the client's words too, after at least one of them (not "MAIL FROM:<a>").
# (session 23) Not Sendmail's TLS layer's own log lines ("STARTTLS: read error=timeout",
# sfsasl.c): a read or write on the open TLS session, not the STARTTLS command.
LOCALISED_CLAUSE = (
    r"(?!:\s*<|=|[,.;]|\s+(?:type|mechanisms?|methods?)\b|: (?:read|write) error=)"
    r"(?:[^\n:：៖<>]{0,40}(?:<[^\n<>]{0,80}>[^\n:：៖]{0,40})?(?:[:：៖]\s|[：៖])|"
    r"\s[^\n:：៖<>]{0,39}(?<![\s\x00-\x40\x5b-\x60\x7b-\x7f]):(?=[^\W\d_]))"
)
LOCALISED_COMMANDS: tuple[StagePhrase, ...] = tuple(
    stage_phrase(
        f"stage.localised_{name}",
        rf"{LOCALISED_NOT_LISTED}(?-i:\b{command}\b){LOCALISED_CLAUSE}",
        stage,
    )
    for name, command, stage in _COMMAND_STAGES
)

# RFC 4954 §6: these replies answer AUTH and nothing else.
CODE_STAGES: dict[int, Stage] = {534: Stage.AUTH, 535: Stage.AUTH, 538: Stage.AUTH}

# Read before the libraries' exception names (vendor_stages' SMTPConnectError, raised
# by smtplib for a refused banner): the socket's own error the exception wraps says
# the connection never opened.
CLIENT_SOCKET_STAGES: tuple[StagePhrase, ...] = (
    # (session 23) A traceback through the TLS handshake's completion (asyncio's and
    # uvloop's SSLProtocol._on_handshake_complete), whatever SMTPConnectError wraps it.
    stage_phrase("c23.stage.ssl_handshake_frame", r"\b_on_handshake_complete\b", _S.TLS_HANDSHAKE),
    # (session 23, catalogues3) PHP's implicit TLS (an ssl:// host, PHPMailer's and
    # WordPress mailers' "Connection failed. Error #2: stream_socket_client(): SSL
    # operation failed ..." / "Failed to enable crypto"): the handshake, whatever "Failed
    # to connect to server" follows it.
    stage_phrase(
        "c23.stage.php_implicit_tls",
        r"\bstream_socket_client\(\): (?:SSL operation failed|Failed to enable crypto)\b",
        _S.TLS_HANDSHAKE,
    ),
    # aiosmtplib's SMTPConnectError around the socket's own error: an errno is the
    # TCP connect's (a negative one is the resolver's, getaddrinfo's EAI_*)
    stage_phrase(
        "stage.client_connect_errno",
        r"\bError connecting to \S+ on port \d+: \[Errno \d",
        _S.CONNECT,
    ),
    stage_phrase(
        "stage.client_resolver_errno", r"\bError connecting to \S+ on port \d+: \[Errno -\d", _S.DNS
    ),
    # (session 19, lines16) dig's, host's and nslookup's resolver timeout (";; connection
    # timed out; no servers could be reached"): the lookup, whatever "timed out" says.
    stage_phrase("stage.resolver_unreachable", r"\bno servers could be reached\b", _S.DNS),
    # (session 19, lines16) A connect a library reports with reply code -1, no reply
    # read at all: PEAR Net_SMTP's "Failed to connect to host:465 [SMTP: Invalid
    # response code received from server (code: -1, ...)]", JavaMail's "Could not
    # connect to SMTP host: h, port: 465, response: -1". The TCP connect was made;
    # the greeting never came.
    stage_phrase(
        "stage.client_connect_no_reply",
        # (not PEAR's "Failed to connect socket: Connection refused (code: -1, ...)": its
        # -1 there is the socket's failure, the connect itself)
        r"\b(?:connect|start protocol) to\b[^\n]{0,80}?"
        r"(?:\bInvalid response code received from server ?\(code: ?-1\b|\bresponse: -1\b)",
        _S.GREETING,
    ),
)

# A timeout that names the command it waited on, on one line ("timeout waiting
# for reply to RCPT TO", "rcpt handle timeout", "MAIL FROM timeout", "timed out
# after EHLO"): the command's stage, read before the connect words a "Connection
# timed out" beside it would otherwise state (the connection was open: a command
# had been sent). DATA is named only as a command awaiting its reply, since
# Postfix's "timeout after DATA (n bytes)" is the message's transfer.
_TIMEOUT = r"(?:\btime[ds]?-? ?out\b|\btimedout\b)"
_WAITED = r"(?:(?:waiting )?for (?:a |an |the )?)?(?:reply|response|answer) to (?:the )?"
_NEAR = r"[^.;\n]{0,30}?\b(?:after|during|in|on|at|while sending|sending|" + _WAITED + ")"
_ROLE = r"(?: (?:handle|handler|command|cmd|reply|response|phase|stage|state|read))?"


def _timeout_names(id: str, after: str, before: str, stage: Stage) -> StagePhrase:
    """The command ``after`` a timeout and a waiting word, or ``before`` the
    timeout word (a log's key: "rcpt handle timeout", "mail from timeout")."""
    return stage_phrase(
        id, rf"{_TIMEOUT}{_NEAR} ?(?:{after})\b|(?<![\w-])(?:{before}){_ROLE} {_TIMEOUT}", stage
    )


# (a lower-case "mail from" only as a key before the timeout word: "timed out
# while sending mail from a@b" names the sender, not the command)
TIMEOUT_COMMAND_STAGES: tuple[StagePhrase, ...] = (
    _timeout_names("stage.timeout_rcpt", r"rcpt(?: to)?", r"rcpt(?: to)?", _S.RCPT_TO),
    _timeout_names(
        "stage.timeout_mail",
        r"(?-i:MAIL(?: FROM)?)",
        r"mail from|mail(?= (?:handle|handler) )",
        _S.MAIL_FROM,
    ),
    _timeout_names("stage.timeout_ehlo", r"ehlo|helo|lhlo", r"ehlo|helo|lhlo", _S.EHLO),
    _timeout_names("stage.timeout_starttls", r"starttls", r"starttls", _S.STARTTLS),
    _timeout_names("stage.timeout_auth", r"(?-i:AUTH)", r"(?-i:AUTH)", _S.AUTH),
    stage_phrase(
        "stage.timeout_data",
        rf"{_TIMEOUT}[^.;\n]{{0,30}}?\b{_WAITED}(?-i:DATA)\b(?! \(\d)|"
        rf"(?<![\w-])(?:(?-i:DATA)(?: (?:command|cmd|handle|handler))?|data (?:handle|handler)) "
        rf"{_TIMEOUT}",
        _S.DATA,
    ),
    _timeout_names("stage.timeout_quit", r"(?-i:QUIT)", r"(?-i:QUIT)", _S.QUIT),
    # the wait for the reply to the message's end, and for the banner
    stage_phrase(
        "stage.timeout_end_of_data",
        rf"{_TIMEOUT}[^.;\n]{{0,30}}?\b{_WAITED}(?:end[- ]of[- ]data|end-of-message|final dot)\b|"
        rf"(?<![\w-])(?:end[- ]of[- ]data|EOM)(?: (?:reply|response))? {_TIMEOUT}",
        _S.MESSAGE,
    ),
    stage_phrase(
        "stage.timeout_greeting",
        rf"{_TIMEOUT}[^.;\n]{{0,30}}?\bwaiting for (?:the |a )?(?:(?:server|smtp|initial|remote) )?"
        rf"(?:greeting|banner)\b|(?<![\w-])(?:greeting|banner) {_TIMEOUT}",
        _S.GREETING,
    ),
)
