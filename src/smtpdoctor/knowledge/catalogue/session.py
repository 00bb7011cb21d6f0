"""The SMTP session: how a walk ended, TLS, the certificate, EHLO.

Findings of :mod:`smtpdoctor.diagnosis.session_rules`. Fixes are the
category's recipes (:mod:`smtpdoctor.knowledge.fixes`) unless said otherwise;
a negative reply carries the fixes the text classifier ordered for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.model import MTA, Category, Fix, Outcome, Permanence, Severity, Stage

if TYPE_CHECKING:
    from typing import Any

__all__ = ["HOW", "SPECS", "STAGE_WORDS"]

_C, _S = Category, Severity
_TLS = Stage.TLS_HANDSHAKE
_NONE = Permanence.NONE

# Where in the session something happened, as a message says it.
STAGE_WORDS = {
    Stage.GREETING: "before the greeting",
    Stage.EHLO: "after EHLO",
    Stage.STARTTLS: "after STARTTLS",
    Stage.TLS_HANDSHAKE: "during the TLS handshake",
    Stage.AUTH: "after AUTH",
    Stage.MAIL_FROM: "after MAIL FROM",
    Stage.RCPT_TO: "after RCPT TO",
    Stage.DATA: "after the DATA command",
    Stage.MESSAGE: "while the message was being sent or before its end-of-data reply",
    Stage.QUIT: "at QUIT",
}
# How a step ended without a reply, as "the server ..." says it.
HOW = {
    Outcome.RESET: "reset the connection (TCP RST)",
    Outcome.CLOSED: "closed the connection without a reply",
    Outcome.TIMEOUT: "stopped answering until the deadline",
    Outcome.PROTOCOL_ERROR: "sent something that is not SMTP",
    Outcome.TLS_ALERT: "ended the session with a TLS error",
}

# The stages a walk can fail at after the connection and outside the TLS
# handshake (each has its own findings); QUIT failures are not reported.
_SESSION_STAGES = tuple(
    s.value for s in Stage if s not in (Stage.DNS, Stage.CONNECT, _TLS, Stage.QUIT, Stage.NONE)
)
_ENDINGS = tuple(o for o in Outcome if o not in (Outcome.OK, Outcome.REPLY))
_DROPS = tuple(o.value for o in _ENDINGS if o not in (Outcome.TIMEOUT, Outcome.PROTOCOL_ERROR))

_TRANSPORT_EXAMPLE = {"outcome": "reset", "detail": "connection reset by peer", "elapsed_ms": 3.1}
_CERT_CARE = (
    " Opportunistic TLS senders deliver anyway; senders that verify (Exchange send "
    "connectors with TlsAuthLevel CertificateValidation or DomainValidation, MTA-STS "
    "enforce, DANE) refuse it."
)


def _reply_fixes(params: Params) -> tuple[Fix, ...] | None:
    """The classifier's recipes for the reply (ordered by the MTA its text names)."""
    fixes: tuple[Fix, ...] = params["classified_fixes"]
    return fixes or None


def _connect() -> list[FindingSpec]:
    common: dict[str, Any] = {
        "severity": _S.CRITICAL,
        "category": _C.FIREWALL_BLOCK,
        "stage": Stage.CONNECT,
    }
    return [
        FindingSpec(
            "connect.refused",
            title="The TCP connection to the SMTP port was refused.",
            message="The connection to port {port} was refused: nothing listens there, or a "
            "firewall rejects it with a TCP reset.",
            example={**_TRANSPORT_EXAMPLE, "outcome": "refused", "port": 25},
            **common,
        ),
        FindingSpec(
            "connect.unreachable",
            title="An ICMP unreachable answered the connection attempt.",
            message="The host is unreachable (ICMP unreachable): a route is missing or a firewall "
            "answers for it.",
            example={**_TRANSPORT_EXAMPLE, "outcome": "unreachable"},
            **common,
        ),
        FindingSpec(
            "greeting.slow",
            _S.WARNING,
            _C.NETWORK_TIMEOUT,
            Stage.GREETING,
            title="The greeting came, but late enough that impatient senders give up first.",
            message="The greeting took {seconds:.0f} s. RFC 5321 lets a client wait 5 minutes, "
            "but many senders give up far sooner (30 to 60 s is common), so their mail is "
            "deferred; a greeting delay (greet pause, tarpit, a slow DNS or milter check at "
            "connect) should stay within a few seconds.",
            retry_helps=False,
            example={"seconds": 45.0},
            source="RFC 5321 §4.5.3.2.1",
        ),
        FindingSpec(
            "ehlo.helo_fallback",
            _S.INFO,
            _C.OTHER,
            Stage.EHLO,
            title="EHLO was refused and HELO accepted: the server speaks SMTP, not ESMTP.",
            message="The server refused EHLO ({code}) and accepted HELO, as RFC 5321 §4.1.4 "
            "lets a client fall back: it speaks plain SMTP, so it offers no extension (no "
            "STARTTLS, SIZE, PIPELINING or 8BITMIME), and the EHLO refusal is no fault of its "
            "own.",
            permanence=_NONE,
            retry_helps=False,
            example={"code": 502},
            source="RFC 5321 §4.1.4",
        ),
        FindingSpec(
            "ehlo.refused_helo_accepted",
            _S.WARNING,
            None,  # starttls_unavailable in clear; other under TLS (STARTTLS was had)
            Stage.EHLO,
            title="EHLO was refused (not unknown) and HELO accepted: ESMTP is unavailable.",
            message={
                "clear": "The server refused EHLO with '{reply}' and accepted HELO: it knows "
                "EHLO (a server that does not answers 500 or 502) but refuses it, so a sender "
                "falls back to HELO (RFC 5321 §4.1.4; Postfix's client does on any refusal but "
                "421) and gets plain SMTP: ESMTP is unavailable, so there is no STARTTLS (the "
                "mail goes in clear, or not at all where TLS is required), no SIZE, no AUTH, no "
                "PIPELINING, 8BITMIME or SMTPUTF8. Something answers EHLO on purpose: a "
                "firewall's or proxy's SMTP inspection set to plain SMTP, or a hello rule that "
                "tests the command.",
                "tls": "Under TLS the server refused EHLO with '{reply}' and accepted HELO: it "
                "knows EHLO (a server that does not answers 500 or 502) but refuses it after "
                "STARTTLS, so a sender falls back to HELO (RFC 5321 §4.1.4; Postfix's client "
                "does on any refusal but 421) and gets plain SMTP under TLS: ESMTP is "
                "unavailable there, so there is no AUTH (no submission), no SIZE, PIPELINING, "
                "8BITMIME or SMTPUTF8. Something answers EHLO on purpose after TLS: a proxy "
                "that ends TLS in front of the server, or a hello rule that tests the command.",
            },
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Find what answers EHLO (the server's log shows whether EHLO reached "
                        "it; a firewall's SMTP inspection or a proxy in front answers for it) "
                        "and let EHLO through to the MTA.",
                    ),
                    "",
                    "swaks --server mx.example.com --quit-after EHLO",
                ),
                Fix(
                    MTA.POSTFIX,
                    (
                        "Look for an smtpd_command_filter that rewrites EHLO, or a "
                        "check_helo_access / milter result that refuses it, and remove it.",
                    ),
                    "postconf smtpd_command_filter smtpd_helo_restrictions smtpd_milters",
                    "postconf -n | grep -i -e helo -e command_filter",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "An acl_smtp_helo rule that denies on $smtp_command (EHLO) refuses "
                        "ESMTP to every sender: drop the condition on the command.",
                    ),
                    "# acl_smtp_helo: remove 'condition = ${if match{$smtp_command}{^(?i)ehlo}}'",
                    "exim -bh 192.0.2.1   # then EHLO mx.example.net",
                ),
                Fix(
                    MTA.GENERIC,
                    (
                        "Cisco ASA/FTD ESMTP inspection: turn it off for SMTP, or stop it "
                        "from refusing EHLO.",
                    ),
                    "policy-map global_policy\n class inspection_default\n  no inspect esmtp",
                    "show service-policy inspect esmtp",
                ),
            ),
            example={"reply": "554 5.7.1 EHLO not allowed, use HELO", "variant": "clear"},
            source="RFC 5321 §4.1.4, §3.2; Postfix smtp_proto.c (smtp_helo)",
        ),
        FindingSpec(
            "greeting.implicit_tls",
            _S.WARNING,
            _C.OTHER,
            Stage.GREETING,
            title="A silent greeting from a port that speaks TLS from the first byte.",
            message="Port {port} speaks TLS from the first byte (implicit TLS, RFC 8314): it "
            "sent no SMTP greeting, but answered a TLS ClientHello with a ServerHello "
            "({version}). Diagnose it with --implicit-tls; SMTP clients that expect a "
            "greeting (port 25 and 587 style, STARTTLS) wait on it until they time out.",
            permanence=_NONE,
            supersedes=("greeting.timeout", "greeting.dropped.*"),
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Probe the port as what it is; if it is meant for SMTP with "
                        "STARTTLS, turn implicit TLS off on that listener.",
                    ),
                    "smtpdoctor diagnose mx.example.com:25 --implicit-tls",
                    "openssl s_client -connect mx.example.com:25 -brief </dev/null",
                ),
            ),
            example={"port": 465, "version": "TLSv1.3"},
            source="RFC 8314 §3.3",
        ),
        FindingSpec(
            "greeting.other_service",
            _S.CRITICAL,
            _C.OTHER,
            Stage.GREETING,
            title="Another service (SSH, HTTP, IMAP, POP3, FTP, LMTP, NNTP, telnet) answers "
            "where an SMTP server was due.",
            message="Port {port} speaks {service}, not SMTP: the first line it sent is "
            "'{line}'. No mail server answers there: a port forward (DNAT) or load balancer "
            "sends the port to the wrong host or port, the MX host name (or its address) "
            "points at a machine that runs no mail server, or the mail server is down and "
            "another program holds the port. Senders defer and retry, and every retry meets "
            "the same {service} server.",
            retry_helps=False,
            supersedes=("greeting.protocol_error", "ehlo.reply.*", "greeting.reply.*"),
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Find what answers the port: on the host the MX's address points at, "
                        "list the listeners (ss -ltnp 'sport = :25'); on the firewall or "
                        "load balancer, the rule that forwards port 25.",
                        "Point the forward (or the MX record and its A/AAAA records) at the "
                        "mail server, or start the mail server and move the other service "
                        "off the port.",
                        "Check again: the greeting must be an SMTP 220.",
                    ),
                    "",
                    "smtpdoctor diagnose mx.example.com",
                ),
            ),
            example={"port": 25, "service": "SSH", "line": "SSH-2.0-OpenSSH_9.6"},
            source="RFC 5321 §4.2, §3.1; RFC 4253 §4.2; RFC 9112 §4; RFC 9051 §7.1; "
            "RFC 1939 §4; RFC 959 §5.4; RFC 2033 §4; RFC 3977 §5.1.1; RFC 854",
        ),
        FindingSpec(
            "connect.timeout",
            title="Nothing answered the connection attempt before the deadline.",
            message="No answer to the connection attempt on port {port} before the deadline: the "
            "port looks filtered (a firewall drops the packets).",
            example={**_TRANSPORT_EXAMPLE, "outcome": "timeout", "port": 25},
            **common,
        ),
    ]


