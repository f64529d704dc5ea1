"""Sign-off requests: an agent asks, a person signs, and the two are bound to one definition hash.

An agent may draft and price a definition but never sign it. `request_signoff` records a
pending request in `.canon/signoff-requests/<id>.json`: the proposal's judgment calls, the
decisions the agent recommends, the hash of the contract as it stands (`base_hash`) and the hash
the contract will have once those decisions are applied and signed (`definition_hash`), plus a
one-paragraph summary for the person. `canon approve METRIC --proposal ID` signs exactly that:
it refuses when the contract or the proposal changed since the request, and writes the request's
id into the sign-off. A request file is never rewritten; its state (pending, signed, stale) is
read from the contract each time, so the two can never disagree.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from canon.contracts.loader import load_contract_spec
from canon.contracts.model import definition_hash
from canon.contracts.names import metric_key
from canon.contracts.yamlpos import round_trip_load
from canon.errors import Location, UserError, did_you_mean
from canon.fsutil import atomic_write_text
from canon.present.money import format_cents, format_signed_cents
from canon.workflow.signoff import NO, YES, apply_decisions, proposal_path

if TYPE_CHECKING:
    from canon.project import Project

REQUESTS_DIR = ".canon/signoff-requests"
RequestState = Literal["pending", "signed", "stale"]


@dataclass(frozen=True)
class SignoffRequest:
    """A pending proposal for one person to sign: what, bound to which hash, asked by whom."""

    id: str
    metric: str
    requested_by: str
    requested_at: str
    period: str
    value_cents: int
    base_hash: str  # the contract when the request was made: any edit after it makes the request stale
    definition_hash: str  # the contract once the decisions are applied: what the person signs
    decisions: dict[str, str]  # judgment call → yes/no, as the person will sign them
    outcome: dict[str, str]  # the same in words, as the sign-off will record them
    judgment_calls: list[dict[str, Any]]
    summary: str
    models: list[dict[str, Any]] = field(default_factory=list)

    @property
    def approve_command(self) -> str:
        return f'canon approve {self.metric} --proposal {self.id} --by "NAME" --role ROLE'

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "metric": self.metric,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "period": self.period,
            "value_cents": self.value_cents,
            "base_hash": self.base_hash,
            "definition_hash": self.definition_hash,
            "decisions": self.decisions,
            "outcome": self.outcome,
            "judgment_calls": self.judgment_calls,
            "models": self.models,
            "summary": self.summary,
            "approve_command": self.approve_command,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignoffRequest:
        return cls(
            id=data["id"],
            metric=data["metric"],
            requested_by=data["requested_by"],
            requested_at=data["requested_at"],
            period=data["period"],
            value_cents=int(data["value_cents"]),
            base_hash=data["base_hash"],
            definition_hash=data["definition_hash"],
            decisions=dict(data["decisions"]),
            outcome=dict(data["outcome"]),
            judgment_calls=list(data["judgment_calls"]),
            summary=data["summary"],
            models=list(data.get("models", [])),
        )


@dataclass(frozen=True)
class RequestStatus:
    request: SignoffRequest
    state: RequestState


@dataclass(frozen=True)
class SignoffStatus:
    """Where a metric stands between proposal and build, for an agent waiting on a person."""

    metric: str
    status: str  # the contract's lifecycle status
    definition_hash: str
    signoff: dict[str, Any] | None  # by, role, at, definition_hash, proposal (None: never signed)
    signed: bool  # a sign-off exists and matches the contract as it is now
    requests: list[RequestStatus]

    @property
    def buildable(self) -> bool:
        return self.signed and self.status in ("approved", "authoritative")

    @property
    def next_step(self) -> str:
        if self.buildable:
            return f"signed: `build` may run for {self.metric}"
        pending = [r.request for r in self.requests if r.state == "pending"]
        if pending:
            return f"waiting for a person to run: {pending[-1].approve_command}"
        if self.signoff is not None and not self.signed:
            return "the contract was edited after sign-off: request a new sign-off (request_signoff)"
        return "no sign-off requested: run propose, then request_signoff"

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "status": self.status,
            "definition_hash": self.definition_hash,
            "signoff": self.signoff,
            "signed": self.signed,
            "buildable": self.buildable,
            "requests": [{"id": r.request.id, "state": r.state, **_brief(r.request)} for r in self.requests],
            "next_step": self.next_step,
        }


def _brief(r: SignoffRequest) -> dict[str, Any]:
    return {"requested_by": r.requested_by, "requested_at": r.requested_at, "definition_hash": r.definition_hash}


def requests_dir(project: Project) -> Path:
    return project.root / REQUESTS_DIR


def _normal_decisions(decisions: dict[str, str]) -> dict[str, str]:
    """yes/no, as typed by an agent or a person (`include`, `true`, `n` are accepted too)."""
    out = {}
    for key, value in decisions.items():
        choice = str(value).strip().lower()
        if choice not in YES | NO:
            raise UserError(
                f"judgment call `{key}`: answer yes or no (got `{value}`)",
                location=Location(parameter="decisions"),
                fix=f'{{"{key}": "no"}} keeps the proposal; {{"{key}": "yes"}} adopts the other option',
            )
        out[key] = "yes" if choice in YES else "no"
    return out


def signed_definition(
    project: Project, metric: str, proposal: dict[str, Any], decisions: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """(hash the contract will have once `decisions` are applied and it is approved, outcome in words).

    The same steps `approve` takes, on a copy in memory: nothing is written.
    """
    m = project.metric(metric)
    assert m.file is not None
    data = round_trip_load(m.file)
    outcome = apply_decisions(data, proposal, decisions)
    data["status"] = "approved"
    data.pop("signoff", None)
    from ruamel.yaml import YAML

    buf = StringIO()
    YAML(typ="rt").dump(data, buf)
    spec, _ = load_contract_spec(m.file, buf.getvalue())
    return definition_hash(spec), outcome


def write_request(
    project: Project, metric: str, proposal: dict[str, Any], decisions: dict[str, str], requested_by: str
) -> SignoffRequest:
    """Record a pending sign-off request for the proposal saved for `metric` (see `Project.request_signoff`)."""
    m = project.metric(metric)
    chosen = _normal_decisions(decisions)
    after, outcome = signed_definition(project, m.name, proposal, chosen)
    calls = proposal.get("judgment_calls", [])
    for call in calls:  # every call is said, the ones left undecided as kept
        outcome.setdefault(call["key"], f"keep the proposal (not: {call['options'][0]['label']})")
    request = SignoffRequest(
        id=f"{m.name}-{secrets.token_hex(4)}",
        metric=m.name,
        requested_by=requested_by,
        requested_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        period=proposal["period"],
        value_cents=int(proposal["value_cents"]),
        base_hash=m.definition_hash(),
        definition_hash=after,
        decisions={c["key"]: chosen.get(c["key"], "no") for c in calls},
        outcome=outcome,
        judgment_calls=calls,
        summary="",
        models=[
            {"model": s["model"], "value_cents": s["value_cents"], "gap_cents": s["gap_cents"]}
            for s in proposal.get("models", [])
        ],
    )
    request = _with_summary(request, proposal)
    path = requests_dir(project) / f"{request.id}.json"
    atomic_write_text(path, json.dumps(request.to_json(), indent=2) + "\n")
    return request


def _with_summary(r: SignoffRequest, proposal: dict[str, Any]) -> SignoffRequest:
    """One paragraph a person can read before signing: the number, what changes, the calls and their prices."""
    label = proposal.get("label") or r.metric
    models = "; ".join(
        f"{m['model']} {format_cents(m['value_cents'])} ({format_signed_cents(m['gap_cents'])} against it)"
        for m in r.models
    )
    calls = []
    for call in r.judgment_calls:
        option = call["options"][0]
        chosen = r.decisions.get(call["key"], "no")
        verb = "adopt" if chosen == "yes" else "keep the proposal, not"
        calls.append(f"{call['key']}: {verb} “{option['label']}” ({format_signed_cents(option['impact_cents'])} alone)")
    adopted = any(v == "yes" for v in r.decisions.values())
    number = (
        f"{format_cents(r.value_cents)} for {r.period} before the adopted calls"
        if adopted
        else f"{format_cents(r.value_cents)} for {r.period}"
    )
    text = (
        f"Sign-off requested by {r.requested_by} for canonical {label}: {number}. "
        f"{proposal.get('definition', '').strip()} "
        + (f"It replaces the definitions in use ({models}). " if models else "")
        + (f"Judgment calls — {'; '.join(calls)}. " if calls else "No judgment call is open. ")
        + f"Signing binds definition {r.definition_hash[:23]}…; any later edit voids the sign-off. "
        f"To sign: {r.approve_command}"
    )
    return SignoffRequest(**{**r.__dict__, "summary": " ".join(text.split())})


def read_request(project: Project, request_id: str) -> SignoffRequest:
    path = requests_dir(project) / f"{request_id}.json"
    if "/" in request_id or "\\" in request_id or not path.is_file():
        known = [p.stem for p in sorted(requests_dir(project).glob("*.json"))]
        raise UserError(
            f"no sign-off request `{request_id}`",
            location=Location(parameter="proposal"),
            fix=did_you_mean(request_id, known)
            or (f"requests on file: {', '.join(known)}" if known else "an agent requests one with request_signoff"),
        )
    return SignoffRequest.from_json(json.loads(path.read_text()))


def metric_requests(project: Project, metric: str) -> list[SignoffRequest]:
    key = metric_key(metric)
    found = []
    for path in sorted(requests_dir(project).glob(f"{key}-*.json")):
        r = SignoffRequest.from_json(json.loads(path.read_text()))
        if r.metric == key:
            found.append(r)
    return sorted(found, key=lambda r: r.requested_at)


def signoff_status(project: Project, metric: str) -> SignoffStatus:
    m = project.metric(metric)
    now = m.definition_hash()
    so = m.spec.signoff
    record = None
    if so is not None:
        record = {
            "by": so.by,
            "role": so.role,
            "at": so.at.isoformat(),
            "definition_hash": so.definition_hash,
            "proposal": so.proposal,
        }
    states = []
    for r in metric_requests(project, m.name):
        if so is not None and so.proposal == r.id and so.definition_hash == now:
            state: RequestState = "signed"
        elif r.base_hash == now and (so is None or so.proposal != r.id):
            state = "pending"
        else:
            state = "stale"
        states.append(RequestStatus(r, state))
    signed = so is not None and so.definition_hash == now
    return SignoffStatus(m.name, m.spec.status.value, now, record, signed, states)


def check_request(project: Project, metric: str, request_id: str) -> SignoffRequest:
    """The request `canon approve --proposal` signs, refused unless it still describes the contract."""
    m = project.metric(metric)
    r = read_request(project, request_id)
    if r.metric != m.name:
        raise UserError(
            f"sign-off request `{r.id}` is for `{r.metric}`, not `{m.name}`",
            location=Location(parameter="proposal"),
            fix=f"run `canon approve {r.metric} --proposal {r.id}`",
        )
    if m.definition_hash() != r.base_hash:
        raise UserError(
            f"the contract of `{m.name}` changed since sign-off request `{r.id}` was made: it no longer "
            "describes what you would sign",
            location=Location(file=str(m.file), parameter="proposal"),
            fix="ask the agent for a new request (request_signoff), or approve without --proposal",
        )
    path = proposal_path(project, m.name)
    saved = json.loads(path.read_text()) if path.exists() else {}
    if saved.get("judgment_calls") != r.judgment_calls:
        raise UserError(
            f"the proposal for `{m.name}` changed since sign-off request `{r.id}` was made",
            location=Location(file=str(path), parameter="proposal"),
            fix="ask the agent for a new request (request_signoff)",
        )
    after, _ = signed_definition(project, m.name, saved, r.decisions)
    if after != r.definition_hash:
        raise UserError(
            f"signing request `{r.id}` would not give the definition it promised ({r.definition_hash[:23]}…)",
            location=Location(parameter="proposal"),
            fix="ask the agent for a new request (request_signoff)",
        )
    return r
