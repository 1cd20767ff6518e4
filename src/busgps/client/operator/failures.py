"""The batches Lambda gave up on: the consumer-failure queue's on-failure records.

Lambda sends one for each batch it discards after its retries or the maximum record age: which
function, why (`condition`, and `functionError` when the function failed), and which records (the
shard, the first and last sequence numbers, how many, when they arrived). The records themselves stay
in the stream for its retention period, which is what makes a redrive possible.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from busgps.client.models import iso_utc
from busgps.client.operator.queues import peeked

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class DiscardedBatch:
    """One on-failure record of a Kinesis event source mapping."""

    message_id: str
    receipt_handle: str
    condition: str
    function_arn: str
    # "Unhandled" when the function itself failed; None when it answered with batchItemFailures.
    function_error: str | None
    invoke_count: int
    failed_at: datetime | None
    stream_arn: str
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    batch_size: int
    first_arrival: datetime | None
    last_arrival: datetime | None

    @property
    def stream_name(self) -> str:
        return self.stream_arn.split(":stream/", 1)[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "shardId": self.shard_id,
            "startSequenceNumber": self.start_sequence_number,
            "endSequenceNumber": self.end_sequence_number,
            "batchSize": self.batch_size,
            "firstArrival": _iso(self.first_arrival),
            "lastArrival": _iso(self.last_arrival),
            "condition": self.condition,
            "functionError": self.function_error,
            "invokeCount": self.invoke_count,
            "failedAt": _iso(self.failed_at),
            "functionArn": self.function_arn,
            "streamArn": self.stream_arn,
            "messageId": self.message_id,
        }

    def range_text(self) -> str:
        records = f"{self.batch_size} record" + ("" if self.batch_size == 1 else "s")
        return f"{self.shard_id} {self.start_sequence_number}..{self.end_sequence_number} ({records})"

    def line(self) -> str:
        """Two lines: which records, when they arrived; then why and when Lambda gave up."""
        arrived = f"arrived {_iso(self.first_arrival)} to {_iso(self.last_arrival)}"
        why = self.condition + (f", function error {self.function_error}" if self.function_error else "")
        invocations = f"{self.invoke_count} invocation" + ("" if self.invoke_count == 1 else "s")
        return (
            f"{self.range_text()}, {arrived}\n    {why} after {invocations}; discarded {_iso(self.failed_at)}"
        )


class NotAnOnFailureRecord(ValueError):
    """The message is not an on-failure record of a Kinesis event source mapping."""


def parse_on_failure_record(message: "MessageTypeDef") -> DiscardedBatch:
    try:
        body = json.loads(message.get("Body", ""))
        context, response, info = (
            body["requestContext"],
            body.get("responseContext", {}),
            body["KinesisBatchInfo"],
        )
        return DiscardedBatch(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            condition=str(context["condition"]),
            function_arn=str(context["functionArn"]),
            function_error=response.get("functionError"),
            invoke_count=int(context.get("approximateInvokeCount", 0)),
            failed_at=_time(body.get("timestamp")),
            stream_arn=str(info["streamArn"]),
            shard_id=str(info["shardId"]),
            start_sequence_number=str(info["startSequenceNumber"]),
            end_sequence_number=str(info["endSequenceNumber"]),
            batch_size=int(info["batchSize"]),
            first_arrival=_time(info.get("approximateArrivalOfFirstRecord")),
            last_arrival=_time(info.get("approximateArrivalOfLastRecord")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise NotAnOnFailureRecord(
            f"message {message['MessageId']} is not a Kinesis on-failure record"
        ) from error


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def list_failures(
    sqs: "SQSClient", queue_url: str, limit: int = DEFAULT_LIMIT
) -> tuple[list[DiscardedBatch], int]:
    """The discarded batches, oldest first, and how many messages were not on-failure records; the
    queue keeps them all."""
    with peeked(sqs, queue_url, limit) as messages:
        batches, others = [], 0
        for message in messages:
            try:
                batches.append(parse_on_failure_record(message))
            except NotAnOnFailureRecord:
                others += 1
    return sorted(batches, key=lambda batch: (batch.failed_at is None, batch.failed_at or 0)), others
