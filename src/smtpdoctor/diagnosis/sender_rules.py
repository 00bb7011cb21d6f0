"""Rules for the *sending* side: a :class:`ReceivedSession` → findings → the sender's verdict.

What ``smtpdoctor receive`` saw a sending server do: the TLS it offers (its
ClientHello) and whether it used STARTTLS, its EHLO name against its PTR (the
``dns.*`` sender rules of :mod:`.dns_rules`), its protocol faults, its
message, and how it coped with what the receiver did on purpose
(``--as PROFILE``): a plaintext fallback, a retry, a timeout shorter than
RFC 5321 allows. Pure: every finding from the catalogue.
"""

from __future__ import annotations

from dataclasses import replace

from smtpdoctor.diagnosis.dns_rules import sender_findings
from smtpdoctor.diagnosis.verdict import sort_findings, verdict_for
from smtpdoctor.evidence.receive import Ending, MessageFacts, ReceivedSession, Violation
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Category, Finding, Severity, Stage, Status, Verdict

__all__ = ["MINIMUM_TIMEOUTS", "judge", "session_findings"]

# RFC 5321 §4.5.3.2: the least a client should wait for each reply, in seconds.
MINIMUM_TIMEOUTS: dict[Stage, tuple[str, int]] = {
    Stage.GREETING: ("the greeting", 300),
    Stage.EHLO: ("EHLO", 300),
    Stage.STARTTLS: ("STARTTLS", 300),
    Stage.MAIL_FROM: ("MAIL FROM", 300),
    Stage.RCPT_TO: ("RCPT TO", 300),
    Stage.DATA: ("DATA", 120),
    Stage.MESSAGE: ("the end of data", 600),
}
# Profiles that refuse on purpose what a healthy sender may well lack: a
# handshake failure under them says how the sender copes, not that it is broken.
_STRICT_TLS_PROFILES = frozenset({"tls13-only", "tls12-only", "legacy-tls", "require-client-cert"})


def judge(session: ReceivedSession) -> tuple[list[Finding], Verdict]:
    """Every finding about the sender, most severe first, and the verdict."""
    findings = sort_findings(session_findings(session))
    verdict = verdict_for(findings)
    if verdict.status is Status.OK:
        verdict = replace(verdict, summary="The sender did nothing wrong that this session showed.")
    return findings, verdict


def session_findings(s: ReceivedSession) -> list[Finding]:
    out = _hello_findings(s) + _starttls_findings(s) + _protocol_findings(s)
    out += _abandoned(s) + _message_findings(s) + _coping_findings(s)
    if s.dns is not None:
        out += sender_findings(s.dns)
    return out


def _hello_findings(s: ReceivedSession) -> list[Finding]:
    hello = s.tls.hello
    if hello is None:
        return []
    ev = {"client_hello": hello.to_json()}
    out: list[Finding] = []
    if hello.legacy_only:
        out.append(
            finding("sender.tls.legacy_only", evidence=ev, offered=", ".join(hello.versions))
        )
    elif not hello.offers_tls13:
        out.append(finding("sender.tls.no_tls13", evidence=ev, top="TLSv1.2"))
    if hello.weak_ciphers:
        weak = hello.weak_ciphers
        out.append(
            finding(
                "sender.tls.weak_ciphers",
                evidence={"weak_ciphers": list(weak)},
                count=len(weak),
                ciphers=", ".join(weak[:4]) + (", ..." if len(weak) > 4 else ""),
            )
        )
    if hello.post_quantum:
        out.append(
            finding(
                "sender.tls.post_quantum",
                evidence={"groups": list(hello.post_quantum), "size": hello.size},
                groups=", ".join(hello.post_quantum),
                size=hello.size,
            )
        )
    return out


# Alerts a client sends when it does not accept the server's certificate (RFC 8446 §6.2).
_CERTIFICATE_ALERTS = frozenset(
    {
        "bad_certificate",
        "unsupported_certificate",
        "certificate_revoked",
        "certificate_expired",
        "certificate_unknown",
        "unknown_ca",
    }
)


