"""The dashboard's guards: who may connect, which requests may change state, headers.

- **Bind**: loopback needs nothing; any other address needs a token, and the
  dashboard refuses to start without one (:func:`check_bind`).
- **Token**: when set, every request carries it (``Authorization: Bearer``,
  or the ``smtpdoctor_token`` cookie that ``?token=`` sets once), or gets 401.
- **CSRF**: a random per-browser value in a ``SameSite=Strict`` cookie, echoed
  by every POST in a form field or the ``X-CSRF-Token`` header (double
  submit); a POST whose ``Origin`` is another site is refused as well.
- **Host**: without a token, only a request naming the dashboard by a
  loopback address, ``localhost`` or one of ``allowed_hosts`` is served, so a
  web page whose name an attacker re-points at 127.0.0.1 (DNS rebinding)
  reads nothing and posts nothing.
- **Headers** on every response: a CSP allowing only the dashboard's own
  script and style sheet (no inline script, no style attributes),
  ``frame-ancestors 'none'``, ``nosniff``, ``no-referrer``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "CSP",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "TOKEN_COOKIE",
    "SecurityMiddleware",
    "check_bind",
    "csrf_ok",
    "host_allowed",
    "is_loopback",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
TOKEN_COOKIE = "smtpdoctor_token"
CSRF_COOKIE = "smtpdoctor_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``; anything else (0.0.0.0, ::, a name) is not."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse (ValueError) a non-loopback bind without a token."""
    if not is_loopback(host) and not token:
        raise ValueError(
            f"the dashboard on {host} (not loopback) needs a token: set "
            "SMTPDOCTOR_WEB_TOKEN or web.token_file, or listen on 127.0.0.1 "
            "behind a reverse proxy that authenticates (docs/dashboard.md)"
        )


def host_allowed(host: str | None, allowed: frozenset[str]) -> bool:
    """The Host header names a loopback address, ``localhost`` or an allowed name."""
    if not host:
        return False
    name = host.lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return is_loopback(name) or name in allowed


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is ignored, not fatal
                continue
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def _cookie(name: str, value: str, *, secure: bool) -> bytes:
    flags = "Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    return f"{name}={value}; {flags}".encode()


class SecurityMiddleware:
    """Token check, CSRF cookie, security headers, around any ASGI app."""

    def __init__(
        self, app: ASGIApp, token: str | None = None, allowed_hosts: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.token = token or None
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        extra: list[tuple[bytes, bytes]] = []
        secure = scope.get("scheme") == "https"
        if self.token is None and not host_allowed(_header(scope, b"host"), self.allowed_hosts):
            await _plain(send, 403, b"403: unknown Host (see web.allowed_hosts)\n", [])
            return
        if self.token is not None:
            bearer = (_header(scope, b"authorization") or "").removeprefix("Bearer ").strip()
            given = query.get("token")
            if _same(given, self.token):
                # The token in a URL is taken once, into a cookie, and the URL cleaned,
                # so it stays out of history and logs from then on.
                rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
                location = scope.get("path", "/") + (f"?{rest}" if rest else "")
                await _plain(send, 303, b"see other\n", [
                    (b"location", location.encode()),
                    (b"set-cookie", _cookie(TOKEN_COOKIE, self.token, secure=secure)),
                ])  # fmt: skip
                return
            if not (_same(bearer, self.token) or _same(cookies.get(TOKEN_COOKIE), self.token)):
                await _plain(
                    send, 401, b"401: this dashboard needs its token\n",
                    [(b"www-authenticate", b'Bearer realm="smtpdoctor"')],
                )  # fmt: skip
                return
        csrf = cookies.get(CSRF_COOKIE, "")
        if len(csrf) != 43 or not csrf.replace("-", "").replace("_", "").isalnum():
            csrf = secrets.token_urlsafe(32)
            extra.append((b"set-cookie", _cookie(CSRF_COOKIE, csrf, secure=secure)))
        scope.setdefault("state", {})["csrf"] = csrf

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *HEADERS,
            *headers,
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def csrf_ok(scope: Scope, form_value: str | None) -> bool:
    """A POST echoes the browser's CSRF cookie and does not come from another site."""
    cookie = _cookies(scope).get(CSRF_COOKIE)
    echoed = form_value or _header(scope, CSRF_HEADER.encode())
    if not _same(cookie, echoed):
        return False
    origin = _header(scope, b"origin")
    if origin and origin != "null":
        host = _header(scope, b"host") or ""
        if origin.split("://", 1)[-1] != host:
            return False
    return _header(scope, b"sec-fetch-site") not in {"cross-site", "same-site"}
