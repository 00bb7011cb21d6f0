"""The sending side, as ``smtpdoctor receive`` sees it: TLS offered, STARTTLS, protocol, coping.

Findings of :mod:`smtpdoctor.diagnosis.sender_rules` about a server that
delivered (or tried to) to the test receiver. The fixes are for the
*sending* MTA's client side (Postfix ``smtp_*``, Exim's smtp transport,
Sendmail's client options, Exchange send connectors). The EHLO name and PTR
findings are the ``dns.sender.*`` ones of the names area.
"""

from __future__ import annotations

from typing import Any

from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

__all__ = ["SPECS"]

_C, _S = Category, Severity
_NONE = Permanence.NONE
_TLS = Stage.TLS_HANDSHAKE


def _fix(mta: MTA, steps: tuple[str, ...], snippet: str = "", verify: str = "") -> Fix:
    return Fix(mta, steps, snippet, verify)


_LEGACY_TLS_FIXES = (
    _fix(
        MTA.POSTFIX,
        (
            "Let the Postfix SMTP client offer TLS 1.2 and 1.3: remove !TLSv1.2 / !TLSv1.3 "
            "(or a <=TLSv1.1 upper bound) from smtp_tls_protocols and "
            "smtp_tls_mandatory_protocols.",
            "postfix reload",
        ),
        "# main.cf (Postfix 3.6+ syntax; older: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)\n"
        "smtp_tls_protocols = >=TLSv1.2\nsmtp_tls_mandatory_protocols = >=TLSv1.2",
        "postconf smtp_tls_protocols smtp_tls_mandatory_protocols",
    ),
    _fix(
        MTA.EXIM,
        (
            "On the smtp transport, drop the option that caps the version: with OpenSSL "
            "remove +no_tlsv1_2/+no_tlsv1_3 from openssl_options; with GnuTLS set "
            "tls_require_ciphers to a priority string that keeps TLS 1.2 and 1.3.",
            "Restart Exim.",
        ),
        "remote_smtp:\n  driver = smtp\n  tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:"
        "+VERS-TLS1.2",
        "exim -bP transport remote_smtp | grep -E 'tls_require_ciphers|openssl_options'",
    ),
    _fix(
        MTA.SENDMAIL,
        (
            "Remove the ClientSSLOptions that disable TLS 1.2/1.3 (+SSL_OP_NO_TLSv1_2, "
            "+SSL_OP_NO_TLSv1_3) and rebuild sendmail.cf; sendmail must be linked with "
            "OpenSSL 1.0.1 or later.",
        ),
        "define(`confCLIENT_SSL_OPTIONS',\n"
        "  `+SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1')dnl",
        "sendmail -d0.1 -bv root | grep -i tls",
    ),
    *(f for f in fixes_for(Category.TLS_VERSION_MISMATCH) if f.for_ is MTA.EXCHANGE),
)

_STARTTLS_FIXES = (
    _fix(
        MTA.POSTFIX,
        (
            "Make the Postfix SMTP client use STARTTLS whenever offered "
            "(smtp_tls_security_level = may), and require it where plaintext must never be "
            "used: smtp_tls_security_level = encrypt (or per destination in "
            "smtp_tls_policy_maps, or dane/MTA-STS through postfix-mta-sts-resolver).",
            "postfix reload",
        ),
        "smtp_tls_security_level = may\n# per destination, in smtp_tls_policy_maps:\n"
        "# example.com encrypt protocols=>=TLSv1.2",
        "postconf smtp_tls_security_level smtp_tls_policy_maps",
    ),
    _fix(
        MTA.EXIM,
        (
            "Exim's smtp transport tries STARTTLS by default (hosts_try_tls = *); list "
            "destinations that must be encrypted in hosts_require_tls, and do not set "
            "hosts_avoid_tls for them.",
        ),
        "remote_smtp:\n  driver = smtp\n  hosts_require_tls = <; example.com",
        "exim -bP transport remote_smtp | grep -E 'hosts_(require|avoid|try)_tls'",
    ),
    _fix(
        MTA.SENDMAIL,
        (
            "Build sendmail with STARTTLS (-DSTARTTLS) and give it CACertPath/CACertFile; "
            "require TLS per destination with TLS_Srv: entries in the access map.",
        ),
        "TLS_Srv:example.com ENCR:128",
        "sendmail -d0.1 -bv root | grep STARTTLS",
    ),
    _fix(
        MTA.EXCHANGE,
        (
            "Exchange send connectors use opportunistic TLS unless RequireTLS is set; set it "
            "for partners that must be reached encrypted.",
        ),
        "Set-SendConnector -Identity '<connector>' -RequireTLS $true",
        "Get-SendConnector | Format-List Name,RequireTLS,TlsAuthLevel",
    ),
)