def _handshake() -> list[FindingSpec]:
    common: dict[str, Any] = {
        "severity": _S.CRITICAL,
        "category": _C.TLS_HANDSHAKE_FAILURE,
        "stage": _TLS,
        "retry_helps": False,
    }
    out = [
        FindingSpec(
            "tls.handshake.protocol_version",
            title="The TLS handshake failed on the protocol version (alert protocol_version).",
            message="The TLS handshake failed on the protocol version: {who}.",
            example={
                "tls_alert": "protocol_version",
                "alert_sent_by_us": False,
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
                "who": "the server refused every version we offered",
            },
            **{**common, "category": _C.TLS_VERSION_MISMATCH},
        ),
        FindingSpec(
            "tls.handshake.tls_alert",
            title="The TLS handshake failed with a TLS alert.",
            message="The TLS handshake failed with {alert}{sender}{hint}.",
            example={
                "tls_alert": "unrecognized_name",
                "alert": "alert unrecognized_name",
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
                "sender": " from the server",
                "hint": ": the server has no certificate for the server name (SNI) in our "
                "hello, or wants a name and got none",
            },
            source="RFC 8446 §6.2, RFC 6066 §3",
            **common,
        ),
    ]
    out.append(
        FindingSpec(
            "tls.handshake.no_shared_cipher",
            title="No cipher suite in common: the server offers only NULL, anonymous or "
            "export suites, or none it can use.",
            message={
                "chose": "The TLS handshake failed with alert {tls_alert} from the server: no "
                "cipher suite in common, for the server offers only suites modern peers never "
                "offer (offered only those, it chose {cipher} ({version}), {kind} suite). "
                "OpenSSL 3, SChannel and the Postfix and Exim defaults leave NULL, anonymous "
                "and export suites out, so every modern sender fails here. A modern peer needs "
                "TLS 1.2 with an ECDHE suite and AES-GCM or ChaCha20-Poly1305 (RFC 9325 §4.2), "
                "or TLS 1.3: give the server a certificate and a modern cipher list (Postfix: "
                "drop smtpd_tls_*ciphers overrides; Exim: tls_require_ciphers).",
                "none": "The TLS handshake failed with alert {tls_alert} from the server: no "
                "cipher suite in common, and a second hello offering only NULL, anonymous and "
                "export suites was refused alike, so the server seems to have no suite it can "
                "use (a cipher list its certificate's key type cannot serve, such as ECDSA "
                "suites with an RSA key, or DH suites with no DH parameters loaded; or a key "
                "on a curve TLS peers do not accept, such as secp256k1 or a brainpool curve "
                "(RFC 7027), which TLS 1.3's list and OpenSSL's default groups leave out: a "
                "TLS 1.2 server can use an ECDSA key only on a curve the client's hello "
                "names, RFC 8422 §5.1). Check the "
                "server's TLS log for 'no shared cipher' and give it a modern cipher list that "
                "matches its key: TLS 1.2 with ECDHE and AES-GCM or ChaCha20-Poly1305 "
                "(RFC 9325 §4.2), or TLS 1.3.",
            },
            example={
                "variant": "chose",
                "tls_alert": "handshake_failure",
                "cipher": "TLS_DH_anon_WITH_AES_128_CBC_SHA",
                "version": "TLSv1.2",
                "kind": "an anonymous (no certificate)",
            },
            source="RFC 5246 §7.4.1.3, RFC 9325 §4.1-4.2",
            supersedes=("tls.handshake.tls_alert",),
            **common,
        )
    )
    out += [
        FindingSpec(
            "tls.handshake.message_too_large",
            title="Our TLS library refused a handshake message over its size limit.",
            message="The TLS handshake failed on our side: the server sent a handshake message "
            "of more than OpenSSL's limit (excessive_message_size; about 100 KiB for the "
            "certificate chain), so we sent the alert, not the server. OpenSSL-based senders "
            "(Postfix, Exim, Sendmail) fail the same way: serve a shorter chain (the leaf and "
            "its intermediates only, no bundle of every CA).",
            example={
                "tls_alert": "excessive_message_size",
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
            },
            **{**common, "category": _C.TLS_CERTIFICATE},
        ),
        FindingSpec(
            "tls.implicit.plaintext_smtp",
            title="Implicit TLS was tried against a server that speaks plaintext SMTP.",
            message="The server speaks plaintext SMTP on port {port}, not implicit TLS (it "
            "greeted '{greeting}'): drop --implicit-tls, or use port 465 if the server has "
            "implicit TLS there; STARTTLS is how TLS starts on this port.",
            example={
                **_TRANSPORT_EXAMPLE,
                "outcome": "protocol_error",
                "port": 25,
                "greeting": "220 mx.example.com ESMTP",
            },
            **{**common, "category": _C.OTHER, "permanence": _NONE},
        ),
    ]
    out.append(
        FindingSpec(
            "tls.record.refused",
            _S.CRITICAL,
            _C.CONNECTION_DROPPED,
            None,
            title="Under TLS, our side refused a record the server's side sent, and the "
            "session ended.",
            message="The TLS handshake completed, then our TLS library refused a record that "
            "came {where} and ended the session ({reason}; the alert is ours, not the "
            "server's){hint}.",
            example={
                "reason": "decryption_failed_or_bad_record_mac",
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
                "where": "after EHLO",
                "hint": ": the record failed its integrity check, so its bytes were changed on "
                "the way (an SMTP-inspecting firewall or proxy that rewrites the encrypted "
                "stream, a faulty NIC offload) or the server's TLS stack is broken; the "
                "same path breaks every sender",
            },
            permanence=Permanence.TEMPORARY,
            retry_helps=False,
            source="RFC 8446 §5.2, §6.2; RFC 5246 §7.2.2",
        )
    )
    out.append(
        FindingSpec(
            "tls.handshake.alert_after",
            title="The TLS handshake seemed complete, then the server sent a TLS alert.",
            message="The TLS handshake seemed complete, then the server sent alert {tls_alert} "
            "{where}: a TLS 1.3 server judges the client's certificate only after the client "
            "has finished its side of the handshake, so this is the handshake failing late"
            "{hint}.",
            example={
                "tls_alert": "certificate_required",
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
                "where": "after EHLO",
                "hint": ": the server requires a client certificate (mutual TLS), which "
                "senders on the internet do not present",
            },
            source="RFC 8446 §4.4.2.4, §6.2",
            **common,
        )
    )
    out.append(
        FindingSpec(
            "tls.handshake.client_certificate_required",
            title="The server asked for a client certificate (mutual TLS) and refused the "
            "handshake without one.",
            message={
                variant: intro + ": the server requires mutual TLS, which senders on the "
                "internet do not present. On a public MX, make the client certificate optional "
                "(Postfix: smtpd_tls_ask_ccert = yes, not smtpd_tls_req_ccert; Exim: "
                "tls_verify_hosts empty, tls_try_verify_hosts instead); on a private relay, "
                "give the sender a certificate the server trusts."
                for variant, intro in (
                    (
                        "requested",
                        "The TLS handshake failed{how} right after the server asked for a "
                        "client certificate (a TLS 1.2 CertificateRequest)",
                    ),
                    (
                        "alert",
                        "The TLS handshake failed with alert certificate_required from the "
                        "server (RFC 8446 §4.4.2.4: no client certificate was sent)",
                    ),
                    (
                        "closed",
                        "The TLS handshake seemed complete, but the server had asked for a "
                        "client certificate (we sent none) and then {ended} without an alert "
                        "{where}: its refusal, which a client meets only at its first read "
                        "after the handshake (always so at TLS 1.3, RFC 8446 §4.4.2.4)",
                    ),
                )
            },
            example={
                "variant": "requested",
                "tls_alert": "handshake_failure",
                "certificate_requested": True,
                **_TRANSPORT_EXAMPLE,
                "outcome": "tls_alert",
                "how": " (alert handshake_failure)",
                "ended": "closed the connection",
                "where": "after EHLO",
            },
            source="RFC 5246 §7.4.4, §7.4.6, RFC 8446 §4.4.2.4",
            **common,
        )
    )
    out.append(
        FindingSpec(
            "tls.starttls.plaintext_reply",
            title="After accepting STARTTLS the server answered the ClientHello in plaintext SMTP.",
            message="The server accepted STARTTLS ('220 Ready to start TLS') and then answered "
            "the TLS ClientHello in plaintext SMTP ('{greeting}'), not TLS: no TLS layer "
            "stands behind its 220 (TLS broken or switched off after the STARTTLS reply, or a "
            "proxy in front that does not pass TLS through). Senders that try STARTTLS fail "
            "this session.",
            example={
                **_TRANSPORT_EXAMPLE,
                "outcome": "protocol_error",
                "greeting": "454 TLS not available due to local problem",
            },
            **common,
        )
    )
    for outcome in _ENDINGS:
        if outcome is Outcome.TLS_ALERT:
            continue
        out.append(
            FindingSpec(
                f"tls.handshake.{outcome.value}",
                title=f"The TLS handshake ended without a ServerHello: {outcome.value}.",
                message=f"The TLS handshake failed: the server {HOW.get(outcome, outcome.value)}.",
                example={"tls_alert": None, **_TRANSPORT_EXAMPLE, "outcome": outcome.value},
                **common,
            )
        )
    return out


