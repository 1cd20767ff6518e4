"""Read a static GTFS feed, a zip or an unzipped directory, with the csv module: what a timetable needs.

Only the files and fields that place a vehicle on its trip are read: agency (the time zone), routes,
trips, stop_times, stops, shapes, frequencies, calendar and calendar_dates. Unknown files and columns
are ignored, as the specification asks of consumers.
"""

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Row = dict[str, str]
Value = TypeVar("Value")


class GtfsError(ValueError):
    """The feed cannot be used; the message names the file, the line and the field."""


@dataclass(frozen=True, slots=True)
class Agency:
    agency_id: str
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Route:
    route_id: str
    short_name: str
    long_name: str

    @property
    def name(self) -> str:
        return self.short_name or self.long_name or self.route_id


@dataclass(frozen=True, slots=True)
class Trip:
    trip_id: str
    route_id: str
    service_id: str
    direction_id: int | None
    shape_id: str | None
    headsign: str


@dataclass(frozen=True, slots=True)
class Stop:
    stop_id: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class StopTime:
    stop_id: str
    sequence: int
    arrival: int | None  # seconds after the service day's start; may exceed 24 h
    departure: int | None
    shape_dist_traveled: float | None


@dataclass(frozen=True, slots=True)
class ShapePoint:
    latitude: float
    longitude: float
    dist_traveled: float | None


@dataclass(frozen=True, slots=True)
class Frequency:
    start: int  # first departure of the first trip, seconds after the service day's start
    end: int  # no trip of this row departs at or after it
    headway: int  # seconds between departures
    exact_times: bool  # True: a timetable written as a headway; False: only the headway is promised


@dataclass(frozen=True, slots=True)
class ServicePeriod:
    """A calendar.txt row: the weekdays (Monday first) a service runs, from start to end, both included."""

    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool]
    start: date
    end: date

    def runs_on(self, day: date) -> bool:
        return self.start <= day <= self.end and self.weekdays[day.weekday()]


@dataclass(frozen=True)
class StaticGtfs:
    """A static feed, its rows by id; stop times and shape points in sequence order."""

    timezone: ZoneInfo
    agencies: tuple[Agency, ...]
    routes: Mapping[str, Route]
    trips: Mapping[str, Trip]
    stops: Mapping[str, Stop]
    stop_times: Mapping[str, tuple[StopTime, ...]]  # by trip id
    shapes: Mapping[str, tuple[ShapePoint, ...]]  # by shape id
    frequencies: Mapping[str, tuple[Frequency, ...]]  # by trip id
    calendar: Mapping[str, ServicePeriod]  # by service id
    calendar_dates: Mapping[str, Mapping[date, bool]]  # service id -> date -> added (True) or removed


def read_gtfs(path: str | Path) -> StaticGtfs:
    """Read the feed at `path`: a .zip, or a directory of .txt files."""
    source = _open_source(Path(path))
    try:
        agencies = tuple(_agencies(source))
        return StaticGtfs(
            timezone=_zone(agencies),
            agencies=agencies,
            routes=_routes(source),
            trips=_trips(source),
            stops=_stops(source),
            stop_times=_stop_times(source),
            shapes=_shapes(source),
            frequencies=_frequencies(source),
            calendar=_calendar(source),
            calendar_dates=_calendar_dates(source),
        )
    finally:
        source.close()


