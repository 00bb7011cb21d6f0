"""The suite's two tiers, and the one thing they share.

``tests/unit`` holds the pure layers (protocol, knowledge, classifier, rules
on values, parsers, log and configuration files): no server, no root, fast.
``tests/integration`` starts the lab, NSD, Postfix, Exim, test networks,
Chromium, dask; its fixtures live in ``tests/integration/conftest.py``.

Being the root conftest, it puts ``tests/`` on ``sys.path`` so that both
tiers import the ``support`` package. It imports only ``os``: a warm server
the developer left running (``smtpdoctor warm start``, docs/warm.md) must not
serve the suite's command lines, so they run cold unless a test starts a
server of its own (tests/integration/test_warm_server.py).
"""

import os

os.environ["SMTPDOCTOR_COLD"] = "1"
