"""The MTAs' own reply and log texts, by the code that emits them (issue 10).

Postfix, Exim and OpenSMTPD write every reply and log text in their source,
next to the command handler or restriction that emits it. This module holds
the classes of those texts the other tables did not name: what a Postfix
restriction's reply means (``defer_if_permit requested``, ``Server
configuration error``, ``Improper use of SMTP command pipelining``), and how
each MTA states the command a line is about (Exim's synchronization error
quotes it, OpenSMTPD logs ``command="EHLO"`` and ``BANNER rejected:``,
postscreen's ``in tests before SMTP handshake``).

Sources (cited by file and line in tests/unit/test_mta_catalogue.py, which
measures them): Postfix src/smtpd/smtpd_check.c, smtpd.c, postscreen/*.c,
tls/tls_server.c; Exim src/smtp_in.c; OpenSMTPD usr.sbin/smtpd/smtp_session.c,
mta_session.c; Haraka connection.js. Session 23 added the sending side's own sentences
(cited by file, line and commit beside each entry and in bench/data/catalogues.jsonl):
Dovecot's submission relay and lib-smtp client, Haraka's outbound, Postal's sender,
Stalwart's DSN lines and trace events, maddy's remote target, Courier's courieresmtp,
Apache James' RemoteDelivery.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Permanence, Stage

__all__ = ["MTA_PATTERNS", "MTA_STAGE_PHRASES"]

_C, _S = Category, Stage

# HELO/EHLO without the domain it needs, in Sendmail's, OpenSMTPD's and Haraka's words
# ("HELO requires domain address", "HELO requires domain name", Haraka's "HELO requires
# domain/address - see RFC-2821 4.1.1.1": session 19): the refusal and its stage.
_HELO_REQUIRES = (
    r"\b(?:HELO|EHLO) requires (?:domain name|domain/address|(?:a )?(?:valid|domain) address)\b"
)

MTA_PATTERNS: tuple[TextPattern, ...] = (
    # (session 23, catalogues3) Zimbra's LMTP server (zm-mailbox LmtpReply.java#L37,
    # commit 2b7f978) "451 4.0.0 Temporary message delivery failure try again": the
    # mailbox server failed to store the message (its store, database or a filter), as
    # Zimbra's MTA logs it behind "host ... said:".
    pattern(
        "c23.mta.zimbra_temporary_delivery_failure",
        r"\bTemporary message delivery failure\b",
        _C.SERVICE_UNAVAILABLE,
        "The mailbox server took the message over LMTP but could not store it this time.",
        "The mailbox server's store, database or disk has a problem, or a filter on it "
        "failed; its own log (mailbox.log) says which.",
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Haraka hmail.js#L1340 "Too many failures (<last error>)": the message
    # was retried until its attempts ran out, then bounced (a queue expiry, not a rate).
    pattern(
        "c23.mta.haraka_retries_exhausted",
        r"\bToo many failures \(",
        _C.OTHER,
        "The sending server gave up on the message after retrying it as often as it "
        "allows; the reason in parentheses is the last attempt's.",
        "The destination was unreachable or deferred the message for the whole retry "
        "period; see the last error beside it.",
        permanence=Permanence.PERMANENT,
        retry=False,
    ),
    # (session 23) The destination's MX lookup gave nothing to deliver to: Haraka
    # hmail.js#L219/#L244 "No MX for <domain>", "Nowhere to deliver mail to for domain:
    # <domain>"; Postal smtp_sender.rb#L47 "No SMTP servers were available for <domain>.
    # No hosts to try."; Dovecot's submission relay (submission-backend-relay.c#L112)
    # "Failed to connect to relay server (DNS lookup)".
    pattern(
        "c23.mta.no_mx_to_try",
        r"\bNo MX for \S|\bNowhere to deliver mail to for domain\b|"
        r"\bNo SMTP servers were available for \S+ No hosts to try\b|"
        r"\bFailed to connect to relay server \(DNS lookup\)|"
        # Courier libesmtp.C#L1516/#L1750 (commit fe506cc): "Domain does not receive mail.",
        # "Did not find a suitable MX for a connection"; Apache James MailDelivrer.java
        # #L120/#L283 (commit 20bf808): "Temporary problem looking up mail server for host:
        # <domain>", "There are no DNS entries for the hostname <domain>".
        r"\bDomain does not receive mail\b|\bDid not find a suitable MX for a connection\b|"
        r"\bTemporary problem looking up mail server for host\b|"
        r"\bThere are no DNS entries for the hostname\b|"
        # hMailServer ExternalDelivery.cpp#L364/#L368 (commit 4d11f81): "No mail servers
        # appear to exists for the recipient's address", "Unable to find the recipient's
        # email server. The DNS query has failed."
        r"\bNo mail servers appear to exists? for the recipient's address\b|"
        r"\bUnable to find the recipient's email server\b",
        _C.DNS_RESOLUTION,
        "The sending server found no host to deliver to: the destination's MX (or "
        "address) lookup gave nothing.",
        "The domain has no MX or A record (a misspelt or expired domain); its DNS servers "
        "do not answer.",
        stage=_S.DNS,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) A sending server that tried every MX host of the destination and
    # reached none: Haraka outbound/hmail.js#L307 "Tried all MXs" (commit 0bf10cb), Postal
    # app/senders/smtp_sender.rb#L50 "No SMTP servers were available for <domain>. Tried
    # <hosts>" (commit 8ef8960), whatever follows (its "No hosts to try" variant is read
    # as the DNS's above); OpenSMTPD's "No valid route" below is the same class.
    pattern(
        "c23.mta.all_mx_unreachable",
        r"\bTried all MXs\b|\bNo SMTP servers were available for\b",
        _C.FIREWALL_BLOCK,
        "The sending server tried every MX host of the destination and could connect to "
        "none of them.",
        "Outbound port 25 blocked by the network or provider; the MX hosts unreachable or "
        "down; no address family in common (IPv6-only MX, IPv4-only sender).",
        stage=_S.CONNECT,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Dovecot's submission relay (submission-backend-relay.c#L67, commit
    # f28b5a9): "Failed to connect to relay server (connect)", the connect itself.
    pattern(
        "c23.mta.dovecot_relay_connect",
        r"\bFailed to connect to relay server \(connect\)",
        _C.FIREWALL_BLOCK,
        "Dovecot's submission service could not connect to the relay server it forwards mail to.",
        "The relay's host or port in submission_relay_host/port is wrong or down; a "
        "firewall between them; the relay refused the login Dovecot uses.",
        stage=_S.CONNECT,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Dovecot submission-backend-relay.c#L1189 "Failed to establish relay
    # connection" (its relay could not be set up at all): the submission server's own
    # fault to its client, as session 18's tune row of the same text reads it.
    pattern(
        "c23.mta.dovecot_relay_unavailable",
        r"\bFailed to establish relay connection\b",
        _C.SERVICE_UNAVAILABLE,
        "Dovecot's submission service could not set up its connection to the relay "
        "server it forwards mail to, so it could not take the message.",
        "The relay (submission_relay_host) is down, unreachable or refuses Dovecot's login.",
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Dovecot lib-smtp smtp-client-connection.c#L26 "Failed to connect to
    # remote server", the reply its client gives a command when the connect failed
    # (Pigeonhole's redirect logs it as "smtp(host): RCPT TO failed: Failed to connect to
    # remote server").
    pattern(
        "c23.mta.dovecot_client_connect",
        r"\bFailed to connect to remote server\b",
        _C.FIREWALL_BLOCK,
        "Dovecot's SMTP client (a Sieve redirect, a vacation reply, the submission relay) "
        "could not connect to the SMTP server it sends through.",
        "The host or port in submission_host / the relay settings is wrong or down; a "
        "firewall or an address family the host lacks (IPv6 disabled).",
        stage=_S.CONNECT,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Stalwart's trace events for a DNS lookup its delivery needed
    # (crates/trc/src/event/description.rs#L898/#L1500, commit 55e62a6): "Error fetching
    # TLSA record (dane.tlsa-record-fetch-error)", "DNS error (mail-auth.dns-error)".
    pattern(
        "c23.mta.stalwart_dns_error",
        r"\bError fetching TLSA record\b|\bDNS error \(mail-auth\.dns-error\)",
        _C.DNS_RESOLUTION,
        "A DNS lookup the delivery needed (the destination's TLSA, MX or address records) "
        "failed or timed out.",
        "The sending server's resolver is slow or unreachable, or the destination's DNS "
        "servers do not answer.",
        stage=_S.DNS,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) Courier libesmtp.C#L73/#L945 (commit fe506cc): the remote server
    # reset the connection ("Network connection shut down by the remote mail server") or
    # hung up on the STARTTLS command ("Remote mail server disconnected after receiving the
    # STARTTLS command"); Dovecot lib-smtp smtp-client-connection.c#L483 "Remote closed
    # connection unexpectedly".
    pattern(
        "c23.mta.remote_closed_mid_session",
        r"\bNetwork connection shut down by the remote mail server\b|"
        r"\bRemote closed connection unexpectedly\b|"
        r"\bdisconnected after receiving the STARTTLS command\b|"
        # hMailServer SMTPClientConnection.cpp#L484 (commit 4d11f81): "Remote server
        # closed connection." after whatever "hMailServer sent:" names.
        r"\bRemote server closed connection\b",
        _C.CONNECTION_DROPPED,
        "The remote mail server reset or closed the connection in the middle of the session.",
        "A firewall or filter in front of the server; a server that crashed or hit a limit; "
        "a server whose TLS set-up fails as STARTTLS begins.",
        permanence=Permanence.TEMPORARY,
        kind="connection_drop",
    ),
    # (session 23) Dovecot submission-backend-relay.c#L125: the relay's reply could not
    # be parsed ("Lost connection to relay server (bad reply)").
    pattern(
        "c23.mta.dovecot_relay_bad_reply",
        r"\bLost connection to relay server \(bad reply\)",
        _C.OTHER,
        "The relay server sent a reply Dovecot's submission service could not parse, so it "
        "closed the connection.",
        "The relay host/port points at a service that is not SMTP (or at an implicit-TLS "
        "port without TLS); a broken relay.",
        permanence=Permanence.TEMPORARY,
    ),
    # (session 23) A sending server that refused the destination's certificate as its
    # policy demands: Haraka hmail.js#L857 "Host failed TLS verification required by
    # configuration."; Stalwart crates/smtp/src/outbound/mod.rs#L114 "TLS error from
    # '<host>': Invalid hostname" and queue/dsn.rs#L550 "DANE failed to authenticate
    # '<host>'" (commit 55e62a6); maddy internal/target/remote/dane.go#L112 "No matching
    # TLSA records" (commit 837b1b8).
    pattern(
        "c23.mta.peer_certificate_refused",
        r"\bfailed TLS verification\b|\bTLS error from '[^'\n]+': Invalid hostname\b|"
        r"\bDANE failed to authenticate\b|\bNo matching (?:certificates found in )?TLSA records\b",
        _C.TLS_CERTIFICATE,
        "The sending server refused the destination's TLS certificate: it did not match "
        "the host name or the DANE (TLSA) records its policy requires.",
        "The destination's certificate is for another name, expired or self-signed; its "
        "TLSA records were not updated after a certificate change.",
        stage=_S.TLS_HANDSHAKE,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 22) Exim transports/smtp.c#L3200 (commit 13835a3): "a TLS session is
    # required, but an attempt to start TLS failed": TLS was offered and the handshake
    # (or the STARTTLS command) failed where hosts_require_tls demands it.
    pattern(
        "c22.mta.exim_tls_required_failed",
        r"\bTLS session is required, but an attempt to start TLS failed\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The server offered STARTTLS, but the TLS session could not be started, and this "
        "sender requires TLS for the host.",
        "The two sides share no protocol version or cipher, or the server's certificate "
        "or key cannot be loaded; see the TLS error logged beside it.",
        stage=_S.TLS_HANDSHAKE,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 22) OpenSMTPD's client, mta.c#L1214/#L1230/#L1232 (commit 3153385): every
    # route to the destination's MX hosts failed or is marked as failing (connections that
    # could not be made), "No valid route to remote MX", "All routes to destination blocked".
    pattern(
        "c22.mta.opensmtpd_no_route",
        r"\bNo valid route to (?:remote MX|destination)\b|\bAll routes to destination blocked\b",
        _C.FIREWALL_BLOCK,
        "The sending OpenSMTPD could not connect to any MX host of the destination (each "
        "route failed or is held back after failures).",
        "Outbound port 25 blocked by the network or provider; the MX hosts unreachable or "
        "down; no address family in common (IPv6-only MX, IPv4-only sender).",
        stage=_S.CONNECT,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 22) OpenSMTPD mta.c#L1222 "Destination seem to reject all mails": every MX
    # host refused the session (its banner or HELO), most often this sender's address.
    pattern(
        "c22.mta.opensmtpd_rejects_all",
        r"\bDestination seems? to reject all mails?\b",
        _C.POLICY_REJECTION,
        "Every MX host of the destination refused the sending server's session.",
        "The sending IP is on a block list or has no reverse DNS the destination accepts.",
        permanence=Permanence.TEMPORARY,
    ),
    # (session 22) Dovecot LMTP, src/lmtp/lmtp-local.c (commit addedc4): "451 4.3.0 <x>
    # Too many concurrent deliveries for user" (lmtp_user_concurrency_limit): the
    # recipient's deliveries at their limit, a deferral at RCPT TO.
    pattern(
        "c22.mta.dovecot_user_concurrency",
        r"\bToo many concurrent deliveries for (?:this )?user\b",
        _C.RATE_LIMITED,
        "The recipient's mail server is already delivering as many messages to this "
        "mailbox as it allows at once; the delivery was deferred.",
        "Dovecot's lmtp_user_concurrency_limit reached by a burst of mail to one user; a "
        "slow mail store that keeps deliveries open.",
        stage=_S.RCPT_TO,
        permanence=Permanence.TEMPORARY,
    ),
    # (session 22) Postfix smtpd_check.c#L4757 reject_multi_recipient_bounce: a bounce
    # (null sender) addressed to several recipients, refused at DATA by policy.
    pattern(
        "c22.mta.postfix_multi_recipient_bounce",
        r"\bMulti-recipient bounce\b",
        _C.POLICY_REJECTION,
        "The server refuses a delivery report (null sender) addressed to more than one "
        "recipient: genuine bounces have one.",
        "A backscatter or spam run using the null sender; a mailer that sends its bounces "
        "to several recipients at once.",
        permanence=Permanence.PERMANENT,
        retry=False,
    ),
    # RFC 4954's 454 4.7.0 "Temporary authentication failure" (Postfix
    # smtpd_sasl_glue.c) and Exim's "435 Unable to authenticate at present"
    # (smtp_in.c, an authenticator's expansion deferred): the server could not
    # check the credentials, not a wrong password.
    pattern(
        "mta.temporary_auth_failure",
        r"\bTemporary authentication failure\b|\bUnable to authenticate at present\b",
        _C.SERVICE_UNAVAILABLE,
        "The server could not check the credentials because of a fault on its side "
        "(its authentication back end or configuration failed); the password may be right.",
        "The SASL daemon (Dovecot auth, saslauthd) is down or unreachable for the MTA.",
        "An authenticator's lookup failed: a file it reads is missing or unreadable.",
        stage=_S.AUTH,
        retry=True,
    ),
    # smtpd_check.c: a table lookup that failed, a map or restriction misconfigured
    # ("451 4.3.5 Server configuration error", and "... Server configuration problem" for
    # a restriction it cannot evaluate, session 15).
    pattern(
        "mta.postfix_config_error",
        r"\bServer configuration (?:error|problem)\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving Postfix could not evaluate its own restrictions (a table it "
        "needs is missing or misconfigured), so it deferred the command.",
        "A lookup table or restriction named in main.cf is missing or has a syntax error.",
    ),
    # reject_unauth_pipelining: the client sent commands before their replies.
    pattern(
        "mta.postfix_unauth_pipelining",
        r"\bImproper use of SMTP command pipelining\b",
        _C.POLICY_REJECTION,
        "The client sent its next commands before the server's replies (without "
        "PIPELINING being offered); the server's restriction takes that for a spambot.",
        "A sending program that pipelines without checking the EHLO reply.",
    ),
    # The defer_if_permit / defer_if_reject actions of a restriction list.
    pattern(
        "mta.postfix_defer_if",
        r"\bdefer_if_(?:permit|reject) requested\b",
        _C.POLICY_REJECTION,
        "A restriction on the receiving side deferred the mail until a later check "
        "decides (a greylisting-like temporary refusal).",
        "A restriction list that defers on an uncertain result (DNS, a policy service).",
    ),
    # smtpd_client_message_rate_limit (anvil): too many MAIL FROM per time unit.
    pattern(
        "mta.postfix_too_much_mail",
        r"\btoo much mail from\b",
        _C.RATE_LIMITED,
        "The receiving server limits how many messages this client may send per time "
        "unit (Postfix's smtpd_client_message_rate_limit).",
        "A burst of mail from one sending IP.",
    ),
    # Exim's sender-verification refusal ("Verification failed for <sender> ... Sender
    # verify failed"): the callout found no such sender, whatever words it quotes about
    # that address ("No Such User Here" is the sender's mailbox, not the recipient's).
    pattern(
        "mta.exim_sender_verify",
        r"\bVerification failed for <[^>\n]*>[^\n]{0,300}?\bSender verify failed\b",
        _C.POLICY_REJECTION,
        "The receiving server tried to verify the sender address (a callout to the "
        "sender domain's MX) and could not: it refuses mail from unverifiable senders.",
        "The sender address or domain does not accept mail (no such mailbox, no MX, a "
        "null sender refused), or the callout was blocked.",
    ),
    # reject_non_fqdn_recipient: the recipient address is malformed (no domain part).
    pattern(
        "mta.fqdn_recipient",
        r"\bRecipient address rejected: need fully-qualified address\b",
        _C.RECIPIENT,
        "The server refused the recipient address: it has no fully qualified domain "
        "(a bare name or an address without @domain).",
        "A typo or a missing domain in the recipient address.",
        stage=_S.RCPT_TO,
    ),
    pattern(
        "mta.fqdn_address",
        r"(?<!Recipient address rejected: )\bneed fully-qualified address\b|"
        # (and Sendmail's "501 5.0.0 HELO requires domain address", "... valid address",
        # as a camera's or a board's client quotes it: session 14)
        + _HELO_REQUIRES,
        _C.POLICY_REJECTION,
        "The server refuses a bare name where it needs a fully qualified domain "
        "(an address without @domain, or an empty HELO/EHLO argument).",
        "A sending program that uses a bare user name or no HELO name.",
    ),
    # postscreen.c: no smtpd process free to take the client.
    pattern(
        "mta.postscreen_ports_busy",
        r"\ball (?:server|screening) ports (?:are )?busy\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server has no free process to take the connection.",
        "More concurrent clients than the server's process limit.",
    ),
    # OpenSMTPD's smtp_session.c: a listener that requires AUTH before MAIL.
    pattern(
        "mta.auth_first",
        r"\bMust issue an AUTH command first\b",
        _C.AUTHENTICATION,
        "The server takes mail only from authenticated clients; the client sent MAIL "
        "FROM without logging in.",
        "A submission port used without credentials.",
    ),
    # Sendmail's collect(): the client went away in the middle of the message.
    pattern(
        "mta.sendmail_premature_eom",
        r"\bpremature EOM: unexpected close\b",
        _C.CONNECTION_DROPPED,
        "The connection closed while the message was being transferred.",
        "The client gave up (a timeout, a network drop, or a content filter in between).",
    ),
    # Sendmail's conf.c refuseconnections(): the daemon stops accepting connections.
    pattern(
        "mta.sendmail_refusing",
        r"\brejecting connections on daemon \S+: (?:load average|free memory|\d+ children)",
        _C.SERVICE_UNAVAILABLE,
        "The receiving Sendmail stopped accepting connections for a while (its load, "
        "memory or process limit was reached).",
        "A load spike on the receiving host, or RefuseLA/MaxDaemonChildren set low.",
        stage=_S.CONNECT,
    ),
    # Sendmail's srvrsmtp.c: BadRcptThrottle, too many refused recipients.
    pattern(
        "mta.sendmail_rcpt_flood",
        r"\bPossible SMTP RCPT flood\b",
        _C.RATE_LIMITED,
        "The client sent too many recipients that were refused; the server throttled "
        "or closed the session.",
        "A dictionary attack, or a mailing list with many stale addresses.",
        stage=_S.RCPT_TO,
    ),
    # Postfix local(8): the mailbox file reached mailbox_size_limit (EFBIG).
    pattern(
        "mta.postfix_mailbox_file_too_large",
        r"\bcannot update mailbox \S+ for user \S+\. error writing message: File too large\b",
        _C.RECIPIENT,
        "The recipient's mailbox reached its size limit.",
        "The mailbox file is as large as the server allows (Postfix's mailbox_size_limit).",
    ),
    # OpenSMTPD's DATA without an accepted recipient.
    pattern(
        "mta.no_recipient_specified",
        r"\bNo recipient specified\b",
        _C.RECIPIENT,
        "DATA came with no accepted recipient: every recipient was refused before.",
        "All recipients were refused at RCPT TO (see the replies before).",
    ),
    # OpenSMTPD's smtp_session.c logs the result of a login; mta_session.c a TLS failure.
    pattern(
        "mta.opensmtpd_auth_result",
        r"\bauthentication user=\S+ result=(?:permfail|tempfail)\b",
        _C.AUTHENTICATION,
        "The client's login (AUTH) failed.",
        "A wrong user name or password, or the credentials backend is unavailable.",
        stage=_S.AUTH,
    ),
    pattern(
        "mta.opensmtpd_tls_failure",
        r"\bclosing reason=tls-(?:failure|connect-failed)\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake with the other server failed.",
        "No common TLS version or cipher, or a certificate the other side refused.",
        stage=_S.TLS_HANDSHAKE,
    ),
    # Postfix's DANE policy (smtp_tls_policy.c): the TLSA records could not be
    # looked up (a DNSSEC or resolver failure), so delivery waits.
    pattern(
        "mta.tlsa_lookup_error",
        r"\bTLSA lookup error for \S+",
        _C.DNS_RESOLUTION,
        "The sending server could not look up the destination's TLSA (DANE) records, "
        "so it deferred the mail rather than send it unprotected.",
        "The destination's DNSSEC or its TLSA records are broken, or the sender's "
        "resolver does not validate DNSSEC.",
        stage=_S.DNS,
    ),
)

MTA_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    # (session 23) Dovecot's smtp-submit names the command a connect failure was reported
    # on ("RCPT TO failed: Failed to connect to remote server"): the connect.
    stage_phrase(
        "c23.stage.command_failed_connect",
        r"\bfailed: Failed to connect to remote server\b",
        _S.CONNECT,
    ),
    # (session 23) Courier libesmtp.C#L945: the server hung up on the STARTTLS command.
    stage_phrase(
        "c23.stage.disconnected_after_starttls",
        r"\bdisconnected after receiving the STARTTLS command\b",
        _S.STARTTLS,
    ),
    # (session 23) Dovecot's submission relay says where its connection failed
    # (submission-backend-relay.c#L112): the DNS lookup, not the connect.
    stage_phrase("c23.stage.relay_dns_lookup", r"\bto relay server \(DNS lookup\)", _S.DNS),
    # (session 23) A sender that requires TLS the destination does not offer answers
    # STARTTLS (the tune rows' convention: Jakarta Mail's "STARTTLS is required but host
    # does not support STARTTLS"): maddy connect.go#L247/dane.go#L44/security.go#L215 "TLS
    # it not available or unauthenticated but required", "TLS is required but unsupported
    # or failed", Haraka hmail.js#L563 "No TLS available but required by configuration".
    stage_phrase(
        "c23.stage.tls_required_unavailable",
        r"\bTLS (?:it |is )?not available\b[^\n]{0,40}?\bbut required\b|"
        r"\bTLS is required but (?:unsupported|unavailable)\b|"
        r"\bNo TLS available but required\b|"
        # hMailServer SMTPClientConnection.cpp#L364 (commit 4d11f81) "Server does not
        # support STARTTLS." after its EHLO; Exchange's send failure "4.4.317 Cannot
        # connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail]"
        # (the TLS its connector requires, not the connect).
        r"\bServer does not support STARTTLS\b|"
        r"\b[45]\.4\.317 Cannot connect to remote server \[Message=[^\]\n]{0,40}STARTTLS\b",
        _S.STARTTLS,
    ),
    # (session 23) Stalwart's client names the step it timed out in
    # (crates/smtp/src/outbound/client.rs#L134/#L264/#L212, commit 55e62a6).
    stage_phrase(
        "c23.stage.timeout_reading_greeting", r"\bTimeout while reading greeting\b", _S.GREETING
    ),
    stage_phrase("c23.stage.timeout_reading_ehlo", r"\bTimeout while reading EHLO\b", _S.EHLO),
    stage_phrase(
        "c23.stage.timeout_sending_message", r"\bTimeout while sending message\b", _S.MESSAGE
    ),
    # (session 14) A HELO argument refused for its form (mta.fqdn_address) answers HELO.
    stage_phrase(
        "stage.helo_form",
        _HELO_REQUIRES,
        _S.EHLO,
    ),
    # Exim's synchronization error quotes the command it rejected.
    stage_phrase("stage.exim_rejected_ehlo", r"\brejected \"(?:EHLO|HELO)\b", _S.EHLO),
    stage_phrase("stage.exim_rejected_mail", r"\brejected \"MAIL\b", _S.MAIL_FROM),
    stage_phrase("stage.exim_rejected_rcpt", r"\brejected \"RCPT\b", _S.RCPT_TO),
    stage_phrase("stage.exim_rejected_data", r"\brejected \"DATA\b", _S.DATA),
    stage_phrase("stage.exim_rejected_auth", r"\brejected \"AUTH\b", _S.AUTH),
    # OpenSMTPD's "failed-command command=..." (RCPT TO and MAIL FROM are in wording.py).
    stage_phrase("stage.opensmtpd_command_ehlo", r"\bcommand=\"(?:EHLO|HELO)\b", _S.EHLO),
    stage_phrase("stage.opensmtpd_command_data", r"\bcommand=\"DATA\"", _S.DATA),
    stage_phrase("stage.opensmtpd_command_eom", r"\bcommand=\"\.\"", _S.MESSAGE),
    stage_phrase("stage.opensmtpd_command_auth", r"\bcommand=\"AUTH\b", _S.AUTH),
    stage_phrase("stage.opensmtpd_command_starttls", r"\bcommand=\"STARTTLS\b", _S.STARTTLS),
    # OpenSMTPD's client (mta_session.c): the banner's refusal, STARTTLS missing.
    stage_phrase("stage.opensmtpd_banner", r"\bBANNER rejected\b", _S.GREETING),
    stage_phrase(
        "stage.opensmtpd_tls_required", r"\bTLS required but not supported\b", _S.STARTTLS
    ),
    # postscreen hangs up on a client during its tests before the banner.
    stage_phrase("stage.postscreen_before", r"\bin tests before SMTP handshake\b", _S.GREETING),
    # Postfix's client says "refused to talk to me" for the greeting and for
    # EHLO (smtp_proto.c); a reply that names EHLO/HELO answered EHLO.
    stage_phrase(
        "stage.refused_ehlo",
        r"\brefused to talk to me: [45]\d\d\b[^\n]{0,80}?\b(?:EHLO|HELO) (?:denied|rejected)\b",
        _S.EHLO,
    ),
    # Sendmail's milter log lines name the SMTP step the filter answered (srvrsmtp.c).
    stage_phrase("stage.milter_connect", r"\bMilter: connect: ", _S.GREETING),
    stage_phrase("stage.milter_helo", r"\bMilter: helo=", _S.EHLO),
    stage_phrase("stage.milter_from", r"\bMilter: from=", _S.MAIL_FROM),
    stage_phrase("stage.milter_to", r"\bMilter: to=", _S.RCPT_TO),
    stage_phrase("stage.milter_cmd_data", r"\bMilter: cmd=data, reject=", _S.DATA),
    stage_phrase("stage.milter_data", r"\bMilter: data, reject=", _S.MESSAGE),
    # Exim refuses a message whose lines exceed the transport's limit.
    stage_phrase("stage.exim_lines_too_long", r"\blines too long for transport\b", _S.MESSAGE),
    # An address that needs SMTPUTF8 (RFC 6531) where the server's EHLO reply did not
    # list it: Postfix's "SMTPUTF8 is required, but was not offered by host" (smtp_proto.c),
    # Gmail's "remote server did not offer SMTPUTF8".
    stage_phrase(
        "stage.smtputf8_not_offered",
        r"\bdid not offer SMTPUTF8\b|\bSMTPUTF8 is required, but was not offered\b",
        _S.EHLO,
    ),
)
