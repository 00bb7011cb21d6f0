"""The system TLS policy, alone and judged together with Postfix's own settings. Pure.

What OpenSSL's ``system_default`` section does to a program depends on what
the program sets itself afterwards. Measured here (Postfix 3.7.11 on
OpenSSL 3.0, tests/integration/test_config_system.py): Postfix 3.6+ sets its
own protocol bounds from ``smtpd_tls_protocols`` / ``smtp_tls_protocols``
(default ``>=TLSv1``), its own cipher list and security level, so the
system's ``MinProtocol``, ``MaxProtocol`` and ``CipherString`` ``@SECLEVEL``
change nothing; ``Protocol = -TLSv1, -TLSv1.1`` (protocol-disabling
*options*) stays, because Postfix only adds options. Programs that set no
bounds of their own (Exim and Sendmail built with OpenSSL, which use
``SSL_OP_NO_*`` options only) are expected to get the system floor and
ceiling as written (OpenSSL's documented behaviour, not measured here:
the Exim on these machines is Debian's GnuTLS build, which never reads
``openssl.cnf``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from smtpdoctor.config import postfix
from smtpdoctor.config.common import Ctx, evidence, where
from smtpdoctor.config.judgements import TLS_CANON, TLS_ORDER
from smtpdoctor.config.parsers import ConfigDump, Kind, Section, Setting
from smtpdoctor.config.read_openssl import POLICY_LINE, POLICY_TABLE
from smtpdoctor.knowledge.catalogue import finding
from smtpdoctor.model import Finding

__all__ = ["SystemTls", "check", "postfix_tls_findings", "system_policy"]

_TLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")  # what OpenSSL 3 builds can speak


@dataclass(frozen=True, slots=True)
class SystemTls:
    """The system policy's TLS bounds, each with the setting that made it."""

    source: str
    floor: str | None
    floor_s: Setting | None
    ceiling: str | None
    ceiling_s: Setting | None
    removed: frozenset[str]  # by Protocol = -TLSv1 ... (kept by Postfix too)
    removed_s: Setting | None
    seclevel: int | None
    seclevel_s: Setting | None
    policy: Setting | None  # crypto-policies' policy line

    def honoured(self) -> frozenset[str]:
        """What a program that sets no bounds of its own can speak."""
        lo = TLS_ORDER.index(self.floor) if self.floor else 0
        hi = TLS_ORDER.index(self.ceiling) if self.ceiling else len(TLS_ORDER) - 1
        ok = {p for p in _TLS if lo <= TLS_ORDER.index(p) <= hi} - self.removed
        if self.seclevel is not None and self.seclevel >= 1:
            # OpenSSL 3: TLS 1.0/1.1 sign with SHA-1, refused at level 1 and up.
            ok -= {"TLSv1", "TLSv1.1"}
        return frozenset(ok)


def _version(value: str) -> str | None:
    return TLS_CANON.get(value.strip().lower())


def _protocol_removed(value: str) -> frozenset[str]:
    out: set[str] = set()
    for tok in re.split(r"[\s,]+", value):
        if tok.startswith("-"):
            v = _version(tok[1:])
            if v:
                out.add(v)
    return frozenset(out)


def system_policy(dump: ConfigDump) -> SystemTls | None:
    """The bounds an OpenSSL or crypto-policies dump sets, or None if it sets none."""
    sd = next((s for s in dump.sections if s.kind == "system_default"), None)
    pol = next((s for s in dump.sections if s.kind == "policy"), None)
    if sd is None:
        return None
    floor_s = sd.get("TLS.MinProtocol") or sd.get("MinProtocol")
    ceiling_s = sd.get("TLS.MaxProtocol") or sd.get("MaxProtocol")
    proto_s = sd.get("Protocol")
    cipher_s = sd.get("CipherString")
    level_m = re.search(r"@SECLEVEL=(\d)", cipher_s.value) if cipher_s is not None else None
    floor = _version(floor_s.value) if floor_s is not None else None
    policy = pol.get("policy") if pol is not None else None
    seclevel = int(level_m.group(1)) if level_m else None
    if policy is not None and floor_s is None:
        # Only the policy name: what it generates (the back-end was not given).
        m = POLICY_LINE.match(policy.value)
        base = POLICY_TABLE.get(m.group(1)) if m else None
        if base is not None:
            floor, floor_s = base[0], policy
            if seclevel is None:
                seclevel, cipher_s = base[1], policy
    if floor_s is None and ceiling_s is None and proto_s is None and cipher_s is None:
        return None
    return SystemTls(
        source=(
            floor_s or ceiling_s or proto_s or cipher_s or policy or Setting("", "", 0, "")
        ).file,
        floor=floor,
        floor_s=floor_s,
        ceiling=_version(ceiling_s.value) if ceiling_s is not None else None,
        ceiling_s=ceiling_s,
        removed=_protocol_removed(proto_s.value) if proto_s is not None else frozenset(),
        removed_s=proto_s,
        seclevel=seclevel,
        seclevel_s=cipher_s if seclevel is not None else None,
        policy=policy,
    )


def _span(versions: Sequence[str] | frozenset[str]) -> str:
    ordered = sorted(versions, key=TLS_ORDER.index)
    if not ordered:
        return "no TLS version"
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} to {ordered[-1]}"


# --- the policy alone ---------------------------------------------------------------