def _handshake_failure(s: ReceivedSession) -> Finding:
    tls = s.tls
    reason = tls.handshake_error or "the connection ended"
    if tls.hello is None and tls.hello_error is not None:
        # Not a TLS client at that point: plaintext, an SSLv2 hello, an alert, nothing.
        sslv2 = "SSLv2" in tls.hello_error
        category = Category.TLS_VERSION_MISMATCH if sslv2 else Category.TLS_HANDSHAKE_FAILURE
        return finding(
            "sender.tls.no_client_hello",
            evidence={"error": reason, "sent": tls.hello_error},
            category=category,
            what=tls.hello_error,
        )
    alert = reason.removeprefix("alert ").removesuffix(" from the sender")
    if reason.endswith("from the sender") and alert in _CERTIFICATE_ALERTS:
        how = f"ended the handshake with the alert {alert}: it verifies the receiver's certificate"
        return finding("sender.tls.certificate_refused", evidence={"error": reason}, how=how)
    legacy = tls.hello is not None and tls.hello.legacy_only
    if s.profile == "require-client-cert" and tls.client_certificate is not True:
        how = "presented none" if "certificate" not in reason else f"failed: {reason}"
        return finding("sender.tls.no_client_certificate", evidence={"error": reason}, how=how)
    if s.profile in _STRICT_TLS_PROFILES and not legacy:
        severity = Severity.INFO if s.profile == "legacy-tls" else Severity.WARNING
    else:
        severity = Severity.CRITICAL
    category = (
        Category.TLS_VERSION_MISMATCH
        if "version" in reason or legacy
        else Category.TLS_HANDSHAKE_FAILURE
    )
    offered = ", ".join(tls.hello.versions) if tls.hello else "unknown"
    return finding(
        "sender.tls.handshake_failed",
        evidence={"error": reason, "offered": offered, "profile": s.profile},
        severity=severity,
        category=category,
        retry_helps=False,
        reason=f"{reason} (the sender offered {offered}; the receiver ran --as {s.profile})",
    )


def _starttls_findings(s: ReceivedSession) -> list[Finding]:
    tls = s.tls
    out: list[Finding] = []
    if any(v.kind == "implicit_tls" for v in s.violations):
        out.append(finding("sender.tls.implicit_tls", evidence={"error": tls.handshake_error}))
    elif tls.attempted and tls.starttls_reply == 220 and tls.version is None:
        out.append(_handshake_failure(s))
    if tls.client_certificate:
        subject = tls.client_certificate_subject or "subject unknown"
        out.append(finding("sender.tls.client_certificate", subject=subject))
    if s.helo_verb == "HELO" and tls.offered is False:
        out.append(finding("sender.smtp.helo", evidence={"helo": s.helo}))
    if (
        tls.offered
        and not tls.attempted
        and tls.version is None
        and s.ended_stage
        not in (
            Stage.GREETING,
            Stage.EHLO,
        )
    ):
        how = "delivered the message" if s.delivered else "went on"
        out.append(finding("sender.tls.starttls_not_used", how=how))
    left = [v for v in s.violations if v.kind == "left_after_tls"]
    if left and not s.delivered:
        how = (
            f"completed TLS ({tls.version}) and left without a MAIL FROM, as a sender that "
            "verifies the receiver's certificate does when it fails (Postfix logs 'Server "
            "certificate not verified'; or it had nothing to send)"
        )
        out.append(
            finding("sender.tls.certificate_refused", evidence={"after": left[0].detail}, how=how)
        )
    fallback = _fallback(s)
    if fallback is not None:
        out.append(fallback)
    return out


def _fallback(s: ReceivedSession) -> Finding | None:
    """Plaintext delivery after a refused STARTTLS (this session) or a failed handshake (before)."""
    if not s.delivered or s.tls.version is not None:
        return None
    if s.tls.attempted and s.tls.starttls_reply not in (None, 220):
        what, when = f"STARTTLS was refused with {s.tls.starttls_reply}", "in the same session"
    elif s.previous is not None and s.previous.tls_failed and s.previous.seconds_before < 3600:
        what = "the TLS handshake failed (or STARTTLS was refused) in its previous session"
        when = f"on a new connection {s.previous.seconds_before:.1f} s later"
    else:
        return None
    return finding(
        "sender.tls.plaintext_fallback", evidence={"profile": s.profile}, what=what, when=when
    )


_PATH_KINDS = {"mail_syntax": "MAIL FROM", "rcpt_syntax": "RCPT TO"}


