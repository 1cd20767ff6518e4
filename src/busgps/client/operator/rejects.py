"""The records the consumer refused: the invalid-records queue's messages, each with its reason."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from busgps.client.models import iso_utc
from busgps.client.operator.queues import peeked, sent_at_ms

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class Reject:
    """One refused record: why, which bus, and the record as the stream delivered it."""

    message_id: str
    reason: str
    bus_id: str | None
    partition_key: str | None
    shard_id: str | None
    sequence_number: str | None
    # When the record reached the stream (else when the message was sent).
    arrived_at: datetime | None
    # The record's data: its text when it is UTF-8, else its base64.
    data: str
    data_is_text: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "busId": self.bus_id,
            "reason": self.reason,
            "arrivedAt": iso_utc(self.arrived_at) if self.arrived_at else None,
            "partitionKey": self.partition_key,
            "shardId": self.shard_id,
            "sequenceNumber": self.sequence_number,
            "data": self.data,
            "dataEncoding": "text" if self.data_is_text else "base64",
            "messageId": self.message_id,
        }

    def line(self) -> str:
        """Two lines: when, which bus and why; then the data and where it is in the stream."""
        when = iso_utc(self.arrived_at) if self.arrived_at else "(time unknown)"
        where = f"{self.shard_id} {self.sequence_number}" if self.shard_id else "not from the stream"
        return f"{when}  bus {self.bus_id or '?'}  {self.reason}\n    {self.data}  ({where})"


def parse_reject(message: "MessageTypeDef") -> Reject:
    """A dead-letter message (busgps.dal.dead_letters); a body of another shape is shown as it is."""
    body_text = message.get("Body", "")
    try:
        body = json.loads(body_text)
    except ValueError:
        body = None
    record = body.get("record") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(record, dict):
        sent = sent_at_ms(message)
        return Reject(
            message_id=message["MessageId"],
            reason="not a dead-letter message of the consumer",
            bus_id=None,
            partition_key=None,
            shard_id=None,
            sequence_number=None,
            arrived_at=datetime.fromtimestamp(sent / 1000, UTC) if sent else None,
            data=body_text,
            data_is_text=True,
        )
    data, is_text = _decoded(str(record.get("data", "")))
    arrival = record.get("approximateArrivalTimestamp")
    partition_key = record.get("partitionKey")
    return Reject(
        message_id=message["MessageId"],
        reason=str(body.get("reason", "(no reason given)")),
        bus_id=partition_key or (_bus_id(data) if is_text else None),
        partition_key=partition_key,
        shard_id=record.get("shardId"),
        sequence_number=record.get("sequenceNumber"),
        arrived_at=datetime.fromtimestamp(float(arrival), UTC) if isinstance(arrival, int | float) else None,
        data=data,
        data_is_text=is_text,
    )


def _decoded(data: str) -> tuple[str, bool]:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8"), True
    except (binascii.Error, UnicodeDecodeError):
        return data, False


def _bus_id(data: str) -> str | None:
    """The bus id a record's data names, if it is a JSON object that names one."""
    try:
        content = json.loads(data)
    except ValueError:
        return None
    bus_id = content.get("busId") if isinstance(content, dict) else None
    return str(bus_id) if isinstance(bus_id, str | int) and not isinstance(bus_id, bool) else None


def list_rejects(
    sqs: "SQSClient",
    queue_url: str,
    *,
    since: datetime | None = None,
    bus_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    confirm_empty: bool = True,
) -> list[Reject]:
    """The refused records (of one bus, arrived since a time), oldest first; the queue keeps them."""
    with peeked(sqs, queue_url, limit, confirm_empty=confirm_empty) as messages:
        rejects = [parse_reject(message) for message in messages]
    if bus_id is not None:
        rejects = [reject for reject in rejects if bus_id in (reject.bus_id, reject.partition_key)]
    if since is not None:
        rejects = [
            reject for reject in rejects if reject.arrived_at is not None and reject.arrived_at >= since
        ]
    return sorted(rejects, key=lambda reject: reject.arrived_at or datetime.min.replace(tzinfo=UTC))
