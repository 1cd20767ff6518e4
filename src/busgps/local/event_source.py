"""Lambda's event source mapping for a stream (Kinesis, or a DynamoDB table's stream), run on one machine.

It does what Lambda documents for a Kinesis or DynamoDB Streams source with `ReportBatchItemFailures`
(the two differ only in how a shard is read and how a record looks in the event: `StreamReader`):
- one poller per shard; batches of a shard are processed in order, shards in parallel (a shard that
  retries never holds up another);
- named by its dotted path, the handler runs in one execution environment per shard (a process of its
  own, see `execution_environment`), so shards are invoked in parallel and share no module globals;
  given as a callable (as tests do), it runs in this process, one invocation at a time, as in a single
  execution environment;
- a batch is invoked when it holds `batch_size` records or when the batching window has passed;
- with enhanced fan-out (a stream consumer's ARN), Kinesis pushes each shard's records to Lambda as
  they arrive (SubscribeToShard, about 70 ms on AWS) instead of Lambda polling the shard, free of the
  5 GetRecords a second of a shard's shared throughput; moto has no SubscribeToShard, so here each
  shard is read again at once while records come, and once a read finds nothing, when the emulator
  signals a put on the stream by anyone (`StreamWrites`), at most every
  `ENHANCED_FAN_OUT_READ_INTERVAL_SECONDS`, and at least every
  `ENHANCED_FAN_OUT_IDLE_READ_INTERVAL_SECONDS` (an idle stack's reads of empty shards cost a third
  of a core otherwise);
- the handler gets the exact event shape of its source and a Lambda-like context;
- `batchItemFailures` checkpoints at the lowest failed sequence number and retries from there; an
  empty, malformed or unknown `itemIdentifier` fails the whole batch;
- a function error splits the batch in two when bisect is on (splitting uses no retry), otherwise it
  uses a retry; after `maximum_retry_attempts` retries, or once records are older than
  `maximum_record_age_seconds`, the records are discarded and Lambda's on-failure record describing
  them is sent to the failure queue (or only logged, for a mapping without one).

Given a fault spec (`busgps.local.faults`), it also does what Lambda does on a bad day: an execution
environment killed or hung in the middle of an invocation, a batch delivered again.
"""

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from busgps.local.config import EnvironmentSettings
from busgps.local.execution_environment import (
    ExecutionEnvironment,
    FunctionError,
    OutputSink,
    write_to_stdout,
)
from busgps.local.faults import MAPPING_KINDS, FaultCounts, FaultSpec, InvocationFaults
from busgps.local.lambda_context import LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
Clock = Callable[[], float]

# Kinesis allows five GetRecords calls per second per shard.
MINIMUM_POLL_INTERVAL_SECONDS = 0.2
# How often a shard is read for an enhanced fan-out mapping, standing in for Kinesis's push (records
# reach an enhanced fan-out consumer about 70 ms after they were written, on AWS).
ENHANCED_FAN_OUT_READ_INTERVAL_SECONDS = 0.05
# How often such a shard is read while no put is signalled (a safety net: the emulator signals them).
ENHANCED_FAN_OUT_IDLE_READ_INTERVAL_SECONDS = 0.25
# GetRecords returns at most this many records per call.
GET_RECORDS_LIMIT = 10000
# How long a poller waits before trying again after Kinesis or SQS failed.
ERROR_BACKOFF_SECONDS = 1.0
# Retries of a failed batch back off exponentially from the first delay up to the cap, so that a
# batch retried forever (maximum_retry_attempts = -1) does not spin.
RETRY_FIRST_DELAY_SECONDS = 0.1
RETRY_MAXIMUM_DELAY_SECONDS = 5.0


