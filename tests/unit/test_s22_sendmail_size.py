"""Session 22 (sendmail): a real Sendmail's SIZE declarations are estimates, not faults.

Sendmail 8.17 (Debian 12), relaying to ``smtpdoctor receive``
(tests/integration/test_sendmail_receive.py), declared SIZE=34 for a
375-octet message and SIZE=104033 for 106362 octets: it counts its stored
copy (LF line ends) and not the trace header fields it adds when it sends.
RFC 1870 makes SIZE the client's estimate; ``receive`` warned about every
such message.
"""

from __future__ import annotations

from dataclasses import replace

from test_sender_rules import GOOD, MESSAGE

from smtpdoctor.diagnosis.sender_rules import judge


def _ids(**facts: int) -> list[str]:
    session = replace(GOOD, messages=(replace(MESSAGE, **facts),))
    findings, _ = judge(session)
    return [f.id for f in findings]


def test_sendmail_declarations_are_within_the_estimate() -> None:
    # The figures receive measured from the real Sendmail.
    big = _ids(size=106362, declared_size=104033, header_bytes=360, lines=2009)
    assert "sender.smtp.size_understated" not in big
    small = _ids(size=375, declared_size=34, header_bytes=369, lines=10)
    assert "sender.smtp.size_understated" not in small


def test_an_understatement_beyond_line_ends_and_header_is_still_flagged() -> None:
    ids = _ids(size=106362, declared_size=50000, header_bytes=360, lines=2009)
    assert "sender.smtp.size_understated" in ids
    assert "sender.smtp.size_understated" in _ids(size=500, declared_size=100, lines=0)
