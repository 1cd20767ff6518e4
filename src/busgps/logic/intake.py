"""What devices POST, checked before anything reaches the stream, and the records it becomes.

Both routes apply the consumer's own rules (`busgps.logic.records.position_of`) at the door, so a
device learns at once, in a 400 that names the field, what the consumer would otherwise have refused
later and out of its sight. The record written is what the device sent: the compatible route's
`Data`, decoded; a batch entry's JSON.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from busgps import aws_limits
from busgps.logic.errors import InvalidRequest
from busgps.logic.records import InvalidPosition, position_of
from busgps.models.device import DevicePosition
from busgps.models.position import BUS_ID_PATTERN

MAX_BATCH_POSITIONS = aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS
_BUS_ID = re.compile(BUS_ID_PATTERN)
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
# The fields a batch entry may have: a device's fix and nothing else.
BATCH_ENTRY_FIELDS = frozenset(field.alias or name for name, field in DevicePosition.model_fields.items())
_NUMBER_FIELDS = ("latitude", "longitude", "speed", "bearing", "accuracy", "altitude")
_FIELD_REASON = re.compile(r"^[A-Za-z]\w*(\.\w+)*: ")


@dataclass(frozen=True)
class StreamRecord:
    """One record to put on the stream: the bus id as partition key, and the bytes the device sent."""

    partition_key: str
    data: bytes


def _check(position: Any, partition_key: str, now_ms: int, where: str) -> None:
    try:
        position_of(
            position, partition_key=partition_key, arrival_ms=now_ms, sequence_number="0", now_ms=now_ms
        )
    except InvalidPosition as error:
        reason = str(error)
        raise InvalidRequest(
            f"{where}.{reason}" if _FIELD_REASON.match(reason) else f"{where}: {reason}"
        ) from None


def legacy_record(body: Any, stream_name: str, now_ms: int) -> StreamRecord:
    """POST /post-gps: {StreamName, Data (base64 of the position's JSON), PartitionKey (the bus id)}."""
    if not isinstance(body, dict):
        raise InvalidRequest("body: must be a JSON object with StreamName, Data and PartitionKey")
    missing = [name for name in ("StreamName", "Data", "PartitionKey") if name not in body]
    if missing:
        raise InvalidRequest(f"body: {', '.join(missing)} required")
    if body["StreamName"] != stream_name:
        raise InvalidRequest(f"body.StreamName: must be {stream_name!r}, the stream this API writes to")
    partition_key = body["PartitionKey"]
    if not isinstance(partition_key, str) or not _BUS_ID.fullmatch(partition_key):
        raise InvalidRequest("body.PartitionKey: must be a bus id, 1 to 64 of letters, digits, -, _, ., :")
    data = body["Data"]
    if not isinstance(data, str) or not _BASE64.fullmatch(data):
        raise InvalidRequest("body.Data: must be the base64 of the position's JSON")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("body.Data: must be the base64 of the position's JSON") from None
    if len(decoded) + len(partition_key.encode()) > aws_limits.KINESIS_RECORD_MAX_BYTES:
        raise InvalidRequest("body.Data: at most 1 MiB once decoded, with the partition key")
    try:
        position = json.loads(decoded)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidRequest("body.Data: must be the base64 of a JSON object") from None
    _check(position, partition_key, now_ms, "body.Data")
    return StreamRecord(partition_key, decoded)


def batch_records(body: Any, now_ms: int) -> list[StreamRecord]:
    """POST /v1/positions: {"positions": [...]}, 1 to 500 entries; one bad entry refuses the batch."""
    if not isinstance(body, dict) or set(body) != {"positions"}:
        raise InvalidRequest('body: must be {"positions": [...]} and nothing else')
    entries = body["positions"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH_POSITIONS:
        raise InvalidRequest(f"body.positions: must be a list of 1 to {MAX_BATCH_POSITIONS} positions")
    problems = []
    for index, entry in enumerate(entries):
        where = f"body.positions[{index}]"
        try:
            _check_entry(entry, where, now_ms)
        except InvalidRequest as problem:
            problems.append(str(problem))
    if problems:
        raise InvalidRequest("; ".join(problems))
    return [
        StreamRecord(entry["busId"], json.dumps(entry, separators=(",", ":")).encode()) for entry in entries
    ]


def _check_entry(entry: Any, where: str, now_ms: int) -> None:
    if not isinstance(entry, dict):
        raise InvalidRequest(f"{where}: must be a JSON object")
    unknown = sorted(set(entry) - BATCH_ENTRY_FIELDS)
    if unknown:
        raise InvalidRequest(f"{where}: unknown fields {', '.join(unknown)} (a record holds a position only)")
    if "busId" not in entry:
        raise InvalidRequest(f"{where}.busId: required")
    # The API's model has no null: an optional field is left out, never sent empty.
    nulls = sorted(name for name, value in entry.items() if value is None)
    if nulls:
        raise InvalidRequest(f"{where}.{nulls[0]}: must not be null (leave an unknown field out)")
    for name in _NUMBER_FIELDS:
        if name in entry and (isinstance(entry[name], bool) or not isinstance(entry[name], int | float)):
            raise InvalidRequest(f"{where}.{name}: must be a JSON number")
    _check(entry, entry["busId"] if isinstance(entry["busId"], str) else "", now_ms, where)


def batch_answer(results: list[Any]) -> tuple[int, dict[str, Any]]:
    """The status and body of POST /v1/positions: 200 listing the entries Kinesis did not take (by index),
    503 when it took none."""
    failed = [
        {"index": index, "errorCode": result.error_code, "errorMessage": result.error_message or ""}
        for index, result in enumerate(results)
        if result.error_code
    ]
    message = "Success"
    if failed:
        message = (
            f"{len(failed)} of {len(results)} positions were not accepted: resend only those listed in failed"
        )
    body = {
        "message": message,
        "acceptedCount": len(results) - len(failed),
        "failedCount": len(failed),
        "failed": failed,
    }
    return (503 if results and len(failed) == len(results) else 200), body
