"""Corpus scorecard: how the audit does on the six foreign-style dbt projects of tests/corpus/.

For each project (a fresh temporary copy, no canon.yml): `dbt seed`, then `dbt build`
(`dbt seed` only where the truth says `dbt_command: seed`, the Snowflake-dialect one), then the
two commands a user types, through the real CLI as subprocesses:

    canon init
    canon audit --metric <metric> --period 2026-10 --format json     # each metric the truth names

(`--static` is added for a `static_only` project when `canon audit --help` offers it; otherwise
the audit runs as it is and the row says "static mode not available".) `--period 2026-10` is
given because the truth's figures are for 2026-10, whatever month `canon init` chose.

Scoring against `canon_truth.yml` (the matching rule, mechanical on purpose):

* **definitions found / expected**: a truth definition (metric x id) counts as found when the
  audit of that metric lists at least one of its models as a definition (model names compared
  case-insensitively).
* **decision points right / expected**: the points of a truth definition are its measure (1),
  its time basis (1), each filtered column (1 each) and each row decision (1 each). They are
  compared with the first of its models the audit lists (truth order):
  - measure: right when the audit's `decisions.measure.column` (the amount before any per-row
    factor) equals the truth's `measure.column` (case-insensitive, whitespace removed) and the
    column picking a per-row factor (`scale_by`, or the truth's `sign_by`) is the same on both
    sides (or absent on both);
    a truth measure over several row sets is written as the audit writes a composite's
    measure (`a - b + c`: each term's amount with its sign) and compared the same way;
  - time basis: `kind: point` is right when the audit's `decisions.time_basis` is exactly
    `[column]`; `kind: validity_range` when it is `[start, end]`; `lifetime` / `snapshot`
    when the audit's basis is empty and its `time_basis_detail` says lifetime (no period);
    `mixed` (terms placed by different dates) when the audit says several bases and each
    `*_part` is some term's basis (a date column the part names, or "as in <id>": that
    definition's basis);
  - filter column C: right when the audit's `decisions.filters` has C with the same set of
    admitted values (compared as lower-case strings); a truth `filters: {}` adds no point;
  - row decision (the truth's prose, classed by its first words): "dedup" is right when the
    audit lists a dedup, "no dedup" when it lists none; "fan-out", "anti-join", "only ...
    exists" / "inner join ... keeps only" (a required match) and "filter on LEFT-joined ...
    drops" are right when the audit lists a decision of that kind (`fanout`, `matches` with
    present false / true or an inner fan-out, a row decision saying rows are "dropped") whose
    table the truth's text names (the whole name, or its last word: `attempts` for
    `app_payment_attempts`).
  A definition not found scores 0 on all its points. A truth definition whose decisions are
  prose "as <id>, ..." (ARR as the x12 of an MRR definition) is scored on <id>'s points.
* **figures to the cent**: each truth figure for 2026-10 counts as reproduced when the audit
  lists one of the definition's models with `comparable` true and `reproduced_cents` equal to
  the truth's cents (the audit's own decisions, compiled and run, give the hand-SQL figure).
* **wrongly divergent**: of the truth's `not_divergent` model pairs, those where both models
  appear as definitions (in any of the project's audits) with different decisions: measure
  column, time basis or filters differing (the measure's scale is ignored: x12 and /100 are
  unit relations, not divergences; a lifetime total is compared without its period, see
  `same_decisions`). Shown as wrong / pairs.
* **seconds** (canon init + every audit, wall) and **peak RSS** (largest `ru_maxrss` of those
  child processes, from `os.wait4`); dbt seed/build time is shown apart.

    python bench/bench_corpus.py [--project NAME ...] [--timeout 600]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import absolute_pythonpath, canon_exe, load_average, machine, print_table  # noqa: E402
from bench.measure import run_measured  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
PERIOD = "2026-10"


def norm(text: Any) -> str:
    return "".join(str(text).split()).lower()


def static_flag_available(canon: str) -> bool:
    proc = subprocess.run([canon, "audit", "--help"], capture_output=True, text=True, check=False)
    return "--static" in proc.stdout


def time_basis_right(
    truth_basis: dict[str, Any],
    audit_basis: list[str],
    detail: dict[str, Any] | None = None,
    terms: list[dict[str, Any]] | None = None,
    truth: dict[str, Any] | None = None,
) -> bool:
    got = [norm(c) for c in audit_basis]
    kind = truth_basis.get("kind")
    if kind == "mixed":  # a sum of row sets placed by different dates: each part is some term's basis
        if not terms or not (detail or {}).get("several"):
            return False
        parts = [v for k, v in truth_basis.items() if k.endswith("_part")]
        return bool(parts) and all(_part_right(str(part), terms, truth or {}) for part in parts)
    if kind in ("lifetime", "snapshot"):  # no period: the audit says so with an empty basis
        return got == [] and bool((detail or {}).get("lifetime"))
    if kind == "point":
        return got == [norm(truth_basis["column"])]
    if kind == "validity_range":
        return got == [norm(truth_basis["start"]), norm(truth_basis["end"])]
    return False


def _part_right(part: str, terms: list[dict[str, Any]], truth: dict[str, Any]) -> bool:
    """One part of a mixed time basis: "raw_returns.returned_at (...)" names a term's date column;
    "validity range as in <id>" is <id>'s time basis, which some term must have."""
    ref = re.search(r"as in ([a-z0-9_]+)", part.lower())
    if ref is not None:
        basis = resolve(f"as {ref.group(1)}", truth).get("time_basis") or {}
        return any(time_basis_right(basis, t.get("time_basis") or [], t.get("time_basis_detail")) for t in terms)
    words = set(re.findall(r"[a-z0-9_.]+", part.lower()))
    return any(t.get("time_basis") and all(norm(c) in words for c in t["time_basis"]) for t in terms)