def _endings() -> list[FindingSpec]:
    stages = {"stage": _SESSION_STAGES}
    return [
        FindingSpec(
            "{stage}.timeout",
            _S.CRITICAL,
            _C.NETWORK_TIMEOUT,
            None,
            title="The server stopped answering at a stage of the session.",
            message="The server stopped answering {where}: the session stalled until the deadline.",
            id_values=stages,
            example={**_TRANSPORT_EXAMPLE, "outcome": "timeout", "where": "after EHLO"},
        ),
        FindingSpec(
            "{stage}.tarpit",
            _S.CRITICAL,
            _C.NETWORK_TIMEOUT,
            None,
            title="The server sent its reply a few bytes at a time, past the deadline (a tarpit).",
            message="The server was still sending its reply {where} a few bytes at a time when "
            "the deadline came: a tarpit (a deliberate slow-down of clients it distrusts: a "
            "block list or reputation score, too many errors, an unknown sender) or a server "
            "starved of CPU or I/O. Senders time out the same way (Postfix's "
            "smtp_*_timeout, 300 s for most replies) and retry later.",
            id_values=stages,
            example={**_TRANSPORT_EXAMPLE, "outcome": "timeout", "where": "after EHLO"},
        ),
        FindingSpec(
            "{stage}.protocol_error",
            _S.CRITICAL,
            _C.OTHER,
            None,
            title="The server sent something that is not SMTP.",
            message="The server broke the SMTP protocol {where}: {detail}",
            id_values=stages,
            example={
                **_TRANSPORT_EXAMPLE,
                "outcome": "protocol_error",
                "detail": "a reply line over 2048 bytes",
                "where": "before the greeting",
            },
        ),
        FindingSpec(
            "session.reply_out_of_turn",
            _S.CRITICAL,
            _C.OTHER,
            None,
            title="The server sent a reply no command asked for (an early talker, or replies "
            "pushed ahead of the commands).",
            message="The server broke the SMTP protocol {where}: it sent a reply before the next "
            "command ({detail}). A sender takes that reply as the answer to its next command, "
            "so what the server means and what the sender reads drift apart; Postfix calls it "
            "pipelining without PIPELINING and may drop the session.",
            source="RFC 5321 §4.1.1, RFC 2920 §3.1",
            example={
                **_TRANSPORT_EXAMPLE,
                "outcome": "protocol_error",
                "where": "after EHLO",
                "detail": "the server sent '550 go away' after the EHLO reply, before STARTTLS "
                "was sent",
            },
        ),
        FindingSpec(
            "session.reply_format",
            _S.INFO,
            _C.OTHER,
            None,
            title="The server's replies break RFC 5321's reply format in ways a lenient "
            "client tolerates.",
            message="The server's replies break RFC 5321's format ({what}), first {where}. "
            "smtpdoctor, Postfix and Exim read them anyway; a strict SMTP client library may "
            "not.",
            permanence=_NONE,
            retry_helps=False,
            source="RFC 5321 §2.3.8, §4.5.3.1.5",
            example={
                "what": "bare LF line ending (RFC 5321 §2.3.8 requires CRLF)",
                "where": "after EHLO",
            },
        ),
        FindingSpec(
            "pipelining.replies_reordered",
            _S.CRITICAL,
            _C.OTHER,
            Stage.MAIL_FROM,
            title="The server answered a pipelined MAIL FROM and RCPT TO out of order.",
            message="The walk sent MAIL FROM and RCPT TO in one write (the server advertises "
            "PIPELINING), and the server answered them out of order: MAIL FROM got '{first}', "
            "a recipient's code (RFC 3463 X.1.1-X.1.6), and then '{second}', a sender's (X.1.0, "
            "X.1.7, X.1.8). RFC 2920 §3.1 has a server answer pipelined commands in the order "
            "it received them; a sender that pipelines (Postfix, Exim, Exchange) reads the "
            "recipient's refusal as the sender's and bounces the message for the wrong reason. "
            "A proxy or filter in front that answers commands as its own checks finish does "
            "this: fix it, or stop advertising PIPELINING. (Two acceptances swapped are left "
            "alone: a sender reads them as acceptances, as the walk does.)",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "If the server is Postfix behind a filter or proxy, stop advertising "
                        "PIPELINING to the clients it affects until the proxy is fixed.",
                    ),
                    "smtpd_discard_ehlo_keywords = pipelining",
                    "swaks --server mx.example.com --pipe --quit-after RCPT",
                ),
                Fix(
                    MTA.GENERIC,
                    (
                        "Find the proxy, filter or firewall that answers SMTP commands as its "
                        "own checks finish, and have it answer in order (or not advertise "
                        "PIPELINING).",
                    ),
                    "",
                    "swaks --server mx.example.com --pipe --quit-after RCPT",
                ),
            ),
            source="RFC 2920 §3.1; RFC 3463 §3.2",
            example={
                "first": "550 5.1.1 <b@example.com>: Recipient address rejected: User unknown",
                "second": "250 2.1.0 Ok",
            },
        ),
        FindingSpec(
            "session.pipelining_stall",
            _S.WARNING,
            _C.OTHER,
            None,
            title="The server answered the first commands of a pipelined batch, then nothing.",
            message="{command} went out in one write with {answered} (the server advertises "
            "PIPELINING); the server answered {answered} and then nothing more. A server or a "
            "middlebox that loses the commands after the first of a pipelined write stalls "
            "exactly like this, and so will every sender that pipelines (Postfix, Exim); a "
            "deliberately slow {verb} check (a tarpit) looks the same. If the server itself is "
            "fine, stop advertising PIPELINING, or take the inspecting middlebox out of the path.",
            permanence=_NONE,
            retry_helps=False,
            source="RFC 2920 §3.1",
            example={"command": "RCPT TO", "answered": "MAIL FROM", "verb": "RCPT"},
        ),
        FindingSpec(
            "{stage}.dropped.{outcome}",
            _S.CRITICAL,
            _C.CONNECTION_DROPPED,
            None,
            title="The server dropped the connection without a reply.",
            message="The server {how} {where}.",
            id_values={**stages, "outcome": _DROPS},
            example={**_TRANSPORT_EXAMPLE, "how": HOW[Outcome.RESET], "where": "after RCPT TO"},
        ),
        FindingSpec(
            "{stage}.reply.{code}",
            None,
            None,
            None,
            title="The server answered a command with a negative reply (4xx or 5xx); the text "
            "classifier decides the category, permanence and fixes. `{code}` is the reply code.",
            message="The server answered {code}{enhanced} {where}: {meaning}",
            permanence=None,
            retry_open=True,
            fixes=_reply_fixes,
            id_values=stages,
            example={
                "reply": {"code": 550, "enhanced": "5.7.1", "lines": ["Relaying denied"]},
                "classification": ["reply code 550"],
                "code": 550,
                "enhanced": " 5.7.1",
                "where": "after RCPT TO",
                "meaning": "The server refuses to relay for this recipient.",
                "classified_fixes": (),
            },
        ),
    ]


