"""What the query API answers: the legacy shape, the /v1 shape and GeoJSON."""

import json
from decimal import Decimal
from typing import Any

from busgps.logic.times import iso_utc
from busgps.models.position import OPTIONAL_FIELDS, Position


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(body: object) -> str:
    """JSON with DynamoDB's decimals as JSON numbers: how every answer and message is written."""
    return json.dumps(body, separators=(",", ":"), default=_json_default)


def legacy_view(position: Position) -> dict[str, str]:
    """The old system's answer: every value a string, `updatedAt` in epoch seconds."""
    return {
        "busId": position.bus_id,
        "latitude": str(position.latitude),
        "longitude": str(position.longitude),
        "updatedAt": str(position.time_ms // 1000),
    }


def _optional(position: Position) -> dict[str, Decimal | str | int]:
    """The measurements, GTFS descriptors and noise flag the fix carries, by their API names."""
    values = {name: getattr(position, name) for name in OPTIONAL_FIELDS}
    present = {name: value for name, value in values.items() if value is not None} | position.descriptors()
    return present | ({"flagged": position.flagged} if position.flagged is not None else {})


def position_view(position: Position) -> dict[str, Any]:
    """A /v1 position: numbers as JSON numbers, times as ISO-8601 UTC."""
    return {
        "busId": position.bus_id,
        "latitude": position.latitude,
        "longitude": position.longitude,
        "timestamp": iso_utc(position.time_ms),
        "receivedAt": iso_utc(position.received_at_ms),
        **_optional(position),
    }


def geojson_feature(position: Position) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": position.bus_id,
        "geometry": {"type": "Point", "coordinates": [position.longitude, position.latitude]},
        "properties": {
            "busId": position.bus_id,
            "timestamp": iso_utc(position.time_ms),
            "receivedAt": iso_utc(position.received_at_ms),
            **_optional(position),
        },
    }
