"""Exim: ``exim -bP`` output (transports appended) or a ``configure`` file. Pure.

``name = value``, bare ``name`` / ``no_name`` booleans, ``hostlist NAME =
...`` from ``exim -bP +NAME``, the options of ``exim -bP transport NAME``
appended after the main ones, or a plain configure file (main section and
``begin transports``; includes and macros are applied first by
:func:`smtpdoctor.config.local.preprocess_exim`).
"""

from __future__ import annotations

import re

from smtpdoctor.config.parsers import (
    EXIM_BARE,
    EXIM_LIST,
    KV_LINE,
    ConfigDump,
    Kind,
    Section,
    Setting,
    register,
)

__all__ = ["parse_exim"]


# The first option "exim -bP transport NAME" prints (generic options, sorted).
_EXIM_TRANSPORT_FIRST = "body_only"  # printed as "no_body_only" or "body_only"
_EXIM_DRIVER = re.compile(r"^driver\s*=\s*(\S+)")
_EXIM_TRANSPORT_HEAD = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*:\s*$")
_EXIM_COMMENT_TRANSPORT = re.compile(r"^#.*\btransport\s+([A-Za-z0-9_.-]+)", re.I)


def parse_exim(text: str) -> list[Section]:
    reader = _EximReader()
    for number, raw in enumerate(text.splitlines(), 1):
        reader.feed(number, raw)
    return reader.finish()


class _EximReader:
    """``exim -bP`` output (transports appended) or a ``configure`` file, line by line."""

    def __init__(self) -> None:
        self.main = Section("main")
        self.sections = [self.main]
        self.current = self.main
        self.in_begin: str | None = None  # a configure file's "begin X" section
        self.pending: list[Setting] = []  # lines since the last "body_only" (may be a transport's)

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        hdr = _EXIM_COMMENT_TRANSPORT.match(line)
        if hdr and self.in_begin is None:
            self._open(hdr.group(1))
            self.pending = []
            return
        if line.startswith("#"):
            return
        if line.startswith("begin "):
            self.in_begin = line.split(None, 1)[1].strip().lower()
            self.current = self.main if self.in_begin != "transports" else self.current
            return
        if self.in_begin is not None and not self._transport_option(raw):
            return
        setting = _exim_setting(number, line)
        if setting is None:
            return
        if self.in_begin is None and self._held(setting):
            return
        self.current.add(setting)

    def finish(self) -> list[Section]:
        self._flush()
        return self.sections

    def _open(self, name: str) -> None:
        self.current = Section(name, "transport")
        self.sections.append(self.current)

    def _transport_option(self, raw: str) -> bool:
        """In a configure file: whether ``raw`` is a transport's option (a header opens one)."""
        if self.in_begin != "transports":
            return False
        head = _EXIM_TRANSPORT_HEAD.match(raw)
        if head and not raw[:1].isspace():
            self._open(head.group(1))
            return False
        return self.current is not self.main

    def _held(self, setting: Setting) -> bool:
        """Whether ``setting`` waits for the driver that names its transport.

        "exim -bP" then "exim -bP transport remote_smtp" in one file: the
        transport block starts at its first generic option and names its
        driver a few lines later.
        """
        if setting.name == _EXIM_TRANSPORT_FIRST:
            self.pending = [setting]
            return True
        if not self.pending:
            return False
        self.pending.append(setting)
        if setting.name == "driver":
            self._open(f"{setting.value}-driver")
            self._flush()
        elif len(self.pending) > 12:  # not a transport after all
            self._flush()
        return True

    def _flush(self) -> None:
        for s in self.pending:
            self.current.add(s)
        self.pending = []


def _exim_setting(number: int, line: str) -> Setting | None:
    lst = EXIM_LIST.match(line)
    if lst:
        return Setting(f"{lst.group(1)} {lst.group(2)}", lst.group(3).strip(), number, line)
    m = KV_LINE.match(line)
    if m:
        name = m.group(1)
        if name[:1].isupper():  # a configure file's macro definition
            return None
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        return Setting(name, value, number, line)
    if EXIM_BARE.match(line):
        if line.startswith("no_"):
            return Setting(line[3:], "false", number, line)
        return Setting(line, "true", number, line)
    return None


register((Kind.EXIM,), lambda text, kind: ConfigDump(kind, parse_exim(text)))
