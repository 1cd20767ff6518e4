"""The CLI's help: a command's own options first, with their defaults, and the shared ones once."""

import pytest

from busgps.cli import build_parser


def _help(*command: str) -> str:
    parser = build_parser()
    for name in command:
        parser = next(
            action.choices[name]
            for action in parser._actions
            if hasattr(action, "choices") and action.choices
        )
    return parser.format_help()


@pytest.mark.parametrize("command", [("simulate",), ("get",), ("rejects",), ("redrive",)])
def test_the_usage_names_the_commands_own_options_then_the_shared_ones_once(command):
    # Given a command's help
    text = _help(*command)
    usage = text.split("\n\n", 1)[0]
    # Then its usage line does not repeat the shared stack options, which have their group
    assert usage.rstrip().endswith("[stack options]")
    assert "--stack-file" not in usage
    assert text.count("--stack-file STACK_FILE") == 1
    # And it has a description
    assert text.split("\n\n")[1].strip()


def test_options_say_their_defaults():
    # Given simulate's help, Then interval and duration say their defaults
    text = " ".join(_help("simulate").split())
    assert "seconds between fixes (default: 5.0)" in text
    assert "seconds to run (default: 60.0)" in text
    assert "how many buses (default: 10)" in text
