"""`canon init` on a corpus project nobody here wrote, then queries through the dbt adapter.

The corpus project `payments_cents` (no canon.yml) is copied, built with real dbt, and
`canon init` runs on it through the CLI. The written canon.yml is checked against what the
project declares, its current_period against a DuckDB query over the seed files themselves,
and a question compiled from that canon.yml returns the same rows through the dbt adapter as
through canon's native engine — on dbt-duckdb and on dbt-postgres (a throwaway server).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from canon.dbt.runner import run_dbt
from canon.engines.duckdb import DuckDBEngine
from canon.engines.postgres import PostgresEngine
from canon.project import close_all, load_project
from tests.support.cli import run_cli
from tests.support.postgres import fresh_database

pytestmark = [pytest.mark.slow, pytest.mark.dbt]

CORPUS = Path(__file__).parents[1] / "corpus" / "payments_cents"

CASH = """\
name: cash
label: Cash collected
owner: finance
status: draft
dimensions:
  country: {column: app_customers.country}
composition:
  type: declarative
  measure: {column: app_payment_attempts.amount, aggregation: sum, scale: 1}
  time_basis: {column: app_payment_attempts.attempted_at}
  filters:
    app_payment_attempts.outcome: [succeeded]
"""

POSTGRES_PROFILE = """\
payments_wh:
  target: pg
  outputs:
    pg:
      type: postgres
      host: "{{ env_var('CANON_TEST_PG_HOST') }}"
      port: "{{ env_var('CANON_TEST_PG_PORT') | as_number }}"
      user: "{{ env_var('CANON_TEST_PG_USER') }}"
      password: "{{ env_var('CANON_TEST_PG_PASSWORD', '') }}"
      dbname: "{{ env_var('CANON_TEST_PG_DB') }}"
      schema: public
      threads: 1
