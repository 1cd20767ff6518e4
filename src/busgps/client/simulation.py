"""Simulated buses: they drive closed routes around a city centre at urban speeds, stopping at stops.

Geometry is done in metres on a plane tangent to the earth at the centre (a few kilometres
across, where the error of this projection is far below a GPS fix's).
"""

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from busgps.client.models import Position

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_CENTRE = (38.7223, -9.1393)  # Lisbon, Praça do Comércio area

# Urban bus behaviour: cruising 25-47 km/h, a stop every 300-500 m, 15-30 s at each.
CRUISE_SPEED_RANGE_MS = (7.0, 13.0)
STOP_SPACING_RANGE_M = (300.0, 500.0)
DWELL_RANGE_S = (15.0, 30.0)
ACCURACY_RANGE_M = (3.0, 10.0)
BUSES_PER_ROUTE = 4


@dataclass(frozen=True)
class PlanePoint:
    """East and north offsets in metres from the centre."""

    east: float
    north: float


class Route:
    """A closed polyline on the plane; a bus's place on it is a distance along it from the start."""

    def __init__(self, name: str, vertices: list[PlanePoint]) -> None:
        if len(vertices) < 3:
            raise ValueError("a closed route needs at least three vertices")
        self.name = name
        self.vertices = [*vertices, vertices[0]]
        self._starts = [0.0]
        for start, end in pairwise(self.vertices):
            self._starts.append(self._starts[-1] + math.hypot(end.east - start.east, end.north - start.north))
        self.length = self._starts[-1]

    def locate(self, distance: float) -> tuple[PlanePoint, float]:
        """The point at `distance` along the route (wrapping around) and the bearing there in degrees."""
        distance %= self.length
        segment = min(bisect_right(self._starts, distance) - 1, len(self.vertices) - 2)
        start, end = self.vertices[segment], self.vertices[segment + 1]
        segment_length = self._starts[segment + 1] - self._starts[segment]
        fraction = (distance - self._starts[segment]) / segment_length if segment_length else 0.0
        point = PlanePoint(
            start.east + fraction * (end.east - start.east),
            start.north + fraction * (end.north - start.north),
        )
        return point, bearing_degrees(start, end)


def bearing_degrees(start: PlanePoint, end: PlanePoint) -> float:
    """Clockwise from north, in [0, 360)."""
    return math.degrees(math.atan2(end.east - start.east, end.north - start.north)) % 360.0


def to_geographic(point: PlanePoint, centre: tuple[float, float]) -> tuple[float, float]:
    latitude0, longitude0 = centre
    latitude = latitude0 + math.degrees(point.north / EARTH_RADIUS_M)
    longitude = longitude0 + math.degrees(point.east / (EARTH_RADIUS_M * math.cos(math.radians(latitude0))))
    return latitude, longitude


def petal_route(name: str, heading_degrees: float, reach_m: float, rng: random.Random) -> Route:
    """A loop that leaves the centre along `heading`, reaches about `reach_m` out and comes back.

    Like a real radial line with its outbound and return legs on different streets.
    """
    half_width = math.radians(rng.uniform(12.0, 25.0))
    heading = math.radians(heading_degrees)
    vertices = [PlanePoint(rng.uniform(-150.0, 150.0), rng.uniform(-150.0, 150.0))]
    steps = 10
    for step in range(1, steps):
        along = step / steps
        radius = reach_m * math.sin(math.pi * along) * rng.uniform(0.9, 1.1)
        angle = heading + half_width * (2.0 * along - 1.0)
        vertices.append(PlanePoint(radius * math.sin(angle), radius * math.cos(angle)))
    return Route(name, vertices)


@dataclass
class SimulatedBus:
    bus_id: str
    route: Route
    distance_m: float
    cruise_speed_ms: float
    stop_spacing_m: float
    next_stop_m: float
    dwell_left_s: float = 0.0
    speed_ms: float = 0.0

    def advance(self, seconds: float, rng: random.Random) -> None:
        """Drive for `seconds`: dwell at a stop, or move on at about cruising speed up to the next stop."""
        while seconds > 0:
            if self.dwell_left_s > 0:
                waited = min(seconds, self.dwell_left_s)
                self.dwell_left_s -= waited
                seconds -= waited
                self.speed_ms = 0.0
                continue
            self.speed_ms = self.cruise_speed_ms * rng.uniform(0.85, 1.15)
            time_to_stop = (self.next_stop_m - self.distance_m) / self.speed_ms
            if time_to_stop > seconds:
                self.distance_m += self.speed_ms * seconds
                return
            self.distance_m = self.next_stop_m
            self.speed_ms = 0.0
            seconds -= time_to_stop
            self.next_stop_m += self.stop_spacing_m
            self.dwell_left_s = rng.uniform(*DWELL_RANGE_S)


class Fleet:
    """`bus_count` buses spread over routes around `centre`; `tick` moves them and reports their fixes."""

    def __init__(
        self,
        bus_count: int,
        centre: tuple[float, float] = DEFAULT_CENTRE,
        seed: int | None = None,
        bus_id_prefix: str = "sim-",
    ) -> None:
        if bus_count < 1:
            raise ValueError("a fleet needs at least one bus")
        self.centre = centre
        self._rng = random.Random(seed)
        route_count = math.ceil(bus_count / BUSES_PER_ROUTE)
        self.routes = [
            petal_route(
                f"route-{index + 1}",
                heading_degrees=360.0 * index / route_count + self._rng.uniform(-10.0, 10.0),
                reach_m=self._rng.uniform(2_000.0, 6_000.0),
                rng=self._rng,
            )
            for index in range(route_count)
        ]
        self.buses = [self._new_bus(f"{bus_id_prefix}{number:03d}", number) for number in range(bus_count)]

    def _new_bus(self, bus_id: str, number: int) -> SimulatedBus:
        route = self.routes[number % len(self.routes)]
        # Buses of one route start spread along it, as a timetable spaces them.
        start = route.length * (number // len(self.routes)) / BUSES_PER_ROUTE
        spacing = self._rng.uniform(*STOP_SPACING_RANGE_M)
        return SimulatedBus(
            bus_id=bus_id,
            route=route,
            distance_m=start,
            cruise_speed_ms=self._rng.uniform(*CRUISE_SPEED_RANGE_MS),
            stop_spacing_m=spacing,
            next_stop_m=start + spacing,
        )

    def tick(self, now: datetime, elapsed_seconds: float) -> list[Position]:
        """Move every bus on by `elapsed_seconds` and return where each one is at `now`."""
        positions = []
        for bus in self.buses:
            bus.advance(elapsed_seconds, self._rng)
            point, bearing = bus.route.locate(bus.distance_m)
            latitude, longitude = to_geographic(point, self.centre)
            positions.append(
                Position(
                    bus_id=bus.bus_id,
                    latitude=round(latitude, 6),
                    longitude=round(longitude, 6),
                    timestamp=now,
                    speed=round(bus.speed_ms, 2),
                    bearing=round(bearing, 1) % 360.0,
                    accuracy=round(self._rng.uniform(*ACCURACY_RANGE_M), 1),
                )
            )
        return positions
