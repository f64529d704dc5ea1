"""Rollups answer only when provably equal to the source, and never when older than it.

The warehouse is the tiny one plus 600 generated invoices (seeded) over 2025-2026, amounts
with cents; `third` sums a third of each amount so re-aggregated rollups must round once, as
the source does. The property test asks random questions and compares the routed answer with
the source query compiled without any rollup, to the cent.
"""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canon.project import Project, load_project
from tests.compiler.fixture import write_project

ROLLUPS = {
    # the tiny project's `mrr` sums invoices by month; stated additive here so that routing is tested
    # on a flow (a balance is read at a period's end and is only answered at a month's grain: below)
    "mrr.yml": "additivity: additive\nrollups:\n  - {grain: month, dimensions: [segment, industry]}\n"
    "  - {grain: quarter}\n",
    "cash.yml": "rollups:\n  - {grain: day}\n",
    "paying_accounts.yml": "rollups:\n  - {grain: month}\n",
    "contract_mrr.yml": "rollups:\n  - {grain: month, dimensions: [segment], from: '2026-01', to: '2026-12'}\n",
}
THIRD = """\
name: third
owner: finance
dimensions:
  segment: {column: raw_accounts.segment}
composition:
  type: declarative
  measure: {column: raw_invoices.amount, scale: "1/3"}
  time_basis: {column: raw_invoices.invoice_date}
rollups:
  - {grain: month, dimensions: [segment]}
"""


def _more_invoices(con: duckdb.DuckDBPyConnection, n: int = 600) -> None:
    rng = random.Random(14)
    contracts = {"C1": "A1", "C2": "A2", "C3": "A3", "C4": "A1", "C5": "A2"}
    rows = []
    for i in range(n):
        contract = rng.choice(list(contracts))
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
        amount = f"{rng.randrange(-5000, 900000) / 100:.2f}"
        kind = rng.choice(["subscription", "subscription", "setup", "credit"])
        status = rng.choice(["paid", "paid", "pending", "void"])
        rows.append((f"G{i}", contracts[contract], contract, day.isoformat(), amount, kind, status))
    con.executemany("INSERT INTO raw_invoices VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture(scope="module")
def rolled_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("rolled"))
    for name, block in ROLLUPS.items():
        path = root / "metrics" / name
        path.write_text(path.read_text() + block)
    (root / "metrics" / "third.yml").write_text(THIRD)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    _more_invoices(con)
    con.close()
    project = load_project(root)
    built = project.build_rollups()
    assert {b.name for b in built} == {
        "mrr__month_by_segment_industry",
        "mrr__quarter",
        "cash__day",
        "paying_accounts__month",
        "contract_mrr__month_by_segment",
        "third__month_by_segment",
    }
    project.close()
    return root


@pytest.fixture()
def rolled(rolled_root: Path) -> Any:
    project = load_project(rolled_root)
    yield project
    project.close()


def source(project: Project, metric: str, **ask: Any) -> list[dict[str, Any]]:
    """The question compiled from the contracts alone (no rollup can be read)."""
    q = project.question([metric], **ask)
    table = project.engine.execute(project.engine.render(project.compile(q)))
    return _rows(table)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    names = [c for c in table.column_names if c != "period"]
    return sorted(({n: r[n] for n in names} for r in table.to_pylist()), key=repr)


ROUTES = [
    ("mrr", {}, "mrr__month_by_segment_industry"),  # quarter has fewer rows but month is asked
    ("mrr", {"grain": "quarter"}, "mrr__quarter"),  # the smallest that derives it
    ("mrr", {"grain": "quarter", "by": ("segment",)}, "mrr__month_by_segment_industry"),
    ("mrr", {"grain": "year", "where": "industry = 'saas'"}, "mrr__month_by_segment_industry"),
    ("mrr", {"where": "raw_accounts.segment = 'smb'"}, "mrr__month_by_segment_industry"),  # a kept column
    ("mrr", {"where": "raw_invoices.amount > 100"}, None),  # a raw column no rollup keeps
    ("mrr", {"by": ("account_id",)}, None),  # a dimension no rollup keeps
    ("mrr", {"grain": "week"}, None),  # weeks are not whole months
    ("cash", {"grain": "week"}, "cash__day"),
    ("paying_accounts", {}, "paying_accounts__month"),
    ("paying_accounts", {"grain": "quarter"}, None),  # a distinct count does not re-aggregate
    ("contract_mrr", {"period_from": "2026-03", "period_to": "2026-10"}, "contract_mrr__month_by_segment"),
    ("contract_mrr", {"grain": "quarter", "period_from": "2026-Q1", "period_to": "2026-Q2"}, None),  # a balance
    ("contract_mrr", {"period_from": "2025-11", "period_to": "2026-02"}, None),  # outside its periods
    ("arr", {}, None),  # derived: computed from its bases' source
]


