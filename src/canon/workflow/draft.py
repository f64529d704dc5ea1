"""A contract file drafted from a proposal, for a project that has none yet.

On a dbt project nobody here wrote there is no `metrics/<name>.yml` to sign: `canon propose`
drafts one from the proposal's decisions (measure, time basis, admitted values, predicates
and the joins the SQL wrote), marked `proposed` and owned by nobody yet, so a person reviews
the file, names an owner and signs it with `canon approve`. An existing contract is never
replaced: the proposal is written into it instead (see `write_proposal_into_contract`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from canon.contracts.decisions import format_fraction
from canon.contracts.loader import load_contract_spec
from canon.contracts.values import sorted_values, to_json_value
from canon.fsutil import atomic_write_text

if TYPE_CHECKING:
    from canon.project import Project
    from canon.workflow.propose import Proposal

UNASSIGNED = "unassigned (name the owner before approving)"


def draft_data(proposal: Proposal) -> dict[str, Any]:
    """The contract a proposal states, as the YAML mapping `metrics/<name>.yml` holds."""
    vector = proposal.vector
    m = vector.measure
    measure: dict[str, Any] = {"column": str(m.column), "aggregation": m.aggregation}
    if m.scale != 1:
        measure["scale"] = format_fraction(m.scale)
    measure["unit"] = m.unit
    if m.expression is not None:
        measure["expression"] = m.expression
    basis = vector.time_basis
    time_basis: dict[str, Any]
    if basis.kind == "range":
        start, end = basis.columns
        time_basis = {"range": {"start": str(start), "end": str(end), "end_inclusive": basis.end_inclusive}}
    else:
        time_basis = {"column": str(basis.columns[0])}
    composition: dict[str, Any] = {"type": "declarative", "measure": measure, "time_basis": time_basis}
    filters = {str(c): [to_json_value(v) for v in sorted_values(vals)] for c, vals in vector.filter_items}
    filters.update({str(c): [to_json_value(v) for v in sorted_values(vals)] for c, vals in vector.slice_items})
    if filters:
        composition["filters"] = filters
    if vector.predicates:
        composition["predicates"] = list(vector.predicates)
    if proposal.joins:
        composition["joins"] = [{"from": str(j.child), "to": str(j.parent)} for j in proposal.joins]
    closest = proposal.closest
    return {
        "name": proposal.metric,
        "label": proposal.label,
        "description": proposal.definition_text,
        "owner": UNASSIGNED,
        "status": "proposed",
        "composition": composition,
        "meta": {"drafted_from": closest.model if closest else None, "period": proposal.period},
    }


def write_draft(project: Project, proposal: Proposal) -> Path | None:
    """Write `metrics/<metric>.yml` from the proposal unless a contract of that name exists.

    The text is validated as a contract before it is written (atomically), so a draft canon
    cannot read back is never left behind.
    """
    folder = project.root / project.config.metrics_dir
    path = folder / f"{proposal.metric}.yml"
    if path.exists() or project.metrics.get(proposal.metric) is not None:
        return None
    header = (
        f"# Drafted by `canon propose {proposal.metric}` from the audit of {proposal.period}; review it,\n"
        "# name an owner, then sign it with `canon approve`.\n"
    )
    text = header + yaml.safe_dump(draft_data(proposal), sort_keys=False, allow_unicode=True, width=4096)
    load_contract_spec(path, text)  # raises with positions if the draft is not a valid contract
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path