def _tls() -> list[FindingSpec]:
    hs: dict[str, Any] = {"category": _C.TLS_HANDSHAKE_FAILURE, "stage": _TLS}
    return [
        FindingSpec(
            "starttls.not_offered",
            None,
            _C.STARTTLS_UNAVAILABLE,
            Stage.STARTTLS,
            title="The server does not offer STARTTLS (critical when the peer requires TLS).",
            message="The server does not offer STARTTLS: mail to it travels in plaintext, and "
            "senders that require TLS (forced TLS connectors, MTA-STS enforce, DANE) cannot "
            "deliver at all.",
            permanence=None,
            retry_helps=False,
        ),
        FindingSpec(
            "tls.version.below_floor",
            _S.CRITICAL,
            _C.TLS_VERSION_MISMATCH,
            _TLS,
            title="The best TLS version the server offers is below the peer's floor.",
            message="The best TLS version this server offers is {negotiated}, below the floor of "
            "{floor} set by {peer_label}: {consequence}.",
            retry_helps=False,
            example={
                "negotiated": "TLSv1",
                "floor": "TLSv1.2",
                "cipher": "ECDHE-RSA-AES128-SHA",
                "peer": "microsoft365",
                "accepted": ["TLSv1"],
                "peer_label": "Microsoft 365",
                "consequence": "Microsoft 365 defers the mail (451 4.4.317)",
            },
        ),
        FindingSpec(
            "tls.negotiated",
            _S.INFO,
            _C.OK,
            _TLS,
            title="The TLS version and cipher the walk negotiated.",
            message="TLS negotiated: {negotiated} with {cipher}.",
            permanence=_NONE,
            fixes=(),
            example={"negotiated": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"},
        ),
        FindingSpec(
            "tls.versions.sslv3",
            _S.WARNING,
            title="The server still accepts SSLv3.",
            message="The server still accepts SSLv3 (RFC 7568 forbids it).",
            permanence=_NONE,
            source="RFC 7568",
            example={"accepted": ["SSLv3", "TLSv1.2"]},
            **hs,
        ),
        FindingSpec(
            "tls.versions.tls13_only",
            _S.WARNING,
            _C.TLS_VERSION_MISMATCH,
            _TLS,
            title="The server accepts TLS 1.3 only, and refuses TLS 1.2.",
            message="The server accepts TLS 1.3 only: it refuses a TLS 1.2 ClientHello, which "
            "RFC 9325 §3.1.1 has every implementation support. Senders capped at TLS 1.2 "
            "(older MTAs and gateways, OpenSSL 1.0.2) cannot negotiate TLS with it: an "
            "opportunistic one sends in plaintext, a strict one (DANE, MTA-STS, a forced-TLS "
            "connector) defers the mail.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            source="RFC 9325 §3.1.1",
            example={"accepted": ["TLSv1.3"]},
        ),
        FindingSpec(
            "tls.groups.uncommon",
            None,  # a warning; critical where the sender requires TLS
            _C.TLS_HANDSHAKE_FAILURE,
            _TLS,
            title="The server's TLS 1.3 key exchange groups are ones many senders do not offer "
            "(FFDHE, X448, P-521 alone).",
            message="The server chose {group} for TLS 1.3 when offered every group, and refused "
            "a hello offering only X25519, P-256 and P-384, the groups every common sender "
            "offers: it takes none of them. BoringSSL (Gmail) offers X25519, P-256 and P-384 only, "
            "Schannel (Microsoft 365, Exchange) the same, Go adds P-521; none offers FFDHE "
            "(RFC 7919) or X448. Such a sender shares no group with this server and fails the "
            "handshake (RFC 8446 §4.1.1), then delivers in clear (opportunistic TLS) or not "
            "at all (MTA-STS, DANE, a connector that forces TLS). OpenSSL-based senders "
            "(Postfix, Exim) offer these groups and get through. Add X25519 and P-256 to the "
            "server's groups.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    ("Let OpenSSL's default groups through, or list the common ones first.",),
                    "tls_eecdh_auto_curves = X25519 X448 prime256v1 secp384r1 secp521r1\n"
                    "tls_ffdhe_auto_groups = ffdhe2048 ffdhe3072",
                    "openssl s_client -connect mx.example.com:25 -starttls smtp "
                    "-groups X25519:P-256:P-384 -brief </dev/null",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Name the common groups in tls_eccurve (a list where Exim is "
                        "built with OpenSSL 1.1.1 or later).",
                    ),
                    "tls_eccurve = X25519:P-256:P-384",
                    "openssl s_client -connect mx.example.com:25 -starttls smtp "
                    "-groups X25519:P-256:P-384 -brief </dev/null",
                ),
                Fix(
                    MTA.GENERIC,
                    (
                        "Configure the TLS library's groups (OpenSSL: Groups = "
                        "X25519:P-256:P-384:X448:ffdhe2048) so X25519 and P-256 come first.",
                    ),
                    "",
                    "openssl s_client -connect mx.example.com:25 -starttls smtp "
                    "-groups X25519:P-256:P-384 -brief </dev/null",
                ),
            ),
            example={"group": "ffdhe2048"},
            source="RFC 8446 §4.1.1, §4.2.7; RFC 7919; BoringSSL ssl_key_share.cc",
        ),
        FindingSpec(
            "tls.versions.legacy_accepted",
            _S.INFO,
            _C.OK,
            _TLS,
            title="Besides the current versions, the server accepts deprecated ones.",
            message="Besides {current}, the server also accepts {legacy} (deprecated by RFC 8996); "
            "peers pick the newest, so this costs no deliveries.",
            permanence=_NONE,
            fixes=(),
            source="RFC 8996",
            example={
                "accepted": ["TLSv1", "TLSv1.2", "TLSv1.3"],
                "current": "TLSv1.2, TLSv1.3",
                "legacy": "TLSv1",
            },
        ),
        FindingSpec(
            "tls.large_client_hello",
            _S.CRITICAL,
            title="A ~1.5 KB ClientHello (a post-quantum key share) gets no ServerHello.",
            message="A ~1.5 KB ClientHello (the size a post-quantum key share gives, OpenSSL "
            "3.5's default) got no ServerHello ({outcome}) while a small one passes: senders on "
            "OpenSSL 3.5 or newer will see the session hang or drop in the TLS handshake. "
            "Usually a middlebox or a path that loses large first flights.",
            retry_helps=False,
            example={"outcome": "timeout"},
            **hs,
        ),
        FindingSpec(
            "tls.cipher.none_shared_with_peer",
            None,
            title="At TLS 1.2 the server accepts none of the peer's cipher suites.",
            message="At TLS 1.2 the server accepts none of the cipher suites offered by "
            "{peer_label}, or can only sign with SHA-1, which OpenSSL 3 peers refuse{consequence}",
            retry_helps=False,
            example={
                "peer": "gmail",
                "peer_label": "Gmail",
                "consequence": "; TLS 1.3 still works, so only peers capped at TLS 1.2 fail.",
            },
            **hs,
        ),
        FindingSpec(
            "tls.ems.missing",
            _S.WARNING,
            title="No Extended Master Secret (RFC 7627) at TLS 1.2 and below.",
            message="The server does not support Extended Master Secret (RFC 7627) at TLS 1.2 and "
            "below: peers in FIPS mode and hardened SChannel builds refuse such handshakes.",
            retry_helps=False,
            source="RFC 7627",
            **hs,
        ),
        FindingSpec(
            "tls.cipher.weak",
            _S.WARNING,
            title="The server chose export, NULL, RC4, 3DES or similar cipher suites.",
            message="The server chose weak cipher suites ({names}): export, NULL, RC4 and 3DES "
            "suites are refused by current OpenSSL and SChannel peers.",
            retry_helps=False,
            example={"ciphers": ["DES-CBC3-SHA"], "names": "DES-CBC3-SHA"},
            **hs,
        ),
    ]


# Who cannot use a certificate key (or an issuer's signature) of each kind. Schannel
# (Microsoft 365, Exchange, Windows) signs and verifies RSA, DSA and ECDSA only
# (learn.microsoft.com, SecPkgContext_SupportedSignatures); LibreSSL's libssl has
# no Ed25519 server certificates (libressl/portable#821), nor has Conscrypt
# (netty/netty#10916); TLS 1.3 has no DSA scheme and lists P-256, P-384 and P-521
# alone (RFC 8446 §4.2.3), Go dropped DSA from crypto/x509 and the Mozilla root
# store refuses it (golang/go#40337), and BoringSSL and Go have no brainpool.
_EDDSA_WHO = (
    "senders such as Microsoft 365 and Exchange (Schannel signs and verifies RSA, DSA "
    "and ECDSA only), LibreSSL-based MTAs (OpenSMTPD on OpenBSD) and Java's Conscrypt"
)
_KEY_TYPE_WHO = {
    "eddsa": _EDDSA_WHO,
    "dsa": "TLS 1.3 (it has no DSA signature scheme), Gmail's BoringSSL, Go and any sender "
    "that verifies against the public roots (no public CA issues DSA)",
    "ec": "TLS 1.3 (its signature schemes name P-256, P-384 and P-521 only), OpenSSL's "
    "default groups, Gmail's BoringSSL and Go",
}
_KEY_TYPE_VERIFY = (
    "openssl s_client -connect mx.example.com:25 -starttls smtp -brief "
    "-sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256:ecdsa_secp256r1_sha256"
)
_KEY_TYPE_FIXES = (
    Fix(
        MTA.POSTFIX,
        (
            "Postfix 3.4 and later serve several certificates at once, one per key type: "
            "list an RSA or ECDSA P-256 chain beside this one.",
        ),
        "smtpd_tls_chain_files = /etc/ssl/private/mx-ecdsa.pem, /etc/ssl/private/mx-rsa.pem",
        _KEY_TYPE_VERIFY,
    ),
    Fix(
        MTA.EXIM,
        (
            "Exim built with OpenSSL takes lists: name an RSA or ECDSA P-256 certificate "
            "and its key beside this one, in the same order.",
        ),
        "tls_certificate = /etc/exim4/mx-rsa.crt : /etc/exim4/mx-ecdsa.crt\n"
        "tls_privatekey = /etc/exim4/mx-rsa.key : /etc/exim4/mx-ecdsa.key",
        _KEY_TYPE_VERIFY,
    ),
    Fix(
        MTA.GENERIC,
        (
            "Reissue the certificate with an RSA (2048 bits or more) or ECDSA P-256 key "
            "from a public CA (certbot: --key-type rsa, or --key-type ecdsa "
            "--elliptic-curve secp256r1), and the intermediate that signs with one.",
        ),
        "",
        _KEY_TYPE_VERIFY,
    ),
)


def _certificate() -> list[FindingSpec]:
    common: dict[str, Any] = {"category": _C.TLS_CERTIFICATE, "stage": _TLS, "retry_helps": False}

    def cert(fid: str, title: str, message: str, **example: object) -> FindingSpec:
        return FindingSpec(
            fid, None, title=title, message=message + _CERT_CARE, example=example, **common
        )

    return [
        cert(
            "tls.certificate.expired",
            "The server's certificate has expired.",
            "The certificate expired {days_ago} days ago ({not_after}).",
            days_left=-3,
            days_ago=3,
            not_after="2025-01-31",
        ),
        cert(
            "tls.certificate.not_yet_valid",
            "The server's certificate is not valid yet.",
            "The certificate is not valid yet (check the server's clock and the certificate's "
            "start date).",
        ),
        cert(
            "tls.certificate.self_signed",
            "The server's certificate is self-signed.",
            "The certificate is self-signed.",
        ),
        cert(
            "tls.certificate.no_subject_alt_name",
            "The certificate names the server only in its subject CN, with no subjectAltName.",
            "The certificate names the server only in its subject CN ({cn}) and has no "
            "subjectAltName: verifiers that follow RFC 6125 (cryptography's and Go's, MTA-STS "
            "senders per RFC 8461 §4.2) refuse it before any chain check, so its chain was not "
            "judged further. Reissue it with the host names as DNS subjectAltNames.",
            cn="mx.example.com",
        ),
        cert(
            "tls.certificate.untrusted",
            "The certificate does not chain to a trusted CA.",
            "The certificate does not chain to a trusted CA: {trust_error}.",
            trust_error="unable to get local issuer certificate",
        ),
        cert(
            "tls.certificate.bad_serial",
            "The certificate's serial number breaks RFC 5280 (negative, or over 20 octets).",
            "The certificate's serial number breaks RFC 5280 §4.1.2.2 ({why}): strict "
            "verifiers (Go's crypto/x509 since 1.23, Python's cryptography) refuse the "
            "certificate, where OpenSSL-based MTAs (Postfix, Exim, Sendmail) take it. Reissue "
            "it with a positive serial of at most 20 octets.",
            trust_error="validation failed: certificate serial number cannot be negative",
            why="it is negative",
        ),
        cert(
            "tls.certificate.leaf_rule",
            "The certificate chains to a trusted CA but breaks a rule on server certificates.",
            "The certificate chains to a trusted CA, but breaks a rule verifiers apply to a "
            "server's own certificate: {rule}. Senders whose verifier applies the rule refuse "
            "it; reissue it as a plain server certificate (CA:FALSE, extendedKeyUsage "
            "serverAuth, no critical extension verifiers do not know).",
            trust_error="chains to a trusted CA, but validation failed: required EKU not found",
            rule="required EKU not found",
        ),
        cert(
            "tls.certificate.wrong_intermediate",
            "The server sends an intermediate certificate that did not issue its certificate.",
            "The server sends the wrong intermediate certificate: it sends {sent}, but its "
            "certificate was issued by {issuer}, which it does not send, so senders find no "
            "path to a trusted CA (an intermediate kept after the CA changed its issuing CA, "
            "or another certificate's bundle). Serve the intermediate that issued it: the "
            "CA's chain file for this certificate.",
            trust_error="validation failed: candidates exhausted",
            sent="CN=R10,O=Let's Encrypt,C=US",
            issuer="CN=R11,O=Let's Encrypt,C=US",
        ),
        cert(
            "tls.certificate.pool_differs",
            "Another connection to the same address was served a certificate that fails "
            "where the walk's holds.",
            "Another connection to the same address was served another certificate "
            "({subject}), and {problems}, where the walk's certificate holds: the address "
            "is a pool (a load balancer, several servers behind one address) whose members "
            "do not present the same certificate, so senders fail on some connections and "
            "not on others. Install the same, current certificate on every member.",
            subject="CN=mx.example.com",
            problems="it expired on 2025-01-31",
        ),
        cert(
            "tls.certificate.chain_incomplete",
            "The server does not send its intermediate certificates.",
            "The server does not send the intermediate certificates needed to build the chain.",
        ),
        cert(
            "tls.certificate.name_mismatch",
            "The certificate names neither the host nor the names it announces.",
            "The certificate does not name this server: it covers {covers}, not {wanted}.",
            checked=["mx.example.com"],
            san=["www.example.com"],
            covers="www.example.com",
            wanted="mx.example.com",
        ),
        FindingSpec(
            "tls.certificate.expires_soon",
            _S.WARNING,
            _C.TLS_CERTIFICATE,
            _TLS,
            title="The certificate expires within 14 days.",
            message="The certificate expires in {days_left} days.",
            example={"days_left": 9},
        ),
        cert(
            "tls.certificate.weak_key",
            "The certificate's RSA key is shorter than 2048 bits.",
            "The certificate's RSA key has {key_bits} bits; OpenSSL 3 peers refuse keys under "
            "2048 bits.",
            key_bits=1024,
        ),
        FindingSpec(
            "tls.certificate.key_type_unsupported",
            None,  # a warning; critical where the sender requires TLS
            _C.TLS_CERTIFICATE,
            _TLS,
            title="The certificate's key, or its issuer's signature, is of a kind many "
            "senders' TLS cannot use (Ed25519, Ed448, DSA, a curve TLS 1.3 does not list).",
            message={
                variant: "The certificate's {what} is {kind}, which " + who + " cannot use: "
                "such a sender fails the TLS handshake with this server (or, for an issuer's "
                "signature, cannot verify the chain), then delivers in clear "
                "(opportunistic TLS) or not at all (TLS required: MTA-STS, DANE, a connector "
                "that forces TLS). Serve an RSA (2048 bits or more) or ECDSA P-256 certificate "
                "from a public CA, beside this one if you keep it: the server picks the one "
                "the client's hello can use."
                for variant, who in _KEY_TYPE_WHO.items()
            },
            retry_helps=False,
            fixes=_KEY_TYPE_FIXES,
            example={"variant": "eddsa", "what": "key", "kind": "Ed25519"},
            source="RFC 8446 §4.2.3; learn.microsoft.com SecPkgContext_SupportedSignatures",
        ),
        cert(
            "tls.certificate.weak_signature",
            "The certificate is signed with SHA-1 or MD5.",
            "The certificate is signed with {algorithm}, which OpenSSL 3 peers refuse.",
            algorithm="sha1WithRSAEncryption",
        ),
    ]


