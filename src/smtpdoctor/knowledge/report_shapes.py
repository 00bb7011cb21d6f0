"""What makes a pasted text a delivery report when its opening is not a known one.

``BOUNCE_TEXT_OPENINGS`` (knowledge/bounces.py) names the openings of the
reports MTAs and providers write. Many more systems write reports
(content filters, gateways, carriers, bulk senders); pasted without their
headers, their text is still a report when it is laid out as one: paragraphs,
a sentence saying the delivery failed, and a reply code. These are those
sentences, in the words and languages such reports use. Pure data.
"""

from __future__ import annotations

__all__ = ["REPORT_FAILURE_WORDS", "REPORT_REPLY_CODE"]

# A sentence that says a delivery failed (English, then German, French, Spanish,
# Italian, Portuguese, Dutch, Japanese, Chinese, Russian report wordings), or
# Sendmail's transcript headings; searched with the text's line breaks as spaces.
REPORT_FAILURE_WORDS = (
    r"\b(?:could not be (?:delivered|sent)|couldn't be delivered|"
    r"(?:was|were|has been|have been) not (?:relayed|delivered|sent)|"
    r"was not able to be delivered|not (?:be )?delivered to|unable to deliver|"
    r"delivery (?:has )?failed|delivery failure|(?:delivery|delevery) to the following "
    r"(?:recipients?|address(?:es)?) failed|failed permanently|undeliverable|"
    r"trouble delivering|failed addresses|permanent (?:fatal )?errors?|"
    r"error has occurred while attempting to deliver|could not deliver|"
    r"transcript of session follows|unsent message follows)\b|"
    r"konnte nicht zugestellt|nicht zugestellt werden|"
    r"n'a pas pu être (?:remis|distribué|délivré)|"
    r"no (?:pudo|ha podido) ser entregad|non è stato (?:recapitato|consegnato)|"
    r"não (?:pôde|foi possível) ser entregue|kon niet worden bezorgd|"
    r"送信できませんでした|配信できませんでした|お届けできませんでした|"
    r"退信|无法投递|发送失败|投递失败|"
    r"не может быть доставлено|не (?:было )?доставлено"
)

# A reply code where a report quotes one: at a line start, after a colon or a
# comma, a transcript's marks (Sendmail's "<<<", MDaemon's "<--"), a bracket or a
# quote.
REPORT_REPLY_CODE = r"(?:^|[:;,(\[<'\"]|<<<|>>>|<--)[ \t]*[45]\d\d[ -]"
