"""The `busgps` console script: client commands and the local stack."""

import argparse
from collections.abc import Sequence

from busgps.client import commands as client_commands
from busgps.client.operator import commands as operator_commands
from busgps.local import commands as local_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="busgps",
        description="Bus GPS positions: post, query, run locally.",
        parents=[client_commands.stack_options()],
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    client_commands.register(subcommands)
    operator_commands.register(subcommands)
    local_commands.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    exit_code: int = arguments.run(arguments)
    return exit_code
