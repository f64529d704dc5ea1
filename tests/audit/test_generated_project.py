"""The generated dbt project (canon.examples.generated): real dbt builds it, and its ground truth
is self-consistent — each definition's figure from its own model equals the figure from its
ground-truth decision vector through a query written here, and the generator's Python figure.
"""

from __future__ import annotations

import json
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from canon.examples.generated.data import DOMAINS, month_bounds
from canon.examples.generated.project import TRUTH_FILE, generate_project
from tests.compiler.fixture import DDL

MONTHS = ("2026-09", "2026-10")
FK = {  # how a raw table reaches another many-to-one, as written by hand for this test
    ("raw_invoices", "raw_contracts"): "join raw_contracts on raw_contracts.contract_id = raw_invoices.contract_id",
    ("raw_invoices", "raw_accounts"): "join raw_accounts on raw_accounts.account_id = raw_invoices.account_id",
    ("raw_contracts", "raw_accounts"): "join raw_accounts on raw_accounts.account_id = raw_contracts.account_id",
    ("raw_payments", "raw_invoices"): "join raw_invoices on raw_invoices.invoice_id = raw_payments.invoice_id",
    ("raw_payments", "raw_accounts"): "join raw_accounts on raw_accounts.account_id = raw_payments.account_id",
}


def test_same_seed_same_project(tmp_path: Path) -> None:
    a = generate_project(tmp_path / "a", n_models=40, n_definitions=12, seed=1)
    b = generate_project(tmp_path / "b", n_models=40, n_definitions=12, seed=1)
    assert a == b
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    del files_a[Path("warehouse.duckdb")], files_b[Path("warehouse.duckdb")]
    assert files_a == files_b
    c = generate_project(tmp_path / "c", n_models=40, n_definitions=12, seed=2)
    assert c["definitions"] != a["definitions"]
    # regenerating in place replaces the generated parts; a foreign folder is refused
    generate_project(tmp_path / "a", n_models=30, n_definitions=12, seed=1)
    assert len(list((tmp_path / "a" / "models").rglob("*.sql"))) == 30
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate_project(tmp_path / "other")


@pytest.mark.slow
@pytest.mark.dbt
def test_ground_truth_shape(generated_dbt: tuple[Path, dict[str, Any]]) -> None:
    root, truth = generated_dbt
    assert json.loads((root / TRUTH_FILE).read_text()) == truth
    models = sorted(p.stem for p in (root / "models").rglob("*.sql"))
    assert len(models) == 40 and len(truth["definitions"]) == 12
    assert sorted([*truth["definitions"], *truth["decoys"]]) == models
    features = {f for d in truth["definitions"].values() for f in d["features"]}
    for needed in (
        "filter in JOIN ON",
        "CTE chain",
        "IN (SELECT …) semi-join",
        "EXISTS semi-join",
        "NOT IN anti-join",
        "CASE-based measure",
        "FILTER (WHERE …) measure",
        "upstream filter model",
        "validity range over a generated calendar",
        "annualized × 12",
        "÷ 12",
        "dimension slice",
        "boolean flag derived upstream",
        "Jinja loop",
        "rename-only upstream model",
    ):
        assert needed in features, needed
    styles = {d["period_output"]["kind"] for d in truth["definitions"].values()}
    assert styles == {"date", "text", "year_month"}  # date_trunc, strftime, EXTRACT
    kinds = set(truth["decoys"].values())
    assert {"passthrough", "count", "count_distinct", "filter_only"} <= kinds
    for name, d in truth["definitions"].items():
        assert (root / d["path"]).is_file(), name
        assert set(d["decisions"]) == {"measure", "time_basis", "filters"}
        assert d["decisions"]["measure"]["scale"] == float(Fraction(d["measure"]["scale_exact"]))
        for ref, values in {**d["filters"], **d["slices"]}.items():
            domain = DOMAINS[ref]
            assert values == sorted(values, key=lambda v: (str(type(v)), v)), (name, ref)
            assert set(values) < set(domain) and values, (name, ref)  # a real restriction of the domain
        assert d["figures"]["2026-10"] != 0, name


@pytest.mark.slow
@pytest.mark.dbt
def test_raw_tables_are_acme_shaped(generated_dbt: tuple[Path, dict[str, Any]]) -> None:
    root, _ = generated_dbt
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        for table, ddl in DDL.items():
            want = [tuple(part.strip().split(" ", 1)) for part in re.split(r",\s*(?![^()]*\))", ddl)]
            got = [
                (r[0], r[1])
                for r in con.execute(
                    "select column_name, data_type from duckdb_columns() where table_name = ? order by column_index",
                    [table],
                ).fetchall()
            ]
            assert got == [(n, t.replace(" ", "")) for n, t in want], table
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.dbt
def test_dbt_compiled_every_model(generated_dbt: tuple[Path, dict[str, Any]]) -> None:
    root, truth = generated_dbt
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert len(nodes) == 40 and all(n.get("compiled_code") for n in nodes.values())
    assert sorted(s["name"] for s in manifest["sources"].values()) == sorted(DDL)
    assert {e["name"] for e in manifest["exposures"].values()} >= {"board_deck", "pipeline_review"}
    assert "{{" not in nodes["fct_billings"]["compiled_code"]  # the Jinja loop was rendered by dbt
    # decoys aggregate no money: no SUM/AVG over an amount or value column anywhere in them
    for name, kind in truth["decoys"].items():
        tree = sqlglot.parse_one(nodes[name]["compiled_code"], read="duckdb")
        for agg in tree.find_all(exp.Sum, exp.Avg):
            cols = {c.name for c in agg.find_all(exp.Column)}
            assert not any("amount" in c or "value" in c for c in cols), (name, kind, agg.sql())


