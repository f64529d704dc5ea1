"""The two commands a user types on a corpus project, with no canon.yml and no contract.

Each project is copied fresh, built with dbt (dbt-duckdb; one on dbt-postgres too), then
`canon init` and `canon audit --metric <m> --period 2026-10 --format json` run through the
CLI. The report is checked against the hand-written `canon_truth.yml` (whose figures
test_corpus_truth.py proves by hand SQL), never against canon's own numbers:

* the audit runs (exit 0), whatever it recognizes;
* no model the truth says is not a definition is listed as one;
* every model figure the audit shows for 2026-10 equals the truth's cents for that model's
  definition (units: cents ÷ 100 shown in dollars is the same cents);
* every figure the audit marks reproduced equals the truth's cents: a ✓ is never wrong;
* at least the definitions found today are still found (a ratchet: raise it when the audit
  recognizes more, see bench/bench_corpus.py for the full scorecard).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from canon.dbt.runner import run_dbt
from canon.project import close_all
from tests.support.cli import run_cli
from tests.support.postgres import fresh_database

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("corpus")]

CORPUS = Path(__file__).parent
PERIOD = "2026-10"
# definitions (metric.id) the audit finds today, per project: the floor this test holds
FOUND_AT_LEAST = {
    "payments_cents": {
        "cash.cash_net_of_refunds",
        "cash.external_customer_cash_positive_only",
        "cash.lifetime_cash_of_known_customers",
        "revenue.billed_paid_invoices",
        "revenue.billed_paid_invoices_fanned_out",
    },
    "ecommerce_orders": {
        "revenue.gross_north_america_not_cancelled_utc",
        "revenue.net_sales_discount_per_line",
        # sums of several row sets: items less the order's discount, and less refunds by their month
        "revenue.net_revenue_shipped_local_month",
        "revenue.every_order_row_level",
        "revenue.net_after_refunds_by_return_month",
        "revenue.customer_lifetime_value",
    },
    "subscription_spine": {
        "arr.arr_twelve_times_mrr",
        "mrr.live_any_day_of_month",
        "mrr.paid_period_live_on_the_first",
        "mrr.net_of_adjustments",  # subscriptions plus adjustments, FULL-joined months
    },
    "billing_package": {
        "mrr.subscription_lines_spread_over_service_period",
        "revenue.invoice_header_totals_all_versions",
        "revenue.paid_invoice_lines_net_of_credit_notes",  # lines less credit notes of the invoice
    },
    "enterprise_warehouse": {
        "revenue.all_revenue_types_latest_version",
        "revenue.recurring_and_services_positive_lines",
        "revenue.average_monthly_revenue_per_account",  # AVG of per-account sums
    },
}


def truth_of(project: str) -> dict[str, Any]:
    return yaml.safe_load((CORPUS / project / "canon_truth.yml").read_text())


def definition_of(truth: dict[str, Any], metric: str) -> dict[str, str]:
    """model name (lower case) → definition id, for one metric."""
    return {m["name"].lower(): d["id"] for d in truth["metrics"][metric]["definitions"] for m in d["models"]}


def cents_of(truth: dict[str, Any], metric: str) -> dict[str, int]:
    """definition id → its truth cents for the period."""
    return {f["definition"]: f["cents"] for f in truth["metrics"][metric].get("figures") or [] if f["period"] == PERIOD}


def audited(root: Path, truth: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    init = run_cli(capsys, "init", str(root))
    assert init.code == 0, init.err
    reports = {}
    for metric in truth["metrics"]:
        run = run_cli(
            capsys, "audit", "--project", str(root), "--metric", metric, "--period", PERIOD, "--format", "json"
        )
        assert run.code in (0, 1), run.err  # 1: every candidate skipped, said in the headline
        reports[metric] = json.loads(run.out)
    close_all()
    return reports


def check(project: str, truth: dict[str, Any], reports: dict[str, dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for metric, report in reports.items():
        ids, cents = definition_of(truth, metric), cents_of(truth, metric)
        not_definitions = {n["model"].lower() for n in truth["metrics"][metric].get("not_a_definition") or []}
        models = {m["name"].lower(): m for d in truth["metrics"][metric]["definitions"] for m in d["models"]}
        for d in report["definitions"]:
            name = d["model"].lower()
            assert name not in not_definitions, f"{project}: {name} is not a definition of {metric}"
            ident = ids.get(name)
            if ident is None:
                continue
            found.add(f"{metric}.{ident}")
            expected = cents.get(ident)
            if expected is None or not isinstance(models[name]["period"], dict):
                continue
            if d["measure_output"].lower() == models[name]["output"].lower() and d["value_cents"] is not None:
                assert d["value_cents"] == expected, f"{project}: {name} shows {d['value_cents']} for {expected}"
            if d.get("comparable") and d.get("reproduced"):
                assert d["reproduced_cents"] == expected, f"{project}: {name} marked reproduced at a wrong figure"
    return found


@pytest.mark.parametrize("project", sorted(FOUND_AT_LEAST))
def test_init_then_audit_on_dbt_duckdb(
    project: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    root = Path(
        shutil.copytree(CORPUS / project, tmp_path / project, ignore=shutil.ignore_patterns("target", "*.duckdb"))
    )
    truth = truth_of(project)
    run_dbt(root, ["seed"])
    run_dbt(root, ["build"])
    found = check(project, truth, audited(root, truth, capsys))
    assert FOUND_AT_LEAST[project] <= found, f"{project}: no longer found {FOUND_AT_LEAST[project] - found}"


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


@pytest.mark.postgres
def test_init_then_audit_on_dbt_postgres(
    tmp_path: Path, pg_server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg.conninfo import conninfo_to_dict

    project = "payments_cents"
    info = conninfo_to_dict(fresh_database(pg_server, "canon_corpus_audit"))
    for key, var in (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("dbname", "DB")):
        monkeypatch.setenv(f"CANON_TEST_PG_{var}", str(info.get(key) or ""))
    monkeypatch.delenv("CANON_TEST_PG_PASSWORD", raising=False)
    if info.get("password"):
        monkeypatch.setenv("CANON_TEST_PG_PASSWORD", str(info["password"]))
    monkeypatch.delenv("DBT_TARGET", raising=False)
    root = Path(
        shutil.copytree(CORPUS / project, tmp_path / project, ignore=shutil.ignore_patterns("target", "*.duckdb"))
    )
    sources = root / "models" / "staging" / "_sources.yml"  # DuckDB's schema → the target's, as teams write it
    sources.write_text(sources.read_text().replace("schema: main", 'schema: "{{ target.schema }}"'))
    (root / "profiles.yml").write_text(POSTGRES_PROFILE)
    monkeypatch.setenv("DBT_PROFILES_DIR", str(root))
    truth = truth_of(project)
    run_dbt(root, ["seed"], profiles_dir=root)
    # two of its models are DuckDB SQL (generate_series over dates, strftime): PostgreSQL cannot build
    # them or what reads them; the audit must still run, list those as rows and map the rest
    duckdb_only = ["dim_calendar+", "stg_app__payment_attempts+"]
    run_dbt(root, ["build", "--exclude", *duckdb_only], profiles_dir=root)
    found = check(project, truth, audited(root, truth, capsys))
    assert {"revenue.billed_paid_invoices"} <= found
