"""Averages of per-group sums: `AVG(x)` over a relation of `SUM(amount)` per account and month.

"Average monthly revenue per billed account", "average order value": the model sums the
amount per group (account and month, order) in one relation and averages those sums per
period in the next. Within a period that is the period's sum over the number of groups that
have a row: the measure stays the summed amount, with the group key (`Measure.per`) that
counts the groups, and the decisions (filters, date, row decisions) are those of the summed
rows. Only a single key beside the period is read; anything else stays unmapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from canon.audit.lineage import Lineage, Unresolvable, is_raw, raw_columns
from canon.audit.measure import strip_wrappers
from canon.audit.timebasis import is_spine


@dataclass(frozen=True)
class PerGroup:
    """The relation and output holding the per-group sums, and the raw column keying the groups."""

    scope: Scope
    output: str
    key: exp.Column


def per_group_average(lineage: Lineage, output: str, is_temporal: Callable[[exp.Column], bool]) -> PerGroup | None:
    """`output` = AVG of a column that is a SUM per (period, one key) in the relation it reads, or None."""
    root = lineage.root
    if not isinstance(root.expression, exp.Select):
        return None
    sel = next((s for s in root.expression.selects if s.alias_or_name == output), None)
    if sel is None:
        return None
    node = strip_wrappers(sel.this if isinstance(sel, exp.Alias) else sel)
    if not isinstance(node, exp.Avg) or not isinstance(node.this, exp.Column) or not node.this.table:
        return None
    source = root.sources.get(node.this.table)
    if not isinstance(source, Scope) or not isinstance(source.expression, exp.Select):
        return None
    inner = next((s for s in source.expression.selects if s.alias_or_name == node.this.name), None)
    group = source.expression.args.get("group")
    if inner is None or group is None:
        return None
    value = inner.this if isinstance(inner, exp.Alias) else inner
    if not isinstance(value, exp.Sum):
        return None
    keys: list[exp.Column] = []
    for g in group.expressions:
        if isinstance(g, exp.Literal):  # `group by 1, 2`: the select items they number
            g = source.expression.selects[int(g.this) - 1]
            g = g.this if isinstance(g, exp.Alias) else g
        try:
            resolved = lineage.resolve(g, source)
        except Unresolvable:
            return None
        cols = [c for c in raw_columns(resolved) if is_raw(c)]
        if not cols and any(is_spine(c) for c in resolved.find_all(exp.Column)):
            continue  # the period, from a calendar
        if not cols:
            return None
        if all(is_temporal(c) for c in cols):
            continue  # the period
        if len(cols) != 1 or not isinstance(resolved, exp.Column):
            return None
        keys.append(cols[0])
    if len(keys) != 1:
        return None
    return PerGroup(source, node.this.name, keys[0])
