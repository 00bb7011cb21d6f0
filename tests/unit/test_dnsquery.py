"""``--resolver HOST[:PORT]``: parsing and the resolver it builds (nothing is asked)."""

from __future__ import annotations

import pytest

from smtpdoctor.probe import dnsquery

TIMEOUT = 2.0


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        (" 192.0.2.53:53 ", ("192.0.2.53", 53)),
        ("::1", ("::1", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[::1]", ("::1", 53)),
        ("[2001:DB8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_resolver_spec_parses(spec: str, expected: tuple[str, int]) -> None:
    assert dnsquery.parse_resolver_spec(spec) == expected


@pytest.mark.parametrize(
    "spec",
    ["", "dns.google", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1",
     "[::1]x", "[127.0.0.1]:53", "[::1]:0", "999.1.1.1"],
)  # fmt: skip
def test_bad_resolver_spec_is_a_one_line_value_error(spec: str) -> None:
    with pytest.raises(ValueError, match="resolver") as info:
        dnsquery.make_resolver(spec, TIMEOUT)
    assert "\n" not in str(info.value)


def test_make_resolver_sets_server_port_and_budget() -> None:
    res = dnsquery.make_resolver("[::1]:5353", 3.0)
    assert [str(n) for n in res.nameservers] == ["::1"]
    assert res.port == 5353
    assert res.lifetime == 3.0
    assert res.timeout == 2.0  # one try; a second fits in the lifetime
    assert dnsquery.describe_resolver(res) == "[::1]:5353"
    assert dnsquery.describe_resolver(dnsquery.make_resolver("127.0.0.1:53", 0.5)) == "127.0.0.1:53"
    with pytest.raises(ValueError, match="positive"):
        dnsquery.make_resolver("127.0.0.1", 0)
