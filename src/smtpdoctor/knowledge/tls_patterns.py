"""Phrasings of TLS failures: versions, modes, certificates, handshakes, STARTTLS.

Part of :data:`smtpdoctor.knowledge.patterns.PATTERNS` (its generic table,
right after the delivered pattern; the first specific match wins): what
Postfix, Exim, Sendmail, Microsoft 365 and client libraries write when the
TLS layer fails, and when STARTTLS is required but missing.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Permanence, Stage

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_DROP = "connection_drop"
_p = pattern

__all__ = ["MS_TLS_FLOOR", "TLS_PATTERNS"]

MS_TLS_FLOOR = (
    "Microsoft 365 accepts only TLS 1.2 or later since it retired TLS 1.0/1.1; an "
    "Exchange or Windows server without TLS 1.2 enabled in SCHANNEL fails like this."
)

TLS_PATTERNS: tuple[TextPattern, ...] = (
    # --- TLS: versions, modes, certificates, handshakes --------------------------------
    _p(
        "ms.tls_negotiation_socketerror",
        r"TLS negotiation failed with error SocketError",
        _C.TLS_VERSION_MISMATCH,
        "Exchange could not negotiate TLS with the other server; the connection broke "
        "during the handshake.",
        MS_TLS_FLOOR,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 16, lines12) Windows' Schannel found no certificate (credentials) to offer:
    # Exchange's "TLS negotiation failed with error NoCredentials" (the certificate named in
    # a connector's TlsCertificateName is missing), SEC_E_NO_CREDENTIALS in other words.
    # A certificate problem, read before the handshake's generic failure words.
    _p(
        "tls.no_credentials",
        r"\bTLS negotiation failed with error NoCredentials\b|\bSEC_E_NO_CREDENTIALS\b|"
        r"\bNo credentials are available in the security package\b",
        _C.TLS_CERTIFICATE,
        "The TLS side had no certificate to present (Windows Schannel: no credentials), "
        "so the handshake could not be completed.",
        "The certificate a connector names (Exchange's TlsCertificateName) was renewed or "
        "removed, or is not enabled for SMTP.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.protocol_version",
        # (and OpenSSL's and BoringSSL's reason symbols, as Mono and others print them:
        # "SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION")
        r"unsupported[ _]protocol|alert[ _]protocol[ _]version|\bprotocol[ _]version\b|"
        r"no protocols available|wrong ssl version|unsupported (?:tls |ssl )?version|"
        r"version too low|inappropriate fallback|no shared (?:protocol|version)",
        _C.TLS_VERSION_MISMATCH,
        "The TLS handshake failed because the two sides have no protocol version in "
        "common (e.g. one offers only TLS 1.0/1.1, the other requires 1.2+).",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # (session 16, lines13) Windows SChannel's SEC_E_ALGORITHM_MISMATCH (0x80090331), as
    # .NET's SmtpClient and MailKit print it: the two sides share no protocol version
    # or cipher suite (most often a server limited to TLS 1.0/1.1, or a client to 1.0).
    _p(
        "l13.tls.schannel_no_common_algorithm",
        r"cannot communicate, because they do not possess a common algorithm",
        _C.TLS_VERSION_MISMATCH,
        "Windows (SChannel) could not agree a TLS version or cipher suite with the other "
        "side: they have none in common.",
        "One side allows only old TLS versions (1.0/1.1) and the other requires 1.2 or "
        "later, or the cipher suites enabled on each side do not overlap.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "ms.tls_required_version",
        r"TLS 1\.[01] (?:is )?(?:not supported|deprecated|disabled)",
        _C.TLS_VERSION_MISMATCH,
        "The server refuses the old TLS version the client tried.",
        MS_TLS_FLOOR,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.plaintext_mode_mismatch",
        r"wrong version number|first record does not look like a TLS handshake|"
        # (OpenSSL's "ssl3_get_record:http request", not an application's "HTTP request")
        r"GET_(?:SERVER|CLIENT)_HELLO:unknown protocol|\bunknown protocol\b|:http request\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "One side started TLS straight away (implicit TLS, port 465) while the other "
        "expected plain SMTP with STARTTLS (ports 25/587), or the other way round.",
        "smtp_tls_wrappermode (Postfix), protocol = smtps (Exim) or the client's "
        "'SSL/TLS' vs 'STARTTLS' setting does not match the port.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_expired",
        r"certificate (?:has )?expired|cert(?:ificate)? (?:is )?not yet valid|CERT_HAS_EXPIRED",
        _C.TLS_CERTIFICATE,
        "The server's certificate is outside its validity dates.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_name",
        r"certificate name mismatch|\bname mismatch\b|hostname mismatch|"
        r"does not match (?:the )?(?:host ?name|server name|(?:server )?certificate)|altnames|"
        # PHP's stream layer: "Peer certificate CN=`a' did not match expected CN=`b'".
        r"did not match expected CN|"
        # (session 14) curl's: "no alternative certificate subject name matches target host
        # name", "certificate subject name 'x' does not match target host name 'y'"
        r"\bmatch(?:es)? target host ?name\b|"
        r"subjectAltName does not match",
        _C.TLS_CERTIFICATE,
        "The certificate does not name the host that was contacted.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.certificate_untrusted",
        r"certificate (?:verification|validation) failed|certificate verify failed|"
        r"Server certificate not (?:verified|trusted)|SSL verify error|untrusted issuer|"
        r"self[- ]signed certificate|unable to (?:get local issuer|verify the first) certificate|"
        r"not trusted by the trust provider|issuer has been marked as not trusted|CERT_UNTRUSTED|"
        # GnuTLS (Exim's gnutls_handshake): "The certificate is NOT trusted."
        r"certificate is NOT trusted|certificate issuer is unknown|"
        # The peer's alert about *our* certificate (RFC 8446 §6.2): it did
        # not trust the CA (48), or found the certificate bad or unknown.
        r"alert (?:unknown ca|bad certificate|certificate unknown)|"
        r"alert number (?:42|46|48)\b|"
        # (session 14, lines9) Sendmail's STARTTLS log line: "verify=FAIL" is its word
        # for a peer certificate that failed verification (the session may go on)
        r"STARTTLS=(?:client|server),[^\n]*\bverify=FAIL\b",
        _C.TLS_CERTIFICATE,
        "The certificate could not be verified: self-signed, an unknown or private CA, "
        "or a missing intermediate certificate.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "exim.tls_recv_unclean_close",
        r"TLS error on connection(?: (?:to|from) [^()\n]*)? \(recv\): "
        r"The TLS connection was non-properly terminated",
        _C.CONNECTION_DROPPED,
        "The peer closed the TLS session without a proper close (no close_notify). Exim "
        "logs it; if the message was accepted before, nothing was lost.",
        source="exim",
        permanence=_T,
        retry=True,
        kind=_DROP,
    ),
    _p(
        "sendmail.starttls_client_error",
        r"STARTTLS=(?:client|server), error: (?:connect|accept) failed",
        _C.TLS_HANDSHAKE_FAILURE,
        "sendmail's TLS handshake with the peer failed after STARTTLS.",
        source="sendmail",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "ms.tls_442",
        r"\b4\.4\.2\b[^\n]{0,200}\bTLS\b|\bTLS\b[^\n]{0,200}\b4\.4\.2\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The connection was dropped while setting up TLS. The code is temporary, but the "
        "same TLS mismatch will happen on every retry until a configuration changes.",
        MS_TLS_FLOOR,
        source="microsoft",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.handshake_failed",
        r"TLS handshake failed|Cannot start TLS|SSL_connect error|SSL_accept error|"
        r"TLS error on connection|handshake failure|TLS negotiation failed|TLS library problem|"
        r"SSL connect attempt failed|lost connection after STARTTLS|no shared cipher|"
        r"TLS session failure|Handshake ?failed|received fatal alert|"
        # (session 14) Qt's QSslSocket with no TLS library to start, .NET's SslStream
        # exception (its namespace says "Authentication": TLS's, not SMTP AUTH's)
        r"\bTLS initiali[sz]ation failed\b|\bA call to SSPI failed\b|"
        r"\bSystem\.Security\.Authentication\.AuthenticationException\b|"
        # OpenSSL's own error strings
        r"SSL routines:\w*(?:HELLO|HANDSHAKE|CONNECT|ACCEPT)\w*|\b(?:sslv3|tlsv1) alert\b|"
        # (session 16, lines12) qmail-remote's TLS patch ("TLS connect failed: error:..."); a
        # certificate's own words, read above, decide first
        r"\bTLS connect failed\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake after STARTTLS failed, so the session could not continue encrypted.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    _p(
        "tls.handshake_eof",
        # rustls (Stalwart, lettre): the peer closed the socket inside the handshake
        r"\btls handshake eof\b",
        _C.TLS_HANDSHAKE_FAILURE,
        "The server closed the connection in the middle of the TLS handshake.",
        "The two sides share no TLS version or cipher (an old server that offers only "
        "TLS 1.0/1.1 or old ciphers), or a filter drops the handshake.",
        source="tls",
        stage=_S.TLS_HANDSHAKE,
        permanence=_T,
        retry=False,
    ),
    # --- STARTTLS required or missing ----------------------------------------------------
    _p(
        "postfix.tls_required_not_offered",
        r"TLS is required, but (?:was not offered|host \S+ refused to start TLS|"
        r"our TLS engine is unavailable|unavailable)",
        _C.STARTTLS_UNAVAILABLE,
        "This side requires TLS for the destination, but the server did not offer or "
        "start STARTTLS.",
        source="postfix",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    _p(
        "smtp.tls_not_available",
        r"TLS not available|STARTTLS not available|TLS not supported|does not support STARTTLS|"
        r"STARTTLS (?:is )?not offered|"
        # Stalwart's "STARTTLS (was) not advertised by host"; maddy's "TLS it not
        # available or unauthenticated but required"
        r"\bSTARTTLS (?:was )?not advertised by\b|"
        r"\bTLS (?:it|is) not available or unauthenticated\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server refused STARTTLS (no certificate configured, or TLS disabled).",
        stage=_S.STARTTLS,
        permanence=_T,
        retry=False,
    ),
    _p(
        "smtp.starttls_required",
        r"Must issue (?:a )?STARTTLS command first|STARTTLS (?:is )?required|TLS (?:is )?required|"
        # (.NET's "requires a secure connection or the client was not authenticated" wraps
        # any 530 reply: the reply inside decides.)
        r"encryption (?:is )?required|"
        r"requires? (?:a )?(?:secure|encrypted) connection(?! or (?:the )?client (?:was|is) not)|"
        r"Bad sequence of commands \(TLS required\)|\bREQUIRETLS\b",
        _C.STARTTLS_UNAVAILABLE,
        "The server requires the session to be encrypted with STARTTLS first, and the "
        "client did not do it.",
        "The sending side has TLS switched off (e.g. smtp_tls_security_level = none).",
        "A firewall removed STARTTLS from the server's EHLO reply.",
        permanence=_T,
        retry=False,
    ),
)
