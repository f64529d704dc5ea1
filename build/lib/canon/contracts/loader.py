"""Load `metrics/*.yml` into validated specs, collecting every problem with its position."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from canon.contracts.spec import ContractSpec
from canon.contracts.yamlpos import PositionedDoc, load_positioned
from canon.errors import ContractError, Problem, did_you_mean


def _fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names (aliases) allowed at `path` inside `model`, for did-you-mean on extra keys."""
    current: Any = model
    for part in path:
        current = _descend(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _descend(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, list):  # a union: take the branch that knows the part
        for option in annotation:
            found = _descend(option, part)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, f in annotation.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
        # discriminated union tags appear in pydantic locs: `declarative`, `sql`...
        return None
    origin = get_origin(annotation)
    if origin in (list, tuple):
        return get_args(annotation)[0] if isinstance(part, int) else None
    if origin is dict:
        return get_args(annotation)[1]
    return None


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else [_unwrap(o) for o in options]
    return annotation


_TAGS = {"declarative", "sql", "derived"}


def _problems_from_validation(doc: PositionedDoc, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p in _TAGS or "[" in p)))
        kind = err["type"]
        fix: str | None = None
        if kind == "extra_forbidden":
            bad = str(loc[-1])
            allowed = _fields_at(ContractSpec, loc[:-1])
            hint = did_you_mean(bad, allowed)
            message = f"unknown key `{bad}`"
            fix = hint or (f"allowed keys here: {', '.join(sorted(allowed))}" if allowed else "remove it")
        elif kind == "missing":
            message = f"required key `{loc[-1]}` is missing"
            fix = f"add `{loc[-1]}:`"
        else:
            expected = err["msg"].removeprefix("Value error, ")
            message = f"{expected} (got {err.get('input')!r})" if kind != "value_error" else expected
        problems.append(Problem(message=message, location=doc.locate(loc), fix=fix))
    return problems


def load_contract_spec(path: Path, text: str | None = None) -> tuple[ContractSpec, PositionedDoc]:
    """Parse and validate one contract file; raise ContractError listing every problem."""
    doc = load_positioned(path, text)
    if not isinstance(doc.data, dict):
        raise ContractError("a contract must be a YAML mapping", location=doc.locate(()))
    try:
        spec = ContractSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems = _problems_from_validation(doc, exc)
        raise ContractError(
            f"contract {path.name} has {len(problems)} problem{'s' if len(problems) != 1 else ''}",
            problems=problems,
        ) from None
    return spec, doc
