"""Logs, the sending side read as a whole: what one line cannot tell.

(Session 19: refused connections and TLS failures are read the same way: every
destination refusing, or failing in TLS, with no remote delivery is our side;
some while mail to others flows is theirs.)

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
    FindingSpec(
        id="logs.outbound.refused_everywhere",
        severity=Severity.CRITICAL,
        category=Category.FIREWALL_BLOCK,
        stage=Stage.CONNECT,
        title="Every destination refused the connection and no remote delivery succeeded: "
        "a REJECT of ours (a firewall or proxy on this side), not each receiver stopped.",
        message=(
            "All {count} destination(s) tried ({destinations}) refused the connection, and no "
            "message reached any remote SMTP server in this log: a firewall rule or proxy on "
            "this side most likely REJECTs outbound port 25 (a refusal sent on the "
            "receivers' behalf), not each receiver's MTA stopped."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Test port 25 from this host to a server that is surely up; a refusal "
                    "there too confirms a REJECT on this side: " + _CHECK,
                    "Look for a REJECT rule on outbound port 25 (iptables -S OUTPUT, nft list "
                    "ruleset, a host firewall such as ufw or firewalld) or a transparent "
                    "proxy/antivirus that intercepts port 25, and allow the MTA through.",
                    "Where the provider refuses port 25, relay through a smarthost on port 587 "
                    "with authentication.",
                ),
                verify=_CHECK,
            ),
        ),
        example={"count": 2, "destinations": "gmail.com, outlook.com"},
    ),
    FindingSpec(
        id="logs.outbound.hosts_refusing",
        severity=Severity.WARNING,
        category=Category.SERVICE_UNAVAILABLE,
        stage=Stage.CONNECT,
        title="Some destinations refuse the connection while mail to others flows: those "
        "receivers' MTAs are stopped or their firewalls REJECT us (not a block of ours).",
        message=(
            "{count} destination(s) ({destinations}) refused the connection on every attempt, "
            "while {remote_sent} deliveries to other SMTP servers went through in the same "
            "log: our port 25 works, so those receivers' MTAs are stopped (or listen on "
            "localhost only), or a firewall in front of them REJECTs our address."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=True,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Diagnose one of them from this host: a TCP reset from the host itself while "
                    "its other ports answer is a stopped MTA; an ICMP error or a hop before the "
                    "host is a firewall: smtpdoctor diagnose DESTINATION --path.",
                    "Tell the receiver's postmaster; nothing on this side mends it.",
                ),
                verify="smtpdoctor diagnose example.org --path",
            ),
        ),
        example={"count": 2, "destinations": "example.org, example.net", "remote_sent": 120},
    ),
    FindingSpec(
        id="logs.outbound.tls_failing_everywhere",
        severity=Severity.CRITICAL,
        category=Category.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="Every destination failed in TLS and no remote delivery succeeded: our TLS "
        "settings, or a middlebox on our path, not each receiver's TLS.",
        message=(
            "All {count} destination(s) tried ({destinations}) failed in STARTTLS or the TLS "
            "handshake, and no message reached any remote SMTP server in this log: this "
            "host's TLS client settings (a protocol or cipher floor no receiver meets, a "
            "missing CA file under a verify policy) or a middlebox on this side that "
            "intercepts STARTTLS most likely fail them all, not each receiver's TLS."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Probe a server that surely works, from this host, with its TLS matrix: "
                    "smtpdoctor diagnose gmail-smtp-in.l.google.com --ciphers. A handshake "
                    "there points at our MTA's TLS settings; the same failure at a middlebox "
                    "(STARTTLS shown as XXXXXXXA, a reset right after STARTTLS).",
                    "Compare the MTA's TLS client settings (protocols, ciphers, CA file, "
                    "security level) with what the receivers offer.",
                ),
                verify="smtpdoctor diagnose gmail-smtp-in.l.google.com --ciphers",
            ),
            Fix(
                MTA.POSTFIX,
                ("Read the client-side TLS settings that apply to every destination:",),
                "postconf smtp_tls_security_level smtp_tls_protocols "
                "smtp_tls_mandatory_protocols smtp_tls_mandatory_ciphers smtp_tls_CAfile",
                "postconf -n | grep ^smtp_tls",
            ),
        ),
        example={"count": 2, "destinations": "gmail.com, outlook.com"},
    ),
    FindingSpec(
        id="logs.outbound.tls_failing_peers",
        severity=Severity.WARNING,
        category=Category.TLS_HANDSHAKE_FAILURE,
        stage=Stage.TLS_HANDSHAKE,
        title="Some destinations fail in TLS while mail to others flows: those receivers' "
        "TLS (or a middlebox in front of them), not ours.",
        message=(
            "{count} destination(s) ({destinations}) failed in STARTTLS or the TLS handshake "
            "on every attempt, while {remote_sent} deliveries to other SMTP servers went "
            "through in the same log: our TLS client works, so those receivers offer no TLS "
            "version or cipher we accept, a certificate we refuse, or a middlebox in front "
            "of them cuts STARTTLS."
        ),
        permanence=Permanence.TEMPORARY,
        retry_helps=False,
        fixes=(
            Fix(
                MTA.GENERIC,
                (
                    "Probe one of them with the TLS matrix: smtpdoctor diagnose DESTINATION "
                    "--ciphers (some versions handshake and none of ours: a mismatch; every "
                    "version cut the same way right after STARTTLS: a middlebox).",
                    "Tell the receiver's postmaster; meanwhile a per-destination TLS policy "
                    "that accepts what they offer lets mail through.",
                ),
                verify="smtpdoctor diagnose example.org --ciphers",
            ),
        ),
        example={"count": 2, "destinations": "example.org, example.net", "remote_sent": 120},
    ),
)
