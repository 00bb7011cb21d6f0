"""The fault lab: local SMTP servers that each reproduce one failure mode.

Public API, used by the test suite, ``smtpdoctor lab`` and the demo, and by
anyone testing how a mail client retries::

    from smtpdoctor.lab import LabThread

    with LabThread(["drop-mail-reset"], base_port=0) as lab:
        host, port = lab.addresses["drop-mail-reset"]
        ...  # point the client at host:port, trust lab.ca_file

Each :class:`Scenario` carries the :class:`Expectation` smtpdoctor's own
diagnosis must meet for it, so the lab doubles as the diagnosis's test bed.
"""

from smtpdoctor.lab.certs import CA_CERT_FILE, default_state_dir
from smtpdoctor.lab.conversation import BANNER
from smtpdoctor.lab.scenarios import (
    LAB_HOSTNAME,
    MESSAGE_FAULT_AFTER,
    SCENARIOS,
    Action,
    CertKind,
    Expectation,
    Fault,
    Hostile,
    Quirk,
    Scenario,
    StartTLS,
    TLSProfile,
    Trigger,
    select_scenarios,
)
from smtpdoctor.lab.server import (
    DEFAULT_BASE_PORT,
    DEFAULT_HOST,
    Lab,
    LabThread,
    planned_addresses,
)

__all__ = [
    "BANNER",
    "CA_CERT_FILE",
    "DEFAULT_BASE_PORT",
    "DEFAULT_HOST",
    "LAB_HOSTNAME",
    "MESSAGE_FAULT_AFTER",
    "SCENARIOS",
    "Action",
    "CertKind",
    "Expectation",
    "Fault",
    "Hostile",
    "Lab",
    "LabThread",
    "Quirk",
    "Scenario",
    "StartTLS",
    "TLSProfile",
    "Trigger",
    "default_state_dir",
    "planned_addresses",
    "select_scenarios",
]
