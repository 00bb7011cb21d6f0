"""Logs, the receiving side: clients that could not hand us their mail.

Findings of ``smtpdoctor logs`` about incoming sessions, one per cause the
report's inbound section counts (``smtpdoctor.logs.inbound.Cause``): what
our server refused or failed at, from which clients, at which stage. The
fixes are for the *receiving* server (this one), never for the client: what
to relax, what to check, or when the refusal is working as intended. The
stage is the one most of the failures happened at; the message names the
count, the clients and an example line.
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity

__all__ = ["SPECS"]

_C = Category
_P, _E, _S, _X, _G = MTA.POSTFIX, MTA.EXIM, MTA.SENDMAIL, MTA.EXCHANGE, MTA.GENERIC
_EXAMPLE = {
    "count": 3,
    "clients": "mail.partner.example[192.0.2.10] (2), unknown[198.51.100.7] (1)",
    "client_count": 2,
    "example": "SSL_accept error from mail.partner.example[192.0.2.10]: -1",
}
_TAIL = " {count} failure(s) from {client_count} client(s): {clients}. Example: {example}"


def _spec(
    cause: str,
    category: Category,
    title: str,
    message: str,
    fixes: tuple[Fix, ...],
    *,
    severity: Severity = Severity.WARNING,
    permanence: Permanence = Permanence.TEMPORARY,
    source: str = "",
) -> FindingSpec:
    return FindingSpec(
        id=f"logs.inbound.{cause}",
        severity=severity,
        category=category,
        stage=None,
        title=title,
        message=message + _TAIL,
        permanence=permanence,
        retry_helps=False,
        fixes=fixes,
        example=_EXAMPLE,
        source=source,
    )


_TLS_VERSION_FIXES = (
    Fix(
        _P,
        (
            "See which versions the clients offered: smtpd_tls_loglevel = 1 logs each "
            "session's protocol; 'unsupported protocol' means the client's highest version is "
            "below smtpd_tls_protocols' lowest.",
            "Opportunistic TLS (security level may) lets a client that cannot do TLS send in "
            "plaintext: the failed client retries without STARTTLS only if it is lenient. To "
            "accept an old partner, allow TLS 1.0/1.1 on port 25 only (OpenSSL 3 also needs "
            "@SECLEVEL=0), or ask the partner to upgrade (better).",
        ),
        "smtpd_tls_protocols = >=TLSv1\nsmtpd_tls_mandatory_protocols = >=TLSv1.2\n"
        "tls_medium_cipherlist = DEFAULT:@SECLEVEL=0",
        "postconf smtpd_tls_protocols",
    ),
    Fix(
        _E,
        (
            "tls_require_ciphers (GnuTLS priority string or OpenSSL cipher list) decides the "
            "versions Exim accepts; add +VERS-TLS1.0 (GnuTLS) or set openssl_options to "
            "allow the old version on the port-25 daemon only, or ask the partner to upgrade.",
        ),
        "tls_require_ciphers = NORMAL:%COMPAT:+VERS-TLS1.0",
        "exim -bP tls_require_ciphers openssl_options",
    ),
    Fix(
        _S,
        (
            "ServerSSLOptions (confSERVER_SSL_OPTIONS) with +SSL_OP_NO_TLSv1 refuses TLS 1.0 "
            "clients; remove that flag to accept them, or ask the partner to upgrade.",
        ),
        "define(`confSERVER_SSL_OPTIONS', `+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3')dnl",
        "grep -E '^O ServerSSLOptions' /etc/mail/sendmail.cf",
    ),
    Fix(
        _X,
        (
            "Exchange follows Windows Schannel: a partner on TLS 1.0 fails where TLS 1.0 is "
            "disabled (RFC 8996). Ask the partner to upgrade; re-enabling TLS 1.0 server-side "
            "is a registry change under SCHANNEL\\Protocols and a reboot.",
        ),
    ),
)

_CIPHER_FIXES = (
    Fix(
        _P,
        (
            "No cipher suite in common: the client offers only suites our "
            "smtpd_tls_ciphers / tls_*_cipherlist exclude (often 3DES or RC4, or no ECDHE). "
            "For port 25 keep the default 'medium' grade; for an old partner add "
            "@SECLEVEL=0 to tls_medium_cipherlist, and check that the server has an RSA "
            "certificate if the client cannot do ECDSA.",
        ),
        "smtpd_tls_ciphers = medium\ntls_medium_cipherlist = DEFAULT:@SECLEVEL=0",
        "postconf smtpd_tls_ciphers tls_medium_cipherlist smtpd_tls_chain_files",
    ),
    Fix(
        _E,
        ("Widen tls_require_ciphers on the daemon, or add an RSA certificate next to ECDSA.",),
        "tls_require_ciphers = NORMAL:%COMPAT",
        "exim -bP tls_require_ciphers",
    ),
    Fix(
        _S,
        ("Widen CipherList (confCIPHER_LIST) in sendmail.mc and rebuild sendmail.cf.",),
        "define(`confCIPHER_LIST', `HIGH:MEDIUM:!aNULL')dnl",
        "grep -E '^O CipherList' /etc/mail/sendmail.cf",
    ),
)

_CERT_FIXES = (
    Fix(
        _G,
        (
            "The client refused OUR certificate (an alert it sent during the handshake): "
            "check that the server presents its whole chain, that it is not expired and that "
            "its name is the MX host name: "
            "openssl s_client -starttls smtp -connect THIS-MX:25 -showcerts.",
            "Most senders do not verify on port 25; one that does (DANE, MTA-STS, a "
            "'verify' policy) names its reason in the bounce the partner got.",
        ),
        verify="openssl s_client -starttls smtp -connect localhost:25 -brief </dev/null",
    ),
    Fix(
        _P,
        ("Serve the full chain: smtpd_tls_chain_files = key + certificate + intermediates.",),
        "smtpd_tls_chain_files = /etc/postfix/key.pem, /etc/postfix/fullchain.pem",
        "postconf smtpd_tls_chain_files",
    ),
)

_HANDSHAKE_FIXES = (
    Fix(
        _G,
        (
            "The client said STARTTLS and then went away (or the handshake broke) without "
            "naming why. Usual reasons: it does not accept our certificate or our TLS "
            "versions and gives up silently, or a middlebox between it and us mangles "
            "STARTTLS. Run `smtpdoctor diagnose THIS-MX` from outside to see what a "
            "client sees, and ask the partner for the error on their side.",
        ),
        verify="smtpdoctor diagnose localhost:25",
    ),
    Fix(
        _P,
        (
            "smtpd_tls_loglevel = 1 logs each handshake; a TLS problem on our side shows as "
            "'TLS library problem' right after.",
        ),
        "smtpd_tls_loglevel = 1",
        "postconf smtpd_tls_loglevel",
    ),
)

_PTR_FIXES = (
    Fix(
        _P,
        (
            "reject_unknown_client_hostname refuses clients whose IP has no PTR or whose PTR "
            "name does not resolve back to it; many legitimate senders (small hosts, some "
            "clouds) fail it. Use reject_unknown_reverse_client_hostname (PTR exists at all) "
            "instead, or keep the check but whitelist partners with check_client_access.",
            "A 450 (the default unknown_client_reject_code) makes the client retry: a DNS "
            "failure of our own resolver refuses everyone temporarily; check the resolver.",
        ),
        "smtpd_client_restrictions = permit_mynetworks,\n"
        "    check_client_access cidr:/etc/postfix/partners.cidr,\n"
        "    reject_unknown_reverse_client_hostname",
        "postconf smtpd_client_restrictions smtpd_recipient_restrictions",
    ),
    Fix(
        _E,
        (
            "An ACL with 'verify = reverse_host_lookup' refuses such clients; exempt "
            "partners with a hostlist before it, or warn instead of deny.",
        ),
        "accept hosts = +partner_hosts\n"
        "deny   !verify = reverse_host_lookup\n"
        "       message = cannot find your hostname",
        "exim -bP acl_smtp_rcpt",
    ),
    Fix(
        _S,
        (
            "FEATURE(`require_rdns') refuses clients without a resolvable PTR; list "
            "partners as 'Connect:192.0.2.10 OK' in /etc/mail/access.",
        ),
        "Connect:192.0.2.10 OK",
        "makemap -u hash /etc/mail/access | grep -i connect",
    ),
    Fix(
        _G,
        (
            "The client's fix is its PTR record (its ISP or cloud provider sets it): tell "
            "the partner, with the address in the log line.",
        ),
    ),
)

_DNSBL_FIXES = (
    Fix(
        _G,
        (
            "Working as intended for spam sources; for a partner, check the listing "
            "(the blocklist's lookup page) and whitelist the partner before the DNSBL test.",
            "Blocklists refuse queries through public resolvers (Spamhaus answers "
            "127.255.255.254 to them): if every client is 'listed', use your own resolver.",
        ),
    ),
    Fix(
        _P,
        (
            "postscreen: postscreen_access_list = permit_mynetworks, cidr:/etc/postfix/"
            "postscreen_access.cidr; smtpd: check_client_access before reject_rbl_client.",
        ),
        "postscreen_access_list = permit_mynetworks, cidr:/etc/postfix/postscreen_access.cidr",
        "postconf postscreen_access_list postscreen_dnsbl_sites smtpd_recipient_restrictions",
    ),
)

_PROTOCOL_FIXES = (
    Fix(
        _G,
        (
            "The client spoke out of turn (before the greeting, pipelined without "
            "PIPELINING, bare newlines, non-SMTP commands): almost always a spam bot or a "
            "scanner, and refused as intended. A real partner failing here has a broken "
            "client or a middlebox rewriting the session.",
        ),
    ),
)

_HELO_FIXES = (
    Fix(
        _P,
        (
            "reject_invalid_helo_hostname / reject_non_fqdn_helo_hostname / "
            "reject_unknown_helo_hostname refuse clients by their EHLO name; the last one "
            "refuses many legitimate servers. Drop it or whitelist partners.",
        ),
        "smtpd_helo_restrictions = permit_mynetworks, reject_invalid_helo_hostname",
        "postconf smtpd_helo_restrictions smtpd_helo_required",
    ),
)

_SENDER_FIXES = (
    Fix(
        _P,
        (
            "reject_unknown_sender_domain / reject_unverified_sender / "
            "smtpd_sender_login_maps refused the envelope sender. A temporary DNS failure "
            "of our resolver gives 450s for everyone: check it before relaxing the policy.",
        ),
        verify="postconf smtpd_sender_restrictions",
    ),
)

_RELAY_FIXES = (
    Fix(
        _P,
        (
            "The client asked us to relay to a domain we do not serve. Expected for relay "
            "probes; for our own users it means they did not authenticate (SASL on "
            "submission port 587) or their network is not in mynetworks; for a domain we "
            "should accept it is missing from mydestination / relay_domains / "
            "virtual_mailbox_domains.",
        ),
        verify="postconf mydestination relay_domains virtual_mailbox_domains mynetworks",
    ),
    Fix(
        _E,
        ("Check domainlist local_domains / relay_to_domains and hostlist relay_from_hosts.",),
        verify="exim -bP domainlist hostlist",
    ),
    Fix(
        _S,
        ("Add the domain to /etc/mail/local-host-names or 'To:domain RELAY' in access.",),
        verify="grep -i domain /etc/mail/local-host-names /etc/mail/access",
    ),
)

_RECIPIENT_FIXES = (
    Fix(
        _G,
        (
            "The recipient does not exist here (or its mailbox is full): check the address "
            "in the example line; a burst of many different unknown recipients from one "
            "client is a dictionary attack, refused as intended.",
        ),
    ),
    Fix(
        _P,
        ("Look the address up the way smtpd does:",),
        verify="postmap -q user@example.com virtual_mailbox_maps",
    ),
)

_GREYLIST_FIXES = (
    Fix(
        _G,
        (
            "A temporary refusal by greylisting; real senders retry and get through after "
            "the greylist delay. Senders that retry from another address (Microsoft 365, "
            "Gmail pools) can be delayed for hours: whitelist their networks (postgrey's "
            "whitelist_clients).",
        ),
    ),
)

_CONTENT_FIXES = (
    Fix(
        _G,
        (
            "A milter, header/body check or content scanner refused the message after it was "
            "sent: see the scanner's own log for the score or rule, and whether this was a "
            "false positive for a partner.",
        ),
    ),
    Fix(
        _P,
        ("The rule is in header_checks/body_checks or the milter (smtpd_milters).",),
        verify="postconf header_checks body_checks smtpd_milters non_smtpd_milters",
    ),
)

_SIZE_FIXES = (
    Fix(
        _P,
        (
            "The message was bigger than message_size_limit (default 10 MB). Raise it if the "
            "partner's mail is legitimate:",
        ),
        "message_size_limit = 52428800",
        "postconf message_size_limit",
    ),
    Fix(
        _E,
        ("Raise message_size_limit in the main configuration.",),
        "message_size_limit = 50M",
        "exim -bP message_size_limit",
    ),
    Fix(
        _S,
        ("Raise confMAX_MESSAGE_SIZE.",),
        "define(`confMAX_MESSAGE_SIZE', `52428800')dnl",
        "grep -E '^O MaxMessageSize' /etc/mail/sendmail.cf",
    ),
    Fix(
        _X,
        ("Raise MaxMessageSize on the receive connector and the transport config.",),
        verify="Get-ReceiveConnector | fl Name,MaxMessageSize",
    ),
)

_RATE_FIXES = (
    Fix(
        _P,
        (
            "anvil limits (smtpd_client_connection_rate_limit, "
            "smtpd_client_message_rate_limit, smtpd_client_connection_count_limit) refused "
            "the client. Exempt partners with smtpd_client_event_limit_exceptions.",
        ),
        "smtpd_client_event_limit_exceptions = $mynetworks, 192.0.2.0/24",
        "postconf smtpd_client_connection_rate_limit smtpd_client_event_limit_exceptions",
    ),
)

_AUTH_FIXES = (
    Fix(
        _G,
        (
            "SASL authentication failed: a user with a wrong password, or password guessing "
            "(many attempts from one address). Ban the guessers (fail2ban's postfix-sasl "
            "jail); for a user, check the account in the SASL backend (Dovecot, Cyrus).",
        ),
    ),
)

_TIMEOUT_FIXES = (
    Fix(
        _P,
        (
            "The client went silent at this stage for smtpd_timeout (300 s by default). "
            "After DATA it usually means the path drops large packets (an MTU black hole "
            "between the client and us) or the client's own timeout is longer than ours. "
            "Run `smtpdoctor diagnose --path` from the client's side if you can; do not "
            "lower smtpd_timeout below RFC 5321's values.",
        ),
        "smtpd_timeout = 300s",
        "postconf smtpd_timeout",
    ),
)

_DROPPED_FIXES = (
    Fix(
        _G,
        (
            "The client closed the connection at this stage. After CONNECT or EHLO it is "
            "mostly scanners and monitoring checks (harmless); after DATA or in the message "
            "the client or a middlebox between us cut it: ask the partner what their log says.",
        ),
    ),
)

_POLICY_FIXES = (
    Fix(
        _G,
        (
            "A restriction of ours refused the client; the example line names the rule "
            "(its reply text). Check whether it refuses partners it should not.",
        ),
    ),
    Fix(
        _P,
        ("The restrictions smtpd applies, in the order it applies them:",),
        verify="postconf smtpd_client_restrictions smtpd_helo_restrictions "
        "smtpd_sender_restrictions smtpd_relay_restrictions smtpd_recipient_restrictions",
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    _spec(
        "tls_version",
        _C.TLS_VERSION_MISMATCH,
        "Clients whose TLS versions and ours do not overlap (unsupported protocol, "
        "version too low).",
        "Incoming TLS handshakes failed because the client's TLS versions and ours do not "
        "overlap (the client offers only versions below our minimum, or above our maximum).",
        _TLS_VERSION_FIXES,
        source="RFC 8996",
    ),
    _spec(
        "tls_cipher",
        _C.TLS_HANDSHAKE_FAILURE,
        "Clients with no cipher suite in common with us (no shared cipher).",
        "Incoming TLS handshakes failed with no cipher suite in common (no shared cipher).",
        _CIPHER_FIXES,
    ),
    _spec(
        "tls_certificate",
        _C.TLS_CERTIFICATE,
        "Clients that refused our certificate during the handshake (their alert).",
        "Incoming TLS handshakes failed because the client refused our certificate "
        "(bad certificate / unknown CA alert from the client).",
        _CERT_FIXES,
    ),
    _spec(
        "tls_handshake",
        _C.TLS_HANDSHAKE_FAILURE,
        "Clients whose TLS handshake failed without a stated reason, or that left after STARTTLS.",
        "Incoming sessions failed in or right after STARTTLS, without a reason the log names.",
        _HANDSHAKE_FIXES,
    ),
    _spec(
        "ptr",
        _C.DNS_PTR_MISMATCH,
        "Clients refused by our reverse-DNS policy (cannot find your hostname).",
        "We refused clients because their address has no PTR record, or its name does not "
        "resolve back to it (our reverse-DNS policy, e.g. reject_unknown_client_hostname).",
        _PTR_FIXES,
    ),
    _spec(
        "dnsbl",
        _C.POLICY_REJECTION,
        "Clients refused because a DNS blocklist we use lists them.",
        "We refused clients listed on a DNS blocklist we use.",
        _DNSBL_FIXES,
        severity=Severity.INFO,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "protocol",
        _C.POLICY_REJECTION,
        "Clients refused for SMTP protocol violations (pregreet, pipelining, too many errors).",
        "We refused clients that broke the SMTP protocol (spoke before the greeting, "
        "pipelined without PIPELINING, too many errors).",
        _PROTOCOL_FIXES,
        severity=Severity.INFO,
    ),
    _spec(
        "helo",
        _C.POLICY_REJECTION,
        "Clients refused because of their HELO/EHLO name.",
        "We refused clients because of the name they gave in HELO/EHLO.",
        _HELO_FIXES,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "sender",
        _C.POLICY_REJECTION,
        "Clients refused because of their envelope sender (MAIL FROM).",
        "We refused the envelope sender of incoming mail.",
        _SENDER_FIXES,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "relay_denied",
        _C.POLICY_REJECTION,
        "Clients refused because they asked us to relay to a domain we do not serve.",
        "We refused to relay for clients (Relay access denied): the recipient's domain is "
        "not one we accept mail for, and the client is not allowed to relay.",
        _RELAY_FIXES,
        severity=Severity.INFO,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "recipient",
        _C.RECIPIENT,
        "Incoming mail refused because the recipient does not exist here.",
        "We refused incoming mail for recipients that do not exist here (or cannot take it).",
        _RECIPIENT_FIXES,
        severity=Severity.INFO,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "greylisted",
        _C.RATE_LIMITED,
        "Clients refused for now by greylisting.",
        "We greylisted clients (a temporary refusal they should retry).",
        _GREYLIST_FIXES,
        severity=Severity.INFO,
    ),
    _spec(
        "content",
        _C.POLICY_REJECTION,
        "Incoming messages refused by a milter or content check.",
        "A milter or content check refused incoming messages.",
        _CONTENT_FIXES,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "message_size",
        _C.MESSAGE_SIZE,
        "Incoming messages over our size limit.",
        "We refused incoming messages bigger than our size limit.",
        _SIZE_FIXES,
        permanence=Permanence.PERMANENT,
    ),
    _spec(
        "rate_limited",
        _C.RATE_LIMITED,
        "Clients refused by our rate or connection limits.",
        "We refused clients for too many connections, messages or errors.",
        _RATE_FIXES,
    ),
    _spec(
        "auth",
        _C.AUTHENTICATION,
        "Clients whose SMTP authentication failed.",
        "SMTP authentication (AUTH) failed for clients.",
        _AUTH_FIXES,
        severity=Severity.INFO,
    ),
    _spec(
        "timeout",
        _C.NETWORK_TIMEOUT,
        "Clients that went silent in the middle of a session.",
        "Incoming sessions timed out: the client went silent.",
        _TIMEOUT_FIXES,
    ),
    _spec(
        "dropped",
        _C.CONNECTION_DROPPED,
        "Clients that closed the connection in the middle of a session.",
        "Incoming sessions ended because the client closed the connection.",
        _DROPPED_FIXES,
        severity=Severity.INFO,
    ),
    _spec(
        "policy",
        _C.POLICY_REJECTION,
        "Clients refused by another restriction of ours.",
        "We refused clients by a restriction the report does not name more precisely.",
        _POLICY_FIXES,
    ),
)
