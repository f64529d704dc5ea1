"""`canon load` on the command line: exit codes 0/1/2, the summary, --allow-quarantine, --only."""

from __future__ import annotations

import pytest

from canon.cli import main
from tests.load.conftest import ORDERS_HEADER, Project

GOOD = [["O1", 1, "2026-01-01", "1.00", "paid", 1], ["O2", 2, "2026-01-02", "2.00", " Void ", 2]]
BAD = [*GOOD, ["O3", 3, "2026-02-31", "3.00", "paid", 1], ["O4", 3, "2026-03-01", "4.00", "lost", 1]]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_clean_load_exits_0_and_prints_the_summary(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write_csv("orders", ORDERS_HEADER, GOOD)
    code, out, _ = run(["load", "--project", str(shop.root), "--memory-limit", "256MB"], capsys)
    assert code == 0
    assert "main.orders" in out and "seeds/orders.csv" in out
    assert "status: 1 value(s) normalized" in out
    assert "all rows loaded, nothing quarantined" in out


def test_quarantine_over_the_default_budget_exits_1_and_loads_nothing(
    shop: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.write_csv("orders", ORDERS_HEADER, BAD)
    code, out, err = run(["load", "--project", str(shop.root)], capsys)
    assert code == 1
    assert "ordered_at: invalid_timestamp × 1" in out and "line 4: `2026-02-31`" in out
    assert "status: unknown_value × 1" in out and "line 5: `lost`" in out
    assert "2 row(s) quarantined; the error budget is 0" in err and "--max-bad-rows" in err
    # the budget (default 0) refuses the whole load: not even the customers were written
    tables = shop.query("SELECT table_name FROM information_schema.tables ORDER BY 1")
    assert tables == [("canon_quarantine",), ("canon_quarantine_refused",)]
    assert shop.query("SELECT line, reason FROM main.canon_quarantine_refused ORDER BY line") == [
        (4, "invalid_timestamp"),
        (5, "unknown_value"),
    ]


def test_allow_quarantine_exits_0(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write_csv("orders", ORDERS_HEADER, BAD)
    code, out, _ = run(["load", "--project", str(shop.root), "--allow-quarantine"], capsys)
    assert code == 0 and "2 row(s) quarantined" in out


def test_bad_input_exits_2_with_one_paragraph_and_no_traceback(
    shop: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.write_csv("orders", ORDERS_HEADER[:-1], [r[:-1] for r in GOOD])
    code, _, err = run(["load", "--project", str(shop.root)], capsys)
    assert code == 2
    assert "seeds/orders.csv:1" in err and "`qty`" in err and "Fix:" in err
    assert "Traceback" not in err


def test_only_selects_tables_and_unknown_names_get_a_hint(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write_csv("orders", ORDERS_HEADER, GOOD)
    code, out, _ = run(["load", "--project", str(shop.root), "--only", "customers"], capsys)
    assert code == 0 and "main.customers" in out and "main.orders" not in out
    code, _, err = run(["load", "--project", str(shop.root), "--only", "custmers"], capsys)
    assert code == 2 and "did you mean `customers`" in err


def test_engine_postgres_without_dsn_is_a_config_error(shop: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["load", "--project", str(shop.root), "--engine", "postgres"], capsys)
    assert code == 2 and "--dsn" in err
