"""What a load did, per table: rows read, loaded, quarantined by reason, values normalized.

The report is plain data (for the Python API and tests) with a Rich rendering for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Example:
    line: int
    value: str | None
    detail: str | None


@dataclass
class ReasonCount:
    column: str | None
    reason: str
    count: int
    examples: list[Example] = field(default_factory=list)


@dataclass
class TableReport:
    table: str  # declared name
    relation: str  # schema.table in the warehouse
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: list[ReasonCount] = field(default_factory=list)
    normalized: dict[str, int] = field(default_factory=dict)  # column → values re-spelled
    unenforced: list[str] = field(default_factory=list)
    rows_before: int | None = None  # rows the table held before this load (None: no table yet)
    refused: list[str] = field(default_factory=list)  # why this table may not be replaced

    def count(self, reason: str, column: str | None = None) -> int:
        return sum(r.count for r in self.reasons if r.reason == reason and (column is None or r.column == column))


@dataclass
class LoadReport:
    load_id: str
    engine: str
    warehouse: str
    quarantine_table: str
    tables: list[TableReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # declared tables with no file
    notes: list[str] = field(default_factory=list)
    accepted: bool = True  # False: refused, nothing was written but the refused quarantine records

    @property
    def refusals(self) -> list[str]:
        return [f"{t.relation}: {why}" for t in self.tables for why in t.refused]

    @property
    def quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables)

    def table(self, name: str) -> TableReport:
        return next(t for t in self.tables if name in (t.table, t.relation))

    def render(self, console: Console) -> None:
        summary = Table(title=f"canon load → {self.warehouse} ({self.engine})", title_justify="left")
        for col, justify in (
            ("table", "left"),
            ("file", "left"),
            ("read", "right"),
            ("loaded", "right"),
            ("quarantined", "right"),
        ):
            summary.add_column(col, justify=justify)  # type: ignore[arg-type]
        for t in self.tables:
            q = Text(f"{t.rows_quarantined:,}", style="bold red" if t.rows_quarantined else "green")
            summary.add_row(t.relation, t.file, f"{t.rows_read:,}", f"{t.rows_loaded:,}", q)
        console.print(summary)
        for t in self.tables:
            lines: list[Text] = []
            for r in t.reasons:
                where = f"{r.column}: " if r.column else ""
                lines.append(Text(f"  {where}{r.reason} × {r.count:,}", style="red"))
                for ex in r.examples:
                    value = f" `{ex.value}`" if ex.value is not None else ""
                    detail = f" — {ex.detail}" if ex.detail else ""
                    lines.append(Text(f"      line {ex.line}:{value}{detail}", style="dim"))
            for col, n in t.normalized.items():
                if n:
                    lines.append(Text(f"  {col}: {n:,} value(s) normalized (trimmed/case-folded)", style="yellow"))
            for rule in t.unenforced:
                lines.append(Text(f"  not enforced at load: {rule}", style="dim"))
            if lines:
                console.print(Group(Text(t.relation, style="bold"), *lines))
        for name in self.skipped:
            console.print(
                Text(
                    f"skipped {name}: no file found (seeds/{name}.csv or data/{name}.csv|.parquet)",
                    style="dim",
                )
            )
        for note in self.notes:
            console.print(Text(note, style="yellow"))
        for why in self.refusals:
            console.print(Text(f"refused — {why}", style="bold red"))
        if not self.accepted:
            console.print(
                Text(
                    "load refused: no table was changed."
                    + (
                        f" The refused rows are in {self.quarantine_table}_refused (load_id {self.load_id}) "
                        "for inspection."
                        if self.quarantined
                        else ""
                    ),
                    style="bold red",
                )
            )
        elif self.quarantined:
            console.print(
                Text(
                    f"{self.quarantined:,} row(s) quarantined in {self.quarantine_table} "
                    f"(load_id {self.load_id}); valid rows were loaded.",
                    style="bold red",
                )
            )
        else:
            console.print(Text("all rows loaded, nothing quarantined", style="green"))
