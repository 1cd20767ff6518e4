"""Which trips of a static GTFS feed are in service at a moment, and where each one's vehicle is then.

Time follows the GTFS reference: a stop time counts from "noon minus 12 h" of its service day in the
agency's time zone (midnight, except on the days the clocks change), and may pass 24:00:00, so a
moment can fall in the trips of today's service day, of yesterday's still running past midnight, or,
on the day the clocks go forward, of tomorrow's, which starts an hour before midnight.
"""

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from zoneinfo import ZoneInfo

from busgps.client.gtfs.geometry import LatLon, Polyline, distance_m
from busgps.client.gtfs.reader import Frequency, Route, StaticGtfs, StopTime, Trip, format_time

DAY_SECONDS = 86_400


def service_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The moment GTFS times of service day `day` count from: noon minus 12 h, local time (as UTC)."""
    noon = datetime.combine(day, time(12), zone)
    return noon.astimezone(UTC) - timedelta(hours=12)


@dataclass(frozen=True)
class TripRun:
    """One trip driven once: a trip on one service day (and, for a frequency trip, one departure)."""

    trip: Trip
    route: Route
    service_date: date
    day_start: datetime  # the service day's start (see `service_day_start`)
    start_seconds: int  # the trip's start time, seconds after day_start
    shift_seconds: int  # from the trip's stop_times to this run's: non-zero for frequency trips
    exact_times: bool | None = None  # a frequency run's exact_times; None for a trip of its own

    @property
    def schedule_relationship(self) -> str:
        """GTFS-Realtime's ScheduleRelationship: a frequency run without exact times is UNSCHEDULED."""
        return "UNSCHEDULED" if self.exact_times is False else "SCHEDULED"

    @property
    def start_date(self) -> str:
        """GTFS-Realtime's start_date: the service day, YYYYMMDD (not the calendar day it runs on)."""
        return self.service_date.strftime("%Y%m%d")

    @property
    def start_time(self) -> str:
        """GTFS-Realtime's start_time, HH:MM:SS, past 24:00:00 for a trip after midnight."""
        return format_time(self.start_seconds)

    @property
    def starts_at(self) -> datetime:
        return self.day_start + timedelta(seconds=self.start_seconds)

    @property
    def key(self) -> tuple[str, str, str]:
        """What tells runs apart: trip, service day and start time, as in a GTFS-Realtime TripDescriptor."""
        return self.trip.trip_id, self.start_date, self.start_time


@dataclass(frozen=True)
class VehicleFix:
    """Where a trip's vehicle is by its timetable."""

    latitude: float
    longitude: float
    bearing: float | None  # degrees clockwise from north, [0, 360); None when the line has no length
    speed: float  # m/s; 0 at a stop


@dataclass(frozen=True)
class _TripSpan:
    """A trip's first and last time (seconds after the service day's start), from its stop_times."""

    trip: Trip
    first_arrival: int
    first_departure: int
    last_arrival: int


class TripPath:
    """A trip's line (its shape, or its stops in order) with the time the vehicle passes each place.

    The vehicle drives at a constant speed between two stops and stands still while it dwells.
    """

    def __init__(self, line: Polyline, stop_metres: list[float], arrivals: list[int], departures: list[int]):
        self.line = line
        self._times: list[float] = []
        self._metres: list[float] = []
        latest = -math.inf
        for metres, arrival, departure in zip(stop_metres, arrivals, departures, strict=True):
            for moment in (arrival, departure):
                # A time earlier than the one before (an error in the feed) would run the clock back.
                latest = max(latest, moment)
                self._times.append(latest)
                self._metres.append(metres)

    def fix_at(self, seconds: float) -> VehicleFix:
        """The vehicle `seconds` after the service day's start, by this path's own stop times."""
        times, metres = self._times, self._metres
        seconds = min(max(seconds, times[0]), times[-1])
        knot = max(0, min(bisect_right(times, seconds) - 1, len(times) - 2))
        duration = times[knot + 1] - times[knot]
        step = metres[knot + 1] - metres[knot]
        if duration > 0:
            place = metres[knot] + step * (seconds - times[knot]) / duration
            speed = step / duration
        else:
            place, speed = metres[knot + 1], 0.0
        latitude, longitude = self.line.point_at(place)
        # At a shape point the line's bearing is the next segment's: at a stop, the way the vehicle goes next.
        return VehicleFix(latitude, longitude, self.line.bearing_at(place), max(speed, 0.0))