@pytest.mark.slow
@pytest.mark.dbt
def test_figures_agree_three_ways(generated_dbt: tuple[Path, dict[str, Any]]) -> None:
    """Model output == hand-written query from the decision vector == the generator's Python."""
    root, truth = generated_dbt
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        for name, d in truth["definitions"].items():
            for month in MONTHS:
                from_model = model_figure(con, name, d, month)
                from_vector = vector_figure(con, d, month)
                assert from_model == from_vector == d["figures"][month], (name, month)
        canonical = truth["canonical"]
        assert vector_figure(con, canonical, "2026-10") == canonical["figures"]["2026-10"] > 0
    finally:
        con.close()


def model_figure(con: duckdb.DuckDBPyConnection, name: str, d: dict[str, Any], month: str) -> int:
    po, out = d["period_output"], d["measure_output"]
    if po["kind"] == "date":
        where, args = f'cast("{po["column"]}" as date) = ?', [month_bounds(month)[0]]
    elif po["kind"] == "text":
        where, args = f'"{po["column"]}" = ?', [month]
    else:
        where, args = f'"{po["year"]}" = ? and "{po["month"]}" = ?', [int(month[:4]), int(month[5:])]
    (value,) = con.execute(f'select sum("{out}") * 100 from main."{name}" where {where}', args).fetchall()[0]
    return 0 if value is None else round(Fraction(str(value)))


def vector_figure(con: duckdb.DuckDBPyConnection, d: dict[str, Any], month: str) -> int:
    """The figure a decision vector defines, by a query written by hand for this test."""
    base, column = d["measure"]["column"].split(".")
    conds = {**d["filters"], **d["slices"]}
    tables = {ref.split(".")[0] for ref in [*conds, *d["time_basis"]]} - {base}
    joins, where, args = [], [], []
    if base == "raw_payments" and tables & {"raw_contracts"}:
        tables.add("raw_invoices")
    for t in sorted(tables, key=lambda t: ["raw_invoices", "raw_contracts", "raw_accounts", "raw_payments"].index(t)):
        if t == "raw_payments":
            continue
        joins.append(FK.get((base, t)) or FK[("raw_invoices", t)])
    for ref, values in conds.items():
        table = ref.split(".")[0]
        marks = ", ".join("?" for _ in values)
        if table == "raw_payments" and base != "raw_payments":
            where.append(
                f"exists (select 1 from raw_payments where raw_payments.invoice_id = raw_invoices.invoice_id "
                f"and {ref} in ({marks}))"
            )
        else:
            where.append(f"{ref} in ({marks})")
        args += values
    start, end = month_bounds(month)
    if len(d["time_basis"]) == 1:
        where.append(f"{d['time_basis'][0]} >= ? and {d['time_basis'][0]} < ?")
        args += [start, end]
    else:
        lo, hi = d["time_basis"]
        where.append(f"{lo} < ? and ({hi} is null or {hi} >= ?)")
        args += [end, start]
    sql = f"select cast(sum({base}.{column}) * 100 as bigint) from {base} {' '.join(joins)} where {' and '.join(where)}"
    (cents,) = con.execute(sql, args).fetchall()[0]
    scaled = Fraction(cents or 0) * Fraction(d["measure"]["scale_exact"])
    whole, rest = divmod(abs(scaled), 1)
    return (1 if scaled >= 0 else -1) * int(whole + (1 if rest >= Fraction(1, 2) else 0))


@pytest.mark.slow
@pytest.mark.dbt
def test_history_through_real_dbt_jinja(generated_dbt: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Lines of dbt's compiled SQL (a Jinja loop with whitespace control) blame the right raw lines."""
    from canon.audit.history import dig
    from canon.audit.sources import from_manifest
    from tests.audit.factories import definition
    from tests.audit.gitrepo import ALICE, commit, git

    root, _ = generated_dbt
    repo = tmp_path / "repo"
    shutil.copytree(root / "models", repo / "models")
    git(repo, "init", "-q", "-b", "main")
    files = {str(p.relative_to(repo)): p.read_text() for p in (repo / "models").rglob("*.sql")}
    sha = commit(repo, files, "Import the project (DATA-7)", ALICE, "2026-05-01T10:00:00+00:00")

    models = from_manifest(root / "target" / "manifest.json", repo)
    compiled = models.models["fct_billings"].sql.split("\n")
    raw = (repo / models.models["fct_billings"].path).read_text().split("\n")
    wanted = {
        "filter:raw_invoices.type": [
            i + 1 for i, line in enumerate(compiled) if line.strip() in ("'setup',", "'subscription'")
        ],
        "filter:raw_invoices.status": [i + 1 for i, line in enumerate(compiled) if "i.status != 'void'" in line],
    }
    assert all(wanted.values())
    d = definition("fct_billings", {k: [("fct_billings", n) for n in v] for k, v in wanted.items()})
    commits = {c.decision: c for c in dig(repo, models, d)}
    assert {c.sha for c in commits.values()} == {sha}
    assert commits["filter:raw_invoices.type"].tickets == ["DATA-7"]
    (type_line,) = commits["filter:raw_invoices.type"].lines  # both loop outputs come from one raw line
    assert "{{ t }}" in raw[type_line - 1]
    (status_line,) = commits["filter:raw_invoices.status"].lines
    assert "i.status != 'void'" in raw[status_line - 1]
    assert status_line != wanted["filter:raw_invoices.status"][0]  # dbt's whitespace control moved it
