"""BoundedTable.top on large tables (only the rows that can be among the first n
are sorted) gives what sorting every row gives."""

from __future__ import annotations

import random

import pytest

from smtpdoctor.logs.aggregate import OTHER_KEY, BoundedTable


def _sorted_top(table: BoundedTable, n: int, slot: int) -> list[tuple[str, list[int]]]:
    items = [(k, v) for k, v in table.rows.items() if any(v)]
    items.sort(key=lambda kv: (kv[0] == OTHER_KEY, -kv[1][slot], -kv[1][0], kv[0]))
    return items[:n]


@pytest.mark.parametrize("seed", range(40))
def test_top_of_a_large_table_is_the_first_rows_of_the_whole_sort(seed: int) -> None:
    rng = random.Random(seed)
    table = BoundedTable(cap=100_000, width=4)
    spread = rng.choice([1, 2, 3, 10, 1000])  # (few values: many ties)
    for i in range(rng.randrange(1, 3000)):
        row = table.row(f"k{rng.randrange(10**6)}-{i}")
        if rng.random() < 0.2:
            continue  # an all-zero row
        row[:] = [rng.randrange(spread) for _ in range(4)]
    if rng.random() < 0.5:
        table.row(OTHER_KEY)[:] = [rng.randrange(10**6) for _ in range(4)]
    for n in (1, 5, 20, 100, 500, 5000):
        for slot in (0, 2):
            assert table.top(n, slot) == _sorted_top(table, n, slot), (n, slot)
