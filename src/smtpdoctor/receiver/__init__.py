"""The test receiver for the sending side (``smtpdoctor receive``), and the
difficult-receiver behaviours the fault lab shares.

:mod:`.connection` (one accepted client on net's server-side stream),
:mod:`.behaviours` (refusals, drops, stalls, TLS policies: one implementation
for the lab and the receiver), :mod:`.profiles` (the ``--as`` profiles, data),
:mod:`.session` (one received session, recorded as evidence) and
:mod:`.server` (the listener, its caps, the per-client history).
"""
