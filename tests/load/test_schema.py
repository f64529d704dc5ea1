"""Reading the declared schema: both dbt test spellings, canon.yml keys, and bad declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from canon.config import ProjectConfig
from canon.errors import UserError
from canon.load.schema import declared_schema
from tests.load.conftest import Project, shop_schema


def _rules(root: Path) -> dict[str, tuple]:
    schema = declared_schema(root, None)
    return {
        name: (
            t.schema,
            t.unique_keys,
            [(c.name, c.type, c.not_null, c.accepted_values) for c in t.columns],
            [(f.column, f.parent_source, f.parent_column) for f in t.foreign_keys],
        )
        for name, t in schema.tables.items()
    }


def test_new_and_old_test_spellings_declare_the_same_rules(tmp_path: Path) -> None:
    new, old = Project(tmp_path / "new"), Project(tmp_path / "old")
    new.write_yaml(shop_schema("new"))
    old.write_yaml(shop_schema("old"))
    assert (new.root / "models/staging/src_shop.yml").read_text().count("arguments:") == 3
    assert "arguments:" not in (old.root / "models/staging/src_shop.yml").read_text()
    rules = _rules(new.root)
    assert rules == _rules(old.root)
    schema_name, keys, columns, fks = rules["orders"]
    assert schema_name == "main"
    assert keys == [("order_id",)]
    assert [(c[0], c[2], c[3]) for c in columns] == [
        ("order_id", True, None),
        ("customer_id", True, None),
        ("ordered_at", False, None),
        ("amount", True, None),
        ("status", True, ("paid", "pending", "void")),
        ("qty", False, None),
    ]
    assert columns[3][1].family == "decimal" and (columns[3][1].precision, columns[3][1].scale) == (12, 2)
    assert fks == [("customer_id", ("shop", "customers"), "customer_id")]


def test_source_schema_defaults_to_the_source_name_like_dbt(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.write_yaml(shop_schema("new", source_schema=None))
    assert declared_schema(p.root, None).tables["orders"].schema == "shop"


def test_warn_disabled_and_where_tests_are_not_enforced_but_listed(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.write_yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "s",
                    "tables": [
                        {
                            "name": "t",
                            "columns": [
                                {"name": "a", "data_tests": [{"unique": {"config": {"severity": "warn"}}}]},
                                {"name": "b", "tests": [{"not_null": {"config": {"where": "b > 0"}}}]},
                                {"name": "c", "data_tests": [{"not_null": {"config": {"enabled": False}}}]},
                                {"name": "d", "data_tests": [{"dbt_expectations.expect_x": {}}, "not_null"]},
                            ],
                            "data_tests": [
                                {
                                    "dbt_utils.unique_combination_of_columns": {
                                        "arguments": {"combination_of_columns": ["a", "b"]}
                                    }
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    )
    t = declared_schema(p.root, None).tables["t"]
    assert t.unique_keys == [("a", "b")]
    assert [c.not_null for c in t.columns] == [False, False, False, True]
    assert t.unenforced == [
        "unique on `a` (severity: warn)",
        "not_null on `b` (restricted by `where:`)",
        "not_null on `c` (disabled)",
    ]


def test_canon_yml_primary_key_is_a_uniqueness_rule_and_implies_not_null(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.write_yaml(shop_schema("new"))
    config = ProjectConfig.model_validate(
        {
            "name": "x",
            "sources": {
                "customers": {"primary_key": ["customer_id", "tier"]},
                "events": {"primary_key": ["id"]},
            },
        }
    )
    schema = declared_schema(p.root, config)
    customers = schema.tables["customers"]
    assert customers.unique_keys[0] == ("customer_id", "tier")
    assert customers.column("tier") is not None and customers.column("tier").not_null  # type: ignore[union-attr]
    events = schema.tables["events"]
    assert events.columns == [] and events.primary_key == ("id",) and events.unique_keys == [("id",)]


def test_unknown_data_type_names_file_line_and_fix(tmp_path: Path) -> None:
    p = Project(tmp_path)
    doc = shop_schema("new")
    doc["sources"][0]["tables"][0]["columns"][2]["data_type"] = "geography"
    path = p.write_yaml(doc)
    with pytest.raises(UserError) as info:
        declared_schema(p.root, None)
    text = info.value.render()
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if "geography" in ln)
    assert f"models/staging/src_shop.yml:{line}" in text
    assert "data_type `geography` cannot be loaded" in text and "Fix:" in text


def test_relationship_to_something_that_is_not_source_or_ref_is_rejected(tmp_path: Path) -> None:
    p = Project(tmp_path)
    doc = shop_schema("new")
    doc["sources"][0]["tables"][1]["columns"][1]["data_tests"][1]["relationships"]["arguments"]["to"] = "customers"
    p.write_yaml(doc)
    with pytest.raises(UserError, match=r"neither source\('…', '…'\) nor ref\('…'\)"):
        declared_schema(p.root, None)
