"""`make bench`: how fresh positions are, and how fast the local stack takes, stores and reads them.

It starts local stacks of its own (`busgps local up` on free ports, in a temporary state dir,
without the stage's throttling), then measures, each figure printed beside its goal:
- POST->GET freshness: from an accepted POST /post-gps until GET /v1/buses/{busId} shows that
  position (p50 and p99), in both modes of the consumer's event source mapping: enhanced fan-out
  with no batching window (the local settings, and production's), and polling with a 1 s batching
  window (sandbox's and staging's), on a second stack whose settings file differs only there; the
  first fixes after a start, which wait for the execution environments' cold starts, are timed
  apart from the steady state the goal is about;
- the consumer's drain (`busgps.bench_volume`): fixes put straight on the stream, until stored;
- reads at volume (`busgps.bench_volume`): with an hour of a 1,000-bus fleet stored (720,000 fixes),
  GET latest, one page of history and the whole fleet's listing through the local REST API;
- the sustained ingest rate through the local HTTP API of the devices and the ingest function
  behind it (POST /post-gps, one record a request),
  as a ratio to direct Kinesis PutRecord calls on the same emulator in the same run; and the same
  for batches (POST /v1/positions against direct PutRecords);
- the GTFS-Realtime feed: the CPU time to build it for 1,000 and 10,000 buses on trips (in this
  process, without the stack) and its size, and the latency of a conditional GET answered 304;
- live push: from an accepted POST until a WebSocket subscriber gets the positions message naming
  that bus, with 100 subscribers connected, each following the sampled buses, so that every
  sample's batch is sent to all 100 (p50, p95; goal p95 <= 2 s);
- history's write units a fix for the reference fleet, written by its own code (in this process).
Rounds alternate between the gateway and direct calls, so the consumer's background work weighs
on both alike. Everything is bounded in count and in time.
"""

import argparse
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import requests
from websockets.sync.client import ClientConnection, connect

from busgps import bench_volume
from busgps.bench_history import HistoryWrites, history_writes
from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed
from busgps.client.auth import CognitoTokenSource, cognito_client
from busgps.client.models import Position
from busgps.client.target import StackTarget
from busgps.cost.commands import REFERENCE_FLEET
from busgps.dal.items import ItemLayout
from busgps.local.config import DEFAULT_SETTINGS_PATH, load_environment_settings
from busgps.local.launcher import StackNotReady, start_stack, wait_until_healthy
from busgps.logic.feed import FeedSnapshot, vehicle_positions
from busgps.models.position import Position as Fix

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

STACK_STOP_TIMEOUT_SECONDS = 15.0
FRESHNESS_POLL_SECONDS = 0.05
FRESHNESS_GIVE_UP_SECONDS = 15.0
# Fixes timed first after a start, apart: each shard's first batch starts the consumer's execution
# environment (a cold start, as on Lambda), and 16 buses reach both shards with near certainty.
COLD_START_SAMPLES = 16
BATCH_SIZE = 100
FEED_FLEETS = (1_000, 10_000)
FEED_BUILD_REPEATS = 3
PUSH_SUBSCRIBERS = 100
# 100 subscribes, each answered by a Scan of the latest positions, on a 2-core machine.
SNAPSHOT_WAIT_SECONDS = 60.0


class BenchError(RuntimeError):
    """The benchmark could not run; the message says why."""


@dataclass(frozen=True)
class Rate:
    records: int
    seconds: float
    failures: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), for 0 <= fraction <= 1."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = fraction * (len(ordered) - 1)
    lower = int(rank)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (rank - lower)


