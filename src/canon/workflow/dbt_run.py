"""Run real dbt (`dbt build`) for verification and report failing nodes by name."""

from __future__ import annotations

from pathlib import Path

from canon.workflow.verify import Check


def run_dbt_build(root: Path, select: list[str] | None = None) -> Check:
    from dbt.cli.main import dbtRunner

    args = ["build", "--project-dir", str(root), "--profiles-dir", str(root), "--quiet", "--no-use-colors"]
    if select:
        args += ["--select", *select]
    result = dbtRunner().invoke(args)
    failed: list[str] = []
    passed = 0
    for r in getattr(result.result, "results", None) or []:
        status = str(getattr(r, "status", "")).lower()
        name = getattr(getattr(r, "node", None), "name", "?")
        if status in ("error", "fail", "runtime error"):
            failed.append(f"{name}: {status} {getattr(r, 'message', '') or ''}".strip())
        else:
            passed += 1
    ok = bool(result.success) and not failed
    detail = f"{passed} node(s) passed" + (f", {len(failed)} failed" if failed else "")
    if result.exception is not None:
        failed.append(str(result.exception))
    return Check("dbt build", ok, detail, failed)
