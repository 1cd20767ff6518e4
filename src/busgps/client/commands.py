"""Subcommands of the `busgps` command: token, post, post-batch, get, buses, history, export, replay,
simulate, feed."""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed, TokenSource
from busgps.client.auth import AuthError, CognitoTokenSource, cognito_client, fetch_id_token
from busgps.client.driver import MAX_BATCH_SIZE, Progress, SimulatedFleet, run_fleet
from busgps.client.exports import FORMATS, join_pages
from busgps.client.gtfs import GtfsError, Schedule, TimetableFleet, read_gtfs
from busgps.client.models import Position
from busgps.client.operator.absence import why_no_live_position
from busgps.client.output import print_json
from busgps.client.realtime import feed_json, feed_summary
from busgps.client.simulation import DEFAULT_CENTRE, Fleet
from busgps.client.target import StackTarget, TargetError, resolve_target

DEFAULT_TIMEOUT_SECONDS = 10.0
# How often `get --wait` asks again.
GET_WAIT_INTERVAL_SECONDS = 0.5
TOKEN_VARIABLE = "BUSGPS_TOKEN"  # noqa: S105 (the variable's name, not a secret)
_TARGET_FIELDS = (
    "api_url",
    "ingest_url",
    "post_url",
    "get_url",
    "region",
    "user_pool_id",
    "client_id",
    "stream_name",
    "username",
    "password",
    "cognito_endpoint",
)

Command = Callable[[argparse.Namespace], int]