def check(dump: ConfigDump, ctx: Ctx) -> list[Finding]:
    """An OpenSSL configuration or crypto-policies on its own."""
    pol = system_policy(dump)
    if pol is None:
        anchor = next((s.settings()[0] for s in dump.sections if len(s)), None)
        return [finding("system.tls.no_policy", evidence=evidence(anchor), kind=dump.kind.value)]
    return _policy_findings(pol)


def _policy_findings(pol: SystemTls) -> list[Finding]:
    out: list[Finding] = []
    honoured = pol.honoured()
    anchor = pol.floor_s or pol.ceiling_s or pol.removed_s or pol.seclevel_s
    if not honoured & {"TLSv1.2", "TLSv1.3"}:
        out.append(
            finding(
                "system.tls.no_tls12",
                evidence=evidence(anchor, enabled=sorted(honoured, key=TLS_ORDER.index)),
                where=where(anchor) if anchor is not None else pol.source,
                span=_span(honoured),
            )
        )
    elif pol.floor == "TLSv1.3" and pol.floor_s is not None:
        out.append(
            finding(
                "system.tls.min_tls13", evidence=evidence(pol.floor_s), where=where(pol.floor_s)
            )
        )
    if pol.seclevel is not None and pol.seclevel >= 3 and pol.seclevel_s is not None:
        out.append(
            finding(
                "system.tls.seclevel_high",
                evidence=evidence(pol.seclevel_s, seclevel=pol.seclevel),
                where=where(pol.seclevel_s),
                level=pol.seclevel,
            )
        )
    out.append(
        finding(
            "system.tls.effective",
            evidence=evidence(
                anchor,
                enabled=sorted(honoured, key=TLS_ORDER.index),
                floor=pol.floor,
                ceiling=pol.ceiling,
                seclevel=pol.seclevel,
                removed=sorted(pol.removed, key=TLS_ORDER.index),
            ),
            span=_span(honoured),
            where=where(anchor) if anchor is not None else pol.source,
        )
    )
    return out


# --- judged with Postfix ------------------------------------------------------------


def _companion_policy(dump: ConfigDump) -> SystemTls | None:
    for other in dump.companions:
        if other.kind in {Kind.OPENSSL, Kind.CRYPTO_POLICIES}:
            pol = system_policy(other)
            if pol is not None:
                return pol
    return None


def postfix_tls_findings(
    dump: ConfigDump, runs: Sequence[tuple[str, str, Section]]
) -> list[Finding]:
    """What each smtpd listener and smtp client can really speak.

    ``runs`` is (service name, ``smtpd`` or ``smtp``, effective settings) per
    service; ``main.cf``'s own smtpd and smtp are judged too when no service
    of that side is listed. Without a system policy companion, the Postfix
    settings alone decide (OpenSSL's built-in defaults remove nothing).
    """
    pol = _companion_policy(dump)
    if pol is None and not runs:
        return []  # main.cf alone: its own rules say all there is
    sides = {side for _, side, _ in runs}
    all_runs = list(runs) + [
        ("main.cf", side, dump.main) for side in ("smtpd", "smtp") if side not in sides
    ]
    out: list[Finding] = []
    for name, side, section in all_runs:
        out += _postfix_run(name, side, section, pol)
    return out


def _postfix_run(name: str, side: str, section: Section, pol: SystemTls | None) -> list[Finding]:
    level, _ = postfix.tls_level(section, side)
    if level == "none":
        return []
    # Where TLS is required the mandatory list applies, else the plain one.
    mandatory = "_mandatory" if level in postfix.MANDATORY_LEVELS else ""
    param = f"{side}_tls{mandatory}_protocols"
    setting = section.get(param)
    value = postfix.expand(setting.value, section) if setting is not None else ">=TLSv1"
    own = postfix.postfix_protocols(value) & frozenset(_TLS)
    removed = pol.removed if pol is not None else frozenset()
    enabled = own - removed
    cut = sorted(removed & own, key=TLS_ORDER.index)
    ordered = sorted(enabled, key=TLS_ORDER.index)
    ev = evidence(
        setting,
        service=name,
        side=side,
        enabled=ordered,
        floor=ordered[0] if ordered else None,
        ceiling=ordered[-1] if ordered else None,
        postfix_allows=sorted(own, key=TLS_ORDER.index),
        system_removed=cut,
        system_source=pol.source if pol is not None else None,
    )
    shown = where(setting) if setting is not None else f"{param} not set: Postfix's default >=TLSv1"
    who = "receives (smtpd)" if side == "smtpd" else "delivers (smtp)"
    out: list[Finding] = []
    if own and not enabled and pol is not None and pol.removed_s is not None:
        out.append(
            finding(
                "postfix.system_tls.no_protocol_left",
                evidence=ev,
                service=name,
                who=who,
                own=_span(own),
                shown=shown,
                system=where(pol.removed_s),
            )
        )
    if (
        pol is not None
        and pol.floor_s is not None
        and pol.floor in {"TLSv1.2", "TLSv1.3"}
        and enabled & {"TLSv1", "TLSv1.1"}
    ):
        out.append(
            finding(
                "postfix.system_tls.floor_ignored",
                evidence=ev,
                service=name,
                who=who,
                span=_span(enabled),
                floor=pol.floor,
                system=where(pol.floor_s),
                shown=shown,
            )
        )
    out.append(
        finding(
            "postfix.system_tls.effective",
            evidence=ev,
            service=name,
            who=who,
            span=_span(enabled),
            shown=shown,
            system=f"; the system policy ({pol.source}) removes {', '.join(cut) or 'nothing'}"
            if pol is not None
            else "",
        )
    )
    return out
