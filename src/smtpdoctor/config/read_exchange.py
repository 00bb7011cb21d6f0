"""Exchange connector exports: ``Get-SendConnector`` / ``Get-ReceiveConnector | Format-List``. Pure.

``Name : value`` blocks (several per file), ``{a, b}`` lists, values wrapped
onto indented lines (UTF-16 LE with BOM, as Windows PowerShell's ``>`` and
``Out-File`` write, is decoded before); plus ``Get-ADPermission`` output
(list or table) for relay rights. :func:`fl_blocks` is the ``Format-List``
reader the other Windows exports share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from smtpdoctor.config.parsers import (
    FL_LINE,
    RECEIVE_KEYS,
    SEND_KEYS,
    Anonymous,
    ConfigDump,
    Kind,
    Section,
    Setting,
    cap,
    register,
)

__all__ = ["fl_blocks", "parse_exchange"]


_ANON_RIGHT = re.compile(r"ANONYMOUS\s+LOGON.*Accept-Any-Recipient", re.I)
_GET_ADPERM = re.compile(r"Get-ADPermission\s+(?:-Identity\s+)?(?:\"([^\"]+)\"|'([^']+)')", re.I)
_PERM_KEYS = frozenset({"user", "extendedrights", "accessrights", "isinherited", "deny"})


def fl_blocks(text: str) -> Iterator[list[tuple[int, str, str, str]]]:
    """Format-List records: blocks of ``Key : value`` lines (value wrapped onto
    indented lines), separated by blank lines or by a key seen twice."""
    block: list[tuple[int, str, str, str]] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip():
            if block:
                yield block
                block, seen = [], set()
            continue
        if line[0] in " \t":
            if block:  # continuation of a wrapped value
                n, key, value, whole = block[-1]
                block[-1] = (n, key, value + line.strip(), whole + " " + line.strip())
            continue
        m = FL_LINE.match(line)
        if m is None or (" :" not in line and ": " not in line and not line.endswith(":")):
            continue
        key = m.group(1)
        if key.lower() in seen:
            yield block
            block, seen = [], set()
        seen.add(key.lower())
        block.append((number, key, m.group(2).strip(), line))
    if block:
        yield block


def parse_exchange(text: str, kind: Kind) -> ConfigDump:
    default_kind = "send" if kind is Kind.EXCHANGE_SEND else "receive"
    dump = ConfigDump(kind, [])
    for block in fl_blocks(text):
        keys = {k.lower() for _, k, _, _ in block}
        if keys & _PERM_KEYS and "user" in keys and not keys & (SEND_KEYS | RECEIVE_KEYS):
            _permission_block(block, dump)
            continue
        send, receive = len(keys & SEND_KEYS), len(keys & RECEIVE_KEYS)
        if send or receive:
            role = "send" if send > receive else "receive"
        elif len(block) >= 2 and keys & {"identity", "name", "fqdn", "enabled"}:
            role = default_kind
        else:
            continue
        name = next((v for _, k, v, _ in block if k.lower() == "identity" and v), None) or next(
            (v for _, k, v, _ in block if k.lower() == "name" and v),
            f"connector {len(dump.sections) + 1}",
        )
        section = Section(cap(name)[:200], role)
        for number, key, value, whole in block:
            setting = Setting(key, value, number, whole)
            section.add(setting)
            if value.startswith("{") and (value.endswith("...}") or value.endswith("…}")):
                dump.truncated_lists.append(setting)
        dump.sections.append(section)
    # Get-ADPermission as a table: "NT AUTHORITY\ANONYMOUS LOGON {ms-Exch-SMTP-Accept-Any-...}"
    # The connector is a column of the table, or else the argument of the
    # Get-ADPermission command echoed above it in a console copy.
    asked: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        cmd = _GET_ADPERM.search(raw)
        if cmd:
            asked = cmd.group(1) or cmd.group(2)
            continue
        if _ANON_RIGHT.search(raw) and not FL_LINE.match(raw):
            ident = raw.split("NT AUTHORITY", 1)[0].strip() or asked
            dump.relay_rights.append(Anonymous(number, raw.strip(), ident))
    return dump


def _permission_block(block: list[tuple[int, str, str, str]], dump: ConfigDump) -> None:
    fields = {k.lower(): (n, v, w) for n, k, v, w in block}
    user = fields.get("user", (0, "", ""))[1]
    rights = fields.get("extendedrights", (0, "", ""))[1]
    deny = fields.get("deny", (0, "False", ""))[1]
    if "anonymous logon" in user.lower() and "accept-any-recipient" in rights.lower():
        if deny.lower() == "true":
            return
        number = fields["extendedrights"][0]
        ident = fields.get("identity", (0, "", ""))[1] or None
        dump.relay_rights.append(Anonymous(number, f"{user}: {rights}", ident))


register((Kind.EXCHANGE_SEND, Kind.EXCHANGE_RECEIVE), parse_exchange)