# What a server that judges hellos by their SNI name should do instead (RFC
# 6066 §3 lets it go on without a name; RFC 8461 §5's servers present a
# fallback chain for a hello with none).
_SNI_VERIFY = "openssl s_client -connect mx.example.com:25 -starttls smtp -noservername -brief"
_SNI_FIXES = (
    Fix(
        MTA.POSTFIX,
        (
            "Keep a default certificate for the MX name: smtpd_tls_chain_files (or "
            "smtpd_tls_cert_file/smtpd_tls_key_file) is what a hello with no name, or a name "
            "not in tls_server_sni_maps, is served.",
        ),
        "smtpd_tls_chain_files = /etc/ssl/private/mx.example.com.pem",
        _SNI_VERIFY,
    ),
    Fix(
        MTA.EXIM,
        (
            "Make tls_certificate expand to the MX name's certificate when $tls_in_sni is "
            "empty or unknown, not to a fail or an empty string.",
        ),
        "tls_certificate = ${if exists{/etc/exim4/certs/${tls_in_sni}.pem}"
        "{/etc/exim4/certs/${tls_in_sni}.pem}{/etc/exim4/certs/mx.example.com.pem}}",
        _SNI_VERIFY,
    ),
    Fix(
        MTA.GENERIC,
        (
            "A TLS proxy or load balancer in front (HAProxy strict-sni, hitch, a hosting "
            "provider's shared front end): give it a default certificate for the MX name, "
            "served to a hello with no name or an unknown one, instead of refusing it.",
        ),
        "",
        _SNI_VERIFY,
    ),
)


def _sni() -> list[FindingSpec]:
    common: dict[str, Any] = {"stage": _TLS, "retry_helps": False, "fixes": _SNI_FIXES}
    return [
        FindingSpec(
            "tls.sni.required",
            _S.WARNING,
            _C.TLS_HANDSHAKE_FAILURE,
            title="The server refuses a TLS hello that names no server (no SNI).",
            message="The server refuses a TLS hello that names no server ({refusal}), and "
            "serves the same hello naming {name}: it requires SNI. Senders that send none, "
            "Postfix and Exim by default (smtp_tls_servername, tls_sni), fail the handshake: "
            "opportunistic ones retry in plaintext or defer, those that require TLS defer the "
            "mail.",
            example={"refusal": "alert unrecognized_name", "name": "mx.example.com"},
            source="RFC 6066 §3",
            **common,
        ),
        FindingSpec(
            "tls.sni.default_certificate",
            _S.WARNING,
            _C.TLS_CERTIFICATE,
            title="A TLS hello with no SNI is served another certificate, one that fails.",
            message="A TLS hello that names no server is served another certificate "
            "({subject}) than one naming {name}, and {problems}: senders that send no SNI, "
            "Postfix and Exim by default, get that one. Opportunistic ones deliver anyway; "
            "those that verify it (MTA-STS enforce, DANE, a forced-TLS connector) defer the "
            "mail.",
            example={
                "subject": "CN=localhost",
                "name": "mx.example.com",
                "problems": "it names localhost",
            },
            source="RFC 6066 §3, RFC 8461 §5",
            **common,
        ),
        FindingSpec(
            "tls.sni.name_refused",
            _S.CRITICAL,
            _C.TLS_HANDSHAKE_FAILURE,
            title="The server refuses a TLS hello naming the MX host, and serves one with no name.",
            message="The server refused our TLS hello naming {name} ({refusal}), and served "
            "the same session with a hello that names no server: it does not know the MX "
            "host's own name. Senders that send SNI (Gmail, Microsoft 365, Postfix with "
            "smtp_tls_servername) fail the handshake. Add {name} to the server's certificate "
            "names (its SNI map), or let it go on with its default certificate for a name it "
            "does not know.",
            supersedes=("tls.handshake.tls_alert",),
            example={"refusal": "alert unrecognized_name", "name": "mx.example.com"},
            source="RFC 6066 §3",
            **common,
        ),
    ]


