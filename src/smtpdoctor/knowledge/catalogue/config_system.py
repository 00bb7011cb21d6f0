"""The system TLS policy (OpenSSL configuration, crypto-policies) and what it does to Postfix.

``system.tls.*`` judge an ``openssl.cnf`` or a crypto-policies setting on
their own; ``postfix.system_tls.*`` the TLS versions each Postfix service
really speaks once its own settings meet the system policy (see
:mod:`smtpdoctor.config.system_tls` for what was measured).
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue._config import config_fixes, setting_example
from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

__all__ = ["SPECS"]

_G, _P = MTA.GENERIC, MTA.POSTFIX
_C = Category
_TLS = Stage.TLS_HANDSHAKE

_OPENSSL_FIX = Fix(
    _G,
    (
        "In the section openssl_conf -> ssl_conf -> system_default names, keep TLS 1.2 and "
        "1.3 and security level 2; on RHEL/Fedora choose the policy with "
        "'update-crypto-policies --set DEFAULT' instead of editing the back-end. Restart the "
        "services that link OpenSSL (they read the file at start).",
    ),
    "[system_default_sect]\nMinProtocol = TLSv1.2\nCipherString = DEFAULT:@SECLEVEL=2",
    "openssl s_client -connect <mx>:25 -starttls smtp -tls1_2 </dev/null",
)

_POSTFIX_OWN = Fix(
    _P,
    (
        "Postfix 3.6 and later set their own protocol bounds: put the floor in Postfix itself "
        "(main.cf, and every master.cf service that overrides it), then 'postfix reload'.",
    ),
    "smtpd_tls_protocols = >=TLSv1.2\nsmtp_tls_protocols = >=TLSv1.2",
    "postconf smtpd_tls_protocols smtp_tls_protocols; postconf -P | grep _tls_protocols",
)

_CHECK = Fix(
    _G,
    ("See which versions the server really accepts, one per handshake.",),
    "",
    "openssl s_client -connect <host>:25 -starttls smtp -tls1_2 </dev/null",
)
_POSTFIX_CHECK = Fix(
    _P,
    (
        "A service speaks what its own *_tls_protocols allows (master.cf -o overrides "
        "first, then main.cf), less what the system policy's Protocol line removes.",
    ),
    "",
    "postconf -P | grep _tls_protocols; postconf smtpd_tls_protocols smtp_tls_protocols",
)

_EX = setting_example("MinProtocol", "TLSv1.2", line=8, file="/etc/ssl/openssl.cnf")

SPECS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="system.tls.no_tls12",
        severity=Severity.CRITICAL,
        category=_C.TLS_VERSION_MISMATCH,
        stage=_TLS,
        title="The system OpenSSL policy leaves neither TLS 1.2 nor 1.3.",
        message=(
            "The system TLS policy ({where}) leaves {span}: programs that follow it (Exim or "
            "Sendmail built with OpenSSL, most clients) cannot complete a handshake with "
            "Microsoft 365, Gmail or any peer that requires TLS 1.2."
        ),
        fixes=config_fixes(_G, _C.TLS_VERSION_MISMATCH, _OPENSSL_FIX),
        example={**setting_example("MaxProtocol", "TLSv1.1"), "span": "TLSv1 to TLSv1.1"},
        source="OpenSSL SSL_CONF_cmd(3), config(5)",
    ),
    FindingSpec(
        id="system.tls.min_tls13",
        severity=Severity.WARNING,
        category=_C.TLS_VERSION_MISMATCH,
        stage=_TLS,
        title="The system OpenSSL policy requires TLS 1.3.",
        message=(
            "The system TLS policy requires TLS 1.3 ({where}): peers whose newest version is "
            "TLS 1.2 (Exchange Server on Windows Server 2019 and older, many appliances) "
            "cannot complete a handshake with programs that follow it."
        ),
        fixes=config_fixes(_G, _C.TLS_VERSION_MISMATCH, _OPENSSL_FIX),
        example=setting_example("MinProtocol", "TLSv1.3"),
    ),
    FindingSpec(
        id="system.tls.seclevel_high",
        severity=Severity.WARNING,
        category=_C.TLS_HANDSHAKE_FAILURE,
        stage=_TLS,
        title="The system OpenSSL security level is 3 or more (FUTURE).",
        message=(
            "The system security level is {level} ({where}): OpenSSL refuses peers whose "
            "certificate has an RSA key under 3072 bits (most mail servers use 2048), so "
            "verified deliveries fail and opportunistic ones fall back to clear text."
        ),
        fixes=config_fixes(_G, _C.TLS_HANDSHAKE_FAILURE, _OPENSSL_FIX),
        example={**setting_example("CipherString", "DEFAULT:@SECLEVEL=3"), "level": 3},
        source="OpenSSL SSL_CTX_set_security_level(3)",
    ),
    FindingSpec(
        id="system.tls.effective",
        severity=Severity.INFO,
        category=_C.OK,
        stage=_TLS,
        title="What the system OpenSSL policy lets a program that follows it speak.",
        message=(
            "Programs that follow the system TLS policy ({where}) speak {span}. Postfix 3.6 "
            "and later set their own protocol bounds and security level, so only a Protocol "
            "= -TLSv1 style exclusion reaches them."
        ),
        permanence=Permanence.NONE,
        fixes=(_CHECK,),
        example={**_EX, "span": "TLSv1.2 to TLSv1.3", "enabled": ["TLSv1.2", "TLSv1.3"]},
    ),
    FindingSpec(
        id="system.tls.no_policy",
        severity=Severity.INFO,
        category=_C.OK,
        stage=_TLS,
        title="The OpenSSL configuration sets no system-wide TLS policy.",
        message=(
            "This {kind} configuration sets no system-wide TLS settings (no openssl_conf -> "
            "ssl_conf -> system_default chain with MinProtocol, Protocol or CipherString): "
            "OpenSSL's built-in defaults apply."
        ),
        permanence=Permanence.NONE,
        fixes=(_CHECK,),
        example={"kind": "openssl"},
    ),
    FindingSpec(
        id="postfix.system_tls.no_protocol_left",
        severity=Severity.CRITICAL,
        category=_C.TLS_VERSION_MISMATCH,
        stage=_TLS,
        title="A Postfix service allows only TLS versions the system policy removes.",
        message=(
            "Postfix service {service}, which {who}, allows {own} ({shown}), but the system "
            "policy removes them ({system}): no TLS version is left and every handshake fails."
        ),
        fixes=config_fixes(_P, _C.TLS_VERSION_MISMATCH, _POSTFIX_OWN),
        example={
            **setting_example("smtpd_tls_protocols", ">=TLSv1,<=TLSv1.1", line=4),
            "service": "127.0.0.1:2525/inet",
            "who": "receives (smtpd)",
            "own": "TLSv1 to TLSv1.1",
            "shown": "master.cf line 4: -o smtpd_tls_protocols=>=TLSv1,<=TLSv1.1",
            "system": "openssl.cnf line 9: Protocol = ALL, -TLSv1, -TLSv1.1",
        },
    ),
    FindingSpec(
        id="postfix.system_tls.floor_ignored",
        severity=Severity.WARNING,
        category=_C.TLS_VERSION_MISMATCH,
        stage=_TLS,
        title="The system MinProtocol does not bind Postfix: a service still speaks TLS 1.0/1.1.",
        message=(
            "The system policy sets {floor} as the floor ({system}), but Postfix 3.6 and later "
            "set their own protocol bounds: service {service}, which {who}, still speaks "
            "{span} ({shown})."
        ),
        fixes=config_fixes(_P, _C.TLS_VERSION_MISMATCH, _POSTFIX_OWN),
        example={
            **setting_example("smtpd_tls_protocols", ">=TLSv1", line=4),
            "service": "smtp/inet",
            "who": "receives (smtpd)",
            "span": "TLSv1 to TLSv1.3",
            "floor": "TLSv1.2",
            "shown": "smtpd_tls_protocols not set: Postfix's default >=TLSv1",
            "system": "/etc/ssl/openssl.cnf line 8: MinProtocol = TLSv1.2",
        },
    ),
    FindingSpec(
        id="postfix.system_tls.effective",
        severity=Severity.INFO,
        category=_C.OK,
        stage=_TLS,
        title="The TLS versions a Postfix service really speaks (its settings and the system's).",
        message="Postfix service {service}, which {who}, speaks {span} ({shown}){system}.",
        permanence=Permanence.NONE,
        fixes=(_POSTFIX_CHECK, _CHECK),
        example={
            **setting_example("smtpd_tls_protocols", ">=TLSv1.2", line=30),
            "service": "smtp/inet",
            "who": "receives (smtpd)",
            "span": "TLSv1.2 to TLSv1.3",
            "shown": "main.cf line 30: smtpd_tls_protocols = >=TLSv1.2",
            "system": "",
            "enabled": ["TLSv1.2", "TLSv1.3"],
        },
    ),
)
