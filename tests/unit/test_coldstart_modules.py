"""What importing a cold ``diagnose``'s path costs: issue 17's start-up cuts kept.

In a fresh interpreter, as a user's command starts: the modules ``diagnose``
imports before its first socket generate no dataclass method (each class on
the path is declared with ``smtpdoctor.fastdataclass``, its ``__init__``
compiled ahead of time), and load no standard library module beyond those
asyncio and ssl load and the few listed here. A module that comes back shows up
here, not only as a slower benchmark (``bench/startup_bench.py``).
(``tests/integration/test_coldstart_imports.py`` checks what a whole diagnosis
of the lab loads.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PATH = "import smtpdoctor.cli.main, smtpdoctor.cli.diagnose, smtpdoctor.doctor.usecase"

PROBE = f"""\
import json, sys
# As the command line's entries start (python -m smtpdoctor, the console script).
from smtpdoctor.cli.deferred import (
    ASYNCIO_DEFERRED, ASYNCIO_UNUSED, DEFERRED, DIAGNOSE_DEFERRED, defer_for_diagnose,
    is_deferred)
defer_for_diagnose()
before = set(sys.modules)
import asyncio, ssl
floor = set(sys.modules)
import dataclasses
made = []
create_fn = dataclasses._create_fn
dataclasses._create_fn = lambda name, *a, **k: made.append(name) or create_fn(name, *a, **k)
compiled = []
real_compile = compile
import builtins
# Code written at run time ("<string>"), not a module compiled from its source by the
# import system (as in a checkout without bytecode).
builtins.compile = lambda *a, **k: (
    a[1:2] == ("<string>",) and compiled.append(1)
) or real_compile(*a, **k)
{PATH}
builtins.compile = real_compile
stdlib = sorted(m for m in set(sys.modules) - floor - before if not m.startswith("smtpdoctor"))
deferred = [name for name in (*DEFERRED, *DIAGNOSE_DEFERRED, "hashlib")
            if is_deferred(sys.modules[name])]
unused = [f"asyncio.{{sub}}" for sub in ASYNCIO_UNUSED]
asyncio_deferred = [name for name in (*ASYNCIO_DEFERRED, *unused) if is_deferred(sys.modules[name])]
loaded = sorted(sys.modules)
plain, fast = [], []
for name, module in list(sys.modules.items()):
    if not name.startswith("smtpdoctor"):
        continue
    for value in vars(module).values():
        own = isinstance(value, type) and value.__module__ == name
        if own and "__dataclass_fields__" in vars(value):
            made_by = getattr(value.__eq__, "__module__", None)
            (fast if made_by == "smtpdoctor.fastdataclass" else plain).append(value.__qualname__)
print(json.dumps({{"generated": made, "compiled": len(compiled), "plain": plain,
                  "fast": fast, "stdlib": stdlib, "deferred": deferred, "loaded": loaded,
                  "asyncio_deferred": asyncio_deferred}}))
"""

# What the path needs beyond asyncio and ssl (inspect deferred: see
# test_the_path_leaves_inspect_and_its_imports_unloaded): the CLI (argparse, gettext), the JSON
# output, the certificate's dates and digests, addresses, the dataclass machinery.
ALLOWED_STDLIB = {
    "__future__",
    "_datetime",
    "_json",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_string",  # string.Formatter().parse itself (knowledge/catalogue/spec.py)
    "argparse",
    # (the project's own modules import it; `python -m` and the console script's runpy
    # and importlib.util load it before them anyway)
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "gc",
    "gettext",
    # cli.main imports the command's module by name (inspect loaded these before
    # cli/deferred.py deferred it: no module more than before).
    "importlib",
    "importlib._bootstrap",
    "importlib._bootstrap_external",
    "ipaddress",
    "json",
    "json.decoder",
    "json.encoder",
    "json.scanner",
}


def _probe() -> dict[str, list[str]]:
    env = dict(os.environ, SMTPDOCTOR_COLD="1")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    doc: dict[str, list[str]] = json.loads(proc.stdout)
    return doc


def test_the_path_generates_and_compiles_no_dataclass_method() -> None:
    doc = _probe()
    assert doc["generated"] == []
    assert doc["plain"] == [], "declare these with smtpdoctor.fastdataclass.dataclass"
    assert len(doc["fast"]) >= 27
    # Each __init__ comes from _fastinits.py's bytecode: nothing compiled at all.
    assert doc["compiled"] == 0, (
        "stale: python -m smtpdoctor.fastdataclass > src/smtpdoctor/_fastinits.py"
    )


def test_the_path_loads_no_other_standard_library_module() -> None:
    extra = set(_probe()["stdlib"]) - ALLOWED_STDLIB
    assert not extra, f"a cold diagnose now also imports {sorted(extra)}"


def test_the_path_leaves_inspect_and_its_imports_unloaded() -> None:
    # asyncio and dataclasses import inspect (and with it ast, dis, opcode), traceback
    # imports linecache (and tokenize), and this path calls none of it: cli/deferred.py
    # loads each on first use only.
    doc = _probe()
    assert doc["deferred"][:2] == ["inspect", "linecache"]
    assert not {"ast", "dis", "opcode", "tokenize", "token"} & set(doc["loaded"])


def test_the_path_leaves_asyncios_logging_subprocess_and_executors_unloaded() -> None:
    # asyncio imports logging, subprocess and concurrent.futures for its log, its
    # subprocesses and its executors; hashlib would load OpenSSL's digest table:
    # cli/deferred.py's stand-ins for a cold diagnose load none of them.
    doc = _probe()
    assert doc["deferred"][2:5] == ["subprocess", "concurrent.futures", "logging"]
    assert doc["deferred"][-1] == "hashlib"
    assert not {"_hashlib", "_blake2", "_posixsubprocess", "concurrent.futures._base"} & set(
        doc["loaded"]
    )


def test_the_path_leaves_typing_traceback_signal_and_asyncios_unused_modules_unloaded() -> None:
    # The project's modules import typing for mypy only (TYPE_CHECKING), asyncio's
    # timeouts get its three names from the stand-in, asyncio.run's SIGINT handler is
    # set through _signal, and the asyncio modules for TLS transports, happy eyeballs,
    # transport sockets, locks, queues, streams, subprocesses, task groups and threads
    # are deferred (cli/deferred.py).
    doc = _probe()
    assert doc["deferred"][5:8] == ["traceback", "typing", "signal"]
    assert doc["asyncio_deferred"] == [
        *("asyncio.sslproto", "asyncio.staggered", "asyncio.trsock", "asyncio.locks"),
        *("asyncio.queues", "asyncio.streams", "asyncio.subprocess", "asyncio.taskgroups"),
        "asyncio.threads",
    ]
    assert not {"textwrap", "_typing", "smtpdoctor.net.seam", "asyncio.mixins"} & set(doc["loaded"])


KNOWN = """\
import json, sys
from smtpdoctor.cli import deferred
deferred.defer_for_diagnose()
known = {name: {k: v for k, v in values.items() if isinstance(v, (int, str))}
         for name, values in deferred._KNOWN.items()}
