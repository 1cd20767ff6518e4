"""Turning one Kinesis record into a position, or into a rejection with its reason."""

import base64
import binascii
import json
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from busgps.logic.times import InvalidTime, parse_time_ms
from busgps.models.device import DevicePosition
from busgps.models.position import BUS_ID_PATTERN, DESCRIPTOR_FIELDS, KinesisRecord, Position, Rejection
from busgps.models.problems import describe

# A device clock further ahead than this would freeze its bus's latest position.
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000
# Finer than a micrometre: beyond any GPS, and within DynamoDB's 38 significant digits.
_DECIMAL_PLACES = 12
_QUANTUM = Decimal(1).scaleb(-_DECIMAL_PLACES)
_BUS_ID = re.compile(BUS_ID_PATTERN)


def _storable(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_DECIMAL_PLACES:
        return value.quantize(_QUANTUM)
    return value


def _optional(value: Decimal | None) -> Decimal | None:
    return None if value is None else _storable(value)


def _payload(record: KinesisRecord) -> Any:
    try:
        raw = base64.b64decode(record.data, validate=True)
    except (binascii.Error, ValueError):
        raise _Reject("data is not valid base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Reject("data is not UTF-8 text") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as error:
        raise _Reject(f"data is not JSON: {error}") from None


class _Reject(Exception):
    pass


class InvalidPosition(ValueError):
    """A device's JSON that is not a valid position; the message says why, naming the field."""


def position_of(
    payload: Any, *, partition_key: str, arrival_ms: int, sequence_number: str, now_ms: int
) -> Position:
    """The position a device's JSON describes, by the rules every route and the consumer share."""
    if not isinstance(payload, dict):
        raise InvalidPosition("data is not a JSON object")
    try:
        device = DevicePosition.model_validate(payload)
    except ValidationError as error:
        raise InvalidPosition(describe(error, whole="data")) from None
    if device.bus_id is None:
        if not _BUS_ID.fullmatch(partition_key):
            raise InvalidPosition(
                "partition key is not a bus id (1-64 of letters, digits, -, _, ., :) and data has no busId"
            )
        bus_id = partition_key
    elif device.bus_id != partition_key:
        raise InvalidPosition(f"busId {device.bus_id!r} differs from partition key {partition_key!r}")
    else:
        bus_id = device.bus_id
    if device.timestamp is None:
        time_ms = arrival_ms
    else:
        try:
            time_ms = parse_time_ms(device.timestamp)
        except InvalidTime as error:
            raise InvalidPosition(f"timestamp: {error}") from None
        if time_ms > now_ms + MAX_FUTURE_SKEW_MS:
            raise InvalidPosition("timestamp: more than 5 minutes in the future")
    return Position(
        bus_id=bus_id,
        time_ms=time_ms,
        latitude=_storable(device.latitude),
        longitude=_storable(device.longitude),
        received_at_ms=arrival_ms,
        sequence_number=sequence_number,
        speed=_optional(device.speed),
        bearing=_optional(device.bearing),
        accuracy=_optional(device.accuracy),
        altitude=_optional(device.altitude),
        **{name: getattr(device, name) for name in DESCRIPTOR_FIELDS},
    )


def parse_record(record: KinesisRecord, now_ms: int) -> Position | Rejection:
    """Every record becomes either a valid position or a rejection that says why."""
    try:
        return position_of(
            _payload(record),
            partition_key=record.partition_key,
            arrival_ms=record.arrival_time_ms,
            sequence_number=record.sequence_number,
            now_ms=now_ms,
        )
    except (_Reject, InvalidPosition) as rejection:
        return Rejection(record=record, reason=str(rejection))
