"""Static mode: definitions and decision points from SQL alone, no warehouse, nothing priced.

The Snowflake models of tests/audit/dialect_models/snowflake are audited with a canon.yml whose
DuckDB file does not exist: nothing may open (or create) it, admitted values come from the
literals of the SQL, and a condition over values nobody read (`<> 'setup'`) stays a condition
marked unknown instead of becoming a guessed set.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from canon.audit.report.html import render_html
from canon.audit.report.markdown import render_markdown
from canon.audit.report.terminal import render_text
from canon.project import load_project
from tests.support.cli import run_cli

SNOWFLAKE = Path(__file__).parent / "dialect_models" / "snowflake"
PENDING = """\
SELECT DATE_TRUNC('MONTH', INV.INVOICE_DATE) AS MONTH_START, SUM(INV.AMOUNT) AS MRR
FROM RAW_INVOICES INV
WHERE INV.STATUS IN ('paid', 'pending') AND INV.TYPE <> 'setup'
GROUP BY 1
"""


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """canon.yml naming a DuckDB file that does not exist, and a folder of Snowflake SQL."""
    (tmp_path / "canon.yml").write_text(
        'name: st\nwarehouse: {engine: duckdb, path: nowhere.duckdb}\ncurrent_period: "2026-10"\n'
    )
    sql = tmp_path / "sql"
    shutil.copytree(SNOWFLAKE, sql)
    (sql / "sf_pending.sql").write_text(PENDING)
    return tmp_path


def _filters(result: dict[str, object], model: str) -> dict[str, list[object]]:
    for d in result["definitions"]:  # type: ignore[attr-defined]
        if d["model"] == model:
            return dict(d["decisions"]["filters"])
    raise AssertionError(f"{model} is not a definition: {result}")


def test_static_audit_maps_definitions_from_literals_without_figures(root: Path) -> None:
    project = load_project(root)
    result = project.audit("mrr", sql_dir=root / "sql", dialect="snowflake", static=True, with_history=False)
    project.close()
    data = json.loads(json.dumps(result.to_json(), default=str))
    assert data["mode"] == "static" and data["static_reason"] is None
    # no contract: NET_CASH is named for cash, so it is listed as such, not as a definition of MRR
    assert {d["model"] for d in data["definitions"]} == {"sf_board", "sf_pending"}
    assert "measures cash" in dict((s["model"], s["reason"]) for s in data["skipped"])["sf_cash"]
    assert _filters(data, "sf_board") == {"raw_invoices.status": ["paid"], "raw_invoices.type": ["subscription"]}
    cash = load_project(root).audit("cash", sql_dir=root / "sql", dialect="snowflake", static=True, with_history=False)
    cash_data = json.loads(json.dumps(cash.to_json(), default=str))
    assert [d["model"] for d in cash_data["definitions"]] == ["sf_cash"]
    # IFF(refunded, 0, amount): the amount counts when refunded is false or NULL (boolean domain is closed)
    assert _filters(cash_data, "sf_cash") == {"raw_payments.refunded": [None, False]}
    for d in data["definitions"]:
        assert d["value_cents"] is None and d["reproduced_cents"] is None and d["residual_cents"] is None
        assert d["reproduced"] is False and d["bridge"] == []
        assert d["decisions"]["measure"]["column"].endswith(".amount")
    assert "nothing priced" in data["headline"]
    assert not (root / "nowhere.duckdb").exists()  # no warehouse was opened, none was created


def test_open_condition_is_unknown_and_divergence_has_no_dollars(root: Path) -> None:
    project = load_project(root)
    result = project.audit("mrr", sql_dir=root / "sql", dialect="snowflake", static=True, with_history=False)
    project.close()
    pending = next(d for d in result.definitions if d.model == "sf_pending")
    board = next(d for d in result.definitions if d.model == "sf_board")
    assert dict(pending.vector.filters) == {_ref("raw_invoices.status"): frozenset({"paid", "pending"})}
    # `<> 'setup'` over a domain nobody read: a condition, said to be unknown, never a guessed set
    assert any("setup" in p for p in pending.vector.predicates)
    assert any("all values but {'setup'}" in u.reason and "unknown" in u.reason for u in pending.unmapped)
    assert not pending.vector.same_definition(board.vector)
    assert result.diverges()
    assert "2 ways across 2 models" in result.headline()
    for text in (render_text(result, width=200), render_markdown(result), render_html(result)):
        assert "not priced (static)" in text
        shown = re.sub(r"<script.*?</script>", "", text, flags=re.S)  # plotly's own code aside
        assert re.search(r"\$\s?\d", shown) is None  # no dollar figure anywhere


def test_missing_duckdb_file_falls_back_to_static(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(
        capsys,
        "audit",
        "--metric",
        "mrr",
        "--sql-dir",
        str(root / "sql"),
        "--dialect",
        "snowflake",
        "--format",
        "json",
        "--project",
        str(root),
    )
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["mode"] == "static"
    assert "nowhere.duckdb does not exist" in data["static_reason"]
    assert "static: the warehouse could not be reached (the DuckDB file" in data["headline"]
    assert all(d["value_cents"] is None for d in data["definitions"])
    assert not (root / "nowhere.duckdb").exists()


def test_static_flag_on_the_command_line(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(
        capsys, "audit", "-m", "mrr", "--sql-dir", str(root / "sql"), "--dialect", "snowflake", "--static",
        "--project", str(root),
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "static: decisions read from SQL alone, nothing priced" in " ".join(run.out.replace("│", "").split())
    assert "not priced (static)" in run.out


def _ref(text: str) -> object:
    from canon.contracts.refs import ColumnRef

    table, column = text.split(".")
    return ColumnRef(table, column)


def test_a_declared_accepted_values_domain_closes_an_open_condition() -> None:
    """`<> 'pilot'` is unknown without data, and exact once the project declares the column's values."""
    from sqlglot import exp, parse_one

    from canon.audit.static import StaticDomains
    from canon.contracts.refs import ColumnRef

    ref = ColumnRef("raw_contracts", "contract_type")
    cond = parse_one("raw_contracts.contract_type <> 'pilot'")

    def match(node: exp.Expr) -> bool:
        return isinstance(node, exp.Column) and node.name == "contract_type"

    assert StaticDomains().admitted(ref, cond, match) is None
    declared = StaticDomains(declared={("raw_contracts", "contract_type"): ("new", "renewal", "pilot")})
    assert declared.admitted(ref, cond, match) == {"new", "renewal"}


