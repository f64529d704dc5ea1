"""What each MCP tool returns: compact, typed results an agent can read and a person can check.

Every figure is integer cents (`*_cents`) beside its formatted text (`$1,260,000.00`), never a
float. Each result carries `summary`, one paragraph in words, which is also the text content of
the tool result; the structured content is the whole model (published as the tool's output
schema, so a client validates it).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class View(BaseModel):
    summary: str = Field(description="The result in one paragraph of words.")


class MetricItem(BaseModel):
    name: str
    label: str
    status: str = Field(description="draft, proposed, approved, authoritative or deprecated.")
    owner: str | None
    kind: str = Field(description="declarative, sql or derived.")
    value_kind: str = Field(description="money (cents), count, ratio or bps.")
    signed: bool = Field(description="A sign-off exists and matches the contract as it is now.")
    description: str


class MetricList(View):
    current_period: str | None
    metrics: list[MetricItem]


class MetricDescription(View):
    name: str
    label: str
    description: str
    owner: str | None
    status: str
    kind: str
    contract_file: str
    definition_hash: str
    grain: dict[str, Any]
    dimensions: list[str]
    decisions: dict[str, Any] | None = Field(description="The decision vector of a declarative contract.")
    sql: str | None = Field(description="The SQL of a SQL-composed contract.")
    signoff: dict[str, Any] | None


class Step(BaseModel):
    decision: str = Field(description="Decision key: time_basis, measure, filter:<table.column>, …")
    label: str
    impact_cents: int
    impact: str


class DefinitionItem(BaseModel):
    model: str
    path: str
    value_cents: int | None = Field(description="The model's own figure for the period (None: not priced).")
    value: str
    gap_cents: int | None = Field(description="Model figure minus the canonical figure.")
    gap: str
    reproduced: bool = Field(description="Its decisions, recompiled by canon, give its figure to the cent.")
    usage: str
    bridge: list[Step] = Field(description="One decision at a time from this model to the canonical figure.")


class DecisionPoint(BaseModel):
    decision: str = Field(description="Key to pass to explain_decision.")
    canonical: str
    models: dict[str, str] = Field(description="What each model decides here.")
    diverging: list[str] = Field(description="Models deciding otherwise than the canonical definition.")
    flags: list[str] = Field(description="Red flags in the history of this decision (no ticket, author inactive).")


class CommitItem(BaseModel):
    model: str
    decision: str
    sha: str
    author: str
    date: str
    subject: str
    tickets: list[str]
    flags: list[str]
    file: str
    lines: list[int]


class UsageItem(BaseModel):
    model: str
    queries_per_month: float
    last_queried: str | None
    by_team: dict[str, float]


class AuditView(View):
    metric: str
    label: str
    period: str
    headline: str
    mode: str = Field(description="warehouse, or static (nothing priced).")
    canonical_cents: int | None
    canonical: str
    definitions: list[DefinitionItem]
    decision_points: list[DecisionPoint]
    history: list[CommitItem]
    usage: list[UsageItem]
    failed: list[str]
    notes: list[str]


class SqlLine(BaseModel):
    file: str
    line: int
    text: str


class ModelDecision(BaseModel):
    model: str
    says: str
    same_as_canonical: bool | None
    impact_cents: int | None = Field(description="This decision's step on the model's bridge to the canonical figure.")
    impact: str
    sql: list[SqlLine]
    fragments: list[str] = Field(description="The conditions and expressions as the audit read them.")
    commits: list[CommitItem]


class DecisionExplanation(View):
    metric: str
    period: str
    decision: str
    canonical: str
    models: list[ModelDecision]


class CallOption(BaseModel):
    label: str
    impact_cents: int
    impact: str
    adopted_by: list[str]


class JudgmentCallItem(BaseModel):
    key: str
    question: str
    note: str
    options: list[CallOption]


class ModelChange(BaseModel):
    model: str
    value_cents: int
    value: str
    gap_cents: int
    gap: str
    agreeing_decisions: int
    decisions: int
    changes: list[str]


class PrecedentNote(BaseModel):
    key: str
    summary: str
    supported_by: list[str]
    dissent: list[str]


class ProposalView(View):
    metric: str
    label: str
    period: str
    value_cents: int
    value: str
    definition: str
    decisions: dict[str, Any]
    precedent: list[PrecedentNote]
    closest_model: str | None
    models: list[ModelChange]
    judgment_calls: list[JudgmentCallItem]


class SignoffRequestView(View):
    id: str = Field(description="The request id the person passes to `canon approve METRIC --proposal ID`.")
    metric: str
    period: str
    value_cents: int
    value: str
    definition_hash: str = Field(description="What the person signs: the contract once the decisions are applied.")
    base_hash: str = Field(description="The contract as it stands; any edit makes the request stale.")
    decisions: dict[str, str]
    outcome: dict[str, str]
    approve_command: str
    written: list[str] = Field(description="Files this call wrote, relative to the project.")


class RequestItem(BaseModel):
    id: str
    state: str = Field(description="pending, signed or stale.")
    requested_by: str
    requested_at: str
    definition_hash: str


class SignoffStatusView(View):
    metric: str
    status: str
    definition_hash: str
    signed: bool
    buildable: bool
    signoff: dict[str, Any] | None
    requests: list[RequestItem]
    next_step: str


class BuildView(View):
    metric: str
    canonical_model: str
    written: list[str] = Field(description="Every file this build wrote, relative to the project.")
    unchanged: list[str]
    deprecated: list[str]
    rewired: list[str]


class CheckItem(BaseModel):
    check: str
    passed: bool
    detail: str
    items: list[str]


class BoardFigure(BaseModel):
    metric: str
    period: str
    value_cents: int | None
    value: str


class VerifyView(View):
    passed: bool
    board: list[BoardFigure]
    checks: list[CheckItem]


class QueryView(View):
    metrics: list[str]
    grain: str
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description="Money columns as `<name>_cents` plus `<name>` formatted.")
    truncated: bool


class SqlView(View):
    dialect: str
    sql: str