@dataclass(frozen=True)
class EventSourceMappingConfig:
    """The event source mapping's settings, as CreateEventSourceMapping names them."""

    stream_arn: str
    function_arn: str
    # The function's execution role, which Lambda reports as invokeIdentityArn.
    invoke_identity_arn: str
    # None: a mapping without an on-failure destination (discarded records are only logged).
    on_failure_queue_url: str | None
    batch_size: int
    batching_window_seconds: float
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    bisect_batch_on_function_error: bool
    starting_position: Literal["TRIM_HORIZON", "LATEST"]
    function_timeout_seconds: float = 30.0
    function_memory_mb: int = 128
    poll_interval_seconds: float = MINIMUM_POLL_INTERVAL_SECONDS
    # The stream consumer the mapping reads through (enhanced fan-out); None: it polls the stream.
    stream_consumer_arn: str | None = None

    @property
    def read_interval_seconds(self) -> float:
        """How long a shard's reader waits between reads that found nothing new."""
        if self.stream_consumer_arn is not None:
            return ENHANCED_FAN_OUT_READ_INTERVAL_SECONDS
        return max(self.poll_interval_seconds, MINIMUM_POLL_INTERVAL_SECONDS)

    @classmethod
    def from_settings(
        cls,
        settings: EnvironmentSettings,
        *,
        stream_arn: str,
        function_arn: str,
        invoke_identity_arn: str,
        on_failure_queue_url: str,
        stream_consumer_arn: str | None = None,
    ) -> "EventSourceMappingConfig":
        if settings.consumer_parallelization_factor != 1:
            raise ValueError(
                "the local event source mapping runs one batch per shard at a time: "
                "set consumer_parallelization_factor = 1 in the local settings"
            )
        if settings.consumer_enhanced_fan_out and not stream_consumer_arn:
            raise ValueError(
                "consumer_enhanced_fan_out is on, but the stream has no consumer to read through"
            )
        return cls(
            stream_arn=stream_arn,
            function_arn=function_arn,
            invoke_identity_arn=invoke_identity_arn,
            on_failure_queue_url=on_failure_queue_url,
            batch_size=settings.consumer_batch_size,
            batching_window_seconds=settings.consumer_batching_window_seconds,
            maximum_retry_attempts=settings.consumer_maximum_retry_attempts,
            maximum_record_age_seconds=settings.consumer_maximum_record_age_seconds,
            bisect_batch_on_function_error=settings.consumer_bisect_batch_on_function_error,
            starting_position=settings.consumer_starting_position,
            function_timeout_seconds=settings.lambda_timeout_seconds,
            function_memory_mb=settings.lambda_memory_mb,
            stream_consumer_arn=stream_consumer_arn if settings.consumer_enhanced_fan_out else None,
        )

    @classmethod
    def for_push(
        cls, settings: EnvironmentSettings, *, stream_arn: str, function_arn: str, invoke_identity_arn: str
    ) -> "EventSourceMappingConfig":
        """The push function's mapping on the latest-position table's stream: no failure queue (a
        position not pushed is still stored and served), from the newest record on, never halved."""
        return cls(
            stream_arn=stream_arn,
            function_arn=function_arn,
            invoke_identity_arn=invoke_identity_arn,
            on_failure_queue_url=None,
            batch_size=settings.push_batch_size,
            batching_window_seconds=settings.push_batching_window_seconds,
            maximum_retry_attempts=settings.push_maximum_retry_attempts,
            maximum_record_age_seconds=settings.push_maximum_record_age_seconds,
            bisect_batch_on_function_error=False,
            starting_position="LATEST",
            function_timeout_seconds=settings.lambda_timeout_seconds,
            function_memory_mb=settings.lambda_memory_mb,
        )

    @property
    def stream_name(self) -> str:
        return self.stream_arn.split(":stream/", 1)[1]

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":function:", 1)[1].split(":")[0]


@dataclass(frozen=True)
class StreamRecord:
    """A record as GetRecords returned it, with the shard it came from."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    approximate_arrival_timestamp: float


def kinesis_event(
    records: Sequence[StreamRecord], stream_arn: str, invoke_identity_arn: str
) -> dict[str, Any]:
    """The event Lambda passes to a function for a batch of Kinesis records of one stream."""
    region = stream_arn.split(":")[3]
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": base64.b64encode(record.data).decode("ascii"),
                    "approximateArrivalTimestamp": record.approximate_arrival_timestamp,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{record.shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": invoke_identity_arn,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }


class ShardRecord(Protocol):
    """What the mapping needs of a record of any stream: where it is, and when it arrived."""

    @property
    def shard_id(self) -> str: ...

    @property
    def sequence_number(self) -> str: ...

    @property
    def approximate_arrival_timestamp(self) -> float: ...


@dataclass(frozen=True)
class DynamoDBStreamRecord:
    """A record of a DynamoDB table's stream, in the form Lambda's event holds it."""

    shard_id: str
    sequence_number: str
    approximate_arrival_timestamp: float
    event_record: dict[str, Any]


class StreamReader(Protocol):
    """How one kind of stream is read, and how its records look in Lambda's event."""

    # The key of the on-failure record's batch description (KinesisBatchInfo, DDBStreamBatchInfo).
    batch_info_key: str

    def shard_ids(self) -> list[str]: ...

    def shard_iterator(self, shard_id: str, after_sequence_number: str | None) -> str:
        """Where to read: the starting position, or just after the last record read."""
        ...

    def get_records(self, shard_id: str, iterator: str, limit: int) -> tuple[list[ShardRecord], str | None]:
        """The records at `iterator` and the next iterator (None once the shard is closed)."""
        ...

    def event(self, records: Sequence[ShardRecord]) -> dict[str, Any]:
        """The event Lambda passes to the function for these records."""
        ...


