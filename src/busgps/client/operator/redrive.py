"""Redrive: feed the records of discarded batches through the consumer again, while the stream keeps them.

For each on-failure record of the failure queue: read its range back from its shard (from the first
to the last sequence number), invoke the consumer with the exact Kinesis event the event source
mapping would have sent (lambda:Invoke; the local stack serves the same API), and apply Lambda's rules
to the answer (`batchItemFailures` retries from the lowest failed record). The consumer is idempotent,
so a batch redriven twice is stored once. An entry leaves the queue only when all of its records were
read back and processed; otherwise it stays, with what went wrong, for the next attempt.

While being redriven, entries are hidden from others (a visibility timeout), so that two operators
never redrive the same entry at once; those that stay are made visible again at the end.
"""

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from busgps import aws_limits
from busgps.client.operator.failures import DiscardedBatch, NotAnOnFailureRecord, parse_on_failure_record
from busgps.client.operator.queues import peeked
from busgps.local.event_source import GET_RECORDS_LIMIT, StreamRecord, kinesis_event, read_response
from busgps.local.function_logs import BATCH_MESSAGE

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

DEFAULT_ATTEMPTS = 3
# Entries are hidden this long while being redriven (reading a range and a few invocations).
REDRIVE_VISIBILITY_SECONDS = 900
# Kinesis allows five GetRecords calls per second per shard.
GET_RECORDS_INTERVAL_SECONDS = 0.2
RETRY_DELAY_SECONDS = 1.0
# Room in an Invoke payload for each record's event fields besides its data.
_EVENT_BYTES_PER_RECORD = 1024


@dataclass
class RedriveOutcome:
    """What became of one failure-queue entry."""

    batch: DiscardedBatch
    records_read: int = 0
    # Summed from the consumer's log record of each invocation; None when a log did not say.
    counts: dict[str, int] | None = field(default_factory=dict)
    processed: bool = False
    removed: bool = False
    problem: str | None = None

    @property
    def stored(self) -> int | None:
        return None if self.counts is None else self.counts.get("written", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.batch.to_json(),
            "recordsRead": self.records_read,
            "stored": self.stored,
            "invalid": None if self.counts is None else self.counts.get("invalid", 0),
            "stale": None if self.counts is None else self.counts.get("stale", 0),
            "removed": self.removed,
            "problem": self.problem,
        }

    def line(self) -> str:
        text = self.batch.range_text() + ": "
        if self.records_read:
            stored = (
                "stored unknown (see the consumer's log)" if self.stored is None else f"{self.stored} stored"
            )
            text += f"{self.records_read} records redriven, {stored}"
            if self.counts:
                others = [
                    f"{self.counts[name]} {name}" for name in ("invalid", "stale") if self.counts.get(name)
                ]
                text += "".join(f", {other}" for other in others)
        if self.problem:
            text += ("; " if self.records_read else "") + self.problem
        return text + ("; removed from the failure queue" if self.removed else "; kept in the failure queue")


class RangeUnavailable(RuntimeError):
    """The stream cannot give the range back (deleted stream or shard, or a refused call)."""


def read_range(
    kinesis: "KinesisClient", batch: DiscardedBatch, sleep: Callable[[float], None] = time.sleep
) -> list[StreamRecord]:
    """The records of the batch's range that the stream still holds, in order."""
    end = int(batch.end_sequence_number)
    try:
        iterator: str | None = kinesis.get_shard_iterator(
            StreamName=batch.stream_name,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=batch.start_sequence_number,
        )["ShardIterator"]
        records: list[StreamRecord] = []
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            for raw in response["Records"]:
                if int(raw["SequenceNumber"]) > end:
                    return records
                records.append(
                    StreamRecord(
                        shard_id=batch.shard_id,
                        sequence_number=raw["SequenceNumber"],
                        partition_key=raw["PartitionKey"],
                        data=raw["Data"],
                        approximate_arrival_timestamp=raw["ApproximateArrivalTimestamp"].timestamp(),
                    )
                )
                if raw["SequenceNumber"] == batch.end_sequence_number:
                    return records
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                return records  # the shard holds nothing more yet
            iterator = response.get("NextShardIterator")
            sleep(GET_RECORDS_INTERVAL_SECONDS)
        return records
    except ClientError as error:
        details = error.response.get("Error", {})
        raise RangeUnavailable(
            f"the stream cannot give the records back: {details.get('Code')}: {details.get('Message')}"
        ) from error


def event_chunks(records: list[StreamRecord]) -> Iterator[list[StreamRecord]]:
    """The records in order, in events small enough for a synchronous Invoke."""
    chunk: list[StreamRecord] = []
    size = 0
    for record in records:
        record_size = len(record.data) * 4 // 3 + _EVENT_BYTES_PER_RECORD
        if chunk and size + record_size > aws_limits.LAMBDA_INVOKE_PAYLOAD_MAX_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(record)
        size += record_size
    if chunk:
        yield chunk


