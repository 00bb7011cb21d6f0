"""What a cold ``diagnose`` of one address loads: the start-up cuts of issue 17 kept.

A trusted RSA chain is checked without ``cryptography`` (its Rust bindings
alone cost ~15 ms of a cold start) and ``--tls-ca`` is read without pathlib;
``inspect``, which asyncio and dataclasses import, is never used, nor are
``logging``, ``subprocess`` and ``concurrent.futures``, which asyncio imports,
nor OpenSSL's digests (``_hashlib``), nor ``traceback`` (with ``textwrap``),
``typing``, ``signal``'s enums or asyncio's modules for TLS transports, happy
eyeballs, transport sockets, locks, queues, streams, subprocesses, task groups and
threads (cli/deferred.py);
a module that comes back on this path shows up here, not only as a slower
benchmark. Run in a fresh interpreter, as a user's command is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support.cli import diagnose_argv

# Printed after the diagnosis, on stderr: which of these the process loaded.
PROBE = """\
import sys
# As the command line's entries start (cli/deferred.py).
from smtpdoctor.cli.deferred import (
    ASYNCIO_DEFERRED, ASYNCIO_UNUSED, DIAGNOSE_DEFERRED, defer_for_diagnose, is_deferred)
defer_for_diagnose()
from smtpdoctor.cli.main import main
status = main(sys.argv[1:])
watched = ("cryptography", "pathlib", "dns", "rich", "smtpdoctor.knowledge.patterns", "textwrap")
loaded = sorted({m.split(".")[0] if m.startswith(("cryptography", "dns.")) else m
                 for m in sys.modules if m.startswith(watched)})
unused = [f"asyncio.{sub}" for sub in ASYNCIO_UNUSED]
loaded += [m for m in ("inspect", "linecache", *DIAGNOSE_DEFERRED, "hashlib", *ASYNCIO_DEFERRED,
                       *unused) if not is_deferred(sys.modules[m])]
loaded += [m for m in ("_hashlib", "_sha1", "_sha512", "smtpdoctor.cli.nagios",
                       "smtpdoctor.knowledge.fixes") if m in sys.modules]
sys.stderr.write("LOADED " + ",".join(loaded) + "\\n")
"""


def test_an_address_with_a_trusted_rsa_chain_loads_no_cryptography_or_pathlib(lab):
    # ...nor inspect, logging, subprocess, concurrent.futures, _hashlib, traceback,
    # typing, signal or asyncio's sslproto, staggered and trsock, deferred by the
    # command line's entries and used by none of it.
    argv = diagnose_argv("healthy", server=lab, timeout=8)
    env = dict(os.environ, SMTPDOCTOR_COLD="1")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    cert = doc["hosts"][0]["tls"]["certificate"]
    assert (cert["trusted"], cert["key"]["type"], cert["signature_algorithm"]) == (
        True,
        "RSA",
        "sha256-RSA",
    )
    loaded = proc.stderr.rsplit("LOADED ", 1)[1].strip()
    assert loaded == "", loaded