class KinesisReader:
    """A Kinesis data stream, read with GetRecords; the events are `kinesis_event`'s."""

    batch_info_key = "KinesisBatchInfo"

    def __init__(self, config: EventSourceMappingConfig, kinesis: "KinesisClient") -> None:
        self._config = config
        self._kinesis = kinesis

    def shard_ids(self) -> list[str]:
        if self._config.stream_consumer_arn is not None:
            # As Lambda does before it subscribes: the consumer must exist, on this stream.
            description = self._kinesis.describe_stream_consumer(ConsumerARN=self._config.stream_consumer_arn)
            if description["ConsumerDescription"]["StreamARN"] != self._config.stream_arn:
                raise ValueError(
                    f"{self._config.stream_consumer_arn} is not a consumer of {self._config.stream_arn}"
                )
        response = self._kinesis.list_shards(StreamName=self._config.stream_name)
        shards = list(response["Shards"])
        while response.get("NextToken"):
            response = self._kinesis.list_shards(NextToken=response["NextToken"])
            shards.extend(response["Shards"])
        return [shard["ShardId"] for shard in shards]

    def shard_iterator(self, shard_id: str, after_sequence_number: str | None) -> str:
        if after_sequence_number is None:
            response = self._kinesis.get_shard_iterator(
                StreamName=self._config.stream_name,
                ShardId=shard_id,
                ShardIteratorType=self._config.starting_position,
            )
        else:
            response = self._kinesis.get_shard_iterator(
                StreamName=self._config.stream_name,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                StartingSequenceNumber=after_sequence_number,
            )
        return response["ShardIterator"]

    def get_records(self, shard_id: str, iterator: str, limit: int) -> tuple[list[ShardRecord], str | None]:
        response = self._kinesis.get_records(ShardIterator=iterator, Limit=limit)
        records: list[ShardRecord] = [
            StreamRecord(
                shard_id=shard_id,
                sequence_number=raw["SequenceNumber"],
                partition_key=raw["PartitionKey"],
                data=raw["Data"],
                approximate_arrival_timestamp=raw["ApproximateArrivalTimestamp"].timestamp(),
            )
            for raw in response["Records"]
        ]
        return records, response.get("NextShardIterator")

    def event(self, records: Sequence[ShardRecord]) -> dict[str, Any]:
        kinesis_records = [record for record in records if isinstance(record, StreamRecord)]
        return kinesis_event(kinesis_records, self._config.stream_arn, self._config.invoke_identity_arn)