def render_table(
    rows: Sequence[tuple[str, str, str]], headers: tuple[str, str, str] = ("metric", "value", "note")
) -> str:
    widths = [max(len(row[column]) for row in (headers, *rows)) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def combine(rates: Sequence[Rate]) -> Rate:
    return Rate(
        records=sum(rate.records for rate in rates),
        seconds=sum(rate.seconds for rate in rates),
        failures=sum(rate.failures for rate in rates),
    )


def run_for(seconds: float, max_records: int, workers: int, send: Callable[[int], int]) -> Rate:
    """Call `send(worker)` from `workers` threads until the time or the record budget is spent.

    `send` returns how many records it wrote, or raises on failure (counted, then it goes on).
    """
    lock = threading.Lock()
    written = [0]
    failures = [0]
    deadline = time.monotonic() + seconds

    def work(worker: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                if written[0] >= max_records:
                    return
            try:
                count = send(worker)
            except (ApiError, ConnectionFailed, requests.RequestException, RuntimeError):
                with lock:
                    failures[0] += 1
                continue
            with lock:
                written[0] += count

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(worker,), daemon=True) for worker in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30.0)
    return Rate(records=written[0], seconds=time.monotonic() - started, failures=failures[0])


@dataclass(frozen=True)
class Freshness:
    """POST->GET delays of one consumer mode: the first fixes after the stack started (cold starts),
    then the steady state, with how many of those were refused or never shown."""

    cold: list[float]
    delays: list[float]
    unseen: int


@dataclass
class BenchStack:
    """A running stack's stack.json, and once it has stopped, how long SIGTERM took to end it."""

    details: dict[str, Any]
    stop_seconds: float | None = None


# Where `make test` records how long its pytest run took, and when it ended.
TEST_TIME_FILE = Path(".local") / "test-seconds"
# The goals of issue 12, beside which each figure is printed.
FRESHNESS_P99_GOAL_SECONDS = 0.5
INGEST_RATIO_GOAL = 0.9
DRAIN_GOAL_PER_SECOND = 2_000
READ_P99_GOAL_SECONDS = 0.05
FLEET_LISTING_GOAL_SECONDS = 0.5
READ_SAMPLES = 200
FLEET_LISTINGS = 20
DRAIN_BUSES = 1_000
DRAIN_FIXES_PER_BUS = 10
DRAIN_TIMEOUT_SECONDS = 300.0


def polling_settings(settings_text: str) -> str:
    """The settings file with the consumer's mapping polling the stream, with a 1 s batching window
    (as sandbox and staging run), and nothing else changed."""
    text, fan_out = re.subn(
        r"^(consumer_enhanced_fan_out\s*=\s*)\w+", r"\g<1>false", settings_text, flags=re.MULTILINE
    )
    text, window = re.subn(
        r"^(consumer_batching_window_seconds\s*=\s*)\d+", r"\g<1>1", text, flags=re.MULTILINE
    )
    if (fan_out, window) != (1, 1):
        raise BenchError("the settings file does not set consumer_enhanced_fan_out and the batching window")
    return text


@contextmanager
def local_stack(repository: Path, settings_text: str | None = None) -> Iterator[BenchStack]:
    """A fresh `busgps local up` on free ports, with these settings if given (else the local ones);
    stopped with SIGTERM on exit, the stop timed."""
    with tempfile.TemporaryDirectory(prefix="busgps-bench-") as state:
        state_dir = Path(state)
        options = ["--no-throttling"]  # the gateway's own cost is measured, not the stage's limit
        if settings_text is not None:
            settings_path = state_dir / "settings.tfvars"
            settings_path.write_text(settings_text, encoding="utf-8")
            options += ["--settings", str(settings_path)]
        process = start_stack(state_dir, *options, cwd=repository)
        stack = BenchStack({})
        try:
            try:
                stack.details = wait_until_healthy(process, state_dir)
            except StackNotReady as error:
                raise BenchError(str(error)) from None
            yield stack
        finally:
            stack.stop_seconds = _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> float | None:
    """Seconds from SIGTERM to the stack's exit; None if it had already ended or had to be killed."""
    if process.poll() is not None:
        return None
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STACK_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    return time.monotonic() - started


