"""What the ``config_*`` areas share (not an area itself).

``smtpdoctor config`` audits one MTA at a time, so its findings carry a fix
written for the offending setting first (when there is one), then the
recipes of :mod:`smtpdoctor.knowledge.fixes` for that MTA only and the
generic one. Four checks exist for every MTA with the same words: the EHLO
name (one finding per problem :func:`smtpdoctor.config.classify_hostname`
names), a timeout below RFC 5321's minimums, an open relay, and the
certificate given with ``--cert``; their specs are made here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smtpdoctor.knowledge.catalogue.spec import FindingSpec, Params
from smtpdoctor.knowledge.fixes import fixes_for
from smtpdoctor.model import MTA, Category, Fix, Severity, Stage

__all__ = [
    "FixBuilder",
    "certificate_specs",
    "config_fixes",
    "helo_specs",
    "open_relay_spec",
    "setting_example",
    "timeout_spec",
]

# A fix written for the case: the setting's real name, the connector, the floor.
FixBuilder = Callable[[Params], Fix]


def config_fixes(
    mta: MTA,
    category: Category | None,
    own: FixBuilder | Fix | None = None,
    *,
    also: tuple[MTA, ...] = (),
) -> Callable[[Params], tuple[Fix, ...]]:
    """The case's own fix, then the category's recipes for ``mta`` (+ ``also``) and generic.

    ``category`` None: the rule decides it and passes it as the field
    ``cause`` too. A true ``hybrid`` field adds Microsoft 365's recipe (an
    Exchange connector that talks to Exchange Online).
    """

    def build(p: Params) -> tuple[Fix, ...]:
        cat = category if category is not None else Category(p["cause"])
        extra = (MTA.MICROSOFT365,) if p.get("hybrid") else ()
        head: tuple[Fix, ...] = ()
        if isinstance(own, Fix):
            head = (own,)
        elif own is not None:
            head = (own(p),)
        return head + fixes_for(cat, mtas=[mta, *also, *extra, MTA.GENERIC])

    return build


def setting_example(setting: str, value: str, line: int = 12, **fields: Any) -> dict[str, Any]:
    """A setting's evidence as the rules record it, ``where`` and ``param``, for an example."""
    text = f"{setting} = {value}"
    return {
        "setting": setting,
        "value": value,
        "line": line,
        "text": text,
        "where": f"line {line}: {text}",
        "param": setting,
        **fields,
    }


# --- the EHLO name ------------------------------------------------------------------

_HELO_PROBLEMS: dict[str, tuple[str, str, str]] = {
    # problem: (title, example name, example explanation)
    "empty": ("is empty", "", "it is empty, so the server falls back to its own host name"),
    "ip_literal": (
        "is an IP address or an address literal",
        "[192.0.2.25]",
        "an address literal is valid syntax but can never match a PTR name, and many "
        "receivers reject or score it",
    ),
    "localhost": (
        "is localhost",
        "localhost.localdomain",
        "'localhost' names no host on the Internet; receivers reject it",
    ),
    "not_fqdn": (
        "is not fully qualified",
        "mail",
        "it is not fully qualified; receivers with reject_non_fqdn_helo_hostname answer "
        "'504 5.5.2 Helo command rejected: need fully-qualified hostname'",
    ),
    "invalid": (
        "is not a valid host name",
        "mail_server.example.com",
        "it is not a valid host name (letters, digits and hyphens only), so "
        "reject_invalid_helo_hostname answers '501 5.5.2 Helo command rejected'",
    ),
    "internal_name": (
        "is an internal name (.local, .lan, .corp...)",
        "ex01.contoso.local",
        "it is an internal name that does not resolve on the Internet, so it cannot match "
        "the sending IP's PTR",
    ),
}


def helo_specs(
    prefix: str,
    mta: MTA,
    *,
    what: str,
    stage: Stage,
    fix: FixBuilder | Fix,
    setting: str,
    **example: Any,
) -> tuple[FindingSpec, ...]:
    """``<prefix>.<problem>`` for each way a host name cannot match a PTR.

    The severity is the rule's: it depends on the problem and on whether the
    name is only a banner (a warning at most).
    """
    target = "this server's PTR and MX name" if stage is Stage.GREETING else "the sending IP's PTR"
    return tuple(
        FindingSpec(
            id=f"{prefix}.{problem}",
            severity=None,
            category=Category.DNS_PTR_MISMATCH,
            stage=stage,
            title=f"The {what} ({setting}) {title}.",
            message=f"The {what} '{{shown}}' ({{where}}) cannot match {target}: {{why}}.",
            fixes=config_fixes(mta, Category.DNS_PTR_MISMATCH, fix),
            example=setting_example(
                setting.split(maxsplit=1)[0].rstrip(","),
                name,
                shown=name,
                why=why,
                name=name,
                **example,
            ),
            source="RFC 5321 §4.1.1.1, §4.1.4",
        )
        for problem, (title, name, why) in _HELO_PROBLEMS.items()
    )


