"""Exim's ``X-Exim-Diagnostic`` DSN field is read as the recipient's reason (issue 10,
session 9's fifty-seventh collection: Exim's test-suite bounces). Exim writes it
(deliver.c, EXPERIMENTAL_DSN_INFO) with its own words for the failure: a TLS,
connection or routing failure no remote reply states, which the human-readable part
may not repeat. The mails below are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files


def _mail(human: str, fields: str) -> str:
    return (
        "From: Mail Delivery System <Mailer-Daemon@relay.example>\n"
        "To: sender@relay.example\n"
        "X-Failed-Recipients: to@dest.example\n"
        "Auto-Submitted: auto-replied\n"
        "Subject: Mail delivery failed: returning message to sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
        "--B\nContent-type: text/plain; charset=us-ascii\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  to@dest.example\n{human}\n"
        "--B\nContent-type: message/delivery-status\n\n"
        "Reporting-MTA: dns; relay.example\n\n"
        "Action: failed\nFinal-Recipient: rfc822;to@dest.example\nStatus: 5.0.0\n"
        "Remote-MTA: dns; mx.dest.example\n"
        f"{fields}\n--B--\n"
    )


@pytest.mark.parametrize(
    ("human", "fields", "category", "stage"),
    [
        # The human part names only the host; the field holds the reason.
        (
            "  host mx.dest.example [192.0.2.5]\n",
            "X-Remote-MTA-smtp-greeting: X-str; 220 mx.dest.example ESMTP\n"
            "X-Remote-MTA-helo-response: X-str; 250 mx.dest.example\n"
            "X-Exim-Diagnostic: X-str; a TLS session is required, but the server did not\n"
            " offer TLS support\n",
            "starttls_unavailable",
            "starttls",
        ),
        # Exim's own sentence names the command the remote reply answered.
        (
            "  host mx.dest.example [192.0.2.5]\n",
            "X-Exim-Diagnostic: X-str; SMTP error from remote mail server after MAIL\n"
            " FROM:<sender@relay.example>: 550 Sender address rejected\n"
            "Diagnostic-Code: smtp; 550 Sender address rejected\n",
            "policy_rejection",
            "mail_from",
        ),
    ],
)
def test_exim_diagnostic_field_gives_the_reason(
    tmp_path: Path, human: str, fields: str, category: str, stage: str
) -> None:
    path = tmp_path / "bounce.eml"
    path.write_text(_mail(human, fields), encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [(category, stage)]


def test_without_the_field_the_mail_names_no_cause(tmp_path: Path) -> None:
    # The same mail less the field: nothing says why (the test fails if the field's
    # words come from elsewhere).
    path = tmp_path / "bounce.eml"
    path.write_text(_mail("  host mx.dest.example [192.0.2.5]\n", ""), encoding="utf-8")
    got = [c.category.value for _, c in explain_files([str(path)])]
    assert got != ["starttls_unavailable"]