class Bench:
    def __init__(self, stack: dict[str, Any], workers: int) -> None:
        self.stack = stack
        self.workers = workers
        self.run_id = uuid.uuid4().hex[:6]
        self.target = StackTarget(
            api_url=stack["api_url"],
            ingest_url=stack["ingest_url"],
            post_url=stack["post_url"],
            get_url=stack["get_url"],
            region=stack["region"],
            stream_name=stack["stream_name"],
        )
        self.tokens = CognitoTokenSource(
            cognito_client(stack["region"], stack["emulator_endpoint"]),
            stack["app_client_id"],
            stack["username"],
            stack["password"],
        )
        # One HTTP session and one Kinesis client per worker: connections are reused, as a device would.
        self.clients = [BusGpsClient(self.target, self.tokens, requests.Session()) for _ in range(workers)]
        self.kinesis: list[KinesisClient] = [
            boto3.client(
                "kinesis",
                region_name=stack["region"],
                endpoint_url=stack["emulator_endpoint"],
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 - the emulator ignores credentials
            )
            for _ in range(workers)
        ]
        self.tokens()

    def _position(self, bus_id: str) -> Position:
        return Position(bus_id, 38.7223, -9.1393, timestamp=datetime.now(UTC), speed=9.0, bearing=45.0)

    def freshness_after_start(self, samples: int) -> Freshness:
        """The first `COLD_START_SAMPLES` fixes, then `samples` more: the goal is the steady state's."""
        cold, cold_unseen = self.freshness(COLD_START_SAMPLES)
        delays, unseen = self.freshness(samples)
        return Freshness(cold, delays, cold_unseen + unseen)

    def freshness(self, samples: int) -> tuple[list[float], int]:
        """Seconds from each accepted POST until GET shows it, and how many were refused or never showed."""
        delays: list[float] = []
        unseen = [0]
        lock = threading.Lock()
        queue = iter(range(samples))

        def work(worker: int) -> None:
            client = self.clients[worker]
            while True:
                with lock:
                    sample = next(queue, None)
                if sample is None:
                    return
                position = self._position(f"bench-{self.run_id}-fresh-{sample}")
                try:
                    client.post_position(position)
                except (ApiError, ConnectionFailed):
                    with lock:
                        unseen[0] += 1
                    continue
                accepted = time.monotonic()
                while time.monotonic() - accepted < FRESHNESS_GIVE_UP_SECONDS:
                    # Each sample is a bus of its own: any position shown is the one posted.
                    if client.latest(position.bus_id) is not None:
                        with lock:
                            delays.append(time.monotonic() - accepted)
                        break
                    time.sleep(FRESHNESS_POLL_SECONDS)
                else:
                    with lock:
                        unseen[0] += 1

        threads = [
            threading.Thread(target=work, args=(worker,), daemon=True) for worker in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return delays, unseen[0]

    def push_latency(self, samples: int, subscribers: int) -> tuple[list[float], int]:
        """Seconds from each accepted POST until a subscriber (of `subscribers` connected) gets it."""
        with ExitStack() as open_connections:
            connections = [
                open_connections.enter_context(
                    connect(self.stack["websocketUrl"], open_timeout=30, max_queue=None)
                )
                for _ in range(subscribers)
            ]
            # Every subscriber follows the buses the samples post, so each sample's batch goes to
            # all of them.
            bus_ids = [self._push_bus(sample) for sample in range(samples)]
            for connection in connections:
                connection.send(json.dumps({"action": "subscribe", "busIds": bus_ids}))
            # Every subscriber reads all it gets (max_queue=None), as a browser does; each one is
            # subscribed (its snapshot has come) before the first sample.
            for connection in connections:
                while json.loads(connection.recv(timeout=SNAPSHOT_WAIT_SECONDS)).get("type") != "snapshot":
                    pass
            return self._push_samples(connections[0], samples)

    def _push_samples(self, listener: ClientConnection, samples: int) -> tuple[list[float], int]:
        delays: list[float] = []
        unseen = 0
        client = self.clients[0]
        for sample in range(samples):
            bus_id = self._push_bus(sample)
            try:
                client.post_position(self._position(bus_id))
            except (ApiError, ConnectionFailed):
                unseen += 1
                continue
            accepted = time.monotonic()
            delay = self._wait_for_push(listener, bus_id, accepted)
            if delay is None:
                unseen += 1
            else:
                delays.append(delay)
        return delays, unseen

    def _push_bus(self, sample: int) -> str:
        return f"bench-{self.run_id}-push-{sample}"

    @staticmethod
    def _wait_for_push(listener: ClientConnection, bus_id: str, accepted: float) -> float | None:
        """Seconds until the listener got a positions message naming the bus; None if it never did."""
        while (left := FRESHNESS_GIVE_UP_SECONDS - (time.monotonic() - accepted)) > 0:
            try:
                message = json.loads(listener.recv(timeout=left))
            except TimeoutError:
                return None
            if message.get("type") == "positions" and any(bus["busId"] == bus_id for bus in message["buses"]):
                return time.monotonic() - accepted
        return None

    def feed_not_modified(self, samples: int) -> list[float]:
        """Seconds for each conditional GET of the feed answered 304 (a poll within the refresh period)."""
        url = f"{self.stack['api_url']}/v1/gtfs-rt/vehicle-positions"
        session = requests.Session()
        delays: list[float] = []
        etag = session.get(url, headers={"Accept": "application/x-protobuf"}, timeout=10).headers["ETag"]
        for _ in range(samples):
            started = time.monotonic()
            answer = session.get(
                url, headers={"Accept": "application/x-protobuf", "If-None-Match": etag}, timeout=10
            )
            if answer.status_code == 304:
                delays.append(time.monotonic() - started)
            else:  # a new refresh period began: poll the new snapshot from now on
                etag = answer.headers["ETag"]
        return delays

    def gateway_single(self, worker: int) -> int:
        bus = f"bench-{self.run_id}-ingest-{worker}"
        self.clients[worker].post_position(self._position(bus))
        return 1

    def direct_single(self, worker: int) -> int:
        # What the ingest function asks of Kinesis: the position's JSON, keyed by bus id.
        position = self._position(f"bench-{self.run_id}-direct-{worker}")
        self.kinesis[worker].put_record(
            StreamName=self.stack["stream_name"],
            Data=json.dumps(position.fields()).encode(),
            PartitionKey=position.bus_id,
        )
        return 1

    def gateway_batch(self, worker: int) -> int:
        positions = [self._position(f"bench-{self.run_id}-batch-{worker}-{n}") for n in range(BATCH_SIZE)]
        result = self.clients[worker].post_batch(positions)
        return result.accepted_count

    def direct_batch(self, worker: int) -> int:
        positions = [self._position(f"bench-{self.run_id}-dbatch-{worker}-{n}") for n in range(BATCH_SIZE)]
        answer = self.kinesis[worker].put_records(
            StreamName=self.stack["stream_name"],
            Records=[
                {"Data": json.dumps(position.batch_entry()).encode(), "PartitionKey": position.bus_id}
                for position in positions
            ],
        )
        return BATCH_SIZE - answer.get("FailedRecordCount", 0)


def synthetic_fleet(buses: int, now_s: int) -> list[Fix]:
    """Buses on trips around Lisbon, each with a fix of the last 30 seconds, as the feed reads them."""
    draw = random.Random(buses)
    return [
        Fix(
            bus_id=f"bus-{number:05d}",
            time_ms=(now_s - draw.randint(0, 30)) * 1000,
            latitude=Decimal(f"{38.7 + draw.random() / 10:.6f}"),
            longitude=Decimal(f"{-9.1 - draw.random() / 10:.6f}"),
            received_at_ms=now_s * 1000,
            sequence_number=str(49 * 10**54 + number),
            speed=Decimal(f"{draw.random() * 15:.1f}"),
            bearing=Decimal(draw.randint(0, 359)),
            trip_id=f"{draw.randint(1, 80)}_{draw.randint(1000, 9999)}_weekday",
            route_id=str(draw.randint(1, 80)),
            direction_id=draw.randint(0, 1),
            start_date="20261201",
            start_time=f"{draw.randint(5, 23):02d}:{draw.choice(['00', '15', '30', '45'])}:00",
            vehicle_label=str(number),
        )
        for number in range(buses)
    ]


@dataclass(frozen=True)
class FeedBuild:
    buses: int
    cpu_seconds: float  # the fastest of a few builds: the message and its protobuf bytes
    protobuf_bytes: int
    gzip_bytes: int


def feed_build(buses: int) -> FeedBuild:
    """The CPU time to build the feed of `buses` buses from their DynamoDB items (as a Scan returns
    them) and encode it, and its size."""
    now_s = int(time.time())
    layout = ItemLayout(ttl_field_name="expirationTime", ttl_seconds=3600)
    items = [layout.to_item(fix) for fix in synthetic_fleet(buses, now_s)]
    timings: list[float] = []
    for _ in range(FEED_BUILD_REPEATS):
        started = time.process_time()
        fleet = [layout.from_item(item) for item in items]
        body = FeedSnapshot(vehicle_positions(fleet, now_s=now_s, max_age_seconds=90)).protobuf.body
        timings.append(time.process_time() - started)
    return FeedBuild(buses, min(timings), len(body), len(gzip.compress(body)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m busgps.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60, help="freshness samples (default 60)")
    parser.add_argument("--round-seconds", type=float, default=4.0, help="length of one ingest round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each ingest kind (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--max-records", type=int, default=20_000, help="most records in one round")
    parser.add_argument(
        "--fleet-hours",
        type=float,
        default=1.0,
        help="hours of the 1,000-bus fleet stored for the reads (default 1)",
    )
    arguments = parser.parse_args(argv)

    started = time.monotonic()
    print("busgps bench: building the GTFS-Realtime feed...", file=sys.stderr, flush=True)
    feed_builds = [feed_build(buses) for buses in FEED_FLEETS]
    print("busgps bench: writing the reference fleet's history...", file=sys.stderr, flush=True)
    history = history_writes(REFERENCE_FLEET, batch_seconds=1, minutes=3)
    try:
        settings_text = DEFAULT_SETTINGS_PATH.read_text(encoding="utf-8")
        print(
            "busgps bench: starting a local stack (polling, 1 s batching window)...",
            file=sys.stderr,
            flush=True,
        )
        with local_stack(Path.cwd(), polling_settings(settings_text)) as polling_stack:
            print("busgps bench: measuring freshness (polling)...", file=sys.stderr, flush=True)
            polled = Bench(polling_stack.details, arguments.workers).freshness_after_start(arguments.samples)
        print("busgps bench: starting a local stack (the local settings)...", file=sys.stderr, flush=True)
        with local_stack(Path.cwd()) as stack:
            bench = Bench(stack.details, arguments.workers)
            print("busgps bench: measuring freshness (enhanced fan-out)...", file=sys.stderr, flush=True)
            pushed_fresh = bench.freshness_after_start(arguments.samples)
            # Before the ingest rounds, as freshness: their backlog would keep the emulator busy for minutes.
            print(
                f"busgps bench: measuring live push with {PUSH_SUBSCRIBERS} subscribers...",
                file=sys.stderr,
                flush=True,
            )
            pushed, unpushed = bench.push_latency(arguments.samples, PUSH_SUBSCRIBERS)
            drained = measure_drain(bench)
            print("busgps bench: measuring ingest rates...", file=sys.stderr, flush=True)
            rates: dict[str, list[Rate]] = {
                "gateway": [],
                "direct": [],
                "gateway_batch": [],
                "direct_batch": [],
            }
            senders = {
                "gateway": bench.gateway_single,
                "direct": bench.direct_single,
                "gateway_batch": bench.gateway_batch,
                "direct_batch": bench.direct_batch,
            }
            for _ in range(arguments.rounds):
                for kind, send in senders.items():
                    rates[kind].append(
                        run_for(arguments.round_seconds, arguments.max_records, arguments.workers, send)
                    )
            print("busgps bench: measuring the feed's 304 path...", file=sys.stderr, flush=True)
            not_modified = bench.feed_not_modified(arguments.samples)
            # The reads at volume once the consumer has stored the ingest rounds' backlog: a few more
            # records put behind it are stored once it is.
            print("busgps bench: waiting for the consumer to store the ingest rounds...", file=sys.stderr)
            bench_volume.drain(
                bench.stack, bench.tokens(), f"{bench.run_id}-settle", 20, 1, DRAIN_TIMEOUT_SECONDS
            )
            volume = measure_volume(bench, arguments.fleet_hours, drained)
    except BenchError as error:
        print(f"busgps bench: {error}", file=sys.stderr)
        return 1

    combined = {kind: combine(parts) for kind, parts in rates.items()}
    print(report(pushed_fresh, combined, arguments.workers, stack.stop_seconds))
    print()
    print(feed_report(feed_builds, not_modified))
    print()
    print(push_report(pushed, unpushed, PUSH_SUBSCRIBERS))
    print()
    print(history_report(history))
    print()
    freshness = {"enhanced fan-out": pushed_fresh, "polling, 1 s window": polled}
    print(goals_report(freshness, combined, volume, recorded_test_time(Path.cwd())))
    print(f"\n(the run took {time.monotonic() - started:.0f}s on {os.cpu_count()} CPUs)")
    return 0 if pushed_fresh.delays else 1


@dataclass(frozen=True)
class Volume:
    drain: bench_volume.Drain | None
    seeded: bench_volume.Seeded
    reads: bench_volume.ReadTimes


def measure_drain(bench: Bench) -> bench_volume.Drain | None:
    """The consumer's drain of fixes put straight on the stream."""
    token = bench.tokens()
    print(
        f"busgps bench: measuring the consumer's drain ({DRAIN_BUSES * DRAIN_FIXES_PER_BUS:,} fixes)...",
        file=sys.stderr,
        flush=True,
    )
    drained = bench_volume.drain(
        bench.stack, token, bench.run_id, DRAIN_BUSES, DRAIN_FIXES_PER_BUS, DRAIN_TIMEOUT_SECONDS
    )
    if drained is not None:
        print(
            f"busgps bench:   {drained.fixes:,} fixes stored in {drained.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return drained


def measure_volume(bench: Bench, fleet_hours: float, drained: bench_volume.Drain | None) -> Volume:
    """An hour (or `fleet_hours`) of a 1,000-bus fleet stored, then read."""
    token = bench.tokens()
    settings = load_environment_settings(Path(bench.stack["settings_file"]))
    bus_ids = bench_volume.fleet_bus_ids(bench.run_id)
    total = bench_volume.FLEET_BUSES * int(fleet_hours * 3600 / bench_volume.FLEET_INTERVAL_SECONDS)
    print(f"busgps bench: storing {total:,} fixes of a 1,000-bus fleet...", file=sys.stderr, flush=True)
    shown = [0.0]

    def progress(stored: int) -> None:
        if time.monotonic() - shown[0] >= 15:
            shown[0] = time.monotonic()
            print(f"busgps bench:   {stored:,} of {total:,} stored", file=sys.stderr, flush=True)

    seeded = bench_volume.seed_fleet_hour(bench.stack, settings, bus_ids, progress, fleet_hours)
    print("busgps bench: measuring reads at volume...", file=sys.stderr, flush=True)
    reads = bench_volume.time_reads(
        bench.stack["api_url"], token, bus_ids, READ_SAMPLES, FLEET_LISTINGS, seeded.end_ms
    )
    return Volume(drained, seeded, reads)


def recorded_test_time(repository: Path) -> tuple[float, str] | None:
    """The seconds of the last `make test` here and when it ended, if it recorded them."""
    try:
        seconds, ended = (repository / TEST_TIME_FILE).read_text(encoding="utf-8").split()
        return float(seconds), ended
    except (OSError, ValueError):
        return None


def goals_report(
    freshness: dict[str, Freshness],
    rates: dict[str, Rate],
    volume: Volume,
    test_time: tuple[float, str] | None,
) -> str:
    """Each figure of issue 12 beside its goal."""
    rows: list[tuple[str, str, str]] = []

    def row(label: str, value: str, goal: str, met: bool | None, note: str = "") -> None:
        verdict = "n/a" if met is None else ("met" if met else "NOT met")
        rows.append((label, value, f"{goal} ({verdict})" + (f"; {note}" if note else "")))

    for mode, measured in freshness.items():
        delays = measured.delays
        p99 = percentile(delays, 0.99) if delays else None
        row(
            f"freshness p99, {mode}",
            "n/a" if p99 is None else f"{p99:.3f} s",
            f"<= {FRESHNESS_P99_GOAL_SECONDS} s",
            None if p99 is None else p99 <= FRESHNESS_P99_GOAL_SECONDS and not measured.unseen,
            f"p50 {percentile(delays, 0.5):.3f} s, {len(delays)} samples" if delays else "",
        )
        if measured.cold:
            row(
                f"freshness after a start, {mode}",
                f"max {max(measured.cold):.3f} s",
                "reported (cold starts)",
                None,
                f"the first {len(measured.cold)} fixes, p50 {percentile(measured.cold, 0.5):.3f} s",
            )
    gateway, direct = rates["gateway"], rates["direct"]
    ratio = gateway.per_second / direct.per_second if direct.per_second else float("nan")
    row(
        "ingest, gateway / direct PutRecord",
        f"{ratio:.2f}",
        f">= {INGEST_RATIO_GOAL}",
        ratio >= INGEST_RATIO_GOAL,
    )
    drain = volume.drain
    row(
        "consumer drain",
        "n/a" if drain is None else f"{drain.per_second:,.0f} fixes/s",
        f">= {DRAIN_GOAL_PER_SECOND:,} fixes/s",
        None if drain is None else drain.per_second >= DRAIN_GOAL_PER_SECOND,
        "not drained in time" if drain is None else f"{drain.fixes:,} fixes in {drain.seconds:.1f} s",
    )
    stored = f"{volume.seeded.fixes:,} fixes stored"
    for label, samples, goal in (
        ("GET latest p99", volume.reads.latest, READ_P99_GOAL_SECONDS),
        ("GET one history page p99", volume.reads.history_page, READ_P99_GOAL_SECONDS),
        ("GET /v1/buses?limit=1000 p99", volume.reads.fleet_listing, FLEET_LISTING_GOAL_SECONDS),
    ):
        p99 = percentile(samples, 0.99)
        row(
            label,
            f"{p99 * 1000:.1f} ms",
            f"<= {goal * 1000:.0f} ms",
            p99 <= goal,
            f"p50 {percentile(samples, 0.5) * 1000:.1f} ms, {len(samples)} reads, {stored}",
        )
    window = volume.reads.fleet_window
    row(
        "GET /v1/positions, the fleet's stored hour, every page",
        f"{window.seconds:.1f} s",
        "reported (a replay's read)",
        None,
        f"{window.fixes:,} fixes in {window.pages} pages of up to 10,000",
    )
    if test_time is None:
        row("make test", "n/a", "<= 8 min", None, f"no {TEST_TIME_FILE}: `make test` records it")
    else:
        seconds, ended = test_time
        row(
            "make test (pytest)",
            f"{seconds / 60:.1f} min",
            "<= 8 min",
            seconds <= 8 * 60,
            f"recorded {ended}",
        )
    return render_table(rows, ("measure", "value", "goal"))


def report(freshness: Freshness, rates: dict[str, Rate], workers: int, stop_seconds: float | None) -> str:
    rows: list[tuple[str, str, str]] = []
    delays = freshness.delays
    sample_note = (
        f"{len(delays)} samples after the first {len(freshness.cold)}, "
        f"{freshness.unseen} refused or not shown within {FRESHNESS_GIVE_UP_SECONDS:.0f}s"
    )
    if delays:
        rows.append(("POST->GET freshness p50", f"{percentile(delays, 0.50):.3f} s", sample_note))
        rows.append(
            ("POST->GET freshness p99", f"{percentile(delays, 0.99):.3f} s", f"max {max(delays):.3f} s")
        )
    else:
        rows.append(("POST->GET freshness", "n/a", sample_note))

    def rate_row(label: str, rate: Rate, unit: str) -> tuple[str, str, str]:
        note = (
            f"{rate.records} records in {rate.seconds:.1f} s, {workers} clients, {rate.failures} failed calls"
        )
        return (label, f"{rate.per_second:.1f} {unit}", note)

    gateway, direct = rates["gateway"], rates["direct"]
    rows.append(rate_row("ingest via local HTTP API, POST /post-gps", gateway, "records/s"))
    rows.append(rate_row("direct Kinesis PutRecord, same emulator", direct, "records/s"))
    ratio = gateway.per_second / direct.per_second if direct.per_second else float("nan")
    rows.append(("gateway / direct (PutRecord)", f"{ratio:.2f}", "1.00 = API and function cost nothing"))
    batch, direct_batch = rates["gateway_batch"], rates["direct_batch"]
    rows.append(rate_row(f"ingest via local HTTP API, POST /v1/positions x{BATCH_SIZE}", batch, "records/s"))
    rows.append(rate_row(f"direct Kinesis PutRecords x{BATCH_SIZE}", direct_batch, "records/s"))
    batch_ratio = batch.per_second / direct_batch.per_second if direct_batch.per_second else float("nan")
    rows.append(("gateway / direct (PutRecords)", f"{batch_ratio:.2f}", ""))
    stopped = "n/a" if stop_seconds is None else f"{stop_seconds:.2f} s"
    rows.append(("stop, SIGTERM to exit", stopped, "the README promises a few seconds"))
    return render_table(rows)


def feed_report(builds: Sequence[FeedBuild], not_modified: Sequence[float]) -> str:
    rows: list[tuple[str, str, str]] = []
    for build in builds:
        rows.append(
            (
                f"feed build, {build.buses:,} buses",
                f"{build.cpu_seconds * 1000:.0f} ms CPU",
                f"{build.protobuf_bytes / 1000:.0f} kB protobuf, {build.gzip_bytes / 1000:.0f} kB gzipped"
                + ("; goal: under 1 s" if build.buses == 10_000 else ""),
            )
        )
    if not_modified:
        rows.append(
            (
                "feed 304 (If-None-Match) p50",
                f"{percentile(not_modified, 0.50) * 1000:.1f} ms",
                f"{len(not_modified)} conditional GETs through the local gateway",
            )
        )
        rows.append(("feed 304 (If-None-Match) p99", f"{percentile(not_modified, 0.99) * 1000:.1f} ms", ""))
    return render_table(rows)


def push_report(delays: Sequence[float], unseen: int, subscribers: int) -> str:
    note = f"{len(delays)} samples, {subscribers} subscribers" + (
        f", {unseen} never pushed" if unseen else ""
    )
    if not delays:
        return render_table([("POST->WebSocket message", "n/a", note)])
    return render_table(
        [
            ("POST->WebSocket message p50", f"{percentile(delays, 0.50):.3f} s", note),
            ("POST->WebSocket message p95", f"{percentile(delays, 0.95):.3f} s", "goal <= 2 s"),
        ]
    )


def history_report(history: HistoryWrites) -> str:
    fleet = REFERENCE_FLEET
    return render_table(
        [
            (
                "history write units a fix",
                f"{history.history_units_per_fix:.3f}",
                f"{fleet.buses:,} buses, {fleet.fixes_per_request} fixes a request, a consumer batch "
                "a second; goal < 1 (an item a fix)",
            ),
            (
                "latest-position write units a fix",
                f"{history.latest_units_per_fix:.3f}",
                "one conditional write a bus a batch, not one a fix",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
