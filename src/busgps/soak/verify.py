"""What the soak finds, through the public API only: the /v1 reads (every page), and the operator's
commands for the queues.

A fix is known by its bus and its time to the millisecond; it is stored when history serves it, with
the position that was sent, and duplicated when history serves it more than once.
"""

import functools
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed
from busgps.client.models import BusPosition, Position
from busgps.client.target import STACK_FILE_VARIABLE
from busgps.dal.retry import Backoff
from busgps.logic.queries import EXPORT_MAX_LIMIT, FLEET_WINDOW_MAX_MS, MAX_LIMIT
from busgps.soak.plan import Fleet

# The most a /v1 page holds: a bus's JSON history, the bus list, a fleet window.
HISTORY_PAGE = BUS_PAGE = MAX_LIMIT
FLEET_PAGE = EXPORT_MAX_LIMIT
FLEET_WINDOW = timedelta(milliseconds=FLEET_WINDOW_MAX_MS)
POLL_SECONDS = 2.0
SLOW_POLL_SECONDS = 10.0
PROGRESS_SECONDS = 15.0
# A throttled reader waits as a device must, up to about half a minute of 429s in a row: with four
# clients reading as fast as the stack answers, the stage's rate limit refuses some of them for a while.
READ_BACKOFF = Backoff(max_attempts=30)
Answer = TypeVar("Answer")

FixKey = tuple[str, int]


def fix_key(bus_id: str, moment: datetime) -> FixKey:
    return bus_id, round(moment.timestamp() * 1000)


def _same_place(sent: Position, served: BusPosition) -> bool:
    return round(sent.latitude, 9) == round(served.latitude, 9) and round(sent.longitude, 9) == round(
        served.longitude, 9
    )


def read(call: Callable[..., Answer], *arguments: Any, **keywords: Any) -> Answer:
    """`call(*arguments, **keywords)`, a read tried again as a client must when the stage throttles it
    or the store is busy for a moment."""
    last_attempt = READ_BACKOFF.max_attempts - 1
    for attempt in READ_BACKOFF.attempts():
        try:
            return call(*arguments, **keywords)
        except ApiError as error:
            if error.status_code not in (429, 502, 503, 504) or attempt == last_attempt:
                raise
        except ConnectionFailed:
            if attempt == last_attempt:
                raise
    raise AssertionError("unreachable")


@dataclass
class HistoryFindings:
    """History compared with what was sent."""

    stored: int = 0
    lost: list[FixKey] = field(default_factory=list)
    # Served more often than once: how many copies too many.
    duplicated: int = 0
    # Served but never sent, or served at a place other than the one sent.
    unexpected: list[FixKey] = field(default_factory=list)
    flagged: int = 0

    def add(self, other: "HistoryFindings") -> None:
        self.stored += other.stored
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.unexpected += other.unexpected
        self.flagged += other.flagged


def compare(expected: Iterable[Position], served: Iterable[BusPosition]) -> HistoryFindings:
    sent = {fix_key(fix.bus_id, fix.timestamp): fix for fix in expected if fix.timestamp is not None}
    copies = Counter[FixKey]()
    findings = HistoryFindings()
    for position in served:
        key = fix_key(position.bus_id, position.timestamp)
        copies[key] += 1
        if key not in sent or not _same_place(sent[key], position):
            findings.unexpected.append(key)
        if (position.model_extra or {}).get("flagged"):
            findings.flagged += 1
    findings.stored = sum(1 for key in sent if copies[key])
    findings.lost = sorted(key for key in sent if not copies[key])
    findings.duplicated = sum(count - 1 for count in copies.values() if count > 1)
    return findings


def bus_history(client: BusGpsClient, bus_id: str, start: datetime, end: datetime) -> list[BusPosition]:
    """Every page of GET /v1/buses/{busId}/positions between start and end."""
    positions: list[BusPosition] = []
    cursor: str | None = None
    while True:
        page = read(client.history, bus_id, start, end, limit=HISTORY_PAGE, cursor=cursor)
        positions.extend(page.positions)
        if not page.next_cursor:
            return positions
        cursor = page.next_cursor


def fleet_window(client: BusGpsClient, start: datetime, end: datetime) -> list[BusPosition]:
    """Every page of GET /v1/positions, an hour at most at a time, from start to end."""
    positions: list[BusPosition] = []
    window_start = start
    while window_start <= end:
        window_end = min(end, window_start + FLEET_WINDOW)
        cursor: str | None = None
        while True:
            page = read(client.fleet_window, window_start, window_end, limit=FLEET_PAGE, cursor=cursor)
            positions.extend(page.positions)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        window_start = window_end + timedelta(milliseconds=1)
    return positions


def latest_positions(client: BusGpsClient, bus_ids: set[str]) -> dict[str, BusPosition]:
    """The latest position of each of these buses, from every page of GET /v1/buses."""
    found: dict[str, BusPosition] = {}
    cursor: str | None = None
    while True:
        page = read(client.buses, limit=BUS_PAGE, cursor=cursor)
        found.update((bus.bus_id, bus) for bus in page.buses if bus.bus_id in bus_ids)
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