class InputError(RuntimeError):
    """A file or value given to a command cannot be used."""


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add this package's subcommands; each sets `run` to a function of the parsed arguments."""
    target = stack_options()

    token = subcommands.add_parser("token", parents=[target], help="log in to Cognito and print an id token")
    token.set_defaults(run=_guarded(_run_token))

    post = subcommands.add_parser(
        "post", parents=[target], help="post one position in the compatible format (POST /post-gps)"
    )
    post.add_argument("--bus", required=True, help="bus id")
    post.add_argument("--lat", required=True, type=float, help="latitude, degrees")
    post.add_argument("--lon", required=True, type=float, help="longitude, degrees")
    post.add_argument("--timestamp", type=parse_time, help="device time: ISO-8601, epoch seconds or ms")
    post.add_argument("--speed", type=float, help="m/s")
    post.add_argument("--bearing", type=float, help="degrees clockwise from north")
    post.add_argument("--accuracy", type=float, help="m")
    post.add_argument("--altitude", type=float, help="m")
    post.set_defaults(run=_guarded(_run_post))

    post_batch = subcommands.add_parser(
        "post-batch", parents=[target], help="post positions from a file (POST /v1/positions)"
    )
    post_batch.add_argument("file", help="a JSON list of positions, or JSON lines; '-' reads stdin")
    post_batch.set_defaults(run=_guarded(_run_post_batch))

    get = subcommands.add_parser("get", parents=[target], help="the latest position of a bus")
    get.add_argument("bus", help="bus id")
    get.add_argument("--legacy", action="store_true", help="ask GET /get-gps, the compatible route")
    get.add_argument(
        "--wait",
        type=_positive_float,
        metavar="SECONDS",
        help="wait up to this long for a live position (a fix just posted takes about a second); "
        "stops early when a fix of the bus is refused",
    )
    get.set_defaults(run=_guarded(_run_get))

    buses = subcommands.add_parser("buses", parents=[target], help="the latest position of every bus")
    buses.add_argument("--geojson", action="store_true", help="as a GeoJSON FeatureCollection")
    buses.add_argument("--limit", type=int, help="page size (every page is fetched)")
    buses.set_defaults(run=_guarded(_run_buses))

    history = subcommands.add_parser("history", parents=[target], help="a bus's positions, newest first")
    history.add_argument("bus", help="bus id")
    history.add_argument("--from", dest="start", type=parse_time, help="oldest time (ISO-8601 or epoch)")
    history.add_argument("--to", dest="end", type=parse_time, help="newest time (ISO-8601 or epoch)")
    history.add_argument("--limit", type=int, help="at most this many positions (one page)")
    history.add_argument("--cursor", help="the nextCursor of a previous page")
    history.set_defaults(run=_guarded(_run_history))

    export = subcommands.add_parser(
        "export", parents=[target], help="a bus's track between two times, as a GPX, GeoJSON or CSV file"
    )
    export.add_argument("bus", help="bus id")
    export.add_argument(
        "--from", dest="start", required=True, type=parse_time, help="oldest time (ISO-8601 or epoch)"
    )
    export.add_argument(
        "--to", dest="end", required=True, type=parse_time, help="newest time (ISO-8601 or epoch)"
    )
    export.add_argument("--format", choices=FORMATS, default="gpx", help="the file's format")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write ('-': stdout)")
    export.set_defaults(run=_guarded(_run_export))

    replay = subcommands.add_parser(
        "replay", parents=[target], help="every bus's positions between two times, in time order"
    )
    replay.add_argument(
        "--from", dest="start", required=True, type=parse_time, help="oldest time (ISO-8601 or epoch)"
    )
    replay.add_argument(
        "--to", dest="end", required=True, type=parse_time, help="newest time, at most an hour after --from"
    )
    replay.add_argument(
        "-o", "--output", type=Path, help="write JSON lines (a position a line) to this file, not stdout"
    )
    replay.set_defaults(run=_guarded(_run_replay))

    simulate = subcommands.add_parser(
        "simulate", parents=[target], help="simulated buses driving around a city, posting in batches"
    )
    simulate.add_argument("--buses", type=_positive_int, default=10, help="how many buses")
    simulate.add_argument("--interval", type=_positive_float, default=5.0, help="seconds between fixes")
    simulate.add_argument("--duration", type=_positive_float, default=60.0, help="seconds to run")
    simulate.add_argument("--centre", type=_coordinates, default=DEFAULT_CENTRE, help="LAT,LON of the city")
    simulate.add_argument("--seed", type=int, help="make the routes and speeds repeatable")
    simulate.add_argument("--prefix", default="sim-", help="bus ids start with this")
    simulate.add_argument(
        "--gtfs", type=Path, help="drive the trips of this static GTFS (zip or directory) on schedule"
    )
    simulate.set_defaults(run=_guarded(_run_simulate))

    feed = subcommands.add_parser(
        "feed", parents=[target], help="the GTFS-Realtime vehicle positions feed, summed up"
    )
    feed.add_argument("--json", action="store_true", help="the whole feed as protobuf's canonical JSON")
    feed.set_defaults(run=_guarded(_run_feed))


