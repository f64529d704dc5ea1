"""A load never loses rows silently: record counts, the error budget, the shrink and parent guards.

Every expected figure here comes from the rows the test itself wrote (or from `wc -l`-style
arithmetic on the file), never from the loader.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.cli import main
from canon.load import load_sources
from canon.load.policy import LoadPolicy, LoadRefused
from canon.load.records import count_records
from tests.load.conftest import CUSTOMERS_HEADER, GOOD_CUSTOMERS, LENIENT, ORDERS_HEADER, Project

ORDERS = [[f"O{i}", 1 + i % 3, "2026-01-01", f"{i}.00", "paid", 1] for i in range(1, 11)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def _snapshot(p: Project) -> tuple[Any, ...]:
    tables = p.query("SELECT table_name FROM information_schema.tables ORDER BY 1")
    return tables, *(
        p.query(f'SELECT * FROM main."{t}" ORDER BY ALL') for (t,) in tables if t != "canon_quarantine_refused"
    )


# ---------------------------------------------------------------- 1. records counted independently


@pytest.mark.slow
def test_the_issue_case_a_stray_quote_in_the_example_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sed '11s/,ACC/,"ACC/'` on the example's invoices: 9 rows of 480 used to be loaded, exit 0."""
    root = tmp_path / "r"
    assert run(["init", "--example", "acme", str(root)], capsys)[0] == 0
    monkeypatch.chdir(root)
    assert run(["load"], capsys)[0] == 0
    seed = (root / "seeds" / "raw_invoices.csv").read_text().splitlines(keepends=True)
    before = len(seed) - 1
    assert before == 480
    assert seed[10].count(",ACC") == 1
    seed[10] = seed[10].replace(",ACC", ',"ACC', 1)
    (root / "export.csv").write_text("".join(seed))
    code, _, err = run(["load", "raw_invoices=export.csv", "--allow-quarantine"], capsys)
    assert code == 1
    assert "export.csv:11:" in err and "480 record(s)" in err and "line 11" in err
    assert "Traceback" not in err
    assert Project(root).query("SELECT count(*) FROM main.raw_invoices") == [(before,)]
    code, out, _ = run(["query", "mrr", "--format", "csv"], capsys)
    assert code == 0 and len(out.strip().splitlines()) > 1  # mrr still answers


def test_a_stray_quote_the_reader_contains_to_one_line_is_quarantined_not_refused(shop: Project) -> None:
    """A quote in the middle of a value breaks one record only: counts agree, that record is quarantined."""
    lines = [
        "customer_id,tier,signup_date,active",
        "1,free,2025-01-10,true",
        '2,"pro"x,2025-02-11,false',
        "3,pro,2025-03-12,t",
    ]
    (shop.root / "seeds" / "customers.csv").write_text("\n".join(lines) + "\n")
    report = load_sources(shop.root, policy=LENIENT)
    assert (report.table("customers").rows_read, report.table("customers").rows_loaded) == (3, 2)
    assert shop.query("SELECT line, reason FROM main.canon_quarantine") == [(3, "malformed_row")]


def test_quarantine_keeps_the_whole_raw_record_however_long(shop: Project) -> None:
    """DuckDB's copy of a rejected line stops at its buffer; the quarantine holds all of it."""
    long_value = "x" * 50_000
    bad = f"2,pro,2025-02-11,false,{long_value}"  # one field too many, 50 kB long
    lines = ["customer_id,tier,signup_date,active", "1,free,2025-01-10,true", bad, "3,pro,2025-03-12,t"]
    (shop.root / "seeds" / "customers.csv").write_text("\n".join(lines) + "\n")
    load_sources(shop.root, policy=LENIENT)
    [(raw,)] = shop.query("SELECT json_extract_string(raw_values, '$._line') FROM main.canon_quarantine")
    assert raw == bad


