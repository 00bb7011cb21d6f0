"""cli/deferred.py: a deferred module is the real one on first use, whoever uses it.

Each case runs in a fresh interpreter, as the command line's entries do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _run(code: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return doc


def test_import_binds_the_stand_in_and_the_first_use_loads_the_real_module() -> None:
    doc = _run(
        """\
import json, sys
from smtpdoctor.cli.deferred import defer, is_deferred
defer(("colorsys",))
import colorsys
bound = is_deferred(colorsys) and type(sys.modules["colorsys"]).__name__ == "_Deferred"
again = __import__("colorsys") is colorsys  # a second import loads nothing either
still = is_deferred(colorsys)
value = colorsys.rgb_to_hsv(0.2, 0.4, 0.4)
real = sys.modules["colorsys"]
print(json.dumps({
    "bound": bound, "again": again, "still": still, "value": value,
    "loaded": not is_deferred(colorsys), "real": type(real).__name__,
    "same_function": colorsys.rgb_to_hsv is real.rgb_to_hsv,
    "name": colorsys.__name__, "file": colorsys.__file__ == real.__file__,
    "spec": colorsys.__spec__ is real.__spec__,
}))
"""
    )
    assert doc == {
        "bound": True,
        "again": True,
        "still": True,
        "value": [0.5, 0.5, 0.4],
        "loaded": True,
        "real": "module",
        "same_function": True,
        "name": "colorsys",
        "file": True,
        "spec": True,
    }


def test_from_import_setattr_and_isinstance_behave_as_on_the_real_module() -> None:
    doc = _run(
        """\
import json, sys, types
from smtpdoctor.cli.deferred import defer, is_deferred
defer(("colorsys", "fractions"))
import colorsys, fractions
# isinstance over a module's globals loads nothing (a module it is).
is_module = isinstance(fractions, types.ModuleType) and is_deferred(fractions)
from fractions import Fraction  # a name taken from it loads it
loaded = not is_deferred(fractions) and Fraction is sys.modules["fractions"].Fraction
colorsys.ONE_THIRD = 0.5  # a setattr lands on the real module
patched = sys.modules["colorsys"].ONE_THIRD
del colorsys.ONE_THIRD
gone = not hasattr(sys.modules["colorsys"], "ONE_THIRD")
print(json.dumps({"is_module": is_module, "loaded": loaded, "patched": patched, "gone": gone,
                  "fraction": str(Fraction(3, 6))}))
"""
    )
    assert doc == {
        "is_module": True,
        "loaded": True,
        "patched": 0.5,
        "gone": True,
        "fraction": "1/2",
    }


def test_threads_using_it_at_once_all_get_the_one_real_module() -> None:
    doc = _run(
        """\
import json, sys, threading
from smtpdoctor.cli.deferred import defer
defer(("inspect",))
import inspect
start = threading.Barrier(8)
seen = []
def use():
    start.wait()
    seen.append((id(inspect.signature), str(inspect.signature(lambda a, b=1: None))))
threads = [threading.Thread(target=use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"kinds": len(set(seen)), "text": seen[0][1], "count": len(seen),
                  "real": sys.modules["inspect"].signature is inspect.signature}))
"""
    )
    assert doc == {"kinds": 1, "text": "(a, b=1)", "count": 8, "real": True}


@pytest.mark.parametrize("name", ["sys", "json"])
def test_a_module_already_imported_is_left_as_it_is(name: str) -> None:
    doc = _run(
        f"""\
import json, sys
before = sys.modules[{name!r}]
from smtpdoctor.cli.deferred import defer, is_deferred
defer(({name!r},))
print(json.dumps({{"same": sys.modules[{name!r}] is before,
                  "deferred": is_deferred(sys.modules[{name!r}])}}))
"""
    )
    assert doc == {"same": True, "deferred": False}


def test_load_deferred_imports_what_is_still_deferred() -> None:
    doc = _run(
        """\
import json, sys
from smtpdoctor.cli.deferred import defer, is_deferred, load_deferred
defer()
import inspect, linecache
before = [is_deferred(inspect), is_deferred(linecache)]
load_deferred()
print(json.dumps({"before": before, "after": [is_deferred(inspect), is_deferred(linecache)],
                  "real": type(sys.modules["inspect"]).__name__}))
