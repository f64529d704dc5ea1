"""The ACME example's movement contracts: the 2026 MRR bridge, checked against SQL on the seeds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from canon.contracts.spec import MovementComposition
from canon.kb.model import knowledge_base
from canon.project import Project, load_project
from tests.examples.conftest import SEED_TYPES

MOVEMENTS = ["new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr"]
# The canonical MRR by account and month, written here from the contract's words, on the seeds.
HAND_MRR = """
select strftime(i.invoice_date, '%Y-%m') as period, c.account_id, cast(sum(i.amount) * 100 as bigint) as cents
from raw_invoices i join raw_contracts c on c.contract_id = i.contract_id
where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring' and c.status = 'active'
group by all
"""


@pytest.fixture(scope="module")
def acme(
    acme_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Project, dict[tuple[str, str], int]]]:
    root = tmp_path_factory.mktemp("acme-movements") / "acme"
    shutil.copytree(acme_dir, root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table, columns in SEED_TYPES.items():
        con.read_csv(str(root / "seeds" / f"{table}.csv"), header=True, dtype=columns).create(table)
    hand = {(p, a): c for p, a, c in con.execute(HAND_MRR).fetchall()}
    con.close()
    project = load_project(root)
    yield project, hand
    project.close()


def months(first: str, last: str) -> list[str]:
    y, m = (int(x) for x in first.split("-"))
    out = []
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_the_2026_bridge_ends_at_the_board_number(acme: tuple[Project, dict[tuple[str, str], int]]) -> None:
    project, hand = acme
    table = project.query([*MOVEMENTS, "nrr", "grr"], period_from="2026-01", period_to="2026-10")
    rows = {r["period"]: r for r in table.to_pylist()}
    total = {p: sum(c for (q, _), c in hand.items() if q == p) for p in months("2025-12", "2026-10")}
    assert total["2026-10"] == 126_000_000  # the board number, unchanged
    accounts = {a for _, a in hand}
    for period in months("2026-01", "2026-10"):
        prev = months("2025-12", period)[-2]
        moved = [rows[period][f"{m}_cents"] for m in MOVEMENTS]
        assert sum(moved) == total[period] - total[prev]
        # each movement by hand: per account, this month against last month
        now = {a: hand.get((period, a), 0) for a in accounts}
        before = {a: hand.get((prev, a), 0) for a in accounts}
        seen = {a for (q, a), c in hand.items() if q < prev and c != 0}
        new = sum(now[a] for a in accounts if before[a] == 0 and now[a] != 0 and a not in seen)
        react = sum(now[a] for a in accounts if before[a] == 0 and now[a] != 0 and a in seen)
        churn = -sum(before[a] for a in accounts if before[a] != 0 and now[a] == 0)
        exp = sum(now[a] - before[a] for a in accounts if before[a] != 0 and now[a] > before[a])
        con = sum(now[a] - before[a] for a in accounts if now[a] != 0 and 0 != before[a] > now[a])
        assert moved == [new, exp, con, churn, react], period


def test_retention_over_twelve_months(acme: tuple[Project, dict[tuple[str, str], int]]) -> None:
    project, hand = acme
    row = project.query(["nrr", "grr"], period_from="2026-10", period_to="2026-10").to_pylist()[0]
    cohort = {a: c for (p, a), c in hand.items() if p == "2025-10" and c != 0}
    now = {a: hand.get(("2026-10", a), 0) for a in cohort}
    base = sum(cohort.values())

    def bps(numerator: int) -> int:
        return int((Decimal(numerator) * 10000 / base).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    assert row["nrr"] == bps(sum(now.values()))
    assert row["grr"] == bps(sum(min(now[a], cohort[a]) for a in cohort))


def test_movement_contracts_cite_the_knowledge_base(acme: tuple[Project, dict[tuple[str, str], int]]) -> None:
    project, _ = acme
    kb = knowledge_base()
    for name in [*MOVEMENTS, "nrr", "grr"]:
        metric = project.metric(name)
        assert isinstance(metric.composition, MovementComposition) and metric.composition.of == "mrr"
        standard = kb.metric(name)
        assert standard is not None
        claims = {c.text for c in standard.claims}
        assert metric.spec.precedents and any(p.claim in claims for p in metric.spec.precedents), name