stand_in = sys.modules["datetime"]
for name in deferred.DIAGNOSE_DEFERRED:
    del sys.modules[name]
del sys.modules["datetime"]
import concurrent.futures, datetime, hashlib, logging, subprocess, traceback, typing
real = {name: {k: getattr(sys.modules[name], k) for k in values} for name, values in known.items()}
same_datetime = all(getattr(stand_in, k) is getattr(datetime, k) for k in datetime.__all__)
digests = [hashlib.new(n, b"x").hexdigest() for n in ("sha1", "sha256", "sha384", "sha512")]
built_in = deferred._KNOWN["hashlib"]
mine = [built_in["new"](n, b"x").hexdigest() for n in ("sha1", "sha256", "sha384", "sha512")]
shake = (hashlib.shake_256(b"x").hexdigest(9), built_in["shake_256"](b"x").hexdigest(9))
print(json.dumps({"known": known, "real": real, "datetime": same_datetime,
                  "digests": [digests, mine], "shake": shake}))
"""


def test_the_stand_ins_answer_what_the_real_modules_would() -> None:
    proc = subprocess.run([sys.executable, "-c", KNOWN], capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)
    assert doc["known"] == doc["real"]
    assert doc["known"]["subprocess"]
    assert doc["known"]["logging"]
    assert doc["datetime"] is True
    assert doc["digests"][0] == doc["digests"][1]
    assert doc["shake"][0] == doc["shake"][1]


def test_the_path_leaves_copy_array_the_fix_tables_and_nagios_unloaded() -> None:
    # dataclasses and evidence/certificate.py import copy, socket imports array, for
    # functions a diagnosis seldom calls; the recipes of knowledge/fixes*.py load with
    # the first finding that takes its category's recipes, --format nagios's module
    # when it is asked for, SHA-1 and SHA-384/512 at their first use (session 16).
    doc = _probe()
    assert doc["deferred"][8:10] == ["copy", "array"]
    unloaded = {"_sha1", "_sha512", "smtpdoctor.cli.nagios", "smtpdoctor.knowledge.fixes"}
    assert not unloaded & set(doc["loaded"])


LATER = """\
import json, sys
from smtpdoctor.cli import deferred
deferred.defer_for_diagnose()
import hashlib
before = [m for m in ("_sha1", "_sha512") if m in sys.modules]
import _sha1, _sha512
same = [hashlib.sha1 is _sha1.sha1, hashlib.sha384 is _sha512.sha384,
        hashlib.sha512 is _sha512.sha512]
made = [hashlib.new(n, b"x").hexdigest() for n in ("sha1", "sha384", "sha512")]
print(json.dumps({"before": before, "same": same, "made": made,
                  "deferred": deferred.is_deferred(sys.modules["hashlib"])}))
"""


def test_the_digest_stand_in_loads_sha1_and_sha512_at_their_first_use() -> None:
    proc = subprocess.run([sys.executable, "-c", LATER], capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)
    assert doc["before"] == []
    assert doc["same"] == [True, True, True]
    assert doc["deferred"] is True
    import hashlib

    assert doc["made"] == [hashlib.new(n, b"x").hexdigest() for n in ("sha1", "sha384", "sha512")]