"""
    )
    assert doc == {"before": [True, True], "after": [False, False], "real": "module"}


_GETTEXT = """\
import json, os, sys
if {stand_in}:
    from smtpdoctor.cli.deferred import defer_for_diagnose, is_deferred
    defer_for_diagnose()
import argparse, gettext
words = [argparse._("usage: "), argparse.ngettext("one %s", "many %s", 1),
         argparse.ngettext("one %s", "many %s", 2), gettext.gettext("options")]
loaded = "locale" in sys.modules
parser = argparse.ArgumentParser(prog="x")
print(json.dumps({{"words": words, "help": parser.format_help(), "locale": loaded}}))
"""


@pytest.mark.parametrize(
    "env",
    [{}, {"LANGUAGE": "de:fr_FR"}, {"LC_ALL": "pt_BR.UTF-8"}, {"LANG": "/tmp/nowhere"}],
)
def test_argparse_words_are_the_real_gettext_answers(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gettext stand-in answers as gettext does (no catalogue under the default
    directory here), without importing locale while no language names a path."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    real = _run(_GETTEXT.format(stand_in=False))
    stood = _run(_GETTEXT.format(stand_in=True))
    assert stood["words"] == real["words"]
    assert stood["help"] == real["help"]
    assert real["words"] == ["usage: ", "one %s", "many %s", "options"]  # (no catalogue here)
    assert stood["locale"] is ("/" in env.get("LANG", ""))


def test_the_gettext_stand_in_defers_to_the_real_module_once_loaded() -> None:
    doc = _run(
        """\
import json, os, sys, tempfile
from smtpdoctor.cli.deferred import defer_for_diagnose, is_deferred
defer_for_diagnose()
import argparse
bound = is_deferred(sys.modules["gettext"])
import gettext
calls = []
class Catalogue(gettext.NullTranslations):  # loads the real module
    def gettext(self, message):
        return message.upper()
gettext._translations.clear()
gettext.translation = lambda *a, **k: Catalogue()
print(json.dumps({"bound": bound, "loaded": not is_deferred(sys.modules["gettext"]),
                  "word": argparse._("usage: ")}))
"""
    )
    assert doc == {"bound": True, "loaded": True, "word": "USAGE: "}


def test_typings_and_tracebacks_stand_ins_answer_as_the_real_names() -> None:
    # What asyncio reads of them as it loads (cli/deferred.py, a cold diagnose): timeouts'
    # final, Optional and Type, _asyncio's traceback.extract_stack; each is the real one's
    # answer once typing and traceback load.
    doc = _run(
        """\
import json, sys
from smtpdoctor.cli.deferred import defer_for_diagnose, is_deferred
defer_for_diagnose()
import asyncio
import asyncio.timeouts as timeouts
before = [is_deferred(sys.modules["typing"]), is_deferred(sys.modules["traceback"])]
async def main():
    async with asyncio.timeout(5) as cm:
        await asyncio.sleep(0)
    return cm.expired()
expired = asyncio.run(main())
still = [is_deferred(sys.modules["typing"]), is_deferred(sys.modules["traceback"])]
from smtpdoctor.cli import deferred
stack = deferred._KNOWN["traceback"]["extract_stack"]()
import typing
from types import TracebackType
hints = typing.get_type_hints(timeouts.Timeout.__aexit__)
real = {"exc_type": typing.Optional[typing.Type[BaseException]],
        "exc_val": typing.Optional[BaseException],
        "exc_tb": typing.Optional[TracebackType], "return": typing.Optional[bool]}
init = timeouts.Timeout.__init__.__annotations__["when"]
print(json.dumps({
    "before": before, "still": still, "expired": expired,
    "stack": type(stack).__name__, "frames": len(stack) > 0,
    "hints": hints == real, "hash": hash(init) == hash(typing.Optional[float]),
    "repr": repr(init), "or": (init | None) == typing.Optional[float],
    "final": timeouts.Timeout.__final__,
}))
"""
    )
    assert doc == {
        "before": [True, True],
        "still": [True, True],
        "expired": False,
        "stack": "StackSummary",
        "frames": True,
        "hints": True,
        "hash": True,
        "repr": "typing.Optional[float]",
        "or": True,
        "final": True,
    }


def test_a_cold_logs_path_leaves_typing_unloaded_and_its_names_load_it() -> None:
    # cli/deferred.py's defer_for_logs: the logs path (the reader, the report, the
    # classifier a reason not in the answer store needs) imports typing for mypy only;
    # any other name of it, or a generic class subscripted, is the real one's.
    doc = _run(
        """\
