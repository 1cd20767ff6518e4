"""The local event source mapping against a Kinesis stream and an SQS queue on the emulator."""

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import KinesisDataStreamModel

from busgps.local import event_source
from busgps.local.config import load_environment_settings
from busgps.local.emulator import MotoServer
from busgps.local.event_source import (
    MINIMUM_POLL_INTERVAL_SECONDS,
    EventSourceMappingConfig,
    KinesisEventSourceMapping,
    StreamWrites,
)
from busgps.local.faults import FaultSpec
from support import faulty_handler, invocation_log, slow_handler

pytestmark = pytest.mark.integration

# The two halves of a two-shard stream's hash key range.
FIRST_SHARD_HASH_KEY = "0"
SECOND_SHARD_HASH_KEY = str(2**127 + 1)


class RecordingHandler:
    """A consumer that records every batch it is given and answers as `answer` decides."""

    def __init__(self, answer: Callable[[list[bytes], list[str], int], Any] | None = None) -> None:
        self.batches: list[list[bytes]] = []
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self._answer = answer or (lambda data, sequence_numbers, call: {"batchItemFailures": []})
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        records = [json.loads(json.dumps(r)) for r in event["Records"]]
        data = [
            KinesisDataStreamModel.model_validate({"Records": [r]}).Records[0].kinesis.data for r in records
        ]
        sequence_numbers = [r["kinesis"]["sequenceNumber"] for r in records]
        with self._lock:
            self.batches.append(data)
            self.events.append(event)
            self.contexts.append(context)
            call = len(self.batches)
        return self._answer(data, sequence_numbers, call)

    def all_data(self) -> list[bytes]:
        return [item for batch in self.batches for item in batch]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def stream(moto_endpoint: str) -> Iterator[tuple[str, str]]:
    """A fresh two-shard stream: (name, ARN)."""
    kinesis = boto3.client("kinesis")
    name = f"esm-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    yield name, arn
    kinesis.delete_stream(StreamName=name)


