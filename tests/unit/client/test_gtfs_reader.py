"""Reading static GTFS: a zip or a directory, GTFS's own times and dates, and errors that point at the row."""

from datetime import date
from pathlib import Path

import pytest

from busgps.client.gtfs import GtfsError, format_time, parse_time, read_gtfs
from support.gtfs_feeds import AUCKLAND, LISBON, write_feed, zipped

ONE_TRIP = {
    "stops": """\
        stop_id,stop_name,stop_lat,stop_lon
        S1,First,38.7000,-9.1400
        S2,Second,38.7100,-9.1400
        """,
    "trips": """\
        route_id,service_id,trip_id,direction_id,shape_id
        R,WEEK,T1,1,
        """,
    "stop_times": """\
        trip_id,arrival_time,departure_time,stop_id,stop_sequence
        T1,25:10:00,25:10:00,S2,2
        T1,8:05:00,8:05:00,S1,1
        """,
    "calendar": """\
        service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
        WEEK,1,1,1,1,1,0,0,20260101,20261231
        """,
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:00:00", 0), ("8:05:00", 8 * 3600 + 300), ("23:59:59", 86_399), ("25:10:00", 90_600)],
)
def test_gtfs_times_count_seconds_and_may_pass_24_hours(text, seconds):
    # Given a GTFS time, When it is read and written back, Then it is the seconds after the day's start
    assert parse_time(text) == seconds
    assert format_time(seconds) == (text if len(text) == 8 else "0" + text)


@pytest.mark.parametrize("text", ["8:05", "08:65:00", "08:00:75", "ab:cd:ef", "-1:00:00", ""])
def test_what_is_not_a_gtfs_time_is_refused(text):
    # Given something that is not HH:MM:SS, Then it is refused
    with pytest.raises(ValueError, match="not a GTFS time"):
        parse_time(text)


def test_a_directory_is_read_with_times_past_midnight_and_stop_times_in_sequence(tmp_path: Path):
    # Given a feed with its stop times out of order and one after midnight
    feed = read_gtfs(write_feed(tmp_path / "feed", **ONE_TRIP))

    # Then the time zone, trip and stop times are read, in sequence order
    assert feed.timezone.key == "Europe/Lisbon"
    assert feed.trips["T1"].direction_id == 1
    assert feed.trips["T1"].shape_id is None
    assert [(time.stop_id, time.arrival) for time in feed.stop_times["T1"]] == [
        ("S1", 8 * 3600 + 300),
        ("S2", 25 * 3600 + 600),
    ]
    assert feed.calendar["WEEK"].runs_on(date(2026, 6, 5))  # a Friday
    assert not feed.calendar["WEEK"].runs_on(date(2026, 6, 6))  # a Saturday


@pytest.mark.parametrize("folder", ["", "gtfs"])
def test_a_zip_reads_as_its_directory_even_with_its_files_in_a_folder(tmp_path: Path, folder: str):
    # Given the shipped Auckland feed, zipped with its files at the root or in a folder
    archive = zipped(AUCKLAND, tmp_path / "auckland.zip", folder)

    # When both are read
    from_zip, from_directory = read_gtfs(archive), read_gtfs(AUCKLAND)

    # Then they hold the same timetable
    assert from_zip.trips == from_directory.trips
    assert from_zip.stop_times == from_directory.stop_times
    assert from_zip.shapes == from_directory.shapes
    assert from_zip.calendar_dates == from_directory.calendar_dates


def test_a_byte_order_mark_and_padded_values_are_ignored(tmp_path: Path):
    # Given a stops.txt saved by a spreadsheet: a byte order mark and spaces around values
    directory = write_feed(tmp_path / "feed", **ONE_TRIP)
    (directory / "stops.txt").write_bytes(
        "\ufeffstop_id , stop_name,stop_lat,stop_lon\nS1, First ,38.7,-9.14\nS2,Second,38.71,-9.14\n".encode()
    )

    # Then the columns and values are read as meant
    stop = read_gtfs(directory).stops["S1"]
    assert (stop.name, stop.latitude, stop.longitude) == ("First", 38.7, -9.14)


def test_the_shipped_feeds_read_shapes_frequencies_and_exceptions():
    # Given the shipped Lisbon feed, When it is read
    feed = read_gtfs(LISBON)

    # Then frequencies keep exact_times, shapes their distances, and calendar_dates their exceptions
    assert {rule.exact_times for rule in feed.frequencies["15-0-F"]} == {False}
    assert {rule.exact_times for rule in feed.frequencies["44-0-X"]} == {True}
    assert feed.shapes["15-0"][0].dist_traveled == 0.0
    assert feed.shapes["44-0"][0].dist_traveled is None
    assert feed.calendar_dates["WEEKDAY"][date(2026, 12, 25)] is False
    assert feed.calendar_dates["WEEKEND"][date(2026, 12, 25)] is True


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "agency",
            "agency_id,agency_name,agency_url,agency_timezone\nA,Test,https://a.example.org,Mars/Olympus\n",
            "agency_timezone 'Mars/Olympus' is not an IANA time zone",
        ),
        (
            "stop_times",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,8:00,8:00,S1,1\n",
            r"stop_times.txt line 2: arrival_time '8:00' is not valid",
        ),
        (
            "trips",
            "route_id,service_id,trip_id,direction_id\nR,WEEK,T1,2\n",
            "trips.txt line 2: direction_id must be 0 or 1",
        ),
        (
            "calendar_dates",
            "service_id,date,exception_type\nWEEK,20261225,3\n",
            "calendar_dates.txt line 2: exception_type must be 1",
        ),
    ],
)
def test_a_broken_row_names_its_file_line_and_field(tmp_path: Path, file: str, text: str, message: str):
    # Given a feed with one broken row
    directory = write_feed(tmp_path / "feed", **{**ONE_TRIP, file: text})

    # Then reading it says where and what
    with pytest.raises(GtfsError, match=message):
        read_gtfs(directory)


def test_a_feed_without_a_required_file_or_a_path_that_is_no_feed_is_refused(tmp_path: Path):
    # Given a feed without stop_times.txt, and a file that is not a zip
    directory = write_feed(tmp_path / "feed", **ONE_TRIP)
    (directory / "stop_times.txt").unlink()
    not_a_zip = tmp_path / "feed.zip"
    not_a_zip.write_text("hello")

    # Then each is refused, saying why
    with pytest.raises(GtfsError, match=r"has no stop_times\.txt"):
        read_gtfs(directory)
    with pytest.raises(GtfsError, match="neither a GTFS zip nor a directory"):
        read_gtfs(not_a_zip)
    with pytest.raises(GtfsError, match="does not exist"):
        read_gtfs(tmp_path / "absent.zip")
