"""Static GTFS: read a feed, find the trips in service at a moment, and drive buses along them.

from busgps.client.gtfs import Schedule, read_gtfs

schedule = Schedule(read_gtfs("tests/data/gtfs/lisbon"))  # a .zip or an unzipped directory
for run in schedule.active_trips(datetime.now(UTC)):
    fix = schedule.locate(run, datetime.now(UTC))
    print(run.trip.trip_id, run.start_date, run.start_time, fix.latitude, fix.longitude, fix.bearing)
"""

from busgps.client.gtfs.fleet import TimetableFleet
from busgps.client.gtfs.reader import (
    GtfsError,
    StaticGtfs,
    format_time,
    parse_date,
    parse_time,
    read_gtfs,
)
from busgps.client.gtfs.schedule import Schedule, TripRun, VehicleFix, service_day_start

__all__ = [
    "GtfsError",
    "Schedule",
    "StaticGtfs",
    "TimetableFleet",
    "TripRun",
    "VehicleFix",
    "format_time",
    "parse_date",
    "parse_time",
    "read_gtfs",
    "service_day_start",
]
