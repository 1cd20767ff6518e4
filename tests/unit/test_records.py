"""Parsing one Kinesis record into a position or a rejection."""

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from busgps.logic.records import parse_record
from busgps.models.position import KinesisRecord, Position, Rejection

NOW_MS = 1_764_590_400_000  # 2025-12-01T12:00:00Z
ARRIVAL_MS = NOW_MS - 2_000


def _record(data: Any, partition_key: str = "17", raw: str | None = None) -> KinesisRecord:
    encoded = raw if raw is not None else base64.b64encode(json.dumps(data).encode()).decode()
    return KinesisRecord(
        shard_id="shardId-000000000000",
        sequence_number="49590338271490256608559692538361571095921575989136588898",
        partition_key=partition_key,
        data=encoded,
        arrival_time_ms=ARRIVAL_MS,
    )


def _position(data: Any, partition_key: str = "17") -> Position:
    parsed = parse_record(_record(data, partition_key), NOW_MS)
    assert isinstance(parsed, Position), parsed
    return parsed


def _reason(data: Any = None, partition_key: str = "17", raw: str | None = None) -> str:
    parsed = parse_record(_record(data, partition_key, raw), NOW_MS)
    assert isinstance(parsed, Rejection), parsed
    return parsed.reason


def test_legacy_string_coordinates_keep_their_digits() -> None:
    # Given the old clients' record; When parsed; Then digits are exact and time is the arrival time
    position = _position({"longitude": "12.34567", "latitude": "76.54321"})
    assert (position.bus_id, position.latitude, position.longitude) == (
        "17",
        Decimal("76.54321"),
        Decimal("12.34567"),
    )
    assert position.time_ms == ARRIVAL_MS


def test_numbers_with_many_decimals_are_accepted_and_made_storable() -> None:
    position = _position({"latitude": 1.123456789012345678, "longitude": "-179.99999999999999999999999"})
    assert position.latitude == Decimal("1.123456789012")
    assert position.longitude == Decimal("-180.000000000000")


def test_optional_fields() -> None:
    position = _position(
        {"latitude": 1, "longitude": 2, "speed": "12.5", "bearing": 359.9, "accuracy": 4, "altitude": -20}
    )
    assert (position.speed, position.bearing, position.accuracy, position.altitude) == (
        Decimal("12.5"),
        Decimal("359.9"),
        Decimal(4),
        Decimal(-20),
    )


@pytest.mark.parametrize(
    ("timestamp", "expected_ms"),
    [
        (1_764_590_000, 1_764_590_000_000),
        (1_764_590_000_123, 1_764_590_000_123),
        ("1764590000.5", 1_764_590_000_500),
        ("2025-12-01T11:53:20Z", 1_764_590_000_000),
        ("2025-12-01T12:53:20+01:00", 1_764_590_000_000),
        ("2025-12-01T11:53:20", 1_764_590_000_000),
        ("2025-12-01t11:53:20.123z", 1_764_590_000_123),
        ("2025-12-01 11:53:20.1239+00:00", 1_764_590_000_123),
        ("1970-01-01T00:00:00Z", 0),
    ],
)
def test_device_timestamps_in_seconds_milliseconds_or_iso(timestamp: Any, expected_ms: int) -> None:
    assert _position({"latitude": 0, "longitude": 0, "timestamp": timestamp}).time_ms == expected_ms


@pytest.mark.parametrize(
    "timestamp",
    [
        # Text that is not exactly the digits of an epoch time or an ISO-8601 date and time to the second
        " 1764590000",
        "1764590000\n",
        "1.76459e9",
        "2025-12-01",
        "2025-12-01T11:53Z",
        "20251201T115320Z",
        # Times the document's patterns allow, refused by the rules it states in words
        "2025-02-29T11:53:20Z",
        "1970-01-01T00:59:59+01:00",
        253_402_300_800_000,
    ],
)
def test_a_timestamp_is_written_exactly_as_the_document_allows(timestamp: Any) -> None:
    assert "timestamp" in _reason({"latitude": 0, "longitude": 0, "timestamp": timestamp})


def test_bus_id_in_data_must_match_the_partition_key() -> None:
    assert _position({"busId": "17", "latitude": 0, "longitude": 0}).bus_id == "17"
    assert "differs from partition key" in _reason({"busId": "18", "latitude": 0, "longitude": 0})


