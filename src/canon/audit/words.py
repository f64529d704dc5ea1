"""Decisions in words a finance lead reads: labels and concepts, never Python reprs or raw names.

A column is named by what it is (`raw_invoices.status` → "invoice status"), a value by itself and,
when the knowledge base knows it, by what it means ("pilot (trial)"). Every report, the bridge's
step labels, the postmortem and the proposal say decisions through these functions, so one
decision reads the same everywhere. The exact raw names stay in the machine outputs (JSON).
"""

from __future__ import annotations

from collections.abc import Iterable

from canon.contracts.decisions import Measure, TimeBasis
from canon.contracts.refs import ColumnRef
from canon.contracts.values import Scalar, format_value, sorted_values

EVERY_VALUE = "every value"

# concept keys → how a reader says them (the knowledge base's keys are identifiers)
CONCEPT_WORDS = {
    "one_time": "one-time",
    "not_live": "not yet live",
    "kept": "not refunded",
    "live": "live",
    "trial": "trial",
}

_PREFIXES = ("raw_", "stg_", "src_", "fct_", "dim_", "int_", "base_")


def noun(table: str) -> str:
    """`raw_invoices` → "invoice": a table named by the thing one row is."""
    name = table.rsplit(".", 1)[-1].lower()
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    if name.endswith("ies") and len(name) > 4:
        name = name[:-3] + "y"
    elif name.endswith("ses") or name.endswith("xes"):
        name = name[:-2]
    elif name.endswith("s") and not name.endswith("ss"):
        name = name[:-1]
    return name.replace("_", " ")


def plural(table: str) -> str:
    """`raw_invoices` → "invoices"."""
    one = noun(table)
    if one.endswith("y") and one[-2:-1] not in "aeiou":
        return one[:-1] + "ies"
    return one + ("es" if one.endswith(("s", "x", "ch", "sh")) else "s")


def column_words(ref: ColumnRef) -> str:
    """`raw_invoices.status` → "invoice status"; `raw_invoices.invoice_date` → "invoice date"."""
    thing = noun(ref.table)
    col = ref.column.lower().replace("_", " ")
    if col.startswith(thing + " ") or col == thing:
        return col
    return f"{thing} {col}"


def concept_words(concept: str | None) -> str | None:
    if concept is None:
        return None
    return CONCEPT_WORDS.get(concept, concept.replace("_", " "))


def value_words(value: Scalar, concept: str | None = None) -> str:
    """`'pilot'` with concept trial → "pilot (trial)"; a value is never quoted like Python."""
    if value is None:
        text = "no value (NULL)"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(format_value(value)).strip("'")
    meaning = concept_words(concept)
    if meaning and meaning.lower() != text.lower():
        return f"{text} ({meaning})"
    return text


def values_words(values: Iterable[Scalar] | None, concepts: dict[Scalar, str] | None = None) -> str:
    """An admitted set in words: "paid, pending", or "every value" for no filter."""
    if values is None:
        return EVERY_VALUE
    items = sorted_values(list(values))
    if not items:
        return "nothing"
    return ", ".join(value_words(v, (concepts or {}).get(v)) for v in items)


def measure_words(m: Measure) -> str:
    """What is summed: "invoice amount", "contract annual value ÷ 12"."""
    if m.expression is not None:
        base = m.expression if m.amount is None else m.amount
        text = str(base)
    else:
        text = column_words(m.column)
    if m.scale != 1:
        from canon.contracts.decisions import format_fraction

        scale = format_fraction(m.scale)
        text += f" ÷ {scale.split('/', 1)[1]}" if scale.startswith("1/") else f" × {scale}"
    if m.aggregation != "sum":
        text = f"{m.aggregation} of {text}"
    return text


def basis_words(t: TimeBasis) -> str:
    """Which date places an amount in a period: "by invoice date", "while the contract is active"."""
    if t.kind == "lifetime":
        return "over all time (no period)"
    if t.kind == "range":
        a, b = t.columns[0], t.columns[1]
        return f"while the {noun(a.table)} is active ({column_words(a)} to {column_words(b)})"
    text = f"by {column_words(t.columns[0])}"
    if t.time_zone is not None:
        text += f" in {t.time_zone}"
    return text


def filter_move_words(column: ColumnRef, value: Scalar, concept: str | None, include: bool) -> str:
    """One admitted value added or removed, as the definition's choice against the canonical one.

    "counts pending invoices" reads better than "include 'pending' in raw_invoices.status", and a
    yes/no column reads as the thing itself ("counts refunded payments").
    """
    verb = "counts" if include else "leaves out"
    things = plural(column.table)
    if isinstance(value, bool):
        col = column.column.lower().replace("_", " ")
        adjective = col if value else f"not {col}"
        return f"{verb} {adjective} {things}"
    what = column_words(column).removeprefix(noun(column.table) + " ")
    return f"{verb} {things} with {what} {value_words(value, concept)}"


def basis_move_words(old: TimeBasis, new: TimeBasis) -> str:
    return f"dates revenue {basis_words(new)}, not {basis_words(old)}"


def measure_move_words(old: Measure, new: Measure) -> str:
    return f"sums {measure_words(new)}, not {measure_words(old)}"


def basis_and_measure_words(old_m: Measure, old_t: TimeBasis, new_m: Measure, new_t: TimeBasis) -> str:
    return f"sums {measure_words(new_m)} {basis_words(new_t)}, not {measure_words(old_m)} {basis_words(old_t)}"


def decision_name(decision: str) -> str:
    """A bridge step's decision key in words: `filter:raw_invoices.status` → "invoice status"."""
    kind, _, rest = decision.partition(":")
    names = {
        "time_basis": "date basis",
        "measure": "what is summed",
        "time_basis+measure": "what is summed and when",
        "predicate": "other conditions",
        "residual": "not reproduced",
    }
    if decision in names:
        return names[decision]
    if kind in ("filter", "slice") and rest:
        try:
            return column_words(ColumnRef.parse(rest))
        except ValueError:
            return rest
    rows = {"dedup": "deduplication of", "fanout": "fan-out through", "match": "match in"}
    if kind in rows:
        return f"{rows[kind]} {plural(rest)}"
    return " + ".join(decision_name(p) for p in decision.split("+")) if "+" in decision else decision
