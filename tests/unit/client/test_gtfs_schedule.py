"""The trips in service at a moment, in the agency's own time zone, and where each one's vehicle is."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from busgps.client.gtfs import Schedule, read_gtfs, service_day_start
from busgps.client.gtfs.geometry import distance_m
from support.gtfs_feeds import write_feed

AUCKLAND = ZoneInfo("Pacific/Auckland")
LISBON = ZoneInfo("Europe/Lisbon")

# Three stops a hundredth of a degree apart on a meridian through Lisbon (about 1112 m each).
STOPS = """\
    stop_id,stop_name,stop_lat,stop_lon
    S1,South,38.70,-9.14
    S2,Middle,38.71,-9.14
    S3,North,38.72,-9.14
    S4,North-east,38.71,-9.13
    """
EVERY_DAY = """\
    service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
    DAILY,1,1,1,1,1,1,1,20250101,20351231
    """


def _schedule(directory: Path, timezone: str = "Europe/Lisbon", **files: str) -> Schedule:
    return Schedule(read_gtfs(write_feed(directory, timezone, **{"stops": STOPS, **files})))


def _trips(service: str, *trip_ids: str, shape: str = "") -> str:
    rows = "".join(f"R,{service},{trip_id},0,{shape}\n" for trip_id in trip_ids)
    return "route_id,service_id,trip_id,direction_id,shape_id\n" + rows


def _stop_times(*rows: str) -> str:
    return "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(f"{row}\n" for row in rows)


def _local(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]


def _keys(schedule: Schedule, moment: datetime) -> list[tuple[str, str, str]]:
    return [run.key for run in schedule.active_trips(moment)]


# Which trips are in service.


def test_the_service_day_is_the_agency_s_not_the_utc_date(tmp_path: Path):
    # Given an Auckland service on Fridays only, with a trip from 10:00 to 10:30
    schedule = _schedule(
        tmp_path,
        "Pacific/Auckland",
        calendar="""\
            service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
            FRI,0,0,0,0,1,0,0,20260101,20261231
            """,
        trips=_trips("FRI", "F1"),
        stop_times=_stop_times("F1,10:00:00,10:00:00,S1,1", "F1,10:30:00,10:30:00,S3,2"),
    )
    # When it is 22:15 on Thursday 4 June in UTC, 10:15 on Friday 5 June in Auckland
    moment = datetime(2026, 6, 4, 22, 15, tzinfo=UTC)

    # Then the Friday trip is in service, with Friday as its start date
    assert _keys(schedule, moment) == [("F1", "20260605", "10:00:00")]
    # And a day later (a Saturday in Auckland, a Friday in UTC) nothing runs
    assert _keys(schedule, moment + timedelta(days=1)) == []


def test_trips_past_midnight_run_on_into_the_next_calendar_day(tmp_path: Path):
    # Given a Friday-night service with a trip from 23:50 to 25:30 and one from 25:10 to 25:40
    schedule = _schedule(
        tmp_path,
        "Pacific/Auckland",
        calendar="""\
            service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
            FRI,0,0,0,0,1,0,0,20260101,20261231
            """,
        trips=_trips("FRI", "N1", "N2"),
        stop_times=_stop_times(
            "N1,23:50:00,23:50:00,S1,1",
            "N1,25:30:00,25:30:00,S3,2",
            "N2,25:10:00,25:10:00,S3,1",
            "N2,25:40:00,25:40:00,S1,2",
        ),
    )

    # When it is 00:40 on Saturday in Auckland, Then the Friday trip is still in service
    assert _keys(schedule, _local(AUCKLAND, 2026, 6, 6, 0, 40)) == [("N1", "20260605", "23:50:00")]
    # And at 01:20 both are, the second with its start time past 24:00 on Friday's service day
    assert _keys(schedule, _local(AUCKLAND, 2026, 6, 6, 1, 20)) == [
        ("N1", "20260605", "23:50:00"),
        ("N2", "20260605", "25:10:00"),
    ]
    # But at 00:40 on a Friday (Thursday's service day, which does not run) nothing is
    assert _keys(schedule, _local(AUCKLAND, 2026, 6, 5, 0, 40)) == []


def test_calendar_dates_remove_and_add_service_days(tmp_path: Path):
    # Given a weekday service, not on Christmas Day (a Friday), and an extra service only on Boxing Day
    schedule = _schedule(
        tmp_path,
        calendar="""\
            service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
            WEEK,1,1,1,1,1,0,0,20260101,20261231
            """,
        calendar_dates="""\
            service_id,date,exception_type
            WEEK,20261225,2
            EXTRA,20261226,1
            """,
        trips=_trips("WEEK", "W1") + "R,EXTRA,E1,0,\n",
        stop_times=_stop_times(
            "W1,10:00:00,10:00:00,S1,1",
            "W1,10:20:00,10:20:00,S3,2",
            "E1,10:00:00,10:00:00,S3,1",
            "E1,10:20:00,10:20:00,S1,2",
        ),
    )

    # When it is 10:10 on the 24th, 25th, 26th and 27th of December
    at_ten = [_keys(schedule, _local(LISBON, 2026, 12, day, 10, 10)) for day in (24, 25, 26, 27)]

    # Then the weekday trip runs on the 24th only, and the extra one on the 26th only
    assert at_ten == [[("W1", "20261224", "10:00:00")], [], [("E1", "20261226", "10:00:00")], []]
    assert schedule.services_on(date(2026, 12, 26)) == {"EXTRA"}
    # And a trip of its own (not a frequency's) is SCHEDULED
    (run,) = schedule.active_trips(_local(LISBON, 2026, 12, 24, 10, 10))
    assert run.schedule_relationship == "SCHEDULED"


@pytest.mark.parametrize("exact_times", [0, 1])
def test_frequencies_start_a_run_every_headway_until_their_end(tmp_path: Path, exact_times: int):
    # Given a 10-minute trip every 15 minutes from 06:00 until (not at) 07:00, its stop_times at midnight
    schedule = _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "X"),
        stop_times=_stop_times("X,00:00:00,00:00:00,S1,1", "X,00:10:00,00:10:00,S3,2"),
        frequencies=f"trip_id,start_time,end_time,headway_secs,exact_times\nX,06:00:00,07:00:00,900,{exact_times}\n",
    )

    def starts(hour: int, minute: int) -> list[str]:
        return [run.start_time for run in schedule.active_trips(_local(LISBON, 2026, 1, 14, hour, minute))]

    # Then runs start at 06:00, 06:15, 06:30 and 06:45, each in service for its 10 minutes
    assert starts(6, 5) == ["06:00:00"]
    assert starts(6, 12) == []
    assert starts(6, 55) == ["06:45:00"]
    assert starts(7, 5) == []  # no run starts at the end time
    # And each run's vehicle is where the trip's own timetable puts it, shifted to the run's start
    run = schedule.active_trips(_local(LISBON, 2026, 1, 14, 6, 35))[0]
    fix = schedule.locate(run, _local(LISBON, 2026, 1, 14, 6, 35))
    assert (run.start_date, run.start_time) == ("20260114", "06:30:00")
    assert fix.latitude == pytest.approx(38.71)  # halfway, 5 minutes into 10
    # And GTFS-Realtime calls a run without exact times UNSCHEDULED, one with them SCHEDULED
    assert run.schedule_relationship == ("SCHEDULED" if exact_times else "UNSCHEDULED")


def test_on_the_day_the_clocks_go_forward_the_service_day_starts_an_hour_before_midnight(tmp_path: Path):
    # Given a Lisbon trip at 00:30 every day
    schedule = _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "D"),
        stop_times=_stop_times("D,00:30:00,00:30:00,S1,1", "D,00:40:00,00:40:00,S3,2"),
    )

    # Then on 29 March 2026 (02:00 WEST follows 01:00 WET) times count from 23:00 on the 28th
    assert service_day_start(date(2026, 3, 29), LISBON) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert service_day_start(date(2026, 3, 30), LISBON) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    # So that the 29th's 00:30 trip runs at 23:30 on the 28th
    assert _keys(schedule, _local(LISBON, 2026, 3, 28, 23, 35)) == [("D", "20260329", "00:30:00")]
    # And in Auckland, on 5 April 2026 (clocks back from 03:00 to 02:00), from 01:00 NZDT
    assert service_day_start(date(2026, 4, 5), AUCKLAND) == _local(AUCKLAND, 2026, 4, 5, 1, 0)


def test_trips_that_cannot_be_driven_are_left_out_with_the_reason(tmp_path: Path):
    # Given a trip with one stop time and one at a stop that has no position
    schedule = _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "ONE", "NOWHERE", "GOOD"),
        stop_times=_stop_times(
            "ONE,10:00:00,10:00:00,S1,1",
            "NOWHERE,10:00:00,10:00:00,S1,1",
            "NOWHERE,10:10:00,10:10:00,ATLANTIS,2",
            "GOOD,10:00:00,10:00:00,S1,1",
            "GOOD,10:10:00,10:10:00,S3,2",
        ),
    )

    # Then only the good one is driven, and the others say why not
    assert schedule.trip_count == 1
    assert schedule.skipped_trips == {
        "ONE": "fewer than two stop times",
        "NOWHERE": "stop ATLANTIS has no position in stops.txt",
    }


def test_a_moment_must_carry_a_time_zone(tmp_path: Path):
    # Given a schedule, When asked about a naive time, Then it is refused rather than guessed
    schedule = _schedule(tmp_path, calendar=EVERY_DAY, trips=_trips("DAILY"), stop_times=_stop_times())
    with pytest.raises(ValueError, match="time zone"):
        schedule.active_trips(datetime(2026, 1, 14, 10, 0))


# Where a vehicle is.


def _straight_trip(tmp_path: Path, shape: str = "", **files: str) -> Schedule:
    """S1 at 08:00, S2 08:02:00-08:02:30 (a dwell), S3 at 08:05, northwards, on 14 January (UTC+0)."""
    return _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "T", shape=shape),
        stop_times=files.pop(
            "stop_times",
            _stop_times("T,08:00:00,08:00:00,S1,1", "T,08:02:00,08:02:30,S2,2", "T,08:05:00,08:05:00,S3,3"),
        ),
        **files,
    )


def _fix_at(schedule: Schedule, hour: int, minute: int, second: int = 0):
    moment = _local(LISBON, 2026, 1, 14, hour, minute, second)
    (run,) = schedule.active_trips(moment)
    return schedule.locate(run, moment)


def test_a_vehicle_drives_between_stops_at_constant_speed_and_stands_while_it_dwells(tmp_path: Path):
    # Given a trip north through three stops, without a shape
    schedule = _straight_trip(tmp_path)
    leg = distance_m((38.70, -9.14), (38.71, -9.14))

    # When it is halfway between the first two stops' times
    halfway = _fix_at(schedule, 8, 1)

    # Then the vehicle is halfway between them, heading north at the leg's length over its 120 s
    assert (halfway.latitude, halfway.longitude) == pytest.approx((38.705, -9.14))
    assert halfway.bearing == pytest.approx(0.0)
    assert halfway.speed == pytest.approx(leg / 120.0)

    # When it dwells at the middle stop, Then it stands there, facing where it goes next
    dwelling = _fix_at(schedule, 8, 2, 15)
    assert (dwelling.latitude, dwelling.longitude, dwelling.speed) == pytest.approx((38.71, -9.14, 0.0))
    assert dwelling.bearing == pytest.approx(0.0)

    # And on the second leg it covers the same length in 150 s
    second_leg = _fix_at(schedule, 8, 3, 45)
    assert second_leg.latitude == pytest.approx(38.715)
    assert second_leg.speed == pytest.approx(leg / 150.0)

    # And at the last stop's time it has arrived
    arrived = _fix_at(schedule, 8, 5)
    assert (arrived.latitude, arrived.speed) == pytest.approx((38.72, 0.0))


def test_a_vehicle_follows_the_shape_not_the_straight_line_between_stops(tmp_path: Path):
    # Given a 10-minute trip from S1 to S4 along a shape that goes north to a corner, then east
    schedule = _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "L", shape="BEND"),
        stop_times=_stop_times("L,08:00:00,08:00:00,S1,1", "L,08:10:00,08:10:00,S4,2"),
        shapes="""\
            shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence
            BEND,38.70,-9.14,1
            BEND,38.71,-9.14,2
            BEND,38.71,-9.13,3
            """,
    )
    north = distance_m((38.70, -9.14), (38.71, -9.14))
    east = distance_m((38.71, -9.14), (38.71, -9.13))

    # When it is halfway through the trip
    fix = _fix_at(schedule, 8, 5)

    # Then the vehicle is half the shape's length along it: still on the northward leg
    assert fix.longitude == pytest.approx(-9.14)
    assert distance_m((38.70, -9.14), (fix.latitude, fix.longitude)) == pytest.approx((north + east) / 2)
    assert fix.bearing == pytest.approx(0.0)
    # And two minutes before the end it is on the eastward leg, heading east
    late = _fix_at(schedule, 8, 8)
    assert late.latitude == pytest.approx(38.71)
    assert late.bearing == pytest.approx(90.0, abs=0.01)


def test_a_vehicle_standing_at_a_corner_faces_the_way_it_goes_next(tmp_path: Path):
    # Given a trip north to S2, where it waits a minute, then east to S4, without a shape
    schedule = _schedule(
        tmp_path,
        calendar=EVERY_DAY,
        trips=_trips("DAILY", "C"),
        stop_times=_stop_times(
            "C,08:00:00,08:00:00,S1,1", "C,08:02:00,08:03:00,S2,2", "C,08:05:00,08:05:00,S4,3"
        ),
    )

    # When it stands at S2, Then it faces east; and at its last stop, the way it came in
    assert _fix_at(schedule, 8, 2, 30).bearing == pytest.approx(90.0, abs=0.01)
    assert _fix_at(schedule, 8, 5).bearing == pytest.approx(90.0, abs=0.01)
    assert _fix_at(schedule, 8, 1).bearing == pytest.approx(0.0)


def test_shape_dist_traveled_places_stops_on_the_shape_in_the_feed_s_own_unit(tmp_path: Path):
    # Given a shape north through the three stops, in "units" of 1 per 0.01°, that puts S2 at 0.5
    shapes = """\
        shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,shape_dist_traveled
        NORTH,38.70,-9.14,1,0
        NORTH,38.71,-9.14,2,1.0
        NORTH,38.72,-9.14,3,2.0
        """
    with_distances = _straight_trip(
        tmp_path / "with",
        shape="NORTH",
        shapes=shapes,
        stop_times="trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
        "T,08:00:00,08:00:00,S1,1,0\nT,08:02:00,08:02:30,S2,2,0.5\nT,08:05:00,08:05:00,S3,3,2.0\n",
    )
    without_distances = _straight_trip(tmp_path / "without", shape="NORTH", shapes=shapes)

    # When the vehicle dwells at S2
    trusted = _fix_at(with_distances, 8, 2, 15)
    nearest = _fix_at(without_distances, 8, 2, 15)

    # Then with distances it stands where they put S2, and without, at the shape point nearest S2
    assert trusted.latitude == pytest.approx(38.705)
    assert nearest.latitude == pytest.approx(38.71)


def test_stops_without_times_are_passed_in_proportion_to_distance(tmp_path: Path):
    # Given a trip timed only at its ends, its middle stop halfway
    schedule = _straight_trip(
        tmp_path,
        stop_times=_stop_times("T,08:00:00,08:00:00,S1,1", "T,,,S2,2", "T,08:04:00,08:04:00,S3,3"),
    )

    # Then the vehicle passes the middle stop halfway through, at one steady speed
    at_middle = _fix_at(schedule, 8, 2)
    assert at_middle.latitude == pytest.approx(38.71)
    assert at_middle.speed == pytest.approx(_fix_at(schedule, 8, 1).speed)
    assert at_middle.speed > 0