@pytest.mark.parametrize(("metric", "ask", "expected"), ROUTES)
def test_routes(rolled: Project, metric: str, ask: dict[str, Any], expected: str | None) -> None:
    route = rolled.route(metric, **ask)
    assert route.rollups == ((expected,) if expected else ()), route.reason
    table = rolled.query(metric, **ask)
    if rolled.metric(metric).spec.rollups:
        assert table.schema.metadata[b"canon.answered_from"].decode() == route.answered_from
    assert _rows(table) == source(rolled, metric, **ask)


def test_declaration_mistakes_are_user_errors(rolled_root: Path, tmp_path: Path) -> None:
    from canon.errors import UserError

    root = tmp_path / "bad"
    shutil.copytree(rolled_root, root)
    path = root / "metrics" / "third.yml"
    path.write_text(path.read_text().replace("dimensions: [segment]", "dimensions: [segmnt]"))
    project = load_project(root)
    with pytest.raises(UserError, match="segmnt") as err:
        project.build_rollups(["third"])
    assert "third.yml" in str(err.value.location) and "segment" in (err.value.fix or "")
    path = root / "metrics" / "arr.yml"
    path.write_text(path.read_text() + "rollups:\n  - {grain: month}\n")
    project = load_project(root)
    with pytest.raises(UserError, match="only a declarative metric"):
        project.build_rollups(["arr"])
    with pytest.raises(UserError, match="no rollups declared"):
        project.build_rollups(["collected_by_sql"])
    project.close()
    from canon.engines.duckdb import DuckDBEngine

    engine = DuckDBEngine(root / "warehouse.duckdb")
    engine.can_load = False  # as Spark and dbt adapters: canon writes no tables there
    with pytest.raises(UserError, match="cannot build rollups there"):
        load_project(root, engine=engine).build_rollups(["mrr"])
    engine.close()


def test_reasons_are_said(rolled: Project) -> None:
    assert "does not keep the dimension `account_id`" in rolled.route("mrr", by=["account_id"]).reason
    assert "distinct count does not re-aggregate" in rolled.route("paying_accounts", grain="quarter").reason
    assert "balance" in rolled.route("contract_mrr", grain="quarter", period_from="2026-Q1", period_to="2026-Q2").reason
    assert "not a whole number of month periods" in rolled.route("mrr", grain="week").reason


MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]


