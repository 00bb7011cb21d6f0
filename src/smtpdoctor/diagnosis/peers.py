"""The sending peers whose view a diagnosis can take (``--peer``).

Each profile says what TLS the peer insists on when it delivers to the
server under test, and what the user sees when it cannot. Sources:

- RFC 8996 (March 2021) deprecates TLS 1.0 and 1.1 for every use; RFC 8997
  applies it to mail submission and access. Both set TLS 1.2 as the floor.
- Microsoft ended TLS 1.0/1.1 for Exchange Online (Microsoft 365) from
  January 2022 ("TLS 1.0 and 1.1 deprecation for Office 365", Microsoft
  Learn); Exchange Online and Outlook.com negotiate only TLS 1.2+ in SMTP
  (reported by the Internet.nl maintainers, internetstandards/Internet.nl
  issue 1355). A failed TLS handshake shows there as "421 4.4.2 Connection
  dropped due to SocketError" or "451 4.4.0 ... TLS negotiation failed".
- Gmail and Yahoo: their published sender guidelines ask for TLS on every
  connection; their servers use OpenSSL/BoringSSL builds that no longer
  negotiate TLS 1.0/1.1 by default. We model them with the RFC 8996 floor and
  say so; the profile is an assumption to check against their current docs.

Cipher expectation at TLS 1.2 (TLS 1.3's AES-GCM suites are mandatory for
every implementation, RFC 8446 §9.1, so any two TLS 1.3 stacks share one):

- generic, gmail, yahoo: the suites RFC 9325 §4.2 (formerly RFC 7525)
  recommends: ECDHE or DHE key exchange with AES-GCM or ChaCha20-Poly1305.
- microsoft365: the TLS 1.2 suites Microsoft lists for Office 365 ("TLS
  cipher suites supported by Office 365", Microsoft Learn): ECDHE with
  AES-GCM, and ECDHE with AES-CBC-SHA256/384. No DHE, no static RSA, no SHA-1.
"""

from __future__ import annotations

from smtpdoctor.fastdataclass import dataclass

__all__ = ["PEERS", "RFC9325_TLS12", "PeerProfile"]

# ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 (RFC 9325 §4.2).
RFC9325_TLS12 = (0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC02B, 0xC02F, 0x009F, 0xCCAA, 0x009E)
# Office 365's TLS 1.2 list: ECDHE with AES-GCM, then ECDHE with AES-CBC-SHA2.
_M365_TLS12 = (0xC02C, 0xC030, 0xC02B, 0xC02F, 0xC024, 0xC028, 0xC023, 0xC027)


@dataclass(frozen=True, slots=True)
class PeerProfile:
    """A large sending service's TLS floor, and what happens to mail that falls below it."""

    name: str
    label: str  # for people: "Microsoft 365"
    min_tls: str
    consequence: str  # what happens when the server cannot meet the floor
    source: str
    tls12_ciphers: tuple[int, ...] = ()  # IANA codes the peer offers at TLS 1.2


PEERS: dict[str, PeerProfile] = {
    "generic": PeerProfile(
        "generic",
        "peers that follow RFC 8996",
        "TLSv1.2",
        "a peer that follows RFC 8996 refuses the handshake; an opportunistic one may fall "
        "back to plaintext, a strict one defers the mail",
        "RFC 8996 §2-§3",
        RFC9325_TLS12,
    ),
    "microsoft365": PeerProfile(
        "microsoft365",
        "Microsoft 365 (Exchange Online)",
        "TLSv1.2",
        "Microsoft 365 will drop the session: 421 4.4.2 Connection dropped due to SocketError "
        "(or 451 4.4.0 ... TLS negotiation failed) and the mail waits in its queue",
        "Microsoft Learn, TLS 1.0 and 1.1 deprecation for Office 365 (2022); RFC 8996",
        _M365_TLS12,
    ),
    "gmail": PeerProfile(
        "gmail",
        "Gmail",
        "TLSv1.2",
        "Gmail cannot complete the handshake and defers or delivers without TLS, depending on "
        "the sending policy; with MTA-STS enforce on your domain it defers",
        "RFC 8996; Google sender guidelines (TLS required for bulk senders)",
        RFC9325_TLS12,
    ),
    "yahoo": PeerProfile(
        "yahoo",
        "Yahoo",
        "TLSv1.2",
        "Yahoo cannot complete the handshake and defers the mail",
        "RFC 8996; Yahoo sender best practices (TLS)",
        RFC9325_TLS12,
    ),
}