def _ehlo_and_notes() -> list[FindingSpec]:
    return [
        FindingSpec(
            "middlebox.esmtp_inspection",
            None,
            _C.STARTTLS_UNAVAILABLE,
            None,  # EHLO, or STARTTLS where it rewrote the command
            title="A firewall doing ESMTP inspection masks the banner, hides STARTTLS or "
            "rewrites our commands.",
            message="A firewall doing ESMTP inspection sits in front of this server ({what}): it "
            "hides STARTTLS, so mail goes in plaintext or fails where TLS is required, and it "
            "cuts long command lines. Turn the inspection off for SMTP (Cisco ASA/FTD: 'no "
            "inspect esmtp' in the policy map; Cisco PIX: 'no fixup protocol smtp 25').",
            retry_helps=False,
            example={
                "banner": "220 ****************",
                "what": "the banner is masked with asterisks",
            },
        ),
        FindingSpec(
            "starttls.capabilities_change",
            _S.INFO,
            _C.OK,
            Stage.EHLO,
            title="The EHLO capabilities differ before and after TLS.",
            message="The EHLO capabilities change after TLS{gained_text}{lost_text} (normal for "
            "AUTH; RFC 3207 §4.2: forget what was learnt before TLS).",
            permanence=_NONE,
            fixes=(),
            source="RFC 3207 §4.2",
            example={
                "gained": ["AUTH"],
                "lost": [],
                "gained_text": ": offered only under TLS: AUTH",
                "lost_text": "",
            },
        ),
        FindingSpec(
            "auth.no_mechanisms",
            _S.WARNING,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="The server advertises AUTH with no mechanisms.",
            message="The server advertises AUTH but names no mechanism (the EHLO line is a "
            "bare 'AUTH'), so no client can authenticate: the SASL layer is enabled with no "
            "mechanism available (Postfix: smtpd_sasl_auth_enable with Cyrus or Dovecot "
            "offering none to this client, such as plaintext mechanisms withheld before TLS).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            source="RFC 4954 §3",
        ),
        FindingSpec(
            "auth.no_password_mechanism",
            _S.WARNING,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="--auth was given, but no AUTH mechanism the server offers takes a password.",
            message="--auth was given, but the server offers only AUTH {mechanisms}, none of "
            "which takes a user name and password (GSSAPI wants a Kerberos ticket, EXTERNAL a "
            "client certificate, XOAUTH2 and OAUTHBEARER an OAuth token), so a client that "
            "logs in with a password cannot here (RFC 4954 §3): an internal connector (such "
            "as Exchange's default receive connector, integrated Windows authentication "
            "only) or an account moved to OAuth. Use the submission service that offers "
            "PLAIN or LOGIN under TLS, or give the client the credential the mechanism needs.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            source="RFC 4954 §3, RFC 4422 §3.1",
            example={"mechanisms": "GSSAPI XOAUTH2"},
        ),
        FindingSpec(
            "auth.mechanism_unsupported",
            _S.WARNING,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="--auth was given, and the server offers only AUTH mechanisms smtpdoctor does "
            "not speak.",
            message="--auth was given, but the server offers only AUTH {mechanisms}, and "
            "smtpdoctor logs in with PLAIN, LOGIN, SCRAM-SHA-256, SCRAM-SHA-1 or CRAM-MD5 only, "
            "so the credentials were not tried: whether they are right is not known. "
            "{required} A client that logs in with PLAIN or LOGIN alone (most devices, "
            "scanners and application mail libraries) cannot log in here either. Offer PLAIN "
            "and LOGIN under TLS beside them, or check the credentials with a client that "
            "speaks {mechanisms}.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "With Dovecot SASL, list PLAIN and LOGIN in Dovecot's auth_mechanisms "
                        "(they are safe under TLS: Postfix offers them there only with "
                        "smtpd_tls_auth_only = yes).",
                    ),
                    "# dovecot conf.d/10-auth.conf\nauth_mechanisms = plain login",
                    "swaks --server mx.example.com:587 --tls --quit-after AUTH",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Add plaintext authenticators for PLAIN and LOGIN, advertised under TLS "
                        "(server_advertise_condition = ${if def:tls_in_cipher}).",
                    ),
                    "begin authenticators\nPLAIN:\n  driver = plaintext\n  "
                    "public_name = PLAIN\n  server_advertise_condition = ${if def:tls_in_cipher}"
                    "\n  server_condition = ...",
                    "exim -bP authenticators",
                ),
                Fix(
                    MTA.EXCHANGE,
                    (
                        "Allow basic authentication under TLS on the receive connector "
                        "(it offers LOGIN then).",
                    ),
                    "Set-ReceiveConnector 'Client Frontend SERVER' -AuthMechanism "
                    "Tls,BasicAuth,BasicAuthRequireTLS",
                    "Get-ReceiveConnector | Format-List Name,AuthMechanism",
                ),
            ),
            source="RFC 4954 §3, §4; RFC 2195 (CRAM-MD5); RFC 5802, RFC 7677 (SCRAM)",
            example={
                "mechanisms": "GSSAPI NTLM",
                "required": "The server requires one of: GSSAPI takes a Kerberos ticket; NTLM "
                "takes Windows (domain) credentials, through Microsoft's NTLM "
                "challenge-response.",
            },
        ),
        FindingSpec(
            "auth.exchange_broken",
            _S.CRITICAL,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="A CRAM-MD5 or SCRAM exchange broke: the server's challenge was not the "
            "mechanism's.",
            message="The AUTH {mechanism} exchange broke and the walk cancelled it with '*' "
            "(RFC 4954 §4): {why}. A client that speaks {mechanism} fails the same way: the "
            "server's SASL layer (Dovecot auth, Cyrus SASL, a gsasl authenticator, a proxy in "
            "front) does not play the mechanism it offers, or its stored secret does not match "
            "(a SCRAM server signature is proved with the password). Offer only mechanisms the "
            "SASL layer has the secrets for; check its log for the exchange.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "With Dovecot SASL, list only mechanisms whose secrets the passdb "
                        "holds (SCRAM needs SCRAM-hashed or plain passwords; CRAM-MD5 plain "
                        "ones).",
                    ),
                    "# dovecot conf.d/10-auth.conf\nauth_mechanisms = plain login",
                    "doveadm auth test alice",
                ),
            ),
            source="RFC 4954 §4; RFC 2195 §2; RFC 5802 §5, §9",
            example={
                "mechanism": "SCRAM-SHA-256",
                "why": "an iteration count of 1000000000 (over 100000)",
            },
        ),
        FindingSpec(
            "auth.not_offered",
            _S.WARNING,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="--auth was given, but the server does not advertise AUTH.",
            message="--auth was given, but the server does not advertise AUTH in its EHLO "
            "reply{where}{before}, so a client that must log in cannot here (RFC 4954 §3): "
            "this is a port or a server set up to receive mail, not to take submissions; "
            "use the submission port (587, or 465 with implicit TLS), or enable SASL "
            "authentication on this one (Postfix: smtpd_sasl_auth_enable = yes; Exim: an "
            "authenticator with server_condition).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "On the submission service in master.cf, enable SASL "
                        "authentication (with TLS required before it).",
                    ),
                    "-o smtpd_sasl_auth_enable=yes -o smtpd_tls_security_level=encrypt",
                    "swaks --server mx.example.com:587 --tls --quit-after AUTH",
                ),
                Fix(
                    MTA.EXIM,
                    ("Define an authenticator (plaintext, PLAIN) with a server_condition.",),
                    "begin authenticators\nPLAIN:\n  driver = plaintext\n  "
                    "public_name = PLAIN\n  server_condition = ...",
                    "swaks --server mx.example.com:587 --tls --quit-after AUTH",
                ),
            ),
            source="RFC 4954 §3",
            example={"where": " under TLS", "before": ""},
        ),
        FindingSpec(
            "auth.challenge_after_initial_response",
            _S.CRITICAL,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="The server answered AUTH PLAIN's initial response with another challenge.",
            message="The server answered AUTH PLAIN with its credentials (the initial response "
            "of RFC 4954 §4) by a 334 challenge, asking for more where PLAIN has nothing more "
            "to send: its SASL layer ignored the initial response, so clients that send one "
            "(most of them) fail to log in. Check the server's SASL setup (a mechanism "
            "wrapper or proxy that drops the initial response).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Find what answers AUTH (the MTA's SASL library, Dovecot auth, a "
                        "proxy) and let it take the initial response (RFC 4954 §4).",
                    ),
                    "",
                    "swaks --server mx.example.com:587 --tls --auth PLAIN "
                    "--auth-user USER --auth-password PASS --quit-after AUTH",
                ),
            ),
            source="RFC 4954 §4, RFC 4616",
            supersedes=("auth.protocol_error",),
            example={**_TRANSPORT_EXAMPLE, "outcome": "protocol_error"},
        ),
        FindingSpec(
            "auth.login_challenge_loop",
            _S.CRITICAL,
            _C.AUTHENTICATION,
            Stage.AUTH,
            title="The server asked for more after AUTH LOGIN's user name and password.",
            message="The server answered AUTH LOGIN's password with another 334 challenge, "
            "where LOGIN has nothing more to send (the user name and the password, each "
            "answering one prompt): its SASL layer lost the exchange, so every client that "
            "logs in by LOGIN fails here (they loop, or cancel with '*' as smtpdoctor did, "
            "RFC 4954 §4). Check what answers AUTH (the MTA's SASL library, Dovecot auth, an "
            "authentication proxy in front).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "Check the SASL backend Postfix hands AUTH to "
                        "(smtpd_sasl_type, smtpd_sasl_path) and that it offers LOGIN as "
                        "Dovecot does: auth_mechanisms = plain login.",
                    ),
                    "postconf smtpd_sasl_type smtpd_sasl_path; doveconf auth_mechanisms",
                    "swaks --server mx.example.com:587 --tls --auth LOGIN "
                    "--auth-user USER --auth-password PASS --quit-after AUTH",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Check the LOGIN authenticator: a plaintext driver with two prompts "
                        "(server_prompts = User Name : Password), the condition on $auth1 and "
                        "$auth2.",
                    ),
                    "begin authenticators\nLOGIN:\n  driver = plaintext\n  "
                    "public_name = LOGIN\n  server_prompts = User Name : Password\n  "
                    "server_condition = ...",
                    "swaks --server mx.example.com:587 --tls --auth LOGIN "
                    "--auth-user USER --auth-password PASS --quit-after AUTH",
                ),
                Fix(
                    MTA.GENERIC,
                    (
                        "Find what answers AUTH (an appliance or proxy in front of the "
                        "server) and let LOGIN end after its two prompts.",
                    ),
                    "",
                    "swaks --server mx.example.com:587 --tls --auth LOGIN "
                    "--auth-user USER --auth-password PASS --quit-after AUTH",
                ),
            ),
            source="RFC 4954 §4, draft-murchison-sasl-login-00",
            supersedes=("auth.protocol_error",),
            example={**_TRANSPORT_EXAMPLE, "outcome": "protocol_error"},
        ),
        FindingSpec(
            "size.over_limit",
            _S.CRITICAL,
            _C.MESSAGE_SIZE,
            Stage.MAIL_FROM,
            title="The message is larger than the server's EHLO SIZE limit.",
            message="A message of {size} bytes is over this server's advertised limit of "
            "{size_limit} bytes (EHLO SIZE).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            example={"size_limit": 10240000, "size": 20000000},
        ),
        FindingSpec(
            "chunking.bdat_refused",
            _S.CRITICAL,
            _C.OTHER,
            Stage.MESSAGE,
            title="The server offers CHUNKING, then refuses BDAT as a command it does not know.",
            message="The server advertises CHUNKING in its EHLO reply and answered our "
            "'{command}' with '{reply}': the message went by BDAT (RFC 3030 §2), as Exim "
            "(hosts_try_chunking) and Exchange / Microsoft 365 send it wherever CHUNKING is "
            "offered, and was refused as a command not implemented or not understood. Those "
            "senders' mail fails here, whatever is in it (senders that use DATA, as Postfix's "
            "client does, are not affected). The server, or a filter or firewall in front of it "
            "that does not know BDAT (ESMTP inspection), breaks the extension it offers.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Stop advertising CHUNKING, or let BDAT through: a proxy, content "
                        "filter or firewall that inspects SMTP must pass BDAT and its chunks "
                        "(or strip CHUNKING from the EHLO reply it relays).",
                    ),
                    "",
                    "smtpdoctor diagnose mx.example.com --send",
                ),
                Fix(
                    MTA.POSTFIX,
                    ("Take CHUNKING out of the EHLO reply (Postfix 3.4 and later).",),
                    "smtpd_discard_ehlo_keywords = chunking",
                    "postconf smtpd_discard_ehlo_keywords",
                ),
                Fix(
                    MTA.EXIM,
                    ("Advertise CHUNKING to no host (Exim 4.88 and later).",),
                    "chunking_advertise_hosts =",
                    "exim -bP chunking_advertise_hosts",
                ),
                Fix(
                    MTA.EXCHANGE,
                    ("Turn chunking off on the receive connector.",),
                    'Set-ReceiveConnector -Identity "SERVER\\Default Frontend SERVER" '
                    "-ChunkingEnabled $false",
                    "Get-ReceiveConnector | Format-List Name,ChunkingEnabled",
                ),
            ),
            source="RFC 3030 §2, §4; RFC 5321 §4.2.4",
            example={
                "command": "BDAT 1024 LAST",
                "reply": "502 5.5.1 Error: command not implemented",
            },
        ),
        FindingSpec(
            "smtputf8.not_offered",
            _S.CRITICAL,
            _C.OTHER,
            Stage.MAIL_FROM,
            title="The envelope holds a UTF-8 address, and the server does not offer SMTPUTF8.",
            message="The server does not advertise SMTPUTF8 in its EHLO reply, and {addresses} "
            "cannot be written in ASCII: a sender must not send a UTF-8 address there (RFC "
            "6531 §3.2), so it bounces the mail (Postfix: 'SMTPUTF8 is required, but was not "
            "offered by host'); the walk stopped before MAIL FROM, as a sender does.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Enable SMTPUTF8 (RFC 6531) on the receiving server, or give the "
                        "mailbox an ASCII address and use that one.",
                    ),
                    "",
                    "smtpdoctor diagnose mx.example.com --rcpt 'jörg@example.com'",
                ),
                Fix(
                    MTA.POSTFIX,
                    (
                        "Turn SMTPUTF8 support on (the default since Postfix 3.0 at "
                        "compatibility_level 1 or later; Postfix built with EAI support).",
                    ),
                    "smtputf8_enable = yes",
                    "postconf smtputf8_enable",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Exim built with SUPPORT_I18N advertises SMTPUTF8 to the hosts in "
                        "smtputf8_advertise_hosts (default: all).",
                    ),
                    "smtputf8_advertise_hosts = *",
                    "exim -bP smtputf8_advertise_hosts",
                ),
            ),
            source="RFC 6531 §3.2, §3.4",
            example={"addresses": "jörg@example.com"},
        ),
        FindingSpec(
            "starttls.plaintext_injection",
            _S.WARNING,
            _C.OTHER,
            Stage.STARTTLS,
            title="Plaintext came after the server's 220 to STARTTLS: the STARTTLS buffer is "
            "not flushed, or bytes are injected on the path.",
            message="{note}: whatever comes in plaintext between '220 Ready to start TLS' and "
            "the handshake must be discarded, or a client takes it for the server's answer "
            "under TLS (the STARTTLS injection class: RFC 3207 §4.2, CVE-2011-0411). The "
            "server (or a proxy in front of it) writes into the plaintext stream at STARTTLS "
            "instead of flushing it, or something on the path injects replies.",
            permanence=_NONE,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Run the same STARTTLS from inside the server's network; if the "
                        "plaintext is gone, a device on the path (an SMTP-inspecting firewall, "
                        "a proxy) injects it: turn its SMTP inspection off or replace it.",
                        "If the server itself sends it, upgrade the MTA or the TLS proxy in "
                        "front of it: after the 220 to STARTTLS nothing may be written until "
                        "the handshake (RFC 3207 §4.2).",
                        "Senders: discard buffered plaintext after the STARTTLS response "
                        "(Postfix does since the CVE-2011-0411 fix: 2.7.3, 2.6.9, 2.5.12, "
                        "2.4.16; 2.8 and later).",
                    ),
                    "",
                    "smtpdoctor diagnose mx.example.com",
                ),
            ),
            source="RFC 3207 §4.2, CVE-2011-0411 "
            "(http://www.postfix.org/announcements/postfix-2.7.3.html)",
            example={
                "note": "The server sent plaintext after '220 Ready to start TLS' "
                "('250-forged.example'), which the walk threw away"
            },
        ),
        FindingSpec(
            "starttls.reply.not_220",
            _S.WARNING,
            _C.STARTTLS_UNAVAILABLE,
            Stage.STARTTLS,
            title="The server answers STARTTLS with a 2xx other than 220, then starts TLS.",
            message="The server answered STARTTLS with '{reply}', where RFC 3207 §4 has 220 "
            "(ready to start TLS). Postfix and Exim start TLS on any 2xx, as the walk did, so "
            "mail between MTAs goes in TLS; clients that wait for 220 (curl, and libraries "
            "that check the code) take it for a refusal and go on in clear or give up. Make "
            "the server (or the proxy in front of it) answer 220.",
            permanence=_NONE,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Find what writes the reply: an SMTP proxy or filter in front of the "
                        "MTA answers STARTTLS itself when the MTA's own reply is a 220; "
                        "upgrade or reconfigure it to pass 220 through.",
                    ),
                    "",
                    "openssl s_client -connect mx.example.com:25 -starttls smtp -brief </dev/null",
                ),
            ),
            source="RFC 3207 §4; Postfix smtp_proto.c, Exim transports/smtp.c, curl lib/smtp.c",
            example={"reply": "250 2.0.0 Ready to start TLS"},
        ),
        FindingSpec(
            "starttls.tls_before_client_hello",
            _S.WARNING,
            _C.TLS_HANDSHAKE_FAILURE,
            _TLS,
            title="The server sends TLS records after its 220 to STARTTLS, before the client's "
            "hello.",
            message="{note}. No TLS client can follow a server that speaks first: the "
            "server's TLS layer is misconfigured (a server-side handshake started as a "
            "client, or a proxy replaying another connection's bytes).",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            source="RFC 8446 §4.1, RFC 3207 §4",
            example={"note": "The server sent TLS records right after '220 Ready to start TLS'"},
        ),
        FindingSpec(
            "session.unlike_connections",
            None,
            None,
            None,
            title="Connections to one address are not served alike (a pool whose members differ).",
            message={
                "failed": "The walk met {walk_saw}, but {others}: the address is not served "
                "alike on every connection. A load balancer or cluster over servers that "
                "differ (one member misconfigured, overloaded or down) makes delivery fail "
                "only some of the time; check each member by its own address.",
                "refused": "The walk was served ({walk_saw}), but {count} other "
                "connection(s) to the same address, opened beside it, met: {others}. The "
                "address is not served alike: a load balancer or cluster over servers that "
                "differ (one member misconfigured or refusing) makes delivery fail only some "
                "of the time; check each member by its own address.",
                "served": "The walk was served ({walk_saw}), but {count} other connection(s) "
                "to the same address, opened beside it, met: {others}. A load balancer over "
                "servers that differ, or a limit on connections at once from one client; the "
                "verdict is the walk's.",
            },
            permanence=Permanence.TEMPORARY,
            retry_helps=True,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Find the members behind the address (the load balancer's pool, or "
                        "the cluster's nodes) and diagnose each by its own address; bring the "
                        "one that refuses or drops in line with the others, or take it out "
                        "of the pool.",
                    ),
                    "",
                    "for i in 1 2 3 4; do smtpdoctor diagnose mx.example.com:25 --quick "
                    "--format json | jq -r .verdict.category; done",
                ),
            ),
            example={
                "variant": "failed",
                "walk_saw": "554 5.7.1 No SMTP service here at the greeting",
                "others": "a 220 greeting and a 250 EHLO reply on one more connection",
                "count": 1,
            },
        ),
        FindingSpec(
            "session.closed_at_rset",
            _S.INFO,
            _C.OTHER,
            Stage.QUIT,
            title="The server answered RSET with its closing 221.",
            message="The server answered RSET with {reply} and closed, where RFC 5321 §4.1.1.5 "
            "has RSET answered 250 and the session go on (a 221 closes, §4.2.2). The mail "
            "itself went through: the envelope was taken before it. A sender that keeps a "
            "connection open for the next message (Postfix's connection cache sends RSET "
            "before reusing one) opens a new connection instead: no mail is lost, a little "
            "time is.",
            permanence=_NONE,
            retry_helps=False,
            fixes=(),
            source="RFC 5321 §4.1.1.5, §4.2.2",
            example={"reply": "'221 2.0.0 Bye'"},
        ),
        FindingSpec(
            "session.note",
            _S.INFO,
            _C.OK,
            Stage.NONE,
            title="A remark of the walker about the session.",
            message="{note}",
            permanence=_NONE,
            fixes=(),
            example={"note": "the server announced PIPELINING but answered one command at a time"},
        ),
    ]


