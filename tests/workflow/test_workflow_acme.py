"""propose → approve → build → verify on ACME, and every failure path: unapproved build, edited
after sign-off, drift, baseline change. Expected figures come from SQL written here."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from ruamel.yaml import YAML

from canon.dbt import run_dbt
from tests.support.cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.dbt, pytest.mark.xdist_group("acme_workflow")]


def _oct(root: Path, sql: str) -> int:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    value = con.execute(sql).fetchone()[0]
    con.close()
    return round((value or 0) * 100)


PENDING_SQL = """
select sum(i.amount) from raw_invoices i join raw_contracts c using (contract_id)
where i.type = 'subscription' and i.status = 'pending' and c.type = 'recurring' and c.status = 'active'
  and i.invoice_date >= date '2026-10-01' and i.invoice_date < date '2026-11-01'
"""


def test_full_path_and_failure_paths(acme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = ["-p", str(acme)]
    # an unapproved contract is not built
    res = run_cli(capsys, "build", "mrr", *p)
    assert res.code == 2 and "not approved" in res.err and "canon approve mrr" in res.err

    # propose: cited, scored, priced
    res = run_cli(capsys, "propose", "mrr", "-f", "json", *p)
    assert res.code == 0, res.err
    proposal = json.loads(res.out)
    assert proposal["value_cents"] == 126_000_000
    assert proposal["closest_model"] == "fct_revenue_monthly"
    calls = {c["key"]: c for c in proposal["judgment_calls"]}
    assert calls["pending"]["options"][0]["impact_cents"] == _oct(acme, PENDING_SQL)
    assert {"expansion", "pilots", "pending"} <= set(calls)
    notes = {n["key"]: n for n in proposal["decision_notes"]}
    assert any("Stripe" in c["source"] for c in notes["filter:raw_contracts.type"]["supported_by"])
    contract = YAML(typ="safe").load((acme / "metrics" / "mrr.yml").read_text())
    assert contract["status"] == "proposed"
    assert contract["composition"]["filters"]["raw_contracts.type"] == {
        "admit": ["recurring"],
        "exclude": ["one-time", "pilot"],
    }

    # approve: who, role, when, decisions, hash
    res = run_cli(
        capsys,
        "approve",
        "mrr",
        "--by",
        "Dana Whitfield",
        "--role",
        "CFO",
        "--decide",
        "pending=no",
        "--decide",
        "expansion=no",
        *p,
    )
    assert res.code == 0, res.err
    signed = YAML(typ="safe").load((acme / "metrics" / "mrr.yml").read_text())
    assert signed["status"] == "approved" and signed["signoff"]["by"] == "Dana Whitfield"
    assert signed["signoff"]["definition_hash"].startswith("sha256:")
    bad = run_cli(capsys, "approve", "mrr", "--by", "X", "--role", "Y", "--decide", "pendng=no", *p)
    assert bad.code == 2 and "did you mean `pending`?" in bad.err

    # build, twice: the second run changes nothing; edits outside canon's blocks survive
    res = run_cli(capsys, "build", "mrr", "--rewire", "fct_revenue_monthly", *p)
    assert res.code == 0, res.err
    canonical = acme / "models" / "marts" / "fct_mrr_canonical.sql"
    text = canonical.read_text()
    assert "is_pilot" in text and "is_recurring" in text and "recognition_month" in text
    canonical.write_text(text + "-- reviewed by the data team\n")
    res = run_cli(capsys, "build", "mrr", "--rewire", "fct_revenue_monthly", *p)
    assert res.code == 0 and "wrote" not in res.out, res.out
    assert canonical.read_text().endswith("-- reviewed by the data team\n")
    assert (
        (acme / "models" / "marts" / "fct_arr_by_account.sql")
        .read_text()
        .startswith("-- canon:begin deprecation\n-- DEPRECATED: use fct_mrr_canonical")
    )
    for name in ("assert_mrr_no_pilots", "assert_mrr_no_one_time"):
        assert (acme / "tests" / f"{name}.sql").exists()
    assert list((acme / "tests").glob("assert_mrr_matches_*.sql"))

    # the files canon wrote pass real dbt parse and build
    run_dbt(acme, ["parse"])
    run_dbt(acme, ["build"])

    # verify: board number, tests, drift all green
    assert run_cli(capsys, "baseline", *p).code == 0
    res = run_cli(capsys, "verify", "--expect", "mrr=1260000.00", "-f", "json", *p)
    assert res.code == 0, res.out + res.err
    report = json.loads(res.out)
    assert report["board"]["mrr"]["value_cents"] == 126_000_000
    assert {c["check"] for c in report["checks"]} >= {
        "sign-off",
        "dbt build",
        "contract tests",
        "board number",
        "baseline",
        "drift",
    }

    # a rogue fourth MRR model fails the drift guard
    rogue = acme / "models" / "marts" / "fct_mrr_ops.sql"
    rogue.write_text(
        "select date_trunc('month', invoice_date) as month, sum(amount) as mrr\n"
        "from {{ ref('stg_invoices') }} where type = 'subscription' group by 1\n"
    )
    res = run_cli(capsys, "verify", "--no-dbt", *p)
    assert res.code == 1 and "MRR is defined 2 ways across 3 models" in res.err + res.out and "fct_mrr_ops" in res.out
    rogue.unlink()

    # a changed number in a past period fails the baseline check
    con = duckdb.connect(str(acme / "warehouse.duckdb"))
    con.execute(
        "update raw_invoices set amount = amount + 100 where invoice_id = (select min(i.invoice_id) "
        "from raw_invoices i join raw_contracts c using (contract_id) "
        "where i.type = 'subscription' and i.status = 'paid' "
        "and c.type = 'recurring' and c.status = 'active' and i.invoice_date < date '2026-01-01')"
    )
    con.close()
    res = run_cli(capsys, "verify", "--no-dbt", *p)
    assert res.code == 1 and "baseline" in res.err and "+$100.00" in res.out

    # editing the definition after sign-off: verify fails, build refuses
    path = acme / "metrics" / "mrr.yml"
    path.write_text(path.read_text().replace("admit: [paid]", "admit: [paid, pending]"))
    res = run_cli(capsys, "verify", "--no-dbt", *p)
    assert res.code == 1 and "edited after sign-off" in res.out
    res = run_cli(capsys, "build", "mrr", *p)
    assert res.code == 2 and "edited after Dana Whitfield (CFO) signed it" in res.err
