"""Logs, the sending side read as a whole: what one line cannot tell.

"connect to mx.example.com[192.0.2.1]:25: Connection timed out" alone can be
a dead or filtering receiver, or our own outbound port 25 blocked (by the
ISP, the cloud provider or a local firewall). ``smtpdoctor logs`` decides
from the whole file: when every destination tried times out at connect and
no mail reached any remote SMTP server, the block is ours; when mail to
others flows meanwhile, it is theirs. Each finding names the other readings
(``evidence.alternatives``) and the one check that tells them apart.
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalogue.spec import FindingSpec
from smtpdoctor.model import MTA, Category, Fix, Permanence, Severity, Stage

__all__ = ["SPECS"]

_CHECK = "nc -vz -w 5 gmail-smtp-in.l.google.com 25"

SPECS: tuple[FindingSpec, ...] = (
    FindingSpec(
        id="logs.outbound.port25_blocked",
        severity=Severity.CRITICAL,
        category=Category.FIREWALL_BLOCK,
        stage=Stage.CONNECT,
        title="Every destination timed out (or had no route) at connect and no remote "
        "delivery succeeded: "
        "our outbound port 25 is blocked.",
        message=(
            "All {count} destination(s) tried ({destinations}) timed out or had no route at "
            "connect, and no "
            "message reached any remote SMTP server in this log: outbound port 25 from this "
            "host is most likely blocked (ISP, cloud provider or local firewall), not each "
            "receiver down."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Test port 25 from this host to a server that is surely up; a timeout "
                    "there too confirms the block: " + _CHECK,
                    "Cloud providers block outbound port 25 by default (AWS until you ask for "
                    "removal, Azure for most subscriptions, Google Cloud always, DigitalOcean, "
                    "Hetzner for new accounts) and many residential ISPs do: ask to lift it, "
                    "or relay through a smarthost on port 587 with authentication.",
                    "Check this host's own egress rules (iptables -S OUTPUT, nft list ruleset, "
                    "the security group or network ACL).",
                ),
                verify=_CHECK,
            ),
            Fix(
                MTA.POSTFIX,
                ("Relay through a smarthost on the submission port while port 25 is blocked:",),
                "relayhost = [smtp.example.net]:587\nsmtp_sasl_auth_enable = yes\n"
                "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
                "smtp_tls_security_level = encrypt",
                "postconf relayhost",
            ),
        ),
        example={
            "count": 3,
            "destinations": "gmail.com, outlook.com, example.org",
        },
    ),
    FindingSpec(
        id="logs.outbound.hosts_unreachable",
        severity=Severity.WARNING,
        category=Category.NETWORK_TIMEOUT,
        stage=Stage.CONNECT,
        title="Some destinations time out (or have no route) at connect while mail to others "
        "flows: those "
        "receivers are down or filter us (not an outbound block).",
        message=(
            "{count} destination(s) ({destinations}) timed out or had no route at connect on "
            "every attempt, "
            "while {remote_sent} deliveries to other SMTP servers went through in the same "
            "log: our port 25 works, so those receivers are down, unreachable, or drop our "
            "address."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=True,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Diagnose one of them from this host (ports, path, and whether other MX "
                    "hosts answer): smtpdoctor diagnose DESTINATION --path.",
                    "A receiver that drops only us (not others) has blocklisted our address: "
                    "check the address's reputation and the destination's postmaster pages.",
                ),
                verify="smtpdoctor diagnose example.org --path",
            ),
        ),
        example={"count": 2, "destinations": "example.org, example.net", "remote_sent": 120},
    ),
)