_BARE_LF_FIXES = (
    _fix(
        MTA.POSTFIX,
        (
            "Postfix itself sends CRLF; bare LFs come from the submitting program or a "
            "content filter that rewrites the message. Fix the program; on the receiving "
            "side, Postfix 3.9+ refuses them with smtpd_forbid_bare_newline = normalize/reject.",
        ),
        "",
        "postconf smtpd_forbid_bare_newline",
    ),
    _fix(
        MTA.GENERIC,
        (
            "End every line of the message with CRLF (RFC 5321 §2.3.8); an application that "
            "writes LF must have its mail library convert line endings before SMTP.",
            "Update MTAs and filters that pass bare LF/CR through unchanged "
            "(SMTP smuggling: CVE-2023-51764, CVE-2023-51765, CVE-2023-51766).",
        ),
    ),
)

# Each generic fix is verified by sending a test message to the receiver again.
_RECEIVE_AGAIN = "smtpdoctor receive --once --listen 0.0.0.0:2525"


def _generic(*steps: str) -> tuple[Fix, ...]:
    """One generic fix, verified by sending to the receiver again."""
    return (_fix(MTA.GENERIC, steps, verify=_RECEIVE_AGAIN),)


_LONG_LINE_FIXES = _generic(
    "Encode bodies with lines over 998 characters as quoted-printable or base64 "
    "(RFC 5322 §2.1.1); most mail libraries do when told the text has long lines.",
    "Receivers may refuse (Exchange: 'line too long'), wrap or truncate such lines, "
    "which breaks DKIM signatures.",
)

_PIPELINING_FIXES = (
    _fix(
        MTA.POSTFIX,
        (
            "Postfix pipelines only when the server advertises PIPELINING; a client that "
            "does otherwise is not Postfix's smtp(8) (a script, a spam tool, a broken "
            "proxy in between). Postscreen rejects such 'pregreet' and pipelining clients.",
        ),
        "",
        "postconf smtp_never_send_ehlo smtp_pix_workarounds",
    ),
    _fix(
        MTA.GENERIC,
        (
            "Wait for each reply in lock-step unless the server advertised PIPELINING "
            "(RFC 2920 §3.1), and even then wait after EHLO, DATA, STARTTLS, AUTH and QUIT.",
        ),
    ),
)

_TIMEOUT_FIXES = (
    _fix(
        MTA.POSTFIX,
        (
            "Give slow receivers at least RFC 5321 §4.5.3.2's minimum timeouts; Postfix's "
            "defaults meet them: raise any that were lowered.",
            "postfix reload",
        ),
        "smtp_connect_timeout = 30s\nsmtp_helo_timeout = 300s\nsmtp_mail_timeout = 300s\n"
        "smtp_rcpt_timeout = 300s\nsmtp_data_init_timeout = 120s\n"
        "smtp_data_xfer_timeout = 180s\nsmtp_data_done_timeout = 600s",
        "postconf | grep -E '^smtp_(helo|mail|rcpt|data_(init|xfer|done))_timeout'",
    ),
    _fix(
        MTA.EXIM,
        (
            "Set command_timeout = 5m, data_timeout = 5m and final_timeout = 10m on the "
            "smtp transport (Exim's defaults).",
        ),
        "remote_smtp:\n  driver = smtp\n  command_timeout = 5m\n  final_timeout = 10m",
        "exim -bP transport remote_smtp | grep timeout",
    ),
    _fix(
        MTA.SENDMAIL,
        ("Raise confTO_COMMAND, confTO_DATAINIT, confTO_DATABLOCK and confTO_DATAFINAL.",),
        "define(`confTO_DATAFINAL', `10m')dnl",
    ),
)

_DKIM_FIXES = (
    _fix(
        MTA.POSTFIX,
        ("Sign outgoing mail with OpenDKIM or rspamd as a milter, and publish the key.",),
        "smtpd_milters = inet:127.0.0.1:8891\nnon_smtpd_milters = $smtpd_milters",
        "postconf smtpd_milters non_smtpd_milters",
    ),
    _fix(
        MTA.EXIM,
        ("Set dkim_domain, dkim_selector and dkim_private_key on the smtp transport.",),
        "remote_smtp:\n  driver = smtp\n  dkim_domain = example.com\n  dkim_selector = s1\n"
        "  dkim_private_key = /etc/exim4/dkim.key",
    ),
)