_EIGHT_BIT_CHECK = "smtpdoctor diagnose mx.example.com --send --8bit"


def _eight_bit_and_utf8() -> list[FindingSpec]:
    """8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) as a real message meets them,
    and the MAIL FROM parameters of an extension the server offers."""
    return [
        FindingSpec(
            "8bitmime.not_offered",
            _S.WARNING,
            _C.OTHER,
            Stage.MAIL_FROM,
            title="An 8-bit message, and the server does not offer 8BITMIME.",
            message="The server does not advertise 8BITMIME in its EHLO reply, so the 8-bit "
            "test message was {done}. RFC 6152 §3 forbids 8-bit data to such a server: a "
            "sender converts the message (Postfix and Sendmail send it quoted-printable, "
            "which breaks a DKIM signature made over the 8-bit body) or returns it; Exim and "
            "qmail send it as it is anyway, and an old Exchange returned it. Every mail "
            "server since the 1990s takes 8-bit data: the keyword is missing by "
            "configuration, or a filter in front of the server strips it.",
            permanence=_NONE,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Advertise 8BITMIME (and take 8-bit data) on the receiving server; a "
                        "proxy or firewall that inspects SMTP must not strip it from the EHLO "
                        "reply.",
                    ),
                    "",
                    _EIGHT_BIT_CHECK,
                ),
                Fix(
                    MTA.POSTFIX,
                    ("Postfix offers 8BITMIME unless told not to: take it out of the list.",),
                    "smtpd_discard_ehlo_keywords =",
                    "postconf smtpd_discard_ehlo_keywords",
                ),
                Fix(
                    MTA.EXIM,
                    ("Offer 8BITMIME (the default since Exim 4.80).",),
                    "accept_8bitmime = true",
                    "exim -bP accept_8bitmime",
                ),
                Fix(
                    MTA.EXCHANGE,
                    ("Turn 8BITMIME on for the receive connector.",),
                    'Set-ReceiveConnector -Identity "SERVER\\Default Frontend SERVER" '
                    "-EightBitMimeEnabled $true",
                    "Get-ReceiveConnector | Format-List Name,EightBitMimeEnabled",
                ),
            ),
            source="RFC 6152 §3; RFC 6531 §3.1; RFC 2045 §6.7",
            example={
                "done": "downgraded: its 8-bit body sent quoted-printable (RFC 2045 §6.7), as "
                "Postfix and Sendmail convert it"
            },
        ),
        FindingSpec(
            "session.first_connection_deferred",
            _S.WARNING,
            _C.POLICY_REJECTION,
            None,  # MAIL FROM, RCPT TO, DATA or the end of the message: where it was deferred
            title="The first connection was deferred (at MAIL FROM, RCPT TO or DATA), the next "
            "connection served.",
            message="The server deferred the walk's {command} with '{reply}', and the same walk "
            "on a new connection was served: the deferral is the first connection's only. "
            "Postfix's postscreen does this by design at RCPT TO when its tests after the 220 "
            "greeting (pipelining, non_smtp_command, bare_newline) are on: its own SMTP engine, "
            "which offers no PIPELINING, cannot hand the session to smtpd, so a new client that "
            "passes is deferred once and let in when it comes back; a greylisting filter with "
            "no delay, or one that defers at MAIL FROM or after the message (where a message "
            "to several recipients is judged once), does the same. Senders retry, so mail "
            "from a new sender arrives one retry late (minutes to an hour, by the sender's "
            "queue schedule); a client that does not retry (a device, an application's mail "
            "library) loses it.",
            permanence=Permanence.TEMPORARY,
            retry_helps=True,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "If the delay matters, turn off postscreen's tests after the 220 "
                        "greeting (the tests before it, DNSBL and pregreet, cost no retry), "
                        "or list the senders that must not wait in postscreen_access_list.",
                    ),
                    "postscreen_pipelining_enable = no\npostscreen_non_smtp_command_enable = "
                    "no\npostscreen_bare_newline_enable = no",
                    "postconf postscreen_pipelining_enable postscreen_non_smtp_command_enable "
                    "postscreen_bare_newline_enable",
                ),
                Fix(
                    MTA.GENERIC,
                    (
                        "Find the filter that defers a client's first connection (a "
                        "greylisting filter with no delay, a first-contact check) and "
                        "exempt the senders that do not retry.",
                    ),
                    "",
                    "swaks --server mx.example.com --to postmaster@example.com "
                    "--quit-after RCPT   # twice: the second is served",
                ),
            ),
            source="Postfix POSTSCREEN_README, 'Tests after the 220 SMTP server greeting'; "
            "RFC 5321 §4.2.1, §4.5.4.1",
            example={"reply": "450 4.3.2 Service currently unavailable", "command": "RCPT TO"},
        ),
        FindingSpec(
            "mail.null_sender_refused",
            _S.CRITICAL,
            _C.POLICY_REJECTION,
            None,
            title="The server refuses the null sender (MAIL FROM:<>), which bounces use.",
            message="The server refused the walk's null reverse-path {where} with '{reply}'. "
            "MAIL FROM:<> is the sender of every bounce, delivery status notification and "
            "read receipt, and RFC 5321 §4.5.5 and §6.1 have every server accept it: this "
            "server loses the bounces and DSNs sent to this domain (its users never learn "
            "that their mail failed), and callout checks by other servers against its "
            "addresses fail. An access rule aimed at the empty sender, or a filter that "
            "requires a sender address, refuses it. To see the path of ordinary mail, run "
            "again with --mail-from.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.POSTFIX,
                    (
                        "Postfix looks the null sender up as '<>' "
                        "(smtpd_null_access_lookup_key) in check_sender_access tables: "
                        "remove the '<>' entry that rejects it.",
                    ),
                    "postconf smtpd_sender_restrictions smtpd_recipient_restrictions; "
                    "postmap -q '<>' hash:/etc/postfix/sender_access",
                    "swaks --server mx.example.com --from '' --to postmaster@example.com "
                    "--quit-after RCPT",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "In the MAIL and RCPT ACLs, remove the statement that denies the "
                        "empty sender ('deny senders = :').",
                    ),
                    "exim -bP acl_smtp_mail acl_smtp_rcpt",
                    "exim -bh 192.0.2.1   # then: MAIL FROM:<>",
                ),
                Fix(
                    MTA.SENDMAIL,
                    ("Remove the access database entry that rejects the null sender.",),
                    "makemap -u hash /etc/mail/access | grep -F 'From:<>'",
                    "swaks --server mx.example.com --from '' --to postmaster@example.com "
                    "--quit-after RCPT",
                ),
                Fix(
                    MTA.EXCHANGE,
                    (
                        "The Sender Filter agent's blank sender blocking refuses MAIL "
                        "FROM:<>: turn it off.",
                    ),
                    "Set-SenderFilterConfig -BlankSenderBlockingEnabled $false",
                    "Get-SenderFilterConfig | Format-List BlankSenderBlockingEnabled",
                ),
            ),
            source="RFC 5321 §4.5.5, §6.1; RFC 3464; Postfix postconf(5) "
            "smtpd_null_access_lookup_key; Exchange Set-SenderFilterConfig",
            example={
                "reply": "554 5.7.1 <>: Sender address rejected: Access denied",
                "where": "after RCPT TO",
            },
        ),
        FindingSpec(
            "mail.parameter_refused",
            _S.CRITICAL,
            _C.OTHER,
            None,
            title="The server offers an extension, then refuses its MAIL FROM or RCPT TO "
            "parameter.",
            message="The server advertises {extensions} in its EHLO reply and refused our "
            "'{command}' with '{reply}': the parameter {parameters} belongs to an extension "
            "it offers, so it must take it (RFC 5321 §4.1.1.11 keeps 555 for parameters a "
            "server does not recognize or implement). Every sender that declares it fails "
            "here ({who}). The server offers what it does not do, or a filter or firewall in "
            "front of it that parses MAIL FROM itself relays the EHLO reply of the server "
            "behind it.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Take the parameters of every extension the EHLO reply offers, or stop "
                        "offering the extension; a proxy, content filter or firewall that "
                        "inspects SMTP must pass MAIL FROM's parameters (or strip the "
                        "keywords from the EHLO reply it relays).",
                    ),
                    "",
                    _EIGHT_BIT_CHECK,
                ),
                Fix(
                    MTA.POSTFIX,
                    (
                        "Postfix's own smtpd takes SIZE, BODY, SMTPUTF8 and the DSN "
                        "parameters; where a filter in front cannot, have Postfix stop "
                        "offering the extension.",
                    ),
                    "smtpd_discard_ehlo_keywords = 8bitmime, smtputf8, dsn",
                    "postconf smtpd_discard_ehlo_keywords",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Offer only what the server in front can take: 8BITMIME with "
                        "accept_8bitmime, SMTPUTF8 with smtputf8_advertise_hosts, DSN with "
                        "dsn_advertise_hosts.",
                    ),
                    "accept_8bitmime = false\nsmtputf8_advertise_hosts =\ndsn_advertise_hosts =",
                    "exim -bP accept_8bitmime smtputf8_advertise_hosts dsn_advertise_hosts",
                ),
            ),
            source="RFC 5321 §4.1.1.11, §4.2.3; RFC 1870 §6; RFC 6152 §3; RFC 6531 §3.4; "
            "RFC 3461 §4",
            example={
                "extensions": "8BITMIME",
                "command": "MAIL FROM:<> SIZE=1024 BODY=8BITMIME",
                "reply": "555 5.5.4 Unsupported option: BODY=8BITMIME",
                "parameters": "BODY=8BITMIME",
                "who": "Postfix, Exim and Exchange declare BODY=8BITMIME for every 8-bit message",
            },
        ),
        FindingSpec(
            "8bitmime.message_refused",
            _S.CRITICAL,
            _C.OTHER,
            Stage.MESSAGE,
            title="The server offers 8BITMIME, then refuses the 8-bit message.",
            message="The server advertises 8BITMIME, took 'BODY=8BITMIME' on MAIL FROM, and "
            "refused the 8-bit message after its end with '{reply}': it offers 8-bit "
            "transport and does not take it (RFC 6152 §3). Senders declare 8-bit mail (any "
            "message with non-ASCII text not encoded for 7 bits) and do not convert it for a "
            "server that offers 8BITMIME, so such mail fails here; the server, or a content "
            "filter behind it, refuses octets over 127.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Let 8-bit messages through (the content filter or the delivery "
                        "agent behind the server must take them), or stop offering "
                        "8BITMIME so that senders convert their mail to 7 bits first.",
                    ),
                    "",
                    _EIGHT_BIT_CHECK,
                ),
                Fix(
                    MTA.POSTFIX,
                    (
                        "Where a filter behind Postfix takes 7-bit data only, stop offering "
                        "8BITMIME (senders then convert).",
                    ),
                    "smtpd_discard_ehlo_keywords = 8bitmime",
                    "postconf smtpd_discard_ehlo_keywords",
                ),
                Fix(
                    MTA.EXIM,
                    ("The same: offer 8BITMIME only where the message can go on as it is.",),
                    "accept_8bitmime = false",
                    "exim -bP accept_8bitmime",
                ),
            ),
            source="RFC 6152 §3; RFC 3463 §3.7",
            example={"reply": "554 5.6.1 Body type not supported by Remote Host"},
        ),
        FindingSpec(
            "smtputf8.address_refused",
            _S.CRITICAL,
            _C.OTHER,
            None,
            title="The server offers SMTPUTF8, then refuses a UTF-8 address declared with it.",
            message="The server advertises SMTPUTF8, took it on MAIL FROM, and refused "
            "{address} with '{reply}': RFC 6531 §3.2 has a server that offers SMTPUTF8 take "
            "UTF-8 addresses, so every sender writing to a UTF-8 address fails here (senders "
            "do not convert an address). Its address parser, a filter in front of it, or the "
            "delivery behind it does not take UTF-8.",
            permanence=Permanence.PERMANENT,
            retry_helps=False,
            fixes=(
                Fix(
                    MTA.GENERIC,
                    (
                        "Take UTF-8 addresses wherever SMTPUTF8 is offered (the address "
                        "lookup and the delivery behind the server too), or stop offering "
                        "SMTPUTF8 and give the mailbox an ASCII address.",
                    ),
                    "",
                    "smtpdoctor diagnose mx.example.com --rcpt 'jörg@example.com'",
                ),
                Fix(
                    MTA.POSTFIX,
                    (
                        "Postfix takes UTF-8 addresses with smtputf8_enable = yes; its lookup "
                        "tables must hold the UTF-8 form.",
                    ),
                    "smtputf8_enable = yes",
                    "postconf smtputf8_enable",
                ),
                Fix(
                    MTA.EXIM,
                    (
                        "Exim built with SUPPORT_I18N: offer SMTPUTF8 only where the routers "
                        "take UTF-8 local parts.",
                    ),
                    "smtputf8_advertise_hosts = *",
                    "exim -bP smtputf8_advertise_hosts",
                ),
            ),
            source="RFC 6531 §3.2, §3.7.4; RFC 3463 §3.2",
            example={
                "address": "jörg@example.com",
                "reply": "553 5.6.7 Non-ASCII addresses not permitted for that recipient",
            },
        ),
    ]


SPECS: tuple[FindingSpec, ...] = (
    *_connect(),
    *_handshake(),
    *_endings(),
    *_tls(),
    *_certificate(),
    *_sni(),
    *_ehlo_and_notes(),
    *_eight_bit_and_utf8(),
)