"""


def expected_period(seeds: Path, today: dt.date) -> str:
    """The last complete month, from the seed CSVs (every timestamp column the seeds declare)."""
    con = duckdb.connect()
    latest = con.execute(
        "SELECT max(d) FROM ("
        f" SELECT CAST(issued_at AS DATE) d FROM read_csv('{seeds / 'app_invoices.csv'}')"
        f" UNION ALL SELECT CAST(attempted_at AS DATE) FROM read_csv('{seeds / 'app_payment_attempts.csv'}')"
        f") WHERE d <= DATE '{today.isoformat()}'"
    ).fetchone()[0]
    month = latest.replace(day=1)
    if (month.year, month.month) == (today.year, today.month):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month.strftime("%Y-%m")


def sorted_rows(table: Any) -> list[tuple[Any, ...]]:
    rows = [
        tuple(Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r.values())
        for r in table.to_pylist()
    ]
    return sorted(rows, key=repr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "payments_cents"
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("canon_truth.yml", "target", "*.duckdb"))
    return root


def check_canon_yml(root: Path, today: dt.date) -> dict[str, Any]:
    doc = yaml.safe_load((root / "canon.yml").read_text())
    assert doc["name"] == "payments_cents"
    assert "warehouse" not in doc and "dbt" not in doc  # no second copy of the connection
    assert {name: src["primary_key"] for name, src in doc["sources"].items()} == {
        "app_customers": ["customer_id"],
        "app_invoices": ["invoice_id"],
        "app_invoice_lines": ["line_id"],
        "app_payment_attempts": ["attempt_id"],
    }
    assert sorted((r["from"], r["to"]) for r in doc["relationships"]) == [
        ("app_invoice_lines.invoice_id", "app_invoices.invoice_id"),
        ("app_invoices.customer_id", "app_customers.customer_id"),
        ("app_payment_attempts.invoice_id", "app_invoices.invoice_id"),
    ]
    assert doc["current_period"] == expected_period(root / "seeds", today)
    assert ".canon/" in (root / ".gitignore").read_text().splitlines()
    return doc


def test_init_on_dbt_duckdb_then_same_rows_through_the_adapter(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    run_dbt(project, ["seed"])
    run_dbt(project, ["build"])
    result = run_cli(capsys, "init", str(project))
    assert result.code == 0, result.err
    assert "payments_wh" in result.out and "current_period" in result.out
    check_canon_yml(project, dt.date.today())
    # `dbt build` left a fresh target/manifest.json: read, not parsed again (see the test below)
    assert "target/manifest.json" in result.out and not (project / ".canon" / "dbt-parse").exists()

    again = run_cli(capsys, "init", str(project))
    assert again.code == 2 and "--force" in again.err

    (project / "metrics").mkdir()
    (project / "metrics" / "cash.yml").write_text(CASH)
    through_dbt = load_project(project)
    assert through_dbt.engine.name == "dbt" and through_dbt.engine.dialect == "duckdb"
    via_adapter = through_dbt.query("cash", by=["country"], period_from="2026-01", period_to="2026-10")
    through_dbt.close()
    native = load_project(project, engine=DuckDBEngine(project / "warehouse.duckdb", read_only=True))
    via_native = native.query("cash", by=["country"], period_from="2026-01", period_to="2026-10")
    native.close()
    close_all()
    assert via_adapter.num_rows > 10
    assert via_adapter.column_names == via_native.column_names
    assert sorted_rows(via_adapter) == sorted_rows(via_native)
    # money stays exact: integer cents as integers, never floats
    values = via_adapter.column(via_adapter.column_names[-1]).to_pylist()
    assert via_adapter.column_names[-1] == "cash_cents"
    assert all(isinstance(v, int) for v in values if v is not None)


@pytest.mark.postgres
def test_init_on_dbt_postgres_then_same_rows_through_the_adapter(
    project: Path, pg_server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg.conninfo import conninfo_to_dict

    dsn = fresh_database(pg_server, "canon_dbt_adapter")
    info = conninfo_to_dict(dsn)
    for key, var in (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("dbname", "DB")):
        monkeypatch.setenv(f"CANON_TEST_PG_{var}", str(info.get(key) or ""))
    monkeypatch.delenv("CANON_TEST_PG_PASSWORD", raising=False)
    if info.get("password"):
        monkeypatch.setenv("CANON_TEST_PG_PASSWORD", str(info["password"]))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    # The corpus hard-codes DuckDB's schema for its sources; on PostgreSQL the seeds land in the
    # target's schema, so the sources say so the way dbt projects usually do.
    sources = project / "models" / "staging" / "_sources.yml"
    sources.write_text(sources.read_text().replace("schema: main", 'schema: "{{ target.schema }}"'))
    conf = project / "conf"
    conf.mkdir()
    (conf / "profiles.yml").write_text(POSTGRES_PROFILE)
    run_dbt(project, ["seed"], profiles_dir=conf)

    result = run_cli(capsys, "init", str(project), "--profiles-dir", str(conf), "--target", "pg")
    assert result.code == 0, result.err
    doc = yaml.safe_load((project / "canon.yml").read_text())
    assert doc["dbt"] == {"profiles_dir": "conf", "target": "pg"}  # which profile, not its contents
    assert "current_period" in doc, result.out
    assert doc["current_period"] == expected_period(project / "seeds", dt.date.today())
    assert doc["sources"]["app_invoices"]["relation"] == "public.app_invoices"

    (project / "metrics").mkdir()
    (project / "metrics" / "cash.yml").write_text(CASH)
    through_dbt = load_project(project)
    assert through_dbt.engine.dialect == "postgres"
    adapter_columns = through_dbt.engine.columns("app_invoices")
    assert "app_invoices" in through_dbt.engine.tables()
    via_adapter = through_dbt.query("cash", by=["country"], period_from="2026-01", period_to="2026-10")
    through_dbt.close()
    native = load_project(project, engine=PostgresEngine(dsn, schema="public"))
    assert adapter_columns == native.engine.columns("app_invoices")
    via_native = native.query("cash", by=["country"], period_from="2026-01", period_to="2026-10")
    native.close()
    assert via_adapter.num_rows > 10
    assert sorted_rows(via_adapter) == sorted_rows(via_native)


def _stamps(folder: Path) -> dict[str, tuple[float, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def test_init_reads_a_fresh_manifest_or_parses_from_the_users_last_parse_never_parsing_macros_twice(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The speed of `canon init` (issue 11: < 10 s on 500 models) without a different canon.yml:
    a manifest `dbt build` just wrote is read instead of parsing the project again; otherwise
    canon's parse starts from the user's saved parse; either way the adapter's catalog queries
    use macros dbt already parsed (`ManifestLoader.load_macros` would parse ~600 again)."""
    from dbt.parser.manifest import ManifestLoader

    from canon.dbtproject import init_dbt_project

    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    run_dbt(project, ["seed"])
    run_dbt(project, ["build"])
    users_target = _stamps(project / "target")

    def no_second_macro_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("dbt's macros parsed a second time")

    monkeypatch.setattr(ManifestLoader, "load_macros", classmethod(no_second_macro_parse))
    today = dt.date.today()
    read = init_dbt_project(project, today=today)
    assert read.manifest.startswith("target/manifest.json") and read.warnings == []
    assert not (project / ".canon" / "dbt-parse").exists()  # no dbt parse ran
    assert read.period.period == expected_period(project / "seeds", today)
    from_manifest = (project / "canon.yml").read_text()

    model = next((project / "models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n")  # saved after the manifest: it no longer says what dbt would parse
    parsed = init_dbt_project(project, today=today, force=True)
    assert parsed.manifest.startswith("dbt parse")
    assert (project / ".canon" / "dbt-parse" / "partial_parse.msgpack").is_file()
    assert (project / "canon.yml").read_text() == from_manifest  # the same canon.yml either way
    assert _stamps(project / "target") == users_target  # the user's target/ only read