_CLIENT_CERT_FIXES = (
    _fix(
        MTA.POSTFIX,
        ("Give the Postfix SMTP client a certificate and key to present when asked.",),
        "smtp_tls_chain_files = /etc/postfix/client.pem",
        "postconf smtp_tls_chain_files smtp_tls_cert_file",
    ),
    _fix(
        MTA.EXIM,
        ("Set tls_certificate and tls_privatekey on the smtp transport.",),
        "remote_smtp:\n  driver = smtp\n  tls_certificate = /etc/exim4/client.crt\n"
        "  tls_privatekey = /etc/exim4/client.key",
    ),
    _fix(
        MTA.EXCHANGE,
        ("Set the send connector's TlsCertificateName to the certificate to present.",),
        "Set-SendConnector -Identity '<connector>' -TlsCertificateName '<I>issuer<S>subject'",
    ),
)


def _tls() -> list[FindingSpec]:
    return [
        FindingSpec(
            "sender.tls.legacy_only",
            _S.CRITICAL,
            _C.TLS_VERSION_MISMATCH,
            _TLS,
            title="The sender offers only TLS 1.0/1.1 (or SSLv3) in its ClientHello.",
            message="The sender offers only {offered}: Microsoft 365 and Gmail will refuse "
            "it (they require TLS 1.2 or later), and so will every receiver with a current "
            "OpenSSL default.",
            retry_helps=False,
            fixes=_LEGACY_TLS_FIXES,
            example={"offered": "TLSv1, TLSv1.1"},
            source="RFC 8996; Microsoft 365 and Gmail TLS requirements",
        ),
        FindingSpec(
            "sender.tls.no_tls13",
            _S.INFO,
            _C.OTHER,
            _TLS,
            title="The sender offers TLS 1.2 but not TLS 1.3.",
            message="The sender offers up to {top}, not TLS 1.3: it works everywhere today, "
            "but not with receivers that accept only TLS 1.3.",
            permanence=_NONE,
            fixes=_LEGACY_TLS_FIXES[:1],
            example={"top": "TLSv1.2"},
        ),
        FindingSpec(
            "sender.tls.weak_ciphers",
            _S.WARNING,
            _C.TLS_HANDSHAKE_FAILURE,
            _TLS,
            title="The sender offers broken cipher suites (NULL, export, RC4, DES, 3DES).",
            message="The sender offers {count} broken cipher suite(s) ({ciphers}); a "
            "receiver that prefers the client's order could settle on one.",
            permanence=_NONE,
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    ("Exclude them from the client's cipher list.",),
                    "smtp_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5",
                    "postconf smtp_tls_exclude_ciphers smtp_tls_mandatory_ciphers",
                ),
            ),
            example={
                "count": 2,
                "ciphers": "TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            },
            source="RFC 7465, RFC 9325 §4.1",
        ),
        FindingSpec(
            "sender.tls.post_quantum",
            _S.INFO,
            _C.OK,
            _TLS,
            title="The sender offers a post-quantum hybrid key exchange.",
            message="The sender offers post-quantum key exchange ({groups}); its ClientHello "
            "is {size} bytes, which some middleboxes drop (a receiver behind one sees the "
            "handshake hang).",
            permanence=_NONE,
            fixes=(),
            example={"groups": "X25519MLKEM768", "size": 1541},
        ),
        FindingSpec(
            "sender.tls.handshake_failed",
            None,
            None,
            _TLS,
            title="The TLS handshake with the sender failed.",
            message="The TLS handshake with the sender failed: {reason}.",
            retry_open=True,
            fixes=None,
            example={"reason": "alert protocol_version", "severity": "critical"},
        ),
        FindingSpec(
            "sender.tls.no_client_hello",
            _S.CRITICAL,
            None,
            _TLS,
            title="After 220 to STARTTLS the sender did not start a TLS handshake.",
            message="After the 220 to its STARTTLS the sender sent {what} instead of a TLS "
            "ClientHello: no TLS session can start, and a receiver that requires TLS gets no "
            "mail from it.",
            retry_helps=False,
            fixes=_generic(
                "After a 220 reply to STARTTLS, start the TLS handshake at once "
                "(RFC 3207 §4): a client that sends SMTP commands there, or an "
                "SSL 2.0-format hello, has a broken or ancient TLS layer.",
                "Look for a proxy or firewall in between that answers STARTTLS "
                "itself or strips the handshake (Cisco ESMTP inspection).",
            ),
            example={"what": "plaintext: 'EHLO '", "category": "tls_handshake_failure"},
            source="RFC 3207 §4",
        ),
        FindingSpec(
            "sender.tls.implicit_tls",
            _S.CRITICAL,
            _C.TLS_HANDSHAKE_FAILURE,
            Stage.GREETING,
            title="The sender started TLS at once instead of EHLO and STARTTLS.",
            message="The sender answered the greeting with a TLS ClientHello: it is set up "
            "for implicit TLS (SMTPS, as on submission port 465, RFC 8314 §3.3), but this "
            "port speaks STARTTLS, as port 25 between MTAs always does. No mail gets through.",
            retry_helps=False,
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    (
                        "Do not use TLS wrapper mode towards port 25: remove "
                        "smtp_tls_wrappermode = yes (or the -o override on the smtp transport "
                        "in master.cf); keep it only for relays on port 465.",
                        "postfix reload",
                    ),
                    "smtp_tls_wrappermode = no\nsmtp_tls_security_level = may",
                    "postconf smtp_tls_wrappermode; postconf -M | grep wrappermode",
                ),
                _fix(
                    MTA.EXIM,
                    (
                        "On the smtp transport, use protocol = smtp (not smtps) and drop "
                        "tls_on_connect for port 25 destinations.",
                    ),
                    "remote_smtp:\n  driver = smtp\n  protocol = smtp",
                    "exim -bP transport remote_smtp | grep -E 'protocol|port'",
                ),
            ),
            source="RFC 3207; RFC 8314 §3.3",
        ),
        FindingSpec(
            "sender.tls.certificate_refused",
            _S.WARNING,
            _C.TLS_CERTIFICATE,
            _TLS,
            title="The sender refused the receiver's certificate.",
            message="The sender {how}. Against receive's own self-signed certificate (no "
            "--tls-cert) that is what a verifying sender (DANE, MTA-STS, a 'secure' or "
            "'verify' policy) must do; with a certificate from a public CA, the sender's "
            "trust store lacks that CA.",
            permanence=_NONE,
            retry_helps=False,
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    (
                        "Give receive a certificate the sender trusts (--tls-cert, --tls-key), "
                        "or check the sender's trust store: smtp_tls_CAfile / "
                        "smtp_tls_CApath, and the policy in smtp_tls_policy_maps.",
                    ),
                    "",
                    "postconf smtp_tls_CAfile smtp_tls_CApath smtp_tls_policy_maps",
                ),
            ),
            example={
                "how": "ended the handshake with the alert unknown_ca: it verifies the "
                "receiver's certificate"
            },
            source="RFC 8446 §6.2",
        ),
        FindingSpec(
            "sender.tls.starttls_not_used",
            _S.WARNING,
            _C.STARTTLS_UNAVAILABLE,
            Stage.STARTTLS,
            title="STARTTLS was offered and the sender went on in plaintext.",
            message="STARTTLS was offered but the sender {how} in plaintext: its mail can be "
            "read and changed on the way.",
            permanence=_NONE,
            fixes=_STARTTLS_FIXES,
            example={"how": "delivered the message"},
            source="RFC 3207; RFC 8461 (MTA-STS)",
        ),
        FindingSpec(
            "sender.tls.plaintext_fallback",
            _S.WARNING,
            _C.STARTTLS_UNAVAILABLE,
            Stage.STARTTLS,
            title="After TLS failed or was refused, the sender delivered in plaintext.",
            message="After {what}, the sender delivered in plaintext {when}: opportunistic TLS "
            "without a floor, so anyone on the path who breaks STARTTLS gets the mail in clear.",
            permanence=_NONE,
            fixes=_STARTTLS_FIXES,
            example={"what": "the TLS handshake failed", "when": "on a new connection 0.2 s later"},
            source="RFC 3207 §4.1; RFC 8461",
        ),
        FindingSpec(
            "sender.tls.no_client_certificate",
            _S.WARNING,
            _C.TLS_HANDSHAKE_FAILURE,
            _TLS,
            title="Asked for a client certificate, the sender sent none (or an untrusted one).",
            message="The receiver required a client certificate and the sender {how}.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=_CLIENT_CERT_FIXES,
            example={"how": "presented none"},
        ),
        FindingSpec(
            "sender.tls.client_certificate",
            _S.INFO,
            _C.OK,
            _TLS,
            title="The sender presented a client certificate.",
            message="The sender presented a client certificate ({subject}).",
            permanence=_NONE,
            fixes=(),
            example={"subject": "CN=mail.example.com"},
        ),
    ]


