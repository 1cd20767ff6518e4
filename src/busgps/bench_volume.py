"""`make bench`, at volume: reads with an hour of a fleet stored, and how fast the consumer drains.

- **Reads at volume.** One hour of 1,000 buses each reporting every 5 s (720,000 fixes) is written to
  a running local stack's tables as the consumer writes them (`busgps.dal`: a history item per bus and
  batch, a fleet-window item per batch and minute, each bus's newest fix as its latest), in batches of
  the consumer's size for the whole fleet. Then, through the local REST API with a device's token:
  GET /v1/buses/{busId} (latest), GET /v1/buses/{busId}/positions (one page of history, newest
  first) for random buses, and GET /v1/buses?limit=1000 (the whole fleet in one page).
- **Consumer drain.** Fixes of many buses are put straight on the stream (PutRecords, so that neither
  the gateway nor the clients limit it) and the time is taken until every bus's latest position,
  through the API, is its newest fix: the consumer has stored them all (each shard in order).
"""

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import requests
from botocore.config import Config

from busgps import aws_limits
from busgps.dal.factory import position_store
from busgps.dal.positions import DynamoPositionStore
from busgps.local.config import EnvironmentSettings
from busgps.logic.noise import BusState
from busgps.models.position import Position
from busgps.settings import TableSettings

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient

FLEET_BUSES = 1_000
FLEET_INTERVAL_SECONDS = 5
FLEET_HOURS = 1
# The consumer's batches: one per shard's GetRecords; as the deployed batch size, for the whole fleet.
SEED_BATCH_FIXES = 500
SEED_WORKERS = 4
DRAIN_POLL_SECONDS = 0.25
# The last records put whose buses show the drain's end (each shard's last is among them).
DRAIN_SENTINELS = 20


@dataclass(frozen=True)
class Seeded:
    fixes: int
    buses: int
    seconds: float
    # The time of the newest fixes stored, epoch milliseconds: the stored hour ends there.
    end_ms: int