import json, sys
from smtpdoctor.cli.deferred import defer_for_logs, is_deferred
defer_for_logs()
import smtpdoctor.cli.main, smtpdoctor.cli.logs, smtpdoctor.logs.engine
import smtpdoctor.logs.report, smtpdoctor.diagnosis.classifier
import smtpdoctor.diagnosis.prefilter, smtpdoctor.knowledge.wording
from smtpdoctor.diagnosis.classifier import classify
from smtpdoctor.logs.ahead import Ahead, Blocks
category = classify("421 4.7.0 Try again later, closing connection.").category.value
blocks = Blocks(iter([b"a", b"b"]))
read = [block for block, _ in blocks]
before = is_deferred(sys.modules["typing"])
from typing import TYPE_CHECKING
still = is_deferred(sys.modules["typing"])
from typing import Any
import typing
print(json.dumps({
    "before": before, "still": still, "checking": TYPE_CHECKING, "category": category,
    "read": [b.decode() for b in read], "alias": Blocks[int] is Blocks,
    "loaded": not is_deferred(sys.modules["typing"]), "any": Any is typing.Any,
}))
"""
    )
    assert doc == {
        "before": True,
        "still": True,
        "checking": False,
        "category": "service_unavailable",
        "read": ["a", "b"],
        "alias": True,
        "loaded": True,
        "any": True,
    }


def test_a_cold_explain_reads_a_bounce_folder_without_what_email_utils_imports() -> None:
    # cli/deferred.py's defer_for_explain: email.utils (the mail tree's) imports socket,
    # random, urllib.parse and calendar for functions a folder's reading does not call;
    # their first use loads them (a Message-ID, RFC 2231 quoting, a date's timestamp).
    doc = _run(
        """\
import io, json, sys
from contextlib import redirect_stdout
from smtpdoctor.cli.deferred import EXPLAIN_DEFERRED, defer_for_explain, is_deferred
defer_for_explain()
from smtpdoctor.cli.main import main
with redirect_stdout(io.StringIO()) as out:
    main(["explain", "--format", "json", "--jobs", "1", "--file", FOLDER])
read = len(json.loads(out.getvalue())["explanations"])
still = [is_deferred(sys.modules[name]) for name in EXPLAIN_DEFERRED]
import email.utils, urllib.parse
msgid = email.utils.make_msgid(domain="example.org")  # (its random part)
hostname = callable(email.utils.socket.gethostname)  # (not called: no name looked up)
quoted = email.utils.encode_rfc2231("caf\u00e9", "utf-8")
when = email.utils.mktime_tz(email.utils.parsedate_tz("Mon, 7 Dec 2026 07:00:00 +0000"))
print(json.dumps({
    "read": read > 0, "still": still, "msgid": msgid.endswith("@example.org>"),
    "hostname": hostname,
    "quoted": quoted, "when": when, "parse": urllib.parse.unquote("%41"),
    "loaded": [is_deferred(sys.modules[name]) for name in EXPLAIN_DEFERRED],
}))
""".replace("FOLDER", repr(str(Path(__file__).parent.parent / "data" / "bounces" / "cpython")))
    )
    assert doc == {
        "read": True,
        "still": [True, True, True, True],
        "msgid": True,
        "hostname": True,
        "quoted": "utf-8''caf%C3%A9",
        "when": 1796626800,
        "parse": "A",
        "loaded": [False, False, False, False],
    }


def test_asyncios_deferred_modules_load_on_first_use() -> None:
    doc = _run(
        """\
import json, sys
from smtpdoctor.cli.deferred import ASYNCIO_DEFERRED, defer_for_diagnose, is_deferred
defer_for_diagnose()
import asyncio, asyncio.base_events as base_events, asyncio.selector_events as selector_events
before = [is_deferred(sys.modules[name]) for name in ASYNCIO_DEFERRED]
race = base_events.staggered.staggered_race
proto = selector_events.sslproto.SSLProtocol
import asyncio.staggered, asyncio.sslproto
print(json.dumps({
    "before": before, "after": [is_deferred(sys.modules[name]) for name in ASYNCIO_DEFERRED],
    "same": [race is asyncio.staggered.staggered_race, proto is asyncio.sslproto.SSLProtocol],
}))
"""
    )
    assert doc == {
        "before": [True, True, True],
        "after": [False, False, True],
        "same": [True, True],
    }


def test_fastdataclass_is_marked_as_typing_would_mark_it() -> None:
    doc = _run(
        """\