def _protocol() -> list[FindingSpec]:
    common: dict[str, Any] = {"permanence": _NONE, "retry_helps": False}
    return [
        FindingSpec(
            "sender.smtp.helo",
            _S.WARNING,
            _C.STARTTLS_UNAVAILABLE,
            Stage.EHLO,
            title="The sender greets with HELO, not EHLO.",
            message="The sender greeted with HELO, not EHLO: without extensions it can use "
            "neither STARTTLS nor SIZE nor 8BITMIME.",
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    ("Let Postfix send EHLO: smtp_never_send_ehlo = no (the default).",),
                    "smtp_never_send_ehlo = no",
                    "postconf smtp_never_send_ehlo",
                ),
            ),
            **common,
        ),
        FindingSpec(
            "sender.smtp.pipelining",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="The sender sent commands before the reply it had to wait for.",
            message="The sender sent {next!r} before the reply to {command} ({why}); "
            "Postfix's postscreen and many receivers drop such clients.",
            fixes=_PIPELINING_FIXES,
            example={
                "next": "MAIL FROM:<a@b>",
                "command": "EHLO",
                "why": "RFC 2920 §3.1",
                "stage": "ehlo",
            },
            source="RFC 2920 §3.1, RFC 5321 §4.3.1",
            **common,
        ),
        FindingSpec(
            "sender.smtp.bare_lf_command",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="Command lines end with a bare LF instead of CRLF.",
            message="{count} command line(s) ended with a bare LF, first {command!r}: "
            "RFC 5321 §2.3.8 requires CRLF, and strict receivers refuse.",
            fixes=_BARE_LF_FIXES,
            example={"count": 3, "command": "EHLO x", "stage": "ehlo"},
            **common,
        ),
        FindingSpec(
            "sender.smtp.bare_lf",
            _S.WARNING,
            _C.POLICY_REJECTION,
            Stage.MESSAGE,
            title="The message has bare LF or bare CR line endings.",
            message="The message has {lf} bare LF and {cr} bare CR line ending(s): Postfix "
            "3.9+ (smtpd_forbid_bare_newline), Exchange Online and Gmail reject or rewrite "
            "such mail as an SMTP smuggling defence.",
            fixes=_BARE_LF_FIXES,
            example={"lf": 4, "cr": 0},
            source="RFC 5321 §2.3.8; CVE-2023-51764",
            **common,
        ),
        FindingSpec(
            "sender.smtp.smuggling",
            _S.CRITICAL,
            _C.POLICY_REJECTION,
            Stage.MESSAGE,
            title="The message body holds end-of-data look-alikes (SMTP smuggling).",
            message="The message body holds {count} end-of-data look-alike(s) (<LF>.<LF>, "
            "<LF>.<CRLF> or <CR>.<CR>): a receiver that obeys one would take the rest as new "
            "SMTP commands (SMTP smuggling). Receivers that defend against it reject the mail.",
            fixes=_BARE_LF_FIXES,
            example={"count": 1},
            source="CVE-2023-51764, CVE-2023-51765, CVE-2023-51766",
            **common,
        ),
        FindingSpec(
            "sender.smtp.line_too_long",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="Lines longer than RFC 5321 allows (512 per command, 1000 per text line).",
            message="{count} {what} longer than {limit} octets (the longest {longest}): "
            "receivers may refuse, wrap or truncate them.",
            fixes=_LONG_LINE_FIXES,
            example={
                "count": 1,
                "what": "message line(s)",
                "limit": 1000,
                "longest": 1203,
                "stage": "message",
            },
            source="RFC 5321 §4.5.3.1.4, §4.5.3.1.6",
            **common,
        ),
        FindingSpec(
            "sender.smtp.path_syntax",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="MAIL FROM or RCPT TO breaks RFC 5321's syntax.",
            message="{command} breaks RFC 5321 §4.1.2's syntax ({faults}): {line!r}. "
            "Strict receivers answer 501.",
            fixes=_generic(
                "Send MAIL FROM:<address> and RCPT TO:<address> exactly: no space "
                "after the colon, angle brackets always, parameters as KEY=VALUE.",
            ),
            example={
                "command": "MAIL FROM",
                "faults": "space_after_colon",
                "line": "MAIL FROM: <a@b.c>",
                "stage": "mail_from",
            },
            source="RFC 5321 §4.1.2, §3.3",
            **common,
        ),
        FindingSpec(
            "sender.smtp.size_understated",
            _S.WARNING,
            _C.MESSAGE_SIZE,
            Stage.MESSAGE,
            title="The message is bigger than the SIZE the sender declared.",
            message="The sender declared SIZE={declared} but sent {size} bytes: a receiver "
            "with a limit in between accepts MAIL FROM and then refuses the message with 552 "
            "after the whole transfer.",
            fixes=(
                _fix(
                    MTA.GENERIC,
                    ("Declare the message's real size (RFC 1870 §5).",),
                    verify=_RECEIVE_AGAIN,
                ),
            ),
            example={"declared": 1000, "size": 5000},
            source="RFC 1870 §5, §6.2",
            **common,
        ),
        FindingSpec(
            "sender.smtp.size_not_declared",
            _S.INFO,
            _C.MESSAGE_SIZE,
            Stage.MAIL_FROM,
            title="SIZE was advertised but the sender declared no size.",
            message="SIZE was advertised but the sender declared no size in MAIL FROM: a "
            "too-big message is refused only after its whole transfer.",
            fixes=(),
            source="RFC 1870 §5",
            **common,
        ),
        FindingSpec(
            "sender.smtp.pregreet",
            _S.WARNING,
            _C.POLICY_REJECTION,
            Stage.GREETING,
            title="The sender talked before the greeting (pregreet).",
            message="The sender sent {count} byte(s) before the receiver's 220 greeting, "
            "first {line!r}: RFC 5321 §3.1 makes a client wait for it, and Postfix's "
            "postscreen (postscreen_greet_action) and other receivers drop such clients as "
            "spambots.",
            fixes=_PIPELINING_FIXES,
            example={"count": 24, "line": "EHLO bot.example"},
            source="RFC 5321 §3.1; Postfix POSTSCREEN_README",
            **common,
        ),
        FindingSpec(
            "sender.smtp.helo_syntax",
            _S.WARNING,
            _C.POLICY_REJECTION,
            Stage.EHLO,
            title="The EHLO/HELO argument is not a domain name or an address literal.",
            message="{line!r}: {fault}. Receivers with reject_invalid_helo_hostname "
            "(Postfix) or similar checks refuse the session.",
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    (
                        "Set smtp_helo_name to the host's fully-qualified name (the PTR of "
                        "its sending address), or [address] when it has none.",
                        "postfix reload",
                    ),
                    "smtp_helo_name = mail.example.com",
                    "postconf smtp_helo_name myhostname",
                ),
                _fix(
                    MTA.EXIM,
                    ("Set helo_data on the smtp transport to the host's FQDN.",),
                    "remote_smtp:\n  driver = smtp\n  helo_data = mail.example.com",
                    "exim -bP transport remote_smtp | grep helo_data",
                ),
            ),
            example={"line": "EHLO my_host", "fault": "an underscore"},
            source="RFC 5321 §4.1.1.1, §4.1.2, §4.1.3; RFC 1123 §2.1",
            **common,
        ),
        FindingSpec(
            "sender.smtp.sequence",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="The sender sent commands out of order.",
            message="{count} command(s) out of order, first {what} (RFC 5321 §3.3): the "
            "receiver answered 503 each time.",
            fixes=_generic(
                "Follow RFC 5321 §3.3's order: EHLO, MAIL FROM, RCPT TO (one or "
                "more), DATA; RSET before a new MAIL FROM; and act on each reply "
                "(a refused MAIL FROM means no RCPT TO).",
            ),
            example={"count": 1, "what": "RCPT before MAIL", "stage": "rcpt_to"},
            source="RFC 5321 §3.3, §4.1.4",
            **common,
        ),
        FindingSpec(
            "sender.smtp.unknown_command",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="The sender sent commands the receiver does not know or did not offer.",
            message="{count} command(s) the receiver does not know or did not advertise, first "
            "{command!r}{why}: answered 502; the receiver's EHLO reply says what it offers.",
            fixes=_generic(
                "Use an extension (BDAT, AUTH, ...) only when the EHLO reply "
                "advertises it (RFC 5321 §2.2.2); everything else is plain RFC 5321.",
                "Garbage lines after a BDAT or a DATA usually mean a chunk size that "
                "does not match the bytes sent.",
            ),
            example={
                "count": 1,
                "command": "BDAT 20 LAST",
                "why": " (CHUNKING was not advertised)",
                "stage": "rcpt_to",
            },
            source="RFC 5321 §2.2.2, §4.2.4; RFC 3030",
            **common,
        ),
        FindingSpec(
            "sender.smtp.auth_unoffered",
            None,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="The sender tried AUTH the receiver did not offer.",
            message="The sender sent {detail}, although the receiver did not advertise AUTH "
            "(RFC 4954 §4).{clear}",
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    (
                        "Authenticate only where the relay needs it: smtp_sasl_auth_enable "
                        "with per-destination passwords in smtp_sasl_password_maps, and "
                        "smtp_sasl_tls_security_options / smtp_tls_security_level = encrypt "
                        "for those destinations, so credentials never go out in clear.",
                        "Change the password that went out in plaintext.",
                    ),
                    "smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = "
                    "hash:/etc/postfix/sasl_passwd\nsmtp_tls_security_level = encrypt",
                    "postconf smtp_sasl_auth_enable smtp_sasl_password_maps",
                ),
            ),
            example={
                "detail": "AUTH PLAIN in plaintext, before STARTTLS, with credentials",
                "clear": " Its credentials crossed the network unencrypted.",
                "severity": "critical",
            },
            source="RFC 4954 §4, §14",
            **common,
        ),
        FindingSpec(
            "sender.smtp.abandoned",
            _S.WARNING,
            _C.CONNECTION_DROPPED,
            None,
            title="The sender left in the middle of a mail transaction.",
            message="The sender {how} {when}: the message was not delivered. A sender that "
            "crashes, times out or loses its network in the transfer retries later; check its "
            "log for the reason.",
            fixes=_TIMEOUT_FIXES,
            example={
                "how": "closed the connection",
                "when": "in the message, after 12 byte(s)",
                "stage": "message",
            },
            source="RFC 5321 §4.1.1.4, §6.1",
            **common,
        ),
        FindingSpec(
            "sender.smtp.eight_bit",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="8-bit or UTF-8 sent without declaring it (BODY=8BITMIME, SMTPUTF8).",
            message="{detail}: RFC 6152 §3 and RFC 6531 §3.4 require the sender to declare "
            "8-bit bodies and UTF-8 addresses on MAIL FROM (and the receiver to offer them); "
            "a 7-bit receiver may bounce or mangle the mail.",
            fixes=(
                _fix(
                    MTA.GENERIC,
                    (
                        "Send MAIL FROM:<...> BODY=8BITMIME when the body has 8-bit octets "
                        "and the receiver offers 8BITMIME; otherwise encode the body "
                        "(quoted-printable, base64).",
                        "Use UTF-8 addresses only with SMTPUTF8 on MAIL FROM, and only to "
                        "receivers that advertise it.",
                    ),
                    verify=_RECEIVE_AGAIN,
                ),
                _fix(
                    MTA.POSTFIX,
                    (
                        "Postfix declares BODY=8BITMIME itself; undeclared 8-bit comes from "
                        "the submitting program. smtputf8_enable = yes (default) handles "
                        "UTF-8 addresses.",
                    ),
                    "",
                    "postconf smtputf8_enable",
                ),
            ),
            example={"detail": "240 8-bit octet(s) in the message, no BODY=8BITMIME"},
            source="RFC 6152 §3; RFC 6531 §3.4",
            **common,
        ),
        FindingSpec(
            "sender.smtp.unoffered_parameter",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="The sender used a MAIL/RCPT parameter whose extension was not advertised.",
            message="{count} parameter(s) the receiver did not offer, first {parameter}: it "
            "belongs to {extension}, which the EHLO reply did not advertise; RFC 5321 "
            "§4.1.1.11 lets the receiver refuse the command with 555.",
            fixes=_generic(
                "Send a MAIL FROM / RCPT TO parameter only when the receiver's EHLO reply "
                "advertises its extension (RFC 5321 §4.1.1.11); otherwise leave it out "
                "(DSN, SMTPUTF8) or do not deliver there (REQUIRETLS).",
            ),
            example={
                "count": 1,
                "parameter": "NOTIFY=SUCCESS on RCPT",
                "extension": "DSN (RFC 3461)",
                "stage": "rcpt_to",
            },
            source="RFC 5321 §4.1.1.11; RFC 3461; RFC 6531",
            **common,
        ),
        FindingSpec(
            "sender.smtp.many_recipients",
            _S.INFO,
            _C.RECIPIENT,
            Stage.RCPT_TO,
            title="The sender put more than 100 recipients in one transaction.",
            message="The sender sent {detail}: RFC 5321 §4.5.3.1.8 guarantees only 100, and "
            "Microsoft 365, Gmail and Postfix (smtpd_recipient_limit) answer 452 beyond their "
            "limit; the sender must then send the rest in a new transaction, not bounce them.",
            fixes=(
                _fix(
                    MTA.POSTFIX,
                    (
                        "Postfix splits by itself (default_destination_recipient_limit, "
                        "50 per delivery) and handles 452 for the rest.",
                    ),
                    "default_destination_recipient_limit = 50",
                    "postconf default_destination_recipient_limit",
                ),
                *_generic(
                    "Treat 452 to RCPT TO as 'not now': deliver to the accepted recipients and "
                    "send the rest in another transaction (RFC 5321 §4.5.3.1.10).",
                ),
            ),
            example={"detail": "over 100 RCPT TO in one transaction"},
            source="RFC 5321 §4.5.3.1.8, §4.5.3.1.10",
            **common,
        ),
        FindingSpec(
            "sender.smtp.nul",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,
            title="The sender sent NUL bytes.",
            message="{detail}: NUL is not allowed in SMTP commands or mail text (RFC 5321 "
            "§4.1.1.4, RFC 5322 §2.2/§3.5); many receivers refuse the message or drop the "
            "session.",
            fixes=_generic(
                "Find the program that writes NUL into the message or command "
                "(often a broken charset conversion) and fix it; binary content "
                "goes in base64.",
            ),
            example={"detail": "3 NUL byte(s) in the message", "stage": "message"},
            source="RFC 5321 §4.1.1.4; RFC 5322 §2.2",
            **common,
        ),
        FindingSpec(
            "sender.smtp.no_quit",
            _S.INFO,
            _C.OTHER,
            Stage.QUIT,
            title="The sender closed the connection without QUIT.",
            message="The sender {how} without sending QUIT (RFC 5321 §4.1.1.10).",
            fixes=(),
            example={"how": "closed the connection"},
            **common,
        ),
        FindingSpec(
            "sender.message.no_dkim",
            _S.INFO,
            _C.POLICY_REJECTION,
            Stage.MESSAGE,
            title="The message carries no DKIM-Signature.",
            message="The message carries no DKIM-Signature: Gmail and Yahoo require DKIM (and "
            "DMARC) from bulk senders, and unsigned mail is more likely to be junked.",
            fixes=_DKIM_FIXES,
            **common,
        ),
    ]


