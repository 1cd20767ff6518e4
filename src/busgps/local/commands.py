"""Subcommands of the `busgps` console script: `busgps local up`."""

import argparse
from pathlib import Path
from typing import Any

from busgps.local.config import DEFAULT_SETTINGS_PATH
from busgps.local.stack import DEFAULT_STATE_DIR, StackOptions, run_stack

DEFAULT_GATEWAY_PORT = 8000
DEFAULT_EMULATOR_PORT = 4566
DEFAULT_WEBSOCKET_PORT = 8001


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add this package's subcommands; each sets `run` to a function of the parsed arguments."""
    local = subcommands.add_parser("local", help="the whole system on this machine")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    up = local_commands.add_parser(
        "up",
        help="start the local stack (emulator, event source mapping, API gateway) until Ctrl-C",
        description="Start the local stack and keep it running until Ctrl-C or SIGTERM. "
        "Run from the repository root; the details are written to <state dir>/stack.json.",
    )
    up.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    up.add_argument(
        "--port",
        type=int,
        default=DEFAULT_GATEWAY_PORT,
        help="API gateway port; 0 picks a free one (default: %(default)s)",
    )
    up.add_argument(
        "--emulator-port",
        type=int,
        default=DEFAULT_EMULATOR_PORT,
        help="moto server port; 0 picks a free one (default: %(default)s)",
    )
    up.add_argument(
        "--websocket-port",
        type=int,
        default=DEFAULT_WEBSOCKET_PORT,
        help="WebSocket API port; 0 picks a free one (default: %(default)s)",
    )
    up.add_argument(
        "--settings", type=Path, default=DEFAULT_SETTINGS_PATH, help="settings file (default: %(default)s)"
    )
    up.add_argument(
        "--api-definition",
        type=Path,
        default=Path("api") / "openapi.yaml",
        help="OpenAPI document the gateway serves (default: %(default)s)",
    )
    up.add_argument(
        "--map-dir",
        type=Path,
        default=Path("web") / "map",
        help="the operations map's static files, served under /map/ (default: %(default)s)",
    )
    up.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the lock and stack.json are kept (default: %(default)s)",
    )
    up.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print a line for each API request (default: on)",
    )
    up.add_argument(
        "--throttling",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="throttle requests as the stage does, by the settings' api_throttling_rate_limit and "
        "api_throttling_burst_limit (default: on)",
    )
    up.set_defaults(run=_up)


def _up(arguments: argparse.Namespace) -> int:
    return run_stack(
        StackOptions(
            settings_path=arguments.settings,
            api_definition_path=arguments.api_definition,
            state_dir=arguments.state_dir,
            host=arguments.host,
            port=arguments.port,
            emulator_port=arguments.emulator_port,
            websocket_port=arguments.websocket_port,
            map_dir=arguments.map_dir,
            access_log=arguments.access_log,
            throttling=arguments.throttling,
        )
    )
