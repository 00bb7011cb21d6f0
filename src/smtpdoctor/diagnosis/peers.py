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

Cipher expectation: every profile wants at least one AEAD suite with forward
secrecy (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305) at TLS 1.2, which is
what RFC 7525 §4.2 recommends and what current OpenSSL, BoringSSL and
SChannel builds offer first.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PEERS", "PeerProfile"]


@dataclass(frozen=True, slots=True)
class PeerProfile:
    name: str
    label: str  # for people: "Microsoft 365"
    min_tls: str
    consequence: str  # what happens when the server cannot meet the floor
    source: str


PEERS: dict[str, PeerProfile] = {
    "generic": PeerProfile(
        "generic",
        "peers that follow RFC 8996",
        "TLSv1.2",
        "a peer that follows RFC 8996 refuses the handshake; an opportunistic one may fall "
        "back to plaintext, a strict one defers the mail",
        "RFC 8996 §2-§3",
    ),
    "microsoft365": PeerProfile(
        "microsoft365",
        "Microsoft 365 (Exchange Online)",
        "TLSv1.2",
        "Microsoft 365 will drop the session: 421 4.4.2 Connection dropped due to SocketError "
        "(or 451 4.4.0 ... TLS negotiation failed) and the mail waits in its queue",
        "Microsoft Learn, TLS 1.0 and 1.1 deprecation for Office 365 (2022); RFC 8996",
    ),
    "gmail": PeerProfile(
        "gmail",
        "Gmail",
        "TLSv1.2",
        "Gmail cannot complete the handshake and defers or delivers without TLS, depending on "
        "the sending policy; with MTA-STS enforce on your domain it defers",
        "RFC 8996; Google sender guidelines (TLS required for bulk senders)",
    ),
    "yahoo": PeerProfile(
        "yahoo",
        "Yahoo",
        "TLSv1.2",
        "Yahoo cannot complete the handshake and defers the mail",
        "RFC 8996; Yahoo sender best practices (TLS)",
    ),
}