def wrong_latest(fleet: Fleet, latest: dict[str, BusPosition]) -> list[str]:
    """The buses whose latest position is not their newest fix."""
    wrong = []
    for bus_id, newest in fleet.newest.items():
        served = latest.get(bus_id)
        assert newest.timestamp is not None
        if (
            served is None
            or fix_key(bus_id, served.timestamp) != fix_key(bus_id, newest.timestamp)
            or not _same_place(newest, served)
        ):
            wrong.append(bus_id)
    return sorted(wrong)


@dataclass
class Drain:
    """How the wait for the consumer went: when each part of what was sent became visible."""

    latest_seconds: float | None = None
    history_seconds: float | None = None
    latest_wrong: list[str] = field(default_factory=list)
    history: HistoryFindings = field(default_factory=HistoryFindings)


def _in_parallel(
    clients: Sequence[BusGpsClient], work: Sequence[str], task: Callable[[BusGpsClient, str], Any]
) -> dict[str, Any]:
    """`task(client, item)` for every item, one thread per client, each client its share."""
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            for item in work[number :: len(clients)]:
                result = task(clients[number], item)
                with lock:
                    results[item] = result
        except BaseException as error:  # reported in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def wait_for_drain(
    clients: Sequence[BusGpsClient],
    fleet: Fleet,
    stall_seconds: float,
    progress: Callable[[str], None] = lambda line: None,
) -> Drain:
    """Poll until every bus's latest is its newest fix and history holds every fix, or until nothing
    has changed for `stall_seconds` (then the findings say what is missing)."""
    started = time.monotonic()
    drain = Drain()
    bus_ids = set(fleet.fixes)
    # While the consumer works through the backlog, the buses' latest positions move forward: that is
    # progress, even before any bus has reached its newest fix.
    seen: dict[str, datetime] = {}
    last_change = last_said = time.monotonic()
    while True:
        latest = latest_positions(clients[0], bus_ids)
        drain.latest_wrong = wrong_latest(fleet, latest)
        now_seen = {bus_id: position.timestamp for bus_id, position in latest.items()}
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
        if time.monotonic() - last_said >= PROGRESS_SECONDS or not drain.latest_wrong:
            last_said = time.monotonic()
            right = len(bus_ids) - len(drain.latest_wrong)
            progress(f"latest position right for {right} of {len(bus_ids)} buses")
        if not drain.latest_wrong:
            drain.latest_seconds = time.monotonic() - started
            break
        if time.monotonic() - last_change > stall_seconds:
            break
        # Listing every bus costs the emulator: seldom while most are far from done, often near the end.
        nearly_done = len(drain.latest_wrong) <= len(bus_ids) // 20
        time.sleep(POLL_SECONDS if nearly_done else SLOW_POLL_SECONDS)

    start = fleet.start - timedelta(minutes=1)
    pending = sorted(bus_ids)
    findings: dict[str, HistoryFindings] = {}
    best, last_change = -1, time.monotonic()
    while True:
        found = _in_parallel(clients, pending, functools.partial(_bus_findings, fleet, start))
        findings.update(found)
        pending = [bus_id for bus_id in pending if findings[bus_id].lost]
        stored = sum(result.stored for result in findings.values())
        if stored > best:
            best, last_change = stored, time.monotonic()
            progress(f"history holds {stored} of {fleet_size(fleet)} fixes")
        if not pending:
            drain.history_seconds = time.monotonic() - started
            break
        if time.monotonic() - last_change > stall_seconds:
            break
        time.sleep(POLL_SECONDS)
    for result in findings.values():
        drain.history.add(result)
    # The latest positions once more: a late drain may have moved them since.
    drain.latest_wrong = wrong_latest(fleet, latest_positions(clients[0], bus_ids))
    return drain


def _bus_findings(fleet: Fleet, start: datetime, client: BusGpsClient, bus_id: str) -> HistoryFindings:
    end = datetime.now(start.tzinfo) + timedelta(minutes=1)
    return compare(fleet.fixes[bus_id], bus_history(client, bus_id, start, end))


def fleet_size(fleet: Fleet) -> int:
    return sum(len(fixes) for fixes in fleet.fixes.values())


def fleet_window_findings(client: BusGpsClient, fleet: Fleet) -> HistoryFindings:
    """Every fix of the soak, as the fleet window route serves them, compared with what was sent."""
    start = fleet.start - timedelta(minutes=1)
    end = max(fix.timestamp for fixes in fleet.fixes.values() for fix in fixes if fix.timestamp) + timedelta(
        minutes=1
    )
    served = [position for position in fleet_window(client, start, end) if position.bus_id in fleet.fixes]
    return compare((fix for fixes in fleet.fixes.values() for fix in fixes), served)


@dataclass(frozen=True)
class Queues:
    """What the operator's commands show of the soak in the two queues."""

    refused: list[dict[str, Any]]
    discarded: list[dict[str, Any]]


def operator_queues(stack_file: Path, bus_ids: set[str]) -> Queues:
    """`busgps rejects --json` (the soak's buses only) and `busgps failures --json`."""

    def command(*arguments: str) -> Any:
        busgps = Path(sys.executable).with_name("busgps")
        result = subprocess.run(
            [str(busgps), *arguments, "--json"],
            env={**os.environ, STACK_FILE_VARIABLE: str(stack_file)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(result.stdout)

    refused = [
        reject
        for reject in command("rejects")["rejects"]
        if (reject.get("busId") or reject.get("partitionKey")) in bus_ids
    ]
    return Queues(refused=refused, discarded=list(command("failures")["failures"]))
