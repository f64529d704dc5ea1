"""Contract tests pass on clean data and catch each kind of break (counts computed by hand)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from canon.checks import contract_tests
from canon.project import load_project
from tests.support.cli import run_cli


@pytest.fixture()
def broken(tiny_root: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "p"
    shutil.copytree(tiny_root, dest)
    return dest


def results(root: Path, metric: str = "mrr") -> dict[str, int]:
    project = load_project(root)
    out = {r.name: r.failures for r in contract_tests.run(project, [metric])}
    project.close()
    return out


def test_clean_data_passes_every_test(tiny_root: Path) -> None:
    got = results(tiny_root)
    assert set(got) >= {
        "admitted_values_exist:raw_invoices.type",
        "admitted_values_exist:raw_contracts.status",
        "not_null:raw_invoices.amount",
        "not_null:raw_invoices.invoice_date",
        "unique:raw_contracts.contract_id",
        "has_parent:raw_invoices.contract_id",
        "assertion:installment_is_annual_over_12",
    }
    assert all(v == 0 for v in got.values()), got


def test_each_break_is_caught(broken: Path) -> None:
    con = duckdb.connect(str(broken / "warehouse.duckdb"))
    # a duplicated contract id: 1 key with 2 copies
    con.execute(
        "INSERT INTO raw_contracts VALUES ('C2', 'A2', '2026-03-15', '2027-03-14', 24000.12, 'recurring', 'active')"
    )
    # an invoice pointing at a contract that does not exist: 1 orphan
    con.execute("INSERT INTO raw_invoices VALUES ('I11', 'A1', 'C99', '2026-10-01', 10.00, 'subscription', 'paid')")
    # an admitted invoice with no amount: 1 row that would silently vanish
    con.execute("INSERT INTO raw_invoices VALUES ('I12', 'A1', 'C1', '2026-10-02', NULL, 'subscription', 'paid')")
    # an admitted invoice that is not annual/12: 1 assertion violation (I12 has NULL amount: also violates)
    con.execute("INSERT INTO raw_invoices VALUES ('I13', 'A1', 'C1', '2026-10-03', 9999.99, 'subscription', 'paid')")
    con.close()
    got = results(broken)
    assert got["unique:raw_contracts.contract_id"] == 1
    assert got["has_parent:raw_invoices.contract_id"] == 1
    assert got["not_null:raw_invoices.amount"] == 1
    assert got["assertion:installment_is_annual_over_12"] == 2


def test_typo_in_admitted_value_and_unclassified_domain(broken: Path) -> None:
    path = broken / "metrics" / "mrr.yml"
    path.write_text(
        path.read_text()
        .replace("raw_contracts.status: [active]", "raw_contracts.status: [activ]")
        .replace("raw_contracts.type: [recurring]", "raw_contracts.type: {admit: [recurring], exclude: [pilot]}")
    )
    got = results(broken)
    # 'activ' never occurs; 'one-time' (1 contract, C5) is neither admitted nor excluded
    assert got["admitted_values_exist:raw_contracts.status"] == 1
    assert got["values_classified:raw_contracts.type"] == 1


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str], tiny_root: Path, broken: Path) -> None:
    ok = run_cli(capsys, "test", "mrr", "-p", str(tiny_root))
    assert ok.code == 0 and "passed, 0 failed" in ok.out
    con = duckdb.connect(str(broken / "warehouse.duckdb"))
    con.execute("INSERT INTO raw_invoices VALUES ('I11', 'A1', 'C99', '2026-10-01', 10.00, 'subscription', 'paid')")
    con.close()
    bad = run_cli(capsys, "test", "mrr", "-p", str(broken))
    assert bad.code == 1 and "mrr/has_parent:raw_invoices.contract_id" in bad.err