def batch_counts(log_tail: str) -> dict[str, int] | None:
    """The counts of the consumer's log record of a batch, found in an invocation's log tail."""
    for line in reversed(log_tail.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("message") == BATCH_MESSAGE:
            counts = record.get("counts")
            if isinstance(counts, dict):
                return {str(name): int(value) for name, value in counts.items()}
    return None


@dataclass
class Redriver:
    """Invokes `function` (or each entry's own) with the records of discarded batches."""

    kinesis: "KinesisClient"
    lambda_client: "LambdaClient"
    invoke_identity_arn: str
    function: str | None = None
    attempts: int = DEFAULT_ATTEMPTS
    sleep: Callable[[float], None] = time.sleep

    def redrive(self, batch: DiscardedBatch) -> RedriveOutcome:
        """Read the batch's range back and feed it through the consumer; `processed` when all of it was."""
        outcome = RedriveOutcome(batch)
        try:
            records = read_range(self.kinesis, batch, self.sleep)
        except RangeUnavailable as error:
            outcome.problem = str(error)
            return outcome
        outcome.records_read = len(records)
        complete = (
            len(records) == batch.batch_size
            and bool(records)
            and records[0].sequence_number == batch.start_sequence_number
        )
        for chunk in event_chunks(records):
            problem = self._process(chunk, batch, outcome)
            if problem:
                outcome.problem = problem
                return outcome
        if not complete:
            outcome.problem = (
                f"{batch.batch_size - len(records)} of its {batch.batch_size} records are no longer in "
                "the stream (past its retention period)"
            )
            return outcome
        outcome.processed = True
        return outcome

    def _process(
        self, records: list[StreamRecord], batch: DiscardedBatch, outcome: RedriveOutcome
    ) -> str | None:
        """Invoke with the records until the consumer took every one; what went wrong, if it never did."""
        function = self.function or batch.function_arn
        pending = records
        problem = None
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(RETRY_DELAY_SECONDS * 2 ** (attempt - 1))
            event = kinesis_event(pending, batch.stream_arn, self.invoke_identity_arn)
            try:
                response = self.lambda_client.invoke(
                    FunctionName=function,
                    InvocationType="RequestResponse",
                    LogType="Tail",
                    Payload=json.dumps(event).encode("utf-8"),
                )
            except (ClientError, BotoCoreError) as error:
                return f"cannot invoke {function}: {error}"
            payload = response["Payload"].read()
            if response.get("FunctionError"):
                problem = f"the consumer failed ({response['FunctionError']}: {_error_message(payload)})"
                continue
            self._count(outcome, response.get("LogResult"))
            answer = json.loads(payload) if payload.strip() else None
            result = read_response(answer, pending, response["ResponseMetadata"]["RequestId"])
            if result.succeeded:
                return None
            problem = f"the consumer reported {len(pending) - (result.retry_from or 0)} records not stored"
            if not result.function_error:
                pending = pending[result.retry_from or 0 :]
        return f"{problem} after {self.attempts} attempts"

    @staticmethod
    def _count(outcome: RedriveOutcome, log_result: str | None) -> None:
        counts = batch_counts(base64.b64decode(log_result).decode("utf-8", "replace")) if log_result else None
        if counts is None or outcome.counts is None:
            outcome.counts = None
            return
        for name, value in counts.items():
            outcome.counts[name] = outcome.counts.get(name, 0) + value


def _error_message(payload: bytes) -> str:
    try:
        error = json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")[:200]
    if isinstance(error, dict):
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    return str(error)[:200]


@dataclass
class RedriveReport:
    outcomes: list[RedriveOutcome]
    # Messages of the queue that are not on-failure records: left alone.
    others: int = 0

    @property
    def stored(self) -> int | None:
        counts = [outcome.stored for outcome in self.outcomes]
        return None if any(count is None for count in counts) else sum(count or 0 for count in counts)


def redrive_failure_queue(redriver: Redriver, sqs: "SQSClient", queue_url: str, limit: int) -> RedriveReport:
    """Redrive every entry of the failure queue (up to `limit`), deleting those fully processed."""
    report = RedriveReport([])
    with peeked(sqs, queue_url, limit, visibility_seconds=REDRIVE_VISIBILITY_SECONDS) as messages:
        for message in messages:
            try:
                batch = parse_on_failure_record(message)
            except NotAnOnFailureRecord:
                report.others += 1
                continue
            outcome = redriver.redrive(batch)
            if outcome.processed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=batch.receipt_handle)
                outcome.removed = True
            report.outcomes.append(outcome)
    return report
