"""A 550 pushed a few ms after the EHLO reply (issue 11), against the lab server:
the verdict names the reply out of turn, not a refusal of the next command."""

from __future__ import annotations

from support.cli import diagnose


def test_a_pushed_550_is_named_a_reply_out_of_turn(lab):
    doc = diagnose("hostile-pushed-reply", server=lab, timeout="5").json()
    verdict = doc["verdict"]
    timeline = doc["hosts"][0]["timeline"]
    assert doc["findings"][0]["id"] == "session.reply_out_of_turn", (verdict, timeline)
    assert (verdict["stage"], verdict["status"]) == ("ehlo", "failure")
    assert "out of turn" in verdict["summary"]
    stray = next(s for s in timeline if s.get("out_of_turn"))
    assert stray["stage"] == "ehlo"
    assert stray["reply"]["code"] == 550
    # STARTTLS (the command sent next) keeps its own reply: the 220 that came late.
    starttls = next(s for s in timeline if s["stage"] == "starttls")
    assert starttls["reply"]["code"] == 220
