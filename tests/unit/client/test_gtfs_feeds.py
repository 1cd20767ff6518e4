"""The two shipped static GTFS feeds: valid for an independent validator, and they hold what they promise."""

import json
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from busgps.client.gtfs import Schedule, read_gtfs
from busgps.client.gtfs.geometry import distance_m
from support.gtfs_feeds import AUCKLAND, LISBON, zipped

# MobilityData's canonical rules, in Python (the gtfs-validator package, a dependency of gtfs-rt-validator).
VALIDATOR = Path(sys.executable).with_name("gtfs-validator")
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2035, 12, 31)


@pytest.fixture(scope="module")
def lisbon() -> Schedule:
    return Schedule(read_gtfs(LISBON))


@pytest.fixture(scope="module")
def auckland() -> Schedule:
    return Schedule(read_gtfs(AUCKLAND))


@pytest.mark.parametrize("feed", [LISBON, AUCKLAND], ids=lambda feed: feed.name)
def test_the_feed_is_valid_static_gtfs_with_no_error_and_no_warning(feed: Path, tmp_path: Path):
    # Given the feed zipped, as an agency publishes it
    archive = zipped(feed, tmp_path / f"{feed.name}.zip")

    # When the validator checks it on a fixed day within its service
    result = subprocess.run(
        [str(VALIDATOR), "-i", str(archive), "-o", str(tmp_path / "report"), "--date", "2026-06-01"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then it ran without a system error, and found neither errors nor warnings (infos may be: the long
    # service window is one)
    assert result.returncode == 0, result.stderr
    report = tmp_path / "report"
    assert json.loads((report / "system_errors.json").read_text())["notices"] == []
    notices = json.loads((report / "report.json").read_text())["notices"]
    assert [(notice["severity"], notice["code"]) for notice in notices if notice["severity"] != "INFO"] == []


def _moments_to_check() -> list[datetime]:
    """Every 10 minutes of the weekends the clocks change, 2025 to 2035; and 2,000 moments at random."""
    moments = []
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        for month in (3, 10):
            last_sunday = max(
                date(year, month, day) for day in range(25, 32) if date(year, month, day).weekday() == 6
            )
            start = datetime.combine(last_sunday - timedelta(days=1), datetime.min.time(), UTC)
            moments += [start + timedelta(minutes=10 * step) for step in range(2 * 24 * 6)]
    rng = random.Random(2025)
    span = (
        datetime.combine(LAST_DAY, datetime.max.time(), UTC) - datetime(2025, 1, 1, tzinfo=UTC)
    ).total_seconds()
    moments += [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, span)) for _ in range(2000)
    ]
    return moments


def test_lisbon_has_four_trips_in_service_at_any_moment_from_2025_to_2035(lisbon: Schedule):
    # Given moments all through the feed's years, the nights the clocks change included
    moments = _moments_to_check()

    # When the trips in service at each are counted
    fewest, moment = min((len(lisbon.active_trips(moment)), moment) for moment in moments)

    # Then there are always at least four
    assert fewest >= 4, f"only {fewest} trips in service at {moment.isoformat()}"


def test_lisbon_vehicles_stay_on_their_routes_at_urban_speeds(lisbon: Schedule):
    # Given a weekday morning in Lisbon, When every vehicle in service is placed
    moment = datetime(2026, 6, 3, 8, 17, 30, tzinfo=UTC)
    runs = lisbon.active_trips(moment)
    assert {run.trip.route_id for run in runs} == {"15", "44", "2"}
    for run in runs:
        fix = lisbon.locate(run, moment)
        stops = [lisbon.feed.stops[time.stop_id] for time in lisbon.feed.stop_times[run.trip.trip_id]]

        # Then it is within 1.5 km of a stop of its trip, at most 60 km/h, heading somewhere
        nearest = min(
            distance_m((fix.latitude, fix.longitude), (stop.latitude, stop.longitude)) for stop in stops
        )
        assert nearest < 1_500
        assert 0.0 <= fix.speed <= 60 / 3.6
        assert fix.bearing is not None
        assert 0.0 <= fix.bearing < 360.0


def test_auckland_night_buses_run_past_midnight_on_the_previous_service_day(auckland: Schedule):
    # Given 01:20 on Sunday 6 December 2026 in Auckland (12:20 on Saturday the 5th in UTC)
    moment = datetime(2026, 12, 5, 12, 20, tzinfo=UTC)

    # When the trips in service are found
    runs = auckland.active_trips(moment)

    # Then the Saturday-night buses that left at 25:10 run, with Saturday as their service day
    assert [run.key for run in runs] == [
        ("N1-0-2510", "20261205", "25:10:00"),
        ("N1-1-2510", "20261205", "25:10:00"),
    ]
    # And having no shape, each vehicle is on the straight line between two consecutive stops of its trip
    for run in runs:
        fix = auckland.locate(run, moment)
        place = (fix.latitude, fix.longitude)
        stops = [auckland.feed.stops[time.stop_id] for time in auckland.feed.stop_times[run.trip.trip_id]]
        legs = [((a.latitude, a.longitude), (b.latitude, b.longitude)) for a, b in pairwise(stops)]
        detours = [distance_m(a, place) + distance_m(place, b) - distance_m(a, b) for a, b in legs]
        assert min(detours) == pytest.approx(0.0, abs=1.0)
        assert fix.speed > 0


def test_auckland_calendar_dates_cancel_christmas_and_boxing_day_and_add_new_year_s_eve(auckland: Schedule):
    # Given the day buses at 10:10 and the night buses at 01:20, around the end of 2026 in Auckland
    def day_buses(day: int) -> set[str]:
        moment = datetime(2026, 12, day, 10, 10, tzinfo=auckland.zone)
        return {run.trip.route_id for run in auckland.active_trips(moment)}

    def night_buses_after(month: int, day: int, year: int = 2026) -> list[str]:
        moment = datetime(year, month, day, 1, 20, tzinfo=auckland.zone) + timedelta(days=1)
        return sorted({run.start_date for run in auckland.active_trips(moment)})

    # Then the day buses run every day but Christmas Day
    assert (day_buses(24), day_buses(25), day_buses(26)) == ({"27"}, set(), {"27"})
    # And the night of Friday the 25th runs, Saturday the 26th's is cancelled, Thursday the 31st's added
    assert night_buses_after(12, 25) == ["20261225"]
    assert night_buses_after(12, 26) == []
    assert night_buses_after(12, 24) == []  # an ordinary Thursday
    assert night_buses_after(12, 31) == ["20261231"]
