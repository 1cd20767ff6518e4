"""The dead-letter queue: every rejected record, with its reason and the raw record."""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps import aws_limits
from busgps.dal.retry import Backoff
from busgps.models.position import Rejection

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
else:
    SQSClient = Any

# Room for the reason and the record's other fields within one SQS message.
_MAX_DATA_CHARS = 160 * 1024


def dead_letter_message(rejection: Rejection) -> str:
    """The message body: the reason, and the record as Kinesis delivered it.

    Data too large for a message is cut; shard and sequence number still find the whole record
    in the stream for its retention period.
    """
    record = rejection.record
    data = record.data
    body: dict[str, Any] = {
        "reason": rejection.reason,
        "record": {
            "eventSourceARN": record.event_source_arn,
            "shardId": record.shard_id,
            "sequenceNumber": record.sequence_number,
            "partitionKey": record.partition_key,
            "approximateArrivalTimestamp": record.arrival_time_ms / 1000,
            "data": data[:_MAX_DATA_CHARS],
        },
    }
    if len(data) > _MAX_DATA_CHARS:
        body["record"]["dataTruncatedFromChars"] = len(data)
    return json.dumps(body, separators=(",", ":"))


def _batches(messages: Sequence[tuple[Rejection, str]]) -> Iterator[list[tuple[Rejection, str]]]:
    batch: list[tuple[Rejection, str]] = []
    size = 0
    for rejection, body in messages:
        body_size = len(body.encode("utf-8"))
        if batch and (
            len(batch) == aws_limits.SQS_BATCH_MAX_ENTRIES
            or size + body_size > aws_limits.SQS_MESSAGE_MAX_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append((rejection, body))
        size += body_size
    if batch:
        yield batch


@dataclass
class SqsDeadLetterSink:
    client: SQSClient
    queue_url: str
    backoff: Backoff = field(default_factory=Backoff)

    def send(self, rejections: Sequence[Rejection]) -> list[Rejection]:
        unsent: list[Rejection] = []
        messages = [(rejection, dead_letter_message(rejection)) for rejection in rejections]
        for batch in _batches(messages):
            unsent.extend(self._send_batch(batch))
        return unsent

    def _send_batch(self, batch: list[tuple[Rejection, str]]) -> list[Rejection]:
        pending = {str(index): entry for index, entry in enumerate(batch)}
        for _ in self.backoff.attempts():
            try:
                response = self.client.send_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": entry_id, "MessageBody": body} for entry_id, (_, body) in pending.items()
                    ],
                )
            except ClientError:
                continue
            failed_ids = {failure["Id"] for failure in response.get("Failed", [])}
            pending = {entry_id: entry for entry_id, entry in pending.items() if entry_id in failed_ids}
            if not pending:
                break
        return [rejection for rejection, _ in pending.values()]
