"""Lines on the earth: lengths, places along them and bearings, in either hemisphere and across 180°."""

import math

import pytest

from busgps.client.gtfs.geometry import Polyline, bearing_degrees, between, distance_m

METRES_PER_DEGREE = math.pi * 6_371_008.8 / 180.0  # along a meridian


def test_a_degree_of_latitude_and_the_bearings_of_the_compass():
    # Given points a hundredth of a degree north and east of a point in Sydney
    origin = (-33.8688, 151.2093)
    north, east = (origin[0] + 0.01, origin[1]), (origin[0], origin[1] + 0.01)

    # Then the distance north is a hundredth of a degree of arc, and each heading is its compass point
    assert distance_m(origin, north) == pytest.approx(0.01 * METRES_PER_DEGREE)
    assert bearing_degrees(origin, north) == pytest.approx(0.0)
    assert bearing_degrees(origin, east) == pytest.approx(90.0, abs=0.01)
    assert bearing_degrees(north, origin) == pytest.approx(180.0)
    assert bearing_degrees(east, origin) == pytest.approx(270.0, abs=0.01)


def test_a_line_across_the_antimeridian_is_short_and_stays_on_it():
    # Given a line from 179.9°E to 179.9°W near Fiji
    line = Polyline([(-17.0, 179.9), (-17.0, -179.9)])

    # Then it is about 21 km long, not around the world, and heads east through 180°
    assert line.length == pytest.approx(0.2 * METRES_PER_DEGREE * math.cos(math.radians(17.0)), rel=1e-3)
    latitude, longitude = line.point_at(line.length / 2)
    assert latitude == pytest.approx(-17.0)
    assert abs(longitude) == pytest.approx(180.0)
    assert line.bearing_at(0.0) == pytest.approx(90.0, abs=0.1)
    assert between((-17.0, 179.9), (-17.0, -179.9), 0.75)[1] == pytest.approx(-179.95)


def test_places_along_a_bent_line_follow_its_legs():
    # Given a line 0.01° north, then 0.01° east (an L)
    corner = (38.71, -9.14)
    line = Polyline([(38.70, -9.14), corner, (38.71, -9.13)])

    # When places along it are asked
    first_leg = line.starts[1]

    # Then the corner is where the first leg ends, and each leg has its own bearing
    assert line.point_at(first_leg) == pytest.approx(corner)
    assert line.bearing_at(first_leg / 2) == pytest.approx(0.0)
    assert line.bearing_at(first_leg + 10.0) == pytest.approx(90.0, abs=0.01)
    # And places beyond the ends stay at the ends
    assert line.point_at(-5.0) == pytest.approx((38.70, -9.14))
    assert line.point_at(line.length + 5.0) == pytest.approx((38.71, -9.13))


def test_a_stop_is_located_on_the_line_in_order_even_where_the_line_loops():
    # Given a loop that starts and ends at the same corner
    start = (-36.85, 174.76)
    line = Polyline([start, (-36.85, 174.77), (-36.86, 174.77), (-36.86, 174.76), start])

    # When the stop at the corner is located first from the start, then after the second corner
    first = line.locate(start)
    last = line.locate(start, not_before_m=line.starts[2])

    # Then it is the start the first time and the end the second, not the same place twice
    assert first == pytest.approx(0.0)
    assert last == pytest.approx(line.length)
    # And a stop beside the line is placed at the nearest point of it
    beside = (-36.8500 + 0.0002, 174.765)  # about 22 m north of the first leg's middle
    assert line.locate(beside) == pytest.approx(line.starts[1] / 2, abs=1.0)
