"""The shape of the code: packages import only packages below them; the CLI stands on the facade.

Read from the syntax trees of src/canon (imports under `if TYPE_CHECKING:` are annotations,
not dependencies). A new upward import fails here with the file and line to fix.
"""

from __future__ import annotations

from tests.architecture.imports import Import, all_imports

# Bottom to top. A package may import its own modules and any package in a lower layer.
LAYERS: list[set[str]] = [
    {"errors", "fsutil", "sqltree"},
    {"contracts", "present", "kb"},
    {"config"},
    {"compiler", "engines", "dbt"},
    {"load", "checks", "audit", "mart", "examples", "dbtproject"},
    {"workflow"},
    {"project"},
    {"serve", "demo", "agent"},
    {"cli"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}

# Deliberate upward imports, each lazy and each the reason it exists:
ALLOWED_UPWARD = {
    # `import canon; canon.Project` — the package root re-exports the facade lazily
    ("canon", "canon.project"),
    # `Project.serve_app()` builds the HTTP app that then stands over the facade
    ("canon.project", "canon.serve.app"),
    ("canon.project", "canon.serve.settings"),
}

# What a CLI module may import: the facade, options, presentation and errors.
CLI_MAY_IMPORT = (
    "canon.cli",
    "canon.project",
    "canon.errors",
    "canon.present",
    "canon.fsutil",
    "canon.audit.report",
    "canon.workflow.present",
    "canon.demo",
    "canon.serve.logs",
    "canon.agent.server",  # `canon mcp` runs the MCP server, as `canon serve` runs the app
)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _upward(imp: Import) -> bool:
    source, target = _package(imp.module), _package(imp.target)
    if not source or not target or source == target:
        return False
    return RANK[target] > RANK[source]


def test_every_package_has_a_layer() -> None:
    packages = {_package(i.module) for i in all_imports()} | {_package(i.target) for i in all_imports()}
    assert packages - {""} <= set(RANK), f"give these a layer: {sorted(packages - {''} - set(RANK))}"


def test_no_package_imports_a_package_above_it() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if _upward(i) and (i.module, i.target) not in ALLOWED_UPWARD
    ]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_allowed_upward_imports_are_lazy() -> None:
    eager = [f"{i.module}:{i.line}" for i in all_imports() if (i.module, i.target) in ALLOWED_UPWARD and i.top_level]
    assert not eager, f"import these inside the function that needs them: {eager}"


def test_cli_modules_import_only_the_facade_options_presentation_and_errors() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if i.module.startswith("canon.cli") and not i.target.startswith(CLI_MAY_IMPORT)
    ]
    assert not bad, "the CLI reaches past the facade:\n" + "\n".join(bad)


def test_the_checker_sees_an_upward_import() -> None:
    # The rule must be able to fail: an audit module importing the CLI is upward.
    assert _upward(Import("canon.audit.runner", "canon.cli.options", 1, True))
    assert not _upward(Import("canon.cli.options", "canon.errors", 1, True))
