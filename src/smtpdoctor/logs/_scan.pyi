from typing import Any, overload

from smtpdoctor.logs.native import Found, FoundAny, RareLine

@overload
def status_lines(block: bytes, /) -> Found: ...
@overload
def status_lines(block: bytes, records: bool, /) -> FoundAny: ...
def state_memo() -> object: ...

SENT_RECORD: int

def line_counts(block: bytes, prefix: bytes, /) -> tuple[int, int]: ...
def rare_lines(block: bytes, starts: list[int], /) -> list[RareLine]: ...
def keep_blocks() -> None: ...
def read_block(fh: Any, carry: bytes, want: int, /) -> tuple[int, bytes | None, bytes]: ...
def apply_failures(
    context: tuple[object, ...],
    block: bytes,
    records: bytes,
    seconds: list[tuple[float | None, bool]],
    rare: list[int],
    kinds: list[RareLine],
    /,
) -> int: ...
def apply_rare(
    context: tuple[object, ...], block: bytes, rare: list[int], kinds: list[RareLine], ri: int, /
) -> None: ...
def apply_sent(context: tuple[object, ...], block: bytes, sent: bytes, /) -> None: ...
def rare_starts(block: bytes, /) -> list[int]: ...
def route_rows(
    counts: dict[tuple[object, ...], int],
    infos: dict[int, object],
    slots: dict[object, int],
    destinations: object,
    relays: object,
    tls_out: object,
    cat_index: dict[object, int],
    columns: tuple[int, int, int, int],
    /,
) -> dict[Any, int]: ...
def prune_rows(
    rows: dict[str, list[int]], cap: int, width: int, other_key: str, /
) -> tuple[dict[str, list[int]], int] | None: ...
def inbound_add(
    agg: object,
    parts: tuple[object, ...],
    client: str | None,
    cause: object,
    stage: object,
    text: str,
    /,
) -> None: ...
def merge_rows(table: object, other_rows: dict[str, list[int]], limit: int, /) -> None: ...
