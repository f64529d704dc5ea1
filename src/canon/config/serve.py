"""The `serve:` block of canon.yml: what the HTTP API may expose, to whom, and how fast.

Everything a request can name — a domain, a table, a column, a mart section — must first be
written here (or, for mart sections, in a contract's `mart.section`). That whitelist is the
only source of identifiers in the SQL the API runs; request values are always bound.

    serve:
      rate_limit: {rate: 20, burst: 40}        # per consumer token, requests per second
      consumers:                               # tokens read from the environment
        them_os: {token_env: THEM_OS_API_KEY}
      domains:
        growth:
          schema: growth
          tables:
            lead_intake:
              description: One row per form submission.
              primary_key: id
              date_column: createdAt
              columns:
                id: {description: "fsm_<UUIDv7>"}
                formData: {type: json}
            campaign_spend_daily:
              primary_key: id
              date_column: date
              columns: {spendCents: {type: bigint_string}}
      sections:                                # optional: contracts with mart.section suffice
        finance:
          schema: mart
          key: org_market_id                   # optional coordination key, filtered by `?key=`
          groupings:
            revenue_recognition: {table: revenue_recognition, period_column: reporting_period}
            pnl.pnl_summary:
              {table: pnl_summary, level_column: geography_grain, key_column: geography_key,
               levels: [org_market, organization, portfolio]}
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from canon.contracts.spec import Spec

ColumnType = Literal["string", "bigint_string", "number", "boolean", "datetime", "json"]
COLUMN_TYPES: tuple[str, ...] = ("string", "bigint_string", "number", "boolean", "datetime", "json")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _identifier(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"`{value}` is not a plain identifier (letters, digits, underscore)")
    return value


class ColumnConfig(Spec):
    """Per-column overrides; the type otherwise comes from the warehouse catalog."""

    type: ColumnType | None = Field(default=None, description="Manifest type; default from the engine's type.")
    description: str | None = None
    nullable: bool | None = Field(default=None, description="Default: the catalog's nullability (keys never null).")


class TableConfig(Spec):
    """One exposed table: its keyset cursor, its optional date filter, its columns."""

    relation: str | None = Field(
        default=None, description="Physical table name in the domain's schema; default: the key."
    )
    description: str = ""
    primary_key: str = Field(description="Unique, non-null column identifying a row.")
    cursor_column: str | None = Field(
        default=None, description="Column keyset pagination walks (default: the primary key)."
    )
    date_column: str | None = Field(default=None, description="Column `since`/`until` filter on; none: not filterable.")
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    exclude_columns: list[str] = Field(default_factory=list, description="Columns never served (e.g. PII).")

    _v_pk = field_validator("primary_key")(_identifier)

    @field_validator("relation", "cursor_column", "date_column")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        return None if value is None else _identifier(value)

    @property
    def cursor(self) -> str:
        return self.cursor_column or self.primary_key

    def keyset(self) -> tuple[str, ...]:
        """Columns of the keyset order: the cursor column, then the primary key as tie-breaker."""
        return (self.cursor,) if self.cursor == self.primary_key else (self.cursor, self.primary_key)


class DomainConfig(Spec):
    schema_: str = Field(alias="schema", description="Warehouse schema holding the domain's tables.")
    description: str = ""
    tables: dict[str, TableConfig] = Field(default_factory=dict)

    _v_schema = field_validator("schema_")(_identifier)

    @field_validator("tables")
    @classmethod
    def _table_names(cls, value: dict[str, TableConfig]) -> dict[str, TableConfig]:
        for name in value:
            _identifier(name)
            if name == "manifest":
                raise ValueError("`manifest` is the manifest's path segment and cannot name a table")
        return value


class GroupingConfig(Spec):
    """One grouping of a mart section, served from one table of the section's schema."""

    table: str
    period_column: str | None = Field(default=None, description="Column holding the period label.")
    period_grain: Literal["day", "week", "month", "quarter", "year"] = "month"
    level_column: str | None = Field(default=None, description="Column naming the rollup level of each row.")
    key_column: str | None = Field(default=None, description="Column holding the key at that level.")
    levels: list[str] = Field(
        default_factory=list, description="The values of `level_column`, finest first (what `grain` may ask for)."
    )

    @field_validator("table", "period_column", "level_column", "key_column")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        return None if value is None else _identifier(value)

    @model_validator(mode="after")
    def _levels_named(self) -> GroupingConfig:
        # without its levels a stored-levels table would be served with every level mixed together
        if self.level_column is not None and (self.key_column is None or not self.levels):
            raise ValueError("`level_column` needs `key_column` and `levels` (finest first)")
        return self


class SectionConfig(Spec):
    schema_: str = Field(default="mart", alias="schema")
    key: str | None = Field(
        default=None, description="Coordination key column (what contracts declare as `mart.key`); filterable by `key`."
    )
    groupings: dict[str, GroupingConfig] = Field(
        default_factory=dict, description="Dotted path in the response (`pnl.pnl_summary`) → its table."
    )

    @field_validator("key")
    @classmethod
    def _key_ident(cls, value: str | None) -> str | None:
        return None if value is None else _identifier(value)


class ConsumerConfig(Spec):
    token_env: str = Field(description="Environment variable holding this consumer's bearer token.")


class RateLimitConfig(Spec):
    rate: float = Field(default=20.0, ge=0, description="Sustained requests per second per token; 0 disables.")
    burst: int = Field(default=40, ge=1, description="Requests a token may make at once before it is throttled.")


class ServeConfig(Spec):
    domains: dict[str, DomainConfig] = Field(default_factory=dict)
    sections: dict[str, SectionConfig] = Field(default_factory=dict)
    consumers: dict[str, ConsumerConfig] = Field(default_factory=dict)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)

    @model_validator(mode="after")
    def _names(self) -> ServeConfig:
        for name in [*self.domains, *self.sections, *self.consumers]:
            _identifier(name)
        return self
