"""A package-style variant of the generated dbt project: deep CTE chains, Jinja columns, var() toggles.

    generate_package_project(DEST, n_models=500, n_package=200, cte_depth=40, seed=1)

The base project (`generate_project`, its 20 definitions, decoys and ground truth) is written
with `n_models - n_package` models; then `n_package` models in the style of a vendor dbt package
are added under models/package/:

* `pkg_stg_invoices`: a staging model whose columns come from a Jinja `{% for %}` loop and whose
  credit handling is a `var()` toggle;
* chains: every third model a `cte_depth`-level CTE chain, each step re-selecting the columns
  through a Jinja loop and deriving one (signed amount, month, flags), ending in a monthly SUM
  whose admitted statuses are a `var()` toggle;
* pivots: Jinja-generated `SUM(CASE WHEN type = '...')` columns per invoice type, by month;
* stacked: a model reading an earlier package model (lineage across models as well as CTEs).

These models are for speed and memory (issue 11, "Never hang"): they are not scored and are
listed in ground_truth.json under `package_models`, not as definitions. Same seed, same files.
"""

# ruff: noqa: S608  (dbt model files are Jinja text by nature)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlglot import exp

from canon.dbt.model_sql import model_sql, ref_table
from canon.examples.generated.models import CONFIG_VIEW, DIALECT
from canon.examples.generated.project import TRUTH_FILE, generate_project

COLS = ["invoice_id", "account_id", "contract_id", "invoice_date", "amount", "type", "status"]
TYPES = ["subscription", "setup", "services", "credit"]
VARS = """\
vars:
  pkg_include_pending: false
  pkg_net_of_credits: true
  pkg_invoice_columns: [invoice_id, account_id, contract_id, invoice_date, amount, type, status]
"""

STAGING = """\
{{ config(materialized='view') }}
-- package staging: columns from the package's variable, credits signed by a toggle
select
{%- for c in var('pkg_invoice_columns') if c != 'amount' %}
    {{ c }},
{%- endfor %}
{%- if var('pkg_net_of_credits') %}
    case when type = 'credit' then -amount else amount end as amount
{%- else %}
    amount
{%- endif %}
from {{ source('raw', 'raw_invoices') }}
"""


def _loop(columns: list[str], indent: str = "        ") -> str:
    """A Jinja loop re-selecting `columns` (a comma after each, the caller adds what follows)."""
    return f"{indent}{{%- for c in {columns!r} %}}\n{indent}{{{{ c }}}},\n{indent}{{%- endfor %}}"


def chain_model(i: int, depth: int, upstream: str) -> str:
    """A `depth`-level CTE chain over `upstream`, ending in a monthly sum of amount."""
    base = [c for c in COLS if c != "amount"]
    lines = [
        "{{ config(materialized='view') }}",
        "with step_0 as (",
        f"    select * from {{{{ ref('{upstream}') }}}}",
        ")",
    ]
    for k in range(1, depth):
        kind = (i + k) % 4
        if kind == 0:
            derived = "amount * 1.0 as amount"
        elif kind == 1:
            derived = "amount"
        elif kind == 2:
            derived = "coalesce(amount, 0) as amount"
        else:
            derived = "amount + 0 as amount"
        where = "\n    where invoice_id is not null" if k % 10 == 0 else ""
        lines += [
            f", step_{k} as (",
            "    select",
            _loop(base),
            f"        {derived}",
            f"    from step_{k - 1}{where}",
            ")",
        ]
    lines += [
        "select",
        "    date_trunc('month', invoice_date) as period_start,",
        "    sum(amount) as mrr_amount",
        f"from step_{depth - 1}",
        "where type = 'subscription'",
        "{%- if var('pkg_include_pending') %}",
        "  and status in ('paid', 'pending')",
        "{%- else %}",
        "  and status = 'paid'",
        "{%- endif %}",
        "group by 1",
    ]
    return "\n".join(lines) + "\n"


def pivot_model(upstream: str) -> str:
    return (
        "{{ config(materialized='view') }}\n"
        "select\n"
        "    date_trunc('month', invoice_date) as invoice_month,\n"
        f"{{%- for t in {TYPES!r} %}}\n"
        "    sum(case when type = '{{ t }}' then amount else 0 end) as {{ t }}_amount"
        "{{ ',' if not loop.last }}\n"
        "{%- endfor %}\n"
        f"from {{{{ ref('{upstream}') }}}}\n"
        "where status = 'paid'\n"
        "group by 1\n"
    )


def stacked_model(upstream: str, value: str) -> str:
    """`with monthly as (select * from ref(upstream)) select * from monthly where value is not null`."""
    monthly = exp.select("*").from_(ref_table(upstream))
    query = (
        exp.select("*")
        .with_("monthly", as_=monthly)
        .from_("monthly")
        .where(exp.Not(this=exp.Is(this=exp.column(value), expression=exp.null())))
    )
    return CONFIG_VIEW + model_sql(query, DIALECT) + "\n"


def generate_package_project(
    dest: Path, n_models: int = 500, n_package: int = 200, cte_depth: int = 40, seed: int = 1
) -> dict[str, Any]:
    """Write the base project with `n_models - n_package` models, then the package-style ones."""
    if n_package < 2 or cte_depth < 2:
        raise ValueError("n_package and cte_depth must be at least 2")
    ground = generate_project(dest, n_models=n_models - n_package, n_definitions=20, seed=seed)
    folder = dest / "models" / "package"
    folder.mkdir(parents=True, exist_ok=True)
    models: dict[str, str] = {"pkg_stg_invoices": STAGING}
    chains: list[str] = []
    pivots: list[str] = []
    for i in range(n_package - 1):
        kind = i % 3
        if kind == 0:
            name = f"pkg_invoice_chain_{i:03d}"
            models[name] = chain_model(i, cte_depth, "pkg_stg_invoices")
            chains.append(name)
        elif kind == 1:
            name = f"pkg_invoice_pivot_{i:03d}"
            models[name] = pivot_model("pkg_stg_invoices")
            pivots.append(name)
        else:
            name = f"pkg_stacked_{i:03d}"
            if i % 2:
                models[name] = stacked_model(pivots[-1], "subscription_amount")
            else:
                models[name] = stacked_model(chains[-1], "mrr_amount")
    for name, sql in models.items():
        (folder / f"{name}.sql").write_text(sql)
    project_yml = dest / "dbt_project.yml"
    project_yml.write_text(project_yml.read_text() + VARS)
    ground["n_models"] = n_models
    ground["package_models"] = sorted(models)
    ground["cte_depth"] = cte_depth
    (dest / TRUTH_FILE).write_text(json.dumps(ground, indent=2, sort_keys=True) + "\n")
    return ground
