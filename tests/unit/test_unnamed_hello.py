"""The TLS version matrix sends one hello with no SNI where the walk named the
MX host: a TLS 1.3 server's TLS 1.2 hello (its chain comes in clear), as
Postfix and Exim send by default; every other hello names the host as before,
and a walk by address names nothing anywhere."""

from __future__ import annotations

from smtpdoctor.probe.tls import _plan
from smtpdoctor.protocol.clienthello import parse_client_hello

NAME = "mx.example.com"


def _names(top: str, server_name: str | None) -> dict[str, str | None]:
    plan = _plan(top, server_name, True, None, 1.0)
    return {label: parse_client_hello(hello).server_name for label, hello, _ in plan}


def test_only_the_tls12_hello_to_a_tls13_server_goes_unnamed() -> None:
    assert _names("TLSv1.3", NAME) == {
        "TLSv1.2": None,
        "TLSv1.1": NAME,
        "TLSv1": NAME,
        "SSLv3": NAME,
        "large-hello": NAME,
    }


def test_a_tls12_server_and_a_walk_by_address_are_as_before() -> None:
    assert set(_names("TLSv1.2", NAME).values()) == {NAME}
    assert set(_names("TLSv1.3", None).values()) == {None}
