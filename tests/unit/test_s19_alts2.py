"""Session 19, alts2: texts that admit more than one cause (issue 10 item 2).

Three parts, each failing on the session's start:

1. Two causes joined by "or" in every language the wording tables read: the
   causes are found by the classifier's own patterns (knowledge/patterns.py's
   generic table, knowledge/languages.py's i18n table, knowledge/wording.py's
   intl_*/cjk_* classes), so a language those read names its readings too.
2. Classes no "or" states, whose words several causes give: a reset after
   STARTTLS (no shared TLS version/cipher, or a middlebox), "421 too many
   connections" (a per-client limit, or a server at its total limit), a relay
   refusal (the server does not host the domain, or the client did not log
   in), RFC 5321's generic 550 "mailbox unavailable" (the address, or a policy
   refusal of the sender).
3. ``logs``: the whole file decides where one line cannot, for refused
   connections and TLS failures as it did for connect timeouts.

Where the classes come from (the sources' own words):
- RFC 5321 4.2.3 ("550 Requested action not taken: mailbox unavailable (e.g.,
  mailbox not found, no access, or command rejected for policy reasons)") and
  4.5.1 (postmaster must be accepted).
- Postfix's smtpd_client_connection_count_limit and the process limit
  (https://www.postfix.org/postconf.5.html), Exim's smtp_accept_max_per_host and
  smtp_accept_max (https://www.exim.org/exim-html-current/doc/html/spec_html/ch-main_configuration.html).
- Postfix's "Relay access denied" from reject_unauth_destination, which lets
  permit_sasl_authenticated and mynetworks relay (https://www.postfix.org/SMTPD_ACCESS_README.html).
- Cisco ASA's ESMTP inspection, whose default map removes the STARTTLS indication
  and masks EHLO parameters and commands with X's (the ASA Series Firewall CLI
  Configuration Guide, "Defaults for ESMTP Inspection",
  https://www.manualslib.com/manual/1531207/Cisco-Asa-Series.html?page=315, and
  https://cisco.com/c/en/us/support/docs/security/asa-5500-x-series-next-generation-firewalls/113423-asa-esmtp-smtp-inspection.html).
The logs excerpts are tests/data/logs/ files and lines in Postfix's own format
(src/smtp/smtp_connect.c's "connect to %s[%s]:%d: %m", src/tls/tls_client.c's
"SSL_connect error to %s: %d").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.cli.main import main
from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.knowledge.alternatives import named_readings
from smtpdoctor.logs import Options, build_report, expand_inputs, plan_chunks, run_local

_SIZE = ["recipient", "message_size"]
_GONE_RELAY = ["recipient", "policy_rejection"]
_RELAY = ["policy_rejection", "authentication"]


# --- 1. "or" in the languages the tables read -----------------------------------


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("550 utilisateur inconnu ou relais refusé", _GONE_RELAY),
        ("550 Benutzer unbekannt oder Relaying nicht erlaubt", _GONE_RELAY),
        ("550 Benutzer unbekannt oder IP-Adresse gesperrt", _GONE_RELAY),
        ("550 caixa postal inexistente ou Retransmissão negada", _GONE_RELAY),
        ("550 usuario desconocido o Retransmisión denegada", _GONE_RELAY),
        ("550 邮箱已满或邮件大小超过限制", _SIZE),
        ("550 ユーザが存在しません、または迷惑メール", _GONE_RELAY),
        ("550 Relay access denied or user unknown", ["policy_rejection", "recipient"]),
        # RFC 5321 4.2.3's own 552 text, read by wording.mailbox_quota
        (
            "552 Requested mail action aborted: exceeded storage allocation or message too large",
            _SIZE,
        ),
    ],
)
def test_or_between_two_causes_in_the_tables_languages(text: str, readings: list[str]) -> None:
    assert [a["category"] for a in classify(text).alternatives] == readings


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        # the languages' own "or" (Czech nebo, Turkish veya, Korean 또는, Russian либо,
        # Polish albo), with the i18n table's words for each cause
        ("uživatel neexistuje nebo trop de connexions", ["recipient", "rate_limited"]),
        ("kullanıcı bulunamadı veya relay access denied", _GONE_RELAY),
        ("사용자가 존재하지 않습니다 또는 relay access denied", _GONE_RELAY),
        ("пользователь не найден либо слишком много", ["recipient", "rate_limited"]),
        ("nieznany adresat albo Relay access denied", _GONE_RELAY),
    ],
)
def test_each_languages_or_joins_two_causes(text: str, readings: list[str]) -> None:
    assert [r.category.value for r in named_readings(text)] == readings


def test_a_causes_words_inside_anothers_are_not_a_cause_of_their_own() -> None:
    # "denied" (a policy word) inside "Relay access denied" is no block of its own
    assert [r.category.value for r in named_readings("Relay access denied or user unknown")] == [
        "policy_rejection",
        "recipient",
    ]
    assert named_readings("user unknown or mailbox full") == ()  # one category


# --- 2. classes no "or" states ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        (
            "SSL_connect error to mx.example.org[192.0.2.1]:25: Connection reset by peer",
            ["tls_version_mismatch", "firewall_block"],
        ),
        (
            "lost connection with mx.example.org[192.0.2.1] while performing the TLS handshake",
            ["tls_version_mismatch", "firewall_block"],
        ),
        ("Connection reset by peer after STARTTLS", ["tls_version_mismatch", "firewall_block"]),
        (
            "421 4.7.0 Too many connections, try again later",
            ["rate_limited", "service_unavailable"],
        ),
        (
            "421 Too many concurrent SMTP connections from this IP address; try again later.",
            ["rate_limited", "service_unavailable"],
        ),
        ("421 4.7.0 trop de connexions", ["rate_limited", "service_unavailable"]),
        ("554 5.7.1 <bob@example.org>: Relay access denied", _RELAY),
        (
            "554 5.7.1 <bob@example.org>: Recipient address rejected: Relay access denied",
            ["policy_rejection", "authentication"],
        ),
        ("550 5.7.1 Unable to relay", ["policy_rejection", "authentication"]),
        ("550 Relais refusé", ["policy_rejection", "authentication"]),
        ("550 Requested action not taken: mailbox unavailable", _GONE_RELAY),
    ],
)
def test_a_class_several_causes_word_alike_names_its_readings(
    text: str, readings: list[str]
) -> None:
    c = classify(text)
    assert [a["category"] for a in c.alternatives] == readings
    for alt in c.alternatives:
        assert set(alt) == {"category", "why", "check", "if"}
        assert alt["check"].startswith("smtpdoctor diagnose ")


@pytest.mark.parametrize(
    "text",
    [
        "Cannot start TLS: handshake failure",  # the peer's TLS stack answered
        "450 4.7.1 Too many messages, slow down",  # a message rate: one cause
        "550 5.1.1 mailbox unavailable",  # the enhanced code says which
        "550 5.2.1 Mailbox disabled, not accepting messages",
        "550 5.1.1 User unknown",
    ],
)
def test_a_text_that_says_which_has_no_readings(text: str) -> None:
    assert classify(text).alternatives == ()


def test_the_checks_name_the_host_the_text_names() -> None:
    c = classify("SSL_connect error to mx.example.org[192.0.2.1]:25: Connection reset by peer")
    assert {a["check"] for a in c.alternatives} == {
        "smtpdoctor diagnose mx.example.org:25 --ciphers"
    }
    relay = classify("554 5.7.1 <bob@example.org>: Relay access denied")
    checks = [a["check"] for a in relay.alternatives]
    assert checks[0] == "smtpdoctor diagnose RECIPIENT-DOMAIN --to RECIPIENT"
    assert checks[1].endswith(":587 --auth USER --to RECIPIENT")


def test_explain_shows_the_readings_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    text = "421 4.7.0 Too many connections, try again later"
    assert main(["explain", text, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [a["category"] for a in doc["alternatives"]] == ["rate_limited", "service_unavailable"]
    main(["explain", text, "--format", "text"])
    out = capsys.readouterr().out
    assert "readings" in out
    assert "--quick" in out


def test_no_classification_changes() -> None:
    # the readings are added beside the reading; category and stage stay
    for text, want in [
        ("554 5.7.1 <bob@example.org>: Relay access denied", ("policy_rejection", "rcpt_to")),
        ("421 4.7.0 Too many connections, try again later", ("rate_limited", "none")),
        ("550 Requested action not taken: mailbox unavailable", ("recipient", "rcpt_to")),
    ]:
        c = classify(text)
        assert (c.category.value, c.stage.value) == want


# --- 3. logs: the whole file decides, for refusals and TLS failures too -----------

_LOGS = Path(__file__).parents[1] / "data" / "logs"


def _findings(path: Path) -> list[dict[str, Any]]:
    sources, errors = expand_inputs([str(path)])
    assert not errors
    findings: list[dict[str, Any]] = build_report(
        run_local(plan_chunks(sources, Options(), 1), Options()), top=50
    )["findings"]
    return findings


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        # real Postfix 3.7: every destination a closed port 25 (tests/data/logs/README.md)
        ("postfix-s19-refused.log", ["logs.outbound.refused_everywhere"]),
        # every destination resets the session right after STARTTLS ("encrypt")
        ("postfix-s19-tls.log", ["logs.outbound.tls_failing_everywhere"]),
        # both, while mail to another server on port 25 was delivered
        (
            "postfix-s19-some.log",
            ["logs.outbound.hosts_refusing", "logs.outbound.tls_failing_peers"],
        ),
        # the fault lab's log: many kinds of failure, nothing on port 25 delivered: no
        # class holds every failing destination, and nothing proves port 25 works
        ("postfix-lab.log", []),
    ],
)
def test_the_whole_real_log_decides(name: str, ids: list[str]) -> None:
    findings = _findings(_LOGS / name)
    assert [f["id"] for f in findings] == ids
    for f in findings:
        assert f["evidence"]["alternatives"]
        assert set(f["evidence"]["destinations"]) <= {"a.test", "b.test", "c.test", "d.test"}


def test_the_findings_name_the_destinations_of_their_class() -> None:
    refusing, tls = _findings(_LOGS / "postfix-s19-some.log")
    assert refusing["evidence"]["destinations"] == ["a.test", "b.test"]
    assert refusing["evidence"]["remote_deliveries"] >= 1
    assert refusing["category"] == "service_unavailable"
    assert tls["evidence"]["destinations"] == ["c.test", "d.test"]
    assert tls["category"] == "tls_handshake_failure"


def _lines(status: str, domains: list[str], sent_to: list[str]) -> str:
    """Postfix status lines of the real runs' shapes, for other domains."""
    out = [
        f"Mar  7 02:{i:02d}:00 mx postfix/smtp[{i}]: Q{i}: to=<u@{d}>, relay=none, delay=0, "
        f"delays=0/0/0/0, dsn=4.4.1, status=deferred ({status.format(d=d, i=i)})"
        for i, d in enumerate(domains)
    ]
    out += [
        f"Mar  7 03:{i:02d}:00 mx postfix/smtp[9{i}]: S{i}: to=<u@{d}>, "
        f"relay=mx.{d}[198.51.100.{i}]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok)"
        for i, d in enumerate(sent_to)
    ]
    return "\n".join(out) + "\n"


