"""The README's five-minute tour, pasted in order into one shell against a fresh local stack.

The commands and the answers they should give are read from README.md itself, so that the tour and
this test cannot drift apart: each command must succeed (or fail, when the answer shown is an error),
and each answer must have the shape of the one the README shows.
"""

import json
import shutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from support.readme_tour import TourCommand, matches, run_in_one_shell, same_shape, tour_commands

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
TOUR_TIMEOUT_SECONDS = 300.0


def check_answer(command: TourCommand, result: dict[str, str]) -> list[str]:
    """What is wrong with a command's answer, if anything."""
    problems = []
    status = int(result["status"] or "-1")
    stdout, stderr = result["out"], result["err"]
    if command.shows_an_error:
        if status == 0:
            problems.append("succeeded, but the tour shows an error")
        lines = stderr.splitlines()
        if not lines or not all(
            matches(shown, line) for shown, line in zip(command.shown, lines, strict=False)
        ):
            problems.append(f"stderr {stderr!r} is not {command.shown!r}")
        return problems
    if status != 0:
        return [f"exited {status}: {stderr.strip()}"]
    if stdout and not stdout.endswith("\n"):
        problems.append("the answer does not end with a newline")
    if command.shown_json is not None:
        try:
            answered = json.loads(stdout)
        except ValueError:
            return [*problems, f"answered {stdout!r}, not JSON"]
        if not same_shape(command.shown_json, answered):
            problems.append(f"answered {answered!r}, not of the shape of {command.shown_json!r}")
    elif command.shown:
        lines = stdout.splitlines()
        if len(lines) < len(command.shown) or not all(
            matches(shown, line) for shown, line in zip(command.shown, lines, strict=False)
        ):
            problems.append(f"answered {stdout!r}, not {command.shown!r}")
    return problems


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed: the tour uses it")
def test_the_readme_tour_works_when_pasted_in_order(
    launch_stack: Callable[..., AbstractContextManager[Any]], tmp_path: Path
) -> None:
    # Given a checkout with the project's virtualenv, and a fresh stack whose state is its .local
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(Path(sys.executable).parent.parent)
    commands = tour_commands((REPOSITORY / "README.md").read_text(encoding="utf-8"))
    assert commands[-1].text == "busgps local down"
    with launch_stack(checkout / ".local") as stack:
        # When the tour's commands are pasted in order into one shell there
        output_dir = tmp_path / "answers"
        output_dir.mkdir()
        results = run_in_one_shell(commands, checkout, output_dir, TOUR_TIMEOUT_SECONDS)

        # Then each one answered as the tour shows
        problems = {
            command.text: problem
            for command, result in zip(commands, results, strict=True)
            if (problem := check_answer(command, result))
        }
        report = "\n\n".join(f"$ {text}\n{problem}" for text, problem in problems.items())
        assert not problems, f"{report}\n\nthe stack's log:\n{stack.log()}"

        # And the last one stopped the stack, cleanly
        assert stack.process.wait(10) == 0
