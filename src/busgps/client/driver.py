"""Drive a simulated fleet against an API: every interval, post every bus's fix in batches."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from busgps import aws_limits
from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed
from busgps.client.models import Position

# POST /v1/positions takes at most this many positions: one PutRecords call.
MAX_BATCH_SIZE = aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS


class SimulatedFleet(Protocol):
    """Simulated buses: looping routes (`simulation.Fleet`) or a timetable (`gtfs.TimetableFleet`)."""

    def tick(self, now: datetime, elapsed_seconds: float) -> list[Position]:
        """The buses' fixes at `now`, `elapsed_seconds` after the previous tick."""
        ...


@dataclass
class Progress:
    started_at: float
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    elapsed_seconds: float = 0.0
    last_error: str | None = None

    @property
    def rate(self) -> float:
        """Accepted positions per second so far."""
        return self.accepted / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def line(self) -> str:
        last_error = f"  last error: {self.last_error}" if self.last_error else ""
        return (
            f"sent {self.sent}  accepted {self.accepted}  failed {self.failed}  "
            f"rate {self.rate:.1f}/s  elapsed {self.elapsed_seconds:.0f}s{last_error}"
        )


def batches(positions: Sequence[Position], size: int = MAX_BATCH_SIZE) -> list[Sequence[Position]]:
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be within 1..{MAX_BATCH_SIZE}")
    return [positions[start : start + size] for start in range(0, len(positions), size)]


def post_in_batches(client: BusGpsClient, positions: Sequence[Position], progress: Progress) -> None:
    """Post positions and count them; a failed request counts all its positions as failed."""
    for batch in batches(positions):
        progress.sent += len(batch)
        try:
            result = client.post_batch(batch)
        except (ApiError, ConnectionFailed) as error:
            progress.failed += len(batch)
            progress.last_error = str(error)
            continue
        progress.accepted += result.accepted_count
        progress.failed += len(result.failed)
        for entry in result.failed:
            which = batch[entry.index].bus_id if 0 <= entry.index < len(batch) else f"entry {entry.index}"
            progress.last_error = f"{which}: {entry.error_code} {entry.error_message}".strip()


def run_fleet(
    client: BusGpsClient,
    fleet: SimulatedFleet,
    interval_seconds: float,
    duration_seconds: float,
    report: Callable[[Progress], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Progress:
    """Post the fleet's fixes every `interval_seconds` until `duration_seconds` have passed."""
    if interval_seconds <= 0 or duration_seconds <= 0:
        raise ValueError("interval and duration must be positive")
    progress = Progress(started_at=clock())
    previous_tick = progress.started_at
    tick = 0
    while True:
        tick_started = clock()
        post_in_batches(client, fleet.tick(now(), tick_started - previous_tick), progress)
        previous_tick = tick_started
        tick += 1
        # The fixes so far cover `tick` intervals: the rate is per second of that, even on the first tick.
        progress.elapsed_seconds = max(clock() - progress.started_at, tick * interval_seconds)
        report(progress)
        next_tick = progress.started_at + tick * interval_seconds
        if next_tick - progress.started_at >= duration_seconds:
            return progress
        sleep(max(0.0, next_tick - clock()))
