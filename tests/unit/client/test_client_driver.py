"""The simulation driver posts every bus's fix each interval, in batches, and counts honestly."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from busgps.client.api import ApiError
from busgps.client.driver import MAX_BATCH_SIZE, Progress, batches, post_in_batches, run_fleet
from busgps.client.models import BatchResult, FailedEntry, Position
from busgps.client.simulation import Fleet


@dataclass
class FakeApi:
    """Accepts every batch, except entries of `failing_bus` and whole batches while `down`."""

    failing_bus: str | None = None
    down: bool = False
    batch_sizes: list[int] = field(default_factory=list)

    def post_batch(self, entries: list[Position]) -> BatchResult:
        self.batch_sizes.append(len(entries))
        if self.down:
            raise ApiError("POST", "/v1/positions", 503, "Service Unavailable", None)
        failed = [
            FailedEntry(index=index, errorCode="InvalidPosition", errorMessage="bad bus")
            for index, entry in enumerate(entries)
            if entry.bus_id == self.failing_bus
        ]
        return BatchResult(
            message="Success"
            if not failed
            else f"{len(failed)} of {len(entries)} positions were not accepted",
            acceptedCount=len(entries) - len(failed),
            failedCount=len(failed),
            failed=failed,
        )


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _positions(count: int) -> list[Position]:
    return [Position(f"bus-{number}", 1.0, 2.0) for number in range(count)]


def test_batches_never_exceed_the_api_limit():
    # Given 1201 positions, When split, Then batches are of at most 500, in order
    split = batches(_positions(1201))
    assert [len(batch) for batch in split] == [500, 500, 201]
    assert split[2][-1].bus_id == "bus-1200"


def test_batch_size_beyond_the_limit_is_refused():
    # Given a batch size the API would refuse, Then it is refused here
    with pytest.raises(ValueError, match=r"within 1\.\.500"):
        batches(_positions(3), size=MAX_BATCH_SIZE + 1)


def test_failed_entries_are_counted_and_named():
    # Given an API that fails every entry of bus-2
    api = FakeApi(failing_bus="bus-2")
    progress = Progress(started_at=0.0)

    # When five positions are posted
    post_in_batches(api, _positions(5), progress)  # type: ignore[arg-type]

    # Then four are accepted, one failed, and the failure is named
    assert (progress.sent, progress.accepted, progress.failed) == (5, 4, 1)
    assert progress.last_error == "bus-2: InvalidPosition bad bus"


def test_a_failed_request_counts_all_its_positions_as_failed():
    # Given an API that is down
    api = FakeApi(down=True)
    progress = Progress(started_at=0.0)

    # When 600 positions are posted (two requests)
    post_in_batches(api, _positions(600), progress)  # type: ignore[arg-type]

    # Then all 600 count as failed, none silently
    assert (progress.sent, progress.accepted, progress.failed) == (600, 0, 600)
    assert progress.last_error is not None
    assert "503" in progress.last_error


def test_run_fleet_ticks_every_interval_for_the_duration():
    # Given 3 buses, 5 s apart, for 20 s, with a clock that only moves when sleeping
    api = FakeApi()
    fake_time = FakeTime()
    reports: list[str] = []

    # When the fleet runs
    progress = run_fleet(
        api,  # type: ignore[arg-type]
        Fleet(3, seed=1),
        interval_seconds=5.0,
        duration_seconds=20.0,
        report=lambda update: reports.append(update.line()),
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        now=lambda: datetime(2026, 12, 1, tzinfo=UTC),
    )

    # Then it ticked at 0, 5, 10 and 15 s, posting one batch of 3 each time, reporting each tick
    assert api.batch_sizes == [3, 3, 3, 3]
    assert fake_time.sleeps == [5.0, 5.0, 5.0]
    assert (progress.sent, progress.accepted, progress.failed) == (12, 12, 0)
    assert len(reports) == 4
    # And the rate is per second of the time the fixes cover (4 intervals of 5 s)
    assert reports[0] == "sent 3  accepted 3  failed 0  rate 0.6/s  elapsed 5s"
    assert reports[-1] == "sent 12  accepted 12  failed 0  rate 0.6/s  elapsed 20s"


def test_progress_rate_is_accepted_per_second():
    # Given 90 accepted positions in 30 s, Then the rate is 3 a second
    progress = Progress(started_at=0.0, sent=100, accepted=90, failed=10, elapsed_seconds=30.0)
    assert progress.rate == pytest.approx(3.0)
    assert "rate 3.0/s" in progress.line()


def test_run_fleet_needs_a_positive_interval_and_duration():
    # Given a zero interval, Then the run is refused
    with pytest.raises(ValueError, match="positive"):
        run_fleet(FakeApi(), Fleet(1), 0.0, 10.0, report=lambda _: None)  # type: ignore[arg-type]
