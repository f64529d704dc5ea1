"""Which spellings of "keep the first row per key" are a deduplication, read by the lineage alone
(no warehouse): the window, its keys and order over raw columns, and the conditions before it."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from canon.audit.inline import qualified
from canon.audit.lineage import Lineage, RankedRows

SCHEMA = {
    "raw_v": {"id": "VARCHAR", "version": "INTEGER", "updated_at": "DATE", "status": "VARCHAR", "total": "DECIMAL"}
}
RANKED = "with r as (select *, {window} as k from raw_v) select sum(total) from r where {test}"


def ranked_rows(sql: str) -> list[RankedRows]:
    tree = qualified(sqlglot.parse_one(sql, read="duckdb"), SCHEMA, "duckdb")
    assert isinstance(tree, exp.Query)
    return [c.dedup for c in Lineage(tree).row_conditions() if c.kind == "dedup" and c.dedup is not None]


def shape(r: RankedRows) -> tuple[str, list[str], list[tuple[str, bool]], bool, list[str]]:
    return (
        r.table,
        [p.sql() for p in r.partition],
        [(e.sql(), d) for e, d in r.order],
        r.ties,
        [c.expr.sql() for c in r.among],
    )


FIRST_BY_UPDATE = ("raw_v", ["raw_v.id"], [("raw_v.updated_at", True)], False, [])
CASES = [
    pytest.param("row_number() over (partition by id order by updated_at desc)", "k = 1", FIRST_BY_UPDATE, id="eq"),
    pytest.param(
        "row_number() over (partition by id order by updated_at desc)", "1 = k", FIRST_BY_UPDATE, id="flipped"
    ),
    pytest.param("row_number() over (partition by id order by updated_at desc)", "k <= 1", FIRST_BY_UPDATE, id="lte"),
    pytest.param("row_number() over (partition by id order by updated_at desc)", "k < 2", FIRST_BY_UPDATE, id="lt"),
    pytest.param("row_number() over (partition by id order by updated_at desc)", "1 >= k", FIRST_BY_UPDATE, id="gte"),
    pytest.param(
        "dense_rank() over (partition by id order by updated_at desc)",
        "k = 1",
        ("raw_v", ["raw_v.id"], [("raw_v.updated_at", True)], True, []),
        id="dense-rank-keeps-ties",
    ),
    pytest.param(
        "row_number() over (partition by id order by updated_at)",
        "k = 1",
        ("raw_v", ["raw_v.id"], [("raw_v.updated_at", False)], False, []),
        id="first-not-latest",
    ),
    pytest.param(
        "max(version) over (partition by id)",
        "k = version",
        ("raw_v", ["raw_v.id"], [("raw_v.version", True)], True, []),
        id="max-over",
    ),
    pytest.param(
        "min(updated_at) over (partition by id)",
        "updated_at = k",
        ("raw_v", ["raw_v.id"], [("raw_v.updated_at", False)], True, []),
        id="min-over",
    ),
]


@pytest.mark.parametrize(("window", "test", "expected"), CASES)
def test_spellings(window: str, test: str, expected: object) -> None:
    [r] = ranked_rows(RANKED.format(window=window, test=test))
    assert shape(r) == expected


@pytest.mark.parametrize(
    ("window", "test"),
    [
        ("row_number() over (partition by id order by updated_at desc)", "k = 2"),  # the second row
        ("row_number() over (partition by id order by updated_at desc)", "k > 1"),  # every row but the first
        ("max(version) over (partition by id)", "k = total"),  # compares another column
        ("sum(total) over (partition by id)", "k = total"),  # not a ranking
    ],
)
def test_not_a_deduplication(window: str, test: str) -> None:
    assert ranked_rows(RANKED.format(window=window, test=test)) == []


def test_qualify_ranks_after_its_where() -> None:
    sql = (
        "with l as (select * from raw_v where status = 'paid'"
        " qualify row_number() over (partition by id order by updated_at desc) = 1)"
        " select sum(total) from l"
    )
    [r] = ranked_rows(sql)
    assert shape(r) == ("raw_v", ["raw_v.id"], [("raw_v.updated_at", True)], False, ["raw_v.status = 'paid'"])


def test_a_where_after_the_window_is_not_among_the_ranked_rows() -> None:
    sql = RANKED.format(window="row_number() over (partition by id order by updated_at desc)", test="k = 1")
    [r] = ranked_rows(sql.replace("where k = 1", "where k = 1 and status = 'paid'"))
    assert r.among == []


def test_a_window_with_no_order_is_said_arbitrary() -> None:
    sql = RANKED.format(window="row_number() over (partition by id)", test="k = 1")
    tree = qualified(sqlglot.parse_one(sql, read="duckdb"), SCHEMA, "duckdb")
    assert isinstance(tree, exp.Query)
    [cond] = [c for c in Lineage(tree).row_conditions() if c.kind == "where"]
    assert isinstance(cond.expr, exp.Anonymous) and cond.expr.name == "UNRESOLVED"
    assert "no PARTITION BY or no ORDER BY" in cond.fragment
