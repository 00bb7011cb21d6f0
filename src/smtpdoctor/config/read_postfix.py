"""Postfix as it runs: ``main.cf`` plus ``master.cf``. Pure: text in, sections out.

A Postfix service (a ``master.cf`` line) runs with ``main.cf``'s settings
overridden by its own ``-o name=value`` options: the submission port, a
relay transport or a second ``smtpd`` often set their own
``smtpd_tls_protocols`` or timeouts there, out of sight of ``postconf -n``.
This reader accepts, alone or concatenated in one file:

* ``main.cf`` or ``postconf -n`` (``name = value``);
* ``master.cf`` or ``postconf -M`` (``service type private unpriv chroot
  wakeup maxproc command args``, continuation lines starting with white
  space, ``-o name=value`` and Postfix 3's ``-o { name = value }``);
* ``postconf -P`` (``service/type/name = value``: every ``-o`` override).

Each service becomes a :class:`Section` of kind ``service`` named
``service/type`` (``postconf -P``'s spelling), with its command when known
and its overrides as settings that remember their file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from smtpdoctor.config.parsers import (
    MASTER_LINE,
    PARAM_LINE,
    ConfigDump,
    Kind,
    Section,
    Setting,
    register,
)

__all__ = ["parse_postfix", "parse_postfix_files"]

_KV = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$")
_OPT_BRACED = re.compile(r"-o\s*\{\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*\}")
_OPT_PLAIN = re.compile(r"-o\s*([A-Za-z0-9_]+)=(\S*)")


def _entries(text: str) -> Iterator[list[tuple[int, str]]]:
    """Logical entries as their physical lines: a line that starts with white
    space continues the entry before it; comments and blank lines are skipped
    without ending it (Postfix's rule for both files)."""
    entry: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw[0] in " \t" and entry:
            entry.append((number, raw.rstrip()))
            continue
        if entry:
            yield entry
        entry = [(number, raw.rstrip())]
    if entry:
        yield entry


class _Reader:
    def __init__(self) -> None:
        self.main = Section("main.cf")
        self.services: dict[str, Section] = {}

    def service(self, name: str, file: str, line: int = 0) -> Section:
        found = self.services.get(name)
        if found is None:
            found = Section(name, "service", line=line, file=file)
            self.services[name] = found
        return found

    def feed(self, text: str, file: str = "") -> None:
        for entry in _entries(text):
            first_line, first = entry[0]
            joined = " ".join(part.strip() for _, part in entry)
            if first.startswith("postconf:"):  # "postconf: warning: ..." captured with 2>&1
                continue
            param = PARAM_LINE.match(joined)
            if param:
                name = f"{param.group(1)}/{param.group(2)}"
                svc = self.service(name, file)
                svc.add(
                    Setting(
                        param.group(3),
                        param.group(4).strip(),
                        first_line,
                        joined,
                        file=file,
                        service=name,
                    )
                )
                continue
            master = MASTER_LINE.match(joined)
            if master:
                self._master(master, entry, file)
                continue
            kv = _KV.match(joined)
            if kv:
                self.main.add(Setting(kv.group(1), kv.group(2).strip(), first_line, joined, file))

    def _master(self, m: re.Match[str], entry: list[tuple[int, str]], file: str) -> None:
        name = f"{m.group(1)}/{m.group(2)}"
        svc = self.service(name, file, entry[0][0])
        svc.command = m.group(8).rsplit("/", 1)[-1]
        svc.line = entry[0][0]
        svc.file = file
        # The -o options with the physical line each is on.
        for number, raw in entry:
            part = raw.strip()
            if number == entry[0][0]:
                fields = part.split(None, 8)
                part = fields[8] if len(fields) > 8 else ""
            for rx in (_OPT_BRACED, _OPT_PLAIN):
                for opt in rx.finditer(part):
                    svc.add(
                        Setting(
                            opt.group(1),
                            opt.group(2).strip(),
                            number,
                            opt.group(0),
                            file=file,
                            service=name,
                        )
                    )
                part = rx.sub(" ", part)

    def dump(self) -> ConfigDump:
        return ConfigDump(Kind.POSTFIX, [self.main, *self.services.values()])


def parse_postfix(text: str, file: str = "") -> ConfigDump:
    """``main.cf`` / ``postconf -n``, ``master.cf`` / ``postconf -M`` and
    ``postconf -P`` in any mix: the main section, then one per service."""
    reader = _Reader()
    reader.feed(text, file)
    return reader.dump()


def parse_postfix_files(parts: list[tuple[str, str]]) -> ConfigDump:
    """Several files of one instance, as ``(file name, text)``: ``main.cf``,
    ``master.cf``, or the outputs of ``postconf -n``, ``-M``, ``-P``."""
    reader = _Reader()
    for file, text in parts:
        reader.feed(text, file)
    return reader.dump()


register((Kind.POSTFIX,), lambda text, _kind: parse_postfix(text))
