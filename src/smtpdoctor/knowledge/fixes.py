"""Fix recipes: for each root cause, what to change on each MTA, and how to check.

One entry per (category, MTA) for every contract category except ``ok``.
Steps are short imperatives; the snippet is the configuration or command to
paste; ``verify`` is one command whose output shows whether the fix is in.
Names such as ``mail.example.com``, ``192.0.2.10`` (RFC 5737) and
``contoso.com`` are placeholders for the user's own.

TLS recipes are in :mod:`fixes_tls`, DNS and network ones in
:mod:`fixes_network`; this module holds the server's answers (service,
rate, policy, authentication, recipient, size, other), assembles them in
the contract's order and adds the other MTAs' recipes.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpdoctor.knowledge.fixes_more import MORE
from smtpdoctor.knowledge.fixes_network import NETWORK
from smtpdoctor.knowledge.fixes_opensmtpd import OPENSMTPD
from smtpdoctor.knowledge.fixes_tls import RECIPE_MTAS, TLS, recipe
from smtpdoctor.model import MTA, Category, Fix

__all__ = ["FIXES", "fixes_for"]

_C = Category
_P, _X, _S, _E, _M, _G = RECIPE_MTAS

_f = recipe

FIXES: dict[Category, tuple[Fix, ...]] = {
    **TLS,
    **NETWORK,
    _C.SERVICE_UNAVAILABLE: (
        _f(
            _P,
            [
                "Nothing to change locally: Postfix retries on its own; flush when the remote "
                "side is back.",
            ],
            "postqueue -f",
            "postqueue -p",
        ),
        _f(
            _X,
            [
                "Exim retries on its own; force a run when the remote side is back.",
            ],
            "exim -qff",
            "exim -bp | exiqsumm",
        ),
        _f(
            _S,
            [
                "sendmail retries on its own; force a queue run when the remote side is back.",
            ],
            "sendmail -q -v",
            "mailq",
        ),
        _f(
            _E,
            [
                "Retry the queue when the remote side is back; if your own server answers "
                "4.3.x, check back pressure (disk space, memory).",
            ],
            'Retry-Queue -Identity "EX01\\<queue>"\n'
            "Get-ExchangeDiagnosticInfo -Process EdgeTransport -Component ResourceThrottling",
            "Get-Queue | Format-List Identity,Status,LastError",
        ),
        _f(
            _M,
            [
                "Check Service health in the Microsoft 365 admin center, then trace the message.",
            ],
            "",
            "Get-MessageTrace -SenderAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Wait and let the queue retry; if it lasts hours, tell the recipient's postmaster.",
            ],
            "",
            "nc -vz -w 10 mx.example.net 25",
        ),
    ),
    _C.RATE_LIMITED: (
        _f(
            _P,
            [
                "Send more slowly to the throttling domain with its own transport.",
                "Postfix retries deferred mail; do not flush the queue repeatedly.",
            ],
            "# master.cf\n"
            "slow      unix  -       -       n       -       2       smtp\n"
            "# main.cf\n"
            "slow_destination_concurrency_limit = 2\n"
            "slow_destination_rate_delay = 1s\n"
            "transport_maps = hash:/etc/postfix/transport   # gmail.com slow:",
            "postconf -n | grep -E '^slow_|^transport_maps'",
        ),
        _f(
            _X,
            [
                "Limit parallel deliveries and messages per connection.",
            ],
            "remote_max_parallel = 2\n"
            "# remote_smtp transport:\n"
            "connection_max_messages = 20\n"
            "max_rcpt = 50",
            "exim -bP remote_max_parallel",
        ),
        _f(
            _S,
            [
                "Run fewer queue processes so each destination sees fewer connections.",
                "Rebuild sendmail.cf and restart.",
            ],
            "define(`confMAX_QUEUE_CHILDREN', `5')dnl\n"
            "define(`confMAX_RUNNERS_PER_QUEUE', `2')dnl\n"
            "define(`confMIN_QUEUE_AGE', `27m')dnl",
            "grep -E 'MaxQueueChildren|MaxRunnersPerQueue' /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Fewer connections and messages per connection per destination.",
            ],
            "Set-TransportService -Identity EX01 -MaxPerDomainOutboundConnections 5\n"
            'Set-SendConnector -Identity "Internet" -MaxMessagesPerConnection 20',
            "Get-TransportService | Format-List MaxPerDomainOutboundConnections",
        ),
        _f(
            _M,
            [
                "Check the outbound spam policy limits and Restricted entities in the Defender "
                "portal; warm up new domains and ramp volume gradually.",
            ],
            "",
            "Get-HostedOutboundSpamFilterPolicy | Format-List Name,Recipient*Limit*",
        ),
        _f(
            _G,
            [
                "Throttle per destination, warm up new IPs, watch Google Postmaster Tools, "
                "Microsoft SNDS and Yahoo's sender hub, and cut complaint rates.",
            ],
            "",
            "swaks --to postmaster@example.net --quit-after RCPT",
        ),
    ),
    _C.POLICY_REJECTION: (
        _f(
            _P,
            [
                "Publish SPF, sign with DKIM (OpenDKIM milter) and publish DMARC.",
                "Check the sending IP against blocklists and request delisting.",
                "Relay denied: send through your own authorised relay, not the recipient's MX.",
            ],
            "smtpd_milters = inet:127.0.0.1:8891\n"
            "non_smtpd_milters = $smtpd_milters\n"
            "milter_default_action = accept",
            "dig +short TXT example.com",
        ),
        _f(
            _X,
            [
                "Sign outgoing mail with DKIM on the remote_smtp transport; publish SPF/DMARC.",
            ],
            "# remote_smtp transport\n"
            "dkim_domain = ${lc:${domain:$h_from:}}\n"
            "dkim_selector = s1\n"
            "dkim_private_key = /etc/exim4/dkim/s1.key",
            "exim -bP transport remote_smtp",
        ),
        _f(
            _S,
            [
                "Add the OpenDKIM milter and publish SPF/DMARC; rebuild sendmail.cf.",
            ],
            "INPUT_MAIL_FILTER(`opendkim', `S=inet:8891@localhost')dnl",
            "grep -i opendkim /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Include the Exchange server's public IP in SPF, sign DKIM (gateway or "
                "Microsoft 365), and delist the IP where it is blocked.",
            ],
            "",
            "Resolve-DnsName -Type TXT contoso.com",
        ),
        _f(
            _M,
            [
                "Enable DKIM for the domain and publish DMARC.",
                "5.7.606-649: delist the IP at https://sender.office.com.",
                "5.7.64 TenantAttribution: make the inbound connector match the sending server "
                "(its certificate name in TlsSenderCertificateName, or its IP), or re-run the "
                "Hybrid Configuration Wizard.",
            ],
            "Set-DkimSigningConfig -Identity contoso.com -Enabled $true\n"
            'Set-InboundConnector -Identity "From On-Premises" '
            "-TlsSenderCertificateName mail.contoso.com",
            "Get-DkimSigningConfig | Format-List Domain,Enabled,Status",
        ),
        _f(
            _G,
            [
                "Check blocklists for the sending IP, and SPF/DKIM/DMARC pass and align with "
                "the From: domain.",
            ],
            "dig +short 10.2.0.192.zen.spamhaus.org\ndig +short TXT _dmarc.example.com",
            "dig +short TXT _dmarc.example.com",
        ),
    ),
    _C.AUTHENTICATION: (
        _f(
            _P,
            [
                "Authenticate to the relay with SASL over TLS.",
                "postmap the password file and reload.",
            ],
            "smtp_sasl_auth_enable = yes\n"
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
            "smtp_sasl_security_options = noanonymous\n"
            "smtp_tls_security_level = encrypt\n"
            "# /etc/postfix/sasl_passwd:  [smtp.example.com]:587  user:password",
            "postconf smtp_sasl_auth_enable smtp_sasl_password_maps",
        ),
        _f(
            _X,
            [
                "Add a client authenticator and the credentials file.",
            ],
            "# begin authenticators\n"
            "client_login:\n"
            "  driver = plaintext\n"
            "  public_name = LOGIN\n"
            "  client_send = : user@example.com : password",
            "exim -bP authenticators",
        ),
        _f(
            _S,
            [
                "Enable authinfo and store the relay credentials.",
                "makemap hash /etc/mail/authinfo < /etc/mail/authinfo; rebuild sendmail.cf.",
            ],
            "FEATURE(`authinfo', `hash /etc/mail/authinfo')dnl\n"
            "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
            "# /etc/mail/authinfo:\n"
            '# AuthInfo:smtp.example.com "U:user" "P:password" "M:PLAIN"',
            "grep -c AuthInfo /etc/mail/authinfo",
        ),
        _f(
            _E,
            [
                "Authenticate the send connector to its smart host over TLS.",
            ],
            'Set-SendConnector -Identity "Relay" -SmartHostAuthMechanism BasicAuthRequireTLS '
            "-AuthenticationCredential (Get-Credential)",
            "Get-SendConnector | Format-List Identity,SmartHostAuthMechanism,SmartHosts",
        ),
        _f(
            _M,
            [
                "5.7.57: log in to smtp.office365.com:587 with STARTTLS before MAIL FROM, "
                "and allow SMTP AUTH for the mailbox (or relay through a connector instead).",
            ],
            "Set-CASMailbox -Identity user@contoso.com -SmtpClientAuthenticationDisabled $false",
            "Get-CASMailbox -Identity user@contoso.com "
            "| Format-List SmtpClientAuthenticationDisabled",
        ),
        _f(
            _G,
            [
                "Use the submission port (587) with STARTTLS and AUTH, with current credentials "
                "or an app password/OAuth where basic auth is off.",
            ],
            "",
            "openssl s_client -connect smtp.example.com:587 -starttls smtp -brief </dev/null",
        ),
    ),
    _C.RECIPIENT: (
        _f(
            _P,
            [
                "Check the address for typos; on your own server check the recipient maps "
                "and mailbox size limit.",
            ],
            "postmap -q user@example.com hash:/etc/postfix/virtual\n"
            "mailbox_size_limit = 0   # or a value larger than message_size_limit",
            "postmap -q user@example.com hash:/etc/postfix/virtual",
        ),
        _f(
            _X,
            [
                "Test how Exim routes the address.",
            ],
            "exim -bt user@example.com",
            "exim -bt user@example.com",
        ),
        _f(
            _S,
            [
                "Verify the address against aliases and virtusertable.",
            ],
            "sendmail -bv user@example.com",
            "sendmail -bv user@example.com",
        ),
        _f(
            _E,
            [
                "Check the recipient exists and is not over quota.",
            ],
            "Get-Recipient -Identity user@contoso.com\n"
            "Get-MailboxStatistics user@contoso.com | Format-List TotalItemSize",
            "Get-Recipient -Identity user@contoso.com",
        ),
        _f(
            _M,
            [
                "5.4.1/5.1.10: create the recipient, or if some users of the domain live "
                "elsewhere make the accepted domain InternalRelay.",
            ],
            "Set-AcceptedDomain -Identity contoso.com -DomainType InternalRelay",
            "Get-AcceptedDomain | Format-List Name,DomainType",
        ),
        _f(
            _G,
            [
                "Confirm the address with the recipient; a full mailbox clears when they "
                "delete mail.",
            ],
            "",
            "swaks --to user@example.com --quit-after RCPT",
        ),
    ),
    _C.MESSAGE_SIZE: (
        _f(
            _P,
            [
                "Raise the limit on your side if it is yours (message_size_limit, bytes).",
                "Otherwise send a link instead: the receiver decides its limit.",
            ],
            "message_size_limit = 52428800\nmailbox_size_limit = 0",
            "postconf message_size_limit",
        ),
        _f(
            _X,
            [
                "Raise message_size_limit if the limit is yours.",
            ],
            "message_size_limit = 50M",
            "exim -bP message_size_limit",
        ),
        _f(
            _S,
            [
                "Raise the maximum message size if the limit is yours; rebuild sendmail.cf.",
            ],
            "define(`confMAX_MESSAGE_SIZE', `52428800')dnl",
            "grep MaxMessageSize /etc/mail/sendmail.cf",
        ),
        _f(
            _E,
            [
                "Raise the organisation, connector and mailbox limits consistently.",
            ],
            "Set-TransportConfig -MaxSendSize 50MB -MaxReceiveSize 50MB\n"
            'Set-ReceiveConnector -Identity "EX01\\Default Frontend EX01" -MaxMessageSize 50MB\n'
            'Set-SendConnector -Identity "Internet" -MaxMessageSize 50MB',
            "Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize",
        ),
        _f(
            _M,
            [
                "Raise the mailbox send/receive limits (up to 150 MB).",
            ],
            "Set-Mailbox -Identity user@contoso.com -MaxSendSize 150MB -MaxReceiveSize 150MB",
            "Get-Mailbox -Identity user@contoso.com | Format-List MaxSendSize,MaxReceiveSize",
        ),
        _f(
            _G,
            [
                "Share large files by link; encoding makes attachments about a third larger.",
            ],
            "",
            "swaks --to user@example.com --quit-after EHLO | grep -i SIZE",
        ),
    ),
    _C.OTHER: (
        _f(
            _P,
            [
                "Read the queued message's full status and the log around it.",
            ],
            "postcat -vq <queue-id>",
            "postqueue -p",
        ),
        _f(
            _X,
            [
                "Look at the retry data and the full log for the message.",
            ],
            "exinext example.net\nexigrep <message-id> /var/log/exim4/mainlog",
            "exinext example.net",
        ),
        _f(
            _S,
            [
                "Look at the queue entry and deliver it verbosely.",
            ],
            "mailq -v\nsendmail -v -qI<queue-id>",
            "mailq",
        ),
        _f(
            _E,
            [
                "Track the message through transport.",
            ],
            'Get-MessageTrackingLog -MessageId "<message-id>" | Format-List',
            "Get-Queue | Format-List Identity,Status,LastError",
        ),
        _f(
            _M,
            [
                "Run a message trace and read the detail.",
            ],
            "Get-MessageTrace -SenderAddress user@contoso.com | Get-MessageTraceDetail",
            "Get-MessageTrace -SenderAddress user@contoso.com",
        ),
        _f(
            _G,
            [
                "Read the full reply and both servers' logs; loops (hop count) come from MX "
                "or forwarding pointing back.",
            ],
            "",
            "swaks --to user@example.com --quit-after RCPT",
        ),
    ),
}


def _with_more() -> None:
    """OpenSMTPD's recipe, then those of the MTAs in :mod:`fixes_more` where they
    have one, just before the generic one, in every category."""
    for category, recipes in FIXES.items():
        extra = [t[category] for t in (OPENSMTPD, *MORE) if category in t]
        FIXES[category] = (*recipes[:-1], *extra, recipes[-1])


_with_more()


def fixes_for(category: Category, mtas: Iterable[MTA] | None = None) -> tuple[Fix, ...]:
    """The recipes for ``category`` (all MTAs, or just ``mtas`` in that order)."""
    recipes = FIXES.get(category, ())
    if mtas is None:
        return recipes
    wanted = list(dict.fromkeys(mtas))
    by_mta = {f.for_: f for f in recipes}
    return tuple(by_mta[m] for m in wanted if m in by_mta)
