"""Writing decisions into contracts: proposals (status `proposed`) and sign-offs (`approved`).

Edits go through ruamel's round-trip loader so comments and ordering a person wrote survive,
are validated by the contract loader before anything is written, and land atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from canon.contracts.loader import load_contract_spec
from canon.contracts.model import definition_hash
from canon.contracts.names import metric_key
from canon.contracts.yamlpos import round_trip_dump, round_trip_load
from canon.errors import Location, UserError, did_you_mean
from canon.fsutil import atomic_write_text

if TYPE_CHECKING:
    from canon.project import Project

YES = {"yes", "true", "include", "count", "y", "1"}
NO = {"no", "false", "exclude", "keep", "n", "0"}


@dataclass(frozen=True)
class SignOff:
    """One person's sign-off as written into the contract: who, role, when, the hash signed."""

    metric: str
    by: str
    role: str
    at: str
    definition_hash: str
    decisions: dict[str, str]
    note: str | None = None
    proposal: str | None = None  # the sign-off request signed (`canon approve --proposal ID`), if any

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "by": self.by,
            "role": self.role,
            "at": self.at,
            "definition_hash": self.definition_hash,
            "decisions": self.decisions,
            "note": self.note,
            "proposal": self.proposal,
        }


def proposal_path(project: Project, metric: str) -> Path:
    """One file per metric however it is spelled (`canon approve MRR` reads what propose wrote for `mrr`)."""
    return project.root / ".canon" / "proposals" / f"{metric_key(metric)}.json"


def save_proposal(project: Project, proposal: dict[str, Any]) -> Path:
    path = proposal_path(project, proposal["metric"])
    atomic_write_text(path, json.dumps(proposal, indent=2, default=str) + "\n")
    return path


def _flow(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def write_proposal_into_contract(project: Project, path: Path, proposal: dict[str, Any]) -> None:
    """Mark the contract proposed, state every filter's admitted AND excluded values, cite precedent."""
    data = round_trip_load(path)
    if data.get("status") in (None, "draft"):
        data["status"] = "proposed"
    filters = data.get("composition", {}).get("filters")
    notes = {n["key"]: n for n in proposal.get("decision_notes", [])}
    if isinstance(filters, dict):
        for key in list(filters):
            note = notes.get(f"filter:{key}")
            if note is None:
                continue
            entry = CommentedMap()
            entry["admit"] = _flow(note["admitted"])
            entry["exclude"] = _flow(note["excluded"])
            filters[key] = entry
    precedents = CommentedSeq()
    seen: set[tuple[str, str]] = set()
    for note in proposal.get("decision_notes", []):
        for stance, claims in (("supports", note["supported_by"]), ("dissents", note["dissent"])):
            for claim in claims:
                key = (claim["source"], claim["claim"])
                if key in seen:
                    continue
                seen.add(key)
                item = CommentedMap()
                item["source"] = claim["source"]
                item["url"] = claim["url"]
                item["claim"] = claim["claim"]
                item["stance"] = stance
                precedents.append(item)
    if precedents:
        data["precedents"] = precedents
    _validated_write(path, data)


def _validated_write(path: Path, data: Any) -> None:
    from io import StringIO

    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    buf = StringIO()
    y.dump(data, buf)
    load_contract_spec(path, buf.getvalue())  # raises with positions if the edit broke it
    round_trip_dump(data, path)


def apply_decisions(data: Any, proposal: dict[str, Any] | None, decisions: dict[str, str]) -> dict[str, str]:
    """Apply each `--decide`; return what was decided in words (kept in the sign-off)."""
    calls = {c["key"]: c for c in (proposal or {}).get("judgment_calls", [])}
    outcome: dict[str, str] = {}
    for key, value in decisions.items():
        if key not in calls:
            hint = did_you_mean(key, calls)
            raise UserError(
                f"unknown judgment call `{key}`",
                location=Location(parameter="decisions"),
                fix=hint or (f"calls in the proposal: {', '.join(calls)}" if calls else "run `canon propose` first"),
            )
        choice = value.strip().lower()
        if choice not in YES | NO:
            raise UserError(
                f"`--decide {key}={value}`: answer yes or no",
                location=Location(parameter="decisions"),
                fix=f"--decide {key}=no keeps the proposal; --decide {key}=yes adopts: "
                + calls[key]["options"][0]["label"],
            )
        option = calls[key]["options"][0]
        if choice in NO:
            outcome[key] = f"keep the proposal (not: {option['label']})"
            continue
        outcome[key] = f"adopt: {option['label']}"
        edit = option["edit"]
        comp = data["composition"]
        if "filter" in edit:
            column = edit["filter"]
            current = comp["filters"].get(column)
            if isinstance(current, dict):
                current["admit"].extend(v for v in edit["add"] if v not in current["admit"])
                current["exclude"] = _flow([v for v in current.get("exclude", []) if v not in edit["add"]])
            else:
                comp["filters"][column] = _flow([*(current or []), *edit["add"]])
        elif "vector" in edit:
            vec = edit["vector"]
            comp["measure"]["column"] = vec["measure"]["column"]
            comp["measure"]["scale"] = str(_fraction(vec["measure"]["scale"]))
            tb, detail = vec["time_basis"], vec.get("time_basis_detail", {})
            if len(tb) == 1:
                basis = CommentedMap({"column": tb[0]})
                basis.update({k: v for k, v in detail.items() if k in ("time_zone", "source_zone", "key_format")})
            else:
                span = CommentedMap({"start": tb[0], "end": tb[1]})
                span.update({k: v for k, v in detail.items() if k in ("end_inclusive", "evaluated_at")})
                basis = CommentedMap({"range": span})
            comp["time_basis"] = basis
            comp["filters"] = CommentedMap({k: _flow(v) for k, v in vec["filters"].items()})
    return outcome


def _fraction(value: float) -> Any:
    from fractions import Fraction

    return Fraction(value).limit_denominator(1000)


def approve(
    project: Project,
    metric: str,
    by: str,
    role: str,
    decisions: dict[str, str],
    now: datetime | None = None,
    note: str | None = None,
    *,
    request_id: str | None = None,
) -> SignOff:
    """Record who signed what, when, with the hash of the definition they signed."""
    if not by.strip() or not role.strip():
        raise UserError("a sign-off needs a name and a role", location=Location(parameter="by/role"))
    m = project.metric(metric)
    assert m.file is not None
    ppath = proposal_path(project, metric)
    proposal = json.loads(ppath.read_text()) if ppath.exists() else None
    data = round_trip_load(m.file)
    outcome = apply_decisions(data, proposal, decisions)
    data["status"] = "approved"
    data.pop("signoff", None)
    from io import StringIO

    from ruamel.yaml import YAML

    buf = StringIO()
    YAML(typ="rt").dump(data, buf)
    spec, _ = load_contract_spec(m.file, buf.getvalue())
    signoff = CommentedMap()
    signoff["by"] = by
    signoff["role"] = role
    signoff["at"] = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    signoff["definition_hash"] = definition_hash(spec)
    signoff["decisions"] = CommentedMap(outcome)
    if note:
        signoff["note"] = note
    if request_id:  # the sign-off request an agent made and this person signed (workflow/requests.py)
        signoff["proposal"] = request_id
    data["signoff"] = signoff
    _validated_write(m.file, data)
    project.reload()
    return SignOff(
        metric, by, role, str(signoff["at"]), str(signoff["definition_hash"]), dict(outcome), note, request_id
    )
