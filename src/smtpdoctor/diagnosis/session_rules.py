"""Rules: a walked session (and its certificate) → findings. Pure, no I/O.

Transport endings (reset, close, timeout, TLS alert) are judged here by stage
and outcome; a negative SMTP reply goes through the one text classifier
(:func:`smtpdoctor.diagnosis.classifier.classify_reply`), so a reply seen live
reads exactly as the same reply pasted into ``explain`` or found in a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from itertools import pairwise
from typing import TYPE_CHECKING

from smtpdoctor.diagnosis.peers import PEERS, PeerProfile
from smtpdoctor.diagnosis.verdict import sort_findings
from smtpdoctor.evidence.certificate import CHAINS_BUT, CertificateInfo
from smtpdoctor.evidence.session import (
    AUTH_EXCHANGE_BROKEN,
    AUTH_NO_PASSWORD_MECHANISM,
    AUTH_UNSUPPORTED_MECHANISM,
    CLOSED_AT_RSET,
    CUT_LINE,
    EIGHTBITMIME_NOT_OFFERED,
    FIRST_DEFERRED,
    LOGIN_LOOP,
    REORDERED,
    SMTPUTF8_NOT_OFFERED,
    STARTTLS_NOT_220,
    Step,
)
from smtpdoctor.fastdataclass import dataclass
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.knowledge.catalogue.session import HOW, STAGE_WORDS
from smtpdoctor.knowledge.services import other_service
from smtpdoctor.model import Category, Finding, Outcome, Permanence, Severity, Stage
from smtpdoctor.protocol.reply import TLS_RECORD_WORDS
from smtpdoctor.protocol.tlsdata import ALERT_DESCRIPTIONS

if TYPE_CHECKING:
    from typing import Any

    from smtpdoctor.protocol.reply import Reply

__all__ = [
    "TLS_ORDER",
    "Policy",
    "SessionEvidence",
    "certificate_problems",
    "session_findings",
]

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
    # The first line where the greeting was due, when it was no SMTP reply.
    unparsed_greeting: bytes = b""
    ehlo_lines: Sequence[str] = ()  # the EHLO reply before TLS, as sent
    extensions_after_tls: Mapping[str, str] | None = None
    extensions_before_tls: Mapping[str, str] = field(default_factory=dict)
    # From the version matrix (probe.tls): which versions the server accepts,
    # how the ~1.5 KB ClientHello fared, Extended Master Secret, ciphers seen.
    tls_versions: Mapping[str, bool | None] = field(default_factory=dict)
    large_hello_outcome: str | None = None  # "ok", "timeout", "reset", ...
    # The group the server chose for the large hello at TLS 1.3 (its key share,
    # or its HelloRetryRequest's), offered every group; None when not seen.
    tls13_group: str | None = None
    # The walk's DH group size in bits, where it settled on a DHE suite.
    tls_dh_bits: int | None = None
    # For a server whose chosen group is one many senders lack: whether a hello
    # offering only X25519, P-256 and P-384 was served (doctor.recheck); None
    # when not asked.
    common_groups_served: bool | None = None
    extended_master_secret: bool | None = None
    ciphers_seen: Sequence[str] = ()
    implicit_tls: bool = False  # the walk spoke TLS from the first byte
    peer_cipher_shared: bool | None = None  # at TLS 1.2, from the peer's own suite list
    # Certificates other connections to the address were served (the matrix's
    # hellos below TLS 1.3), where not the walk's.
    other_certificates: Sequence[CertificateInfo] = ()
    # For a walk's certificate of a kind many senders cannot use: whether a
    # hello offering only RSA and ECDSA signatures was served one they can
    # (doctor.recheck); None when not asked.
    common_key_served: bool | None = None


def _auth_not_offered(ev: SessionEvidence) -> Finding:
    """--auth given, and the EHLO reply it would follow names no AUTH."""
    tls = ev.extensions_after_tls is not None
    before = tls and "AUTH" in ev.extensions_before_tls
    return finding(
        "auth.not_offered",
        evidence={"under_tls": tls, "offered_before_tls": before},
        where=" under TLS" if tls else "",
        before=" (it offered AUTH before STARTTLS only, and withdrew it under TLS)"
        if before
        else "",
    )


def _auth_challenge_finding(step: Step, evidence: dict[str, Any]) -> Finding:
    """An AUTH exchange that ended on a 334. RFC 4954 §4 allows a challenge, but
    PLAIN's initial response, and LOGIN's user name and password, said all there is:
    the server did not take them; a CRAM-MD5 or SCRAM challenge the walk could not
    answer broke the exchange."""
    if step.detail.startswith(LOGIN_LOOP):
        return finding("auth.login_challenge_loop", evidence=evidence)
    if step.detail.startswith(AUTH_EXCHANGE_BROKEN):
        mechanism, _, why = step.detail.removeprefix(AUTH_EXCHANGE_BROKEN).partition(": ")
        return finding("auth.exchange_broken", evidence=evidence, mechanism=mechanism, why=why)
    return finding("auth.challenge_after_initial_response", evidence=evidence)


def _transport_finding(step: Step, port: int, implicit_tls: bool = False) -> Finding:
    """A step that ended without a reply: how, and where."""
    stage, outcome = step.stage, step.outcome
    ev: dict[str, Any] = {"outcome": outcome.value, "detail": step.detail}
    ev["elapsed_ms"] = round(step.elapsed_ms, 1)
    if stage is Stage.AUTH and step.reply is not None and step.reply.code == 334:
        return _auth_challenge_finding(step, {"reply": step.reply.to_json(), **ev})
    if stage is Stage.CONNECT:
        fid = {Outcome.REFUSED: "connect.refused", Outcome.UNREACHABLE: "connect.unreachable"}
        return finding(fid.get(outcome, "connect.timeout"), evidence=ev, port=port)
    if stage is Stage.TLS_HANDSHAKE:
        return _handshake_finding(step, ev, port, implicit_tls)
    where = _where(step)
    if step.out_of_turn:
        if step.reply is not None:
            ev["reply"] = step.reply.to_json()
        return finding("session.reply_out_of_turn", evidence=ev, stage=stage, where=where)
    if outcome is Outcome.TLS_ALERT and not step.alert_sent and step.tls_alert in _ALERT_NAMES:
        # Under TLS, after the handshake: a TLS 1.3 server's late verdict on it.
        hint = _LATE_ALERTS.get(step.tls_alert or "", "")
        evidence = {"tls_alert": step.tls_alert, "stage": stage.value, **ev}
        alert = step.tls_alert or "(unnamed)"
        return finding(
            "tls.handshake.alert_after", evidence=evidence, tls_alert=alert, where=where, hint=hint
        )
    if outcome is Outcome.TLS_ALERT and step.alert_sent:
        # Our TLS library refused a record after the handshake: the alert is ours.
        reason = step.tls_alert or "(unnamed)"
        evidence = {"tls_alert": step.tls_alert, "alert_sent_by_us": True, **ev}
        hint = _REFUSED_RECORDS.get(reason, "")
        return finding(
            "tls.record.refused",
            evidence=evidence,
            stage=stage,
            where=where,
            reason=reason,
            hint=hint,
        )
    if outcome is Outcome.TIMEOUT and step.trickled:
        return finding("{stage}.tarpit", evidence=ev, stage=stage, where=where)
    if outcome is Outcome.TIMEOUT:
        return finding("{stage}.timeout", evidence=ev, stage=stage, where=where)
    if outcome is Outcome.PROTOCOL_ERROR:
        return (
            _reordered(step.detail.removeprefix(REORDERED))
            if step.detail.startswith(REORDERED)
            else finding("{stage}.protocol_error", evidence=ev, stage=stage, where=where)
        )
    how = HOW.get(outcome, outcome.value)
    if outcome is Outcome.CLOSED and (step.tls_ended or step.detail.startswith(CUT_LINE)):
        # Not a dropped connection alone: the server's TLS layer ended the session
        # (a TLS proxy such as stunnel whose backend went away or talks on in clear),
        # or it closed behind a line with no line end, which the detail quotes.
        how = step.detail.removeprefix("the server ")
    return finding("{stage}.dropped.{outcome}", evidence=ev, stage=stage, where=where, how=how)


# Why our TLS library refuses a record under TLS (OpenSSL reasons, RFC 8446 §5.2).
_ALTERED = (
    ": the record failed its integrity check, so its bytes were changed on the way (an "
    "SMTP-inspecting firewall or proxy that rewrites the encrypted stream, a faulty NIC "
    "offload) or the server's TLS stack is broken; the same path breaks every sender"
)
_REFUSED_RECORDS = {
    "decryption_failed_or_bad_record_mac": _ALTERED,
    "bad_record_mac": _ALTERED,
    "decryption_failed": _ALTERED,
    "record_overflow": ": the server sent a record longer than TLS allows (RFC 8446 §5.2)",
    "wrong_version_number": ": what came is not a TLS record (plaintext written into the "
    "encrypted session)",
}

# Alerts a peer sends by name (not our TLS library's own errors, which are
# reported with a TLS outcome too).
_ALERT_NAMES = frozenset(ALERT_DESCRIPTIONS.values())
# What a late alert means (RFC 8446 §6.2 names).
_LATE_ALERTS = {
    "certificate_required": ": the server requires a client certificate (mutual TLS), which "
    "senders on the internet do not present",
    "bad_certificate": ": the server refused the client certificate",
    "unknown_ca": ": the server does not trust the client certificate's issuer",
    "certificate_unknown": ": the server refused the client certificate",
}


# Why our TLS library refused the server's ServerHello or its certificate
# (the OpenSSL reason net.errors keeps in the detail), in the reader's words.
_OUR_REFUSAL = re.compile(r"(?:TLS parameters|refused what the server sent) \(([a-z0-9_]+)\)")
# (OpenSSL names each of these two refusals two ways, by version.)
_COMPRESSION = (
    "the server chose TLS compression, which we did not offer (RFC 5246 §7.4.1.3; left "
    "out everywhere since the CRIME attack, RFC 7457 §2.6)"
)
_NO_KEY_SHARE = (
    "the server's TLS 1.3 hello carries no key share (RFC 8446 §4.2.8), so no key can be agreed"
)
_OUR_REFUSALS = {
    "unknown_cipher_returned": "the server chose a cipher suite we did not offer",
    "wrong_cipher_returned": "the server chose a cipher suite we did not offer",
    "unsupported_protocol": "the server chose a TLS version we did not offer",
    "version_too_low": "the server chose a TLS version we did not offer",
    "dh_key_too_small": "the server's Diffie-Hellman key is too small",
    "ee_key_too_small": "the server's certificate key is too small",
    "ca_md_too_weak": "the server's certificate is signed with a digest too weak",
    "unsafe_legacy_renegotiation_disabled": "the server does not support secure "
    "renegotiation (RFC 5746)",
    "bad_signature": "the server's handshake signature does not verify",
    "no_suitable_signature_algorithm": "no signature algorithm in common",
    "bad_extension": "the server's hello carries an extension that is malformed or that "
    "we never offered",
    "unsolicited_extension": "the server's hello carries an extension we never offered",
    "length_mismatch": "the server's hello is malformed (its lengths disagree)",
    "bad_packet": "the server's hello is malformed",
    "invalid_session_id": "the server's hello did not echo our session ID (RFC 8446 "
    "§4.1.3), as some broken TLS 1.3 stacks and middleboxes do",
    "bad_key_share": "the server's HelloRetryRequest asked for a key share we had already "
    "sent, or its key share is invalid",
    "unexpected_message": "the server sent a handshake message out of order (a second "
    "HelloRetryRequest, or a message the protocol does not allow there)",
    "inappropriate_fallback": "the server's TLS 1.2 hello carries TLS 1.3's downgrade "
    "sentinel (RFC 8446 §4.1.3): a TLS 1.3 server's answer was turned into a TLS 1.2 one "
    "on the way (a TLS-terminating proxy or middlebox), or the server sets the sentinel "
    "wrongly",
    "compression_disabled": _COMPRESSION,
    "unsupported_compression_algorithm": _COMPRESSION,
    "no_suitable_key_share": _NO_KEY_SHARE,
    "missing_key_share": _NO_KEY_SHARE,
}
_REFUSED_HANDSHAKE = frozenset({Outcome.TLS_ALERT, Outcome.CLOSED, Outcome.RESET})
_CLOSED_HOW = {
    Outcome.TLS_ALERT: "",
    Outcome.CLOSED: " (the server closed the connection)",
    Outcome.RESET: " (the server reset the connection)",
}


def _handshake_finding(step: Step, ev: dict[str, Any], port: int, implicit_tls: bool) -> Finding:
    if step.server_ssl is not None:
        # However our side refused it (protocol_version, or no TLS record at all).
        forbidden = "RFC 6176" if step.server_ssl == "SSL 2.0" else "RFC 7568"
        who = (
            f"the server answered in {step.server_ssl}, which {forbidden} forbids and no "
            "sender of today offers: its TLS library or configuration is decades old"
        )
        evidence = {"tls_alert": step.tls_alert, "alert_sent_by_us": step.alert_sent, **ev}
        return finding("tls.handshake.protocol_version", evidence=evidence, who=who)
    if step.outcome is Outcome.PROTOCOL_ERROR and step.reply is not None:
        line = f"{step.reply.code} {(step.reply.text.splitlines() or [''])[0][:80]}".strip()
        evidence = {"reply": step.reply.to_json(), **ev}
        if not implicit_tls:
            # After its own "220 Ready to start TLS": its TLS layer is missing.
            return finding("tls.starttls.plaintext_reply", evidence=evidence, greeting=line)
        # Implicit TLS met an SMTP greeting: the server speaks plaintext here.
        return finding("tls.implicit.plaintext_smtp", evidence=evidence, port=port, greeting=line)
    if step.certificate_requested and not step.alert_sent and step.outcome in _REFUSED_HANDSHAKE:
        # A TLS 1.2 server asked for a client certificate in clear and then
        # refused ours (none): OpenSSL says a bare handshake_failure.
        how = f" (alert {step.tls_alert})" if step.tls_alert else _CLOSED_HOW[step.outcome]
        evidence = {"tls_alert": step.tls_alert, "certificate_requested": True, **ev}
        return finding(
            "tls.handshake.client_certificate_required",
            evidence=evidence,
            variant="requested",
            how=how,
        )
    if step.tls_alert == "certificate_required" and not step.alert_sent:
        # TLS 1.3's own alert for it (RFC 8446 §4.4.2.4), wherever it comes.
        evidence = {"tls_alert": step.tls_alert, **ev}
        return finding(
            "tls.handshake.client_certificate_required", evidence=evidence, variant="alert", how=""
        )
    if step.tls_alert == "excessive_message_size" and step.alert_sent:
        return finding(
            "tls.handshake.message_too_large", evidence={"tls_alert": step.tls_alert, **ev}
        )
    if step.tls_alert == "protocol_version":
        who = (
            "we refused the version the server chose"
            if step.alert_sent
            else "the server refused every version we offered"
        )
        evidence = {"tls_alert": step.tls_alert, "alert_sent_by_us": step.alert_sent, **ev}
        return finding("tls.handshake.protocol_version", evidence=evidence, who=who)
    sender, hint = " from the server", _SERVER_ALERTS.get(step.tls_alert or "", "")
    alert = f"alert {step.tls_alert}"
    if step.alert_sent:
        refused = _OUR_REFUSAL.search(step.detail)
        why = _OUR_REFUSALS.get(refused.group(1), "") if refused else ""
        sender, hint = (f" (sent by us: {why})" if why else " (sent by us)"), ""
        if step.tls_alert not in _ALERT_NAMES:
            # OpenSSL's reason for a refusal whose alert it does not say: never
            # shown as if it were an alert's name.
            alert = f"our TLS library's refusal ({step.tls_alert})"
            sender = f": {why}" if why else ""
    if step.outcome is not Outcome.TLS_ALERT:
        return finding(
            f"tls.handshake.{step.outcome.value}",
            evidence={"tls_alert": step.tls_alert, **ev},
            sender=sender,
        )
    return finding(
        "tls.handshake.tls_alert",
        evidence={"tls_alert": step.tls_alert, **ev},
        alert=alert,
        sender=sender,
        hint=hint,
    )


# What a server's alert for our ClientHello means for a sender (RFC 8446 §6.2,
# RFC 6066 §3): alerts no other rule reads.
_SERVER_ALERTS = {
    "inappropriate_fallback": ": the server read our hello as a retry at a lower TLS version "
    "than it speaks (RFC 7507: the TLS_FALLBACK_SCSV suite), which our hello does not carry "
    "at our highest version: a middlebox altered the hello, or the server's TLS stack "
    "misreads it",
    "insufficient_security": ": the server requires stronger security than our hello "
    "offered (RFC 5246 §7.2.2: cipher suites, key sizes or curves beyond what its policy "
    "allows)",
    "unrecognized_name": ": the server has no certificate for the server name (SNI) in our "
    "hello, or wants a name and got none (a walk by address sends none, nor do Postfix "
    "and Exim by default, so they fail alike): give the server a default certificate "
    "for hellos with no name or another one",
    "access_denied": ": an access rule on the server's TLS side refuses this client (an "
    "address or name allow-list in the server or a TLS proxy in front of it), whatever "
    "its certificate",
    "internal_error": ": the server's TLS layer failed on its side (often a certificate or "
    "key it cannot load, or a TLS proxy that cannot reach its backend); its TLS log says why",
    "decode_error": ": the server could not parse our hello (a TLS stack too old for a "
    "modern hello, or a middlebox that mangles it)",
    "illegal_parameter": ": the server found a field of our hello invalid (a TLS stack too "
    "old for a modern hello, or a middlebox that mangles it)",
}


def _where(step: Step) -> str:
    """Where in the session ``step`` ended, as a message says it (a message sent by
    BDAT says so: where the fix lies differs from DATA's)."""
    if step.command and step.command.startswith("BDAT "):
        return "while the message was being sent by BDAT (CHUNKING, RFC 3030) or before its reply"
    return STAGE_WORDS.get(step.stage, f"at {step.stage.value}")


# RFC 5321 §4.2.4 and §4.2.2: "command unrecognized", "syntax error in parameters",
# "not implemented", "bad sequence", "parameter not implemented".
_NOT_KNOWN = frozenset((500, 501, 502, 503, 504))


def _bdat_refused(step: Step) -> Finding | None:
    """BDAT refused as a command the server does not know, after it offered CHUNKING."""
    reply = step.reply
    if not (step.command or "").startswith("BDAT ") or reply is None:
        return None
    if reply.code not in _NOT_KNOWN:
        return None
    evidence = {"reply": reply.to_json(), "command": step.command}
    return finding(
        "chunking.bdat_refused", evidence=evidence, command=step.command, reply=_first_line(reply)
    )


def _first_line(reply: Reply) -> str:
    """A reply as a finding quotes it: code, enhanced code, its first line (cut)."""
    head = f"{reply.code} {reply.enhanced}" if reply.enhanced else str(reply.code)
    return f"{head} {(reply.text.splitlines() or [''])[0][:80]}".strip()


# The MAIL FROM and RCPT TO parameters the walk declares and the extension each
# belongs to (it declares one only where the EHLO reply offers that extension).
_PARAMETER_OF = {
    "SIZE": "SIZE",
    "BODY": "8BITMIME",
    "SMTPUTF8": "SMTPUTF8",
    "RET": "DSN",
    "NOTIFY": "DSN",
    "ORCPT": "DSN",
}
# Who declares each, for a finding's words.
_DECLARERS = {
    "SIZE": "Postfix, Exim, Sendmail and Exchange declare SIZE wherever it is offered",
    "BODY": "Postfix, Exim and Exchange declare BODY=8BITMIME for every 8-bit message",
    "SMTPUTF8": "every sender declares SMTPUTF8 for a UTF-8 address or header",
    "RET": "senders send RET, NOTIFY and ORCPT for mail whose author asked for delivery "
    "notifications (Outlook's delivery receipts, sendmail -N), and Postfix and Sendmail "
    "pass on those they received",
}
_DECLARERS["NOTIFY"] = _DECLARERS["ORCPT"] = _DECLARERS["RET"]
# RFC 5321 §4.2.3: 555 "parameters not recognized or not implemented", 504 "command
# parameter not implemented"; a 501 "syntax error in parameters" only when it names one.
_PARAMETER_CODES = frozenset((504, 555))
# An address refused for being UTF-8: RFC 6531 §3.7.4's X.6.7 (non-ASCII address not
# permitted), RFC 3463's X.1.3 / X.1.7 (bad address syntax), or words that say so.
_UTF8_ADDRESS_CODES = re.compile(r"^[45]\.(?:6\.7|1\.[37])$")
_UTF8_WORDS = re.compile(r"non-?ascii|utf-?8|unicode|internationali[sz]ed|8-?bit", re.IGNORECASE)
# The 8-bit message refused for its content: RFC 3463 §3.7's X.6.x (media), or words.
_MEDIA_CODE = re.compile(r"^[45]\.6\.\d{1,3}$")
_EIGHT_BIT_WORDS = re.compile(
    r"8-?bit|8BITMIME|non-?ascii|body type|content-transfer-encoding", re.IGNORECASE
)


def _parameters(command: str | None) -> list[str]:
    """The extensions' parameters a MAIL FROM or RCPT TO carried (``SIZE=…``,
    ``BODY=8BITMIME``, ``NOTIFY=…``, …)."""
    words = (command or "").split()[2:]
    return [w for w in words if w.split("=", 1)[0].upper() in _PARAMETER_OF]


def _declared(steps: Sequence[Step]) -> list[str]:
    """The parameters the walk's MAIL FROM carried."""
    return _parameters(next((s.command for s in steps if s.stage is Stage.MAIL_FROM), None))


def _parameter_refused(step: Step) -> Finding | None:
    """MAIL FROM or RCPT TO refused for a parameter of an extension the server offers."""
    reply = step.reply
    declared = _parameters(step.command)
    if step.stage not in (Stage.MAIL_FROM, Stage.RCPT_TO) or reply is None or not declared:
        return None
    text = reply.text.upper()
    keys = [p.split("=", 1)[0].upper() for p in declared]
    named = [
        p
        for p, key in zip(declared, keys, strict=True)
        if re.search(rf"\b{key}\b", text) or (key == "BODY" and "8BITMIME" in text)
    ]
    if reply.code not in _PARAMETER_CODES and not (reply.code == 501 and named):
        return None
    refused = named or declared
    refused_keys = [p.split("=", 1)[0].upper() for p in refused]
    return finding(
        "mail.parameter_refused",
        evidence={"reply": reply.to_json(), "command": step.command, "parameters": refused},
        stage=step.stage,
        extensions=" and ".join(dict.fromkeys(_PARAMETER_OF[k] for k in refused_keys)),
        command=step.command,
        reply=_first_line(reply),
        parameters=" or ".join(refused),
        who="; ".join(dict.fromkeys(_DECLARERS[k] for k in refused_keys)),
    )


def _utf8_address_refused(step: Step, declared: list[str]) -> Finding | None:
    """A UTF-8 address declared with SMTPUTF8, refused as an address the server cannot take."""
    reply = step.reply
    if reply is None or step.stage not in (Stage.MAIL_FROM, Stage.RCPT_TO):
        return None
    if "SMTPUTF8" not in (p.upper() for p in declared) or not step.command:
        return None
    address = step.command.split(":", 1)[-1].split(">", 1)[0].lstrip("<")
    if address.isascii():
        return None
    if not (_UTF8_ADDRESS_CODES.match(reply.enhanced or "") or _UTF8_WORDS.search(reply.text)):
        return None
    return finding(
        "smtputf8.address_refused",
        evidence={"reply": reply.to_json(), "address": address},
        stage=step.stage,
        address=address,
        reply=_first_line(reply),
    )


def _eight_bit_refused(step: Step, declared: list[str]) -> Finding | None:
    """The message declared BODY=8BITMIME refused after its end for its 8-bit content."""
    reply = step.reply
    if reply is None or step.stage is not Stage.MESSAGE or "BODY=8BITMIME" not in declared:
        return None
    if not (_MEDIA_CODE.match(reply.enhanced or "") or _EIGHT_BIT_WORDS.search(reply.text)):
        return None
    return finding(
        "8bitmime.message_refused",
        evidence={"reply": reply.to_json()},
        reply=_first_line(reply),
    )


def _extension_refused(step: Step, steps: Sequence[Step]) -> Finding | None:
    """A refusal of what an extension the server offers says it takes: BDAT, a MAIL
    FROM parameter, a UTF-8 address under SMTPUTF8, an 8-bit message under 8BITMIME."""
    refused = _bdat_refused(step)
    if refused is not None or step.reply is None or step.reply.code in (421, 221):
        return refused
    declared = _declared(steps)
    return (
        _utf8_address_refused(step, declared)
        or _parameter_refused(step)
        or _eight_bit_refused(step, declared)
    )


# RFC 3463 §3.2: X.1.7 "bad sender's mailbox address syntax", X.1.8 "bad sender's
# system address": codes about the sender, here the null path the walk sent.
_SENDER_CODES = re.compile(r"^[45]\.1\.[78]$")
_NULL_SENDER_WORDS = re.compile(
    r"<>|\b(?:null|empty|blank|bounce)[ -](?:sender|envelope|reverse[ -]path|address)",
    re.IGNORECASE,
)


def _null_sender_refused(step: Step, steps: Sequence[Step]) -> Finding | None:
    """The walk's null reverse-path (MAIL FROM:<>, bounces' sender) refused, at MAIL
    FROM or at RCPT TO (where Postfix applies its sender restrictions by default),
    by a reply that names it or a code about the sender."""
    reply = step.reply
    if reply is None or step.stage not in (Stage.MAIL_FROM, Stage.RCPT_TO):
        return None
    mail = next((s for s in steps if s.stage is Stage.MAIL_FROM), None)
    if mail is None or not (mail.command or "").startswith("MAIL FROM:<>"):
        return None
    if not (_NULL_SENDER_WORDS.search(reply.text) or _SENDER_CODES.match(reply.enhanced or "")):
        return None
    return finding(
        "mail.null_sender_refused",
        evidence={"reply": reply.to_json(), "command": mail.command},
        stage=step.stage,
        reply=_first_line(reply),
        where=STAGE_WORDS.get(step.stage, step.stage.value),
    )


def _reply_finding(step: Step, policy: Policy, steps: Sequence[Step]) -> Finding:
    refused = _extension_refused(step, steps) or _null_sender_refused(step, steps)
    if refused is not None:
        return refused
    # Imported here: the pattern library is only needed when a server said no
    # (through the package: what the command asked to run before it loads).
    from smtpdoctor.diagnosis import classify_reply  # noqa: PLC0415

    assert step.reply is not None
    reply = step.reply
    c = classify_reply(reply, step.stage)
    retry_helps, meaning, fixes = c.retry_helps, c.meaning, c.fixes
    where = _where(step)
    if step.stage is Stage.GREETING:
        where = "as its greeting"
        if reply.code == 421 and _standing_block(reply.text, reply.enhanced):
            # A per-client rule answers every retry from this address the same way.
            from smtpdoctor.knowledge.fixes import fixes_for  # noqa: PLC0415

            retry_helps = False
            meaning = (
                "a standing rule refuses this client (an access rule or a block list); "
                "retrying from the same address will not pass until the rule changes"
            )
            fixes = fixes_for(Category.POLICY_REJECTION)
    category, permanence = c.category, c.permanence
    if reply.code == 221:
        # A closing reply where the command's answer was due (RFC 5321 §4.2.2):
        # the server ends the session rather than serve this client.
        from smtpdoctor.knowledge.fixes import fixes_for  # noqa: PLC0415

        category, permanence, retry_helps = Category.POLICY_REJECTION, Permanence.PERMANENT, False
        meaning = (
            "a closing reply (RFC 5321 §4.2.2) where the command's answer was due, which "
            "§3.8 allows only after QUIT: the server "
            "ends the session rather than serve this client (Postfix's postscreen says 'I can "
            "break rules, too' to a client it caught speaking before its turn or pipelining "
            "unasked; other filters close so after a block-list or rate check); its log names "
            "the rule"
        )
        fixes = fixes_for(Category.POLICY_REJECTION)
    closing = reply.code in (421, 221)  # the session is over: nothing goes on
    if step.stage is Stage.STARTTLS and not closing and category is not _NO_TLS:
        # Whatever a refusal of STARTTLS says (a 502 from a server that advertised
        # it, a 554, a 451), what it does is the same: no TLS in this session.
        from smtpdoctor.knowledge.fixes import fixes_for  # noqa: PLC0415

        category = _NO_TLS
        meaning = (
            "STARTTLS was refused, so this session cannot be encrypted (a server that "
            "advertises STARTTLS and then refuses it has TLS broken or switched off: no "
            "certificate, a TLS library error, or the extension advertised by mistake)."
        )
        fixes = fixes_for(_NO_TLS)
    severity = Severity.CRITICAL
    if step.stage is Stage.STARTTLS and not policy.tls_required and not closing:
        # Opportunistic senders go on in plaintext; after a 421 nothing goes on.
        severity = Severity.WARNING
    return finding(
        "{stage}.reply.{code}",
        evidence={"reply": reply.to_json(), "classification": list(c.matched)},
        severity=severity,
        category=category,
        stage=step.stage,
        permanence=permanence,
        retry_helps=retry_helps,
        code=reply.code,
        enhanced=f" {reply.enhanced}" if reply.enhanced else "",
        where=where,
        meaning=meaning,
        classified_fixes=fixes,
    )


_NO_TLS = Category.STARTTLS_UNAVAILABLE
_SIZE_PARAM = re.compile(r"\sSIZE=(\d{1,15})\b", re.IGNORECASE)


def _declared_size(steps: Sequence[Step]) -> int | None:
    """The size the walk declared at MAIL FROM (RFC 1870 ``SIZE=``): with ``--send``
    and no ``--size``, the test message's own length."""
    for step in steps:
        if step.stage is Stage.MAIL_FROM and step.command:
            declared = _SIZE_PARAM.search(step.command)
            if declared:
                return int(declared.group(1))
    return None


_BLOCK = re.compile(
    r"access denied|not allowed|\bdenied\b|\bblock(?:ed|list)?\b|blacklist|\brejected\b|"
    r"\bbanned\b|not authori[sz]ed|\brefused\b|\bpolicy\b",
    re.I,
)
# Greeting delays above this are a warning: RFC 5321 allows 5 minutes, but
# senders with 30-60 s connect timeouts are common.
SLOW_GREETING_MS = 20_000.0


def _standing_block(text: str, enhanced: str | None) -> bool:
    return bool(_BLOCK.search(text)) or (enhanced or "").startswith("4.7.")


def _greeting_findings(ev: SessionEvidence) -> list[Finding]:
    out: list[Finding] = []
    greeting = next((s for s in ev.steps if s.stage is Stage.GREETING), None)
    if greeting is None:
        return out
    if greeting.outcome is Outcome.OK and greeting.elapsed_ms >= SLOW_GREETING_MS:
        evidence = {"elapsed_ms": round(greeting.elapsed_ms, 1)}
        out.append(finding("greeting.slow", evidence=evidence, seconds=greeting.elapsed_ms / 1000))
    other = _other_service(ev, greeting)
    if other is not None:
        out.append(other)
    return out


# How much of a binary banner a finding shows (each byte may take four characters).
_BINARY_SHOWN = 24


def _other_service(ev: SessionEvidence, greeting: Step) -> Finding | None:
    """Another service (SSH, HTTP, IMAP, FTP ...) answering where SMTP was due:
    by the line it sent first, or, for one whose greeting is a 220 (FTP, LMTP),
    by that greeting and EHLO refused."""
    first = ev.unparsed_greeting
    if not first and greeting.reply is not None:  # a 220, or a code out of place (200)
        first = f"{greeting.reply.code} {' '.join(greeting.reply.lines)}".encode()
    if not first:
        return None
    hellos = [s for s in ev.steps if s.stage is Stage.EHLO]
    refused = bool(hellos) and all(
        s.outcome is Outcome.REPLY and s.reply is not None and s.reply.code >= 500 for s in hellos
    )
    service = other_service(first, refused)
    if service is None:
        return None
    # Shown: its first line of text, or a binary banner's first bytes (MySQL's
    # length and sequence, then protocol version 10: a LF that ends no line).
    head = first.split(b"\n", 1)[0].rstrip(b"\r")
    text = head.isascii() and all(b >= 32 for b in head)
    shown = head[:80] if text else first[:_BINARY_SHOWN]
    line = "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in shown)
    evidence = {"service": service.name, "first_line": line, "source": service.source}
    return finding(
        "greeting.other_service", evidence=evidence, service=service.name, line=line, port=ev.port
    )


def greeting_like_implicit_tls(steps: Sequence[Step]) -> bool:
    """The server said nothing at all before the walk gave up on its greeting, or
    sent a TLS record where it was due (what a port that speaks TLS from the
    first byte does to an SMTP client: waits for a hello, or answers the
    silence with an alert)."""
    greeting = next((s for s in steps if s.stage is Stage.GREETING), None)
    if greeting is None:
        return False
    if greeting.outcome is Outcome.PROTOCOL_ERROR:
        return TLS_RECORD_WORDS in greeting.detail
    return (
        greeting.outcome in (Outcome.TIMEOUT, Outcome.CLOSED, Outcome.RESET)
        and greeting.bytes_received == 0
    )


def _tls_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    if not ev.starttls_offered:
        required = policy.tls_required
        out.append(
            finding(
                "starttls.not_offered",
                severity=Severity.CRITICAL if required else Severity.WARNING,
                permanence=Permanence.PERMANENT if required else Permanence.NONE,
            )
        )
        return out
    version = ev.tls_version
    if version is None:
        return out
    peer = policy.peer
    if _rank(version) < _rank(policy.min_tls):
        evidence = {
            "negotiated": version,
            "floor": policy.min_tls,
            "cipher": ev.tls_cipher,
            "peer": peer.name,
            "accepted": [v for v, ok in ev.tls_versions.items() if ok],
        }
        out.append(
            finding(
                "tls.version.below_floor",
                evidence=evidence,
                peer_label=peer.label,
                consequence=peer.consequence,
            )
        )
    else:
        out.append(
            finding("tls.negotiated", evidence={"negotiated": version, "cipher": ev.tls_cipher})
        )
    out += _matrix_findings(ev, policy)
    if ev.certificate is not None:
        out += _certificate_findings(ev.certificate, policy, ev.common_key_served)
        out += _pool_certificates(ev.certificate, ev.other_certificates, policy)
    return out


def _pool_certificates(
    walked: CertificateInfo, others: Sequence[CertificateInfo], policy: Policy
) -> list[Finding]:
    """Another connection served a certificate that fails where the walk's
    holds: a pool whose members differ (one not renewed, another name)."""
    out: list[Finding] = []
    for other in others:
        problems = certificate_problems(walked, other)
        if not problems:
            continue
        evidence = {"walk": walked.to_json(), "other": other.to_json()}
        out.append(
            finding(
                "tls.certificate.pool_differs",
                evidence=evidence,
                severity=Severity.CRITICAL if policy.tls_required else Severity.WARNING,
                subject=other.subject,
                problems="; ".join(problems),
            )
        )
    return out


def certificate_problems(walked: CertificateInfo, other: CertificateInfo) -> list[str]:
    """How ``other`` (another connection's certificate) fails where the walk's holds."""
    problems = []
    if other.expired and not walked.expired:
        problems.append(f"it expired on {other.not_after:%Y-%m-%d}")
    if other.names_checked and walked.hostname_match and not other.hostname_match:
        problems.append(f"it names {', '.join(other.san) or 'no host'}")
    if walked.trusted and not other.trusted and not other.expired:
        problems.append("it does not chain to a trusted CA")
    return problems


def _matrix_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    """What the version matrix and the extra ClientHellos showed."""
    out: list[Finding] = []
    accepted = [v for v in TLS_ORDER if ev.tls_versions.get(v)]
    legacy = [v for v in accepted if _rank(v) < _rank(policy.min_tls)]
    if ev.tls_versions.get("SSLv3"):
        out.append(finding("tls.versions.sslv3", evidence={"accepted": accepted}))
    if legacy and len(legacy) < len(accepted):
        out.append(
            finding(
                "tls.versions.legacy_accepted",
                evidence={"accepted": accepted},
                current=", ".join(v for v in accepted if v not in legacy),
                legacy=", ".join(legacy),
            )
        )
    refused_12 = ev.tls_versions.get("TLSv1.2") is False  # an alert, not silence (None)
    if ev.tls_versions.get("TLSv1.3") and refused_12 and ev.large_hello_outcome == "ok":
        # The large hello (offering TLS 1.3) was served on a probe connection
        # too: the TLS 1.2 hello's refusal is the version's, not every probe's.
        out.append(finding("tls.versions.tls13_only", evidence={"accepted": accepted}))
    if ev.large_hello_outcome in ("timeout", "reset", "closed"):
        out.append(finding("tls.large_client_hello", evidence={"outcome": ev.large_hello_outcome}))
    if ev.tls13_group is not None and ev.common_groups_served is False:
        out.append(
            finding(
                "tls.groups.uncommon",
                evidence={"group": ev.tls13_group, "common_groups_served": False},
                severity=Severity.CRITICAL if policy.tls_required else Severity.WARNING,
                group=ev.tls13_group,
            )
        )
    return out + _cipher_findings(ev, policy, accepted)


# TLS 1.3 groups that BoringSSL (Gmail), Schannel (Microsoft 365) or both do not
# offer by default (IANA names, as tlsdata.GROUP_NAMES gives them).
_UNCOMMON_GROUPS = ("secp521r1", "x448", "ffdhe")


def uncommon_group(group: str) -> bool:
    """Whether a server's chosen TLS 1.3 group is one many senders do not offer
    (FFDHE, X448, P-521): its choice, when offered every group, calls for a
    hello with the common ones alone (doctor.recheck)."""
    return group.startswith(_UNCOMMON_GROUPS)


def _cipher_findings(ev: SessionEvidence, policy: Policy, accepted: Sequence[str]) -> list[Finding]:
    """The peer's TLS 1.2 suites, Extended Master Secret, the suites the server chose."""
    out: list[Finding] = []
    if ev.peer_cipher_shared is False:
        peer = policy.peer
        only_12 = "TLSv1.3" not in accepted
        consequence = (
            f": {peer.consequence}."
            if only_12
            else "; TLS 1.3 still works, so only peers capped at TLS 1.2 fail."
        )
        out.append(
            finding(
                "tls.cipher.none_shared_with_peer",
                evidence={"peer": peer.name},
                severity=Severity.CRITICAL if only_12 else Severity.WARNING,
                peer_label=peer.label,
                consequence=consequence,
            )
        )
    if ev.tls_dh_bits is not None and ev.tls_cipher:
        # The walk's own handshake settled on a DHE suite (the cipher scan,
        # --ciphers, judges every DHE suite the server accepts).
        from smtpdoctor.evidence.ciphers import MIN_DH_BITS  # noqa: PLC0415  (off a cold path)

        if ev.tls_dh_bits < MIN_DH_BITS:
            evidence = {"dh_bits": ev.tls_dh_bits, "suites": [ev.tls_cipher]}
            bits, names = ev.tls_dh_bits, ev.tls_cipher
            out.append(finding("tls.ciphers.dh_small", evidence=evidence, bits=bits, names=names))
    if ev.extended_master_secret is False:
        out.append(finding("tls.ems.missing"))
    weak = sorted({c for c in ev.ciphers_seen if weak_cipher_name(c)})
    if weak:
        out.append(finding("tls.cipher.weak", evidence={"ciphers": weak}, names=", ".join(weak)))
    return out


_WEAK_MARKS = ("NULL", "EXPORT", "RC4", "3DES", "DES_CBC3", "DES-CBC3", "_DES_", "MD5", "ANON")


# OpenSSL names its anonymous suites by their key exchange alone (ADH-AES128-SHA,
# AECDH-AES256-SHA), without the IANA name's "anon".
_ANON_OPENSSL = ("ADH-", "AECDH-")


def weak_cipher_name(name: str) -> bool:
    """Export, NULL, anonymous, RC4, (3)DES or MD5 suites (IANA or OpenSSL names)."""
    upper = name.upper()
    return any(mark in upper for mark in _WEAK_MARKS) or upper.startswith(_ANON_OPENSSL)


# A refusal quoting our command as X's: an inspecting firewall rewrote it on the
# way (PIX "fixup protocol smtp": EHLO as XXXX; ESMTP inspection: STARTTLS as
# XXXXXXXX), https://github.com/nodemailer/nodemailer/issues/694.
_XED_COMMAND = re.compile(r"(?<![\w-])X{4}(?:X{4})?(?![\w-])")


def _rewritten_command(steps: Sequence[Step]) -> Step | None:
    """The refusal of our EHLO or STARTTLS that quotes it rewritten to X's."""
    for step in steps:
        if step.stage not in (Stage.EHLO, Stage.STARTTLS) or step.reply is None:
            continue
        if step.reply.code >= 500 and _XED_COMMAND.search(step.reply.text):
            return step
    return None


def _ehlo_findings(ev: SessionEvidence, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    masked_banner = bool(ev.banner) and set((ev.banner or "").replace(" ", "")) <= {"*", "2", "0"}
    rewritten = any(line.strip().upper().startswith("XXXXXXXA") for line in ev.ehlo_lines)
    command = _rewritten_command(ev.steps)
    if masked_banner or rewritten or command:
        what = []
        if masked_banner:
            what.append("the banner is masked with asterisks")
        if rewritten:
            what.append("STARTTLS is rewritten to XXXXXXXA in the EHLO reply")
        if command and command.reply:
            verb = "EHLO" if command.stage is Stage.EHLO else "STARTTLS"
            line = (command.reply.text.splitlines() or [""])[0][:80]
            what.append(f"our {verb} reached the server as X's ('{command.reply.code} {line}')")
        out.append(
            finding(
                "middlebox.esmtp_inspection",
                evidence={"banner": ev.banner},
                severity=Severity.CRITICAL if policy.tls_required else Severity.WARNING,
                # Where it broke the session: the STARTTLS it rewrote, else EHLO.
                stage=command.stage if command else Stage.EHLO,
                what="; ".join(what),
            )
        )
    after = ev.extensions_after_tls
    if after is not None:
        gained = sorted(set(after) - set(ev.extensions_before_tls))
        lost = sorted(set(ev.extensions_before_tls) - set(after) - {"STARTTLS"})
        if gained or lost:
            out.append(
                finding(
                    "starttls.capabilities_change",
                    evidence={"gained": gained, "lost": lost},
                    gained_text=f": offered only under TLS: {', '.join(gained)}" if gained else "",
                    lost_text=f"; withdrawn under TLS: {', '.join(lost)}" if lost else "",
                )
            )
    return out


def _certificate_findings(
    cert: CertificateInfo, policy: Policy, common_key_served: bool | None = None
) -> list[Finding]:
    sev = Severity.CRITICAL if policy.tls_required else Severity.WARNING
    out: list[Finding] = []

    def add(fid: str, evidence: dict[str, Any] | None = None, **fields: Any) -> None:
        out.append(finding(fid, evidence=evidence, severity=sev, **fields))

    if cert.expired:
        add(
            "tls.certificate.expired",
            {"days_left": cert.days_left},
            days_ago=-cert.days_left,
            not_after=f"{cert.not_after:%Y-%m-%d}",
        )
    elif cert.not_yet_valid:
        add("tls.certificate.not_yet_valid")
    weak_signature = cert.signature_algorithm.lower().startswith(("sha1", "md5"))
    if cert.self_signed:
        add("tls.certificate.self_signed")
    elif not cert.trusted and _NO_SAN in (cert.trust_error or ""):
        # It chains; what the verifier refuses is a name only in the CN.
        add(
            "tls.certificate.no_subject_alt_name",
            {"trust_error": cert.trust_error},
            cn=cert.subject,
        )
    elif not cert.trusted and _bad_serial(cert.trust_error):
        # It chains; what the verifier refuses is the serial's form.
        add(
            "tls.certificate.bad_serial",
            {"trust_error": cert.trust_error},
            why=_bad_serial(cert.trust_error),
        )
    elif not cert.trusted and (cert.trust_error or "").startswith(_CHAINS_BUT):
        # It chains; what the verifier refuses is a rule on the leaf itself.
        rule = (cert.trust_error or "")[len(_CHAINS_BUT) :].removeprefix("validation failed: ")
        add("tls.certificate.leaf_rule", {"trust_error": cert.trust_error}, rule=rule)
    elif not cert.trusted and not _said_elsewhere(cert, weak_signature):
        # (A chain refused only for what another finding says, the leaf's dates
        # or its SHA-1/MD5 signature, is said once, by that finding: it chains
        # to the CA.)
        out += _untrusted(cert, sev)
    if cert.names_checked and not cert.hostname_match:
        add(
            "tls.certificate.name_mismatch",
            {"checked": cert.names_checked, "san": cert.san},
            covers=", ".join(cert.san) or "no names",
            wanted=" or ".join(cert.names_checked),
        )
    if 0 <= cert.days_left < 14 and not cert.expired:
        out.append(finding("tls.certificate.expires_soon", evidence={"days_left": cert.days_left}))
    if cert.key_type == "RSA" and cert.key_bits < 2048:
        add("tls.certificate.weak_key", {"key_bits": cert.key_bits})
    if weak_signature:
        add("tls.certificate.weak_signature", algorithm=cert.signature_algorithm)
    if (few_take := few_senders_take(cert)) and not common_key_served:
        # (Served another certificate to a hello with RSA and ECDSA signatures
        # only, the server keeps one for such senders: nothing to say.)
        variant, what, kind = few_take
        evidence = {
            "key_type": cert.key_type,
            "signature_algorithm": cert.signature_algorithm,
            "common_key_served": common_key_served,
        }
        add("tls.certificate.key_type_unsupported", evidence, variant=variant, what=what, kind=kind)
    return out


# The curves every TLS peer takes for an ECDSA certificate (RFC 8446 §4.2.3).
_COMMON_CURVES = ("secp256r1", "secp384r1", "secp521r1")


def few_senders_take(cert: CertificateInfo) -> tuple[str, str, str] | None:
    """The leaf's key, or its issuer's signature, when it is of a kind many
    senders' TLS cannot use: (the catalogue's variant, which of the two, its kind)."""
    signer = cert.signature_algorithm.rpartition("-")[2]
    for what, kind in (("key", cert.key_type), ("issuer's signature", signer)):
        if kind in ("Ed25519", "Ed448"):
            return "eddsa", what, kind
        if kind == "DSA":
            return "dsa", what, kind
        curve = kind.removeprefix("EC ")
        if curve != kind and curve not in _COMMON_CURVES:
            return "ec", what, f"ECDSA on {curve}"
    return None


def _said_elsewhere(cert: CertificateInfo, weak_signature: bool) -> bool:
    """Whether the verifier's only complaint is the leaf's weak signature or its dates."""
    interior = _INTERIOR.search((cert.trust_error or "").lower())
    if interior is None:
        return False
    rule = interior.group(1)
    if _FORBIDDEN_SIGNATURE in rule:
        return weak_signature
    if _FORBIDDEN_KEY in rule:
        return few_senders_take(cert) is not None
    return _OUT_OF_DATE in rule and (cert.expired or cert.not_yet_valid)


# cryptography's verifier: "candidates exhausted: <the last interior error>".
_INTERIOR = re.compile(r"candidates exhausted: (.+)$")
_FORBIDDEN_SIGNATURE = "forbidden signature algorithm"
# cryptography's words for a path over its depth, and that depth (its default
# max_chain_depth; Postfix's smtp_tls_scert_verifydepth is 9).
_TOO_DEEP = "exceeds max depth"
_VERIFY_DEPTH = 8
_FORBIDDEN_KEY = "forbidden public key"
_OUT_OF_DATE = "not valid at validation time"
_NO_SAN = "no subjectAltName"
# The chain holds, a rule on the leaf refused it.
_CHAINS_BUT = CHAINS_BUT


# cryptography's verifier on a serial RFC 5280 §4.1.2.2 forbids, as said plainly.
_SERIAL_RULES = (
    ("serial number cannot be negative", "it is negative"),
    ("serial between 1 and 20 octets", "it is longer than 20 octets, or zero"),
)


def _bad_serial(error: str | None) -> str | None:
    """What is wrong with the leaf's serial, when that is the verifier's complaint."""
    text = (error or "").lower()
    return next((why for words, why in _SERIAL_RULES if words in text), None)


def _untrusted(cert: CertificateInfo, severity: Severity) -> list[Finding]:
    """A chain that leads to no trusted CA, said by what is wrong with it."""
    wrong = _wrong_issuers(cert)
    if wrong:
        # Intermediates sent, none of them the leaf's issuer: not a missing
        # intermediate but the wrong one (said once, by that).
        evidence = {"trust_error": cert.trust_error, "chain": cert.chain_subjects}
        return [
            finding(
                "tls.certificate.wrong_intermediate",
                evidence=evidence,
                severity=severity,
                sent="; ".join(wrong),
                issuer=cert.issuer,
            )
        ]
    out = [
        finding(
            "tls.certificate.untrusted",
            evidence={"trust_error": cert.trust_error},
            severity=severity,
            trust_error=_trust_advice(cert.trust_error, cert.chain_length),
        )
    ]
    if not cert.chain_complete:
        out.append(finding("tls.certificate.chain_incomplete", evidence=None, severity=severity))
    return out


def _wrong_issuers(cert: CertificateInfo) -> list[str]:
    """The intermediates a chain sends when none of them is the leaf's issuer
    (by name, in any order: RFC 8446 §4.4.2); empty when one is, or none is sent."""
    sent = list(dict.fromkeys(cert.chain_subjects[1:]))
    if cert.self_signed or not sent or cert.issuer in sent:
        return []
    return sent


def _trust_advice(error: str | None, sent: int = 1) -> str:
    """The verifier's words (kept in the evidence) as what a person can act on
    (``sent``: the certificates the server sent)."""
    text = (error or "").lower()
    interior = _INTERIOR.search(text)
    if interior and "no interior errors" not in interior.group(1):
        # A path to a trusted root was tried and broke a rule on the way (an
        # intermediate that is no CA, a path length, an expired intermediate).
        rule = interior.group(1).strip()
        if _TOO_DEEP in rule and sent <= _VERIFY_DEPTH:
            # Too deep with fewer certificates than the depth: the verifier
            # went round them (X issued by Y, Y by X), no way out to a root.
            return (
                "unknown issuer: the certificates it sends issue one another in a loop, "
                "with no path out to a CA in the trust store"
            )
        # cryptography's words for a weak algorithm carry a Rust debug dump.
        if _FORBIDDEN_SIGNATURE in rule:
            rule = "a certificate on it is signed with an algorithm verifiers refuse (SHA-1, MD5)"
        elif _FORBIDDEN_KEY in rule:
            rule = (
                "a certificate on it has a key verifiers refuse (RSA under 2048 bits, or a "
                "key type or curve they do not take)"
            )
        return f"the path to a trusted CA breaks a rule: {rule}"
    if "candidates exhausted" in text or "issuer" in text or not text:
        return (
            "unknown issuer: no path from it to a CA in the trust store (the server may omit "
            "an intermediate; pass --tls-ca FILE if this is your private CA)"
        )
    if "no trust anchors" in text:
        return "no trust store was available to check it against (pass --tls-ca FILE)"
    return error or "unknown reason"


def _rank(version: str) -> int:
    return TLS_ORDER.index(version) if version in TLS_ORDER else len(TLS_ORDER)


def _reply_format(steps: Sequence[Step]) -> list[Finding]:
    """The RFC deviations the reply parser tolerated (bare LF, long lines), once."""
    seen: list[str] = []
    first: Step | None = None
    for step in steps:
        for violation in step.reply.violations if step.reply is not None else ():
            first = first or step
            if violation not in seen:
                seen.append(violation)
    if first is None:
        return []
    where = STAGE_WORDS.get(first.stage, f"at {first.stage.value}")
    if first.stage is Stage.GREETING:
        where = "in the greeting"
    evidence = {"violations": seen, "stage": first.stage.value}
    what = "; ".join(seen[:3])
    return [
        finding(
            "session.reply_format", evidence=evidence, stage=first.stage, what=what, where=where
        )
    ]


def _pipelining_stall(failed: Step, steps: Sequence[Step]) -> list[Finding]:
    """A pipelined command never answered after its batch's first ones were."""
    if failed.outcome is not Outcome.TIMEOUT or not failed.pipelined:
        return []
    batch = [s for s in steps if s.pipelined and s.start_ms == failed.start_ms]
    answered = [s for s in batch[: batch.index(failed)] if s.reply is not None]
    if not answered or failed.command is None:
        return []
    verb = failed.command.split(maxsplit=1)[0].upper() if failed.command.strip() else "?"
    return [
        finding(
            "session.pipelining_stall",
            stage=failed.stage,
            evidence={"answered": [s.command for s in answered], "unanswered": failed.command},
            command=_command_words(failed.command),
            answered=" and ".join(_command_words(s.command or "") for s in answered),
            verb=verb,
        )
    ]


def _command_words(command: str) -> str:
    """'MAIL FROM:<a@b>' as a message names it: 'MAIL FROM'."""
    return command.split(":", maxsplit=1)[0].strip() or command


def _after_handshake(step: Step, steps: Sequence[Step]) -> bool:
    """Whether ``step`` came after a TLS handshake that succeeded (under TLS)."""
    for earlier in steps:
        if earlier is step:
            return False
        if earlier.stage is Stage.TLS_HANDSHAKE and earlier.outcome is Outcome.OK:
            return True
    return False


def _helo_fallback(steps: Sequence[Step]) -> tuple[Step, Step] | None:
    """An EHLO refused and the HELO a client then sends (RFC 5321 §4.1.4; on any
    refusal but 421, as Postfix's client): the pair, for session_findings to weigh."""
    for step, after in pairwise(steps):
        refused = step.reply is not None and not step.reply.positive
        if (
            refused
            and step.stage is Stage.EHLO
            and (step.command or "").startswith("EHLO")
            and after.stage is Stage.EHLO
            and (after.command or "").startswith("HELO")
        ):
            return step, after
    return None


# How a connection ends without a word, for a late refusal's message.
_ENDED_HOW = {Outcome.CLOSED: "closed the connection", Outcome.RESET: "reset the connection"}


def _refused_client_certificate(failed: Step | None, steps: Sequence[Step]) -> Finding | None:
    """A TLS 1.3 session that came up after the server asked for a client
    certificate, then ended by the server with no word at the first read after
    the handshake: the server refused the handshake for want of a client
    certificate (it judges the client's Certificate only once the client has
    finished; some stacks close instead of sending certificate_required)."""
    if failed is None or failed.outcome not in _ENDED_HOW or failed.reply is not None:
        return None
    at = steps.index(failed)
    before = steps[at - 1] if at else None
    if before is None or before.stage is not Stage.TLS_HANDSHAKE:
        return None
    if not before.certificate_requested or before.outcome is not Outcome.OK:
        return None
    where = STAGE_WORDS.get(failed.stage, f"at {failed.stage.value}")
    evidence = {
        "certificate_requested": True,
        "outcome": failed.outcome.value,
        "stage": failed.stage.value,
        "detail": failed.detail,
    }
    return finding(
        "tls.handshake.client_certificate_required",
        evidence=evidence,
        variant="closed",
        ended=_ENDED_HOW[failed.outcome],
        where=where,
    )


def _fallback(steps: Sequence[Step]) -> tuple[Step | None, list[Finding]]:
    """A refused EHLO followed by HELO: the EHLO step that is no fault (left out of
    the failures), and what the fallback itself says.

    EHLO unknown (500/502) is no fault where the HELO passed, or failed otherwise
    than by a refusal (a drop: the drop decides); refused too, it stays the fault.
    EHLO refused otherwise (501, 503, 554, a 4xx: the server knows it) stays a
    fault unless the HELO passed: ESMTP is refused, not missing."""
    fell_back = _helo_fallback(steps)
    if fell_back is None or fell_back[0].reply is None:
        return None, []
    refused, helo = fell_back
    refusal = refused.reply
    assert refusal is not None
    unknown = refusal.code in (500, 502)
    if helo.outcome is not Outcome.OK:
        return (refused if unknown and helo.outcome is not Outcome.REPLY else None), []
    if unknown:
        return refused, [finding("ehlo.helo_fallback", code=refusal.code)]
    under_tls = _after_handshake(refused, steps)
    said = finding(
        "ehlo.refused_helo_accepted",
        evidence={"reply": refusal.to_json()},
        category=Category.OTHER if under_tls else Category.STARTTLS_UNAVAILABLE,
        reply=_first_line(refusal),
        variant="tls" if under_tls else "clear",
    )
    return refused, [said]


def session_findings(ev: SessionEvidence, policy: Policy | None = None) -> list[Finding]:
    """Every finding a walked session supports, most severe first."""
    policy = policy or Policy()
    findings: list[Finding] = []
    fallback, said = _fallback(ev.steps)
    findings += said
    steps = [s for s in ev.steps if s is not fallback]
    failed = next(
        (s for s in steps if s.outcome is not Outcome.OK and s.stage is not Stage.QUIT), None
    )
    reached_tls = any(s.stage is Stage.TLS_HANDSHAKE and s.outcome is Outcome.OK for s in ev.steps)
    starttls_refused = any(
        s.stage is Stage.STARTTLS and s.outcome is Outcome.REPLY for s in ev.steps
    )
    deferred = any(note.startswith(FIRST_DEFERRED) for note in ev.notes)
    for step in steps:
        if step.outcome is not Outcome.REPLY or step.stage is Stage.QUIT:
            continue
        if deferred and step is failed and step.reply:
            # Deferred on the first connection only (the walk's second was served).
            findings.append(_first_deferred(step))
        else:
            findings.append(_reply_finding(step, policy, steps))
    findings += _greeting_findings(ev)
    late = _refused_client_certificate(failed, steps)
    if late is not None:
        findings.append(late)
    elif failed is not None and failed.outcome is not Outcome.REPLY:
        findings.append(_transport_finding(failed, ev.port, ev.implicit_tls))
        findings += _pipelining_stall(failed, steps)
    findings += _reply_format(steps)
    greeted = any(s.stage is Stage.EHLO and s.outcome is Outcome.OK for s in ev.steps)
    if greeted and not starttls_refused and (reached_tls or not ev.starttls_offered):
        findings += _tls_findings(ev, policy)
    if greeted:
        findings += _ehlo_findings(ev, policy)
    wanted = ev.size_wanted or _declared_size(ev.steps)
    if ev.size_limit and wanted and wanted > ev.size_limit:
        evidence = {"size_limit": ev.size_limit, "size": wanted}
        findings.append(finding("size.over_limit", evidence=evidence))
    findings += [_note_finding(n, ev) for n in ev.notes if not n.startswith(FIRST_DEFERRED)]
    return sort_findings(findings)


# How the deferred step's command is named in the first-connection finding.
_DEFERRED_COMMAND = {
    Stage.MAIL_FROM: "MAIL FROM",
    Stage.RCPT_TO: "RCPT TO",
    Stage.DATA: "DATA",
    Stage.MESSAGE: "message (the reply after its end)",
}


def _first_deferred(step: Step) -> Finding:
    assert step.reply is not None
    return finding(
        "session.first_connection_deferred",
        evidence={"reply": step.reply.to_json()},
        stage=step.stage,
        reply=_first_line(step.reply),
        command=_DEFERRED_COMMAND.get(step.stage, step.stage.value),
    )


# What each SASL mechanism a server may offer alone asks of a client (RFC 4954 §3:
# the mechanisms in the EHLO reply are the only ways in). The key is the name's
# start, so SCRAM-SHA-256-PLUS is SCRAM's and a family member shares its reading.
_MECHANISM_NEEDS = (
    ("SCRAM-", "the password, through a salted challenge-response (RFC 5802, RFC 7677)"),
    ("NTLM", "Windows (domain) credentials, through Microsoft's NTLM challenge-response"),
    ("DIGEST-MD5", "the password, through DIGEST-MD5 (RFC 2831; Historic since RFC 6331)"),
    ("GSSAPI", "a Kerberos ticket"),
    ("GS2-", "a Kerberos ticket (GS2, RFC 5801)"),
    ("XOAUTH", "an OAuth 2.0 access token, not a password"),
    ("OAUTHBEARER", "an OAuth 2.0 access token, not a password (RFC 7628)"),
    ("EXTERNAL", "a client certificate (the TLS identity), not a password"),
    ("ANONYMOUS", "nothing: it logs no one in"),
)


def _mechanisms_required(mechanisms: Sequence[str]) -> str:
    """What the server requires, mechanism by mechanism, as one sentence."""
    said = []
    for mechanism in mechanisms:
        need = next((n for start, n in _MECHANISM_NEEDS if mechanism.startswith(start)), None)
        if need is not None and mechanism.endswith("-PLUS"):
            need += " bound to the TLS channel (RFC 5929, RFC 9266), which smtpdoctor does not do"
        said.append(f"{mechanism} takes {need or 'something smtpdoctor does not know'}")
    return "The server requires one of: " + "; ".join(said) + "."


def _reordered(replies: str) -> Finding:
    """The pipelining.replies_reordered finding from the two replies ("a | b")."""
    first, _, second = replies.partition(" | ")
    return finding(
        "pipelining.replies_reordered",
        evidence={"mail_from_reply": first, "rcpt_to_reply": second},
        first=first,
        second=second,
    )


def _note_finding(note: str, ev: SessionEvidence) -> Finding:
    """What one of the walk's notes says, as a finding."""
    if note == "the server advertises AUTH with no mechanisms":
        return finding("auth.no_mechanisms")
    if note == "the server does not advertise AUTH":
        return _auth_not_offered(ev)
    if note.startswith(AUTH_NO_PASSWORD_MECHANISM):
        mechanisms = note[len(AUTH_NO_PASSWORD_MECHANISM) :]
        return finding(
            "auth.no_password_mechanism",
            evidence={"mechanisms": mechanisms.split()},
            mechanisms=mechanisms,
        )
    if note.startswith(CLOSED_AT_RSET):
        said = note.removeprefix(CLOSED_AT_RSET)
        return finding("session.closed_at_rset", evidence={"reply": said}, reply=said)
    if note.startswith(AUTH_UNSUPPORTED_MECHANISM):
        offered = note[len(AUTH_UNSUPPORTED_MECHANISM) :].split()
        return finding(
            "auth.mechanism_unsupported",
            evidence={"mechanisms": offered},
            mechanisms=" ".join(offered),
            required=_mechanisms_required(offered),
        )
    capital = f"{note[0].upper()}{note[1:]}"
    if note.startswith("the server sent TLS records right after"):
        return finding("starttls.tls_before_client_hello", note=capital)
    if note.startswith(STARTTLS_NOT_220):
        said = note.removeprefix(STARTTLS_NOT_220)
        return finding("starttls.reply.not_220", evidence={"reply": said}, reply=said)
    if note.startswith(SMTPUTF8_NOT_OFFERED):
        addresses = note.removeprefix(SMTPUTF8_NOT_OFFERED)
        return finding(
            "smtputf8.not_offered", evidence={"addresses": addresses}, addresses=addresses
        )
    if note.startswith(EIGHTBITMIME_NOT_OFFERED):
        done = note.removeprefix(EIGHTBITMIME_NOT_OFFERED)
        return finding("8bitmime.not_offered", evidence={"done": done}, done=done)
    if note.startswith("the server sent plaintext after"):
        return finding("starttls.plaintext_injection", note=capital)
    return finding("session.note", note=note)
