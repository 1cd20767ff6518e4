"""A GTFS-Realtime VehiclePositions feed, summed up for a person: how fresh, how many, with trips or not."""

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.transit.gtfs_realtime_pb2 import FeedHeader, FeedMessage


def feed_json(feed: FeedMessage) -> str:
    """The feed as protobuf's canonical JSON (camelCase names, 64-bit numbers as strings)."""
    return json_format.MessageToJson(feed, indent=2)


def feed_summary(feed: FeedMessage, now: datetime) -> dict[str, Any]:
    """What a person checks first: the header, the feed's age at `now`, and its vehicles."""
    vehicles = [entity.vehicle for entity in feed.entity if entity.HasField("vehicle")]
    with_trip = sum(1 for vehicle in vehicles if vehicle.HasField("trip"))
    fix_times = [vehicle.timestamp for vehicle in vehicles if vehicle.HasField("timestamp")]
    header = feed.header
    summary: dict[str, Any] = {
        "gtfsRealtimeVersion": header.gtfs_realtime_version,
        "incrementality": FeedHeader.Incrementality.Name(header.incrementality),
        "timestamp": _iso(header.timestamp) if header.HasField("timestamp") else None,
        "ageSeconds": _age(header.timestamp, now) if header.HasField("timestamp") else None,
        "entityCount": len(feed.entity),
        "vehicleCount": len(vehicles),
        "vehiclesWithTrip": with_trip,
        "vehiclesWithoutTrip": len(vehicles) - with_trip,
        "oldestVehicleTimestamp": _iso(min(fix_times)) if fix_times else None,
        "oldestVehicleAgeSeconds": _age(min(fix_times), now) if fix_times else None,
    }
    return summary


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _age(seconds: int, now: datetime) -> int:
    return round(now.timestamp() - seconds)
