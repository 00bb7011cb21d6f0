"""Evidence: the typed facts every source produces, and the pure parsers that build them.

DNS answers (:mod:`.dns`, :mod:`.dnsrecords`), certificate facts and host-name
matching (:mod:`.certificate`), a walked SMTP session (:mod:`.session`), the
TLS version matrix (:mod:`.tls`), HTTP responses (:mod:`.http`), MTA-STS
policies and how fetching one went (:mod:`.mtasts`), DANE TLSA matching
(:mod:`.dane`), port and path results (:mod:`.network`), bounces
(:mod:`.bounce`) and the entries of an MTA's queue (:mod:`.queue`).

No I/O here: no sockets, no asyncio, no ``ssl``, no DNS queries. The probes
fill these values in; the rules, ``config`` and ``logs`` read them without
loading the network code.
"""
