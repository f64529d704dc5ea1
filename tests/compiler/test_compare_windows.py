"""`--compare` and `--window`/`--trailing`: checked against hand-written SQL and hand figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from canon.compiler.compare import previous
from canon.compiler.periods import parse_period
from canon.errors import QueryError
from canon.project import Project, load_project
from tests.compiler.movement_world import SETUP_TRAILING_2, SETUP_YTD, write_world
from tests.support.cli import run_cli

# Hand SQL: MRR per month and segment, straight from the raw table.
HAND_MRR = """
select strftime(date_trunc('month', b.billed_on), '%Y-%m') as period, a.segment, sum(b.amount * 100)::bigint as cents
from raw_billing b join raw_accounts a using (account_id)
where b.kind = 'recurring' group by all
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_world(tmp_path_factory.mktemp("compare"))


@pytest.fixture()
def world(root: Path) -> Iterator[Project]:
    project = load_project(root)
    yield project
    project.close()


def hand(root: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def bps(change: int, base: int) -> int | None:
    if base == 0:
        return None
    return int((Decimal(change) * 10000 / abs(Decimal(base))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("comparison", "back"), [("prior_period", 1), ("prior_year", 12)])
def test_compare_matches_hand_sql(root: Path, world: Project, comparison: str, back: int) -> None:
    values = {(p, s): c for p, s, c in hand(root, HAND_MRR)}
    table = world.query("mrr", by=["segment"], period_from="2026-01", period_to="2026-03", compare=comparison)
    got = {(r["period"], r["segment"]): r for r in table.to_pylist()}
    expected_keys = {(p, s) for p, s in values if "2026-01" <= p <= "2026-03"}
    assert expected_keys <= set(got)
    for (period, segment), row in got.items():
        prev_label = parse_period(period, "month").shift(-back).label
        now, before = values.get((period, segment)), values.get((prev_label, segment))
        assert row["mrr_cents"] == now
        assert row["mrr_previous_cents"] == before
        change = None if now is None or before is None else now - before
        assert row["mrr_change_cents"] == change
        assert row["mrr_change_bps"] == (None if change is None or before is None else bps(change, before))


def test_compare_keeps_a_breakdown_value_that_vanished(world: Project) -> None:
    # segment smb had MRR in 2026-02 (C 300 + E 80.50); in 2026-03 only C: still one row, with both values
    rows = world.query("mrr", by=["segment"], period_from="2026-03", period_to="2026-03", compare="prior_period")
    smb = next(r for r in rows.to_pylist() if r["segment"] == "smb")
    assert (smb["mrr_cents"], smb["mrr_previous_cents"], smb["mrr_change_cents"]) == (30000, 38050, -8050)


def test_compare_works_for_movements_and_ratios(world: Project) -> None:
    table = world.query(["churn_mrr", "nrr"], period_from="2026-02", period_to="2026-03", compare="prior_period")
    rows = {r["period"]: r for r in table.to_pylist()}
    assert rows["2026-03"]["churn_mrr_previous_cents"] == -20000
    assert rows["2026-03"]["churn_mrr_change_cents"] == -8050 - -20000
    assert rows["2026-03"]["nrr_change"] == 9737 - 10000


def test_previous_periods_of_every_grain() -> None:
    assert previous(parse_period("2026-Q1"), "prior_year").label == "2025-Q1"
    assert previous(parse_period("2026-W01"), "prior_year").label == "2025-W01"
    assert previous(parse_period("2026-W53"), "prior_year").label == "2025-W52"  # 2025 has 52 ISO weeks
    assert previous(parse_period("2021-W52"), "prior_year").label == "2020-W52"
    assert previous(parse_period("2028-02-29"), "prior_year").label == "2027-02-28"
    assert previous(parse_period("2026-01"), "prior_period").label == "2025-12"


def test_windows_match_hand_figures_and_sql(root: Path, world: Project) -> None:
    hand_trailing = hand(
        root,
        """
        with m as (select unnest(['2026-01-01','2026-02-01','2026-03-01'])::date as month)
        select strftime(m.month, '%Y-%m'), sum(b.amount * 100)::bigint from m join raw_billing b
          on b.kind = 'setup' and b.billed_on >= m.month - interval 1 month and b.billed_on < m.month + interval 1 month
        group by 1 order by 1
        """,
    )
    ytd = world.query("setup_fees", period_from="2026-01", period_to="2026-03", window="ytd")
    assert {r["period"]: r["setup_fees_cents"] for r in ytd.to_pylist()} == SETUP_YTD
    trailing = world.query("setup_fees", period_from="2026-01", period_to="2026-03", trailing=2)
    assert {r["period"]: r["setup_fees_cents"] for r in trailing.to_pylist()} == SETUP_TRAILING_2
    assert [(r["period"], r["setup_fees_cents"]) for r in trailing.to_pylist()] == hand_trailing


def test_a_contract_window_is_the_metric(world: Project) -> None:
    table = world.query("setup_fees_ytd", period_from="2026-01", period_to="2026-03")
    assert {r["period"]: r["setup_fees_ytd_cents"] for r in table.to_pylist()} == SETUP_YTD


def test_windows_of_movements_are_sums_of_flows(world: Project) -> None:
    table = world.query("churn_mrr", period_from="2026-01", period_to="2026-03", window="qtd")
    assert table.column("churn_mrr_cents").to_pylist() == [-5000, -25000, -33050]


@pytest.mark.parametrize(
    ("metric", "ask", "says"),
    [
        ("mrr", {"trailing": 3}, "balance"),
        ("mrr", {"window": "ytd"}, "balance"),
        ("nrr", {"trailing": 2}, "not additive"),
        ("setup_fees", {"window": "ytd", "grain": "week"}, "does not fit"),
        ("setup_fees", {"window": "weekly"}, "unknown window"),
        ("setup_fees", {"window": "ytd", "trailing": 2}, "pass one"),
        ("setup_fees", {"compare": "last_week"}, "unknown comparison"),
    ],
)
def test_refusals_say_why(world: Project, metric: str, ask: dict[str, Any], says: str) -> None:
    ask = {"period_from": "2026-01" if ask.get("grain") != "week" else "2026-W01", **ask}
    ask.setdefault("period_to", "2026-03" if ask.get("grain") != "week" else "2026-W05")
    with pytest.raises(QueryError) as err:
        world.query(metric, **ask)
    assert says in err.value.render()


def test_cli_compare_and_trailing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "mrr", "--compare", "prior_period", "--from", "2026-03", "--to", "2026-03"]
    out = run_cli(capsys, *args, "--format", "json", "--project", str(root))
    assert out.code == 0, out.err
    data = json.loads(out.out)
    rows = data["rows"] if isinstance(data, dict) else data
    assert rows[0]["mrr_change_cents"] == 67000 - 53050
    refused = run_cli(capsys, "query", "mrr", "--trailing", "3", "--project", str(root))
    assert refused.code == 2 and "balance" in refused.err and "--trailing" in refused.err
