"""Filtering gateways' and mail servers' own refusal sentences (session 9).

Spliced into :data:`~smtpdoctor.knowledge.vendors.VENDOR_PATTERNS` and
:data:`~smtpdoctor.knowledge.vendor_stages.VENDOR_STAGE_PHRASES`; each class
was met in a filter's or server's published texts (docs/explain.md, "Session
9: filters' and gateways' own words") and is written for the class, not the row:

* an attachment refused for its type (ASSP, gateways' attachment filters);
* SmarterMail's bounce reasons (its connect attempts to the recipient's server,
  the recipient domain's size limit);
* the stage a refusal names by the address it quotes ("sender <a@b> black
  listed", "recipient <c@d> black listed", smtpf's access-map replies);
* a virus verdict read at the message ("appears infected with ...");
* "No MX records were found for <domain>": the DNS lookup, not the connection;
* a refusal by "the sender domain's DMARC policy": the message (DMARC reads the
  header From), not MAIL FROM;
* an authentication milter's own temporary fault (OpenDKIM's "internal DKIM
  error", "DKIM signature processing failed"): the receiver's service, no verdict;
* a signer's DKIM key it could not fetch (OpenDKIM's "DKIM key retrieval
  failed", 4.7.5): the DNS lookup of the sender's key record;
* Haraka's default refusal texts: "HELO/EHLO denied" (at EHLO), "sender <a@b>
  denied" / "recipient <c@d> denied" (a policy refusal of the quoted address, not
  an unknown user), "Spoofed MAIL FROM" and "Mail from domain 'x' is not allowed
  from your host" (a local sender domain from an outside host, at MAIL FROM).
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "FILTER_DOC_PATTERNS",
    "FILTER_FALLBACK_PHRASES",
    "FILTER_PATTERNS",
    "FILTER_STAGE_PHRASES",
]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT

FILTER_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "filter.attachment_not_allowed",
        r"\battachments? (?:(?:type )?(?:are|is) not (?:allowed|permitted)|"
        r"(?:type )?(?:not allowed|not permitted|forbidden))\b|"
        # (a bounce class's words: "blocked by the receiver because it contained an attachment")
        r"\b(?:blocked|rejected|refused)\b[^\n]{0,60}\bbecause it contain(?:s|ed) an? "
        r"(?:\w+ )?attachment\b|"
        # (session 18, catalogues) archives a scanner cannot open ("We do not accept
        # password-protected zip files!", qpsmtpd's uvscan plugin; "encrypted archive")
        r"\b(?:password[- ]protected|encrypted) (?:zip|rar|7z|archive|attachment)s?\b",
        _C.POLICY_REJECTION,
        "The receiver's filter refuses an attachment of this type (by its extension or "
        "content type).",
        "Send the file compressed (zip) or share it by a link, or ask the recipient's "
        "admin to allow the type.",
        source="vendor",
        hint=_S.MESSAGE,
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "filter.connect_attempts_failed",
        # (SmarterMail: "Failed four Attempts to connect to recipients mail server")
        r"\bFailed (?:\w+ )?attempts? to connect to (?:the )?recipients?'? mail server",
        _C.FIREWALL_BLOCK,
        "The sending server could not open a connection to the recipient's mail server "
        "on any attempt.",
        "The recipient's server is down or not listening on port 25.",
        "Outbound port 25 is blocked on the sending side, or a firewall drops it.",
        source="vendor",
        stage=_S.CONNECT,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "filter.domain_size_limit",
        r"\bdomain size limit (?:has been |was )?exceeded\b|"
        r"\bdomain(?:'s)? (?:disk )?(?:space|storage) (?:allocation|quota|limit) "
        r"(?:has been |was )?exceeded\b",
        _C.RECIPIENT,
        "The recipient's whole domain is over its storage allocation on its mail server, "
        "so no mailbox there takes mail.",
        "Nothing to fix on the sending side: the recipient's admin must free or raise "
        "the domain's storage.",
        source="vendor",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    pattern(
        "filter.auth_milter_fault",
        # (OpenDKIM's dkimf_libstatus texts under On-InternalError / tempfail)
        r"\binternal (?:DKIM|DMARC|SPF|ARC) error\b|"
        r"\b(?:DKIM|DMARC|ARC) (?:signature )?processing failed\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiver's authentication filter (DKIM/DMARC milter) failed on its own side "
        "and deferred the message; no verdict on the mail was made.",
        "Nothing to change on the sending side: the sending server retries; if it "
        "persists, tell the recipient's admin their filter is failing.",
        source="vendor",
        hint=_S.MESSAGE,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "filter.dkim_key_unavailable",
        r"\bDKIM (?:public )?key (?:retrieval|lookup|query) failed\b|"
        r"\b(?:could not|unable to|cannot|failed to) (?:retrieve|fetch|look up) "
        r"(?:the )?DKIM (?:public )?key\b",
        _C.DNS_RESOLUTION,
        "The receiver could not fetch the signer's DKIM public key from DNS "
        "(<selector>._domainkey.<domain>), so it could not verify the signature.",
        "Check that the selector's TXT record exists and answers from every "
        "authoritative server of the signing domain (dig TXT <selector>._domainkey.<domain>).",
        source="vendor",
        hint=_S.MESSAGE,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "filter.named_ratelimit_exceeded",
        # (rspamd's ratelimit module: 'Ratelimit "to" exceeded', a bucket's name quoted)
        r"\bRatelimit \"[^\"\s]+\" exceeded\b",
        _C.RATE_LIMITED,
        "The receiver's rate limit for the named bucket (per sender, recipient or IP) "
        "is exceeded; it defers the message.",
        "Slow down: the sending server retries later; spread bulk sending over time.",
        source="vendor",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "filter.helo_denied",
        r"\b(?:HELO|EHLO)(?: command)? (?:denied|refused)\b",
        _C.POLICY_REJECTION,
        "The receiver refused the client's HELO/EHLO (its name, or the client itself, "
        "failed a check at the greeting).",
        "Send a fully qualified HELO name that resolves to the sending IP, with a "
        "matching PTR record.",
        source="vendor",
        hint=_S.EHLO,
    ),
    pattern(
        "filter.named_address_denied",
        # (Haraka's default mail/rcpt hook refusal: "sender <a@b> denied")
        r"\b(?:recipient|sender) <[^<>\s]*> (?:is )?(?:black ?listed|blocked|banned|denied)\b",
        _C.POLICY_REJECTION,
        "The receiver's policy refuses the quoted address (an access list or a plugin's "
        "check), not because the mailbox does not exist.",
        "Ask the recipient's admin which check refused the address (their log names it).",
        source="vendor",
    ),
    pattern(
        "filter.local_domain_from_outside",
        r"\bspoofed (?:MAIL FROM|sender|envelope sender)\b|"
        r"\bMail from domain '[^'\s]*' is not allowed from your host\b",
        _C.POLICY_REJECTION,
        "The envelope sender uses a domain the receiver hosts itself, but the client is "
        "neither one of its hosts nor authenticated: read as spoofing.",
        "Authenticate (SMTP AUTH) to the domain's own server, or send from a host the "
        "receiver relays for.",
        source="vendor",
        hint=_S.MAIL_FROM,
    ),
)

# A filter's documented reply that the class-wide wording would read otherwise
# (spliced into doctables.DOC_PATTERNS, ahead of knowledge/wording.py).
FILTER_DOC_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "filter.sender_null_mx",
        # (rspamd's mx_check: the sender's domain publishes a null MX, so it sends no mail)
        r"\bDomain published RFC ?7505 Null MX\b",
        _C.POLICY_REJECTION,
        "The receiver refused the message because the sender's domain publishes a null "
        "MX (RFC 7505): a domain that says it takes no mail is not trusted to send it.",
        'Remove the null MX (". 0") from the sending domain, or send from a domain that '
        "receives mail.",
        source="vendor",
        hint=_S.MESSAGE,
    ),
)

# Said outright, as strong as the other vendors' stage phrases.
FILTER_STAGE_PHRASES: tuple[StagePhrase, ...] = (
    stage_phrase("stage.no_mx_found", r"\bNo MX records? (?:were |was )?found for\b", _S.DNS),
    # rspamd's mx_check judges the sender's domain after the message, not a lookup of
    # the recipient's MX (which "Null MX" alone would say).
    stage_phrase("stage.sender_null_mx", r"\bDomain published RFC ?7505 Null MX\b", _S.MESSAGE),
)

# What a refusal judged: weaker than a command the text states (spliced into
# vendor_stages.FALLBACK_STAGE_PHRASES).
FILTER_FALLBACK_PHRASES: tuple[StagePhrase, ...] = (
    # Haraka's defaults: the greeting command refused, a local sender domain from an
    # outside host (Postfix's delayed "Helo command rejected" is not read here).
    stage_phrase(
        "stage.helo_denied", r"\b(?:HELO|EHLO)(?: command)? (?:denied|refused)\b", _S.EHLO
    ),
    stage_phrase(
        "stage.local_domain_from_outside",
        r"\bspoofed MAIL FROM\b|\bMail from domain '[^'\s]*' is not allowed from your host\b",
        _S.MAIL_FROM,
    ),
    # A refusal that quotes the address it judges: the sender at MAIL FROM, the
    # recipient at RCPT TO (smtpf's access-map replies, gateways' block lists).
    stage_phrase(
        "stage.named_recipient_refused",
        r"\brecipient <[^<>\s]*> (?:is )?(?:black ?listed|blocked|banned|denied)\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.named_sender_refused",
        r"\bsender <[^<>\s]*> (?:is )?(?:black ?listed|blocked|banned|denied|"
        r"from unknown TLD|from RFC ?2606 reserved domain)\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.infected", r"\bappears (?:to be )?infected\b|\binfected with\b", _S.MESSAGE
    ),
    # DMARC is judged on the header From, so after the message: a refusal naming the
    # "sender domain's DMARC policy" is still the message's (a stated command wins).
    stage_phrase("stage.dmarc_policy", r"\bdomain(?:'s|\u2019s)? DMARC policy\b", _S.MESSAGE),
)
