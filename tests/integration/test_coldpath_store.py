"""A cold ``diagnose`` of a server that refuses takes the table regexes' compiled
programs from the store a one-line ``explain`` reads (cli/regexstore.py), through
the hook the diagnosis package runs just before the pattern library loads
(``smtpdoctor.diagnosis.before_library``): the same document with the store as
without it, and a healthy path never loads the library.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GREETING = b"554 5.7.1 mx.example.test ESMTP not accepting mail from your address\r\n"


def _env(prefix: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["PYTHONPYCACHEPREFIX"] = str(prefix)  # (bytecode and stores of this test only)
    env["XDG_CACHE_HOME"] = str(prefix / "user-cache")  # (nor the user's own)
    return {**env, **(extra or {})}


@pytest.fixture
def refusing_server() -> object:
    """A loopback server whose greeting is a 554 refusal (RFC 5321 §3.1)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    conn.sendall(GREETING)
                    while data := conn.recv(4096):
                        if data.upper().startswith(b"QUIT"):
                            conn.sendall(b"221 2.0.0 bye\r\n")
                            break
                        conn.sendall(b"503 5.5.1 no service\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def _untimed(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: _untimed(v) for k, v in doc.items() if not k.endswith("_ms")}
    if isinstance(doc, list):
        return [_untimed(v) for v in doc]
    return doc


def _diagnose(port: int, prefix: Path, extra: dict[str, str] | None = None) -> tuple[int, object]:
    args = ["diagnose", f"127.0.0.1:{port}", "--format", "json", "--timeout", "30"]
    done = subprocess.run(
        [sys.executable, "-m", "smtpdoctor", *args],
        check=False,
        env=_env(prefix, extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, _untimed(json.loads(done.stdout))


def test_refusal_reads_the_store_and_says_the_same(refusing_server: int, tmp_path: Path) -> None:
    first = _diagnose(refusing_server, tmp_path)  # (compiles, writes the store)
    stores = list(tmp_path.rglob("regexstore.diagnose.*.marshal"))
    assert stores, "the first refusal's run keeps the table regexes' programs"
    second = _diagnose(refusing_server, tmp_path)  # (reads them)
    assert first == second
    code, doc = first
    assert code == 2
    assert isinstance(doc, dict)
    assert doc["verdict"]["stage"] == "greeting"


def test_library_hook_runs_once_before_the_library_loads() -> None:
    code = (
        "import sys\n"
        "from smtpdoctor import diagnosis\n"
        "seen = []\n"
        "diagnosis.before_library(lambda: seen.append("
        "'smtpdoctor.diagnosis.classifier' in sys.modules))\n"
        "import smtpdoctor.diagnosis.session_rules\n"
        "assert seen == [], seen\n"
        "from smtpdoctor.diagnosis import classify_reply\n"
        "from smtpdoctor.diagnosis import classify\n"
        "assert seen == [False], seen\n"
        "assert callable(classify_reply) and callable(classify)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"PYTHONPYCACHEPREFIX": "/proc/smtpdoctor-no-bytecode"}, id="unwritable"),
        pytest.param({"PYTHONDONTWRITEBYTECODE": "1"}, id="dont-write-bytecode"),
    ],
)
def test_refusal_keeps_the_store_where_no_bytecode_is_written(
    refusing_server: int, tmp_path: Path, how: dict[str, str]
) -> None:
    """Where the bytecode directory cannot be written (a root-owned install run by
    a user) or no bytecode is written (``python -B``, ``PYTHONDONTWRITEBYTECODE``,
    common in container images), the store goes to the user's cache directory
    (``$XDG_CACHE_HOME/smtpdoctor``), so a refusal's second run still reads the
    table regexes' programs rather than compiling them again; the document is the
    same."""
    cache = tmp_path / "cache"
    extra = {"XDG_CACHE_HOME": str(cache), **how}
    first = _diagnose(refusing_server, tmp_path / "prefix", extra)
    stores = list(cache.rglob("regexstore.diagnose.*.marshal"))
    assert stores, "the store is kept in the user's cache directory"
    second = _diagnose(refusing_server, tmp_path / "prefix", extra)
    assert first == second
    if "PYTHONDONTWRITEBYTECODE" in how:
        assert not list((tmp_path / "prefix").rglob("*.pyc")), "no bytecode written"
