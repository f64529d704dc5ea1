"""Response models: the OpenAPI schema consumers code against (and schemathesis checks).

Hot endpoints build their JSON directly (orjson over encoded columns) and use these models
only to publish the shape; the schemathesis test proves the two agree.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ManifestColumn(BaseModel):
    name: str = Field(description="Column name exactly as served (casing is opaque: camelCase or snake_case).")
    type: Literal["string", "bigint_string", "number", "boolean", "datetime", "json"]
    nullable: bool
    description: str | None = None


class ManifestTable(BaseModel):
    table: str
    description: str
    primary_key: str
    cursor_column: str
    date_column: str | None = Field(description="Column `since`/`until` filter on; null: not filterable.")
    columns: list[ManifestColumn]


class Manifest(BaseModel):
    generated_at: str = Field(description="ISO 8601 UTC with milliseconds, e.g. 2026-05-12T20:00:00.000Z.")
    domain: str
    api_version: int
    max_page_size: int
    default_page_size: int
    tables: list[ManifestTable]


class Page(BaseModel):
    table: str
    row_count: int = Field(description="Rows in this page.")
    rows: list[dict[str, Any]] = Field(description="Rows keyed by the manifest's column names.")
    next_cursor: str | None = Field(description="Opaque; pass as `cursor` for the next page. Null on the last page.")
    has_more: bool
    served_at: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class MartSection(BaseModel):
    section: str
    as_of: str | None = Field(description="Refresh point of the materialized mart (UTC).")
    filters: dict[str, str | None]
    groupings: dict[str, Any] = Field(description="Grouping rows, nested as the manifests name them.")


class SignOffInfo(BaseModel):
    by: str
    role: str
    at: str
    definition_hash: str
    valid: bool = Field(description="The signed hash still matches the contract's definition.")


class CurrentValue(BaseModel):
    period: str
    kind: Literal["money", "count", "ratio", "bps"]
    value: int | float | None = Field(description="Integer cents for money; the number otherwise.")
    formatted: str | None


class DecisionPoint(BaseModel):
    decision: str
    choice: str


class MetricSummary(BaseModel):
    name: str
    label: str
    description: str
    owner: str
    status: str
    version: int
    signoff: SignOffInfo | None
    approved: bool
    definition_hash: str
    composition: Literal["declarative", "sql", "derived"]
    definition: str = Field(description="The definition in plain words.")
    decisions: dict[str, Any] | None = Field(description="Decision vector (declarative contracts).")
    decision_points: list[DecisionPoint]
    dimensions: list[str]
    grain: str
    served_by: str | None
    current_value: CurrentValue | None
    current_value_note: str | None = None
    current_value_as_of: str | None = Field(None, description="When `current_value` was computed (UTC).")


class MetricCatalog(BaseModel):
    current_period: str | None
    metrics: list[MetricSummary]
    as_of: str | None = Field(None, description="When these values were computed from the warehouse (UTC).")
    max_age_seconds: float | None = Field(
        None,
        description="How long the values are reused at most. A new warehouse version (a load or mart build "
        "publishing a DuckDB file) clears them at once; on PostgreSQL they may trail a load by this long.",
    )


class MetricQueryResult(BaseModel):
    metric: str
    grain: str
    by: list[str]
    period_from: str | None
    period_to: str | None
    value_column: str
    compare: str | None = None
    window: str | None = None
    row_count: int
    rows: list[dict[str, Any]]