# --- timeouts -----------------------------------------------------------------------

TIMEOUT_MESSAGE = (
    "{setting} is {shown} ({where}), below {floor}: {why}. Slow or busy peers (content "
    "scanning before the end-of-data reply, tarpitting, long paths) get cut off and the "
    "message is retried or bounced."
)


def timeout_spec(
    fid: str,
    mta: MTA,
    *,
    title: str,
    fix: FixBuilder,
    stage: Stage | None = None,
    example: Params,
) -> FindingSpec:
    """A timeout below RFC 5321 §4.5.3.2's minimum (``stage`` None: the timeout's own)."""
    return FindingSpec(
        id=fid,
        severity=Severity.WARNING,
        category=Category.NETWORK_TIMEOUT,
        stage=stage,
        title=title,
        message=TIMEOUT_MESSAGE,
        fixes=config_fixes(mta, Category.NETWORK_TIMEOUT, fix),
        example=example,
        source="RFC 5321 §4.5.3.2",
    )


# --- open relays --------------------------------------------------------------------

OPEN_RELAY_MESSAGE = (
    "Open relay: {what}. Spammers find open relays within hours; the server's IP then "
    "lands on blocklists (Spamhaus, Microsoft, Gmail) and all of its mail is refused "
    "('550 5.7.1 Service unavailable; client host blocked', 'S3140')."
)


def open_relay_spec(
    fid: str, mta: MTA, *, title: str, fix: FixBuilder | Fix, example: Params
) -> FindingSpec:
    return FindingSpec(
        id=fid,
        severity=Severity.CRITICAL,
        category=Category.POLICY_REJECTION,
        stage=Stage.RCPT_TO,
        title=title,
        message=OPEN_RELAY_MESSAGE,
        fixes=config_fixes(mta, Category.POLICY_REJECTION, fix),
        example=example,
    )


# --- the certificate given with --cert ----------------------------------------------


def certificate_specs(mta: MTA, names: str) -> tuple[FindingSpec, ...]:
    """``<mta>.certificate.*``: the configured ``names`` against ``--cert``."""
    cat, stage = Category.TLS_CERTIFICATE, Stage.TLS_HANDSHAKE
    fixes = config_fixes(mta, cat)
    dates = {"source": "mx.pem", "not_after": "2026-03-01T00:00:00+00:00", "date": "2026-03-01"}
    return (
        FindingSpec(
            id=f"{mta.value}.certificate.name_not_on_certificate",
            severity=Severity.WARNING,
            category=cat,
            stage=stage,
            title=f"A configured host name ({names}) is not on the certificate given with --cert.",
            message=(
                "'{shown}' ({setting}, line {line}) is not on the certificate {source} "
                "(subject {subject}; names: {names}): senders that verify the MX name (DANE, "
                "MTA-STS, Microsoft 365 connectors with certificate validation) fail the "
                "handshake, and a partner expecting this name in your client certificate "
                "treats your mail as anonymous."
            ),
            fixes=fixes,
            example=setting_example(
                names.split(maxsplit=1)[0].rstrip(","),
                "mail.example.com",
                shown="mail.example.com",
                name="mail.example.com",
                source="mx.pem",
                subject="CN=mx.example.net",
                names="mx.example.net",
                certificate_names=["mx.example.net"],
            ),
        ),
        FindingSpec(
            id=f"{mta.value}.certificate.expired",
            severity=Severity.CRITICAL,
            category=cat,
            stage=stage,
            title="The certificate given with --cert has expired.",
            message=(
                "The certificate {source} expired on {date}: verifying senders refuse the "
                "handshake."
            ),
            fixes=fixes,
            example=dates,
        ),
        FindingSpec(
            id=f"{mta.value}.certificate.expires_soon",
            severity=Severity.WARNING,
            category=cat,
            stage=stage,
            title="The certificate given with --cert expires within 14 days.",
            message="The certificate {source} expires in {days} days ({date}).",
            fixes=fixes,
            example={**dates, "days": 9},
        ),
    )
