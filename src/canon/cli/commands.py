"""Which module defines which command, so `canon X` imports only X's module.

Importing every command module costs about 0.1 s before any work (each pulls its own
libraries); a command that runs in 50 ms should not pay it. `register(name)` imports the one
module that defines `name`; help and unknown names import them all, in help order.
"""

from __future__ import annotations

from importlib import import_module

# command name → module under canon.cli; the order is the help order.
COMMANDS: dict[str, str] = {
    "version": "info_cmd",
    "init": "init_cmd",
    "demo": "demo_cmd",
    "generate": "generate_cmd",
    "load": "load_cmd",
    "query": "query_cmd",
    "schema": "schema_cmd",
    "test": "test_cmd",
    "audit": "audit_cmd",
    "propose": "workflow_cmd",
    "approve": "workflow_cmd",
    "build": "workflow_cmd",
    "baseline": "workflow_cmd",
    "verify": "workflow_cmd",
    "postmortem": "workflow_cmd",
    "mart": "mart_cmd",
    "serve": "serve_cmd",
    "mcp": "mcp_cmd",
}


def register(name: str | None = None) -> None:
    """Import the module defining command `name` (its decorators add it to the app); all when None/unknown."""
    module = COMMANDS.get(name or "")
    modules = [module] if module else list(dict.fromkeys(COMMANDS.values()))
    for mod in modules:
        import_module(f"canon.cli.{mod}")
