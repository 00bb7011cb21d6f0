"""What the tests share: the CLI run in-process, and the real-server harnesses.

``helpers`` (the CLI in-process, skip-or-fail, start/stop, log waiting) and
``cli`` (the ``diagnose`` command line the tests run) are cheap to import;
the harnesses (``postfix``, ``exim``, ``nsd``, ``netns``,
``policy_server``, ``postfix_client``, and for ``receive`` ``receive`` and
``exim_sender``) are imported only by the integration
tests and their conftest. ``netns.py`` and ``relay_delay.py`` also run as
scripts inside the test networks' namespaces.
"""