def _coping() -> list[FindingSpec]:
    return [
        FindingSpec(
            "sender.behaviour.gave_up_early",
            _S.CRITICAL,
            _C.NETWORK_TIMEOUT,
            None,
            title="The sender gave up waiting for a reply sooner than RFC 5321's minimum timeout.",
            message="The sender gave up after {waited} s waiting for the reply to {command}; "
            "RFC 5321 §4.5.3.2 asks a client to wait at least {minimum} s. Slow but healthy "
            "receivers (tarpits, content filters, big providers under load) will see it drop "
            "the session.",
            retry_helps=False,
            fixes=_TIMEOUT_FIXES,
            example={"waited": 3.0, "command": "EHLO", "minimum": 300, "stage": "ehlo"},
            source="RFC 5321 §4.5.3.2",
        ),
        FindingSpec(
            "sender.behaviour.coped",
            _S.INFO,
            _C.OK,
            None,
            title="How the sender reacted to what the receiver did on purpose (--as).",
            message="Under --as {profile} the receiver {action}; the sender {reaction}.",
            permanence=_NONE,
            fixes=(),
            example={
                "profile": "rate-limit",
                "action": "answered 421 4.7.0 and closed",
                "reaction": "came back after 0.8 s",
                "stage": "greeting",
            },
        ),
        FindingSpec(
            "sender.behaviour.retried",
            _S.INFO,
            _C.OK,
            Stage.CONNECT,
            title="The sender came back after a session that delivered nothing: a retry.",
            message="The sender came back {seconds} s after its previous session, which "
            "{previous}.",
            permanence=_NONE,
            fixes=(),
            example={"seconds": 1.2, "previous": "ended with our 421"},
        ),
    ]


SPECS: tuple[FindingSpec, ...] = (*_tls(), *_protocol(), *_coping())
