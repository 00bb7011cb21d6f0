"""Findings of ``diagnose --ciphers``: weak suites the server accepts, per TLS version.

The walk and the version matrix see the suite the server *chose*; these see
every suite it *accepts*, which is what a downgrade-capable attacker or an
old peer can get (export, anonymous, NULL, RC4, 3DES, single DES, MD5, a DH
prime under 2048 bits, or only SHA-1 MAC suites at a version).
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

__all__ = ["SPECS"]

_TLS = Stage.TLS_HANDSHAKE
_NONE = Permanence.NONE

_EXCLUDE = Fix(
    MTA.POSTFIX,
    (
        "Exclude the weak suites from what smtpd (and smtp) will negotiate, then reload.",
        "Keep anonymous suites only if no client ever needs to authenticate the server "
        "(they are Postfix's default for opportunistic TLS on port 25).",
    ),
    "smtpd_tls_exclude_ciphers = EXPORT, LOW, NULL, DES, 3DES, RC4, MD5, aNULL\n"
    "smtpd_tls_mandatory_exclude_ciphers = $smtpd_tls_exclude_ciphers",
    "postconf smtpd_tls_exclude_ciphers smtpd_tls_mandatory_exclude_ciphers",
)
_FIXES: tuple[Fix, ...] = (
    _EXCLUDE,
    Fix(
        MTA.EXIM,
        ("Give Exim a cipher list without the weak suites (OpenSSL build).",),
        "tls_require_ciphers = HIGH:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5",
        "exim -bP tls_require_ciphers",
    ),
    Fix(
        MTA.SENDMAIL,
        ("Set a cipher list without the weak suites; rebuild sendmail.cf and restart.",),
        "LOCAL_CONFIG\nO CipherList=HIGH:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5",
        "grep -i CipherList /etc/mail/sendmail.cf",
    ),
    Fix(
        MTA.EXCHANGE,
        (
            "Disable the weak suites in SCHANNEL (Disable-TlsCipherSuite, or the cipher "
            "suite order Group Policy), then reboot.",
        ),
        'Disable-TlsCipherSuite -Name "TLS_RSA_WITH_3DES_EDE_CBC_SHA"',
        "Get-TlsCipherSuite | Format-Table Name",
    ),
    Fix(
        MTA.OPENSMTPD,
        ("Give the listener a cipher list without the weak suites.",),
        'listen on egress tls pki mail.example.com ciphers "HIGH:!aNULL:!3DES:!RC4:!MD5"',
        "smtpd -n",
    ),
    Fix(
        MTA.QMAIL,
        ("With the qmail-tls patch, list the server's suites in control/tlsserverciphers.",),
        "echo 'HIGH:!aNULL:!MD5:!RC4:!3DES:!DES:!EXPORT' > /var/qmail/control/tlsserverciphers",
        "cat /var/qmail/control/tlsserverciphers",
    ),
    Fix(
        MTA.HARAKA,
        ("Give the tls plugin a cipher list without the weak suites, then restart Haraka.",),
        "; config/tls.ini\nciphers=HIGH:!aNULL:!MD5:!RC4:!3DES:!DES:!EXPORT",
        "grep -n ciphers config/tls.ini",
    ),
    Fix(
        MTA.ZIMBRA,
        ("Exclude the weak suites through zmprov (zmconfigd rewrites main.cf), then restart.",),
        "zmprov mcf zimbraMtaSmtpdTlsExcludeCiphers 'EXPORT,LOW,NULL,DES,3DES,RC4,MD5,aNULL'\n"
        "zmmtactl restart",
        "zmprov gcf zimbraMtaSmtpdTlsExcludeCiphers",
    ),
    Fix(
        MTA.COURIER,
        ("Set TLS_CIPHER_LIST in /etc/courier/esmtpd without the weak suites; restart.",),
        "TLS_CIPHER_LIST='HIGH:!aNULL:!MD5:!RC4:!3DES:!DES:!EXPORT'",
        "grep -n TLS_CIPHER_LIST /etc/courier/esmtpd",
    ),
    Fix(
        MTA.GENERIC,
        ("Check which suites the server still accepts after the change.",),
        "openssl s_client -connect mx.example.com:25 -starttls smtp -cipher 'aNULL:3DES:RC4' "
        "-brief </dev/null",
        "smtpdoctor diagnose mx.example.com:25 --ciphers",
    ),
)
_DH_FIXES: tuple[Fix, ...] = (
    Fix(
        MTA.POSTFIX,
        ("Give smtpd a 2048-bit (or larger) DH group; Postfix 3.7+ uses RFC 7919 groups.",),
        "openssl dhparam -out /etc/postfix/dh2048.pem 2048\n"
        "smtpd_tls_dh1024_param_file = /etc/postfix/dh2048.pem",
        "postconf smtpd_tls_dh1024_param_file",
    ),
    Fix(
        MTA.EXIM,
        ("Use a standard 2048-bit or larger group.",),
        "tls_dhparam = ffdhe3072",
        "exim -bP tls_dhparam",
    ),
    Fix(
        MTA.SENDMAIL,
        ("Generate 2048-bit DH parameters for sendmail (8.15.2+ reads confDH_PARAMETERS).",),
        "openssl dhparam -out /etc/mail/certs/dh2048.pem 2048\n"
        "define(`confDH_PARAMETERS', `/etc/mail/certs/dh2048.pem')dnl",
        "grep -i DHParameters /etc/mail/sendmail.cf",
    ),
    Fix(
        MTA.GENERIC,
        ("Use a DH group of at least 2048 bits, or prefer ECDHE suites.",),
        "openssl dhparam -out dh2048.pem 2048",
        "smtpdoctor diagnose mx.example.com:25 --ciphers",
    ),
)

SPECS: tuple[FindingSpec, ...] = (
    FindingSpec(
        "tls.ciphers.accepted",
        Severity.INFO,
        Category.OK,
        _TLS,
        title="Every cipher suite the server accepts, per TLS version (--ciphers).",
        message="Cipher suites accepted: {summary} ({connections} connections).",
        permanence=_NONE,
        fixes=(),
        example={"summary": "TLSv1.2: 9, TLSv1.3: 3", "connections": 14},
    ),
    FindingSpec(
        "tls.ciphers.weak_accepted",
        Severity.WARNING,
        Category.OTHER,
        _TLS,
        title="The server accepts export, NULL, RC4, 3DES, DES or MD5 suites.",
        message="The server accepts weak cipher suites it never chose in the walk: {names}. "
        "A peer that offers only those (or an attacker who strips the rest) gets them; "
        "current OpenSSL and SChannel peers never do.",
        permanence=_NONE,
        retry_helps=False,
        fixes=_FIXES,
        example={"names": "TLSv1.2 TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES (64-bit blocks: Sweet32))"},
    ),
    FindingSpec(
        "tls.ciphers.anonymous",
        None,
        Category.OTHER,
        _TLS,
        title="The server accepts anonymous suites (no certificate): critical when TLS is "
        "required, as they authenticate nothing.",
        message="The server accepts anonymous cipher suites ({names}): nothing authenticates "
        "the server in them. {consequence}",
        permanence=_NONE,
        retry_helps=False,
        fixes=_FIXES,
        example={
            "names": "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
            "consequence": "Senders that verify never choose them; opportunistic ones may.",
        },
    ),
    FindingSpec(
        "tls.ciphers.dh_small",
        Severity.WARNING,
        Category.TLS_HANDSHAKE_FAILURE,
        _TLS,
        title="The server's finite-field DH group is under 2048 bits.",
        message="The server's DH group has {bits} bits ({names}): under 2048 bits is weak "
        "(Logjam), and OpenSSL 3 peers at their default security level refuse it, so a "
        "handshake that settles on one of these suites fails.",
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
        fixes=_DH_FIXES,
        example={"bits": 1024, "names": "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
        source="RFC 7919; https://weakdh.org",
    ),
    FindingSpec(
        "tls.ciphers.sha1_only",
        Severity.WARNING,
        Category.OTHER,
        _TLS,
        title="At a TLS version, every accepted suite uses a SHA-1 MAC (no AEAD suite).",
        message="At {version} every suite the server accepts is a CBC suite with a SHA-1 MAC "
        "({names}); no AES-GCM or ChaCha20-Poly1305 suite, which current peers prefer and "
        "some require.",
        permanence=_NONE,
        retry_helps=False,
        fixes=_FIXES,
        example={"version": "TLSv1.2", "names": "TLS_RSA_WITH_AES_128_CBC_SHA"},
    ),
)
