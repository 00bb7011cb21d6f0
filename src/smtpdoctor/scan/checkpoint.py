"""The scan's checkpoint: one SQLite file that every result passes through.

A rerun with the same checkpoint continues where the last run stopped
(Ctrl-C, a crash, a lost machine): targets already diagnosed are not asked
again, MX addresses already probed are not connected to again. Tables:

- ``meta``: the options the scan was started with (a rerun must match);
- ``targets``: one row per distinct target, in list order, with its state
  (``pending``, ``done``) and, when done, its verdict and its document;
- ``bad``: the lines that were not targets, and why;
- ``hosts``: one row per probed MX address (``address|port``), its walk as a
  pickled :class:`~smtpdoctor.doctor.HostReport` (the file is the user's
  own, written by this tool; never load one from elsewhere).

WAL mode and one transaction per batch keep it fast; a kill loses at most
the batch in flight.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from smtpdoctor.doctor import HostReport
from smtpdoctor.scan.targets import BadLine, Target

__all__ = ["Checkpoint", "OptionsMismatch"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    line INTEGER NOT NULL,
    text TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER,
    state TEXT NOT NULL DEFAULT 'pending',
    status TEXT,
    category TEXT,
    doc TEXT
);
CREATE INDEX IF NOT EXISTS targets_state ON targets (state, id);
CREATE TABLE IF NOT EXISTS bad (line INTEGER PRIMARY KEY, text TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS hosts (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    connections INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    report BLOB NOT NULL
);
"""


class OptionsMismatch(Exception):
    """The checkpoint was made by a scan with other options."""


class Checkpoint:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- options -------------------------------------------------------------------

    def bind_options(self, fingerprint: dict[str, Any]) -> bool:
        """Record the options, or check them against the recorded ones; True if resuming."""
        text = json.dumps(fingerprint, sort_keys=True)
        row = self.db.execute("SELECT value FROM meta WHERE key='options'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('options', ?)", (text,))
            return False
        if row[0] != text:
            old = json.loads(row[0])
            changed = sorted(k for k in {*old, *fingerprint} if old.get(k) != fingerprint.get(k))
            raise OptionsMismatch(
                f"checkpoint {self.path} was made with other options ({', '.join(changed)}); "
                "use the same ones, another --checkpoint, or --fresh"
            )
        return True

    # -- targets -------------------------------------------------------------------

    def ingest(self, items: Iterable[Target | BadLine], batch: int = 5000) -> tuple[int, int]:
        """Store the list's targets (duplicates once) and bad lines; (targets, bad) seen."""
        seen = bad = 0
        targets: list[tuple[Any, ...]] = []
        bads: list[tuple[Any, ...]] = []
        for item in items:
            if isinstance(item, BadLine):
                bad += 1
                bads.append((item.line, item.text, item.reason))
            else:
                seen += 1
                targets.append((item.key, item.line, item.text, item.host, item.port))
            if len(targets) + len(bads) >= batch:
                self._insert(targets, bads)
                targets, bads = [], []
        self._insert(targets, bads)
        return seen, bad

    def _insert(self, targets: list[tuple[Any, ...]], bads: list[tuple[Any, ...]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO targets (key, line, text, host, port) VALUES (?,?,?,?,?)",
                targets,
            )
            self.db.executemany("INSERT OR IGNORE INTO bad VALUES (?,?,?)", bads)

    def count(self, state: str | None = None) -> int:
        if state is None:
            return int(self.db.execute("SELECT count(*) FROM targets").fetchone()[0])
        sql = "SELECT count(*) FROM targets WHERE state=?"
        return int(self.db.execute(sql, (state,)).fetchone()[0])

    def pending(self, after: int, limit: int) -> list[tuple[int, str, str, int | None]]:
        """(id, key, host, port) of pending targets after id ``after``, in list order."""
        sql = (
            "SELECT id, key, host, port FROM targets"
            " WHERE state='pending' AND id>? ORDER BY id LIMIT ?"
        )
        return [tuple(r) for r in self.db.execute(sql, (after, limit))]

    def finish(self, rows: Iterable[tuple[int, str, str, dict[str, Any]]]) -> None:
        """Mark targets done: (id, status, category, document)."""
        with self.db:
            self.db.executemany(
                "UPDATE targets SET state='done', status=?, category=?, doc=? WHERE id=?",
                [(s, c, json.dumps(d, ensure_ascii=False), i) for i, s, c, d in rows],
            )

    def retry_failed(self) -> int:
        """Make the failed targets pending again and forget their hosts' walks."""
        with self.db:
            keys: set[str] = set()
            for (doc,) in self.db.execute("SELECT doc FROM targets WHERE status='failure'"):
                for h in json.loads(doc).get("hosts", []):
                    keys.add(host_key(h["address"], h["port"]))
            self.db.executemany("DELETE FROM hosts WHERE key=?", [(k,) for k in keys])
            cur = self.db.execute(
                "UPDATE targets SET state='pending', doc=NULL, status=NULL, category=NULL "
                "WHERE status='failure'"
            )
        return cur.rowcount

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every finished target's document, in list order (streamed)."""
        cur = self.db.execute("SELECT doc FROM targets WHERE state='done' ORDER BY id")
        for (doc,) in cur:
            yield json.loads(doc)

    def bad_lines(self) -> list[tuple[int, str, str]]:
        return [tuple(r) for r in self.db.execute("SELECT * FROM bad ORDER BY line LIMIT 1000")]

    def bad_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM bad").fetchone()[0])

    # -- hosts ---------------------------------------------------------------------

    def host(self, key: str) -> HostReport | None:
        row = self.db.execute("SELECT report FROM hosts WHERE key=?", (key,)).fetchone()
        return pickle.loads(row[0]) if row else None

    def save_host(self, key: str, report: HostReport, connections: int, attempts: int) -> None:
        blob = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO hosts VALUES (?,?,?,?,?)",
                (key, report.verdict.status.value, connections, attempts, blob),
            )

    def host_stats(self) -> tuple[int, int]:
        """(MX addresses probed, connections they took)."""
        row = self.db.execute("SELECT count(*), coalesce(sum(connections),0) FROM hosts").fetchone()
        return int(row[0]), int(row[1])


def host_key(address: str, port: int) -> str:
    return f"{address}|{port}"