def _protocol_findings(s: ReceivedSession) -> list[Finding]:
    out: list[Finding] = []
    by_kind: dict[str, list[Violation]] = {}
    for v in s.violations:
        by_kind.setdefault(v.kind, []).append(v)
    if pipelined := by_kind.get("pipelining"):
        v = pipelined[0]
        command, _, rest = v.detail.partition(" -> ")
        nxt, _, why = rest.partition(" | ")
        out.append(
            finding(
                "sender.smtp.pipelining",
                evidence={"count": len(pipelined)},
                stage=v.stage,
                command=command,
                next=nxt,
                why=why,
            )
        )
    if bare := by_kind.get("bare_lf_command"):
        out.append(
            finding(
                "sender.smtp.bare_lf_command",
                stage=bare[0].stage,
                count=len(bare),
                command=bare[0].detail,
            )
        )
    if long := by_kind.get("line_too_long"):
        out.append(
            finding(
                "sender.smtp.line_too_long",
                stage=long[0].stage,
                count=len(long),
                what="command line(s)",
                limit=512,
                longest=long[0].detail,
            )
        )
    for kind, command in _PATH_KINDS.items():
        if bad := by_kind.get(kind):
            faults, _, line = bad[0].detail.partition(": ")
            out.append(
                finding(
                    "sender.smtp.path_syntax",
                    stage=bad[0].stage,
                    command=command,
                    faults=faults,
                    line=line,
                )
            )
    out += _odd_command_findings(s.violations, by_kind)
    if not s.quit_sent and s.ending in (Ending.CLIENT_CLOSED, Ending.CLIENT_RESET) and s.delivered:
        how = "reset the connection" if s.ending is Ending.CLIENT_RESET else "closed the connection"
        out.append(finding("sender.smtp.no_quit", how=how))
    return out


_LEFT = {
    Ending.CLIENT_CLOSED: "closed the connection",
    Ending.CLIENT_RESET: "reset the connection",
    Ending.IDLE: "was timed out by the receiver",
}


def _odd_command_findings(
    violations: tuple[Violation, ...], by_kind: dict[str, list[Violation]]
) -> list[Finding]:
    """Pregreet, EHLO syntax, order, unknown commands, AUTH, 8-bit, NUL, an abandoned transfer."""
    out: list[Finding] = []
    if early := by_kind.get("pregreet"):
        count, _, line = early[0].detail.partition(" byte(s) before the greeting: ")
        out.append(finding("sender.smtp.pregreet", count=int(count), line=line))
    if helo := by_kind.get("helo_syntax"):
        line, _, fault = helo[0].detail.partition(": ")
        out.append(finding("sender.smtp.helo_syntax", line=line, fault=fault))
    if order := by_kind.get("sequence"):
        v = order[0]
        out.append(finding("sender.smtp.sequence", stage=v.stage, count=len(order), what=v.detail))
    unknown = [v for v in violations if v.kind in ("unoffered", "unknown_command")]
    if unknown:
        v = unknown[0]
        command, _, why = v.detail.partition(" | ")
        out.append(
            finding(
                "sender.smtp.unknown_command",
                stage=v.stage,
                count=len(unknown),
                command=command,
                why=f" ({why})" if why else "",
            )
        )
    if auth := by_kind.get("auth"):
        detail = auth[0].detail.partition(" | ")[0]
        clear = "in plaintext" in detail and "credentials" in detail
        out.append(
            finding(
                "sender.smtp.auth_unoffered",
                severity=Severity.CRITICAL if clear else Severity.WARNING,
                detail=detail,
                clear=" Its credentials crossed the network unencrypted." if clear else "",
            )
        )
    if eight := by_kind.get("eight_bit", []) + by_kind.get("utf8_address", []):
        out.append(finding("sender.smtp.eight_bit", stage=eight[0].stage, detail=eight[0].detail))
    if params := by_kind.get("unoffered_parameter"):
        what, _, extension = params[0].detail.partition(" | ")
        out.append(
            finding(
                "sender.smtp.unoffered_parameter",
                stage=params[0].stage,
                count=len(params),
                parameter=what,
                extension=extension,
            )
        )
    if many := by_kind.get("many_recipients"):
        out.append(finding("sender.smtp.many_recipients", detail=many[0].detail))
    if nul := by_kind.get("nul"):
        out.append(finding("sender.smtp.nul", stage=nul[0].stage, detail=nul[0].detail))
    return out