def test_accepted_values_tests_of_sources_and_seeds_are_read_from_the_manifest(tmp_path: Path) -> None:
    from canon.audit.sources import from_manifest

    def test_node(column: str, values: list[str], parent: str, where: str | None = None) -> dict[str, object]:
        return {
            "resource_type": "test",
            "column_name": column,
            "test_metadata": {"name": "accepted_values", "kwargs": {"column_name": column, "values": values}},
            "depends_on": {"nodes": [parent]},
            "config": {"where": where},
        }

    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "sources": {
            "source.p.erp.contracts": {"name": "contracts", "identifier": "RAW_CONTRACTS", "source_name": "erp"}
        },
        "nodes": {
            "seed.p.raw_invoices": {"resource_type": "seed", "name": "raw_invoices"},
            "test.p.a": test_node("contract_type", ["new", "pilot"], "source.p.erp.contracts"),
            "test.p.b": test_node("invoice_type", ["credit", "setup"], "seed.p.raw_invoices"),
            "test.p.c": test_node("status", ["paid"], "seed.p.raw_invoices", where="year > 2020"),  # a subset
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    models = from_manifest(path, tmp_path)
    assert models.accepted_values == {
        ("raw_contracts", "contract_type"): ("new", "pilot"),
        ("raw_invoices", "invoice_type"): ("credit", "setup"),
    }
