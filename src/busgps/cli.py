"""The `busgps` console script: client commands, operator commands and the local stack."""

import argparse
from collections.abc import Iterator, Sequence

from busgps.client import commands as client_commands
from busgps.client.operator import commands as operator_commands
from busgps.cost import commands as cost_commands
from busgps.local import commands as local_commands

# The title of the option group that several commands share (the stack they talk to).
SHARED_GROUP_TITLE = "stack options"
USAGE_PREFIX = "usage: "


class HelpFormatter(argparse.HelpFormatter):
    """Each option's default, when it has one worth saying, after its help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in help_text or not action.option_strings:
            return help_text
        if isinstance(default, tuple):
            default = ",".join(str(part) for part in default)
        return f"{help_text} (default: {str(default).replace('%', '%%')})"


class CommandParser(argparse.ArgumentParser):
    """A parser whose help shows defaults; subcommands get the same kind of parser."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="busgps",
        description="Bus GPS positions: post, query, operate, run locally.",
        parents=[client_commands.stack_options()],
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    client_commands.register(subcommands)
    operator_commands.register(subcommands)
    local_commands.register(subcommands)
    cost_commands.register(subcommands)
    _tidy_help(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str | None, argparse.ArgumentParser]]:
    """Each subcommand's help line and parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                yield helps.get(name), subparser


def _tidy_help(parser: argparse.ArgumentParser) -> None:
    """A command's own options first in its usage line, the shared ones once as `[stack options]`
    (they are listed under their group), and its one-line help as its description."""
    shared = [
        action
        for group in parser._action_groups
        if group.title == SHARED_GROUP_TITLE
        for action in group._group_actions
    ]
    if shared:
        own = [action for action in parser._actions if action not in shared]
        formatter = parser._get_formatter()
        # Laid out after "usage: ", as argparse prints it, then given back without it.
        formatter.add_usage(None, own, parser._mutually_exclusive_groups, prefix=USAGE_PREFIX)
        usage = formatter.format_help().strip().removeprefix(USAGE_PREFIX)
        if any(isinstance(action, argparse._SubParsersAction) for action in own):
            usage = usage.replace(" COMMAND", " [stack options] COMMAND", 1)
        else:
            usage += " [stack options]"
        parser.usage = usage.replace("%", "%%").replace(parser.prog, "%(prog)s", 1)
    for help_line, subparser in _subparsers(parser):
        if subparser.description is None:
            subparser.description = help_line
        _tidy_help(subparser)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    exit_code: int = arguments.run(arguments)
    return exit_code
