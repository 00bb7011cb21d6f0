"""A report's help section listing common errors is no reason (issue 10, session 8's
fifty-sixth collection: Bouygues' bilingual Postfix report). The mails below are
written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.cli.explain import explain_files
from smtpdoctor.evidence.bounce_text import cut_original

_GLOSSARY = """\
----- Aide / Help ------------------------------------------
Messages d'erreur courants / Common error messages

unknown user         Mauvaise adresse, utilisateur inconnu.
                     Bad address, the recipient doesn't exist.
host not found       Le domaine de l'adresse n'existe pas.
                     The domain part of the address doesn't exist.
connection refused   Le serveur distant refuse la connexion.
                     The remote server refused the connection.

----- Message d'erreur / Failure reason --------------------

"""


def _mail(reason: str, diagnostic: str) -> str:
    return (
        "From: MAILER-DAEMON@isp.example (Mail Delivery System)\n"
        "To: <sender@example.org>\n"
        "Subject: Mail revenu en erreur / Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain; charset=utf-8\n\n"
        "This is the mail system at host mx.isp.example.\n\n" + _GLOSSARY + reason + "\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.isp.example\n\n"
        "Final-Recipient: rfc822; to@dest.example\n"
        "Action: failed\nStatus: 5.0.0\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n\n--b--\n"
    )


@pytest.mark.parametrize(
    ("reason", "diagnostic", "category", "stage"),
    [
        (
            "<to@dest.example>: host lmtp.dest.example[192.0.2.7] said: 552\n"
            "    <to@dest.example> rejected: mailbox over quota (in reply to RCPT TO\n"
            "    command)\n",
            "552 <to@dest.example> rejected: mailbox over quota",
            "recipient",
            "rcpt_to",
        ),
        (
            "<to@dest.example>: host mx.dest.example[192.0.2.8] said: 552 5.3.4\n"
            "    Message size exceeds fixed limit (in reply to end of DATA command)\n",
            "552 5.3.4 Message size exceeds fixed limit",
            "message_size",
            "message",
        ),
    ],
)
def test_the_reason_decides_not_the_glossary_above_it(
    tmp_path: Path, reason: str, diagnostic: str, category: str, stage: str
) -> None:
    path = tmp_path / "bounce.eml"
    path.write_text(_mail(reason, diagnostic), encoding="utf-8")
    got = [(c.category.value, c.stage.value) for _, c in explain_files([str(path)])]
    assert got == [(category, stage)]


def test_only_the_help_section_is_cut() -> None:
    text = "Intro line.\n\n" + _GLOSSARY + "<to@dest.example>: reason here\n"
    cut = cut_original(text)
    assert "host not found" not in cut
    assert "Failure reason" in cut
    assert "reason here" in cut
    assert "Intro line." in cut
    # A dashed heading that opens no glossary is kept whole.
    other = "----- Transcript of session follows -----\nhost not found\n"
    assert cut_original(other) == other