_REFUSED = "connect to mx.{d}[192.0.2.{i}]:25: Connection refused"
_TLS = "Cannot start TLS: handshake failure"


@pytest.mark.parametrize(
    ("status", "domains", "sent_to", "ids"),
    [
        (_REFUSED, ["gmail.com", "outlook.com"], [], ["logs.outbound.refused_everywhere"]),
        (
            _REFUSED,
            ["dead.example", "gone.example"],
            ["gmail.com"],
            ["logs.outbound.hosts_refusing"],
        ),
        (_REFUSED, ["gmail.com"], [], []),  # one destination alone: too little to tell
        (_TLS, ["gmail.com", "outlook.com"], [], ["logs.outbound.tls_failing_everywhere"]),
        (_TLS, ["old.example"], ["gmail.com"], ["logs.outbound.tls_failing_peers"]),
    ],
)
def test_all_or_some_destinations(
    status: str, domains: list[str], sent_to: list[str], ids: list[str], tmp_path: Path
) -> None:
    log = tmp_path / "mail.log"
    log.write_text(_lines(status, domains, sent_to), encoding="utf-8")
    assert [f["id"] for f in _findings(log)] == ids


def test_a_refusal_and_a_timeout_stay_apart(tmp_path: Path) -> None:
    # one destination times out, one refuses: neither class holds every failing one
    text = _lines(_REFUSED, ["gmail.com"], []) + _lines(
        "connect to mx.{d}[192.0.2.{i}]:25: Connection timed out", ["outlook.com"], []
    ).replace("Q0", "T0")
    log = tmp_path / "mail.log"
    log.write_text(text, encoding="utf-8")
    assert _findings(log) == []
