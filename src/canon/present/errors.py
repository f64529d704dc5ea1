"""A canon error as JSON: what went wrong, where (file:line, field, parameter) and how to fix it.

The one shape every machine-facing interface returns for an error — `--format json` commands on
stdout, MCP tool errors — so an agent reads the location and the fix instead of parsing prose:

    {"error": {"kind": "user_error", "exit_code": 2, "message": "...", "fix": "...",
               "location": {"file": "metrics/mrr.yml", "line": 3, "column": 1, "field": "status",
                            "parameter": null},
               "problems": [{"message": "...", "location": {...}, "fix": "..."}],
               "text": "the one paragraph the terminal prints"}}
"""

from __future__ import annotations

from typing import Any

from canon.errors import CanonError, CheckFailed, Location, UserError


def location_json(location: Location) -> dict[str, Any]:
    return {
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "field": location.field,
        "parameter": location.parameter,
    }


def error_json(exc: CanonError) -> dict[str, Any]:
    """`{"error": {...}}` for any canon error (a `UserError` carries location, fix and problems)."""
    kind = "user_error" if isinstance(exc, UserError) else "check_failed" if isinstance(exc, CheckFailed) else "error"
    body: dict[str, Any] = {
        "kind": kind,
        "exit_code": exc.exit_code,
        "message": getattr(exc, "message", str(exc)),
        "location": None,
        "fix": None,
        "problems": [],
    }
    if isinstance(exc, UserError):
        body["location"] = location_json(exc.location)
        body["fix"] = exc.fix
        body["problems"] = [
            {"message": p.message, "location": location_json(p.location), "fix": p.fix} for p in exc.problems
        ]
    body["text"] = exc.render()
    return {"error": body}