def resolve(decisions: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """A truth definition's decisions; "as <id>, ..." (prose) refers to another definition's."""
    if isinstance(decisions, dict):
        return decisions
    if isinstance(decisions, str) and decisions.startswith("as "):
        ref = decisions[3:].split(",")[0].split()[0]
        for body in truth["metrics"].values():
            for d in body["definitions"]:
                if d["id"] == ref and isinstance(d.get("decisions"), dict):
                    return d["decisions"]
    return {}


def as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else [values]


def score_points(
    decisions: dict[str, Any],
    audit: dict[str, Any] | None,
    missed: list[str] | None = None,
    truth: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """(right, expected) decision points of one truth definition against one audit definition;
    the points not right are appended to `missed` (for `--detail`)."""
    missed = [] if missed is None else missed
    if not decisions:
        return 0, 0
    filters = decisions.get("filters") or {}
    rows = decisions.get("row_decisions") or []
    expected = 2 + len(filters) + len(rows)
    if audit is None:
        missed.append("not found")
        return 0, expected
    got = audit.get("decisions") or {}
    right = 0
    measure = decisions.get("measure") or {}
    got_measure = got.get("measure") or {}
    same_amount = norm(measure.get("column", "")) == norm(got_measure.get("column", "?"))
    # a sign chosen by a column (`sign_by`) is a per-row factor like any other
    truth_scale_by = measure.get("scale_by") or next(iter(measure.get("sign_by") or {}), "")
    if same_amount and norm(truth_scale_by) == norm(got_measure.get("scale_by", "")):
        right += 1
    else:
        missed.append(f"measure: got {got_measure.get('column')!r} scale_by {got_measure.get('scale_by')!r}")
    basis = decisions.get("time_basis")
    if isinstance(basis, dict) and time_basis_right(
        basis, got.get("time_basis") or [], got.get("time_basis_detail"), got.get("terms"), truth
    ):
        right += 1
    else:
        missed.append(f"time basis: got {got.get('time_basis')}")
    audit_filters = {norm(c): {norm(v) for v in vals} for c, vals in (got.get("filters") or {}).items()}
    for column, values in filters.items():
        if audit_filters.get(norm(column)) == {norm(v) for v in as_list(values)}:
            right += 1
        else:
            missed.append(f"filter {column}: got {sorted(audit_filters.get(norm(column)) or [])}")
    for text in rows:
        if row_decision_right(text, got):
            right += 1
        else:
            missed.append(f"row decision {text[:60]!r}")
    return right, expected


def _table_of(ref: str) -> str:
    return ref.split(".")[0].lower()


def _names_table(text: str, table: str) -> bool:
    words = set(re.findall(r"[a-z0-9_]+", text.lower()))
    return table in words or table.split("_")[-1] in words


def row_decision_right(text: str, got: dict[str, Any]) -> bool:
    """One truth row decision (prose) against the audit's row decisions (see the module docstring)."""
    lower = text.lower().strip()
    dedup, fanout, matches = got.get("dedup") or [], got.get("fanout") or [], got.get("matches") or []
    if lower.startswith("no dedup"):
        return not dedup
    if lower.startswith("dedup"):
        return bool(dedup)
    if lower.startswith("fan-out"):
        tables = [_table_of(f["other"]) for f in fanout]
    elif lower.startswith("anti-join"):
        tables = [_table_of(m["other"]) for m in matches if not m.get("present", True)]
    elif lower.startswith("only ") or lower.startswith("inner join"):
        tables = [_table_of(m["other"]) for m in matches if m.get("present", True)]
        tables += [_table_of(f["other"]) for f in fanout if f.get("inner")]
    elif lower.startswith("filter on left-joined"):
        dropped = [r for r in got.get("row_decisions") or [] if "dropped" in r]
        tables = [t for r in dropped for t in re.findall(r"rows with no ([a-z0-9_]+)", r.lower())]
    else:
        return False
    return any(_names_table(text, t) for t in tables)


def same_decisions(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same measure column, time basis, filters and predicates; a lifetime total (empty time basis)
    is compared without the period, without its filters on the other's range dates and without
    predicates (a snapshot evaluates that range at one date: `end_date > current_date`)."""
    da, db = a.get("decisions") or {}, b.get("decisions") or {}
    ta, tb = [norm(c) for c in da.get("time_basis") or []], [norm(c) for c in db.get("time_basis") or []]
    lifetime = not ta or not tb
    dates = set(ta) | set(tb) if lifetime else set()

    def filters(d: dict[str, Any]) -> dict[str, Any]:
        return {c: v for c, v in (d.get("filters") or {}).items() if norm(c) not in dates}

    return (
        norm((da.get("measure") or {}).get("column")) == norm((db.get("measure") or {}).get("column"))
        and (lifetime or ta == tb)
        and filters(da) == filters(db)
        and (lifetime or da.get("predicates") == db.get("predicates"))
    )


def score_project(name: str, canon: str, static_ok: bool, timeout: float, detail: bool = False) -> list[Any]:
    from canon.dbt.runner import run_dbt

    truth = yaml.safe_load((CORPUS / name / "canon_truth.yml").read_text())
    tmp = Path(tempfile.mkdtemp(prefix=f"canon-corpus-{name}-"))
    folder = Path(
        shutil.copytree(CORPUS / name, tmp / name, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    )
    notes: list[str] = []
    t0 = time.perf_counter()
    run_dbt(folder, ["seed"])
    if truth["dbt_command"] == "build":
        run_dbt(folder, ["build"])
    dbt_s = time.perf_counter() - t0

    runs = [run_measured([canon, "init"], folder, timeout=timeout)]
    if runs[0].returncode != 0:
        notes.append(f"init exit {runs[0].returncode}: {(runs[0].stderr or runs[0].stdout).strip()[-200:]}")
    canon_yml = folder / "canon.yml"
    if canon_yml.exists():
        chosen = (yaml.safe_load(canon_yml.read_text()) or {}).get("current_period")
        if chosen and str(chosen) != PERIOD:
            notes.append(f"init chose current_period {chosen}")
    static = bool(truth.get("static_only"))
    if static and not static_ok:
        notes.append("static mode not available")

    audits: dict[str, list[dict[str, Any]]] = {}
    for metric in truth["metrics"]:
        argv = [canon, "audit", "--metric", metric, "--period", PERIOD, "--format", "json"]
        if static and static_ok:
            argv.append("--static")
        if truth.get("dialect"):  # the SQL's own dialect (its profile here is dbt-duckdb, to seed)
            argv += ["--dialect", truth["dialect"]]
        run = run_measured(argv, folder, timeout=timeout)
        runs.append(run)
        if run.timed_out:
            notes.append(f"{metric}: killed after {timeout:.0f} s")
            audits[metric] = []
            continue
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:
            message = " ".join((run.stderr or run.stdout).split()).split(" Fix:")[0]
            message = message.removeprefix("error: parameter `--metric`: ")[:160]
            notes.append(f"{metric}: exit {run.returncode}, no report ({message})")
            audits[metric] = []
            continue
        audits[metric] = report.get("definitions") or []
        if not audits[metric]:
            notes.append(f"{metric}: {report.get('headline')}")
        elif report.get("failed"):
            notes.append(f"{metric}: {len(report['failed'])} models failed")

    found = expected_defs = right = points = fig_right = fig_expected = 0
    by_model: dict[str, dict[str, Any]] = {}
    for defs in audits.values():
        for d in defs:
            by_model.setdefault(norm(d["model"]), d)
    for metric, body in truth["metrics"].items():
        listed = {norm(d["model"]): d for d in audits.get(metric, [])}
        matched: dict[str, dict[str, Any] | None] = {}
        for definition in body["definitions"]:
            expected_defs += 1
            hit = next((listed[norm(m["name"])] for m in definition["models"] if norm(m["name"]) in listed), None)
            matched[definition["id"]] = hit
            found += hit is not None
            missed: list[str] = []
            r, e = score_points(resolve(definition.get("decisions"), truth), hit, missed, truth)
            right, points = right + r, points + e
            if detail:
                print(f"  {name} {metric}.{definition['id']}: {r}/{e} {'; '.join(missed)}", file=sys.stderr)
        models_of = {d["id"]: [norm(m["name"]) for m in d["models"]] for d in body["definitions"]}
        for figure in body.get("figures") or []:
            if str(figure["period"]) != PERIOD:
                continue
            fig_expected += 1
            candidates = [listed[m] for m in models_of.get(figure["definition"], []) if m in listed]
            if any(c.get("comparable") and c.get("reproduced_cents") == figure["cents"] for c in candidates):
                fig_right += 1
            elif detail:
                got = [(c["model"], c.get("comparable"), c.get("reproduced_cents")) for c in candidates]
                print(f"  {name} figure {figure['definition']}: want {figure['cents']}, got {got}", file=sys.stderr)
    pairs = (truth.get("divergences") or {}).get("not_divergent") or []
    wrong = 0
    for pair in pairs:
        a, b = (by_model.get(norm(m)) for m in pair["models"][:2])
        if a is not None and b is not None and not same_decisions(a, b):
            wrong += 1
            if detail:
                print(f"  {name} divergent: {pair['models']}", file=sys.stderr)
    canon_s = sum(r.seconds for r in runs)
    peak = max(r.peak_mib for r in runs)
    shutil.rmtree(tmp, ignore_errors=True)
    return [
        name,
        ", ".join(truth["metrics"]),
        f"{found}/{expected_defs}",
        f"{right}/{points}",
        f"{fig_right}/{fig_expected}",
        f"{wrong}/{len(pairs)}",
        f"{dbt_s:.1f}",
        f"{runs[0].seconds:.1f}",
        f"{canon_s:.1f}",
        f"{peak:.0f}",
        "; ".join(notes),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", action="append", help="only these corpus projects")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a canon command is killed")
    parser.add_argument("--detail", action="store_true", help="print each truth definition's missed points to stderr")
    args = parser.parse_args()
    absolute_pythonpath()
    canon = canon_exe()
    static_ok = static_flag_available(canon)
    projects = args.project or sorted(p.parent.name for p in CORPUS.glob("*/canon_truth.yml"))
    print(f"machine: {machine()}; {load_average()} at start")
    rows = [score_project(name, canon, static_ok, args.timeout, args.detail) for name in projects]
    print(f"{load_average()} at end")
    print_table(
        [
            "project",
            "metrics",
            "definitions found",
            "decision points right",
            f"figures {PERIOD} to the cent",
            "wrongly divergent pairs",
            "dbt seed+build s",
            "canon init s",
            "canon init+audits s",
            "peak RSS MiB",
            "notes",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
