"""A project whose dbt tests declare no `relationships` still gets its audit (issue 11, item 6).

`canon init` on such a project writes a canon.yml with no relationships, so a contract filtering
on a second table has no join path on the project's graph. That must not end the audit with
exit 2: the contract's figure is computed through the join a model's own SQL makes (a JOIN ON
whose one side is checked unique by a query), and said in a note; when no model makes the join,
the note says the contract did not compile and every model is still listed. A model whose join
cannot be read as many-to-one is a definition whose figures are "not comparable", with its reason.

Figures (2026-10, paid orders; hand-computed from the seeds below):
  order 13: customer 1 (north) 12.00 · order 14: customer 3 (north) 30.00 · order 15: customer 2 (south) 4.00
  all paid            = 12.00 + 30.00 + 4.00 = 46.00  → 4600 cents
  north paid          = 12.00 + 30.00        = 42.00  → 4200 cents  (the contract's figure)
  vip (notes fan out) = 12.00 × 2 notes      = 24.00  → 2400 cents  (customer 1 has two `vip` rows: a fan-out)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from canon.dbt.runner import run_dbt
from canon.project import close_all
from tests.support.cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.dbt]

FILES = {
    "dbt_project.yml": """\
name: shop_no_tests
version: "1.0.0"
config-version: 2
profile: shop_no_tests
model-paths: ["models"]
seed-paths: ["seeds"]
models:
  shop_no_tests:
    +materialized: view
seeds:
  shop_no_tests:
    orders:
      +column_types: {ordered_at: date, amount: "decimal(12,2)"}
""",
    "profiles.yml": """\
shop_no_tests:
  target: local
  outputs:
    local:
      type: duckdb
      path: warehouse.duckdb
      schema: main
      threads: 1
""",
    "seeds/customers.csv": "customer_id,region\n1,north\n2,south\n3,north\n",
    "seeds/customer_notes.csv": "customer_id,flag\n1,vip\n1,vip\n3,churn_risk\n",
    "seeds/orders.csv": """\
order_id,customer_id,ordered_at,status,amount
10,1,2026-09-03,paid,10.00
11,2,2026-09-10,paid,25.00
12,3,2026-10-15,refunded,7.00
13,1,2026-10-02,paid,12.00
14,3,2026-10-20,paid,30.00
15,2,2026-10-21,paid,4.00
16,1,2026-11-02,paid,9.99
""",
    # joins two seeds; nothing in the project says orders.customer_id → customers.customer_id
    "models/north_revenue.sql": """\
select
    date_trunc('month', o.ordered_at) as revenue_month,
    sum(o.amount) as revenue
from {{ ref('orders') }} o
join {{ ref('customers') }} c on o.customer_id = c.customer_id
where c.region = 'north' and o.status = 'paid'
group by 1
""",
    "models/all_revenue.sql": """\
select date_trunc('month', ordered_at) as revenue_month, sum(amount) as revenue
from {{ ref('orders') }}
where status = 'paid'
group by 1
""",
    # a join neither side of which is unique: no many-to-one edge can be read from it
    "models/vip_revenue.sql": """\
select
    date_trunc('month', o.ordered_at) as revenue_month,
    sum(o.amount) as revenue
from {{ ref('orders') }} o
join {{ ref('customer_notes') }} n on o.customer_id = n.customer_id
where n.flag = 'vip' and o.status = 'paid'
group by 1
""",
    "metrics/revenue.yml": """\
name: revenue
label: Revenue
owner: finance
status: draft
composition:
  type: declarative
  measure: {column: orders.amount, aggregation: sum, scale: 1}
  time_basis: {column: orders.ordered_at}
  filters:
    orders.status: [paid]
    customers.region: [north]
""",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("no_tests") / "shop_no_tests"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    run_dbt(root, ["seed"])
    return root


def audit(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(capsys, "audit", "--metric", "revenue", "--period", "2026-10", "--format", "json", *extra)
    close_all()
    assert result.code != 2, result.err
    return result.code, json.loads(result.out)


def test_init_then_audit_with_no_relationships_lists_every_model(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    assert run_cli(capsys, "init", str(shop)).code == 0
    assert "relationships" not in yaml.safe_load((shop / "canon.yml").read_text())  # no dbt test declares one
    monkeypatch.chdir(shop)
    code, report = audit(capsys, shop)
    assert code == 0
    by_model = {d["model"]: d for d in report["definitions"]}
    assert set(by_model) == {"all_revenue", "north_revenue", "vip_revenue"} and report["failed"] == []

    # the contract's figure, joined as north_revenue's SQL joins, and the note saying so
    assert report["canonical"]["value_cents"] == 4200
    assert any("orders.customer_id → customers.customer_id" in n and "relationships:" in n for n in report["notes"])
    # the model's own inferred join reproduces it
    north = by_model["north_revenue"]
    assert (north["value_cents"], north["reproduced_cents"], north["not_comparable_reason"]) == (4200, 4200, None)
    assert (by_model["all_revenue"]["value_cents"], by_model["all_revenue"]["reproduced_cents"]) == (4600, 4600)
    # a join unique on neither side is no edge but a fan-out: its own decision, and it reproduces
    vip = by_model["vip_revenue"]
    assert (vip["value_cents"], vip["reproduced_cents"], vip["not_comparable_reason"]) == (2400, 2400, None)
    assert any(r.startswith("fan-out") and "customer_notes" in r for r in vip["decisions"]["row_decisions"])


def test_a_contract_no_model_can_join_is_a_note_and_the_models_are_still_audited(
    shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    if not (shop / "canon.yml").exists():
        assert run_cli(capsys, "init", str(shop)).code == 0
    monkeypatch.chdir(shop)
    code, report = audit(capsys, shop, "--select", "all_revenue")
    assert code == 0
    assert [d["model"] for d in report["definitions"]] == ["all_revenue"]
    assert report["canonical"]["value_cents"] is None
    assert any("does not compile" in n and "no join path from `orders` to `customers`" in n for n in report["notes"])
    assert report["definitions"][0]["value_cents"] == 4600
