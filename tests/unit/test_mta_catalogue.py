# ruff: noqa: E501  (the catalogue holds whole log lines, as the MTAs write them)
"""The MTAs' own texts: replies and log lines read from Postfix, Exim and OpenSMTPD source.

Every reply and log text an MTA can emit is written in its source code, with
the command handler or restriction that emits it visible around it. This
catalogue holds such texts as they appear after formatting (placeholder
addresses, hosts, IPs and codes filled in), each with the category and stage
the source shows, written before the tool was run on them, and the source
file and line it was read from. It was written for the purpose, so it is tune
data (not a corpus split): the test asserts a floor on it and prints the
figures (docs/explain.md, "The MTAs' own texts").
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from smtpdoctor.diagnosis import classify

PF = "https://github.com/vdukhovni/postfix/blob/17830e5c13c160d51c95cb971d137a46de84e48c/postfix/src/"
EX = "https://github.com/Exim/exim/blob/13835a3c1e057efad7da269c0f93bf2eac850205/src/src/"
OS = "https://github.com/OpenSMTPD/OpenSMTPD/blob/3153385b02a0a155690061767491ca4009ccd4ee/usr.sbin/smtpd/"
HA = "https://github.com/haraka/Haraka/blob/0bf10cbb486253752042e10af4c65ec78ec7fe91/"
SM = "https://github.com/hrs-allbsd/sendmail/blob/19036c0d9fafa600b0748fc7ada98a939a56b0c8/"


class Text(NamedTuple):
    mta: str
    text: str
    category: str
    stage: str
    source: str


# Postfix smtpd's reject log line: "<queue id>: reject: <WHERE> from <client>: <reply>; from=<..>
# to=<..> proto=.. helo=<..>" (smtpd_check.c log_whatsup); WHERE is the command being answered.
_SMTPD = "Dec  5 10:00:00 mx postfix/smtpd[4321]: NOQUEUE: reject: "
_TAIL = "; from=<alice@sender.example> to=<bob@example.org> proto=ESMTP helo=<mail.sender.example>"
_CLIENT = "mail.sender.example[198.51.100.7]"
# Postfix smtp (the delivering side): the DSN text of a bounce or a status=deferred line.
_SAID = "host mx.example.org[192.0.2.25] said: "
_SMTP = "Dec  5 10:00:00 relay postfix/smtp[5678]: 4QxYz1AbCd: to=<bob@example.org>, "
_RELAY = "relay=mx.example.org[192.0.2.25]:25, delay=1.2, delays=0.1/0/0.5/0.6, "
# Exim's main log, receiving side (smtp_in.c smtp_handle_acl) and delivering side (transports/smtp.c).
_EXH = "2026-12-05 10:00:00 H=mail.sender.example [198.51.100.7]:41234 I=[192.0.2.25]:25 "
_EXD = "2026-12-05 10:00:00 1vABCD-000123-Ab "
_EXT = "R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25]"
# OpenSMTPD's smtpd log (smtp_session.c smtp_reply, mta_session.c mta_error).
_OSD = "Dec  5 10:00:00 mx smtpd[812]: 6c1d3f9a2b4e8f01 "

CATALOGUE: list[Text] = [
    # --- Postfix smtpd, receiving side: restrictions (smtpd_check.c) ---
    Text(
        "postfix",
        _SMTPD + f"RCPT from {_CLIENT}: 554 5.7.1 <bob@example.org>: Relay access denied" + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1772",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in local recipient table"
        + _TAIL,
        "recipient",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L5424",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table"
        + _TAIL,
        "recipient",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L5440",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.1.8 <alice@sender.example>: Sender address rejected: Domain not found"
        + _TAIL,
        "dns_resolution",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1597",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.1.2 <bob@nonexistent.example>: Recipient address rejected: Domain not found"
        + _TAIL,
        "dns_resolution",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1597",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"EHLO from {_CLIENT}: 504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname; proto=ESMTP helo=<localhost>",
        "policy_rejection",
        "ehlo",
        PF + "smtpd/smtpd_check.c#L1474",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"HELO from {_CLIENT}: 501 5.5.2 <bad_host!>: Helo command rejected: Invalid name; proto=SMTP helo=<bad_host!>",
        "policy_rejection",
        "ehlo",
        PF + "smtpd/smtpd_check.c#L1435",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.7.1 <mail.sender.example>: Helo command rejected: Host not found"
        + _TAIL,
        "dns_resolution",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1529",
    ),
    Text(
        "postfix",
        _SMTPD
        + "RCPT from unknown[198.51.100.7]: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]"
        + _TAIL,
        "dns_ptr_mismatch",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1270",
    ),
    Text(
        "postfix",
        _SMTPD
        + "CONNECT from unknown[198.51.100.7]: 554 5.7.1 <unknown[198.51.100.7]>: Client host rejected: Access denied; proto=SMTP",
        "policy_rejection",
        "greeting",
        PF + "smtpd/smtpd_check.c#L2433",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 554 5.7.1 <{_CLIENT}>: Client host rejected: Access denied"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2433",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"MAIL from {_CLIENT}: 553 5.5.4 <alice>: Sender address rejected: need fully-qualified address; proto=ESMTP helo=<mail.sender.example>",
        "policy_rejection",
        "mail_from",
        PF + "smtpd/smtpd_check.c#L2178",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"DATA from {_CLIENT}: 503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining"
        + _TAIL,
        "policy_rejection",
        "data",
        PF + "smtpd/smtpd_check.c#L1789",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"DATA from {_CLIENT}: 550 5.7.1 <DATA>: Data command rejected: Multi-recipient bounce; from=<> to=<bob@example.org> proto=ESMTP helo=<mail.sender.example>",
        "policy_rejection",
        "data",
        PF + "smtpd/smtpd_check.c#L4757",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.1.1 <bob@example.org>: Recipient address rejected: unverified address: host mx.example.org[192.0.2.25] said: 550 5.1.1 <bob@example.org>: User unknown (in reply to RCPT TO command)"
        + _TAIL,
        "recipient",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2293",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 553 5.7.1 <alice@sender.example>: Sender address rejected: not logged in"
        + _TAIL,
        "authentication",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L3989",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 553 5.7.1 <alice@sender.example>: Sender address rejected: not owned by user carol"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L3966",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L3779",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 554 5.7.1 Service unavailable; Sender address [alice@sender.example] blocked using dbl.spamhaus.org"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L3898",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 451 4.3.5 <bob@example.org>: Recipient address rejected: Server configuration error"
        + _TAIL,
        "service_unavailable",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2805",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 451 4.3.0 <bob@example.org>: Temporary lookup failure"
        + _TAIL,
        "service_unavailable",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1226",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"MAIL from {_CLIENT}: 552 5.3.4 Message size exceeds fixed limit; proto=ESMTP helo=<mail.sender.example>",
        "message_size",
        "mail_from",
        PF + "smtpd/smtpd_check.c#L5490",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"MAIL from {_CLIENT}: 452 4.3.1 Insufficient system storage; proto=ESMTP helo=<mail.sender.example>",
        "service_unavailable",
        "mail_from",
        PF + "smtpd/smtpd_check.c#L5529",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2714",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 550 5.7.23 <bob@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id=alice%40sender.example;ip=198.51.100.7;r=<UNKNOWN>"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L4299",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.7.1 <bob@example.org>: Recipient address rejected: defer_if_permit requested"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L4326",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/cleanup[4400]: 4QxYz1AbCd: milter-reject: END-OF-MESSAGE from {_CLIENT}: 5.7.1 Spam message rejected"
        + _TAIL,
        "policy_rejection",
        "message",
        PF + "cleanup/cleanup_milter.c#L2120",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/cleanup[4400]: 4QxYz1AbCd: reject: header Subject: Cheap pills from {_CLIENT}"
        + _TAIL
        + ": 5.7.1 Message content rejected",
        "policy_rejection",
        "message",
        PF + "cleanup/cleanup_message.c#L272",
    ),
    # --- Postfix smtpd: command handlers (smtpd.c) and session events ---
    Text(
        "postfix",
        _SMTPD
        + f"MAIL from {_CLIENT}: 450 4.7.1 Error: too much mail from 198.51.100.7; proto=ESMTP helo=<mail.sender.example>",
        "rate_limited",
        "mail_from",
        PF + "smtpd/smtpd.c#L2683",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.7.1 Error: too many recipients from 198.51.100.7"
        + _TAIL,
        "rate_limited",
        "rcpt_to",
        PF + "smtpd/smtpd.c#L3098",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/smtpd[4321]: warning: Connection rate limit exceeded: 61 from mail.sender.example[198.51.100.7] for service smtp",
        "rate_limited",
        "connect",
        PF + "smtpd/smtpd.c#L6017",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/smtpd[4321]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        "authentication",
        "auth",
        PF + "smtpd/smtpd_sasl_glue.c#L351",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/smtpd[4321]: warning: unknown[198.51.100.7]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice@sender.example",
        "authentication",
        "auth",
        PF + "smtpd/smtpd_sasl_glue.c#L351",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: lost connection after STARTTLS from {_CLIENT}",
        "connection_dropped",
        "starttls",
        PF + "smtpd/smtpd.c#L6308",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: lost connection after RCPT from {_CLIENT}",
        "connection_dropped",
        "rcpt_to",
        PF + "smtpd/smtpd.c#L6308",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: lost connection after EHLO from {_CLIENT}",
        "connection_dropped",
        "ehlo",
        PF + "smtpd/smtpd.c#L6308",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: timeout after END-OF-MESSAGE from {_CLIENT}",
        "network_timeout",
        "message",
        PF + "smtpd/smtpd.c#L6308",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: timeout after DATA (2810 bytes) from {_CLIENT}",
        "network_timeout",
        # corrected after the first run (written "data"): smtpd.c logs "(N bytes)" only
        # while it receives the content after DATA (SMTPD_AFTER_DATA, "DATA content")
        "message",
        PF + "smtpd/smtpd.c#L6294",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: timeout after CONNECT from {_CLIENT}",
        "network_timeout",
        "greeting",
        PF + "smtpd/smtpd.c#L6308",
    ),
    Text(
        "postfix",
        f"Dec  5 10:00:00 mx postfix/smtpd[4321]: SSL_accept error from {_CLIENT}: lost connection",
        "connection_dropped",
        "tls_handshake",
        PF + "tls/tls_server.c#L1022",
    ),
    # --- Postfix postscreen (postscreen*.c) ---
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: NOQUEUE: reject: RCPT from [198.51.100.7]:41234: 550 5.7.1 Service unavailable; client [198.51.100.7] blocked using zen.spamhaus.org; from=<alice@sender.example>, to=<bob@example.org>, proto=ESMTP, helo=<mail.sender.example>",
        "policy_rejection",
        "rcpt_to",
        PF + "postscreen/postscreen_smtpd.c#L577",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: NOQUEUE: reject: CONNECT from [198.51.100.7]:41234: all server ports busy",
        "service_unavailable",
        "greeting",
        PF + "postscreen/postscreen.c#L884",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: PREGREET 11 after 0.15 from [198.51.100.7]:41234: EHLO bot\\r\\n",
        "policy_rejection",
        "greeting",
        PF + "postscreen/postscreen_early.c#L246",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: HANGUP after 0.8 from [198.51.100.7]:41234 in tests before SMTP handshake",
        "connection_dropped",
        "greeting",
        PF + "postscreen/postscreen_misc.c#L159",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: COMMAND PIPELINING from [198.51.100.7]:41234 after EHLO: MAIL FROM:<alice@sender.example>\\r\\n",
        "policy_rejection",
        "ehlo",
        PF + "postscreen/postscreen_smtpd.c#L1064",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: NON-SMTP COMMAND from [198.51.100.7]:41234 after CONNECT: GET / HTTP/1.1",
        "policy_rejection",
        "greeting",
        PF + "postscreen/postscreen_smtpd.c#L1025",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: BARE NEWLINE from [198.51.100.7]:41234 after RCPT",
        "policy_rejection",
        "rcpt_to",
        PF + "postscreen/postscreen_smtpd.c#L891",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: COMMAND TIME LIMIT from [198.51.100.7]:41234 after DATA",
        "network_timeout",
        "data",
        PF + "postscreen/postscreen_smtpd.c#L731",
    ),
    # --- Postfix smtp, delivering side (smtp_proto.c, smtp_connect.c, smtp_trouble.c, dns_lookup.c) ---
    Text(
        "postfix",
        "connect to mx.example.org[192.0.2.25]:25: Connection timed out",
        "firewall_block",
        "connect",
        PF + "smtp/smtp_connect.c#L335",
    ),
    Text(
        "postfix",
        "connect to mx.example.org[192.0.2.25]:25: No route to host",
        "firewall_block",
        "connect",
        PF + "smtp/smtp_connect.c#L335",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.25]:25: Connection refused)",
        "firewall_block",
        "connect",
        PF + "smtp/smtp_connect.c#L335",
    ),
    Text(
        "postfix",
        "Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again",
        "dns_resolution",
        "dns",
        PF + "dns/dns_lookup.c#L583",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=0.1, delays=0/0/0.1/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=nonexistent.example type=A: Host not found)",
        "dns_resolution",
        "dns",
        PF + "dns/dns_lookup.c#L583",
    ),
    Text(
        "postfix",
        "lost connection with mx.example.org[192.0.2.25] while receiving the initial server greeting",
        "connection_dropped",
        "greeting",
        PF + "smtp/smtp_trouble.c#L475",
    ),
    Text(
        "postfix",
        "lost connection with mx.example.org[192.0.2.25] while sending RCPT TO",
        "connection_dropped",
        "rcpt_to",
        PF + "smtp/smtp_trouble.c#L475",
    ),
    Text(
        "postfix",
        "lost connection with mx.example.org[192.0.2.25] while sending end of data -- message may be sent more than once",
        "connection_dropped",
        "message",
        PF + "smtp/smtp_proto.c#L232",
    ),
    Text(
        "postfix",
        "conversation with mx.example.org[192.0.2.25] timed out while receiving the initial server greeting",
        "network_timeout",
        "greeting",
        PF + "smtp/smtp_trouble.c#L483",
    ),
    Text(
        "postfix",
        "conversation with mx.example.org[192.0.2.25] timed out while sending message body",
        "network_timeout",
        "message",
        PF + "smtp/smtp_proto.c#L2221",
    ),
    Text(
        "postfix",
        "conversation with mx.example.org[192.0.2.25] timed out while sending MAIL FROM",
        "network_timeout",
        "mail_from",
        PF + "smtp/smtp_trouble.c#L483",
    ),
    Text(
        "postfix",
        "host mx.example.org[192.0.2.25] refused to talk to me: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using b.barracudacentral.org",
        "policy_rejection",
        "greeting",
        PF + "smtp/smtp_proto.c#L383",
    ),
    Text(
        "postfix",
        "host mx.example.org[192.0.2.25] refused to talk to me: 421 4.7.0 mx.example.org Error: too many connections from 198.51.100.7",
        "rate_limited",
        "greeting",
        PF + "smtpd/smtpd.c#L6017",
    ),
    Text(
        "postfix",
        "host mx.example.org[192.0.2.25] refused to talk to me: 554 mx.example.org ESMTP not accepting connections",
        "service_unavailable",
        "greeting",
        PF + "smtpd/smtpd.c#L6079",
    ),
    Text(
        "postfix",
        _SAID
        + "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)",
        "recipient",
        "rcpt_to",
        PF + "smtp/smtp_proto.c#L2266",
    ),
    Text(
        "postfix",
        _SAID + "554 5.7.1 <bob@example.org>: Relay access denied (in reply to RCPT TO command)",
        "policy_rejection",
        "rcpt_to",
        PF + "smtp/smtp_proto.c#L2266",
    ),
    Text(
        "postfix",
        _SAID
        + "450 4.7.1 <relay.sender.example>: Helo command rejected: Host not found (in reply to RCPT TO command)",
        "dns_resolution",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1529",
    ),
    Text(
        "postfix",
        _SAID
        + "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname (in reply to RCPT TO command)",
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1474",
    ),
    Text(
        "postfix",
        _SAID
        + "450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.7] (in reply to RCPT TO command)",
        "dns_ptr_mismatch",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L1289",
    ),
    Text(
        "postfix",
        _SAID + "552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)",
        "message_size",
        "message",
        PF + "smtp/smtp_proto.c#L2266",
    ),
    Text(
        "postfix",
        "message size 20480000 exceeds size limit 10240000 of server mx.example.org[192.0.2.25]",
        "message_size",
        "message",
        PF + "smtp/smtp_proto.c#L2707",
    ),
    Text(
        "postfix",
        _SAID + "454 4.7.0 TLS not available due to local problem (in reply to STARTTLS command)",
        "starttls_unavailable",
        "starttls",
        PF + "smtpd/smtpd.c#L5569",
    ),
    Text(
        "postfix",
        "TLS is required, but was not offered by host mx.example.org[192.0.2.25]",
        "starttls_unavailable",
        "starttls",
        PF + "smtp/smtp_proto.c#L943",
    ),
    Text(
        "postfix",
        "TLS is required, but host mx.example.org[192.0.2.25] refused to start TLS: 454 4.7.0 TLS not available due to local problem",
        "starttls_unavailable",
        "starttls",
        PF + "smtp/smtp_proto.c#L890",
    ),
    Text(
        "postfix",
        "Cannot start TLS: handshake failure",
        "tls_handshake_failure",
        "tls_handshake",
        PF + "smtp/smtp_proto.c#L1277",
    ),
    Text(
        "postfix",
        _SMTP + _RELAY + "dsn=4.7.5, status=deferred (Server certificate not verified)",
        "tls_certificate",
        "tls_handshake",
        PF + "smtp/smtp_proto.c#L1349",
    ),
    Text(
        "postfix",
        "SASL authentication failed; server mx.example.org[192.0.2.25] said: 535 5.7.8 Error: authentication failed: authentication failure",
        "authentication",
        "auth",
        PF + "smtp/smtp_sasl_glue.c#L465",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=0.2, delays=0/0/0.2/0, dsn=5.4.6, status=bounced (mail for example.org loops back to myself)",
        "other",
        "none",
        PF + "smtp/smtp_addr.c#L728",
    ),
    Text(
        "postfix",
        _SAID
        + "421 4.4.2 mx.example.org Error: timeout exceeded (in reply to end of DATA command)",
        "network_timeout",
        "message",
        PF + "smtpd/smtpd.c#L5889",
    ),
    Text(
        "postfix",
        _SAID + "501 5.1.7 Bad sender address syntax (in reply to MAIL FROM command)",
        "policy_rejection",
        "mail_from",
        PF + "smtpd/smtpd.c#L2691",
    ),
    Text(
        "postfix",
        _SAID + "501 5.1.3 Bad recipient address syntax (in reply to RCPT TO command)",
        "recipient",
        "rcpt_to",
        PF + "smtpd/smtpd.c#L3104",
    ),
    Text(
        "postfix",
        _SAID + "554 5.5.1 Error: no valid recipients (in reply to DATA command)",
        "recipient",
        "data",
        PF + "smtpd/smtpd.c#L3461",
    ),
    Text(
        "postfix",
        _SAID + "452 4.5.3 Error: too many recipients (in reply to RCPT TO command)",
        "rate_limited",
        "rcpt_to",
        PF + "smtpd/smtpd.c#L3157",
    ),
    Text(
        "postfix",
        _SAID + "450 4.7.1 Error: too much mail from 198.51.100.7 (in reply to MAIL FROM command)",
        "rate_limited",
        "mail_from",
        PF + "smtpd/smtpd.c#L2683",
    ),
    Text(
        "postfix",
        _SAID
        + "503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining (in reply to DATA command)",
        "policy_rejection",
        "data",
        PF + "smtpd/smtpd_check.c#L1789",
    ),
    Text(
        "postfix",
        _SAID + "451 4.3.0 Error: queue file write error (in reply to end of DATA command)",
        "service_unavailable",
        "message",
        PF + "global/cleanup_strerror.c#L74",
    ),
    Text(
        "postfix",
        _SAID + "452 4.3.1 Insufficient system storage (in reply to MAIL FROM command)",
        "service_unavailable",
        "mail_from",
        PF + "smtpd/smtpd_check.c#L5529",
    ),
    Text(
        "postfix",
        _SAID
        + "553 5.7.1 <alice@sender.example>: Sender address rejected: not owned by user carol (in reply to RCPT TO command)",
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L3966",
    ),
    Text(
        "postfix",
        _SMTP
        + _RELAY
        + "dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.25] said: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))",
        "recipient",
        "rcpt_to",
        PF + "smtp/smtp_proto.c#L2266",
    ),
    Text(
        "postfix",
        _SMTP
        + _RELAY
        + "dsn=4.7.1, status=deferred (host mx.example.org[192.0.2.25] said: 450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted for 300 seconds (in reply to RCPT TO command))",
        "policy_rejection",
        "rcpt_to",
        PF + "smtp/smtp_proto.c#L2266",
    ),
    # --- Exim, receiving side (smtp_in.c, acl.c, configure.default) ---
    Text(
        "exim",
        _EXH + "F=<alice@sender.example> rejected RCPT <bob@example.org>: relay not permitted",
        "policy_rejection",
        "rcpt_to",
        EX + "configure.default#L515",
    ),
    Text(
        "exim",
        _EXH + "F=<alice@sender.example> rejected RCPT <nobody@example.org>: Unknown user",
        "recipient",
        "rcpt_to",
        EX + "configure.default#L808",
    ),
    Text(
        "exim",
        _EXH + "sender verify fail for <alice@sender.example>: Unrouteable address",
        "dns_resolution",
        "mail_from",
        EX + "smtp_in.c#L3185",
    ),
    Text(
        "exim",
        _EXH + "F=<alice@sender.example> rejected RCPT <bob@example.org>: Sender verify failed",
        "policy_rejection",
        "mail_from",
        EX + "acl.c#L2319",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 rejected EHLO from [198.51.100.7]:41234 I=[192.0.2.25]:25: syntactically invalid argument(s): bad_host!",
        "policy_rejection",
        "ehlo",
        EX + "smtp_in.c#L4088",
    ),
    Text(
        "exim",
        _EXH
        + "F=<alice@sender.example> rejected after DATA: This message contains a virus (Eicar-Signature)",
        "policy_rejection",
        "message",
        EX + "smtp_in.c#L3136",
    ),
    Text(
        "exim",
        _EXH
        + "F=<alice@sender.example> rejected after DATA: Your message scored 15.2 SpamAssassin point. Report follows:",
        "policy_rejection",
        "message",
        EX + "smtp_in.c#L3136",
    ),
    Text(
        "exim",
        _EXH
        + 'rejected connection in "connect" ACL: Host 198.51.100.7 is listed in zen.spamhaus.org',
        "policy_rejection",
        "greeting",
        EX + "smtp_in.c#L3260",
    ),
    Text(
        "exim",
        _EXH + "rejected MAIL <spam@sender.example>: Sender domain is on the local block list",
        "policy_rejection",
        "mail_from",
        EX + "smtp_in.c#L3260",
    ),
    Text(
        "exim",
        _EXH
        + "F=<alice@sender.example> temporarily rejected RCPT <bob@example.org>: greylisted, please try again later",
        "policy_rejection",
        "rcpt_to",
        EX + "smtp_in.c#L3260",
    ),
    Text(
        "exim",
        _EXH + "F=<alice@sender.example> rejected DATA: Too many recipients with a null sender",
        "policy_rejection",
        "data",
        EX + "smtp_in.c#L3135",
    ),
    Text(
        "exim",
        '2026-12-05 10:00:00 SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected "EHLO bot" H=[198.51.100.7]:41234 I=[192.0.2.25]:25 next input="MAIL FROM:<alice@sender.example>\\r\\n"',
        "policy_rejection",
        "ehlo",
        EX + "smtp_in.c#L780",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 dovecot_login authenticator failed for (bot) [198.51.100.7]:41234 I=[192.0.2.25]:587: 535 Incorrect authentication data (set_id=alice@example.org)",
        "authentication",
        "auth",
        EX + "smtp_in.c#L4039",
    ),
    # --- Exim, delivering side (transports/smtp.c, routers, retry.c, tls-*.c) ---
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-44): SMTP error from remote mail server after RCPT TO:<bob@example.org>: 451 4.7.1 Greylisting in action, please come back later",
        "policy_rejection",
        "rcpt_to",
        EX + "transports/smtp.c#L1417",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org "
        + _EXT
        + ": SMTP error from remote mail server after pipelined MAIL FROM:<alice@sender.example> SIZE=1834: 550 5.7.1 Sender rejected",
        "policy_rejection",
        "mail_from",
        EX + "transports/smtp.c#L619",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org "
        + _EXT
        + ": SMTP error from remote mail server after end of data: 552 5.3.4 Message size exceeds fixed limit",
        "message_size",
        "message",
        EX + "transports/smtp.c#L4446",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org "
        + _EXT
        + ": SMTP error from remote mail server after end of data: 554 5.7.1 Message rejected as spam by Content Filtering",
        "policy_rejection",
        "message",
        EX + "transports/smtp.c#L4446",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-46): SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available, closing transmission channel",
        "service_unavailable",
        "greeting",
        EX + "transports/smtp.c#L2277",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-46): SMTP error from remote mail server after EHLO relay.sender.example: 550 5.7.1 Access denied",
        "policy_rejection",
        "ehlo",
        EX + "transports/smtp.c#L619",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-18): Remote host closed connection in response to initial connection",
        "connection_dropped",
        "greeting",
        EX + "transports/smtp.c#L3440",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-18): Remote host closed connection in response to end of data",
        "connection_dropped",
        "message",
        EX + "transports/smtp.c#L3440",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-45): SMTP error from remote mail server after pipelined MAIL FROM:<alice@sender.example> SIZE=1834: 452 4.3.1 Insufficient system storage",
        "service_unavailable",
        "mail_from",
        EX + "transports/smtp.c#L619",
    ),
    Text(
        "exim",
        _EXD + "== bob@example.org R=dnslookup defer (-1): host lookup did not complete",
        "dns_resolution",
        "dns",
        EX + "routers/dnslookup.c#L329",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org R=dnslookup: all relevant MX records point to non-existent hosts",
        "dns_resolution",
        "dns",
        EX + "routers/dnslookup.c#L370",
    ),
    Text(
        "exim",
        _EXD + "** bob@example.org R=dnslookup: an MX or SRV record indicated no SMTP service",
        "dns_resolution",
        "dns",
        EX + "routers/dnslookup.c#L366",
    ),
    Text(
        "exim",
        _EXD + "** bob@nonexistent.example: Unrouteable address",
        "dns_resolution",
        "dns",
        EX + "route.c#L1914",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed",
        "tls_certificate",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (gnutls_handshake): A TLS fatal alert has been received.",
        "tls_handshake_failure",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-53): retry time not reached for any host for 'example.org'",
        "other",
        "none",
        EX + "transports/smtp.c#L6509",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org R=dnslookup T=remote_smtp defer (110): Connection timed out H=mx.example.org [192.0.2.25]",
        "firewall_block",
        "connect",
        EX + "transports/smtp.c#L3440",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org R=local_user T=local_delivery defer (-22): mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/bob)",
        "recipient",
        # corrected after the first run (written "none"): the annotation rules give RCPT TO
        # for a recipient refusal, as the line corpus's row of this Exim text has it
        "rcpt_to",
        EX + "transports/appendfile.c#L2505",
    ),
    # --- OpenSMTPD (smtp_session.c, mta_session.c, mta.c, lka_session.c) ---
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="RCPT TO:<nobody@example.org>" result="550 Invalid recipient: <nobody@example.org>"',
        "recipient",
        "rcpt_to",
        OS + "lka_session.c#L220",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="MAIL FROM:<alice@sender.example>" result="530 5.5.1 Invalid command: Must issue an AUTH command first"',
        "authentication",
        "mail_from",
        OS + "smtp_session.c#L1570",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="MAIL FROM:<alice@sender.example>" result="530 5.5.1 Invalid command: Must issue a STARTTLS command first"',
        "starttls_unavailable",
        "mail_from",
        OS + "smtp_session.c#L1561",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="AUTH LOGIN (password)" result="535 Authentication failed"',
        "authentication",
        "auth",
        OS + "smtp_session.c#L2298",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="." result="554 5.3.4 Message too big for system: Transaction failed, message too big"',
        "message_size",
        "message",
        OS + "smtp_session.c#L2849",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="EHLO" result="501 5.5.4 Invalid command arguments: EHLO requires domain name"',
        "policy_rejection",
        "ehlo",
        OS + "smtp_session.c#L1457",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=BANNER rejected: 554 5.7.1 Client host [198.51.100.7] blocked",
        "policy_rejection",
        "greeting",
        OS + "mta_session.c#L899",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=EHLO rejected: 550 5.7.1 Access denied",
        "policy_rejection",
        "ehlo",
        OS + "mta_session.c#L924",
    ),
    Text(
        "opensmtpd",
        _OSD
        + "mta error reason=STARTTLS rejected: 454 4.7.0 TLS not available due to local problem",
        "starttls_unavailable",
        "starttls",
        OS + "mta_session.c#L962",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=TLS required but not supported by remote host",
        "starttls_unavailable",
        "starttls",
        OS + "mta_session.c#L613",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=AUTH rejected: 535 5.7.8 Authentication credentials invalid",
        "authentication",
        "auth",
        OS + "mta_session.c#L972",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=Connection timeout",
        "network_timeout",
        "none",
        OS + "mta_session.c#L1365",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=IO Error: Connection reset by peer",
        "connection_dropped",
        "none",
        OS + "mta_session.c#L1387",
    ),
    Text(
        "opensmtpd",
        "Dec  5 10:00:00 mx smtpd[812]: smtp-out: Error on session 6c1d3f9a2b4e8f01 after 2 messages sent: Connection closed unexpectedly",
        "connection_dropped",
        "none",
        OS + "mta_session.c#L1545",
    ),
    Text(
        "opensmtpd",
        "Dec  5 10:00:00 mx smtpd[812]: smtp-out: No MX found for nonexistent.example",
        "dns_resolution",
        "dns",
        OS + "mta.c#L1764",
    ),
    # --- Haraka (connection.js): default replies, as a Postfix client reports them ---
    Text(
        "haraka",
        "host mx.example.org[192.0.2.25] refused to talk to me: 554 rDNS Lookup Failed",
        "dns_ptr_mismatch",
        "greeting",
        HA + "connection.js#L694",
    ),
    Text(
        "haraka",
        "host mx.example.org[192.0.2.25] refused to talk to me: 550 EHLO denied",
        "policy_rejection",
        "ehlo",
        HA + "connection.js#L850",
    ),
]

# The second batch (Sendmail, and more Postfix, Exim and OpenSMTPD texts), written
# before the tool was run on it, after the first round's rules.
_SM = "Dec  5 10:00:00 mx sendmail[2345]: 4B5A0012345: "
_SMREL = "relay=mail.sender.example [198.51.100.7]"
_SMTO = "to=<bob@example.org>, delay=00:00:02, xdelay=00:00:02, mailer=esmtp, pri=120000, relay=mx.example.org. [192.0.2.25], "

CATALOGUE_2: list[Text] = [
    # --- Sendmail, receiving side (parseaddr.c rscheck's log line, cf/m4/proto.m4's texts, srvrsmtp.c) ---
    Text(
        "sendmail",
        _SM
        + f"ruleset=check_rcpt, arg1=<bob@other.example>, {_SMREL}, reject=550 5.7.1 <bob@other.example>... Relaying denied. Proper authentication required.",
        "policy_rejection",
        "rcpt_to",
        SM + "cf/m4/proto.m4#L82",
    ),
    Text(
        "sendmail",
        _SM
        + f"ruleset=check_mail, arg1=<alice@nonexistent.example>, {_SMREL}, reject=553 5.1.8 <alice@nonexistent.example>... Domain of sender address alice@nonexistent.example does not exist",
        "dns_resolution",
        "mail_from",
        SM + "cf/m4/proto.m4#L1996",
    ),
    Text(
        "sendmail",
        _SM
        + f"ruleset=check_mail, arg1=<alice@slow.example>, {_SMREL}, reject=451 4.1.8 Domain of sender address alice@slow.example does not resolve",
        "dns_resolution",
        "mail_from",
        SM + "cf/m4/proto.m4#L1995",
    ),
    Text(
        "sendmail",
        _SM
        + "ruleset=check_rcpt, arg1=<bob@other.example>, relay=[198.51.100.7] (may be forged), reject=550 5.7.1 <bob@other.example>... Relaying denied. IP name possibly forged [198.51.100.7]",
        # reconciled after the first run (written dns_ptr_mismatch) with the line
        # corpus's reading of the same Sendmail text: the cause it gives is the relay refusal
        "policy_rejection",
        "rcpt_to",
        SM + "cf/m4/proto.m4#L2331",
    ),
    Text(
        "sendmail",
        _SM
        + "ruleset=check_rcpt, arg1=<bob@other.example>, relay=[198.51.100.7], reject=550 5.7.1 <bob@other.example>... Relaying denied. IP name lookup failed [198.51.100.7]",
        "dns_ptr_mismatch",
        "rcpt_to",
        SM + "cf/m4/proto.m4#L2332",
    ),
    Text(
        "sendmail",
        _SM + "<nobody@example.org>... User unknown",
        "recipient",
        "rcpt_to",
        SM + "cf/m4/proto.m4#L1585",
    ),
    Text(
        "sendmail",
        _SM + "Milter: data, reject=554 5.7.1 Command rejected",
        "policy_rejection",
        "message",
        SM + "sendmail/srvrsmtp.c#L4213",
    ),
    Text(
        "sendmail",
        "Dec  5 10:00:00 mx sendmail[2345]: 4B5A0012345: Milter: connect: host=mail.sender.example, addr=198.51.100.7, reject=554 5.7.1 Access denied",
        "policy_rejection",
        "greeting",
        SM + "sendmail/srvrsmtp.c#L1366",
    ),
    Text(
        "sendmail",
        _SM + "Milter: helo=bot, reject=550 5.7.1 Command rejected",
        "policy_rejection",
        "ehlo",
        SM + "sendmail/srvrsmtp.c#L2689",
    ),
    Text(
        "sendmail",
        _SM + "lost input channel from mail.sender.example [198.51.100.7] to MTA after rcpt",
        "connection_dropped",
        "rcpt_to",
        SM + "sendmail/srvrsmtp.c#L1656",
    ),
    Text(
        "sendmail",
        "Dec  5 10:00:00 mx sendmail[2345]: 4B5A0012345: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=alice, relay=mail.sender.example [198.51.100.7]",
        "authentication",
        "auth",
        SM + "sendmail/srvrsmtp.c#L1951",
    ),
    Text(
        "sendmail",
        _SM + "collect: premature EOM: unexpected close",
        "connection_dropped",
        "message",
        SM + "sendmail/collect.c#L768",
    ),
    Text(
        "sendmail",
        "Dec  5 10:00:00 mx sendmail[812]: rejecting connections on daemon MTA: load average: 40",
        "service_unavailable",
        "connect",
        SM + "sendmail/conf.c#L2339",
    ),
    Text(
        "sendmail",
        _SM
        + "mail.sender.example [198.51.100.7]: Possible SMTP RCPT flood, shutting down connection.",
        "rate_limited",
        "rcpt_to",
        SM + "sendmail/srvrsmtp.c#L3152",
    ),
    # --- Sendmail's replies as a Postfix client reports them, and its own client ---
    Text(
        "sendmail",
        _SAID
        + "552 5.2.3 Message size exceeds fixed maximum message size (10000000) (in reply to MAIL FROM command)",
        "message_size",
        "mail_from",
        SM + "sendmail/srvrsmtp.c#L3051",
    ),
    Text(
        "sendmail",
        _SAID
        + "452 4.4.5 Insufficient disk space; try again later (in reply to MAIL FROM command)",
        "service_unavailable",
        "mail_from",
        SM + "sendmail/srvrsmtp.c#L3076",
    ),
    Text(
        "sendmail",
        _SAID + "503 5.0.0 Polite people say HELO first (in reply to MAIL FROM command)",
        "other",
        "mail_from",
        SM + "sendmail/srvrsmtp.c#L2826",
    ),
    Text(
        "sendmail",
        _SAID + "530 5.7.0 Authentication required (in reply to MAIL FROM command)",
        "authentication",
        "mail_from",
        SM + "sendmail/srvrsmtp.c#L2838",
    ),
    Text(
        "sendmail",
        _SAID + "550 5.1.1 <bob@example.org>... User unknown (in reply to RCPT TO command)",
        "recipient",
        "rcpt_to",
        SM + "cf/m4/proto.m4#L1585",
    ),
    Text(
        "sendmail",
        _SAID + "452 4.5.3 Too many recipients (in reply to RCPT TO command)",
        "rate_limited",
        "rcpt_to",
        SM + "sendmail/srvrsmtp.c#L3208",
    ),
    Text(
        "sendmail",
        "SASL authentication failed; server mx.example.org[192.0.2.25] said: 535 5.7.0 authentication failed",
        "authentication",
        "auth",
        SM + "sendmail/srvrsmtp.c#L1948",
    ),
    Text(
        "sendmail",
        _SAID + "454 4.3.3 TLS not available after start (in reply to STARTTLS command)",
        "starttls_unavailable",
        "starttls",
        SM + "sendmail/srvrsmtp.c#L2280",
    ),
    Text(
        "sendmail",
        "Dec  5 10:00:00 relay sendmail[2345]: STARTTLS=client, error: connect failed=-1, reason=certificate verify failed, SSL_error=1, errno=0, retry=-1",
        "tls_certificate",
        "tls_handshake",
        SM + "sendmail/deliver.c#L7722",
    ),
    Text(
        "sendmail",
        "Dec  5 10:00:00 relay sendmail[2345]: STARTTLS=client, relay=mx.example.org, warning=DANE configured in DNS but STARTTLS not offered",
        "starttls_unavailable",
        "starttls",
        SM + "sendmail/deliver.c#L3872",
    ),
    Text(
        "sendmail",
        _SM + _SMTO + "dsn=5.1.1, stat=User unknown",
        "recipient",
        "rcpt_to",
        SM + "sendmail/deliver.c#L5555",
    ),
    Text(
        "sendmail",
        _SM + _SMTO + "dsn=4.0.0, stat=Deferred: Connection timed out with mx.example.org.",
        "firewall_block",
        "connect",
        SM + "sendmail/err.c#L1186",
    ),
    # --- Postfix, more of its delivery agents and restrictions ---
    Text(
        "postfix",
        _SMTP
        + "relay=local, delay=0.1, delays=0/0/0/0.1, dsn=5.4.6, status=bounced (mail forwarding loop for bob@example.org)",
        "other",
        "none",
        PF + "local/recipient.c#L256",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/local[777]: 4QxYz1AbCd: to=<bob@example.org>, relay=local, delay=0.2, delays=0/0/0/0.2, dsn=5.2.2, status=bounced (cannot update mailbox /var/mail/bob for user bob. error writing message: File too large)",
        "recipient",
        # (session 12: local(8)'s delivery answers no SMTP command, as corpus.jsonl's
        # local row and the delivery agents' tune lines say; was rcpt_to)
        "none",
        PF + "local/mailbox.c#L228",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 550 5.1.1 <alias@example.org>: Recipient address rejected: User unknown in virtual alias table"
        + _TAIL,
        "recipient",
        "rcpt_to",
        PF + "trivial-rewrite/resolve.c#L516",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=300, delays=270/0/30/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to mx.example.org[192.0.2.25]:25: Connection timed out)",
        "firewall_block",
        "connect",
        PF + "qmgr/qmgr_deliver.c#L342",
    ),
    Text(
        "postfix",
        "unable to look up host mx.example.org: Name or service not known",
        "dns_resolution",
        "dns",
        PF + "smtp/smtp_addr.c#L251",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=0.1, delays=0/0/0/0, dsn=4.3.0, status=deferred (mail transport unavailable)",
        "service_unavailable",
        "none",
        PF + "global/deliver_pass.c#L210",
    ),
    Text(
        "postfix",
        "conversation with mx.example.org[192.0.2.25] timed out while performing the EHLO handshake",
        "network_timeout",
        "ehlo",
        PF + "smtp/smtp_proto.c#L474",
    ),
    Text(
        "postfix",
        "lost connection with mx.example.org[192.0.2.25] while sending DATA command",
        "connection_dropped",
        "data",
        PF + "smtp/smtp_proto.c#L231",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 554 5.7.1 <mail.sender.example>: Helo command rejected: Access denied"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2433",
    ),
    Text(
        "postfix",
        _SMTPD
        + f"RCPT from {_CLIENT}: 450 4.1.7 <alice@sender.example>: Sender address rejected: unverified address: host mx.sender.example[203.0.113.5] said: 550 5.1.1 <alice@sender.example>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)"
        + _TAIL,
        "policy_rejection",
        "rcpt_to",
        PF + "smtpd/smtpd_check.c#L2293",
    ),
    Text(
        "postfix",
        "Dec  5 10:00:00 mx postfix/postscreen[900]: DNSBL rank 4 for [198.51.100.7]:41234",
        "policy_rejection",
        "none",
        PF + "postscreen/postscreen_early.c#L183",
    ),
    # --- Exim, more of its receiving and delivering texts ---
    Text(
        "exim",
        '2026-12-05 10:00:00 SMTP call from (bot) [198.51.100.7]:41234 I=[192.0.2.25]:25 dropped: too many syntax or protocol errors (last command was "RCPT TO:<bob@@example.org>", C=EHLO,MAIL,RCPT)',
        "other",
        "rcpt_to",
        EX + "smtp_in.c#L4096",
    ),
    Text(
        "exim",
        _EXD + '** bob@example.org: Too many "Received" headers - suspected mail loop',
        "other",
        "none",
        EX + "deliver.c#L7445",
    ),
    Text(
        "exim",
        _EXD + "** bob@example.org R=dnslookup T=remote_smtp: retry timeout exceeded",
        "other",
        "none",
        EX + "retry.c#L981",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org R=dnslookup T=remote_smtp defer (-53): all hosts for 'example.org' have been failing for a long time (and retry time not reached)",
        "other",
        "none",
        EX + "transports/smtp.c#L6493",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org R=dnslookup T=remote_smtp: message has lines too long for transport (received 1200, limit 998)",
        "other",
        "message",
        EX + "transports/smtp.c#L5519",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-18): Remote host closed connection in response to MAIL FROM:<alice@sender.example> SIZE=1834",
        "connection_dropped",
        "mail_from",
        EX + "transports/smtp.c#L3440",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org R=dnslookup T=remote_smtp defer (111): Connection refused H=mx.example.org [192.0.2.25]",
        "firewall_block",
        "connect",
        EX + "transports/smtp.c#L3440",
    ),
    Text(
        "exim",
        _EXD
        + "** bob@example.org "
        + _EXT
        + ": SMTP error from remote mail server after RCPT TO:<bob@example.org>: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        "recipient",
        "rcpt_to",
        EX + "transports/smtp.c#L1417",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-44): SMTP error from remote mail server after RCPT TO:<bob@example.org>: 452 4.2.2 Mailbox full",
        "recipient",
        "rcpt_to",
        EX + "transports/smtp.c#L1417",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (SSL_connect): error:0A00010B:SSL routines::wrong version number",
        "tls_handshake_failure",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (SSL_connect): error:0A000410:SSL routines::sslv3 alert handshake failure",
        "tls_handshake_failure",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 TLS error on connection from mail.sender.example [198.51.100.7]:41234 I=[192.0.2.25]:25 (SSL_accept): error:0A000418:SSL routines::tlsv1 alert unknown ca",
        "tls_certificate",
        "tls_handshake",
        EX + "smtp_in.c#L2092",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 SMTP command timeout on connection from mail.sender.example [198.51.100.7]:41234 I=[192.0.2.25]:25 D=5m",
        "network_timeout",
        "none",
        EX + "smtp_in.c#L406",
    ),
    # --- OpenSMTPD, more ---
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="RCPT TO:<carol@example.org>" result="451 4.5.3 Too many recipients: Too many recipients"',
        "rate_limited",
        "rcpt_to",
        OS + "smtp_session.c#L2462",
    ),
    Text(
        "opensmtpd",
        _OSD
        + 'smtp failed-command command="DATA" result="503 5.5.1 Invalid command: No recipient specified"',
        "recipient",
        "data",
        OS + "smtp_session.c#L1643",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta error reason=Connection failed: Connection refused",
        "firewall_block",
        "connect",
        OS + "mta_session.c#L552",
    ),
    Text(
        "opensmtpd",
        _OSD + "smtp authentication user=alice result=permfail",
        "authentication",
        "auth",
        OS + "smtp_session.c#L976",
    ),
    Text(
        "opensmtpd",
        _OSD + "mta closing reason=tls-failure",
        "tls_handshake_failure",
        "tls_handshake",
        OS + "mta_session.c#L1580",
    ),
]


# The third batch: the TLS texts of the delivering and receiving side (Postfix
# tls_verify.c, tls_client.c, tls_misc.c, smtp_tls_policy.c; Exim tls-openssl.c),
# written before the tool was run on it, after the second round's rules.
_PFSMTP = "Dec  5 10:00:00 relay postfix/smtp[5678]: "
_PFSMTPD = "Dec  5 10:00:00 mx postfix/smtpd[4321]: "
CATALOGUE_3: list[Text] = [
    Text(
        "postfix",
        _PFSMTP
        + "certificate verification failed for mx.example.org[192.0.2.25]:25: untrusted issuer /C=US/O=Example/CN=Example Private CA",
        "tls_certificate",
        "tls_handshake",
        PF + "tls/tls_verify.c#L304",
    ),
    Text(
        "postfix",
        _PFSMTP
        + "certificate verification failed for mx.example.org[192.0.2.25]:25: self-signed certificate",
        "tls_certificate",
        "tls_handshake",
        PF + "tls/tls_verify.c#L283",
    ),
    Text(
        "postfix",
        _PFSMTP
        + "server certificate verification failed for mx.example.org[192.0.2.25]:25: certificate has expired",
        "tls_certificate",
        "tls_handshake",
        PF + "tls/tls_verify.c#L326",
    ),
    Text(
        "postfix",
        _PFSMTP
        + "server certificate verification failed for mx.example.org[192.0.2.25]:25: num=62:hostname mismatch",
        "tls_certificate",
        "tls_handshake",
        PF + "tls/tls_verify.c#L357",
    ),
    Text(
        "postfix",
        _PFSMTP
        + "certificate verification failed for mx.example.org[192.0.2.25]:25: not trusted by local or TLSA policy",
        "tls_certificate",
        "tls_handshake",
        PF + "tls/tls_verify.c#L273",
    ),
    Text(
        "postfix",
        _PFSMTP + "SSL_connect error to mx.example.org[192.0.2.25]:25: lost connection",
        "tls_handshake_failure",
        "tls_handshake",
        PF + "tls/tls_client.c#L1360",
    ),
    Text(
        "postfix",
        _SMTP
        + "relay=none, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (TLSA lookup error for mx.example.org:25)",
        "dns_resolution",
        "dns",
        PF + "smtp/smtp_tls_policy.c#L1100",
    ),
    Text(
        "postfix",
        _PFSMTPD
        + "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:ssl/statem/statem_srvr.c:1657:",
        "tls_version_mismatch",
        "tls_handshake",
        PF + "tls/tls_misc.c#L1787",
    ),
    Text(
        "postfix",
        _PFSMTPD + "SSL_accept error from mail.sender.example[198.51.100.7]: -1",
        "tls_handshake_failure",
        "tls_handshake",
        PF + "tls/tls_server.c#L1017",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 TLS error on connection from mail.sender.example [198.51.100.7]:41234 I=[192.0.2.25]:25 (SSL_accept): error:0A000102:SSL routines::unsupported protocol",
        "tls_version_mismatch",
        "tls_handshake",
        EX + "smtp_in.c#L2092",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 TLS error on connection from mail.sender.example [198.51.100.7]:41234 I=[192.0.2.25]:25 (SSL_accept): error:0A0000C1:SSL routines::no shared cipher",
        "tls_handshake_failure",
        "tls_handshake",
        EX + "smtp_in.c#L2092",
    ),
    Text(
        "exim",
        "2026-12-05 10:00:00 1vABCD-000123-Ab [192.0.2.25] SSL verify error: depth=0 error=certificate has expired cert=/CN=mx.example.org",
        "tls_certificate",
        "tls_handshake",
        EX + "tls-openssl.c#L1134",
    ),
    Text(
        "exim",
        '2026-12-05 10:00:00 1vABCD-000123-Ab [192.0.2.25] SSL verify error: certificate name mismatch: DN="/CN=other.example" H="mx.example.org"',
        "tls_certificate",
        "tls_handshake",
        EX + "tls-openssl.c#L1207",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (SSL_connect): error:0A000412:SSL routines::sslv3 alert bad certificate",
        "tls_certificate",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
    Text(
        "exim",
        _EXD
        + "== bob@example.org "
        + _EXT
        + " defer (-37): TLS session: (SSL_connect): error:0A00042E:SSL routines::tlsv1 alert protocol version",
        "tls_version_mismatch",
        "tls_handshake",
        EX + "transports/smtp.c#L3031",
    ),
]


ALL = CATALOGUE + CATALOGUE_2 + CATALOGUE_3

# Rows right (category, stage): each batch on first sight, measured before any change
# for it (the first batch 123/136 and 127/136; the second, after the first round's
# rules, 46/55 and 46/55; the third, after the second round's, 14/15 and 14/15;
# corrected rows counted as corrected), so 183/206 and 187/206 in all; after the three
# rounds 201/206 and 204/206. The floor keeps a row of margin (97 % and 98.5 %, above
# the goal of 95 % and 90 %).
BEFORE = (183, 187)
FLOOR = (200, 203)


def _scores(rows: list[Text]) -> tuple[int, int, list[str]]:
    cat = stage = 0
    misses: list[str] = []
    for row in rows:
        c = classify(row.text)
        cat += c.category.value == row.category
        stage += c.stage.value == row.stage
        if (c.category.value, c.stage.value) != (row.category, row.stage):
            misses.append(
                f"{c.category.value}/{c.stage.value} want {row.category}/{row.stage}: {row.text}"
            )
    return cat, stage, misses


def test_catalogue_is_sourced_and_well_formed() -> None:
    from smtpdoctor.model import Category, Stage

    assert len(ALL) >= 200
    assert len({row.text for row in ALL}) == len(ALL)
    for row in ALL:
        assert row.source.startswith("https://github.com/"), row
        Category(row.category)
        Stage(row.stage)


def test_catalogue_scores(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        for name, rows in (
            ("first batch", CATALOGUE),
            ("second batch", CATALOGUE_2),
            ("third batch", CATALOGUE_3),
        ):
            cat, stage, _ = _scores(rows)
            print(f"\nMTA catalogue, {name}: {len(rows)} texts, category {cat}, stage {stage}")
    cat, stage, misses = _scores(ALL)
    n = len(ALL)
    with capsys.disabled():
        print(f"\nMTA catalogue: {n} texts, category {cat}/{n}, stage {stage}/{n}", end="")
        print(f" (first sight: {BEFORE[0]}/{n}, {BEFORE[1]}/{n})")
    assert cat >= FLOOR[0], misses
    assert stage >= FLOOR[1], misses


# The receiving side's reading (logs.inbound.Cause) of the catalogue's receiving-side
# lines, by a piece that names the row; written before running the reader on them.
INBOUND: dict[str, str] = {
    "Relay access denied; from=": "relay_denied",
    "User unknown in local recipient table; from=": "recipient",
    "NOQUEUE: reject: RCPT from mail.sender.example[198.51.100.7]: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table": "recipient",
    "<alice@sender.example>: Sender address rejected: Domain not found": "sender",
    "<bob@nonexistent.example>: Recipient address rejected: Domain not found": "recipient",
    "Helo command rejected: need fully-qualified hostname; proto": "helo",
    "Helo command rejected: Invalid name": "helo",
    "<mail.sender.example>: Helo command rejected: Host not found; from=": "helo",
    "cannot find your reverse hostname": "ptr",
    "CONNECT from unknown[198.51.100.7]: 554 5.7.1": "policy",
    "Sender address rejected: need fully-qualified address": "sender",
    "NOQUEUE: reject: DATA from mail.sender.example[198.51.100.7]: 503 5.5.0": "protocol",
    "Multi-recipient bounce; from=": "policy",
    "Sender address rejected: not owned by user carol; from=": "sender",
    "Client host [198.51.100.7] blocked using zen.spamhaus.org; https": "dnsbl",
    "blocked using dbl.spamhaus.org": "dnsbl",
    "Recipient address rejected: Greylisted, see": "greylisted",
    "Message rejected due to: SPF fail": "content",
    "milter-reject: END-OF-MESSAGE": "content",
    "NOQUEUE: reject: MAIL from mail.sender.example[198.51.100.7]: 552 5.3.4": "message_size",
    "Error: too much mail from 198.51.100.7; proto": "rate_limited",
    "Error: too many recipients from 198.51.100.7; from=": "rate_limited",
    "Connection rate limit exceeded": "rate_limited",
    "SASL LOGIN authentication failed": "auth",
    "SASL PLAIN authentication failed": "auth",
    "lost connection after STARTTLS from": "tls_handshake",
    "lost connection after RCPT from": "dropped",
    "lost connection after EHLO from": "dropped",
    "timeout after END-OF-MESSAGE from": "timeout",
    "timeout after DATA (2810 bytes)": "timeout",
    "timeout after CONNECT from": "timeout",
    "SSL_accept error from mail.sender.example[198.51.100.7]: lost": "tls_handshake",
    "postscreen[900]: NOQUEUE: reject: RCPT from [198.51.100.7]:41234": "dnsbl",
    "PREGREET 11 after": "protocol",
    "HANGUP after 0.8": "dropped",
    "COMMAND PIPELINING from": "protocol",
    "NON-SMTP COMMAND from": "protocol",
    "BARE NEWLINE from": "protocol",
    "COMMAND TIME LIMIT from": "timeout",
    "rejected RCPT <bob@example.org>: relay not permitted": "relay_denied",
    "rejected RCPT <nobody@example.org>: Unknown user": "recipient",
    "sender verify fail for <alice@sender.example>: Unrouteable address": "sender",
    "rejected RCPT <bob@example.org>: Sender verify failed": "sender",
    "rejected EHLO from [198.51.100.7]:41234": "helo",
    "rejected after DATA: This message contains a virus": "content",
    "rejected after DATA: Your message scored 15.2": "content",
    'rejected connection in "connect" ACL': "dnsbl",
    "rejected MAIL <spam@sender.example>": "sender",
    "temporarily rejected RCPT <bob@example.org>: greylisted": "greylisted",
    "SMTP protocol synchronization error (next input sent too soon": "protocol",
    "dovecot_login authenticator failed": "auth",
    "dropped: too many syntax or protocol errors": "protocol",
    "SSL routines::tlsv1 alert unknown ca": "tls_certificate",
    "SMTP command timeout on connection from": "timeout",
    "ruleset=check_rcpt, arg1=<bob@other.example>, relay=mail.sender.example [198.51.100.7], reject=550 5.7.1 <bob@other.example>... Relaying denied. Proper": "relay_denied",
    "Domain of sender address alice@nonexistent.example does not exist": "sender",
    "Domain of sender address alice@slow.example does not resolve": "sender",
    "Relaying denied. IP name lookup failed": "ptr",
    "4B5A0012345: <nobody@example.org>... User unknown": "recipient",
    "Milter: data, reject=": "content",
    "Milter: connect: host=": "content",
    "Milter: helo=bot": "content",
    "lost input channel from": "dropped",
    "AUTH failure (LOGIN)": "auth",
    "collect: premature EOM": "dropped",
    "Possible SMTP RCPT flood": "rate_limited",
    'result="550 Invalid recipient': "recipient",
    'result="535 Authentication failed"': "auth",
    'result="554 5.3.4 Message too big for system': "message_size",
    "EHLO requires domain name": "helo",
    # the third batch's receiving-side TLS lines
    "statem_srvr.c:1657": "tls_version",
    "SSL_accept error from mail.sender.example[198.51.100.7]: -1": "tls_handshake",
    "(SSL_accept): error:0A000102:SSL routines::unsupported protocol": "tls_version",
    "(SSL_accept): error:0A0000C1:SSL routines::no shared cipher": "tls_cipher",
}
# Rows whose line the logs engine counts as one inbound failure of that cause (each
# line alone in a file, as a user's excerpt; the report's inbound.by_cause): 50 of 70
# before this round; 53 once a refusal at MAIL, logged without from=, kept its cause;
# 59 with postscreen's verdicts (PREGREET, HANGUP, COMMAND ...) read; with the third
# batch's 4 TLS lines (3 right on first sight) 62/74; 63/74 at session 18's start, 67/74
# after logs4's readers (measured on both trees). The floor a row less.
INBOUND_BEFORE = 50
INBOUND_FLOOR = 66


def _inbound_rows() -> list[tuple[Text, str]]:
    rows = []
    for piece, cause in INBOUND.items():
        found = [row for row in ALL if piece in row.text]
        assert len(found) == 1, piece
        rows.append((found[0], cause))
    return rows


def test_inbound_reader_on_the_catalogue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local

    rows = _inbound_rows()
    misses = []
    for n, (row, cause) in enumerate(rows):
        path = tmp_path / f"{n}.log"
        path.write_text(row.text + "\n", encoding="utf-8")
        sources, errors = expand_inputs([str(path)])
        assert not errors
        report = build_report(run_local(plan_chunks(sources, Options(), 1), Options()), top=5)
        read = sorted((report.get("inbound") or {}).get("by_cause") or {}) or ["no event"]
        if read != [cause]:
            misses.append(f"{read} want {cause}: {row.text}")
    right = len(rows) - len(misses)
    with capsys.disabled():
        print(
            f"\nMTA catalogue, receiving side: {len(rows)} lines, cause {right}/{len(rows)}", end=""
        )
        print(f" (before: {INBOUND_BEFORE})")
    assert right >= INBOUND_FLOOR, misses
