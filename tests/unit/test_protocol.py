"""The sans-I/O protocol core: framing, limits, the conversation table."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.protocol import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    Reply,
    ReplyParser,
    parse_enhanced,
    parse_reply_text,
)
from smtpdoctor.protocol.client import (
    NEED_DATA,
    TRANSITIONS,
    ClientConnection,
    ClientState,
    Closed,
    Command,
    Verb,
    encode_body,
)
from smtpdoctor.protocol.reply import MAX_LINE, MAX_REPLY_BYTES

# (wire bytes, expected replies as (code, enhanced, lines))
FIXTURES: list[tuple[bytes, list[tuple[int, str | None, tuple[str, ...]]]]] = [
    (b"220 mx.example.com ESMTP Postfix\r\n", [(220, None, ("mx.example.com ESMTP Postfix",))]),
    (
        b"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
        b"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n",
        [
            (
                250,
                None,
                (
                    "mx.example.com",
                    "PIPELINING",
                    "SIZE 10240000",
                    "STARTTLS",
                    "ENHANCEDSTATUSCODES",
                    "8BITMIME",
                ),
            )
        ],
    ),
    (
        b"421 4.4.2 mx.example.com Error: timeout exceeded\r\n",
        [(421, "4.4.2", ("4.4.2 mx.example.com Error: timeout exceeded",))],
    ),
    (
        b"550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized\r\n"
        b"550 5.7.1 to send email directly to our servers. gsmtp\r\n",
        [
            (
                550,
                "5.7.1",
                (
                    "5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized",
                    "5.7.1 to send email directly to our servers. gsmtp",
                ),
            )
        ],
    ),
    # Two replies in one read, and a bare code line (RFC 5321 §4.2: text optional).
    (
        b"250 2.1.0 Ok\r\n354\r\n",
        [(250, "2.1.0", ("2.1.0 Ok",)), (354, None, ("",))],
    ),
    # Bare LF is tolerated and recorded.
    (b"220 tolerant\n", [(220, None, ("tolerant",))]),
    # An enhanced code whose class disagrees with the reply is not taken.
    (b"250 5.1.1 odd\r\n", [(250, None, ("5.1.1 odd",))]),
]


def _parse_all(data: bytes, chunk: int | None) -> list[Reply]:
    parser = ReplyParser()
    out: list[Reply] = []
    pieces = [data] if chunk is None else [data[i : i + chunk] for i in range(len(data))]
    for piece in pieces:
        parser.feed(piece)
        while (reply := parser.next_reply()) is not None:
            out.append(reply)
    return out


@pytest.mark.parametrize("chunk", [None, 1], ids=["whole", "byte-at-a-time"])
@pytest.mark.parametrize(("wire", "expected"), FIXTURES)
def test_fixtures_parse_whole_and_byte_by_byte(wire, expected, chunk):
    replies = _parse_all(wire, chunk)
    assert [(r.code, r.enhanced, r.lines) for r in replies] == expected
    assert sum(r.size for r in replies) == len(wire)


def test_text_strips_enhanced_code_from_every_line():
    (reply,) = _parse_all(FIXTURES[3][0], None)
    assert reply.text.splitlines()[0].startswith("[192.0.2.1]")
    assert reply.to_json()["enhanced"] == "5.7.1"


def test_bare_lf_and_overlong_lines_are_recorded_as_violations():
    (reply,) = _parse_all(b"220 tolerant\n", None)
    assert any("bare LF" in v for v in reply.violations)
    long = b"250 " + b"x" * 600 + b"\r\n"
    (reply,) = _parse_all(long, None)
    assert any("512" in v for v in reply.violations)


def test_endless_line_fails_before_it_fills_memory():
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError, match="line"):
        for _ in range(1000):
            parser.feed(b"220 " + b"x" * 100)
    assert parser.buffered <= MAX_LINE + 200


def test_endless_multiline_reply_hits_the_reply_cap():
    parser = ReplyParser()
    with pytest.raises(RemoteProtocolError):
        for _ in range(MAX_REPLY_BYTES // 10 + 10):
            parser.feed(b"220-xxxxx\r\n")
            assert parser.next_reply() is None


@pytest.mark.parametrize(
    "wire",
    [b"hello\r\n", b"22 short\r\n", b"600 bad class\r\n", b"250x\r\n", b"250-a\r\n251 b\r\n"],
)
def test_invalid_lines_raise_the_one_error_type(wire):
    with pytest.raises(RemoteProtocolError):
        _parse_all(wire, None)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_arbitrary_bytes_parse_or_raise_protocol_error(chunks):
    parser = ReplyParser()
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (reply := parser.next_reply()) is not None:
                assert 200 <= reply.code <= 599
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(200, 599),
            st.lists(
                st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n")),
                min_size=1,
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 7),
)
def test_any_valid_reply_sequence_survives_any_chunking(replies, chunk):
    wire = b""
    for code, lines in replies:
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            wire += f"{code}{sep}{line}\r\n".encode()
    parser = ReplyParser()
    got: list[Reply] = []
    for i in range(0, len(wire), chunk):
        parser.feed(wire[i : i + chunk])
        while (reply := parser.next_reply()) is not None:
            got.append(reply)
    assert [(r.code, list(r.lines)) for r in got] == [(c, ls) for c, ls in replies]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("5.7.1", "5.7.1"),
        ("4.4.2 Connection dropped", "4.4.2"),
        ("  5.1.10 x", "5.1.10"),
        ("x 5.7.1", None),
    ],
)
def test_parse_enhanced(text, code):
    assert parse_enhanced(text) == code


def test_parse_reply_text_is_lenient_and_never_raises():
    reply = parse_reply_text("421 4.4.2 Connection dropped due to SocketError")
    assert reply is not None
    assert (reply.code, reply.enhanced, reply.text) == (
        421,
        "4.4.2",
        "Connection dropped due to SocketError",
    )
    multi = parse_reply_text("550-5.7.26 Unauthenticated email\n550-5.7.26 is not accepted")
    assert multi is not None
    assert multi.code == 550
    assert len(multi.lines) == 2
    for junk in ["", "hello", "\x00\xff", "999 nope"]:
        assert parse_reply_text(junk) is None


# --- the conversation --------------------------------------------------------


def _reply(conn: ClientConnection, wire: bytes) -> Reply:
    conn.receive_data(wire)
    event = conn.next_event()
    assert isinstance(event, Reply)
    return event


def test_a_whole_healthy_conversation_follows_the_table():
    conn = ClientConnection()
    assert conn.state is ClientState.GREETING
    assert conn.next_event() is NEED_DATA
    _reply(conn, b"220 mx ESMTP\r\n")
    assert conn.state is ClientState.INITIAL
    assert conn.send(Command(Verb.EHLO, "client.example")) == b"EHLO client.example\r\n"
    _reply(conn, b"250-mx\r\n250-STARTTLS\r\n250 SIZE 1000\r\n")
    assert conn.extensions == {"STARTTLS": "", "SIZE": "1000"}
    conn.send(Command(Verb.STARTTLS))
    _reply(conn, b"220 2.0.0 Ready\r\n")
    assert conn.state is ClientState.TLS_PENDING
    conn.tls_started()
    assert conn.extensions == {}  # RFC 3207 §4.2
    conn.send(Command(Verb.EHLO, "client.example"))
    _reply(conn, b"250 mx\r\n")
    conn.send(Command(Verb.MAIL, "FROM:<a@b>"))
    _reply(conn, b"250 2.1.0 Ok\r\n")
    conn.send(Command(Verb.RCPT, "TO:<c@d>"))
    _reply(conn, b"250 2.1.5 Ok\r\n")
    conn.send(Command(Verb.DATA))
    _reply(conn, b"354 go\r\n")
    assert conn.state is ClientState.DATA
    assert conn.send_body(b"Subject: x\r\n\r\n.hi\r\n").endswith(b"..hi\r\n.\r\n")
    _reply(conn, b"250 2.0.0 queued\r\n")
    assert conn.state is ClientState.READY
    conn.send(Command(Verb.QUIT))
    _reply(conn, b"221 bye\r\n")
    assert conn.state is ClientState.CLOSED


def test_commands_outside_the_table_are_refused():
    conn = ClientConnection()
    with pytest.raises(LocalProtocolError):
        conn.send(Command(Verb.EHLO, "x"))  # the greeting has not come
    _reply(conn, b"220 hi\r\n")
    with pytest.raises(LocalProtocolError):
        conn.send(Command(Verb.DATA))
    with pytest.raises(LocalProtocolError):
        conn.send(Command(Verb.MAIL, "FROM:<>"))  # before EHLO
    conn.send(Command(Verb.EHLO, "x"))
    with pytest.raises(LocalProtocolError):
        conn.send(Command(Verb.NOOP))  # the EHLO reply is outstanding
    with pytest.raises(LocalProtocolError):
        Command(Verb.MAIL, "FROM:<a>\r\nRCPT TO:<b>").line()
    with pytest.raises(LocalProtocolError):
        Command(Verb.MAIL, "FROM:<" + "a" * 600 + ">").line()


def test_negative_replies_follow_the_negative_column():
    conn = ClientConnection()
    _reply(conn, b"220 hi\r\n")
    conn.send(Command(Verb.EHLO, "x"))
    _reply(conn, b"250 ok\r\n")
    conn.send(Command(Verb.MAIL, "FROM:<a>"))
    _reply(conn, b"550 5.7.1 no\r\n")
    assert conn.state is ClientState.READY
    conn.send(Command(Verb.STARTTLS))
    _reply(conn, b"454 4.7.0 TLS not available\r\n")
    assert conn.state is ClientState.READY


def test_421_closes_from_any_state_and_eof_is_an_event():
    conn = ClientConnection()
    _reply(conn, b"220 hi\r\n")
    conn.send(Command(Verb.EHLO, "x"))
    _reply(conn, b"421 4.7.0 too many\r\n")
    assert conn.state is ClientState.CLOSED
    conn2 = ClientConnection()
    conn2.receive_data(b"220-partial\r\n")
    conn2.receive_data(b"")
    event = conn2.next_event()
    assert isinstance(event, Closed)
    assert event.mid_reply


def test_unsolicited_reply_is_a_protocol_error():
    conn = ClientConnection()
    _reply(conn, b"220 hi\r\n")
    conn.receive_data(b"250 surprise\r\n")
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_every_transition_targets_a_real_state():
    for (state, verb), step in TRANSITIONS.items():
        assert isinstance(state, ClientState)
        assert isinstance(verb, Verb)
        assert step.expect
        assert all(200 <= c < 400 for c in step.expect)


def test_encode_body_dot_stuffs_and_terminates():
    assert encode_body(b"a\n.b\n..c") == b"a\r\n..b\r\n...c\r\n.\r\n"
    assert encode_body(b"") == b"\r\n.\r\n"


@pytest.mark.parametrize("code", [250, 251, 252])
def test_any_2xx_to_rcpt_accepts_the_recipient(code: int) -> None:
    """Senders (Postfix, Exim) read any 2xx to RCPT as accepted; 252 was a protocol error."""
    conn = ClientConnection()
    _reply(conn, b"220 mx\r\n")
    conn.send(Command(Verb.EHLO, "client.example"))
    _reply(conn, b"250 mx\r\n")
    conn.send(Command(Verb.MAIL, "FROM:<a@b>"))
    _reply(conn, b"250 2.1.0 Ok\r\n")
    conn.send(Command(Verb.RCPT, "TO:<c@d>"))
    _reply(conn, f"{code} 2.1.5 Ok\r\n".encode())
    assert conn.state is ClientState.RCPT


def test_a_3xx_to_rcpt_is_still_a_protocol_error() -> None:
    conn = ClientConnection()
    _reply(conn, b"220 mx\r\n")
    conn.send(Command(Verb.EHLO, "client.example"))
    _reply(conn, b"250 mx\r\n")
    conn.send(Command(Verb.MAIL, "FROM:<a@b>"))
    _reply(conn, b"250 2.1.0 Ok\r\n")
    conn.send(Command(Verb.RCPT, "TO:<c@d>"))
    with pytest.raises(RemoteProtocolError):
        _reply(conn, b"354 go ahead\r\n")
