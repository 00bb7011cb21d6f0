"""The ``--as PROFILE`` difficult receivers, as data: what the receiver does on purpose.

Each profile is a healthy receiver with one behaviour changed; the behaviour
itself is implemented once, in :mod:`smtpdoctor.receiver.behaviours`, for
the lab and the receiver both.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from enum import StrEnum

from smtpdoctor.receiver.behaviours import THROTTLE_REPLY, Drop, TlsPolicy

__all__ = ["DEFAULT_PROFILE", "GREETING_421", "PROFILES", "Profile", "StartTLS"]

GREETING_421 = "421 4.3.2 Service not available, closing transmission channel"


class StartTLS(StrEnum):
    OFFER = "offer"
    HIDE = "hide"  # not advertised; 502 if sent anyway
    REFUSE = "refuse"  # advertised, then 454 (RFC 3207 §4)


_V = ssl.TLSVersion
# The plain receiver accepts TLS 1.0 to 1.3, so it sees (and reports) what a
# legacy sender does instead of refusing it.
_OPEN = TlsPolicy(_V.TLSv1, _V.TLSv1_3)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    tls: TlsPolicy = _OPEN
    starttls: StartTLS = StartTLS.OFFER
    greeting: str | None = None  # a refusal instead of the banner, then close
    rate_limit: bool = False  # refuse a client's sessions after the first N
    refuse_reply: str = THROTTLE_REPLY
    drop_at_data: Drop | None = None
    slow: bool = False  # every reply held for the profile's delay
    # What the receiver does on purpose, for the report ("... the receiver {action}").
    action: str | None = None


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("default", "Accepts everything (TLS 1.0-1.3) and reports what the sender does."),
        Profile(
            "modern",
            "TLS 1.2 and 1.3 only, as Microsoft 365 and Gmail.",
            TlsPolicy(),
            action="accepted only TLS 1.2 and 1.3",
        ),
        Profile(
            "tls13-only",
            "TLS 1.3 only.",
            TlsPolicy(_V.TLSv1_3, _V.TLSv1_3),
            action="accepted only TLS 1.3",
        ),
        Profile(
            "tls12-only",
            "TLS 1.2 only.",
            TlsPolicy(_V.TLSv1_2, _V.TLSv1_2),
            action="accepted only TLS 1.2",
        ),
        Profile(
            "legacy-tls",
            "TLS 1.0 and 1.1 only.",
            TlsPolicy(_V.TLSv1, _V.TLSv1_1),
            action="accepted only TLS 1.0 and 1.1",
        ),
        Profile(
            "no-starttls",
            "STARTTLS not offered.",
            starttls=StartTLS.HIDE,
            action="did not offer STARTTLS",
        ),
        Profile(
            "starttls-454", "STARTTLS offered, then refused with 454.", starttls=StartTLS.REFUSE
        ),
        Profile("greeting-421", "421 at the greeting, then close.", greeting=GREETING_421),
        Profile(
            "rate-limit",
            "Serves each client's first N sessions (--limit), then 421 4.7.0 at the greeting.",
            rate_limit=True,
        ),
        Profile(
            "drop-at-data", "Resets the connection on the DATA command.", drop_at_data=Drop.RESET
        ),
        Profile(
            "slow", "Holds every reply for --delay seconds.", slow=True, action="held every reply"
        ),
        Profile(
            "require-client-cert",
            "TLS 1.2/1.3 and a client certificate required (--client-ca, else the system's CAs).",
            TlsPolicy(require_client_cert=True),
            action="required a client certificate",
        ),
    )
}
DEFAULT_PROFILE = PROFILES["default"]