class DynamoDBStreamReader:
    """A DynamoDB table's stream, read with DynamoDB Streams; records as Lambda's DynamoDB event holds
    them (the stream record, times in epoch seconds, and the stream's ARN)."""

    batch_info_key = "DDBStreamBatchInfo"

    def __init__(self, config: EventSourceMappingConfig, streams: "DynamoDBStreamsClient") -> None:
        self._config = config
        self._streams = streams

    def shard_ids(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self._config.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def shard_iterator(self, shard_id: str, after_sequence_number: str | None) -> str:
        if after_sequence_number is None:
            response = self._streams.get_shard_iterator(
                StreamArn=self._config.stream_arn,
                ShardId=shard_id,
                ShardIteratorType=self._config.starting_position,
            )
        else:
            response = self._streams.get_shard_iterator(
                StreamArn=self._config.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=after_sequence_number,
            )
        return response["ShardIterator"]

    def get_records(self, shard_id: str, iterator: str, limit: int) -> tuple[list[ShardRecord], str | None]:
        # DynamoDB Streams returns at most 1,000 records a call.
        response = self._streams.get_records(ShardIterator=iterator, Limit=min(limit, 1000))
        records: list[ShardRecord] = [self._record(shard_id, raw) for raw in response["Records"]]
        return records, response.get("NextShardIterator")

    def _record(self, shard_id: str, raw: Any) -> DynamoDBStreamRecord:
        change = dict(raw["dynamodb"])
        created = change["ApproximateCreationDateTime"]
        created_seconds = created.timestamp() if isinstance(created, datetime) else float(created)
        change["ApproximateCreationDateTime"] = created_seconds
        return DynamoDBStreamRecord(
            shard_id=shard_id,
            sequence_number=change["SequenceNumber"],
            approximate_arrival_timestamp=created_seconds,
            event_record={
                "eventID": raw["eventID"],
                "eventName": raw["eventName"],
                "eventVersion": raw.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": self._config.stream_arn.split(":")[3],
                "dynamodb": change,
                "eventSourceARN": self._config.stream_arn,
            },
        )

    def event(self, records: Sequence[ShardRecord]) -> dict[str, Any]:
        return {
            "Records": [record.event_record for record in records if isinstance(record, DynamoDBStreamRecord)]
        }


@dataclass(frozen=True)
class InvocationOutcome:
    """How one invocation ended, as the event source mapping reads the function's answer."""

    request_id: str
    # Index in the batch of the first record to retry; None when every record succeeded.
    retry_from: int | None
    function_error: bool

    @property
    def succeeded(self) -> bool:
        return self.retry_from is None


def read_response(response: Any, records: Sequence[ShardRecord], request_id: str) -> InvocationOutcome:
    """Apply Lambda's rules for a partial batch response to what the handler returned."""
    whole_batch = InvocationOutcome(request_id, retry_from=0, function_error=True)
    if response is None:
        return InvocationOutcome(request_id, retry_from=None, function_error=False)
    if not isinstance(response, dict):
        return whole_batch
    failures = response.get("batchItemFailures")
    if not failures:
        return InvocationOutcome(request_id, retry_from=None, function_error=False)
    if not isinstance(failures, list):
        return whole_batch
    position = {record.sequence_number: index for index, record in enumerate(records)}
    failed_positions = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in position:
            return whole_batch
        failed_positions.append(position[identifier])
    return InvocationOutcome(request_id, retry_from=min(failed_positions), function_error=False)


@dataclass
class _PendingBatch:
    records: list[ShardRecord]
    invoke_count: int = 0
    retries: int = 0


class ShardProcessor:
    """Invokes the handler for the batches of one shard, one batch at a time, until each is done."""

    def __init__(
        self,
        config: EventSourceMappingConfig,
        handler: Handler,
        sqs: "SQSClient",
        stop_event: threading.Event,
        invocation_lock: threading.Lock,
        reader: StreamReader,
        clock: Clock = time.time,
        faults: InvocationFaults | None = None,
    ) -> None:
        self._config = config
        self._handler = handler
        self._sqs = sqs
        self._reader = reader
        self._stop = stop_event
        self._invocation_lock = invocation_lock
        self._clock = clock
        self._faults = faults

    def process(self, records: list[ShardRecord]) -> None:
        """Return once every record succeeded or was discarded (or the mapping is stopping)."""
        work = [_PendingBatch(records)]
        while work and not self._stop.is_set():
            batch = work.pop(0)
            batch.records = self._discard_expired(batch)
            if not batch.records:
                continue
            outcome = self._invoke(batch.records)
            batch.invoke_count += 1
            if outcome.succeeded:
                if self._faults is not None and self._faults.redeliver():
                    work.insert(0, _PendingBatch(batch.records, batch.invoke_count, batch.retries))
                continue
            failed = batch.records[outcome.retry_from :]
            if outcome.function_error and self._config.bisect_batch_on_function_error and len(failed) > 1:
                half = len(failed) // 2
                work[0:0] = [
                    _PendingBatch(failed[:half], batch.invoke_count, batch.retries),
                    _PendingBatch(failed[half:], batch.invoke_count, batch.retries),
                ]
            elif self._retries_left(batch):
                work.insert(0, _PendingBatch(failed, batch.invoke_count, batch.retries + 1))
                self._stop.wait(
                    min(RETRY_MAXIMUM_DELAY_SECONDS, RETRY_FIRST_DELAY_SECONDS * 2 ** min(batch.retries, 16))
                )
            else:
                self._send_on_failure(failed, "RetryAttemptsExhausted", batch.invoke_count, outcome)

    def _retries_left(self, batch: _PendingBatch) -> bool:
        maximum = self._config.maximum_retry_attempts
        return maximum == -1 or batch.retries < maximum

    def _discard_expired(self, batch: _PendingBatch) -> list[ShardRecord]:
        """Drop (and report) the records older than the maximum record age; they come first in a shard."""
        maximum_age = self._config.maximum_record_age_seconds
        if maximum_age == -1:
            return batch.records
        oldest_allowed = self._clock() - maximum_age
        expired = [r for r in batch.records if r.approximate_arrival_timestamp < oldest_allowed]
        if expired:
            self._send_on_failure(expired, "RecordAgeExceeded", batch.invoke_count, None)
        return batch.records[len(expired) :]

    def _invoke(self, records: list[ShardRecord]) -> InvocationOutcome:
        context = LambdaContext(
            function_name=self._config.function_name,
            invoked_function_arn=self._config.function_arn,
            memory_limit_in_mb=self._config.function_memory_mb,
            timeout_seconds=self._config.function_timeout_seconds,
        )
        event = self._reader.event(records)
        with self._invocation_lock:
            started = time.monotonic()
            handler, faults = self._handler, self._faults
            # Kills and hangs need a process of the function's own to land on.
            injected = None
            if isinstance(handler, ExecutionEnvironment) and faults is not None:
                injected = faults.interruption()
            try:
                if isinstance(handler, ExecutionEnvironment) and injected is not None:
                    response = handler(event, context, injected[1])
                else:
                    response = handler(event, context)
            except Exception as error:
                interrupted = isinstance(error, FunctionError) and error.interrupted
                if faults is not None and injected is not None and interrupted:
                    faults.landed(injected[0])
                logger.error(
                    "%s failed on %d records of %s: %s",
                    self._config.function_name,
                    len(records),
                    records[0].shard_id,
                    error,
                    # A function's own error carries its traceback already; anything else is ours.
                    exc_info=not isinstance(error, FunctionError),
                )
                return InvocationOutcome(context.aws_request_id, retry_from=0, function_error=True)
            duration = time.monotonic() - started
        if self._faults is not None:
            self._faults.timed(duration)
        if duration > self._config.function_timeout_seconds:
            logger.error(
                "%s timed out after %ss", self._config.function_name, self._config.function_timeout_seconds
            )
            return InvocationOutcome(context.aws_request_id, retry_from=0, function_error=True)
        outcome = read_response(response, records, context.aws_request_id)
        if not outcome.succeeded:
            logger.warning(
                "%s reported failures in %s from record %d of %d",
                self._config.function_name,
                records[0].shard_id,
                outcome.retry_from,
                len(records),
            )
        return outcome

    def _send_on_failure(
        self,
        records: list[ShardRecord],
        condition: Literal["RetryAttemptsExhausted", "RecordAgeExceeded"],
        invoke_count: int,
        last_outcome: InvocationOutcome | None,
    ) -> None:
        message = on_failure_record(
            self._config,
            records,
            condition,
            invoke_count,
            last_outcome,
            self._clock(),
            self._reader.batch_info_key,
        )
        queue_url = self._config.on_failure_queue_url
        logger.error(
            "discarding %d records of %s (%s): %s",
            len(records),
            records[0].shard_id,
            condition,
            "sent to the failure queue" if queue_url else json.dumps(message),
        )
        while queue_url is not None and not self._stop.is_set():
            try:
                self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
                return
            except (BotoCoreError, ClientError):
                logger.exception("cannot send the on-failure record; trying again")
                self._stop.wait(ERROR_BACKOFF_SECONDS)


def on_failure_record(
    config: EventSourceMappingConfig,
    records: list[ShardRecord],
    condition: Literal["RetryAttemptsExhausted", "RecordAgeExceeded"],
    invoke_count: int,
    last_outcome: InvocationOutcome | None,
    now: float,
    batch_info_key: str = KinesisReader.batch_info_key,
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination for discarded stream records."""
    response_context: dict[str, Any] = {}
    if last_outcome is not None:
        response_context = {"statusCode": 200, "executedVersion": "$LATEST"}
        if last_outcome.function_error:
            response_context["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": last_outcome.request_id if last_outcome else str(uuid.uuid4()),
            "functionArn": config.function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response_context,
        "version": "1.0",
        "timestamp": _iso_timestamp(now),
        batch_info_key: {
            "shardId": records[0].shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": _iso_timestamp(records[0].approximate_arrival_timestamp),
            "approximateArrivalOfLastRecord": _iso_timestamp(records[-1].approximate_arrival_timestamp),
            "batchSize": len(records),
            "streamArn": config.stream_arn,
        },
    }


def _iso_timestamp(epoch_seconds: float) -> str:
    return (
        datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class StreamWrites:
    """Counts the writes to a stream that the emulator signals (`MotoServer(on_stream_put=...)`), so
    that a pushed shard's reader waits for the next one instead of reading an empty shard again and
    again."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    def note(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait_past(self, count: int, timeout_seconds: float) -> None:
        """Return once a write after the `count`th is noted, or after `timeout_seconds`."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != count, timeout_seconds)


class ShardPoller(threading.Thread):
    """Reads one shard and hands full (or timed-out) batches to its processor, in order."""

    def __init__(
        self,
        config: EventSourceMappingConfig,
        shard_id: str,
        reader: StreamReader,
        processor: ShardProcessor,
        stop_event: threading.Event,
        stream_writes: StreamWrites | None = None,
    ) -> None:
        super().__init__(name=f"esm-{config.function_name}-{shard_id}", daemon=True)
        self._config = config
        self._shard_id = shard_id
        self._reader = reader
        self._processor = processor
        self._stop_event = stop_event
        self._stream_writes = stream_writes
        self._last_sequence_number: str | None = None

    def run(self) -> None:
        try:
            self._poll()
        except Exception:
            logger.exception("the poller of %s failed: its records are no longer consumed", self._shard_id)

    def _poll(self) -> None:
        iterator: str | None = None
        buffer: list[ShardRecord] = []
        first_buffered_at = 0.0
        last_poll = 0.0
        interval = self._config.read_interval_seconds
        pushed = self._config.stream_consumer_arn is not None
        while not self._stop_event.is_set():
            if self._stop_event.wait(max(0.0, last_poll + interval - time.monotonic())):
                return
            last_poll = time.monotonic()
            writes_before_read = self._stream_writes.count if self._stream_writes is not None else 0
            try:
                if iterator is None:
                    iterator = self._reader.shard_iterator(self._shard_id, self._last_sequence_number)
                records, iterator = self._reader.get_records(
                    self._shard_id, iterator, min(GET_RECORDS_LIMIT, self._config.batch_size - len(buffer))
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ExpiredIteratorException":
                    logger.warning("GetRecords failed on %s: %s", self._shard_id, error)
                iterator = None
                continue
            except BotoCoreError as error:
                logger.warning("GetRecords failed on %s: %s", self._shard_id, error)
                self._stop_event.wait(ERROR_BACKOFF_SECONDS)
                continue
            if records:
                if not buffer:
                    first_buffered_at = time.monotonic()
                buffer.extend(records)
                self._last_sequence_number = records[-1].sequence_number
                if pushed:
                    last_poll = 0.0  # a push delivers the next records as soon as they are there
            elif pushed and self._stream_writes is not None and not buffer:
                self._stream_writes.wait_past(writes_before_read, ENHANCED_FAN_OUT_IDLE_READ_INTERVAL_SECONDS)
            shard_closed = iterator is None
            window_passed = time.monotonic() - first_buffered_at >= self._config.batching_window_seconds
            if buffer and (len(buffer) >= self._config.batch_size or window_passed or shard_closed):
                self._processor.process(buffer)
                buffer = []
            if shard_closed:
                logger.info("shard %s is closed; its poller ends", self._shard_id)
                return


class EventSourceMapping:
    """Polls every shard of a stream in its own thread and invokes the handler with its batches."""

    def __init__(
        self,
        config: EventSourceMappingConfig,
        handler: Handler | str,
        reader: StreamReader,
        sqs: "SQSClient",
        clock: Clock = time.time,
        function_output: OutputSink = write_to_stdout,
        faults: FaultSpec | None = None,
        stream_writes: StreamWrites | None = None,
    ) -> None:
        """`handler`: a dotted path (an execution environment per shard) or a callable (this process).

        `function_output` gets what the function writes in its execution environments (its log).
        `faults`: Lambda's faults to inject (kills and timeouts need execution environments); how many
        were injected is in `fault_counts`. `stream_writes`: the writes to the stream that the emulator
        signals, which an enhanced fan-out mapping waits for once its shards are read to their end.
        """
        self._config = config
        self._handler = handler
        self._reader = reader
        self._function_output = function_output
        self._faults = faults if faults is not None and faults.injects_any(MAPPING_KINDS) else None
        self.fault_counts = FaultCounts()
        self._sqs = sqs
        self._clock = clock
        self._stop = threading.Event()
        self._stream_writes = stream_writes
        self._invocation_lock = threading.Lock()
        self._pollers: list[ShardPoller] = []
        self._environments: list[ExecutionEnvironment] = []

    def _handler_for_shard(self) -> tuple[Handler, threading.Lock]:
        if isinstance(self._handler, str):
            environment = ExecutionEnvironment(
                self._handler, self._config.function_timeout_seconds, self._function_output
            )
            self._environments.append(environment)
            return environment, threading.Lock()
        return self._handler, self._invocation_lock

    def start(self) -> None:
        shard_ids = self._reader.shard_ids()
        for shard_id in shard_ids:
            handler, invocation_lock = self._handler_for_shard()
            faults = None
            if self._faults is not None:
                faults = InvocationFaults(self._faults, f"mapping:{shard_id}", self.fault_counts)
            processor = ShardProcessor(
                self._config,
                handler,
                self._sqs,
                self._stop,
                invocation_lock,
                self._reader,
                self._clock,
                faults,
            )
            poller = ShardPoller(
                self._config, shard_id, self._reader, processor, self._stop, self._stream_writes
            )
            poller.start()
            self._pollers.append(poller)
        logger.info("event source mapping polls %d shards of %s", len(shard_ids), self._config.stream_arn)

    def stop(self, timeout_seconds: float = 5.0) -> None:
        """Ask every poller to stop and wait for them; a batch being invoked finishes first."""
        self._stop.set()
        if self._stream_writes is not None:
            self._stream_writes.note()  # wakes the pollers waiting for writes, to see the stop
        deadline = time.monotonic() + timeout_seconds
        for poller in self._pollers:
            poller.join(max(0.0, deadline - time.monotonic()))
        stuck = [poller.name for poller in self._pollers if poller.is_alive()]
        if stuck:
            logger.warning("pollers still busy after %ss: %s", timeout_seconds, ", ".join(stuck))
        for environment in self._environments:
            environment.close()

    def __enter__(self) -> "EventSourceMapping":
        self.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()


class KinesisEventSourceMapping(EventSourceMapping):
    """The event source mapping of a Kinesis data stream (the consumer's)."""

    def __init__(
        self,
        config: EventSourceMappingConfig,
        handler: Handler | str,
        kinesis: "KinesisClient",
        sqs: "SQSClient",
        clock: Clock = time.time,
        function_output: OutputSink = write_to_stdout,
        faults: FaultSpec | None = None,
        stream_writes: StreamWrites | None = None,
    ) -> None:
        reader = KinesisReader(config, kinesis)
        super().__init__(config, handler, reader, sqs, clock, function_output, faults, stream_writes)


class DynamoDBStreamEventSourceMapping(EventSourceMapping):
    """The event source mapping of a DynamoDB table's stream (the push function's)."""

    def __init__(
        self,
        config: EventSourceMappingConfig,
        handler: Handler | str,
        streams: "DynamoDBStreamsClient",
        sqs: "SQSClient",
        clock: Clock = time.time,
        function_output: OutputSink = write_to_stdout,
    ) -> None:
        super().__init__(config, handler, DynamoDBStreamReader(config, streams), sqs, clock, function_output)