@st.composite
def questions(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    metric = draw(st.sampled_from(["mrr", "cash", "third", "paying_accounts", "contract_mrr"]))
    grain = draw(st.sampled_from(["day", "week", "month", "quarter", "year"]))
    ask: dict[str, Any] = {"grain": grain}
    dims = {"mrr": ["segment", "industry", "account_id"], "third": ["segment"], "contract_mrr": ["segment"]}
    options = dims.get(metric, [])
    ask["by"] = tuple(d for d in options if draw(st.booleans()))
    if options and draw(st.booleans()):
        ask["where"] = f"{draw(st.sampled_from(options[:2]))} IS NOT NULL"
    if draw(st.booleans()) or metric == "contract_mrr":
        a, b = sorted(draw(st.lists(st.sampled_from(MONTHS), min_size=2, max_size=2)))
        ask["period_from"], ask["period_to"] = a, b
    return metric, ask


@given(questions())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rollup_answers_equal_source_answers(rolled: Project, asked: tuple[str, dict[str, Any]]) -> None:
    metric, ask = asked
    if metric == "contract_mrr" and ask["grain"] in ("day", "week"):
        ask["grain"] = "month"  # a validity range by day over two years: a long spine, nothing new
    assert _rows(rolled.query(metric, **ask)) == source(rolled, metric, **ask)


def test_the_property_test_reaches_rollups(rolled: Project) -> None:
    """Most random questions of the property test are answered from a rollup (it tests something)."""
    used = 0
    for month in MONTHS[:12]:
        for grain in ("month", "quarter", "year"):
            used += bool(rolled.route("third", grain=grain, period_from=month, period_to="2026-12").rollups)
    assert used >= 30


def test_a_stale_rollup_is_never_used_silently(rolled_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "stale"
    shutil.copytree(rolled_root, root)
    project = load_project(root)
    assert project.route("mrr", grain="quarter").rollups == ("mrr__quarter",)
    before = _rows(project.query("mrr", grain="quarter"))
    project.close()
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("INSERT INTO raw_invoices VALUES ('LATE', 'A1', 'C1', '2026-10-09', 1234.56, 'subscription', 'paid')")
    con.close()
    project = load_project(root)
    route = project.route("mrr", grain="quarter")
    assert route.query is None and route.stale and "older than its source" in route.reason
    assert "raw_invoices:rows" in route.reason
    table = project.query("mrr", grain="quarter")
    assert table.schema.metadata[b"canon.answered_from"] == b"source"
    after = _rows(table)
    assert after != before and after == source(project, "mrr", grain="quarter")
    project.build_rollups(["mrr"])
    assert project.route("mrr", grain="quarter").rollups == ("mrr__quarter",)
    assert _rows(project.query("mrr", grain="quarter")) == after
    # the contract changed since the build: the rollup is another definition's table
    path = root / "metrics" / "mrr.yml"
    path.write_text(path.read_text().replace("raw_invoices.status: [paid]", "raw_invoices.status: [paid, pending]"))
    project.close()
    project = load_project(root)
    assert "another version of the contract" in project.route("mrr", grain="quarter").reason
    project.close()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_rollups_equal_source(rolled_root: Path, pg_server: str, tmp_path: Path) -> None:
    """Built and read on PostgreSQL: the same routes, the same cents as its source and as DuckDB."""
    from canon.engines import connect
    from canon.engines.duckdb import DuckDBEngine
    from canon.engines.transfer import copy_to_postgres
    from tests.support.postgres import fresh_database

    root = tmp_path / "pg"
    shutil.copytree(rolled_root, root)
    dsn = fresh_database(pg_server, "rollups")
    src = DuckDBEngine(root / "warehouse.duckdb", read_only=True)
    pg = connect("postgres", dsn=dsn)
    copy_to_postgres(src, pg, ["raw_accounts", "raw_contracts", "raw_invoices", "raw_payments"])  # type: ignore[arg-type]
    src.close()
    duck = load_project(rolled_root)
    project = load_project(root, engine=pg)
    assert project.route("mrr", grain="quarter").query is None  # built in DuckDB, not here
    project.build_rollups()
    for metric, ask, expected in ROUTES:
        route = project.route(metric, **ask)
        assert route.rollups == ((expected,) if expected else ()), (metric, ask, route.reason)
        answer = _rows(project.query(metric, **ask))
        assert answer == source(project, metric, **ask)
        assert answer == _rows(duck.query(metric, **ask)), (metric, ask)
    duck.close()
    project.close()


def test_the_command_line_says_which_table_answered(
    rolled_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tests.support.cli import run_cli

    root = tmp_path / "cli"
    shutil.copytree(rolled_root, root)
    p = str(root)
    built = run_cli(capsys, "rollup", "build", "mrr", "--project", p)
    assert built.code == 0 and "mrr__quarter" in built.out
    explained = run_cli(capsys, "rollup", "explain", "mrr", "--by", "account_id", "--format", "json", "--project", p)
    data = json.loads(explained.out)
    assert data["answered_from"] == "source" and "account_id" in data["reason"]
    asked = run_cli(capsys, "query", "mrr", "--grain", "quarter", "--explain", "--format", "csv", "--project", p)
    assert asked.code == 0 and "answered from rollup mrr__quarter" in asked.err
    quiet = run_cli(capsys, "query", "mrr", "--grain", "quarter", "--format", "csv", "--project", p)
    assert quiet.err == "" and quiet.out == asked.out
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("DELETE FROM raw_invoices WHERE invoice_id = 'I1'")
    con.close()
    stale = run_cli(capsys, "query", "mrr", "--grain", "quarter", "--format", "csv", "--project", p)
    assert stale.code == 0 and "older than its source" in stale.err and "answered from source" in stale.err


def test_a_balance_is_answered_from_a_rollup_only_by_month(rolled_root: Path, tmp_path: Path) -> None:
    """MRR left a balance (no `additivity:`): by quarter it is the quarter's last month, which neither a
    sum of the stored months nor the quarter rollup (sums of months) is, so the source answers."""
    root = tmp_path / "balance"
    shutil.copytree(rolled_root, root)
    path = root / "metrics" / "mrr.yml"
    path.write_text(path.read_text().replace("additivity: additive\n", ""))
    project = load_project(root)
    try:
        by_quarter = project.route("mrr", grain="quarter")
        assert by_quarter.rollups == () and "a balance" in by_quarter.reason
        by_month = project.route("mrr", by=["segment"])
        assert "a balance" not in by_month.reason
        source = project.query("mrr", grain="quarter", period_from="2025-Q1", period_to="2025-Q2", check=False)
    finally:
        project.close()
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:  # the contract's decisions by hand: paid subscription invoices of active recurring contracts
        hand = [
            con.execute(
                "select cast(round(sum(i.amount) * 100) as bigint) from raw_invoices as i"
                " join raw_contracts as c on c.contract_id = i.contract_id"
                " where i.type = 'subscription' and i.status = 'paid' and c.type = 'recurring'"
                " and c.status = 'active' and i.invoice_date >= ? and i.invoice_date < ?",
                [start, end],
            ).fetchone()[0]
            for start, end in (("2025-03-01", "2025-04-01"), ("2025-06-01", "2025-07-01"))
        ]
    finally:
        con.close()
    assert [r["mrr_cents"] for r in source.to_pylist()] == hand
