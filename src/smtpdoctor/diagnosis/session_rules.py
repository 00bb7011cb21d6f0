"""Rules: a walked session (and its certificate) → findings. Pure, no I/O.

Transport endings (reset, close, timeout, TLS alert) are judged here by stage
and outcome; a negative SMTP reply goes through the one text classifier
(:func:`smtpdoctor.diagnosis.classifier.classify_reply`), so a reply seen live
reads exactly as the same reply pasted into ``explain`` or found in a log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.diagnosis.findings import finding as _finding
from smtpdoctor.diagnosis.peers import PEERS, PeerProfile
from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.certificate import CertificateInfo
from smtpdoctor.evidence.session import Step
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import Category, Finding, Outcome, Permanence, Severity, Stage

__all__ = ["TLS_ORDER", "Policy", "SessionEvidence", "session_findings"]

TLS_ORDER = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


@dataclass(frozen=True, slots=True)
class Policy:
    """What the sending peer insists on (contract: ``--require-tls``)."""

    # The TLS floor the big receivers and senders enforce today (Microsoft 365,
    # Gmail and Yahoo refuse TLS 1.0/1.1); ``--require-tls`` overrides it.
    min_tls: str = "TLSv1.2"
    # True when the user said the peer *requires* TLS: then no STARTTLS, or a
    # certificate it cannot verify, stops mail instead of downgrading it.
    tls_required: bool = False
    peer: PeerProfile = PEERS["generic"]


@dataclass(frozen=True, slots=True)
class SessionEvidence:
    """What the rules need from a walk; the probe layer fills it in."""

    steps: Sequence[Step]
    starttls_offered: bool
    tls_version: str | None
    tls_cipher: str | None
    certificate: CertificateInfo | None
    size_limit: int | None  # EHLO SIZE, if advertised
    size_wanted: int | None
    notes: Sequence[str] = ()
    port: int = 25
    banner: str | None = None  # the greeting text
    ehlo_lines: Sequence[str] = ()  # the EHLO reply before TLS, as sent
    extensions_after_tls: Mapping[str, str] | None = None
    extensions_before_tls: Mapping[str, str] = field(default_factory=dict)
    # From the version matrix (probe.tls): which versions the server accepts,
    # how the ~1.5 KB ClientHello fared, Extended Master Secret, ciphers seen.
    tls_versions: Mapping[str, bool | None] = field(default_factory=dict)
    large_hello_outcome: str | None = None  # "ok", "timeout", "reset", ...
    extended_master_secret: bool | None = None
    ciphers_seen: Sequence[str] = ()
    peer_cipher_shared: bool | None = None  # at TLS 1.2, from the peer's own suite list


_STAGE_WORDS = {
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
_HOW = {
    Outcome.RESET: "reset the connection (TCP RST)",
    Outcome.CLOSED: "closed the connection without a reply",
    Outcome.TIMEOUT: "stopped answering until the deadline",
    Outcome.PROTOCOL_ERROR: "sent something that is not SMTP",
}


def _transport_finding(step: Step, port: int) -> Finding:
    """A step that ended without a reply: how, and where."""
    stage, outcome = step.stage, step.outcome
    ev: dict[str, Any] = {"outcome": outcome.value, "detail": step.detail}
    ev["elapsed_ms"] = round(step.elapsed_ms, 1)
    if stage is Stage.CONNECT:
        if outcome is Outcome.REFUSED:
            return _finding(
                "connect.refused",
                Severity.CRITICAL,
                Category.FIREWALL_BLOCK,
                stage,
                f"The connection to port {port} was refused: nothing listens there, or a "
                "firewall rejects it with a TCP reset.",
                **ev,
            )
        if outcome is Outcome.UNREACHABLE:
            return _finding(
                "connect.unreachable",
                Severity.CRITICAL,
                Category.FIREWALL_BLOCK,
                stage,
                "The host is unreachable (ICMP unreachable): a route is missing or a firewall "
                "answers for it.",
                **ev,
            )
        return _finding(
            "connect.timeout",
            Severity.CRITICAL,
            Category.FIREWALL_BLOCK,
            stage,
            f"No answer to the connection attempt on port {port} before the deadline: the port "
            "looks filtered (a firewall drops the packets).",
            **ev,
        )
    if stage is Stage.TLS_HANDSHAKE:
        if step.tls_alert == "protocol_version":
            who = (
                "we refused the version the server chose"
                if step.alert_sent
                else ("the server refused every version we offered")
            )
            return _finding(
                "tls.handshake.protocol_version",
                Severity.CRITICAL,
                Category.TLS_VERSION_MISMATCH,
                stage,
                f"The TLS handshake failed on the protocol version: {who}.",
                retry_helps=False,
                tls_alert=step.tls_alert,
                alert_sent_by_us=step.alert_sent,
                **ev,
            )
        if outcome is Outcome.TLS_ALERT:
            msg = f"The TLS handshake failed with alert {step.tls_alert}"
            msg += " (sent by us)." if step.alert_sent else " from the server."
        else:
            msg = f"The TLS handshake failed: the server {_HOW.get(outcome, outcome.value)}."
        return _finding(
            f"tls.handshake.{outcome.value}",
            Severity.CRITICAL,
            Category.TLS_HANDSHAKE_FAILURE,
            stage,
            msg,
            retry_helps=False,
            tls_alert=step.tls_alert,
            **ev,
        )
    where = _STAGE_WORDS.get(stage, f"at {stage.value}")
    if outcome is Outcome.TIMEOUT:
        return _finding(
            f"{stage.value}.timeout",
            Severity.CRITICAL,
            Category.NETWORK_TIMEOUT,
            stage,
            f"The server stopped answering {where}: the session stalled until the deadline.",
            **ev,
        )
    if outcome is Outcome.PROTOCOL_ERROR:
        return _finding(
            f"{stage.value}.protocol_error",
            Severity.CRITICAL,
            Category.OTHER,
            stage,
            f"The server broke the SMTP protocol {where}: {step.detail}",
            **ev,
        )
    return _finding(
        f"{stage.value}.dropped.{outcome.value}",
        Severity.CRITICAL,
        Category.CONNECTION_DROPPED,
        stage,
        f"The server {_HOW.get(outcome, outcome.value)} {where}.",
        **ev,
    )


def _reply_finding(step: Step, policy: Policy) -> Finding:
    # Imported here: the pattern library is only needed when a server said no.
    from smtpdoctor.diagnosis.classifier import classify_reply  # noqa: PLC0415

    assert step.reply is not None
    reply = step.reply
    c = classify_reply(reply, step.stage)
    severity = Severity.CRITICAL
    if step.stage is Stage.STARTTLS and not policy.tls_required:
        severity = Severity.WARNING  # opportunistic senders go on in plaintext
    return Finding(
        id=f"{step.stage.value}.reply.{reply.code}",
        severity=severity,
        category=c.category,
        stage=step.stage,
        message=f"The server answered {reply.code}"
        + (f" {reply.enhanced}" if reply.enhanced else "")
        + f" {_STAGE_WORDS.get(step.stage, 'at ' + step.stage.value)}: {c.meaning}",
        evidence={"reply": reply.to_json(), "classification": list(c.matched)},
        fixes=c.fixes or fixes_for(c.category, step.stage),
        permanence=c.permanence,
        retry_helps=c.retry_helps,
    )


def _tls_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    if not ev.starttls_offered:
        out.append(
            _finding(
                "starttls.not_offered",
                Severity.CRITICAL if policy.tls_required else Severity.WARNING,
                Category.STARTTLS_UNAVAILABLE,
                Stage.STARTTLS,
                "The server does not offer STARTTLS: mail to it travels in plaintext, and "
                "senders that require TLS (forced TLS connectors, MTA-STS enforce, DANE) "
                "cannot deliver at all.",
                permanence=Permanence.PERMANENT if policy.tls_required else Permanence.NONE,
                retry_helps=False,
            )
        )
        return out
    version = ev.tls_version
    if version is None:
        return out
    peer = policy.peer
    if _rank(version) < _rank(policy.min_tls):
        out.append(
            _finding(
                "tls.version.below_floor",
                Severity.CRITICAL,
                Category.TLS_VERSION_MISMATCH,
                Stage.TLS_HANDSHAKE,
                f"The best TLS version this server offers is {version}, below the "
                f"{policy.min_tls} that {peer.label} require(s): {peer.consequence}.",
                retry_helps=False,
                negotiated=version,
                floor=policy.min_tls,
                cipher=ev.tls_cipher,
                peer=peer.name,
                accepted=[v for v, ok in ev.tls_versions.items() if ok],
            )
        )
    else:
        out.append(
            _finding(
                "tls.negotiated",
                Severity.INFO,
                Category.OK,
                Stage.TLS_HANDSHAKE,
                f"TLS negotiated: {version} with {ev.tls_cipher}.",
                permanence=Permanence.NONE,
                negotiated=version,
                cipher=ev.tls_cipher,
            )
        )
    out += _matrix_findings(ev, policy)
    if ev.certificate is not None:
        out += _certificate_findings(ev.certificate, policy)
    return out


def _matrix_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    """What the version matrix and the extra ClientHellos showed."""
    out: list[Finding] = []
    accepted = [v for v in TLS_ORDER if ev.tls_versions.get(v)]
    legacy = [v for v in accepted if _rank(v) < _rank(policy.min_tls)]
    if ev.tls_versions.get("SSLv3"):
        out.append(
            _finding(
                "tls.versions.sslv3",
                Severity.WARNING,
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                "The server still accepts SSLv3 (RFC 7568 forbids it).",
                permanence=Permanence.NONE,
                accepted=accepted,
            )
        )
    if legacy and len(legacy) < len(accepted):
        out.append(
            _finding(
                "tls.versions.legacy_accepted",
                Severity.INFO,
                Category.OK,
                Stage.TLS_HANDSHAKE,
                f"Besides {', '.join(v for v in accepted if v not in legacy)}, the server also "
                f"accepts {', '.join(legacy)} (deprecated by RFC 8996); peers pick the newest, so "
                "this costs no deliveries.",
                permanence=Permanence.NONE,
                accepted=accepted,
            )
        )
    if ev.large_hello_outcome in ("timeout", "reset", "closed"):
        out.append(
            _finding(
                "tls.large_client_hello",
                Severity.CRITICAL,
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                f"A ~1.5 KB ClientHello (the size a post-quantum key share gives, OpenSSL 3.5's "
                f"default) got no ServerHello ({ev.large_hello_outcome}) while a small one passes: "
                "senders on OpenSSL 3.5 or newer will see the session hang or drop in the TLS "
                "handshake. Usually a middlebox or a path that loses large first flights.",
                retry_helps=False,
                outcome=ev.large_hello_outcome,
            )
        )
    if ev.peer_cipher_shared is False:
        peer = policy.peer
        only_12 = "TLSv1.3" not in accepted
        out.append(
            _finding(
                "tls.cipher.none_shared_with_peer",
                Severity.CRITICAL if only_12 else Severity.WARNING,
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                f"At TLS 1.2 the server accepts none of the cipher suites {peer.label} offer(s), "
                "or can only sign with SHA-1, which OpenSSL 3 peers refuse"
                + (
                    f": {peer.consequence}."
                    if only_12
                    else "; TLS 1.3 still works, so only peers capped at TLS 1.2 fail."
                ),
                retry_helps=False,
                peer=peer.name,
            )
        )
    if ev.extended_master_secret is False:
        out.append(
            _finding(
                "tls.ems.missing",
                Severity.WARNING,
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                "The server does not support Extended Master Secret (RFC 7627) at TLS 1.2 and "
                "below: peers in FIPS mode and hardened SChannel builds refuse such handshakes.",
                retry_helps=False,
            )
        )
    weak = sorted({c for c in ev.ciphers_seen if weak_cipher_name(c)})
    if weak:
        out.append(
            _finding(
                "tls.cipher.weak",
                Severity.WARNING,
                Category.TLS_HANDSHAKE_FAILURE,
                Stage.TLS_HANDSHAKE,
                f"The server chose weak cipher suites ({', '.join(weak)}): export, NULL, RC4 and "
                "3DES suites are refused by current OpenSSL and SChannel peers.",
                retry_helps=False,
                ciphers=weak,
            )
        )
    return out


_WEAK_MARKS = ("NULL", "EXPORT", "RC4", "3DES", "DES_CBC3", "DES-CBC3", "_DES_", "MD5", "ANON")


def weak_cipher_name(name: str) -> bool:
    """Export, NULL, anonymous, RC4, (3)DES or MD5 suites (IANA or OpenSSL names)."""
    upper = name.upper()
    return any(mark in upper for mark in _WEAK_MARKS)


def _ehlo_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    masked_banner = bool(ev.banner) and set((ev.banner or "").replace(" ", "")) <= {"*", "2", "0"}
    rewritten = any(line.strip().upper().startswith("XXXXXXXA") for line in ev.ehlo_lines)
    if masked_banner or rewritten:
        what = []
        if masked_banner:
            what.append("the banner is masked with asterisks")
        if rewritten:
            what.append("STARTTLS is rewritten to XXXXXXXA in the EHLO reply")
        out.append(
            _finding(
                "middlebox.esmtp_inspection",
                Severity.CRITICAL if policy.tls_required else Severity.WARNING,
                Category.STARTTLS_UNAVAILABLE,
                Stage.EHLO,
                "A firewall doing ESMTP inspection sits in front of this server "
                f"({'; '.join(what)}): it hides STARTTLS, so mail goes in plaintext or fails "
                "where TLS is required, and it cuts long command lines. Turn the inspection "
                "off for SMTP (Cisco ASA/FTD: 'no inspect esmtp' in the policy map).",
                retry_helps=False,
                banner=ev.banner,
            )
        )
    after = ev.extensions_after_tls
    if after is not None:
        gained = sorted(set(after) - set(ev.extensions_before_tls))
        lost = sorted(set(ev.extensions_before_tls) - set(after) - {"STARTTLS"})
        if gained or lost:
            out.append(
                _finding(
                    "starttls.capabilities_change",
                    Severity.INFO,
                    Category.OK,
                    Stage.EHLO,
                    "The EHLO capabilities change after TLS"
                    + (f": offered only under TLS: {', '.join(gained)}" if gained else "")
                    + (f"; withdrawn under TLS: {', '.join(lost)}" if lost else "")
                    + " (normal for AUTH; RFC 3207 §4.2: forget what was learnt before TLS).",
                    permanence=Permanence.NONE,
                    gained=gained,
                    lost=lost,
                )
            )
    return out


def _certificate_findings(cert: CertificateInfo, policy: Policy) -> list[Finding]:
    sev = Severity.CRITICAL if policy.tls_required else Severity.WARNING
    care = (
        " Opportunistic TLS senders deliver anyway; senders that verify (Exchange send "
        "connectors with TlsAuthLevel CertificateValidation or DomainValidation, MTA-STS "
        "enforce, DANE) refuse it."
    )
    out: list[Finding] = []

    def add(fid: str, message: str, **evidence: Any) -> None:
        out.append(
            _finding(
                fid,
                sev,
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                message + care,
                retry_helps=False,
                **evidence,
            )
        )

    if cert.expired:
        add(
            "tls.certificate.expired",
            f"The certificate expired {-cert.days_left} days ago ({cert.not_after:%Y-%m-%d}).",
            days_left=cert.days_left,
        )
    elif cert.not_yet_valid:
        add(
            "tls.certificate.not_yet_valid",
            "The certificate is not valid yet (check the "
            "server's clock and the certificate's start date).",
        )
    if cert.self_signed:
        add("tls.certificate.self_signed", "The certificate is self-signed.")
    elif not cert.trusted:
        add(
            "tls.certificate.untrusted",
            f"The certificate does not chain to a trusted CA: {cert.trust_error}.",
            trust_error=cert.trust_error,
        )
        if not cert.chain_complete:
            add(
                "tls.certificate.chain_incomplete",
                "The server does not send the intermediate certificates needed to build the chain.",
            )
    if cert.names_checked and not cert.hostname_match:
        add(
            "tls.certificate.name_mismatch",
            f"The certificate does not name this server: it "
            f"covers {', '.join(cert.san) or 'no names'}, not "
            f"{' or '.join(cert.names_checked)}.",
            checked=cert.names_checked,
            san=cert.san,
        )
    if 0 <= cert.days_left < 14 and not cert.expired:
        out.append(
            _finding(
                "tls.certificate.expires_soon",
                Severity.WARNING,
                Category.TLS_CERTIFICATE,
                Stage.TLS_HANDSHAKE,
                f"The certificate expires in {cert.days_left} days.",
                days_left=cert.days_left,
            )
        )
    if cert.key_type == "RSA" and cert.key_bits < 2048:
        add(
            "tls.certificate.weak_key",
            f"The certificate's RSA key has {cert.key_bits} bits; "
            "OpenSSL 3 peers refuse keys under 2048 bits.",
            key_bits=cert.key_bits,
        )
    if cert.signature_algorithm.lower().startswith(("sha1", "md5")):
        add(
            "tls.certificate.weak_signature",
            f"The certificate is signed with "
            f"{cert.signature_algorithm}, which OpenSSL 3 peers refuse.",
        )
    return out


def _rank(version: str) -> int:
    return TLS_ORDER.index(version) if version in TLS_ORDER else len(TLS_ORDER)


def session_findings(ev: SessionEvidence, policy: Policy | None = None) -> list[Finding]:
    """Every finding a walked session supports, most severe first."""
    policy = policy or Policy()
    findings: list[Finding] = []
    failed = next(
        (s for s in ev.steps if s.outcome is not Outcome.OK and s.stage is not Stage.QUIT), None
    )
    reached_tls = any(s.stage is Stage.TLS_HANDSHAKE and s.outcome is Outcome.OK for s in ev.steps)
    starttls_refused = any(
        s.stage is Stage.STARTTLS and s.outcome is Outcome.REPLY for s in ev.steps
    )
    for step in ev.steps:
        if step.outcome is Outcome.REPLY and step.stage is not Stage.QUIT:
            findings.append(_reply_finding(step, policy))
    if failed is not None and failed.outcome is not Outcome.REPLY:
        findings.append(_transport_finding(failed, ev.port))
    greeted = any(s.stage is Stage.EHLO and s.outcome is Outcome.OK for s in ev.steps)
    if greeted and not starttls_refused and (reached_tls or not ev.starttls_offered):
        findings += _tls_findings(ev, policy)
    if greeted:
        findings += _ehlo_findings(ev, policy)
    if ev.size_limit and ev.size_wanted and ev.size_wanted > ev.size_limit:
        findings.append(
            _finding(
                "size.over_limit",
                Severity.CRITICAL,
                Category.MESSAGE_SIZE,
                Stage.MAIL_FROM,
                f"A message of {ev.size_wanted} bytes is over this server's advertised limit of "
                f"{ev.size_limit} bytes (EHLO SIZE).",
                permanence=Permanence.PERMANENT,
                retry_helps=False,
                size_limit=ev.size_limit,
                size=ev.size_wanted,
            )
        )
    for note in ev.notes:
        if note.startswith("the server sent plaintext after"):
            findings.append(
                _finding(
                    "starttls.plaintext_injection",
                    Severity.WARNING,
                    Category.OTHER,
                    Stage.STARTTLS,
                    f"{note[0].upper()}{note[1:]}: a STARTTLS command-injection "
                    "weakness (RFC 3207 §4.2; CVE-2011-0411 class).",
                    permanence=Permanence.NONE,
                )
            )
        else:
            findings.append(
                _finding(
                    "session.note",
                    Severity.INFO,
                    Category.OK,
                    Stage.NONE,
                    note,
                    permanence=Permanence.NONE,
                )
            )
    return sort_findings(findings)
