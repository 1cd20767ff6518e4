"""The GTFS-Realtime VehiclePositions feed: the message, its two forms, and conditional GETs."""

from dataclasses import replace
from decimal import Decimal
from email.utils import formatdate

from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from busgps.logic.feed import FeedSnapshot, FeedSnapshots, feed_answer, vehicle_positions
from busgps.models.position import Position

NOW_S = 1_796_114_700  # 2026-12-01T08:45:00Z
MAX_AGE = 90


def fix(bus_id: str, age_seconds: float, **fields: object) -> Position:
    position = Position(
        bus_id=bus_id,
        time_ms=int((NOW_S - age_seconds) * 1000),
        latitude=Decimal("38.7223"),
        longitude=Decimal("-9.1393"),
        received_at_ms=NOW_S * 1000,
        sequence_number="49590338271490256608559692538361571095921575989136588898",
    )
    return replace(position, **fields)  # type: ignore[arg-type]


def test_the_header_says_a_full_dataset_of_gtfs_realtime_2_0_at_build_time() -> None:
    feed = vehicle_positions([], now_s=NOW_S, max_age_seconds=MAX_AGE)
    assert feed.header.gtfs_realtime_version == "2.0"
    assert feed.header.incrementality == gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    assert feed.header.timestamp == NOW_S
    assert len(feed.entity) == 0


def test_a_bus_with_a_trip_is_an_entity_with_its_trip_vehicle_and_position() -> None:
    # Given a fix with a trip, speed, bearing, label, plate and load
    position = fix(
        "bus-17",
        12.5,
        speed=Decimal("8.5"),
        bearing=Decimal("270"),
        trip_id="T1",
        route_id="728",
        direction_id=1,
        start_date="20261201",
        start_time="08:30:00",
        vehicle_label="728 Belém",
        license_plate="AA-00-BB",
        occupancy_status="FEW_SEATS_AVAILABLE",
        congestion_level="STOP_AND_GO",
    )

    # When the feed is built
    [entity] = vehicle_positions([position], now_s=NOW_S, max_age_seconds=MAX_AGE).entity

    # Then the entity is the bus, at its fix's own time, with every field in GTFS-Realtime's terms
    vehicle = entity.vehicle
    assert entity.id == "bus-17"
    assert (vehicle.vehicle.id, vehicle.vehicle.label, vehicle.vehicle.license_plate) == (
        "bus-17",
        "728 Belém",
        "AA-00-BB",
    )
    assert vehicle.timestamp == NOW_S - 13  # the fix's second, not the feed's
    assert (round(vehicle.position.latitude, 4), round(vehicle.position.longitude, 4)) == (38.7223, -9.1393)
    assert (vehicle.position.speed, vehicle.position.bearing) == (8.5, 270.0)
    trip = vehicle.trip
    assert (trip.trip_id, trip.route_id, trip.direction_id, trip.start_date, trip.start_time) == (
        "T1",
        "728",
        1,
        "20261201",
        "08:30:00",
    )
    assert trip.schedule_relationship == gtfs_realtime_pb2.TripDescriptor.SCHEDULED
    assert vehicle.occupancy_status == gtfs_realtime_pb2.VehiclePosition.FEW_SEATS_AVAILABLE
    assert vehicle.congestion_level == gtfs_realtime_pb2.VehiclePosition.STOP_AND_GO


def test_a_bus_without_trip_fields_is_a_vehicle_only_entity() -> None:
    [entity] = vehicle_positions([fix("bus-9", 5)], now_s=NOW_S, max_age_seconds=MAX_AGE).entity
    assert entity.vehicle.vehicle.id == "bus-9"
    assert not entity.vehicle.HasField("trip")
    assert not entity.vehicle.position.HasField("speed")
    assert not entity.vehicle.position.HasField("bearing")


def test_an_unscheduled_frequency_trip_keeps_its_schedule_relationship() -> None:
    position = fix("bus-3", 5, trip_id="F1", start_time="08:00:00", schedule_relationship="UNSCHEDULED")
    [entity] = vehicle_positions([position], now_s=NOW_S, max_age_seconds=MAX_AGE).entity
    assert entity.vehicle.trip.schedule_relationship == gtfs_realtime_pb2.TripDescriptor.UNSCHEDULED