class Schedule:
    """A static feed's timetable: the services of a day, the trips in service at a moment, and where."""

    def __init__(self, feed: StaticGtfs) -> None:
        self.feed = feed
        self.zone = feed.timezone
        self._spans: dict[str, list[_TripSpan]] = defaultdict(list)  # by service id
        self.skipped_trips: dict[str, str] = {}  # trip id -> why it cannot be driven
        for trip in feed.trips.values():
            span = self._span(trip)
            if isinstance(span, str):
                self.skipped_trips[trip.trip_id] = span
            else:
                self._spans[trip.service_id].append(span)
        self._paths: dict[str, TripPath] = {}
        self._stop_places: dict[tuple[str | None, tuple[str, ...]], list[float]] = {}

    @property
    def trip_count(self) -> int:
        """How many trips can be driven."""
        return sum(len(spans) for spans in self._spans.values())

    @cached_property
    def _days_spanned(self) -> int:
        """How many calendar days back a service day's trips can still run (times past 24:00:00)."""
        latest = 0
        for spans in self._spans.values():
            for span in spans:
                latest = max(latest, span.last_arrival)
                for frequency in self.feed.frequencies.get(span.trip.trip_id, ()):
                    latest = max(latest, frequency.end + span.last_arrival - span.first_departure)
        return latest // DAY_SECONDS + 1

    def runs_on(self, service_id: str, day: date) -> bool:
        """Whether a service runs on a service day: calendar.txt, then calendar_dates.txt's exceptions."""
        exception = self.feed.calendar_dates.get(service_id, {}).get(day)
        if exception is not None:
            return exception
        period = self.feed.calendar.get(service_id)
        return period is not None and period.runs_on(day)

    def services_on(self, day: date) -> set[str]:
        return {service_id for service_id in self._spans if self.runs_on(service_id, day)}

    def active_trips(self, moment: datetime) -> list[TripRun]:
        """Every trip run in service at `moment` (an aware datetime), earliest start first.

        A run is in service from its first arrival to its last arrival.
        """
        if moment.tzinfo is None:
            raise ValueError("the moment must carry a time zone")
        local_day = moment.astimezone(self.zone).date()
        runs = []
        for back in range(-1, self._days_spanned + 1):
            day = local_day - timedelta(days=back)
            day_start = service_day_start(day, self.zone)
            seconds = (moment - day_start).total_seconds()
            if seconds < 0:
                continue
            for service_id in self.services_on(day):
                for span in self._spans[service_id]:
                    runs.extend(self._runs_at(span, day, day_start, seconds))
        return sorted(runs, key=lambda run: (run.starts_at, run.trip.trip_id))

    def _runs_at(self, span: _TripSpan, day: date, day_start: datetime, seconds: float) -> list[TripRun]:
        frequencies = self.feed.frequencies.get(span.trip.trip_id)
        route = self.feed.routes.get(span.trip.route_id) or Route(span.trip.route_id, "", "")
        if not frequencies:
            if span.first_arrival <= seconds <= span.last_arrival:
                return [TripRun(span.trip, route, day, day_start, span.first_arrival, 0)]
            return []
        return [
            TripRun(
                span.trip,
                route,
                day,
                day_start,
                departure,
                departure - span.first_departure,
                frequency.exact_times,
            )
            for frequency in frequencies
            for departure in _departures_in_service(frequency, span, seconds)
        ]

    def locate(self, run: TripRun, moment: datetime) -> VehicleFix:
        """Where `run`'s vehicle is at `moment` by the timetable (at its first or last stop outside it)."""
        seconds = (moment - run.day_start).total_seconds() - run.shift_seconds
        return self.path(run.trip.trip_id).fix_at(seconds)

    def path(self, trip_id: str) -> TripPath:
        """The trip's line and timetable, built on first use."""
        if trip_id not in self._paths:
            self._paths[trip_id] = self._build_path(self.feed.trips[trip_id])
        return self._paths[trip_id]

    def _span(self, trip: Trip) -> _TripSpan | str:
        times = self.feed.stop_times.get(trip.trip_id, ())
        if len(times) < 2:
            return "fewer than two stop times"
        missing = [time.stop_id for time in times if time.stop_id not in self.feed.stops]
        if missing:
            return f"stop {missing[0]} has no position in stops.txt"
        first, last = times[0], times[-1]
        first_arrival = _either(first.arrival, first.departure)
        first_departure = _either(first.departure, first.arrival)
        last_arrival = _either(last.arrival, last.departure)
        if first_arrival is None or first_departure is None or last_arrival is None:
            return "its first or last stop time has no time"
        return _TripSpan(trip, first_arrival, first_departure, last_arrival)

    def _build_path(self, trip: Trip) -> TripPath:
        times = self.feed.stop_times[trip.trip_id]
        stops: list[LatLon] = [
            (self.feed.stops[time.stop_id].latitude, self.feed.stops[time.stop_id].longitude)
            for time in times
        ]
        shape = self.feed.shapes.get(trip.shape_id or "", ())
        if len(shape) >= 2:
            line = Polyline([(point.latitude, point.longitude) for point in shape])
            key = (trip.shape_id, tuple(time.stop_id for time in times))
            if key not in self._stop_places:
                self._stop_places[key] = self._places_on_shape(trip, times, line, stops)
            metres = self._stop_places[key]
        else:
            # No shape: the vehicle goes straight from stop to stop.
            line = Polyline(stops)
            metres = [0.0]
            for start, end in pairwise(stops):
                metres.append(metres[-1] + distance_m(start, end))
        arrivals, departures = _timed(times, metres)
        return TripPath(line, metres, arrivals, departures)

    def _places_on_shape(
        self, trip: Trip, times: tuple[StopTime, ...], line: Polyline, stops: list[LatLon]
    ) -> list[float]:
        """Each stop's place on the shape: by shape_dist_traveled where both files give it, else nearest."""
        shape = self.feed.shapes[trip.shape_id or ""]
        user = [point.dist_traveled for point in shape if point.dist_traveled is not None]
        given = [time.shape_dist_traveled for time in times if time.shape_dist_traveled is not None]
        if len(user) == len(shape) and len(given) == len(times) and user == sorted(user):
            # The feed's own unit (km, miles, metres...) maps onto metres point by point.
            shape_metres = [0.0]
            for start, end in pairwise(shape):
                step = distance_m((start.latitude, start.longitude), (end.latitude, end.longitude))
                shape_metres.append(shape_metres[-1] + step)
            return [_rescale(distance, user, shape_metres) for distance in given]
        places: list[float] = []
        for stop in stops:
            places.append(line.locate(stop, places[-1] if places else 0.0))
        return places


