"""Raw tables, keys and edges read from what dbt parsed: tests and constraints."""

from __future__ import annotations

from typing import Any

from canon.dbtproject.manifest import Edge, read_raw_schema


def source(name: str, identifier: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "unique_id": f"source.p.app.{name}",
        "resource_type": "source",
        "source_name": "app",
        "name": name,
        "identifier": identifier or name,
        "schema": "raw",
        "database": "wh",
        **extra,
    }


def node(kind: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "unique_id": f"{kind}.p.{name}",
        "resource_type": kind,
        "name": name,
        "alias": name,
        "schema": "main",
        "database": "wh",
        **extra,
    }


def dbt_test(name: str, kwargs: dict[str, Any], attached: str | None = None, **config: Any) -> dict[str, Any]:
    return {
        "unique_id": f"test.p.{name}_{kwargs.get('column_name')}_{id(kwargs)}",
        "resource_type": "test",
        "name": name,
        "attached_node": attached,
        "test_metadata": {"name": name, "kwargs": kwargs},
        "config": {"enabled": True, **config},
    }


def manifest(sources: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sources": {s["unique_id"]: s for s in sources}, "nodes": {n["unique_id"]: n for n in nodes}}


SRC_ACCOUNTS = "{{ get_where_subquery(source('app', 'accounts')) }}"
SRC_INVOICES = "{{ get_where_subquery(source('app', 'invoices')) }}"


def test_keys_from_unique_and_not_null_and_edges_from_relationships() -> None:
    m = manifest(
        [source("accounts", "raw_accounts"), source("invoices", "raw_invoices")],
        [
            dbt_test("unique", {"column_name": "account_id", "model": SRC_ACCOUNTS}),
            dbt_test("not_null", {"column_name": "account_id", "model": SRC_ACCOUNTS}),
            dbt_test("unique", {"column_name": "invoice_id", "model": SRC_INVOICES}),  # unique only: no key
            dbt_test(
                "relationships",
                {
                    "column_name": "account_id",
                    "model": SRC_INVOICES,
                    "to": "source('app', 'accounts')",
                    "field": "account_id",
                },
            ),
        ],
    )
    schema = read_raw_schema(m)
    assert sorted(schema.tables) == ["raw_accounts", "raw_invoices"]
    assert schema.tables["raw_accounts"].key() == ["account_id"]
    assert schema.tables["raw_invoices"].key() == []
    assert schema.tables["raw_accounts"].relation == "raw.raw_accounts"
    assert schema.edges == [Edge("raw_invoices", "account_id", "raw_accounts", "account_id", "relationships test")]


def test_seeds_are_raw_tables_and_a_seed_declared_as_a_source_is_one_table() -> None:
    seed = node("seed", "app_plans", schema="raw")
    m = manifest(
        [source("plans", "app_plans")],
        [
            seed,
            node("model", "fct"),
            dbt_test(
                "unique",
                {"column_name": "plan_id", "model": "{{ get_where_subquery(ref('app_plans')) }}"},
                seed["unique_id"],
            ),
            dbt_test("not_null", {"column_name": "plan_id"}, "source.p.app.plans"),
        ],
    )
    schema = read_raw_schema(m)
    assert list(schema.tables) == ["app_plans"]  # the model is not raw
    plans = schema.tables["app_plans"]
    assert plans.kind == "seed"
    assert plans.key() == ["plan_id"]  # unique through the seed, not_null through the source


def test_an_edge_to_a_column_not_declared_unique_is_left_out_and_said() -> None:
    m = manifest(
        [source("accounts"), source("invoices")],
        [
            dbt_test(
                "relationships",
                {
                    "column_name": "account_id",
                    "model": SRC_INVOICES,
                    "to": "source('app', 'accounts')",
                    "field": "account_id",
                },
            )
        ],
    )
    schema = read_raw_schema(m)
    assert schema.edges == []
    assert len(schema.skipped) == 1 and "accounts.account_id is not declared unique" in schema.skipped[0]


def test_edges_between_models_are_not_raw_edges() -> None:
    m = manifest(
        [],
        [
            node("model", "fct"),
            node("model", "dim"),
            dbt_test("unique", {"column_name": "id"}, "model.p.dim"),
            dbt_test("relationships", {"column_name": "dim_id", "to": "ref('dim')", "field": "id"}, "model.p.fct"),
        ],
    )
    assert read_raw_schema(m).edges == []


def test_constraints_give_keys_and_foreign_keys() -> None:
    plans = node(
        "seed",
        "plans",
        columns={"plan_id": {"constraints": [{"type": "primary_key"}]}},
    )
    subs = node(
        "seed",
        "subscriptions",
        constraints=[{"type": "primary_key", "columns": ["sub_id", "version"]}],
        columns={
            "plan_id": {"constraints": [{"type": "foreign_key", "to": "ref('plans')", "to_columns": ["plan_id"]}]},
            "owner_id": {"constraints": [{"type": "foreign_key", "expression": "main.owners (owner_id)"}]},
        },
    )
    owners = node("seed", "owners", columns={"owner_id": {"constraints": [{"type": "unique"}, {"type": "not_null"}]}})
    schema = read_raw_schema(manifest([], [plans, subs, owners]))
    assert schema.tables["plans"].key() == ["plan_id"]
    assert schema.tables["subscriptions"].key() == ["sub_id", "version"]
    assert schema.tables["owners"].key() == ["owner_id"]
    assert schema.edges == [
        Edge("subscriptions", "owner_id", "owners", "owner_id", "foreign key constraint"),
        Edge("subscriptions", "plan_id", "plans", "plan_id", "foreign key constraint"),
    ]


def test_disabled_tests_and_composite_unique_tests() -> None:
    m = manifest(
        [source("lines")],
        [
            dbt_test(
                "unique_combination_of_columns",
                {"combination_of_columns": ["invoice_id", "line_no"], "model": "{{ source('app', 'lines') }}"},
            ),
            dbt_test("unique", {"column_name": "x", "model": "{{ source('app', 'lines') }}"}, enabled=False),
            dbt_test("not_null", {"column_name": "x", "model": "{{ source('app', 'lines') }}"}),
        ],
    )
    table = read_raw_schema(m).tables["lines"]
    assert table.key() == ["invoice_id", "line_no"]
    assert "x" not in table.unique


def test_a_manifest_is_reused_only_for_the_target_it_was_written_for() -> None:
    from types import SimpleNamespace

    from canon.dbtproject import _written_for

    dev: Any = SimpleNamespace(adapter_type="duckdb", database="wh", schema="main")
    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {n["unique_id"]: n for n in (node("model", "m"), node("seed", "s", schema="main_seeds"))},
    }
    assert _written_for(manifest, dev)  # a custom schema is the target's schema + suffix
    assert not _written_for(manifest, SimpleNamespace(adapter_type="duckdb", database="wh", schema="prod"))
    assert not _written_for(manifest, SimpleNamespace(adapter_type="duckdb", database="other", schema="main"))
    assert not _written_for({**manifest, "metadata": {"adapter_type": "postgres"}}, dev)
    assert not _written_for({**manifest, "nodes": {}}, dev)  # nothing to tell the target by
