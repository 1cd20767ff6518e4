"""How a bus's latest position is laid out as a DynamoDB item, and read back."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from busgps.logic.noise import BusState
from busgps.models.position import DESCRIPTOR_FIELDS, OPTIONAL_FIELDS, Position

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# Kinesis sequence numbers are decimal strings of up to 128 digits: padded, they compare as strings.
_SEQUENCE_WIDTH = 128
# The bus's last fix kept in history, which history thinning measures from.
_KEPT_FIELDS = ("keptTimeMs", "keptLatitude", "keptLongitude")


def latest_key_schema() -> tuple[list[Any], list[Any]]:
    """The latest-position table's key schema and attribute definitions, for whoever creates the table."""
    return [{"AttributeName": "busId", "KeyType": "HASH"}], [{"AttributeName": "busId", "AttributeType": "S"}]


def sequence_order(sequence_number: str) -> str:
    return sequence_number.zfill(_SEQUENCE_WIDTH)


@dataclass(frozen=True)
class ItemLayout:
    ttl_field_name: str
    ttl_seconds: int

    def to_item(self, position: Position, kept: Position | None = None) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "busId": position.bus_id,
            "positionTimeMs": position.time_ms,
            "latitude": position.latitude,
            "longitude": position.longitude,
            "receivedAtMs": position.received_at_ms,
            "sequenceNumber": position.sequence_number,
            "sequenceOrder": sequence_order(position.sequence_number),
            self.ttl_field_name: position.expires_at(self.ttl_seconds),
        }
        for name in OPTIONAL_FIELDS:
            value = getattr(position, name)
            if value is not None:
                attributes[name] = value
        attributes.update(position.descriptors())
        if kept is not None:
            attributes.update(zip(_KEPT_FIELDS, (kept.time_ms, kept.latitude, kept.longitude), strict=True))
        return {name: _serializer.serialize(value) for name, value in attributes.items()}

    def from_item(self, item: dict[str, Any]) -> Position:
        return position_from_item(item)

    def state_from_item(self, item: dict[str, Any]) -> BusState:
        """The bus's latest fix, and the last fix it kept in history when the item says so."""
        latest = self.from_item(item)
        if not all(name in item for name in _KEPT_FIELDS):
            return BusState(latest=latest)
        time_ms, latitude, longitude = (_deserializer.deserialize(item[name]) for name in _KEPT_FIELDS)
        kept = Position(latest.bus_id, int(time_ms), Decimal(latitude), Decimal(longitude), 0, "0")
        return BusState(latest=latest, kept=kept)


def position_from_item(item: dict[str, Any]) -> Position:
    """A position from its item, as a read returns it or as a table's stream carries its image."""
    values = {name: _deserializer.deserialize(value) for name, value in item.items()}
    optional: dict[str, Any] = {name: values.get(name) for name in OPTIONAL_FIELDS}
    descriptors: dict[str, Any] = {name: values.get(api_name) for name, api_name in DESCRIPTOR_FIELDS.items()}
    if descriptors["direction_id"] is not None:
        descriptors["direction_id"] = int(descriptors["direction_id"])
    return Position(
        bus_id=str(values["busId"]),
        time_ms=int(values["positionTimeMs"]),
        latitude=Decimal(values["latitude"]),
        longitude=Decimal(values["longitude"]),
        received_at_ms=int(values["receivedAtMs"]),
        sequence_number=str(values["sequenceNumber"]),
        **optional,
        **descriptors,
    )