@pytest.fixture
def failure_queue(moto_endpoint: str) -> Iterator[str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"esm-failures-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def config(stream: tuple[str, str], failure_queue: str) -> EventSourceMappingConfig:
    return EventSourceMappingConfig(
        stream_arn=stream[1],
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:busgps-test-consumer",
        invoke_identity_arn="arn:aws:iam::123456789012:role/busgps-test-consumer",
        on_failure_queue_url=failure_queue,
        batch_size=10,
        batching_window_seconds=0,
        maximum_retry_attempts=2,
        maximum_record_age_seconds=-1,
        bisect_batch_on_function_error=False,
        starting_position="TRIM_HORIZON",
    )


def put(stream_name: str, *payloads: str, hash_key: str = FIRST_SHARD_HASH_KEY) -> list[str]:
    kinesis = boto3.client("kinesis")
    return [
        kinesis.put_record(
            StreamName=stream_name, Data=payload.encode(), PartitionKey="bus-1", ExplicitHashKey=hash_key
        )["SequenceNumber"]
        for payload in payloads
    ]


def mapping(
    config: EventSourceMappingConfig, handler: RecordingHandler, clock: Callable[[], float] = time.time
) -> KinesisEventSourceMapping:
    return KinesisEventSourceMapping(config, handler, boto3.client("kinesis"), boto3.client("sqs"), clock)


def failure_records(queue_url: str, expected: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received


def test_the_handler_gets_the_exact_kinesis_event_and_a_lambda_context(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given a record on the stream
    [sequence_number] = put(stream[0], '{"busId": "bus-1"}')
    handler = RecordingHandler()

    # When the mapping delivers it
    with mapping(config, handler):
        wait_until(lambda: len(handler.batches) == 1)

    # Then the event is Lambda's Kinesis event, field for field
    [record] = handler.events[0]["Records"]
    assert set(record) == {
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    }
    assert record["eventID"] == f"shardId-000000000000:{sequence_number}"
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventSourceARN"] == stream[1]
    assert record["awsRegion"] == "us-east-1"
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["kinesis"]["partitionKey"] == "bus-1"
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
    assert abs(record["kinesis"]["approximateArrivalTimestamp"] - time.time()) < 60
    assert handler.batches == [[b'{"busId": "bus-1"}']]
    # And the context answers what handlers and Powertools ask of it
    context = handler.contexts[0]
    assert context.invoked_function_arn == config.function_arn
    assert context.function_name == "busgps-test-consumer"
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert context.aws_request_id


def test_batches_of_a_shard_arrive_in_order_and_no_larger_than_the_batch_size(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given 25 records on one shard
    payloads = [f"position-{index}" for index in range(25)]
    put(stream[0], *payloads)
    handler = RecordingHandler()

    # When the mapping delivers them with a batch size of 10
    with mapping(config, handler):
        wait_until(lambda: len(handler.all_data()) == 25)

    # Then every record came once, in order, in batches of at most 10
    assert [item.decode() for item in handler.all_data()] == payloads
    assert all(1 <= len(batch) <= 10 for batch in handler.batches)


def test_the_batching_window_gathers_records_that_arrive_within_it(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given a mapping whose batches hold 3 records, with Lambda's longest batching window (5 minutes,
    # which no test outlasts: only a full batch can be invoked)
    handler = RecordingHandler()
    with mapping(replace(config, batch_size=3, batching_window_seconds=300), handler):
        # When three records arrive one after another, the first ones read before the last arrive
        for index in range(3):
            put(stream[0], f"position-{index}")
        wait_until(lambda: len(handler.all_data()) == 3)

    # Then the handler got them in one batch, in order
    assert handler.batches == [[b"position-0", b"position-1", b"position-2"]]


def register_consumer(stream_arn: str) -> str:
    kinesis = boto3.client("kinesis")
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="busgps-test-consumer")
    return consumer["Consumer"]["ConsumerARN"]


def test_with_enhanced_fan_out_each_record_is_delivered_as_it_arrives(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given a mapping that reads through a stream consumer (enhanced fan-out), with no batching
    # window and room for ten records a batch
    pushed = replace(config, stream_consumer_arn=register_consumer(stream[1]))
    handler = RecordingHandler()
    with mapping(pushed, handler):
        # When records arrive one at a time, each only once the one before was handled
        for index in range(3):
            put(stream[0], f"position-{index}")
            wait_until(lambda: len(handler.all_data()) == index + 1)  # noqa: B023 - awaited here

    # Then each was invoked on its own, without waiting for a window or a fuller batch, in order
    assert handler.batches == [[b"position-0"], [b"position-1"], [b"position-2"]]
    # And the shard is read more often than a polling mapping may (5 GetRecords a second a shard)
    assert pushed.read_interval_seconds < MINIMUM_POLL_INTERVAL_SECONDS <= config.read_interval_seconds


def test_an_idle_pushed_shard_waits_for_the_emulator_s_next_put_instead_of_reading_again(
    config: EventSourceMappingConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an emulator of its own that signals each put on a stream to `writes`, with a two-shard
    # stream, and an enhanced fan-out mapping told of those signals, whose reads are counted, and
    # whose idle shards would wait a minute before reading again unless a put is signalled
    monkeypatch.setattr(event_source, "ENHANCED_FAN_OUT_IDLE_READ_INTERVAL_SECONDS", 60.0)
    writes = StreamWrites()
    with MotoServer(on_stream_put=writes.note) as emulator:
        kinesis = boto3.client("kinesis", endpoint_url=emulator.endpoint_url)
        kinesis.create_stream(StreamName="signalled", ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName="signalled", WaiterConfig={"Delay": 1})
        stream_arn = kinesis.describe_stream_summary(StreamName="signalled")["StreamDescriptionSummary"][
            "StreamARN"
        ]
        consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="busgps-test-consumer")
        pushed = replace(
            config, stream_arn=stream_arn, stream_consumer_arn=consumer["Consumer"]["ConsumerARN"]
        )
        reads: list[float] = []
        kinesis.meta.events.register(
            "before-call.kinesis.GetRecords", lambda **_: reads.append(time.monotonic())
        )
        handler = RecordingHandler()
        with KinesisEventSourceMapping(pushed, handler, kinesis, boto3.client("sqs"), stream_writes=writes):
            wait_until(lambda: len(reads) >= 2)  # each shard read, and found empty
            # When nothing is put for a second
            before_idle = len(reads)
            time.sleep(1.0)
            idle_reads = len(reads) - before_idle
            # And then a record is put by a client of its own, as a device's batch or a bench would
            boto3.client("kinesis", endpoint_url=emulator.endpoint_url).put_record(
                StreamName="signalled",
                Data=b"position-0",
                PartitionKey="bus-1",
                ExplicitHashKey=FIRST_SHARD_HASH_KEY,
            )
            # Then its record is handed to the function long before the shard's next idle read
            wait_until(lambda: handler.all_data() == [b"position-0"], timeout=30.0)
            signalled = writes.count

    # And the idle shards were not read again, not every 50 ms (20 reads a shard)
    assert idle_reads == 0
    # And the put alone was signalled: no other call is
    assert signalled == 1


def test_a_noted_write_wakes_whoever_waits_for_the_next_one() -> None:
    # Given a waiter for the write after the ones noted so far
    writes = StreamWrites()
    noted_so_far = writes.count
    woken = threading.Event()

    def wait() -> None:
        writes.wait_past(noted_so_far, timeout_seconds=60)
        woken.set()

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()

    # When a write is noted
    writes.note()

    # Then the waiter returns long before its timeout, and the write is counted
    assert woken.wait(30)
    assert writes.count == 1


def test_enhanced_fan_out_reads_only_through_a_consumer_of_the_mappings_stream(
    moto_endpoint: str, stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given the local settings with enhanced fan-out on
    settings = load_environment_settings().model_copy(update={"consumer_enhanced_fan_out": True})
    names = {
        "stream_arn": stream[1],
        "function_arn": config.function_arn,
        "invoke_identity_arn": config.invoke_identity_arn,
        "on_failure_queue_url": "queue",
    }
    # When a mapping is made from them without a stream consumer, Then it is refused
    with pytest.raises(ValueError, match="no consumer"):
        EventSourceMappingConfig.from_settings(settings, **names)
    # And with one, it reads through it; with the setting off, it polls the stream
    consumer_arn = register_consumer(stream[1])
    assert (
        EventSourceMappingConfig.from_settings(settings, **names, stream_consumer_arn=consumer_arn)
    ).stream_consumer_arn == consumer_arn
    polling = settings.model_copy(update={"consumer_enhanced_fan_out": False})
    assert (
        EventSourceMappingConfig.from_settings(
            polling, **names, stream_consumer_arn=consumer_arn
        ).stream_consumer_arn
        is None
    )
    # And a consumer of another stream is refused when the mapping starts
    kinesis = boto3.client("kinesis")
    other = f"esm-other-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=other, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=other, WaiterConfig={"Delay": 1})
    other_arn = kinesis.describe_stream_summary(StreamName=other)["StreamDescriptionSummary"]["StreamARN"]
    try:
        wrong = replace(config, stream_consumer_arn=register_consumer(other_arn))
        with pytest.raises(ValueError, match="is not a consumer of"):
            mapping(wrong, RecordingHandler()).start()
    finally:
        kinesis.delete_stream(StreamName=other)


def test_reported_failures_are_retried_from_the_lowest_failed_sequence_number(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given a consumer that fails records 7 and 4 the first time only
    sequence_numbers = put(stream[0], *[f"position-{index}" for index in range(10)])

    def answer(data: list[bytes], numbers: list[str], call: int) -> Any:
        if call == 1:
            return {"batchItemFailures": [{"itemIdentifier": numbers[7]}, {"itemIdentifier": numbers[4]}]}
        return {"batchItemFailures": []}

    handler = RecordingHandler(answer)

    # When the mapping delivers the ten records
    with mapping(config, handler):
        wait_until(lambda: len(handler.batches) == 2)
        time.sleep(0.5)

    # Then the retry starts at record 4, the lowest failure, and nothing after it is skipped
    assert len(handler.batches) == 2
    assert [item.decode() for item in handler.batches[1]] == [f"position-{index}" for index in range(4, 10)]
    retried = [r["kinesis"]["sequenceNumber"] for r in handler.events[1]["Records"]]
    assert retried == sequence_numbers[4:]


@pytest.mark.parametrize(
    "bad_answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {
            "batchItemFailures": [
                {"itemIdentifier": "49999999999999999999999999999999999999999999999999999999"}
            ]
        },
        {"batchItemFailures": [{"sequenceNumber": "1"}]},
    ],
    ids=["empty", "null", "not-in-batch", "bad-key"],
)
def test_an_unusable_item_identifier_fails_the_whole_batch(
    stream: tuple[str, str], config: EventSourceMappingConfig, bad_answer: dict[str, Any]
) -> None:
    # Given a consumer whose first answer names no record of the batch
    put(stream[0], "position-0", "position-1", "position-2")
    handler = RecordingHandler(lambda data, numbers, call: bad_answer if call == 1 else None)

    # When the mapping delivers the batch
    with mapping(config, handler):
        wait_until(lambda: len(handler.batches) == 2)

    # Then the whole batch is retried
    assert handler.batches[1] == handler.batches[0] == [b"position-0", b"position-1", b"position-2"]


def test_exhausted_retries_send_the_on_failure_record_and_the_shard_moves_on(
    stream: tuple[str, str], config: EventSourceMappingConfig, failure_queue: str
) -> None:
    # Given a consumer that always fails on a poison record, and two retries allowed
    sequence_numbers = put(stream[0], "poison-0", "poison-1", "poison-2")

    def answer(data: list[bytes], numbers: list[str], call: int) -> Any:
        if any(item.startswith(b"poison") for item in data):
            raise RuntimeError("cannot store this batch")
        return None

    handler = RecordingHandler(answer)

    # When the mapping delivers them, then a good record after them
    with mapping(config, handler):
        [record] = failure_records(failure_queue, 1)
        put(stream[0], "good")
        wait_until(lambda: b"good" in handler.all_data())

    # Then the batch was tried once and retried twice, whole
    assert handler.batches[:3] == [[b"poison-0", b"poison-1", b"poison-2"]] * 3
    # And Lambda's on-failure record describes the discarded records
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["functionArn"] == config.function_arn
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == "shardId-000000000000"
    assert info["startSequenceNumber"] == sequence_numbers[0]
    assert info["endSequenceNumber"] == sequence_numbers[-1]
    assert info["batchSize"] == 3
    assert info["streamArn"] == stream[1]
    assert info["approximateArrivalOfFirstRecord"] <= info["approximateArrivalOfLastRecord"]
    # And the good record after them was delivered once, on its own
    assert handler.batches[3:] == [[b"good"]]


def test_bisect_on_error_isolates_the_bad_record_without_using_retries(
    stream: tuple[str, str], config: EventSourceMappingConfig, failure_queue: str
) -> None:
    # Given a batch of four records, the third poisonous, with bisect on and one retry
    sequence_numbers = put(stream[0], "good-0", "good-1", "poison-2", "good-3")

    def answer(data: list[bytes], numbers: list[str], call: int) -> Any:
        if b"poison-2" in data:
            raise RuntimeError("cannot store this batch")
        return None

    handler = RecordingHandler(answer)
    bisecting = replace(config, bisect_batch_on_function_error=True, maximum_retry_attempts=1)

    # When the mapping delivers them
    with mapping(bisecting, handler):
        [record] = failure_records(failure_queue, 1)
        wait_until(lambda: b"good-3" in handler.all_data())

    # Then the batch is halved until the poison record is alone, which alone uses the retry
    assert handler.batches == [
        [b"good-0", b"good-1", b"poison-2", b"good-3"],
        [b"good-0", b"good-1"],
        [b"poison-2", b"good-3"],
        [b"poison-2"],
        [b"poison-2"],
        [b"good-3"],
    ]
    # And only the poison record is reported as discarded
    assert record["KinesisBatchInfo"]["batchSize"] == 1
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == sequence_numbers[2]
    assert record["KinesisBatchInfo"]["endSequenceNumber"] == sequence_numbers[2]
    assert record["requestContext"]["approximateInvokeCount"] == 4


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation(
    stream: tuple[str, str], config: EventSourceMappingConfig, failure_queue: str
) -> None:
    # Given two records, read by a mapping whose clock is two hours ahead of their arrival
    sequence_numbers = put(stream[0], "old-0", "old-1")
    handler = RecordingHandler()
    aged = replace(config, maximum_record_age_seconds=3600)

    # When the mapping reads them
    with mapping(aged, handler, clock=lambda: time.time() + 7200):
        [record] = failure_records(failure_queue, 1)

    # Then the handler never saw them, and the failure queue has them as too old
    assert handler.batches == []
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == sequence_numbers[0]
    assert record["KinesisBatchInfo"]["endSequenceNumber"] == sequence_numbers[1]
    assert record["KinesisBatchInfo"]["batchSize"] == 2


def test_a_retrying_shard_does_not_hold_up_the_other_and_stop_ends_it(
    stream: tuple[str, str], config: EventSourceMappingConfig
) -> None:
    # Given a consumer that fails forever on the first shard's record, with infinite retries
    put(stream[0], "stuck", hash_key=FIRST_SHARD_HASH_KEY)

    def answer(data: list[bytes], numbers: list[str], call: int) -> Any:
        if b"stuck" in data:
            raise RuntimeError("cannot store this batch")
        return None

    handler = RecordingHandler(answer)
    esm = mapping(replace(config, maximum_retry_attempts=-1), handler)
    threads_before = set(threading.enumerate())
    esm.start()
    try:
        # When a record arrives on the second shard
        put(stream[0], "flowing", hash_key=SECOND_SHARD_HASH_KEY)

        # Then it is delivered while the first shard keeps retrying
        wait_until(lambda: b"flowing" in handler.all_data(), timeout=30)
        assert handler.all_data().count(b"stuck") >= 1
        flowing = next(index for index, batch in enumerate(handler.batches) if b"flowing" in batch)
        assert handler.events[flowing]["Records"][0]["eventID"].startswith("shardId-000000000001:")
    finally:
        # And stopping the mapping ends the retrying shard's poller too: no retry loop outlives it
        esm.stop()
        pollers = [
            thread for thread in set(threading.enumerate()) - threads_before if thread.name.startswith("esm-")
        ]
        assert pollers == []


def test_shards_run_in_parallel_in_execution_environments_of_their_own(
    config: EventSourceMappingConfig,
    stream: tuple[str, str],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a consumer named by its path, which notes where it ran and waits until both shards'
    # invocations have started
    log = tmp_path / "invocations.jsonl"
    monkeypatch.setenv(invocation_log.LOG_VARIABLE, str(log))
    monkeypatch.setenv(invocation_log.MEETING_VARIABLE, "2")
    put(stream[0], "first", hash_key=FIRST_SHARD_HASH_KEY)
    put(stream[0], "second", hash_key=SECOND_SHARD_HASH_KEY)
    esm = KinesisEventSourceMapping(
        config, "support.invocation_log.lambda_handler", boto3.client("kinesis"), boto3.client("sqs")
    )
    # When the mapping runs both shards
    with esm:
        wait_until(lambda: log.exists() and len(log.read_text().splitlines()) == 2, timeout=60)
    notes = [json.loads(line) for line in log.read_text().splitlines()]
    # Then each shard ran in a process of its own, not this one, and each invocation met the other
    # while it ran: they ran at the same time
    assert {note["shard"] for note in notes} == {"shardId-000000000000", "shardId-000000000001"}
    assert len({note["pid"] for note in notes} | {os.getpid()}) == 3
    assert [note["met_the_others"] for note in notes] == [True, True]
    assert all(0 < note["remaining_ms"] <= 30_000 for note in notes)


def test_a_killed_execution_environment_costs_a_retry_not_the_records(
    config: EventSourceMappingConfig,
    stream: tuple[str, str],
    failure_queue: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a consumer named by its path whose process is killed (SIGKILL) in its first two invocations
    monkeypatch.setenv(faulty_handler.FAULTS_VARIABLE, str(tmp_path))
    (tmp_path / "1-kill").touch()
    (tmp_path / "2-kill").touch()
    payloads = [f"record-{index}" for index in range(20)]
    put(stream[0], *payloads)
    esm = KinesisEventSourceMapping(
        replace(config, bisect_batch_on_function_error=True),
        "support.faulty_handler.lambda_handler",
        boto3.client("kinesis"),
        boto3.client("sqs"),
    )

    # When the mapping runs
    def delivered() -> list[str]:
        return [data for note in faulty_handler.logged_invocations(tmp_path) for data in note["data"]]

    with esm:
        wait_until(lambda: len(delivered()) >= len(payloads), timeout=60)

    # Then every record reached a live environment once, in order, and nothing was discarded
    assert delivered() == payloads
    assert not list(tmp_path.glob("[0-9]*-kill"))
    assert failure_records(failure_queue, expected=1, timeout=1) == []


def test_injected_kills_timeouts_and_redeliveries_cost_invocations_not_records(
    config: EventSourceMappingConfig,
    stream: tuple[str, str],
    failure_queue: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a consumer that takes half a second an invocation, in its own environment (1.5 s timeout),
    # and a mapping that kills, hangs or redelivers a good share of its invocations
    log = tmp_path / "slow.jsonl"
    monkeypatch.setenv(slow_handler.LOG_VARIABLE, str(log))
    payloads = [f"record-{index}" for index in range(12)]
    put(stream[0], *payloads)
    esm = KinesisEventSourceMapping(
        replace(
            config,
            batch_size=2,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=-1,
            function_timeout_seconds=1.5,
        ),
        "support.slow_handler.lambda_handler",
        boto3.client("kinesis"),
        boto3.client("sqs"),
        faults=FaultSpec.parse("consumer-kill=0.25,consumer-timeout=0.15,redelivery=0.25,seed=2"),
    )

    # When the mapping runs until every record reached the consumer
    def delivered() -> list[str]:
        return [data for note in slow_handler.logged_invocations(log) for data in note["data"]]

    with esm:
        wait_until(lambda: set(delivered()) >= set(payloads), timeout=120)
    injected = esm.fault_counts.snapshot()

    # Then each kind of fault happened, and killed or hung invocations noted nothing
    assert injected.keys() == {"consumer-kill", "consumer-timeout", "redelivery"}
    assert min(injected.values()) > 0
    # And every record was delivered, first in order, the redelivered batches once more
    assert list(dict.fromkeys(delivered())) == payloads
    assert len(delivered()) - len(payloads) >= injected["redelivery"]
    # And no batch was discarded
    assert failure_records(failure_queue, expected=1, timeout=1) == []