def test_a_quoted_newline_is_one_record_and_loads(shop: Project) -> None:
    shop.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "shop",
                    "schema": "main",
                    "tables": [
                        {"name": "notes", "columns": [{"name": "id", "data_type": "integer"}, {"name": "body"}]}
                    ],
                }
            ],
        }
    )
    shop.write_csv("notes", ["id", "body"], [[1, "two\nlines"], [2, 'a "quoted"\r\nword'], [3, "plain"]])
    report = load_sources(shop.root)
    assert report.table("notes").rows_loaded == 3
    assert shop.query("SELECT body FROM main.notes ORDER BY id")[0] == ("two\nlines",)


cell = st.text(alphabet=st.sampled_from(list('ab,"\n\r x')), max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), max_size=12))
def test_count_records_equals_the_rows_a_csv_writer_wrote(rows: list[list[str]], tmp_path: Path) -> None:
    """Property: any file the standard CSV writer produces has exactly as many records as rows written."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["a", "b", "c"])
    w.writerows(rows)
    path = tmp_path / "p.csv"
    path.write_bytes(buf.getvalue().encode())
    expected = len(rows)  # an all-empty row is written as ",,": a record, never a blank line
    got = count_records(path)
    assert got.records == expected and got.first_bad_quote is None


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=2, max_value=40),
    at=st.data(),
)
def test_a_load_never_accounts_for_fewer_records_than_the_file_has(n: int, at: st.DataObject, shop: Project) -> None:
    """Property: a stray quote anywhere either quarantines its own record or refuses the load — never fewer rows."""
    rows = [[i, "free", "2025-01-10", "true"] for i in range(1, n + 1)]
    shop.write_csv("customers", CUSTOMERS_HEADER, rows)
    path = shop.root / "seeds" / "customers.csv"
    lines = path.read_text().splitlines(keepends=True)
    i = at.draw(st.integers(min_value=1, max_value=n))
    j = at.draw(st.integers(min_value=0, max_value=len(lines[i]) - 1))
    lines[i] = lines[i][:j] + '"' + lines[i][j:]
    path.write_text("".join(lines))
    try:
        report = load_sources(shop.root, policy=LoadPolicy(max_bad_fraction=1.0, allow_shrink=True))
    except LoadRefused as exc:
        assert "customers.csv:" in str(exc)
        return
    t = report.table("customers")
    assert t.rows_read == n and t.rows_loaded + t.rows_quarantined == n


# ---------------------------------------------------------------- 2. budget, shrink, parents


def test_default_budget_refuses_and_keeps_the_refused_rows_apart(shop: Project) -> None:
    load_sources(shop.root)
    before = _snapshot(shop)
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "gold", "2025-01-01", "true"]])
    with pytest.raises(LoadRefused, match="error budget is 0") as info:
        load_sources(shop.root)
    assert info.value.exit_code == 1
    assert info.value.report is not None and not info.value.report.accepted
    assert _snapshot(shop) == before  # canon_quarantine still describes the tables: nothing new in it
    assert shop.query("SELECT line, reason FROM main.canon_quarantine_refused") == [(5, "unknown_value")]


@pytest.mark.parametrize(
    ("policy", "accepted"),
    [
        (LoadPolicy(max_bad_rows=2), True),
        (LoadPolicy(max_bad_rows=1), False),
        (LoadPolicy(max_bad_fraction=0.2), True),  # 2 of 10
        (LoadPolicy(max_bad_fraction=0.19), False),
        (LoadPolicy(max_bad_rows=5, max_bad_fraction=0.1), False),  # both apply
    ],
)
def test_budget_in_rows_and_fraction(shop: Project, policy: LoadPolicy, accepted: bool) -> None:
    customers = [[i, "free", "2025-01-10", "true"] for i in range(1, 9)]
    customers += [[9, "gold", "2025-01-10", "true"], [10, "free", "2025-13-01", "true"]]
    shop.write_csv("customers", CUSTOMERS_HEADER, customers)
    if accepted:
        report = load_sources(shop.root, policy=policy)
        assert report.table("customers").rows_quarantined == 2
        assert shop.query("SELECT count(*) FROM main.customers") == [(8,)]
        assert len(shop.query("SELECT * FROM main.canon_quarantine")) == 2
    else:
        with pytest.raises(LoadRefused):
            load_sources(shop.root, policy=policy)
        assert shop.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'customers'") == []


def test_a_successful_load_clears_the_refused_records(shop: Project) -> None:
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "gold", "2025-01-01", "true"]])
    with pytest.raises(LoadRefused):
        load_sources(shop.root)
    shop.write_csv("customers", CUSTOMERS_HEADER, GOOD_CUSTOMERS)
    load_sources(shop.root)
    assert shop.query("SELECT count(*) FROM main.canon_quarantine_refused") == [(0,)]


@pytest.mark.parametrize(
    ("kept", "policy", "accepted"),
    [
        (5, LoadPolicy(), True),  # half kept: not more than 50% lost
        (4, LoadPolicy(), False),
        (0, LoadPolicy(), False),  # a header-only export empties the table
        (0, LoadPolicy(allow_shrink=True), True),
        (2, LoadPolicy(shrink_limit=0.9), True),
        (0, LoadPolicy(shrink_limit=1.0), False),  # emptying needs --allow-shrink whatever the limit
    ],
)
def test_shrink_guard(shop: Project, kept: int, policy: LoadPolicy, accepted: bool) -> None:
    full = [[i, "free", "2025-01-10", "true"] for i in range(1, 11)]
    shop.write_csv("customers", CUSTOMERS_HEADER, full)
    load_sources(shop.root)
    shop.write_csv("customers", CUSTOMERS_HEADER, full[:kept])
    if accepted:
        load_sources(shop.root, policy=policy)
        assert shop.query("SELECT count(*) FROM main.customers") == [(kept,)]
    else:
        with pytest.raises(LoadRefused, match=r"shrink|emptied"):
            load_sources(shop.root, policy=policy)
        assert shop.query("SELECT count(*) FROM main.customers") == [(10,)]


def test_parent_guard_refuses_to_orphan_existing_children(shop: Project) -> None:
    shop.write_csv("orders", ORDERS_HEADER, ORDERS)
    load_sources(shop.root)
    before = _snapshot(shop)
    orphaned = sum(1 for r in ORDERS if r[1] == 3)  # orders of customer 3, which the new file drops
    shop.write_csv("customers", CUSTOMERS_HEADER, GOOD_CUSTOMERS[:2])
    with pytest.raises(LoadRefused, match=f"{orphaned} row\\(s\\) of main.orders would lose their parent"):
        load_sources(shop.root, only=["customers"], policy=LoadPolicy(allow_shrink=True))
    assert _snapshot(shop) == before
    # loading the children in the same command judges them instead: their orphans are quarantined
    report = load_sources(shop.root, policy=LoadPolicy(max_bad_rows=orphaned))
    assert report.table("orders").count("missing_parent") == orphaned
    assert shop.query("SELECT count(*) FROM main.orders") == [(len(ORDERS) - orphaned,)]


def test_cli_flags_and_allow_quarantine_with_a_budget_is_bad_input(
    shop: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.write_csv("customers", CUSTOMERS_HEADER, [*GOOD_CUSTOMERS, [4, "gold", "2025-01-01", "true"]])
    code, _, err = run(["load", "--project", str(shop.root), "--allow-quarantine", "--max-bad-rows", "3"], capsys)
    assert code == 2 and "--allow-quarantine" in err
    code, out, _ = run(["load", "--project", str(shop.root), "--max-bad-rows", "1"], capsys)
    assert code == 0 and "1 row(s) quarantined" in out
    shop.write_csv("customers", CUSTOMERS_HEADER, [])
    code, out, err = run(["load", "--project", str(shop.root)], capsys)
    assert code == 1 and "emptied" in err and "--allow-shrink" in err
    code, _, _ = run(["load", "--project", str(shop.root), "--allow-shrink"], capsys)
    assert code == 0 and shop.query("SELECT count(*) FROM main.customers") == [(0,)]