def _departures_in_service(frequency: Frequency, span: _TripSpan, seconds: float) -> list[int]:
    """The departures of a frequency row whose run is in service `seconds` after the day's start.

    Departures are start, start + headway, ... before end, for exact_times 1 and 0 alike (for 0 the
    headway is what the agency promises; spacing vehicles by it is what a rider sees).
    """
    lead = span.first_departure - span.first_arrival
    duration = span.last_arrival - span.first_departure
    first = max(0, math.ceil((seconds - duration - frequency.start) / frequency.headway))
    last = math.floor((seconds + lead - frequency.start) / frequency.headway)
    departures = []
    for index in range(first, last + 1):
        departure = frequency.start + index * frequency.headway
        if departure < frequency.end:
            departures.append(departure)
    return departures


def _either(preferred: int | None, other: int | None) -> int | None:
    return preferred if preferred is not None else other


def _rescale(distance: float, user: list[float], metres: list[float]) -> float:
    """A shape_dist_traveled (in the feed's own unit) as metres along the shape."""
    index = max(0, min(bisect_right(user, distance) - 1, len(user) - 2))
    span = user[index + 1] - user[index]
    fraction = (distance - user[index]) / span if span else 0.0
    return metres[index] + min(max(fraction, 0.0), 1.0) * (metres[index + 1] - metres[index])


def _timed(times: tuple[StopTime, ...], metres: list[float]) -> tuple[list[int], list[int]]:
    """Arrivals and departures of every stop; untimed stops get times in proportion to distance.

    The first and last stops are timed (`Schedule._span` leaves out trips whose are not).
    """
    known: dict[int, tuple[int, int]] = {}
    for index, stop_time in enumerate(times):
        arrival = _either(stop_time.arrival, stop_time.departure)
        departure = _either(stop_time.departure, stop_time.arrival)
        if arrival is not None and departure is not None:
            known[index] = (arrival, departure)
    timed = sorted(known)
    arrivals, departures = [], []
    for index in range(len(times)):
        if index not in known:
            after = timed[bisect_right(timed, index)]
            before = timed[bisect_right(timed, index) - 1]
            leave, reach = known[before][1], known[after][0]
            covered = metres[after] - metres[before]
            if covered > 0:
                fraction = (metres[index] - metres[before]) / covered
            else:
                fraction = (index - before) / (after - before)
            passing = round(leave + fraction * (reach - leave))
            known[index] = (passing, passing)
        arrivals.append(known[index][0])
        departures.append(known[index][1])
    return arrivals, departures
