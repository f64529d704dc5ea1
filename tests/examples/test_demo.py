"""`canon demo`: the figures it shows match SQL written here on the warehouse it built."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from canon.cli import main
from canon.dbt import DbtRun
from canon.demo import figures, headline
from tests.examples.conftest import MONTH_END, MONTH_START


@pytest.mark.slow
@pytest.mark.dbt
@pytest.mark.xdist_group("acme_dbt")
def test_figures_are_the_team_models_and_the_canonical_number(
    acme_built: tuple[Path, DbtRun], warehouse: duckdb.DuckDBPyConnection
) -> None:
    result = figures(acme_built[0])
    assert result.period == "2026-10" and result.canonical == Decimal("1260000.00")
    shown = {model.model: amount for model, amount in result.teams}
    by_hand = {
        "fct_revenue_monthly": "select sum(amount) from raw_invoices "
        "where status <> 'void' and invoice_date between ? and ?",
        "fct_marketing_revenue": "select sum(amount) from raw_payments "
        "where not refunded and payment_date between ? and ?",
    }
    for model, sql in by_hand.items():
        row = warehouse.execute(sql, [MONTH_START, MONTH_END]).fetchone()
        assert row is not None and shown[model] == Decimal(str(row[0]))
    sales = warehouse.execute(
        "select sum(annual_value) from raw_contracts where status = 'active' and type <> 'pilot' "
        "and start_date <= ? and end_date >= ?",
        [MONTH_END, MONTH_START],
    ).fetchone()
    assert sales is not None and abs(shown["fct_arr_by_account"] - Decimal(str(sales[0])) / 12) < Decimal("0.05")
    text = headline(result)
    assert "$1,260,000.00" in text and "Finance says $1.2" in text and "Sales says $1.4" in text


@pytest.mark.slow
@pytest.mark.dbt
@pytest.mark.xdist_group("acme_demo")
def test_demo_tells_the_whole_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    with pytest.raises(SystemExit) as done:
        main(["demo", "--dir", str(folder)])
        raise SystemExit(0)
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for act in ("1. Orient", "2. Diverge", "3. Align", "4. Build", "5. Verify", "6. Drift", "7. Report"):
        assert act in out
    assert "MRR is defined 3 ways across 3 models" in out
    assert "per Mike's request" in out and "no ticket" in out
    assert "Signed by Dana Whitfield (CFO)" in out
    assert "Board MRR for 2026-10: $1,260,000.00" in out
    assert "MRR movements and retention, 2026" in out and "of movements = $1,260,000.00" in out
    assert "MRR is defined 2 ways across 3 models" in out and "fct_mrr_ops_dashboard" in out
    html = folder / "reports" / "mrr_audit.html"
    postmortem = folder / "analyses" / "05_postmortem.md"
    page = html.read_text()
    assert html.is_file() and "<svg" in page and "<script" not in page and len(page.encode()) < 1_000_000
    # one price per decision, summing to each gap; only the untraced commit under "nobody can trace"
    assert "-$53,890.00 = the gap" in out and "+$27,740.00 counts invoices with status pending" in out
    assert "interaction" not in out
    untraced = out.split("decisions nobody can trace")[1].split("3. Align")[0]
    assert "per Mike's request" in untraced and "REVOPS-" not in untraced and "FIN-" not in untraced
    assert "per Mike's request" in postmortem.read_text() and "Dana Whitfield" in postmortem.read_text()
    assert not (folder / "models" / "marts" / "fct_mrr_ops_dashboard.sql").exists()
    # a second demo replaces the first one's folder
    from canon.demo import prepare

    prepare(folder)
    assert not (folder / "models" / "marts" / "fct_mrr_canonical.sql").exists()


def test_demo_refuses_a_folder_it_did_not_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(SystemExit) as done:
        main(["demo", "--dir", str(folder)])
    assert done.value.code == 2
    assert "--dir" in capsys.readouterr().err
    assert (folder / "thesis.tex").read_text() == "precious"
