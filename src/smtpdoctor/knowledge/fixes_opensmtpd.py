"""Fix recipes for OpenSMTPD (``smtpd.conf``, ``smtpctl``), one per root cause.

Kept apart from :mod:`smtpdoctor.knowledge.fixes` (which joins them in) so
each file stays readable. The syntax is OpenSMTPD 6.4 and later (``action`` /
``match``); ``smtpd -n`` checks the file, ``smtpctl`` drives the running daemon.
Names such as ``mail.example.com``, ``mx.example.net`` and ``192.0.2.10`` are
placeholders for the user's own and the remote host.
"""

from __future__ import annotations

from smtpdoctor.model import MTA, Category, Fix

__all__ = ["OPENSMTPD"]

_C = Category


def _o(steps: list[str], snippet: str, verify: str) -> Fix:
    return Fix(MTA.OPENSMTPD, tuple(steps), snippet, verify)


# OpenSMTPD portable before 7.3 built against OpenSSL 3 fails TLS handshakes
# (libtls compatibility); no setting fixes that, an upgrade does.
_UPGRADE = (
    "OpenSMTPD portable before 7.3 with OpenSSL 3 fails TLS handshakes: upgrade to 7.3 or later"
)

OPENSMTPD: dict[Category, Fix] = {
    _C.TLS_VERSION_MISMATCH: _o(
        [
            "Let OpenSMTPD speak TLS 1.2 and 1.3 on its listeners (the protocols option), "
            "and do not set a floor above what your peers offer.",
            _UPGRADE + ".",
            "Check the file (smtpd -n) and restart smtpd.",
        ],
        'listen on egress tls pki mail.example.com protocols "tlsv1.2,tlsv1.3"',
        "smtpd -n && grep -n protocols /etc/mail/smtpd.conf",
    ),
    _C.TLS_HANDSHAKE_FAILURE: _o(
        [
            _UPGRADE + ".",
            "Give the listener a pki with a certificate and key it can read, and a cipher "
            "list current peers share (or leave ciphers unset).",
            "Trace a delivery to see the handshake error (smtpctl trace mta).",
        ],
        'pki mail.example.com cert "/etc/ssl/mail.example.com.crt"\n'
        'pki mail.example.com key "/etc/ssl/private/mail.example.com.key"\n'
        "listen on egress tls pki mail.example.com",
        "smtpd -n && smtpd -V",
    ),
    _C.TLS_CERTIFICATE: _o(
        [
            "Install a certificate from a public CA that names the MX host, with its "
            "intermediates, in the pki the listener uses.",
            "Restart smtpd after renewing (it reads the files at start).",
        ],
        'pki mail.example.com cert "/etc/ssl/mail.example.com.fullchain.pem"\n'
        'pki mail.example.com key "/etc/ssl/private/mail.example.com.key"',
        "openssl x509 -noout -subject -enddate -in /etc/ssl/mail.example.com.fullchain.pem",
    ),
    _C.STARTTLS_UNAVAILABLE: _o(
        [
            "Offer STARTTLS: add tls and a pki to the port 25 listener.",
            "As a sender, 'relay tls' insists on TLS; plain 'relay' uses it when offered.",
        ],
        "listen on egress tls pki mail.example.com",
        "smtpd -n && grep -n 'listen on' /etc/mail/smtpd.conf",
    ),
    _C.DNS_PTR_MISMATCH: _o(
        [
            "Send from the address whose PTR names your EHLO name, and say that name.",
            "Publish the PTR (at whoever owns the address) and the matching A record.",
        ],
        'action "outbound" relay helo mail.example.com src 192.0.2.10',
        "dig -x 192.0.2.10 +short",
    ),
    _C.DNS_RESOLUTION: _o(
        [
            "OpenSMTPD resolves through the system resolver: check /etc/resolv.conf and "
            "that the name has MX or A records.",
            "Retry the queue once DNS answers (smtpctl schedule all).",
        ],
        "smtpctl schedule all",
        "host -t mx example.com",
    ),
    _C.FIREWALL_BLOCK: _o(
        [
            "If your network blocks outbound port 25, relay through a smart host on 587.",
        ],
        "table secrets file:/etc/mail/secrets\n"
        'action "outbound" relay host smtp+tls://label@smtp.provider.example:587 auth <secrets>',
        "nc -vz -w 10 mx.example.net 25",
    ),
    _C.NETWORK_TIMEOUT: _o(
        [
            "Trace the delivery and look for a stall on the path (MTU, a middlebox).",
        ],
        "smtpctl trace mta\nsmtpctl schedule all",
        "ping -c 3 -M do -s 1472 mx.example.net",
    ),
    _C.CONNECTION_DROPPED: _o(
        [
            "Trace a delivery to see at which command the peer drops (smtpctl trace mta), "
            "then read the peer's log for that time.",
        ],
        "smtpctl trace mta\nsmtpctl schedule all",
        "smtpctl show queue",
    ),
    _C.SERVICE_UNAVAILABLE: _o(
        [
            "Nothing to change locally: OpenSMTPD retries on its own; reschedule when the "
            "remote side is back.",
        ],
        "smtpctl schedule all",
        "smtpctl show queue",
    ),
    _C.RATE_LIMITED: _o(
        [
            "Send fewer messages per session to that destination, and let the queue "
            "retry at the pace the receiver allows.",
        ],
        "",
        "smtpctl show queue",
    ),
    _C.POLICY_REJECTION: _o(
        [
            "Read the reply: reputation, SPF/DKIM/DMARC or content. Sign outbound mail "
            "with a DKIM filter and publish SPF for the sending address.",
        ],
        'filter "dkimsign" proc-exec "filter-dkimsign -d example.com -s mail '
        '-k /etc/mail/dkim/private.key"',
        "smtpctl show queue",
    ),
    _C.AUTHENTICATION: _o(
        [
            "Offer AUTH only under TLS on the submission listener; as a client, give the "
            "relay its credentials from a secrets table.",
        ],
        "listen on egress port 587 tls-require pki mail.example.com auth\n"
        "table secrets file:/etc/mail/secrets",
        "smtpd -n",
    ),
    _C.RECIPIENT: _o(
        [
            "Check the address with the recipient's postmaster; for your own domain, "
            "the aliases and virtual tables.",
        ],
        "table aliases file:/etc/mail/aliases",
        "smtpctl show queue",
    ),
    _C.MESSAGE_SIZE: _o(
        [
            "Raise the size limit (default 35 MB) where it is yours, or send smaller "
            "messages to that destination.",
        ],
        "smtp max-message-size 50M",
        "smtpd -n && grep -n max-message-size /etc/mail/smtpd.conf",
    ),
    _C.OTHER: _o(
        [
            "Read the full reply and both servers' logs; trace a delivery.",
        ],
        "smtpctl trace mta\nsmtpctl schedule all",
        "smtpctl show queue",
    ),
}