@lru_cache(maxsize=1 << 17)  # a feed repeats its few thousand times across millions of stop times
def parse_time(text: str) -> int:
    """A GTFS time, H:MM:SS or HH:MM:SS, as seconds after the service day's start (hours may pass 24)."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or not 1 <= len(parts[0]) <= 3:
        raise ValueError(f"not a GTFS time (HH:MM:SS): {text!r}")
    hours, minutes, seconds = (int(part) for part in parts)
    if minutes > 59 or seconds > 59:
        raise ValueError(f"not a GTFS time (HH:MM:SS): {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def format_time(seconds: int) -> str:
    """Seconds after the service day's start as GTFS's HH:MM:SS, e.g. 25:10:00 for 1:10 the next day."""
    if seconds < 0:
        raise ValueError("a GTFS time is never negative")
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_date(text: str) -> date:
    """A GTFS date, YYYYMMDD."""
    return datetime.strptime(text.strip(), "%Y%m%d").date()


class _Source:
    """The feed's files, from a zip (at its root or in one folder) or from a directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if path.is_dir():
            self._names = {child.name: str(child) for child in path.iterdir() if child.suffix == ".txt"}
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (OSError, zipfile.BadZipFile) as error:
                raise GtfsError(f"{path} is neither a GTFS zip nor a directory: {error}") from error
            # Some publishers zip the folder rather than its files: accept one level of nesting.
            for name in self._zip.namelist():
                self._names.setdefault(name.rsplit("/", 1)[-1], name)

    def rows(self, name: str, required: bool = False) -> Iterator[tuple[int, Row]]:
        """(line number, row) of `name`, with whitespace and a byte order mark stripped."""
        if name not in self._names:
            if required:
                raise GtfsError(f"{self.path} has no {name}, which every GTFS feed must have")
            return
        raw = self._zip.open(self._names[name]) if self._zip else open(self._names[name], "rb")  # noqa: SIM115
        with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            header = [column.strip() for column in next(reader, [])]
            for line, values in enumerate(reader, start=2):
                stripped = list(map(str.strip, values))
                if any(stripped):
                    yield line, dict(zip(header, stripped, strict=False))

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _open_source(path: Path) -> _Source:
    if not path.exists():
        raise GtfsError(f"{path} does not exist")
    return _Source(path)


def _field(row: Row, name: str, where: str) -> str:
    value = row.get(name, "")
    if not value:
        raise GtfsError(f"{where}: {name} is required")
    return value


def _convert(where: str, name: str, text: str, convert: Callable[[str], Value]) -> Value:
    try:
        return convert(text)
    except ValueError as error:
        raise GtfsError(f"{where}: {name} {text!r} is not valid: {error}") from error


def _optional_time(row: Row, name: str, where: str) -> int | None:
    text = row.get(name, "")
    return _convert(where, name, text, parse_time) if text else None


def _agencies(source: _Source) -> Iterator[Agency]:
    for line, row in source.rows("agency.txt", required=True):
        where = f"agency.txt line {line}"
        yield Agency(
            row.get("agency_id", ""), row.get("agency_name", ""), _field(row, "agency_timezone", where)
        )


def _zone(agencies: tuple[Agency, ...]) -> ZoneInfo:
    if not agencies:
        raise GtfsError("agency.txt names no agency")
    # The specification requires every agency of a feed to share one time zone.
    name = agencies[0].timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise GtfsError(f"agency.txt: agency_timezone {name!r} is not an IANA time zone") from error


def _routes(source: _Source) -> dict[str, Route]:
    routes = {}
    for line, row in source.rows("routes.txt", required=True):
        route_id = _field(row, "route_id", f"routes.txt line {line}")
        routes[route_id] = Route(route_id, row.get("route_short_name", ""), row.get("route_long_name", ""))
    return routes


def _trips(source: _Source) -> dict[str, Trip]:
    trips = {}
    for line, row in source.rows("trips.txt", required=True):
        where = f"trips.txt line {line}"
        direction = row.get("direction_id", "")
        if direction not in ("", "0", "1"):
            raise GtfsError(f"{where}: direction_id must be 0 or 1, not {direction!r}")
        trip = Trip(
            trip_id=_field(row, "trip_id", where),
            route_id=_field(row, "route_id", where),
            service_id=_field(row, "service_id", where),
            direction_id=int(direction) if direction else None,
            shape_id=row.get("shape_id") or None,
            headsign=row.get("trip_headsign", ""),
        )
        trips[trip.trip_id] = trip
    return trips


def _stops(source: _Source) -> dict[str, Stop]:
    stops = {}
    for line, row in source.rows("stops.txt", required=True):
        where = f"stops.txt line {line}"
        stop_id = _field(row, "stop_id", where)
        # Generic nodes and boarding areas may have no position; no trip stops at them.
        if row.get("stop_lat") and row.get("stop_lon"):
            stops[stop_id] = Stop(
                stop_id,
                row.get("stop_name", ""),
                _convert(where, "stop_lat", row["stop_lat"], float),
                _convert(where, "stop_lon", row["stop_lon"], float),
            )
    return stops