@pytest.mark.parametrize(
    ("data", "raw", "partition_key", "expected"),
    [
        (None, "not base64!", "17", "data is not valid base64"),
        (None, base64.b64encode(b"\xff\xfe").decode(), "17", "data is not UTF-8 text"),
        (None, base64.b64encode(b"{").decode(), "17", "data is not JSON"),
        ([1, 2], None, "17", "data is not a JSON object"),
        ({"latitude": 90.5, "longitude": 0}, None, "17", "latitude"),
        ({"latitude": 0, "longitude": -180.01}, None, "17", "longitude"),
        ({"latitude": "NaN", "longitude": 0}, None, "17", "latitude"),
        ({"latitude": True, "longitude": 0}, None, "17", "latitude"),
        ({"longitude": 0}, None, "17", "latitude"),
        ({"latitude": 0, "longitude": 0, "bearing": 360}, None, "17", "bearing"),
        ({"latitude": 0, "longitude": 0, "speed": -1}, None, "17", "speed"),
        ({"latitude": 0, "longitude": 0, "timestamp": "tomorrow"}, None, "17", "timestamp"),
        ({"latitude": 0, "longitude": 0, "timestamp": -1}, None, "17", "timestamp"),
        ({"latitude": 0, "longitude": 0}, None, "bus 17", "partition key is not a bus id"),
        ({"latitude": 0, "longitude": 0}, None, "17\n", "partition key is not a bus id"),
        ({"latitude": 0, "longitude": 0, "busId": "x" * 65}, None, "x" * 65, "busId"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(
    data: Any, raw: str | None, partition_key: str, expected: str
) -> None:
    assert expected in _reason(data, partition_key, raw)


def test_a_device_clock_more_than_five_minutes_ahead_is_rejected() -> None:
    # Given timestamps just within and just beyond five minutes ahead of now
    within = (NOW_MS + 299_000) / 1000
    beyond = (NOW_MS + 301_000) / 1000
    # Then the first is a position and the second is rejected
    assert _position({"latitude": 0, "longitude": 0, "timestamp": within}).time_ms == NOW_MS + 299_000
    assert "future" in _reason({"latitude": 0, "longitude": 0, "timestamp": beyond})


def test_expiry_is_ttl_after_the_position_time() -> None:
    position = _position({"latitude": 0, "longitude": 0, "timestamp": 1_764_590_000})
    assert position.expires_at(3600) == 1_764_593_600


GTFS_FIELDS = {
    "tripId": "T-12 weekday",
    "routeId": "728",
    "directionId": 1,
    "startDate": "20251201",
    "startTime": "25:10:00",
    "scheduleRelationship": "SCHEDULED",
    "vehicleLabel": "Belém",
    "licensePlate": "AA-00-BB",
    "occupancyStatus": "MANY_SEATS_AVAILABLE",
    "congestionLevel": "RUNNING_SMOOTHLY",
}


def test_gtfs_fields_are_kept_with_the_fix() -> None:
    # Given a fix naming its trip, route, vehicle and load
    position = _position({"latitude": 38.7, "longitude": -9.2, **GTFS_FIELDS})
    # Then every field is kept, by the API's names, as sent
    assert position.descriptors() == GTFS_FIELDS
    assert (position.trip_id, position.direction_id, position.start_time) == ("T-12 weekday", 1, "25:10:00")


def test_a_fix_without_gtfs_fields_carries_none() -> None:
    assert _position({"latitude": 38.7, "longitude": -9.2}).descriptors() == {}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("directionId", 2, "directionId: Input should be less than or equal to 1"),
        ("directionId", True, "directionId: Input should be a valid integer"),
        ("directionId", "1", "directionId: Input should be a valid integer"),
        ("startDate", "20251301", "startDate: Value error, must be a calendar date as YYYYMMDD"),
        ("startDate", "2025-12-01", "startDate: String should match pattern"),
        ("startTime", "8:00:00", "startTime: String should match pattern"),
        ("startTime", "08:60:00", "startTime: String should match pattern"),
        ("occupancyStatus", "full", "occupancyStatus: Value error, must be one of EMPTY,"),
        (
            "congestionLevel",
            "JAMMED",
            "congestionLevel: Value error, must be one of UNKNOWN_CONGESTION_LEVEL,",
        ),
        ("scheduleRelationship", "LATE", "scheduleRelationship: Value error, must be one of SCHEDULED,"),
        ("tripId", "", "tripId: String should match pattern"),
        ("tripId", "line\nbreak", "tripId: String should match pattern"),
        ("routeId", "r" * 256, "routeId: String should match pattern"),
    ],
)
def test_bad_gtfs_fields_are_refused_naming_the_field(field: str, value: Any, reason: str) -> None:
    # Given a fix with one bad GTFS field; Then it is refused with a reason that names the field
    assert _reason({"latitude": 38.7, "longitude": -9.2, field: value}).startswith(reason)