import json, dataclasses, typing
from smtpdoctor import fastdataclass
probe = typing.dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))(
    lambda: None)
print(json.dumps({"same": fastdataclass.dataclass.__dataclass_transform__
                  == probe.__dataclass_transform__}))
"""
    )
    assert doc == {"same": True}


_SIGINT = """\
import json, os, sys
if {stand_in}:
    from smtpdoctor.cli.deferred import defer_for_diagnose, is_deferred
    defer_for_diagnose()
import asyncio, _signal
cancelled = []
async def main():
    asyncio.get_running_loop().call_later(0.01, os.kill, os.getpid(), _signal.SIGINT)
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        cancelled.append(True)
        raise
try:
    asyncio.run(main())
    ended = "returned"
except KeyboardInterrupt:
    ended = "KeyboardInterrupt"
loaded = type(sys.modules["signal"]).__name__ == "module"
print(json.dumps({{"ended": ended, "cancelled": cancelled, "loaded": loaded,
                  "back": _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler}}))
"""


def test_ctrl_c_in_asyncio_run_is_handled_as_with_the_real_signal_module() -> None:
    # asyncio.run's Runner sets its own SIGINT handler (the first Ctrl-C cancels the main
    # task, which then ends in KeyboardInterrupt) and puts Python's back after: the same
    # with the signal stand-in of a cold diagnose, which builds none of signal's enums.
    real = _run(_SIGINT.format(stand_in=False))
    stand_in = _run(_SIGINT.format(stand_in=True))
    assert real == {"ended": "KeyboardInterrupt", "cancelled": [True], "loaded": True, "back": True}
    assert stand_in == {**real, "loaded": False}


_ASYNCIO = """\
import json, sys
if {stand_in}:
    from smtpdoctor.cli.deferred import ASYNCIO_UNUSED, defer_for_diagnose, is_deferred
    defer_for_diagnose()
import asyncio
deferred = sorted(m for m in sys.modules
                  if m.startswith("asyncio.") and type(sys.modules[m]).__name__ == "_Deferred")
every = list(asyncio.__all__)
where = {{name: getattr(asyncio, name).__module__ for name in every
          if hasattr(getattr(asyncio, name), "__module__")}}
from asyncio import Lock, TaskGroup, open_connection
tables = {{}}
if {stand_in}:
    tables = {{sub: [list(names), list(getattr(asyncio, sub).__all__)]
              for sub, names in ASYNCIO_UNUSED.items()}}
print(json.dumps({{"deferred": deferred, "all": every, "where": where,
                  "loader": type(asyncio.__loader__).__name__,
                  "spec": type(asyncio.__spec__.loader).__name__,
                  "lock": Lock.__module__, "group": TaskGroup.__module__,
                  "open": open_connection.__module__, "tables": tables}}))
"""


def test_asyncios_unused_modules_load_at_their_first_name_and_its_all_is_whole() -> None:
    # For a cold diagnose asyncio's __init__ runs with stand-ins for its locks, queues,
    # streams, subprocess, taskgroups and threads (cli/deferred.py): the package's
    # __all__, loader and every name are what a plain import gives, each module loaded
    # when one of its names is first asked for.
    real = _run(_ASYNCIO.format(stand_in=False))
    stand_in = _run(_ASYNCIO.format(stand_in=True))
    assert stand_in["deferred"] == [
        *("asyncio.locks", "asyncio.queues", "asyncio.sslproto", "asyncio.staggered"),
        *("asyncio.streams", "asyncio.subprocess", "asyncio.taskgroups", "asyncio.threads"),
        "asyncio.trsock",
    ]
    assert real["deferred"] == []
    tables = stand_in.pop("tables")
    assert isinstance(tables, dict)
    assert len(tables) == 6
    assert all(mine == theirs for mine, theirs in tables.values())
    del real["tables"]
    assert {**stand_in, "deferred": []} == real
