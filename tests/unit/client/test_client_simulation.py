"""Simulated buses drive plausible routes: near the centre, at urban speeds, heading where they go."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from busgps.client.simulation import (
    CRUISE_SPEED_RANGE_MS,
    EARTH_RADIUS_M,
    Fleet,
    PlanePoint,
    Route,
    SimulatedBus,
    bearing_degrees,
    to_geographic,
)

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance, independent of the simulation's own projection."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _square(side: float) -> Route:
    return Route(
        "square", [PlanePoint(0, 0), PlanePoint(0, side), PlanePoint(side, side), PlanePoint(side, 0)]
    )


def test_route_length_and_wrapping():
    # Given a closed 100 m square
    route = _square(100.0)

    # Then its length is the perimeter, and a distance past the end wraps to the start
    assert route.length == pytest.approx(400.0)
    point, _ = route.locate(450.0)
    assert (point.east, point.north) == pytest.approx((0.0, 50.0))


@pytest.mark.parametrize(
    ("distance", "expected_point", "expected_bearing"),
    [
        (50.0, (0.0, 50.0), 0.0),  # northwards
        (150.0, (50.0, 100.0), 90.0),  # eastwards
        (250.0, (100.0, 50.0), 180.0),  # southwards
        (350.0, (50.0, 0.0), 270.0),  # westwards, back to the start
    ],
)
def test_route_locates_points_with_the_bearing_of_their_leg(distance, expected_point, expected_bearing):
    # Given a square driven north, east, south, then west
    route = _square(100.0)

    # When a bus is `distance` metres along it
    point, bearing = route.locate(distance)

    # Then it is on the right leg and heads that leg's way
    assert (point.east, point.north) == pytest.approx(expected_point)
    assert bearing == pytest.approx(expected_bearing)


def test_bearing_is_always_within_0_and_360():
    # Given headings all around the compass
    for step in range(72):
        angle = math.radians(step * 5.0)
        # When the bearing of a short leg in that direction is taken
        bearing = bearing_degrees(PlanePoint(0, 0), PlanePoint(math.sin(angle), math.cos(angle)))
        # Then it is that heading, in [0, 360)
        assert 0.0 <= bearing < 360.0
        assert bearing == pytest.approx(step * 5.0, abs=1e-6)


def test_plane_offsets_convert_to_the_right_distance_on_earth():
    # Given a centre and points 1 km north and 1 km east of it
    centre = (60.17, 24.94)
    north = to_geographic(PlanePoint(0.0, 1000.0), centre)
    east = to_geographic(PlanePoint(1000.0, 0.0), centre)

    # Then both are 1 km away on the sphere, within a metre
    assert _metres_between(centre, north) == pytest.approx(1000.0, abs=1.0)
    assert _metres_between(centre, east) == pytest.approx(1000.0, abs=1.0)
    assert north[1] == pytest.approx(centre[1])
    assert east[0] == pytest.approx(centre[0])


def test_bus_dwells_at_its_stop_then_drives_on():
    # Given a bus 10 m before its stop, cruising at 10 m/s
    bus = SimulatedBus(
        bus_id="7",
        route=_square(1000.0),
        distance_m=90.0,
        cruise_speed_ms=10.0,
        stop_spacing_m=400.0,
        next_stop_m=100.0,
    )
    rng = random.Random(1)

    # When it drives for 5 s
    bus.advance(5.0, rng)

    # Then it stands at the stop, with a dwell time left and speed 0
    assert bus.distance_m == pytest.approx(100.0)
    assert bus.speed_ms == 0.0
    assert bus.dwell_left_s > 0
    assert bus.next_stop_m == pytest.approx(500.0)

    # When the dwell is over and it drives on for a while
    bus.advance(bus.dwell_left_s + 10.0, rng)

    # Then it moved on at about cruising speed
    assert 100.0 + 10.0 * 0.85 * 10.0 <= bus.distance_m <= 100.0 + 10.0 * 1.15 * 10.0
    assert bus.speed_ms > 0


def test_fleet_reports_one_fix_per_bus_with_distinct_ids():
    # Given a fleet of 9 buses
    fleet = Fleet(9, seed=42)

    # When it ticks once
    positions = fleet.tick(START, 5.0)

    # Then every bus reports once, at the tick's time, with all its fields
    assert len({position.bus_id for position in positions}) == 9
    assert {position.timestamp for position in positions} == {START}
    for position in positions:
        assert position.speed is not None
        assert position.bearing is not None
        assert 0.0 <= position.bearing < 360.0
        assert position.accuracy is not None


def test_fleet_stays_near_the_city_centre_and_moves_at_urban_speeds():
    # Given a fleet around Helsinki's centre
    centre = (60.1699, 24.9384)
    fleet = Fleet(8, centre=centre, seed=3)
    previous = {position.bus_id: position for position in fleet.tick(START, 0.0)}

    # When it drives for ten minutes in 5 s ticks
    for tick in range(1, 121):
        for position in fleet.tick(START + timedelta(seconds=5 * tick), 5.0):
            before = previous[position.bus_id]
            moved = _metres_between(
                (before.latitude, before.longitude), (position.latitude, position.longitude)
            )
            # Then no bus leaves the city (routes reach at most 6 km out, plus some jitter)
            assert _metres_between(centre, (position.latitude, position.longitude)) < 7_500
            # And no bus covers more in 5 s than its top speed allows
            assert moved <= 5.0 * CRUISE_SPEED_RANGE_MS[1] * 1.15 + 1.0
            assert position.speed is not None
            assert 0.0 <= position.speed <= CRUISE_SPEED_RANGE_MS[1] * 1.15
            previous[position.bus_id] = position


def test_fleet_with_a_seed_is_repeatable():
    # Given two fleets with the same seed
    first, second = Fleet(5, seed=11), Fleet(5, seed=11)

    # When both tick the same way
    for tick in range(3):
        # Then they report the same fixes
        assert first.tick(START, float(tick)) == second.tick(START, float(tick))


def test_fleet_needs_a_bus():
    # Given no buses, Then the fleet is refused
    with pytest.raises(ValueError, match="at least one bus"):
        Fleet(0)