def _emulator_client(stack: dict[str, Any], service: str) -> Any:
    make: Callable[..., Any] = boto3.client
    return make(
        service,
        region_name=stack["region"],
        endpoint_url=stack["emulator_endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator ignores credentials
        config=Config(max_pool_connections=SEED_WORKERS * 2, retries={"mode": "standard", "max_attempts": 5}),
    )


def _store(stack: dict[str, Any], settings: EnvironmentSettings) -> DynamoPositionStore:
    """The consumer's position store, on the stack's tables, through a client of the emulator."""
    tables = TableSettings(**settings.model_dump(include=set(TableSettings.model_fields)))
    return position_store(tables, _emulator_client(stack, "dynamodb"))


def fleet_bus_ids(run_id: str, buses: int = FLEET_BUSES) -> list[str]:
    return [f"fleet-{run_id}-{number:04d}" for number in range(buses)]


def fleet_fixes(bus_ids: Sequence[str], end_ms: int, hours: float = FLEET_HOURS) -> Iterator[list[Position]]:
    """Each tick's fixes of every bus, oldest tick first: buses driving north-east from Lisbon."""
    ticks = int(hours * 3600 / FLEET_INTERVAL_SECONDS)
    sequence = 49 * 10**54
    for tick in range(ticks):
        time_ms = end_ms - (ticks - 1 - tick) * FLEET_INTERVAL_SECONDS * 1000
        fixes = []
        for number, bus_id in enumerate(bus_ids):
            sequence += 1
            fixes.append(
                Position(
                    bus_id=bus_id,
                    time_ms=time_ms,
                    latitude=Decimal(f"{38.70 + number / 10_000 + tick / 100_000:.6f}"),
                    longitude=Decimal(f"{-9.20 + tick / 100_000:.6f}"),
                    received_at_ms=time_ms + 300,
                    sequence_number=str(sequence),
                    speed=Decimal("8.5"),
                    bearing=Decimal(45),
                )
            )
        yield fixes


def seed_fleet_hour(
    stack: dict[str, Any],
    settings: EnvironmentSettings,
    bus_ids: Sequence[str],
    progress: Callable[[int], None],
    hours: float = FLEET_HOURS,
) -> Seeded:
    """Store `hours` of the fleet as the consumer would, ending now; `progress` gets fixes stored."""
    store = _store(stack, settings)
    started = time.monotonic()
    end_ms = int(time.time() * 1000)
    stored = [0]
    lock = threading.Lock()
    newest: dict[str, Position] = {}

    def write(batch: list[Position]) -> None:
        outcome = store.write_history(batch)
        if outcome.failed:
            raise RuntimeError(f"{len(outcome.failed)} fixes could not be stored while seeding")
        with lock:
            stored[0] += len(batch)
            progress(stored[0])

    with ThreadPoolExecutor(SEED_WORKERS) as pool:
        pending = []
        for fixes in fleet_fixes(bus_ids, end_ms, hours):
            for start in range(0, len(fixes), SEED_BATCH_FIXES):
                pending.append(pool.submit(write, fixes[start : start + SEED_BATCH_FIXES]))
            newest.update((fix.bus_id, fix) for fix in fixes)
            if len(pending) > SEED_WORKERS * 4:
                pending.pop(0).result()
        for future in pending:
            future.result()
    outcome = store.write_latest([BusState(latest=fix, kept=fix) for fix in newest.values()])
    if outcome.failed:
        raise RuntimeError(f"{len(outcome.failed)} latest positions could not be stored while seeding")
    return Seeded(stored[0], len(bus_ids), time.monotonic() - started, end_ms)


@dataclass(frozen=True)
class FleetWindow:
    """GET /v1/positions over the stored hour, every page: what a replay of the whole fleet reads."""

    fixes: int
    pages: int
    seconds: float


@dataclass(frozen=True)
class ReadTimes:
    latest: list[float]
    history_page: list[float]
    fleet_listing: list[float]
    fleet_window: FleetWindow


def time_reads(
    api_url: str,
    token: str,
    bus_ids: Sequence[str],
    samples: int,
    listings: int,
    stored_until_ms: int,
    seed: int = 12,
) -> ReadTimes:
    """Seconds for each read through the local REST API (each answer checked)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    draw = random.Random(seed)

    def timed(url: str, check: Callable[[Any], bool]) -> float:
        started = time.monotonic()
        answer = session.get(url, timeout=30)
        elapsed = time.monotonic() - started
        if answer.status_code != 200 or not check(answer.json()):
            raise RuntimeError(f"GET {url} answered {answer.status_code}: {answer.text[:200]}")
        return elapsed

    latest, history_page, fleet_listing = [], [], []
    for _ in range(samples):
        bus_id = draw.choice(bus_ids)
        latest.append(timed(f"{api_url}/v1/buses/{bus_id}", lambda body: body["busId"] in bus_ids))
        history_page.append(
            timed(f"{api_url}/v1/buses/{bus_id}/positions", lambda body: 0 < len(body["positions"]) <= 100)
        )
    for _ in range(listings):
        fleet_listing.append(timed(f"{api_url}/v1/buses?limit=1000", lambda body: len(body["buses"]) == 1000))
    window = read_fleet_window(session, api_url, stored_until_ms)
    return ReadTimes(latest, history_page, fleet_listing, window)


def read_fleet_window(session: requests.Session, api_url: str, to_ms: int) -> FleetWindow:
    """Every page of GET /v1/positions for the hour that ends at `to_ms`, timed from first to last."""
    query: dict[str, str] = {"from": str(to_ms - 3600 * 1000), "to": str(to_ms), "limit": "10000"}
    fixes = pages = 0
    started = time.monotonic()
    while True:
        answer = session.get(f"{api_url}/v1/positions", params=query, timeout=120)
        if answer.status_code != 200:
            raise RuntimeError(f"GET /v1/positions answered {answer.status_code}: {answer.text[:200]}")
        body = answer.json()
        fixes += len(body["positions"])
        pages += 1
        if not body.get("nextCursor"):
            return FleetWindow(fixes, pages, time.monotonic() - started)
        query["cursor"] = body["nextCursor"]


@dataclass(frozen=True)
class Drain:
    fixes: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.fixes / self.seconds if self.seconds > 0 else 0.0


def drain(
    stack: dict[str, Any], token: str, run_id: str, buses: int, fixes_per_bus: int, timeout_seconds: float
) -> Drain | None:
    """Put `buses` x `fixes_per_bus` fixes on the stream at once; seconds until all are stored.

    The records are put in order, one PutRecords after another; each shard is consumed in order, so the
    stream is drained once the last records put show as their buses' latest positions (the last few
    include each shard's last with near certainty). Every bus's latest is then checked once.
    """
    kinesis: KinesisClient = _emulator_client(stack, "kinesis")
    bus_ids = [f"drain-{run_id}-{number:05d}" for number in range(buses)]
    base_s = int(time.time()) - fixes_per_bus
    records: list[Any] = [
        {
            "Data": (
                # A second and 9 m apart: never far enough for the noise filter to flag them.
                f'{{"busId":"{bus_id}","latitude":38.7{number % 1000:03d},'
                f'"longitude":{-9.1 - tick / 10_000:.4f},"timestamp":{base_s + tick},"speed":8.5}}'
            ).encode(),
            "PartitionKey": bus_id,
        }
        for tick in range(fixes_per_bus)
        for number, bus_id in enumerate(bus_ids)
    ]
    newest_time_s = base_s + fixes_per_bus - 1
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    most = aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS
    for start in range(0, len(records), most):
        answer = kinesis.put_records(StreamName=stack["stream_name"], Records=records[start : start + most])
        if answer.get("FailedRecordCount"):
            raise RuntimeError("the emulator refused records while the drain was measured")
    last_put = [record["PartitionKey"] for record in records[-DRAIN_SENTINELS:]]
    while not all(_shows(session, stack["api_url"], bus_id, newest_time_s) for bus_id in last_put):
        if time.monotonic() - started > timeout_seconds:
            return None
        time.sleep(DRAIN_POLL_SECONDS)
    seconds = time.monotonic() - started
    behind = [bus_id for bus_id in bus_ids if not _shows(session, stack["api_url"], bus_id, newest_time_s)]
    if behind:
        raise RuntimeError(f"{len(behind)} buses do not show their newest fix once the stream was drained")
    return Drain(len(records), seconds)


def _shows(session: requests.Session, api_url: str, bus_id: str, time_s: int) -> bool:
    answer = session.get(f"{api_url}/v1/buses/{bus_id}", timeout=30)
    return answer.status_code == 200 and _epoch_seconds(answer.json()["timestamp"]) >= time_s


def _epoch_seconds(timestamp: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
