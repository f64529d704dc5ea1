"""dbt model text from a sqlglot tree: `{{ ref() }}` and `{{ source() }}` calls in the rendered SQL.

A dbt model is SQL with Jinja in its table positions. canon builds the SQL as a tree with
placeholder tables (`ref_table`, `source_table`), renders it for the dialect, then swaps each
placeholder for its Jinja call — the only text handling, on names canon chose itself. Used by
`canon build` (the canonical model, rewired team models) and by the generated example project.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

PLACEHOLDER = "__canon_src__"
REF = "__canon_ref__"


def ref_table(model: str, alias: str | None = None) -> exp.Table:
    """A table standing for `{{ ref('model') }}` until the SQL is rendered for dbt."""
    from sqlglot import exp

    table = exp.table_(f"{REF}{model}")
    if alias:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return table


def source_table(ident: str) -> exp.Table:
    """A table standing for the `{{ source(...) }}` call `source_refs[ident]` names."""
    from sqlglot import exp

    return exp.table_(f"{PLACEHOLDER}{ident}")


def jinja_sources(sql: str, source_refs: dict[str, tuple[str, str]]) -> str:
    """Turn placeholder tables into dbt `source()` and `ref()` calls."""

    def swap(m: re.Match[str]) -> str:
        source, table = source_refs[m.group(1)]
        return "{{ source('" + source + "', '" + table + "') }}"

    sql = re.sub(rf'"?{PLACEHOLDER}(\w+)"?', swap, sql)
    return re.sub(rf'"?{REF}(\w+)"?', lambda m: "{{ ref('" + m.group(1) + "') }}", sql)


def model_sql(query: exp.Expression, dialect: str, source_refs: dict[str, tuple[str, str]] | None = None) -> str:
    """The text of a dbt model: `query` rendered as people read it (identifiers as built), Jinja swapped in."""
    from canon.engines.render import render

    return jinja_sources(render(query, dialect, pretty=True, identify=False), source_refs or {})