def stack_options() -> argparse.ArgumentParser:
    """The options that name a stack, for `busgps OPTIONS COMMAND` and `busgps COMMAND OPTIONS` alike.

    Absent options leave no attribute (SUPPRESS), so that one given before the command is not
    overwritten by the command's own default.
    """
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group(
        "stack options",
        "default: the local stack's .local/stack.json; each also reads BUSGPS_<NAME> from the environment",
    )
    group.add_argument("--api-url", help="base URL of the API, with its stage (BUSGPS_API_URL)")
    group.add_argument(
        "--ingest-url", help="base URL of the devices' API, the POST routes (BUSGPS_INGEST_URL)"
    )
    group.add_argument("--post-url", help="URL of POST /post-gps, if not under --ingest-url")
    group.add_argument("--get-url", help="URL of GET /get-gps, if not under --api-url")
    group.add_argument(
        "--terraform-outputs",
        type=Path,
        help="`terraform output -json` of a deployed environment, for its URLs and ids "
        "(BUSGPS_TERRAFORM_OUTPUTS)",
    )
    group.add_argument("--region", help="AWS region of the user pool")
    group.add_argument("--user-pool-id", help="Cognito user pool id")
    group.add_argument("--client-id", help="Cognito app client id")
    group.add_argument("--stream-name", help="Kinesis stream the API writes to")
    group.add_argument("--username", help="device user")
    group.add_argument("--password", help="device password (prefer BUSGPS_PASSWORD)")
    group.add_argument("--cognito-endpoint", help="Cognito endpoint of an emulator")
    group.add_argument("--token", help=f"an id token to use instead of logging in ({TOKEN_VARIABLE})")
    group.add_argument("--stack-file", type=Path, help="read the stack from this file (BUSGPS_STACK_FILE)")
    group.add_argument(
        "--timeout",
        type=_positive_float,
        help=f"HTTP timeout in seconds (default: {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    return options


def _guarded(command: Command) -> Command:
    """Turn the client's errors into one clear line on stderr and a non-zero exit code."""

    def run(arguments: argparse.Namespace) -> int:
        try:
            return command(arguments)
        except (TargetError, AuthError, ConnectionFailed, InputError) as error:
            print(f"busgps: {error}", file=sys.stderr)
            return 2
        except ApiError as error:
            print(f"busgps: {error}", file=sys.stderr)
            if isinstance(error.body, dict):
                print_json(error.body, sys.stderr)
            return 1
        except BrokenPipeError:
            # The reader went away (`busgps buses | head`): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return run


def _target(arguments: argparse.Namespace) -> StackTarget:
    given = {name: getattr(arguments, name, None) for name in _TARGET_FIELDS}
    return resolve_target(
        given,
        os.environ,
        getattr(arguments, "stack_file", None),
        getattr(arguments, "terraform_outputs", None),
    )


def _token_source(arguments: argparse.Namespace, target: StackTarget) -> TokenSource:
    static = getattr(arguments, "token", None) or os.environ.get(TOKEN_VARIABLE)
    if static:
        return lambda: str(static)
    client = cognito_client(target.required("region"), target.cognito_endpoint)
    return CognitoTokenSource(
        client, target.required("client_id"), target.required("username"), target.required("password")
    )


def _client(arguments: argparse.Namespace, authorized: bool = False) -> BusGpsClient:
    target = _target(arguments)
    token = _token_source(arguments, target) if authorized else None
    timeout = getattr(arguments, "timeout", DEFAULT_TIMEOUT_SECONDS)
    return BusGpsClient(target, token, timeout_seconds=timeout)


def _print_json(value: Any) -> None:
    print_json(value)


def _run_token(arguments: argparse.Namespace) -> int:
    target = _target(arguments)
    client = cognito_client(target.required("region"), target.cognito_endpoint)
    token = fetch_id_token(
        client, target.required("client_id"), target.required("username"), target.required("password")
    )
    print(token.value)
    return 0


def _run_post(arguments: argparse.Namespace) -> int:
    position = Position(
        bus_id=arguments.bus,
        latitude=arguments.lat,
        longitude=arguments.lon,
        timestamp=arguments.timestamp,
        speed=arguments.speed,
        bearing=arguments.bearing,
        accuracy=arguments.accuracy,
        altitude=arguments.altitude,
    )
    result = _client(arguments, authorized=True).post_position(position)
    _print_json(result.model_dump(by_alias=True, mode="json"))
    return 0


def _run_post_batch(arguments: argparse.Namespace) -> int:
    entries = read_positions_file(arguments.file)
    client = _client(arguments, authorized=True)
    accepted = 0
    failed: list[dict[str, Any]] = []
    for offset in range(0, len(entries), MAX_BATCH_SIZE):
        result = client.post_batch(entries[offset : offset + MAX_BATCH_SIZE])
        accepted += result.accepted_count
        for entry in result.failed:
            # Number entries as they are in the file, not within their batch.
            failed.append({**entry.model_dump(by_alias=True), "index": offset + entry.index})
    _print_json({"acceptedCount": accepted, "failedCount": len(failed), "failed": failed})
    return 1 if failed else 0


def _run_get(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    if arguments.legacy:
        _print_json(client.legacy_latest(arguments.bus))
        return 0
    stack = {name: getattr(arguments, name, None) for name in ("stack_file", "api_url")}
    deadline = time.monotonic() + (arguments.wait or 0)
    while (position := client.latest(arguments.bus)) is None:
        if time.monotonic() >= deadline:
            reason, _refused = why_no_live_position(arguments.bus, stack)
            print(f"busgps: bus {arguments.bus!r} has no live position{reason}", file=sys.stderr)
            return 1
        # While waiting, a quick look (no long poll) whether the fix was refused instead.
        reason, refused = why_no_live_position(arguments.bus, stack, confirm_empty=False)
        if refused:
            print(f"busgps: bus {arguments.bus!r} has no live position{reason}", file=sys.stderr)
            return 1
        time.sleep(GET_WAIT_INTERVAL_SECONDS)
    _print_json(position.model_dump(by_alias=True, mode="json", exclude_none=True))
    return 0


def _run_buses(arguments: argparse.Namespace) -> int:
    client = _client(arguments)
    if arguments.geojson:
        features: list[Any] = []
        cursor: str | None = None
        while True:
            page = client.buses_geojson(limit=arguments.limit, cursor=cursor)
            features.extend(page.get("features", []))
            cursor = page.get("nextCursor")
            if not cursor:
                break
        _print_json({"type": "FeatureCollection", "features": features})
        return 0
    buses = [
        bus.model_dump(by_alias=True, mode="json", exclude_none=True)
        for bus in client.all_buses(page_size=arguments.limit)
    ]
    _print_json({"buses": buses})
    return 0


def _run_history(arguments: argparse.Namespace) -> int:
    page = _client(arguments).history(
        arguments.bus,
        start=arguments.start,
        end=arguments.end,
        limit=arguments.limit,
        cursor=arguments.cursor,
    )
    _print_json(page.model_dump(by_alias=True, mode="json", exclude_none=True))
    return 0


def _run_export(arguments: argparse.Namespace) -> int:
    """Every page of the track, joined into one file, with a progress line on stderr."""
    client = _client(arguments)
    pages: list[str] = []
    cursor: str | None = None
    while True:
        page, cursor = client.track_page(
            arguments.bus, arguments.format, start=arguments.start, end=arguments.end, cursor=cursor
        )
        pages.append(page)
        _progress(f"export {arguments.bus}: page {len(pages)} read")
        if cursor is None:
            break
    document, count = join_pages(arguments.format, pages)
    _write(arguments.output, document)
    _progress(
        f"export {arguments.bus}: {count} positions in {len(pages)} pages, {arguments.format}", done=True
    )
    return 0


def _run_replay(arguments: argparse.Namespace) -> int:
    """Every page of the fleet's window, a position a line, with a progress line on stderr."""
    client = _client(arguments)
    lines: list[str] = []
    cursor: str | None = None
    while True:
        page = client.fleet_window(arguments.start, arguments.end, cursor=cursor)
        lines += [
            json.dumps(position.model_dump(by_alias=True, mode="json", exclude_none=True))
            for position in page.positions
        ]
        _progress(f"replay: {len(lines)} positions")
        cursor = page.next_cursor
        if cursor is None:
            break
    _write(arguments.output, "".join(line + "\n" for line in lines))
    _progress(
        f"replay: {len(lines)} positions of {len({json.loads(line)['busId'] for line in lines})} buses",
        done=True,
    )
    return 0


def _progress(message: str, *, done: bool = False) -> None:
    """One progress line on stderr, rewritten in place on a terminal."""
    if sys.stderr.isatty():
        print(f"\r{message}\033[K", end="\n" if done else "", file=sys.stderr, flush=True)
    elif done:
        print(message, file=sys.stderr, flush=True)


def _write(output: Path | None, text: str) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _run_simulate(arguments: argparse.Namespace) -> int:
    client = _client(arguments, authorized=True)
    fleet: SimulatedFleet
    if arguments.gtfs is not None:
        fleet = _timetable_fleet(arguments.gtfs, arguments.buses, arguments.prefix)
    else:
        fleet = Fleet(
            arguments.buses, centre=arguments.centre, seed=arguments.seed, bus_id_prefix=arguments.prefix
        )
    line = ProgressLine(sys.stderr)
    interrupted = False
    try:
        progress: Progress | None = run_fleet(
            client, fleet, arguments.interval, arguments.duration, line.show
        )
    except KeyboardInterrupt:
        # Ctrl-C ends a simulation early: still say what was sent until then.
        progress, interrupted = line.last, True
    line.finish()
    if progress is not None:
        _print_json({"sent": progress.sent, "accepted": progress.accepted, "failed": progress.failed})
    if interrupted:
        return 130
    return 1 if progress is not None and progress.failed else 0


def _timetable_fleet(path: Path, bus_count: int, prefix: str) -> TimetableFleet:
    """A fleet on the feed's trips; says on stderr what the feed holds and what runs now."""
    try:
        schedule = Schedule(read_gtfs(path))
    except GtfsError as error:
        raise InputError(f"cannot use {path} as static GTFS: {error}") from error
    agency = schedule.feed.agencies[0].name or schedule.feed.agencies[0].agency_id
    in_service = len(schedule.active_trips(datetime.now(UTC)))
    print(
        f"{agency} ({schedule.zone.key}): {schedule.trip_count} trips, {in_service} in service now, "
        f"{min(in_service, bus_count)} driven",
        file=sys.stderr,
    )
    if not in_service:
        print("no trip is in service now: buses set off as trips start", file=sys.stderr)
    if schedule.skipped_trips:
        trip_id, reason = next(iter(schedule.skipped_trips.items()))
        print(
            f"{len(schedule.skipped_trips)} trips cannot be driven and are left out "
            f"(e.g. {trip_id}: {reason})",
            file=sys.stderr,
        )
    return TimetableFleet(schedule, bus_count, bus_id_prefix=prefix)


def _run_feed(arguments: argparse.Namespace) -> int:
    feed = _client(arguments).vehicle_positions()
    if arguments.json:
        print(feed_json(feed))
    else:
        _print_json(feed_summary(feed, datetime.now(UTC)))
    return 0


class ProgressLine:
    """One line rewritten in place on a terminal; a line per update otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self.last: Progress | None = None

    def show(self, progress: Progress) -> None:
        self.last = progress
        if self._live:
            self._stream.write("\r\x1b[K" + progress.line())
        else:
            self._stream.write(progress.line() + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._live and self.last is not None:
            self._stream.write("\n")
            self._stream.flush()


def read_positions_file(name: str) -> list[dict[str, Any]]:
    """Positions from a JSON list or JSON lines (one object a line); '-' is stdin."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {name}: {error}") from error
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{name} holds no positions")
    if stripped.startswith("["):
        try:
            entries = json.loads(stripped)
        except ValueError as error:
            raise InputError(f"{name} is not valid JSON: {error}") from error
    else:
        entries = list(_json_lines(name, stripped.splitlines()))
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InputError(f"{name} must hold JSON objects, one per position")
    return entries


def _json_lines(name: str, lines: Sequence[str]) -> Iterator[Any]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError as error:
                raise InputError(f"{name} line {number} is not valid JSON: {error}") from error


def parse_time(text: str) -> datetime:
    """ISO-8601 (a `Z` or offset; none means UTC), or epoch seconds, or epoch milliseconds."""
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an ISO-8601 time or epoch number: {text!r}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Epoch milliseconds are 13 digits today; seconds are 10.
    seconds = number / 1000.0 if abs(number) >= 1e11 else number
    return datetime.fromtimestamp(seconds, UTC)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _coordinates(text: str) -> tuple[float, float]:
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected LAT,LON, e.g. 38.7223,-9.1393") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise argparse.ArgumentTypeError("latitude must be within -90..90 and longitude within -180..180")
    return latitude, longitude
