"""``smtpdoctor scan``: the diagnosis of thousands of targets, politely and resumably.

- :mod:`.targets`: the target list, read line by line (bad lines reported, never fatal);
- :mod:`.checkpoint`: the SQLite checkpoint every result goes through;
- :mod:`.polite`: the planner (per-IP, per-/24 and global limits, spacing,
  backoff) and the connector that keeps one probe's connections in line;
- :mod:`.runner`: DNS per domain, one probe per MX address, documents;
- :mod:`.engines`: where the probes run (this process, or dask.distributed);
- :mod:`.summary`: the ``smtpdoctor.scan/1`` summary (text, JSON, HTML).
"""
