"""Phrasings that say where in the session a failure happened, and log words of permanence.

* :data:`CORE_STAGES`: the generic stage phrases ("while sending RCPT TO",
  "after end of data"), tried after the providers', vendors', MTAs' and
  synonyms' own (:data:`smtpdoctor.knowledge.patterns.STAGE_PHRASES`).
* :data:`PERMANENCE_CUES`: log words that say deferred or bounced when no
  reply code is present.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import PermanenceCue, StagePhrase, permanence_cue, stage_phrase
from smtpdoctor.model import Permanence, Stage

__all__ = ["CORE_STAGES", "PERMANENCE_CUES"]

_S, _T, _PM = Stage, Permanence.TEMPORARY, Permanence.PERMANENT


_sp = stage_phrase


# Most specific first: a message-stage phrase beats the "Connection timed
# out" an Exim line also carries.
CORE_STAGES: tuple[StagePhrase, ...] = (
    _sp(
        "stage.message",
        r"while sending (?:end of data|message body|message content|the message)|"
        r"after (?:pipelined )?end of data|in reply to end of DATA\b|"
        r"timed out while sending message|after DATA \(\d+ bytes\)|collect: read timeout|"
        r"timeout writing message|LMTP error after DATA|read timeout on connection|"
        r"during (?:DATA transfer|message transfer)|in response to (?:pipelined )?end of data|"
        # (session 14) PHPMailer's "DATA END command failed": the reply to the final dot
        r"\bDATA END command\b",
        _S.MESSAGE,
    ),
    _sp(
        "stage.greeting",
        r"while receiving the initial server greeting|initial (?:SMTP |server )?greeting|"
        r"refused to talk to me|after initial connection|"
        r"in response to (?:the )?(?:greeting|banner)|"
        r"during client greeting|lost connection after CONNECT|Greeting never received|"
        # (session 17, lines14) Postfix's smtp(8) loop check names the reply it judged:
        # "host X greeted me with my own hostname Y" (the 220 banner)
        r"\bgreeted me with my own hostname\b",
        _S.GREETING,
    ),
    _sp(
        "stage.tls",
        r"TLS handshake|Cannot start TLS|SSL_(?:connect|accept)|"
        r"TLS error on connection(?!(?: (?:to|from) [^()\n]*)? \(recv\))|"
        r"TLS negotiation|TLS library problem|STARTTLS=(?:client|server), error|"
        r"lost connection after STARTTLS|certificate verification failed|SSL verify error|"
        r"handshake fail|"
        # PHP's stream layer (Symfony Mailer: "Unable to connect with STARTTLS:
        # stream_socket_enable_crypto()"), JavaMail's STARTTLS upgrade
        r"Unable to connect with STARTTLS|stream_socket_enable_crypto\(\)|"
        r"Could not convert socket to TLS|STARTTLS upgrade failed|Unable to connect via TLS",
        _S.TLS_HANDSHAKE,
    ),
    _sp(
        "stage.starttls",
        r"in reply to STARTTLS command|in response to STARTTLS|after STARTTLS\b|"
        r"while sending STARTTLS",
        _S.STARTTLS,
    ),
    _sp(
        "stage.ehlo",
        r"while performing the (?:EHLO|HELO|LHLO) handshake|"
        r"in reply to (?:EHLO|HELO|LHLO) command|in response to (?:EHLO|HELO|LHLO)\b|"
        r"after (?:EHLO|HELO)\b|lost connection after (?:EHLO|HELO)|"
        # (session 17, lines14) "host X replied to HELO/EHLO with my own hostname Y"
        r"\breplied to HELO/EHLO with my own hostname\b",
        _S.EHLO,
    ),
    _sp(
        "stage.auth",
        r"in reply to AUTH command|after AUTH\b|authenticator failed|"
        r"SASL \w+ authentication failed|while sending AUTH|in response to AUTH",
        _S.AUTH,
    ),
    _sp(
        "stage.data",
        r"while sending DATA command|in reply to DATA command|"
        r"in response to (?:pipelined )?DATA\b",
        _S.DATA,
    ),
    # (session 14, from session 13's unlanded round) A refusal "after DATA" is the DATA
    # command's for a lost connection (Postfix's "lost connection after DATA") and the
    # message's for a content or size refusal (Exim's "rejected after DATA": its DATA ACL
    # runs once the message is in): read like a transcript's ">>> DATA"
    # (classifier._DATA_OR_AFTER).
    _sp("stage.after_data_command", r"after DATA\b|after pipelined DATA\b", _S.DATA),
    _sp(
        "stage.rcpt_to",
        r"while sending RCPT TO|in reply to RCPT TO\b|after (?:pipelined )?RCPT TO|"
        r"for RCPT TO command|reject(?:_warning)?: RCPT from|rejected RCPT\b|\bafter rcpt\b|"
        r"in reply to RCPT command|in response to (?:pipelined )?RCPT TO|during RCPT TO",
        _S.RCPT_TO,
    ),
    _sp(
        "stage.mail_from",
        r"while sending MAIL FROM|in reply to MAIL FROM\b|after (?:pipelined )?MAIL FROM|"
        r"for MAIL FROM command|during MAIL FROM|in reply to MAIL command|"
        r"in response to (?:pipelined )?MAIL FROM|reject: MAIL from",
        _S.MAIL_FROM,
    ),
    _sp("stage.quit", r"in reply to QUIT command|after QUIT\b|in response to QUIT", _S.QUIT),
    # A client library's name lookup failed before any connection ("Failed to
    # connect to server: php_network_getaddresses: getaddrinfo failed").
    _sp(
        "stage.library_dns",
        r"php_network_getaddresses|getaddrinfo (?:failed|ENOTFOUND|EAI_AGAIN)|"
        r"Name or service not known|nodename nor servname|No such host is known|"
        r"Temporary failure in name resolution|failed to lookup address information|"
        r"UnknownHostException",
        _S.DNS,
    ),
    _sp(
        "stage.connect",
        # (not a server's reply "Connection refused, too many sessions from <ip>", said
        # after the connection was made: GoDaddy's IB007, session 23)
        r"connect to \S+: |Connection refused(?!, too many (?:sessions|connections))|"
        r"Connection timed out with|\bConnection timed out\b|"
        r"No route to host|Network is unreachable|Cannot assign requested address|"
        # (not MailKit's "Operation timed out after 5000 milliseconds": a read)
        # (not Dovecot's "authentication failed: Connection lost to authentication
        # server" after a 535: the server's own back end, at AUTH)
        # (nor msmtp's "network read error: the operation timed out": a read, session 22)
        r"failed: Connection(?! lost to auth)|"
        r"(?<!error: the )Operation timed out(?! after \d+ milliseconds)|"
        r"\b[45]\.4\.31[67]\b|Socket error code 10061|"
        r"unable to connect|Cannot connect to remote server|"
        # (session 17, lines14) hMailServer's NDR names the step: "Error Type: SMTP
        # Connection to recipients server failed."
        r"\bSMTP Connection to recipients? server failed\b",
        _S.CONNECT,
    ),
    _sp(
        "stage.dns",
        r"Host or domain name not found|Name service error|Host unknown|Unrouteable address|"
        r"DNS query failed|\bHost not found\b|MX record points to local host|Name server timeout|"
        # (Postfix's "mail for X loops back to myself" is a mail loop, which states no
        # stage, as session 18's relabel and the tune rows read it: session 20, conventions.)
        r"all relevant MX records",
        _S.DNS,
    ),
    # Postfix's restriction prefixes name the check that refused (postconf(5),
    # smtpd_*_restrictions): the HELO name's is answered to EHLO. Tried last: a
    # log's "reject: RCPT from" or a lookup failure says more. (Sender's is
    # stage.sender_rejected; the client's is answered at RCPT TO only under
    # smtpd_delay_reject; the recipient's "Recipient address rejected:" is
    # vendor_stages' c20.stage.postfix_rcpt_class, RCPT TO.)
    _sp("stage.postfix_helo_check", r"\bHelo command rejected:", _S.EHLO),
)


_pc = permanence_cue


PERMANENCE_CUES: tuple[PermanenceCue, ...] = (
    _pc(
        "cue.bounced",
        r"status=(?:bounced|expired)|\bAction:\s*failed\b|(?:^|\s)\*\* \S|"
        r"permanent(?:ly)? (?:fatal )?(?:error|failure)|failed permanently|"
        r"This is a permanent error|returned to sender|Message discarded",
        _PM,
    ),
    _pc(
        "cue.deferred",
        r"status=deferred|stat=Deferred|\bDeferred:|\bdefer \(|\bAction:\s*delayed\b|"
        r"delivery temporarily suspended|(?:^|\s)== \S",
        _T,
    ),
)
