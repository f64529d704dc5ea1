"""The documented Python API: `from canon import Project, load_project` and its doctested examples."""

from __future__ import annotations

import doctest

import canon


def test_public_names_import() -> None:
    from canon import Project, load_project

    assert Project.__name__ == "Project"
    assert callable(load_project)


def test_package_docstring_examples_run() -> None:
    # The examples write an ACME project, load it and compare the board number with the figure
    # the example was designed to (126,000,000 cents = $1,260,000.00, stated in the brief).
    result = doctest.testmod(canon, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted >= 8
    assert result.failed == 0


def test_python_errors_name_parameters_by_meaning(tmp_path: object) -> None:
    from pathlib import Path

    import pytest

    from canon import Project
    from canon.config import ProjectConfig
    from canon.errors import UserError

    root = Path(str(tmp_path))
    (root / "metrics").mkdir()
    project = Project(root, ProjectConfig(name="p"))
    with pytest.raises(UserError) as bad_grain:
        project.question([], grain="fortnight")
    assert bad_grain.value.location.parameter == "grain"
    with pytest.raises(UserError) as bad_period:
        project.period("Oct")
    assert bad_period.value.location.parameter == "period"
    # the CLI respells them for its users
    from canon.cli import CLI_SPELLING

    assert "parameter `--grain`" in bad_grain.value.spelled(CLI_SPELLING).render()
    assert "parameter `--period`" in bad_period.value.spelled(CLI_SPELLING).render()
