"""The README's cost tables are `busgps cost`'s output, as it prints them today."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from busgps.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# <!-- busgps cost [options] --> the table <!-- end busgps cost -->
GENERATED = re.compile(r"<!-- (busgps cost[^>]*?) -->\n(.*?)\n<!-- end busgps cost -->", re.DOTALL)


def generated_tables() -> list[tuple[str, str]]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return [(command, table) for command, table in GENERATED.findall(readme)]


def test_the_readme_has_the_reference_fleets_table() -> None:
    assert "busgps cost" in [command for command, _ in generated_tables()]


@pytest.mark.parametrize(("command", "table"), generated_tables())
def test_each_cost_table_of_the_readme_is_what_the_command_prints(
    command: str, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a table of the README and the command it says it is the output of
    monkeypatch.chdir(PROJECT_ROOT)
    printed = io.StringIO()
    # When the command runs
    with contextlib.redirect_stdout(printed):
        assert main(shlex.split(command)[1:]) == 0
    # Then it prints that table (to update it, paste the command's output between the markers)
    assert table == printed.getvalue().rstrip("\n"), f"README table out of date: run `{command}`"
