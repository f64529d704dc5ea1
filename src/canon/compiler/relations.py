"""Where each named source table physically lives (schema.table), per project and engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from canon.errors import QueryError, did_you_mean


@dataclass(frozen=True)
class Relations:
    """Maps the identifiers contracts use (`raw_invoices`) to physical tables."""

    tables: Mapping[str, exp.Table] = field(default_factory=dict)
    default_schema: str | None = None

    def get(self, name: str) -> exp.Table:
        found = self.tables.get(name)
        if found is not None:
            return found.copy()
        if self.tables and self.default_schema is None:
            hint = did_you_mean(name, self.tables)
            raise QueryError(f"unknown source table `{name}`", fix=hint or "declare it under `sources:` in canon.yml")
        return exp.table_(name, db=self.default_schema)

    @classmethod
    def from_names(cls, mapping: Mapping[str, str | None], default_schema: str | None) -> Relations:
        """Build from `name → "schema.table"` (None means `default_schema.name`)."""
        tables: dict[str, exp.Table] = {}
        for name, relation in mapping.items():
            if relation:
                parts = relation.split(".")
                tables[name] = exp.table_(parts[-1], db=parts[-2] if len(parts) > 1 else None)
            else:
                tables[name] = exp.table_(name, db=default_schema)
        return cls(tables, default_schema)
