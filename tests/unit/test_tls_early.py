"""net/tls.py's early context: the first probe context's SSLContext made in a thread.

A cold ``diagnose`` (cli/early.py) starts it before its modules load; the
context ``probe_context`` then gives is configured exactly as one it makes
itself, is taken once, and a failure in the thread leaves ``probe_context``
to make its own.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from typing import Any

import pytest

from smtpdoctor.net import tls


def _shape(ctx: ssl.SSLContext) -> dict[str, Any]:
    return {
        "protocol": ctx.protocol,
        "options": int(ctx.options),
        "verify_mode": ctx.verify_mode,
        "check_hostname": ctx.check_hostname,
        "minimum": ctx.minimum_version,
        "maximum": ctx.maximum_version,
        "ciphers": [c["name"] for c in ctx.get_ciphers()],
        "security_level": getattr(ctx, "security_level", None),
        "post_handshake_auth": ctx.post_handshake_auth,
        "verify_flags": int(ctx.verify_flags),
        "stats": ctx.cert_store_stats(),
    }


@pytest.fixture(autouse=True)
def _no_early_left() -> Any:
    tls._EARLY.clear()
    yield
    tls._EARLY.clear()


def test_the_early_context_is_configured_as_a_fresh_one() -> None:
    tls.start_early()
    tls.start_early()  # (a second call starts nothing)
    assert len(tls._EARLY) == 1
    early = tls.probe_context("TLSv1.2", "TLSv1.3")
    assert not tls._EARLY  # taken once
    fresh = tls.probe_context("TLSv1.2", "TLSv1.3")
    assert early is not fresh
    assert _shape(early) == _shape(fresh)


def test_a_failure_in_the_thread_leaves_probe_context_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    real = ssl.SSLContext

    def failing(protocol: int) -> ssl.SSLContext:
        made.append("call")
        if len(made) == 1:
            raise ssl.SSLError("no context here")
        return real(protocol)

    class FailingFirst:  # net/tls.py's ssl, whose first SSLContext() fails
        def __getattr__(self, name: str) -> Any:
            return getattr(ssl, name)

        SSLContext = staticmethod(failing)

    monkeypatch.setattr(tls, "ssl", FailingFirst())
    tls.start_early()
    ctx = tls.probe_context()
    assert made == ["call", "call"]
    assert ctx.verify_mode == ssl.CERT_NONE


def test_a_cold_diagnose_takes_it_through_the_command_line_entry() -> None:
    """cli/early.send_first starts it for ``diagnose`` only; a walk's context is it."""
    code = """\
import json, sys
from smtpdoctor.cli.early import send_first
from smtpdoctor.net import tls
send_first(["explain", "-"])
other = len(tls._EARLY)
send_first(["diagnose", "127.0.0.1"])
started = len(tls._EARLY)
done, box = tls._EARLY[0]
ctx = tls.probe_context()
print(json.dumps({"other": other, "started": started, "taken": box[0] is ctx,
                  "left": len(tls._EARLY)}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"other": 0, "started": 1, "taken": True, "left": 0}
