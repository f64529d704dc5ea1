"""Act one of the demo: the three teams' MRRs for the current month next to the canonical one.

Each figure is written here by hand as SQL over the warehouse dbt built (not through canon's
compiler), so the story's first table is an independent witness of the board number.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlglot
from rich.console import Console
from rich.table import Table
from sqlglot import exp

from canon.config import load_config
from canon.engines.from_config import open_warehouse
from canon.errors import Location, UserError
from canon.examples.acme.calendar import CURRENT, Timeline


@dataclass(frozen=True)
class TeamModel:
    """Where a team's number lives: a model, its money column and its month column."""

    team: str
    model: str
    money: str
    month: str
    basis: str


TEAM_MODELS = (
    TeamModel("Finance", "fct_revenue_monthly", "revenue", "revenue_month", "invoiced, all types"),
    TeamModel("Sales", "fct_arr_by_account", "mrr", "arr_month", "contracted ÷ 12"),
    TeamModel("Marketing", "fct_marketing_revenue", "revenue", "payment_month", "cash, net refunds"),
)


@dataclass(frozen=True)
class Figures:
    period: str
    teams: tuple[tuple[TeamModel, Decimal], ...]
    canonical: Decimal


def month_filter(col: exp.Column, period: str) -> exp.Condition:
    """`col >= first day AND col < first day of next month`, as a syntax tree."""
    first = Timeline.parse(period, parameter="current_period").month_start(CURRENT)
    following = _next_month(first)
    return exp.and_(
        col >= exp.cast(exp.Literal.string(first.isoformat()), exp.DataType.build("date")),
        col < exp.cast(exp.Literal.string(following.isoformat()), exp.DataType.build("date")),
    )


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def team_query(model: TeamModel, period: str, schema: str) -> exp.Select:
    return (
        sqlglot.select(exp.func("sum", exp.column(model.money)).as_("amount"))
        .from_(exp.table_(model.model, db=schema))
        .where(month_filter(exp.column(model.month), period))
    )


def canonical_query(period: str, schema: str) -> exp.Select:
    """Canonical MRR, written by hand: paid subscription invoices of active recurring contracts."""
    invoice, contract = "i", "c"
    return (
        sqlglot.select(exp.func("sum", exp.column("amount", invoice)).as_("amount"))
        .from_(exp.table_("raw_invoices", db=schema, alias=invoice))
        .join(
            exp.table_("raw_contracts", db=schema, alias=contract),
            on=exp.column("contract_id", invoice).eq(exp.column("contract_id", contract)),
        )
        .where(
            exp.and_(
                exp.column("type", invoice).eq(exp.Literal.string("subscription")),
                exp.column("status", invoice).eq(exp.Literal.string("paid")),
                exp.column("type", contract).eq(exp.Literal.string("recurring")),
                exp.column("status", contract).eq(exp.Literal.string("active")),
                month_filter(exp.column("invoice_date", invoice), period),
            )
        )
    )


def figures(folder: Path) -> Figures:
    """The three team numbers and the canonical one for the project's current period."""
    config = load_config(folder)
    period = config.current_period
    if not period:
        raise UserError("canon.yml has no current_period", location=Location(file="canon.yml", field="current_period"))
    schema = config.warehouse.schema_ or "main"
    with open_warehouse(folder, config.warehouse, read_only=True) as engine, warnings.catch_warnings():
        # DuckDB 2 warns that DB-API results are copied into Arrow; harmless for a handful of rows.
        warnings.simplefilter("ignore", UserWarning)
        teams = tuple((model, _money(engine.scalar(team_query(model, period, schema)))) for model in TEAM_MODELS)
        canonical = _money(engine.scalar(canonical_query(period, schema)))
    return Figures(period, teams, canonical)


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def _short(amount: Decimal) -> str:
    return f"${amount / Decimal(1_000_000):.2f}M"


def headline(result: Figures) -> str:
    said = ", ".join(f"{model.team} says {_short(amount)}" for model, amount in result.teams)
    return (
        f"{said}. The board number for {result.period} — canonical MRR, paid subscription invoices "
        f"of active recurring contracts — is ${result.canonical:,.2f}."
    )


def render(result: Figures, console: Console) -> None:
    table = Table(title=f"MRR for {result.period}: three teams, three numbers")
    table.add_column("Team", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column(result.period, justify="right", no_wrap=True)
    table.add_column("gap", justify="right", no_wrap=True)
    for model, amount in result.teams:
        delta = amount - result.canonical
        table.add_row(f"{model.team}\n[dim]{model.basis}[/]", model.model, f"${amount:,.2f}", f"{delta:+,.2f}")
    table.add_section()
    table.add_row(
        "[bold]Canonical MRR[/]\n[dim]accrual, recurring[/]",
        "metrics/mrr.yml",
        f"[bold]${result.canonical:,.2f}[/]",
        "",
    )
    console.print(table)
    console.print(headline(result))