def _abandoned(s: ReceivedSession) -> list[Finding]:
    left = [v for v in s.violations if v.kind == "abandoned"]
    if not left or s.ending not in _LEFT:
        return []
    return [
        finding(
            "sender.smtp.abandoned", stage=s.ended_stage, how=_LEFT[s.ending], when=left[0].detail
        )
    ]


def _size_slack(m: MessageFacts) -> int:
    """How far below the bytes sent a SIZE declaration may be and still be an estimate.

    RFC 1870 makes SIZE the client's estimate. Real MTAs that keep messages
    with bare LF count one octet short per line, and a relay adds its own
    trace header fields after the size is known: Sendmail 8.17 declares
    SIZE=104033 for 106362 octets sent (2,009 lines, a 360-octet header), and
    SIZE=34 for a 375-octet message whose header it wrote. An understatement
    within the line ends and the header block is how such senders declare;
    beyond that the declaration is wrong.
    """
    return m.lines + m.header_bytes


def _message_findings(s: ReceivedSession) -> list[Finding]:
    out: list[Finding] = []
    for m in s.messages[:1]:  # the first message speaks for the sender
        ev = m.to_json()
        if m.smuggling:
            out.append(finding("sender.smtp.smuggling", evidence=ev, count=m.smuggling))
        if m.bare_lf or m.bare_cr:
            out.append(finding("sender.smtp.bare_lf", evidence=ev, lf=m.bare_lf, cr=m.bare_cr))
        if m.long_lines:
            out.append(
                finding(
                    "sender.smtp.line_too_long",
                    evidence=ev,
                    stage=Stage.MESSAGE,
                    count=m.long_lines,
                    what="message line(s)",
                    limit=1000,
                    longest=m.longest_line,
                )
            )
        if m.declared_size is not None and m.size - m.declared_size > _size_slack(m):
            out.append(
                finding(
                    "sender.smtp.size_understated",
                    evidence=ev,
                    declared=m.declared_size,
                    size=m.size,
                )
            )
        if m.declared_size is None and s.helo_verb == "EHLO":
            out.append(finding("sender.smtp.size_not_declared", evidence=ev))
        if not m.dkim_signed:
            out.append(finding("sender.message.no_dkim", evidence=ev))
    return out


def _coping_findings(s: ReceivedSession) -> list[Finding]:
    out: list[Finding] = []
    if s.gave_up_waiting_s is not None and s.ended_stage in MINIMUM_TIMEOUTS:
        command, minimum = MINIMUM_TIMEOUTS[s.ended_stage]
        if s.gave_up_waiting_s < minimum:
            out.append(
                finding(
                    "sender.behaviour.gave_up_early",
                    stage=s.ended_stage,
                    waited=round(s.gave_up_waiting_s, 1),
                    command=command,
                    minimum=minimum,
                )
            )
    if s.previous is not None and not s.previous.delivered:
        p = s.previous
        out.append(
            finding(
                "sender.behaviour.retried",
                evidence=p.to_json(),
                seconds=round(p.seconds_before, 1),
                previous=_previous_words(p.ending, p.delivered),
            )
        )
    if s.receiver_action:
        out.append(
            finding(
                "sender.behaviour.coped",
                stage=s.ended_stage,
                profile=s.profile,
                action=s.receiver_action,
                reaction=_reaction(s),
            )
        )
    return out


def _previous_words(ending: Ending, delivered: bool) -> str:
    words = {
        Ending.REFUSED: "we refused",
        Ending.DROPPED: "we dropped",
        Ending.TLS_FAILED: "ended in a failed TLS handshake",
        Ending.QUIT: "ended with QUIT",
        Ending.CLIENT_CLOSED: "the sender closed",
        Ending.CLIENT_RESET: "the sender reset",
        Ending.IDLE: "timed out",
    }
    text = words.get(ending, ending.value)
    return text + (" after delivering" if delivered else " before any message was delivered")


def _reaction(s: ReceivedSession) -> str:
    if s.gave_up_waiting_s is not None:
        return f"gave up after waiting {s.gave_up_waiting_s:.1f} s"
    if s.delivered:
        return "delivered" + (" over TLS" if s.tls.version else " in plaintext")
    return {
        Ending.QUIT: "sent QUIT",
        Ending.CLIENT_CLOSED: "closed the connection",
        Ending.CLIENT_RESET: "reset the connection",
        Ending.IDLE: "went silent",
    }.get(s.ending, "did not deliver in this session (a retry, if any, shows as a new session)")
