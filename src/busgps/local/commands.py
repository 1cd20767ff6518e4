"""Subcommands of the `busgps` console script: `busgps local up`, `status` and `down`."""

import argparse
import sys
from pathlib import Path
from typing import Any

from busgps.client.output import print_json
from busgps.local.config import DEFAULT_SETTINGS_PATH
from busgps.local.control import running_pid, stack_status, stop_stack
from busgps.local.faults import FAULTS_FILE_NAME, KINDS, fault_spec_argument
from busgps.local.stack import DEFAULT_STATE_DIR, StackOptions, run_stack

DEFAULT_GATEWAY_PORT = 8000
DEFAULT_EMULATOR_PORT = 4566
DEFAULT_WEBSOCKET_PORT = 8001
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The stack stops within a few seconds; this leaves room for a loaded machine.
STOP_TIMEOUT_SECONDS = 15.0
NOT_RUNNING = "busgps local stack: not running (start it with `make run` or `busgps local up`)"


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add this package's subcommands; each sets `run` to a function of the parsed arguments."""
    local = subcommands.add_parser("local", help="the whole system on this machine")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    up = local_commands.add_parser(
        "up",
        help="start the local stack (emulator, event source mapping, API gateways) until Ctrl-C",
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
        "--ingest-port",
        type=int,
        default=0,
        help="port of the devices' HTTP API (the POST routes, api/ingest.yaml); 0 picks a free one "
        "(default: %(default)s)",
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
        "--lambda-port",
        type=int,
        default=0,
        help="port of Lambda's Invoke API for the consumer (what `busgps redrive` calls); "
        "0 picks a free one (default: %(default)s)",
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
        "--ingest-definition",
        type=Path,
        default=Path("api") / "ingest.yaml",
        help="OpenAPI document the devices' HTTP API serves (default: %(default)s)",
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
    up.add_argument(
        "--json-logs",
        action="store_true",
        help="show the functions' output as they write it (Powertools JSON log records and metrics) "
        "instead of one line per consumer batch",
    )
    up.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="the functions' POWERTOOLS_LOG_LEVEL and the stack's own level (default: INFO for the "
        "functions, WARNING for the stack)",
    )
    up.add_argument(
        "--faults",
        metavar="SPEC",
        type=fault_spec_argument,
        help="inject the faults AWS produces, where AWS produces them, at stated rates: e.g. "
        "'dynamodb-throttle=0.05,kinesis-throttle=0.02,consumer-kill=0.01,seed=7', or 'all' "
        f"(kinds: {', '.join(KINDS)}); counted in <state dir>/{FAULTS_FILE_NAME}",
    )
    up.set_defaults(run=_up)

    status = local_commands.add_parser(
        "status",
        help="whether the local stack runs, is healthy, and where",
        description="Say whether a local stack runs for this state directory and answers GET /health. "
        "Exit code 0 when it runs and is healthy, 1 otherwise.",
    )
    status.add_argument("--json", action="store_true", help="its stack file, with running and healthy")
    status.add_argument(
        "--value", metavar="KEY", help="print only this key of its stack file (e.g. api_url, stream_name)"
    )
    _state_dir_option(status)
    status.set_defaults(run=_status)

    down = local_commands.add_parser(
        "down",
        help="stop the local stack that `make run` started elsewhere (as Ctrl-C does)",
        description="Send SIGTERM to the local stack of this state directory and wait until it stopped.",
    )
    down.add_argument(
        "--timeout", type=float, default=STOP_TIMEOUT_SECONDS, help="seconds to wait for it to stop"
    )
    _state_dir_option(down)
    down.set_defaults(run=_down)


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="the state directory `busgps local up` was given (default: %(default)s)",
    )


def _up(arguments: argparse.Namespace) -> int:
    return run_stack(
        StackOptions(
            settings_path=arguments.settings,
            api_definition_path=arguments.api_definition,
            state_dir=arguments.state_dir,
            host=arguments.host,
            port=arguments.port,
            ingest_definition_path=arguments.ingest_definition,
            ingest_port=arguments.ingest_port,
            emulator_port=arguments.emulator_port,
            websocket_port=arguments.websocket_port,
            map_dir=arguments.map_dir,
            lambda_port=arguments.lambda_port,
            access_log=arguments.access_log,
            throttling=arguments.throttling,
            json_logs=arguments.json_logs,
            log_level=arguments.log_level,
            faults=arguments.faults,
        )
    )


def _status(arguments: argparse.Namespace) -> int:
    status = stack_status(arguments.state_dir)
    if arguments.value is not None:
        if status.details is None:
            print(NOT_RUNNING, file=sys.stderr)
            return 1
        if arguments.value not in status.details:
            known = ", ".join(status.details)
            print(f"busgps: the stack file has no key {arguments.value!r} (it has {known})", file=sys.stderr)
            return 2
        print(status.details[arguments.value])
        return 0
    if arguments.json:
        print_json({**(status.details or {}), "running": status.running, "healthy": status.healthy})
    elif not status.running:
        print(NOT_RUNNING)
    elif status.details is None:
        print(f"busgps local stack: starting (pid {status.pid})")
    else:
        details = status.details
        health = "healthy" if status.healthy else "not answering GET /health"
        print(f"busgps local stack: running, {health} (pid {status.pid}, since {details.get('started_at')})")
        print(
            f"  API {details.get('api_url')}  ingest {details.get('ingest_url')}  "
            f"emulator {details.get('emulator_endpoint')}"
        )
        print(f"  details in {arguments.state_dir / 'stack.json'}; stop it with `busgps local down`")
    return 0 if status.healthy else 1


def _down(arguments: argparse.Namespace) -> int:
    pid = running_pid(arguments.state_dir)
    if pid is None:
        print("busgps local stack: not running, nothing to stop")
        return 0
    if not stop_stack(pid, arguments.state_dir, arguments.timeout):
        print(
            f"busgps local stack: pid {pid} did not stop within {arguments.timeout:g}s; "
            f"`kill -KILL {pid}` ends it",
            file=sys.stderr,
        )
        return 1
    print(f"busgps local stack: stopped (pid {pid})")
    return 0
