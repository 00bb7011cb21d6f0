"""sidefile: a start-up cache reads back what was written, its repeats shared."""

from __future__ import annotations

from pathlib import Path

from smtpdoctor import sidefile


def test_a_file_reads_back_equal_with_its_repeated_strings_and_ints_one_object(
    tmp_path: Path,
) -> None:
    # Strings and ints made apart, as a store's entries are (equal, not the same objects).
    words = ["".join(["user ", "unknown"]) for _ in range(3)]
    bits = [int("1" + "0" * 200, 2) for _ in range(3)]
    parts = (
        {words[0]: (frozenset({words[1], "mailbox"}), (bits[0], bits[1]))},
        [words[2], bits[2], True, 1, None, 1.5, b"\x00\x01", {words[0]}, (1, True)],
    )
    path = str(tmp_path / "store.marshal")
    assert sidefile.write(path, ("stamp", 1), *parts)
    read = sidefile.read(path, ("stamp", 1))
    assert read == parts
    assert read is not None
    held, listed = read
    key = next(iter(held))
    gate, (first, second) = held[key]
    # (marshal writes an object met again as a reference to the first)
    assert listed[0] is key
    assert next(w for w in gate if w != "mailbox") is key
    assert first is second is listed[1]
    # True stays a bool beside the int 1, and 1 an int.
    assert type(listed[2]) is bool
    assert type(listed[3]) is int
    assert listed[8] == (1, True)
    assert type(listed[8][1]) is bool
    assert sidefile.read(path, ("stamp", 2)) is None
