"""A property over mutated input: whatever a person breaks, canon answers 0, 1 or 2 without a traceback.

Hypothesis mutates the tiny project's contracts and canon.yml (a line dropped, doubled or cut,
a character swapped for YAML or SQL punctuation or a NUL, text inserted) and the CLI arguments
(periods, grains, dimensions, filters), runs the real CLI in-process and checks: the exit code
is 0, 1 or 2; nothing prints a traceback; every exit-2 message says where (file:line, a field,
a parameter, or the command's usage).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compiler.fixture import METRICS, write_project
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow  # ~40 s of CLI runs; `make test-fast` stays under a minute

FILES = ["canon.yml", *(f"metrics/{name}" for name in sorted(METRICS))]
PUNCTUATION = [":", "[", "]", "{", "}", '"', "'", "(", ")", "\x00", "-", " ", "\t", "#", "*", "/", "0", "x", "|", ">"]
# somewhere an error must be located: file:line, a field or parameter, or click's usage text
LOCATED = re.compile(r"\.ya?ml(:\d+)?|field `|parameter `|Usage: |--[a-z]")


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, str, int, str]:
    file = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["drop", "double", "cut", "char", "insert"]))
    where = draw(st.integers(min_value=0, max_value=10_000))
    text = draw(
        st.one_of(
            st.sampled_from(PUNCTUATION),
            st.text(alphabet=st.sampled_from(PUNCTUATION + list("abcz_.=12")), max_size=12),
            st.sampled_from(["1/0", "9999-12", "mrr", "raw_nope.x", "((((", "select 1", "{{ x }}", "\n  - ", "~"]),
        )
    )
    return file, kind, where, text


def apply(root: Path, change: tuple[str, str, int, str]) -> None:
    file, kind, where, text = change
    path = root / file
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    line = where % max(len(lines), 1)
    at = where % max(len(source), 1)
    if kind == "drop":
        del lines[line]
        source = "".join(lines)
    elif kind == "double":
        lines.insert(line, lines[line])
        source = "".join(lines)
    elif kind == "cut":
        source = source[:at]
    elif kind == "char":
        source = source[:at] + text[:1] + source[at + 1 :]
    else:
        source = source[:at] + text + source[at:]
    path.write_text(source, encoding="utf-8")


PERIODS = st.sampled_from(["2026-09", "2026-10", "2026-Q4", "2026", "2026-W05", "9999-12", "0000-01", "2026-13", "x"])
ARGS = st.lists(
    st.one_of(
        st.tuples(st.just("--from"), PERIODS),
        st.tuples(st.just("--to"), PERIODS),
        st.tuples(st.just("--grain"), st.sampled_from(["month", "week", "quarter", "day", "year", "eon", ""])),
        st.tuples(st.just("--by"), st.sampled_from(["segment", "industry", "segmnt", "", "account_id"])),
        st.tuples(
            st.just("--where"),
            st.one_of(
                st.sampled_from(["segment = 'smb'", "segment IN (SELECT 1)", "read_csv('x')", "segment =", "1"]),
                st.text(alphabet=st.sampled_from(PUNCTUATION + list("segmnt'=<>and")), max_size=20),
            ),
        ),
        st.tuples(st.just("-f"), st.sampled_from(["json", "csv", "table", "xml"])),
    ),
    max_size=3,
)
COMMANDS = st.sampled_from(
    [
        ["query", "mrr"],
        ["query", "arr"],
        ["query", "collected_by_sql"],
        ["query", "contract_mrr", "cash"],
        ["query", "mrr", "--sql", "--dialect", "postgres"],
        ["test"],
        ["approve", "mrr", "--by", "Dana", "--role", "CFO"],
    ]
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("template"))


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(mutation(), max_size=2), command=COMMANDS, args=ARGS)
def test_any_mutation_exits_0_1_or_2_without_a_traceback(
    template: Path,
    capsys: pytest.CaptureFixture[str],
    changes: list[tuple[str, str, int, str]],
    command: list[str],
    args: list[tuple[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        shutil.copytree(template, root, ignore=shutil.ignore_patterns(".canon"))
        for change in changes:
            apply(root, change)
        flat = [part for pair in args for part in pair]
        res = run_cli(capsys, *command, *flat, "-p", str(root))
    assert res.code in (0, 1, 2), (res.code, res.err)
    assert "Traceback" not in res.err and "Traceback" not in res.out, res.err
    if res.code == 2:
        assert LOCATED.search(res.err), res.err
