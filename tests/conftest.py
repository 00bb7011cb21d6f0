"""The suite's two tiers, and the one thing they share.

``tests/unit`` holds the pure layers (protocol, knowledge, classifier, rules
on values, parsers, log and configuration files): no server, no root, fast.
``tests/integration`` starts the lab, NSD, Postfix, Exim, test networks,
Chromium, dask; its fixtures live in ``tests/integration/conftest.py``.

This file imports nothing: being the root conftest, it puts ``tests/`` on
``sys.path`` so that both tiers import the ``support`` package.
"""
