"""A private PostgreSQL 15 for the tests: initdb + pg_ctl in a temporary directory.

Runs as the ``postgres`` user (the server refuses root), listens on 127.0.0.1
on a free port with its Unix socket in its own directory, trusts local users.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import StartStop, unavailable

BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres(StartStop):
    def __init__(self) -> None:
        if not (BIN / "initdb").exists():
            unavailable("PostgreSQL 15 is not installed (postgresql-15)")
        if os.geteuid() != 0:
            unavailable("running PostgreSQL as the postgres user needs root")
        try:
            self.user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("no postgres user")
        self.dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-pg-"))
        os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self.port = free_port()
        self.url = f"postgresql://smtpdoctor@127.0.0.1:{self.port}/postgres"
        self._run(
            str(BIN / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-A",
            "trust",
            "-U",
            "smtpdoctor",
            "--no-sync",
        )

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run(
            str(BIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def reset(self) -> None:
        """Drop every table (a fresh database for the next test)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    server = Postgres()
    try:
        with server:
            yield server
    finally:
        server.remove()


@pytest.fixture
def postgres(postgres_server: Postgres) -> Postgres:
    postgres_server.reset()
    return postgres_server
