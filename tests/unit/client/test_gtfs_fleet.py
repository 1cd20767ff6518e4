"""Buses driving a static GTFS feed's trips on schedule, each fix posted with its trip."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from busgps.client.api import batch_post_body
from busgps.client.driver import run_fleet
from busgps.client.gtfs import Schedule, TimetableFleet, read_gtfs
from busgps.client.models import BatchResult, Position
from support.gtfs_feeds import AUCKLAND, LISBON

TRIP_KEYS = {
    "tripId",
    "routeId",
    "directionId",
    "startDate",
    "startTime",
    "scheduleRelationship",
    "vehicleLabel",
}


@dataclass
class RecordingApi:
    """Accepts every batch and keeps the bodies it was sent."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    def post_batch(self, entries: list[Position]) -> BatchResult:
        self.bodies.append(batch_post_body(entries))
        return BatchResult(message="Success", acceptedCount=len(entries), failedCount=0, failed=[])


class FakeTime:
    """A monotonic clock and a wall clock that move together, and only when the driver sleeps."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.elapsed = 0.0

    def clock(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)


@pytest.fixture(scope="module")
def lisbon() -> Schedule:
    return Schedule(read_gtfs(LISBON))


def test_the_simulator_posts_each_bus_on_a_trip_in_service_with_the_trip_s_fields(lisbon: Schedule):
    # Given 5 buses on the Lisbon timetable at 08:17 on a Wednesday, every 10 s for 30 s
    api = RecordingApi()
    fake_time = FakeTime(datetime(2026, 6, 3, 7, 17, tzinfo=UTC))  # 08:17 WEST

    # When the simulation runs
    progress = run_fleet(
        api,  # type: ignore[arg-type]
        TimetableFleet(lisbon, 5, bus_id_prefix="gtfs-"),
        interval_seconds=10.0,
        duration_seconds=30.0,
        report=lambda _: None,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        now=fake_time.now,
    )

    # Then every tick posted the 5 buses, each with the fields of a trip in service at that moment
    assert (progress.sent, progress.accepted) == (15, 15)
    for tick, body in enumerate(api.bodies):
        moment = datetime(2026, 6, 3, 7, 17, 10 * tick, tzinfo=UTC)
        in_service = {run.key: run for run in lisbon.active_trips(moment)}
        entries = body["positions"]
        assert [entry["busId"] for entry in entries] == [f"gtfs-{number:03d}" for number in range(5)]
        for entry in entries:
            assert set(entry) >= TRIP_KEYS
            run = in_service[(entry["tripId"], entry["startDate"], entry["startTime"])]
            assert (entry["routeId"], entry["directionId"]) == (run.trip.route_id, run.trip.direction_id)
            assert entry["scheduleRelationship"] == (
                "UNSCHEDULED" if entry["routeId"] == "15" else "SCHEDULED"
            )
            assert entry["startDate"] == "20260603"
            assert entry["vehicleLabel"] == entry["busId"]
            assert entry["timestamp"] == f"2026-06-03T07:17:{10 * tick:02d}.000Z"
            # And the fix is where the timetable puts that run's vehicle
            fix = lisbon.locate(run, moment)
            assert (entry["latitude"], entry["longitude"]) == pytest.approx(
                (fix.latitude, fix.longitude), abs=1e-6
            )
            assert entry["speed"] == pytest.approx(fix.speed, abs=0.01)
        # And no two buses drive the same run
        assert len({(entry["tripId"], entry["startTime"]) for entry in entries}) == 5


def test_a_bus_keeps_its_trip_while_it_runs_then_takes_another(lisbon: Schedule):
    # Given 2 buses at 08:17 on a Wednesday
    fleet = TimetableFleet(lisbon, 2)
    start = datetime(2026, 6, 3, 7, 17, tzinfo=UTC)
    first = {position.bus_id: (position.trip_id, position.start_time) for position in fleet.tick(start)}

    # When a minute passes, Then each bus still drives the same run
    later = {
        position.bus_id: (position.trip_id, position.start_time)
        for position in fleet.tick(start + timedelta(minutes=1))
    }
    assert later == first

    # When an hour passes (no trip of this feed lasts that long), Then each bus drives a run in service now
    hour_later = start + timedelta(hours=1)
    in_service = {(run.trip.trip_id, run.start_time) for run in lisbon.active_trips(hour_later)}
    after = {position.bus_id: (position.trip_id, position.start_time) for position in fleet.tick(hour_later)}
    assert set(after) == {"sim-000", "sim-001"}
    assert set(after.values()) <= in_service
    assert not set(after.values()) & set(first.values())


def test_buses_are_spread_over_the_routes_in_service(lisbon: Schedule):
    # Given a moment when all three Lisbon routes have trips in service, far more than 3
    moment = datetime(2026, 6, 3, 7, 17, 30, tzinfo=UTC)
    assert len(lisbon.active_trips(moment)) > 3

    # When 3 buses take trips, Then there is one on each route
    routes = [position.route_id for position in TimetableFleet(lisbon, 3).tick(moment)]
    assert sorted(str(route) for route in routes) == ["15", "2", "44"]


def test_with_fewer_trips_than_buses_only_buses_on_trips_report(lisbon: Schedule):
    # Given 50 buses, far more than Lisbon's trips in service at 03:00
    moment = datetime(2026, 1, 14, 3, 0, tzinfo=UTC)
    in_service = len(lisbon.active_trips(moment))

    # When they tick, Then one bus reports per trip in service, the others stay silent
    assert len(TimetableFleet(lisbon, 50).tick(moment)) == in_service < 50


def test_southern_night_buses_post_their_service_day_and_a_start_time_past_midnight():
    # Given 4 buses on the Auckland feed at 01:20 on Sunday 6 December 2026 (Saturday 12:20 in UTC)
    fleet = TimetableFleet(Schedule(read_gtfs(AUCKLAND)), 4, bus_id_prefix="akl-")

    # When they tick
    positions = fleet.tick(datetime(2026, 12, 5, 12, 20, tzinfo=UTC))

    # Then the two night buses in service post Saturday's service day and their 25:10:00 start
    assert [
        (p.bus_id, p.trip_id, p.route_id, p.direction_id, p.start_date, p.start_time) for p in positions
    ] == [
        ("akl-000", "N1-0-2510", "N1", 0, "20261205", "25:10:00"),
        ("akl-001", "N1-1-2510", "N1", 1, "20261205", "25:10:00"),
    ]
    # And they are in Auckland, south of the equator, east of Greenwich
    for position in positions:
        assert -37.0 < position.latitude < -36.8
        assert 174.7 < position.longitude < 174.8


def test_a_timetable_fleet_needs_a_bus(lisbon: Schedule):
    # Given no buses, Then the fleet is refused
    with pytest.raises(ValueError, match="at least one bus"):
        TimetableFleet(lisbon, 0)
