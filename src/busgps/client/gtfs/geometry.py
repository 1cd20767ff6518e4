"""Lines on the earth's surface: lengths, points and bearings along them, and the nearest point to a stop.

Any hemisphere, and lines that cross the antimeridian: longitudes are compared by their shortest
difference. Segments are short (streets between shape points), so a point along one is interpolated
linearly in latitude and longitude, far within a GPS fix's error.
"""

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import pairwise

EARTH_RADIUS_M = 6_371_008.8

LatLon = tuple[float, float]


def distance_m(start: LatLon, end: LatLon) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*start, *end))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_degrees(start: LatLon, end: LatLon) -> float:
    """Initial great-circle bearing from start to end, clockwise from north, in [0, 360)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*start, *end))
    east = math.sin(lon2 - lon1) * math.cos(lat2)
    north = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(east, north)) % 360.0


def longitude_step(start: float, end: float) -> float:
    """The shortest signed difference end - start, in (-180, 180]."""
    step = (end - start) % 360.0
    return step - 360.0 if step > 180.0 else step


def between(start: LatLon, end: LatLon, fraction: float) -> LatLon:
    """The point `fraction` of the way from start to end."""
    longitude = start[1] + fraction * longitude_step(start[1], end[1])
    return start[0] + fraction * (end[0] - start[0]), (longitude + 180.0) % 360.0 - 180.0


class Polyline:
    """A line through points in order; a place on it is its distance in metres from the first point."""

    def __init__(self, points: Sequence[LatLon]) -> None:
        if not points:
            raise ValueError("a line needs at least one point")
        # Repeated points add nothing but zero-length segments, which have no bearing.
        self.points = [points[0], *(point for previous, point in pairwise(points) if point != previous)]
        self.starts = [0.0]
        for start, end in pairwise(self.points):
            self.starts.append(self.starts[-1] + distance_m(start, end))
        self.length = self.starts[-1]

    def _segment(self, metres: float) -> int:
        """Index of the segment holding `metres` (the one starting there, at a shape point)."""
        return max(0, min(bisect_right(self.starts, metres) - 1, len(self.points) - 2))

    def point_at(self, metres: float) -> LatLon:
        if len(self.points) == 1:
            return self.points[0]
        metres = min(max(metres, 0.0), self.length)
        segment = self._segment(metres)
        length = self.starts[segment + 1] - self.starts[segment]
        fraction = (metres - self.starts[segment]) / length if length else 0.0
        return between(self.points[segment], self.points[segment + 1], fraction)

    def bearing_at(self, metres: float) -> float | None:
        """The heading of the line at `metres`; None for a line of one point."""
        if len(self.points) == 1:
            return None
        segment = self._segment(min(max(metres, 0.0), self.length))
        return bearing_degrees(self.points[segment], self.points[segment + 1])

    def locate(self, point: LatLon, not_before_m: float = 0.0) -> float:
        """The place on the line nearest to `point`, at or after `not_before_m`.

        Searching on from the previous stop's place keeps stops in order on lines that loop or pass
        the same street twice; of equally near places the first is taken.
        """
        if len(self.points) == 1:
            return 0.0
        not_before_m = min(max(not_before_m, 0.0), self.length)
        best_metres, best_distance = not_before_m, math.inf
        for segment in range(self._segment(not_before_m), len(self.points) - 1):
            start, end = self.points[segment], self.points[segment + 1]
            fraction = _nearest_fraction(start, end, point)
            metres = self.starts[segment] + fraction * (self.starts[segment + 1] - self.starts[segment])
            if metres < not_before_m:
                metres = not_before_m
            distance = distance_m(self.point_at(metres), point)
            if distance < best_distance - 0.5:  # half a metre: floating-point ties go to the first
                best_metres, best_distance = metres, distance
        return best_metres


def _nearest_fraction(start: LatLon, end: LatLon, point: LatLon) -> float:
    """Where on the segment start-end `point` is nearest, as a fraction in [0, 1] (on a local plane)."""
    scale = math.cos(math.radians(point[0]))
    east = longitude_step(start[1], end[1]) * scale
    north = end[0] - start[0]
    point_east = longitude_step(start[1], point[1]) * scale
    point_north = point[0] - start[0]
    squared = east * east + north * north
    if squared == 0.0:
        return 0.0
    return min(1.0, max(0.0, (point_east * east + point_north * north) / squared))
