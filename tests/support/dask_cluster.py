"""A real dask.distributed cluster on loopback: ``dask scheduler`` and ``dask worker``s.

Each is its own process, started with ``--host 127.0.0.1`` and
``--no-dashboard`` (nothing listens beyond loopback, and dask has no reason
to look for the machine's public address), in a session of its own, and
stopped by its PID. Workers get ``PYTHONPATH`` so they import this checkout.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .helpers import StartStop

__all__ = ["DaskCluster"]

SRC = Path(__file__).resolve().parents[2] / "src"


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "distributed.cli.dask_spec"]


class DaskCluster(StartStop):
    """``with DaskCluster(workers=2) as c:`` then ``--scheduler c.address``."""

    def __init__(self, workers: int = 2, nthreads: int = 8) -> None:
        self.workers, self.nthreads = workers, nthreads
        self.address = ""
        self._procs: list[subprocess.Popen[bytes]] = []
        self._dir = Path()

    def start(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="smtpdoctor-dask-"))
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        sched_file = self._dir / "scheduler.json"
        try:
            self._spawn(
                [
                    *_dask_cli(),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(sched_file),
                ],
                env,
                "scheduler",
            )
            give_up = time.monotonic() + 60
            while not sched_file.exists() or not sched_file.read_text().strip():
                self._check_alive()
                if time.monotonic() > give_up:
                    raise TimeoutError("dask scheduler did not start within 60 s")
                time.sleep(0.1)
            self.address = json.loads(sched_file.read_text())["address"]
            for i in range(self.workers):
                self._spawn(
                    [
                        *_dask_cli(),
                        "worker",
                        self.address,
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--nthreads",
                        str(self.nthreads),
                        "--nworkers",
                        "1",
                        "--no-nanny",
                        "--name",
                        f"w{i}",
                        "--local-directory",
                        str(self._dir / f"w{i}"),
                    ],
                    env,
                    f"worker{i}",
                )
            self._wait_for_workers()
        except BaseException:
            self.stop()
            raise

    def _spawn(self, argv: list[str], env: dict[str, str], name: str) -> None:
        with open(self._dir / f"{name}.log", "wb") as log:
            self._procs.append(
                subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )

    def _check_alive(self) -> None:
        for p in self._procs:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args!r} exited {p.returncode}: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(
            f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}"
            for f in sorted(self._dir.glob("*.log"))
        )

    def _wait_for_workers(self) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(self.workers, timeout=60)

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self._procs[1:]]

    def stop(self) -> None:
        for p in reversed(self._procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self._procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        self._procs.clear()
        shutil.rmtree(self._dir, ignore_errors=True)