def test_a_bus_whose_newest_fix_is_older_than_the_maximum_age_is_left_out() -> None:
    # Given buses whose newest fixes are 89, 90 and 91 seconds old
    positions = [fix("fresh", 89), fix("edge", 90), fix("stale", 91)]
    # When the feed is built with a maximum age of 90 s
    feed = vehicle_positions(positions, now_s=NOW_S, max_age_seconds=MAX_AGE)
    # Then only the stale one is left out
    assert [entity.id for entity in feed.entity] == ["edge", "fresh"]


def test_a_fix_stamped_after_the_build_is_reported_at_the_build_time() -> None:
    # Given a device whose clock runs 30 s ahead
    [entity] = vehicle_positions([fix("ahead", -30)], now_s=NOW_S, max_age_seconds=MAX_AGE).entity
    # Then no entity is newer than the header that carries it
    assert entity.vehicle.timestamp == NOW_S


def test_the_json_form_is_the_same_message_as_the_protobuf() -> None:
    # Given a snapshot of two buses
    snapshot = FeedSnapshot(
        vehicle_positions([fix("a", 1, trip_id="T1"), fix("b", 2)], now_s=NOW_S, max_age_seconds=MAX_AGE)
    )
    # When each form is read back with GTFS-Realtime's classes
    from_protobuf = gtfs_realtime_pb2.FeedMessage.FromString(snapshot.protobuf.body)
    from_json = json_format.Parse(snapshot.json.body, gtfs_realtime_pb2.FeedMessage())
    # Then they are equal, in protobuf's canonical JSON names
    assert from_json == from_protobuf
    assert b'"gtfsRealtimeVersion":"2.0"' in snapshot.json.body.replace(b" ", b"")
    assert snapshot.protobuf.content_type == "application/x-protobuf"
    assert snapshot.json.content_type == "application/json"
    assert snapshot.protobuf.etag != snapshot.json.etag


def test_a_conditional_get_of_the_current_snapshot_is_a_304_and_of_an_older_one_a_200() -> None:
    # Given the current snapshot and its ETag and Last-Modified
    snapshot = FeedSnapshot(vehicle_positions([fix("a", 1)], now_s=NOW_S, max_age_seconds=MAX_AGE))
    first = feed_answer(snapshot, "protobuf", if_none_match=None, if_modified_since=None, refresh_seconds=10)
    assert first.status == 200
    assert first.body == snapshot.protobuf.body
    assert first.headers == {
        "ETag": snapshot.protobuf.etag,
        "Last-Modified": formatdate(NOW_S, usegmt=True),
        "Cache-Control": "public, max-age=10",
    }

    def status(if_none_match: str | None = None, if_modified_since: str | None = None) -> int:
        answer = feed_answer(
            snapshot,
            "protobuf",
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            refresh_seconds=10,
        )
        assert answer.status == 200 or not answer.body
        return answer.status

    # Then the ETag back (also weak, or among others) is a 304 with no body; another ETag is a 200
    assert status(if_none_match=first.headers["ETag"]) == 304
    assert status(if_none_match=f'"other", W/{first.headers["ETag"]}') == 304
    assert status(if_none_match='"other"') == 200
    # And a date at or after Last-Modified is a 304, an earlier or unreadable one a 200
    assert status(if_modified_since=formatdate(NOW_S, usegmt=True)) == 304
    assert status(if_modified_since=formatdate(NOW_S - 1, usegmt=True)) == 200
    assert status(if_modified_since="yesterday") == 200
    # And If-None-Match wins over If-Modified-Since
    assert status(if_none_match='"other"', if_modified_since=formatdate(NOW_S, usegmt=True)) == 200


def test_the_feed_is_built_once_per_refresh_period_however_many_ask() -> None:
    # Given a store that counts its reads, and a clock at the start of a 10-second period
    reads: list[int] = []
    period_start = NOW_S - NOW_S % 10
    clock = [float(period_start)]

    def live_positions(since_ms: int) -> list[Position]:
        reads.append(since_ms)
        return [fix("a", 1)]

    snapshots = FeedSnapshots(
        live_positions, max_age_seconds=MAX_AGE, refresh_seconds=10, clock=lambda: clock[0]
    )

    # When 100 consumers poll within the period
    first = snapshots.current()
    for poll in range(100):
        clock[0] = period_start + poll * 0.099
        assert snapshots.current() is first
    # Then the store was read once, for the fixes of the last 90 seconds
    assert reads == [(int(first.built_at_s) - MAX_AGE) * 1000]

    # And the next period reads it again
    clock[0] = period_start + 10
    assert snapshots.current() is not first
    assert len(reads) == 2