def _stop_times(source: _Source) -> dict[str, tuple[StopTime, ...]]:
    by_trip: defaultdict[str, list[StopTime]] = defaultdict(list)
    for line, row in source.rows("stop_times.txt", required=True):
        where = f"stop_times.txt line {line}"
        distance = row.get("shape_dist_traveled", "")
        by_trip[_field(row, "trip_id", where)].append(
            StopTime(
                stop_id=_field(row, "stop_id", where),
                sequence=_convert(where, "stop_sequence", _field(row, "stop_sequence", where), int),
                arrival=_optional_time(row, "arrival_time", where),
                departure=_optional_time(row, "departure_time", where),
                shape_dist_traveled=_convert(where, "shape_dist_traveled", distance, float)
                if distance
                else None,
            )
        )
    return {
        trip_id: tuple(sorted(times, key=lambda time: time.sequence)) for trip_id, times in by_trip.items()
    }


def _shapes(source: _Source) -> dict[str, tuple[ShapePoint, ...]]:
    by_shape: defaultdict[str, list[tuple[int, ShapePoint]]] = defaultdict(list)
    for line, row in source.rows("shapes.txt"):
        where = f"shapes.txt line {line}"
        distance = row.get("shape_dist_traveled", "")
        point = ShapePoint(
            _convert(where, "shape_pt_lat", _field(row, "shape_pt_lat", where), float),
            _convert(where, "shape_pt_lon", _field(row, "shape_pt_lon", where), float),
            _convert(where, "shape_dist_traveled", distance, float) if distance else None,
        )
        sequence = _convert(where, "shape_pt_sequence", _field(row, "shape_pt_sequence", where), int)
        by_shape[_field(row, "shape_id", where)].append((sequence, point))
    return {
        shape_id: tuple(point for _, point in sorted(points, key=lambda pair: pair[0]))
        for shape_id, points in by_shape.items()
    }


def _frequencies(source: _Source) -> dict[str, tuple[Frequency, ...]]:
    by_trip: defaultdict[str, list[Frequency]] = defaultdict(list)
    for line, row in source.rows("frequencies.txt"):
        where = f"frequencies.txt line {line}"
        headway = _convert(where, "headway_secs", _field(row, "headway_secs", where), int)
        if headway <= 0:
            raise GtfsError(f"{where}: headway_secs must be positive")
        exact = row.get("exact_times", "") or "0"
        if exact not in ("0", "1"):
            raise GtfsError(f"{where}: exact_times must be 0 or 1, not {exact!r}")
        by_trip[_field(row, "trip_id", where)].append(
            Frequency(
                start=_convert(where, "start_time", _field(row, "start_time", where), parse_time),
                end=_convert(where, "end_time", _field(row, "end_time", where), parse_time),
                headway=headway,
                exact_times=exact == "1",
            )
        )
    return {trip_id: tuple(sorted(rows, key=lambda row: row.start)) for trip_id, rows in by_trip.items()}


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _calendar(source: _Source) -> dict[str, ServicePeriod]:
    calendar = {}
    for line, row in source.rows("calendar.txt"):
        where = f"calendar.txt line {line}"
        flags = tuple(_field(row, day, where) == "1" for day in _WEEKDAYS)
        calendar[_field(row, "service_id", where)] = ServicePeriod(
            weekdays=flags,  # type: ignore[arg-type]
            start=_convert(where, "start_date", _field(row, "start_date", where), parse_date),
            end=_convert(where, "end_date", _field(row, "end_date", where), parse_date),
        )
    return calendar


def _calendar_dates(source: _Source) -> dict[str, dict[date, bool]]:
    exceptions: defaultdict[str, dict[date, bool]] = defaultdict(dict)
    for line, row in source.rows("calendar_dates.txt"):
        where = f"calendar_dates.txt line {line}"
        kind = _field(row, "exception_type", where)
        if kind not in ("1", "2"):
            raise GtfsError(f"{where}: exception_type must be 1 (added) or 2 (removed), not {kind!r}")
        day = _convert(where, "date", _field(row, "date", where), parse_date)
        exceptions[_field(row, "service_id", where)][day] = kind == "1"
    return dict(exceptions)
