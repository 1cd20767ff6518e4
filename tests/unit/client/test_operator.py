"""The operator commands' own logic: finding the environment, reading queue messages, redrive's rules."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from busgps.client.operator.commands import parse_since
from busgps.client.operator.failures import NotAnOnFailureRecord, parse_on_failure_record
from busgps.client.operator.redrive import Redriver, batch_counts, event_chunks
from busgps.client.operator.rejects import parse_reject
from busgps.client.operator.target import resolve_operator_target
from busgps.client.target import TargetError
from busgps.local.event_source import StreamRecord

LOCAL_STACK = {
    "api_url": "http://127.0.0.1:4010",
    "region": "us-east-1",
    "emulator_endpoint": "http://127.0.0.1:5000",
    "lambda_endpoint": "http://127.0.0.1:5001",
    "invalid_records_queue_url": "http://127.0.0.1:5000/123456789012/busgps-local-invalid-records",
    "consumer_failure_queue_url": "http://127.0.0.1:5000/123456789012/busgps-local-consumer-failures",
    "consumer_function_name": "busgps-local-consumer",
}
DEPLOYED_QUEUE = "https://sqs.eu-west-1.amazonaws.com/210987654321/busgps-production-invalid-records"


@pytest.fixture
def in_a_checkout_with_a_local_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "stack.json").write_text(json.dumps(LOCAL_STACK))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_the_local_stack_names_its_queues_emulator_and_invoke_api():
    # Given a running local stack and nothing else, Then everything comes from its stack file
    target = resolve_operator_target({}, environ={})
    assert target.invalid_records_queue_url == LOCAL_STACK["invalid_records_queue_url"]
    assert (target.aws_endpoint, target.lambda_endpoint) == ("http://127.0.0.1:5000", "http://127.0.0.1:5001")
    assert target.is_local


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_terraform_outputs_name_a_deployed_environment_without_the_local_stack(tmp_path: Path):
    # Given a local stack, and the outputs of a deployed environment
    outputs = {
        "aws_region": {"value": "eu-west-1", "type": "string", "sensitive": False},
        "invalid_records_queue_url": {"value": DEPLOYED_QUEUE},
        "consumer_failure_queue_url": {
            "value": DEPLOYED_QUEUE.replace("invalid-records", "consumer-failures")
        },
    }
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))

    # When the target is resolved from the outputs
    target = resolve_operator_target({"terraform_outputs": outputs_file}, environ={})

    # Then nothing comes from the local stack: AWS's endpoints, the outputs' queues and region
    assert (target.aws_endpoint, target.lambda_endpoint, target.consumer_function_name) == (None, None, None)
    assert target.invalid_records_queue_url == DEPLOYED_QUEUE
    assert target.region == "eu-west-1"


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_a_queue_url_in_the_environment_wins_and_gives_the_region():
    # Given a deployed queue named in the environment (as for the API, a deployed API URL also counts)
    target = resolve_operator_target({}, environ={"BUSGPS_INVALID_RECORDS_QUEUE_URL": DEPLOYED_QUEUE})
    # Then the region is the queue's, and the local stack is not read
    assert (target.invalid_records_queue_url, target.region, target.aws_endpoint) == (
        DEPLOYED_QUEUE,
        "eu-west-1",
        None,
    )
    assert (
        resolve_operator_target({}, environ={"BUSGPS_API_URL": "https://gps.example.com"}).aws_endpoint
        is None
    )


def test_an_unknown_queue_says_every_way_to_name_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given no local stack and nothing named, When the failure queue is needed, Then the error lists the ways
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetError) as error:
        resolve_operator_target({}, environ={}).required("consumer_failure_queue_url")
    for way in ("--consumer-failure-queue-url", "BUSGPS_CONSUMER_FAILURE_QUEUE_URL", "--terraform-outputs"):
        assert way in str(error.value)


def test_since_is_a_duration_back_from_now_or_a_time():
    # Given durations and a time, Then each is the moment it names
    assert abs(parse_since("2h") - (datetime.now(UTC) - timedelta(hours=2))) < timedelta(seconds=5)
    assert abs(parse_since("30m") - (datetime.now(UTC) - timedelta(minutes=30))) < timedelta(seconds=5)
    assert parse_since("2026-12-01T08:00:00Z") == datetime(2026, 12, 1, 8, tzinfo=UTC)


def _message(body: Any) -> dict[str, Any]:
    return {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": json.dumps(body), "Attributes": {}}


def test_a_dead_letter_message_is_read_with_its_reason_bus_and_data():
    # Given a dead-letter message as the consumer sends it
    data = base64.b64encode(b'{"latitude": 200, "longitude": 12.3}').decode()
    record = {
        "shardId": "shardId-000000000001",
        "sequenceNumber": "49" + "0" * 54,
        "partitionKey": "89",
        "approximateArrivalTimestamp": 1796114739.862,
        "data": data,
    }
    reject = parse_reject(_message({"reason": "latitude: too large", "record": record}))
    # Then its reason, bus, arrival and decoded data are there
    assert (reject.reason, reject.bus_id, reject.data) == (
        "latitude: too large",
        "89",
        '{"latitude": 200, "longitude": 12.3}',
    )
    assert reject.arrived_at == datetime.fromtimestamp(1796114739.862, UTC)
    assert reject.to_json()["dataEncoding"] == "text"


def test_data_that_is_not_text_stays_base64():
    record = {"partitionKey": "9", "data": base64.b64encode(b"\xff\xfe").decode()}
    reject = parse_reject(_message({"reason": "not JSON", "record": record}))
    assert (reject.data, reject.to_json()["dataEncoding"]) == ("//4=", "base64")


ON_FAILURE = {
    "requestContext": {
        "requestId": "c9b8fa9f-5a7f-4e48-9d2a-1b0c6f0d3a21",
        "functionArn": "arn:aws:lambda:eu-west-1:210987654321:function:busgps-production-consumer",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 4,
    },
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
    "version": "1.0",
    "timestamp": "2026-12-01T08:46:00.000Z",
    "KinesisBatchInfo": {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": "49" + "0" * 53 + "1",
        "endSequenceNumber": "49" + "0" * 53 + "3",
        "approximateArrivalOfFirstRecord": "2026-12-01T08:45:39.862Z",
        "approximateArrivalOfLastRecord": "2026-12-01T08:45:40.101Z",
        "batchSize": 3,
        "streamArn": "arn:aws:kinesis:eu-west-1:210987654321:stream/busgps-production-positions",
    },
}


def test_an_on_failure_record_is_read_as_lambda_writes_it():
    # Given Lambda's on-failure record of a Kinesis batch, Then its range, cause and stream are read
    batch = parse_on_failure_record(_message(ON_FAILURE))
    assert (batch.shard_id, batch.batch_size, batch.condition, batch.function_error) == (
        "shardId-000000000000",
        3,
        "RetryAttemptsExhausted",
        "Unhandled",
    )
    assert batch.stream_name == "busgps-production-positions"
    assert batch.failed_at == datetime(2026, 12, 1, 8, 46, tzinfo=UTC)
    assert "RetryAttemptsExhausted, function error Unhandled after 4 invocations" in batch.line()


def test_another_message_is_not_taken_for_an_on_failure_record():
    with pytest.raises(NotAnOnFailureRecord):
        parse_on_failure_record(_message({"hello": "world"}))


def test_the_counts_come_from_the_consumers_log_record_in_the_tail():
    # Given a log tail as Lambda frames it, with the consumer's record of the batch and its metrics
    record = {
        "level": "INFO",
        "message": "batch processed",
        "counts": {"received": 3, "written": 2, "invalid": 1},
    }
    tail = f'START RequestId: x\n{json.dumps(record)}\n{{"_aws": {{}}}}\nEND RequestId: x\n'
    # Then the counts are read; a tail without that record says nothing
    assert batch_counts(tail) == {"received": 3, "written": 2, "invalid": 1}
    assert batch_counts("START RequestId: x\nEND RequestId: x\n") is None


def _record(number: int, size: int) -> StreamRecord:
    return StreamRecord("shardId-000000000000", str(number), "17", b"x" * size, 1796114739.0)


def test_events_stay_within_a_synchronous_invocations_payload():
    # Given eight records of 1 MiB, more than one 6 MB Invoke can carry
    records = [_record(number, 1024 * 1024) for number in range(8)]
    # When they are cut into events
    chunks = list(event_chunks(records))
    # Then every record is in one event, in order, and no event is over the limit
    assert [record for chunk in chunks for record in chunk] == records
    assert len(chunks) > 1
    assert all(
        sum(len(record.data) * 4 // 3 + 1024 for record in chunk) <= 6 * 1024 * 1024 for chunk in chunks
    )


class _Stream:
    """A shard holding records 1 to 5 of the on-failure record's stream, as GetRecords returns them."""

    def __init__(self, first: int = 1) -> None:
        base = int(ON_FAILURE["KinesisBatchInfo"]["startSequenceNumber"]) - 1
        self.records = [
            {
                "SequenceNumber": str(base + number),
                "PartitionKey": "17",
                "Data": json.dumps({"latitude": number, "longitude": 1}).encode(),
                "ApproximateArrivalTimestamp": datetime(2026, 12, 1, 8, 45, number, tzinfo=UTC),
            }
            for number in range(first, 6)
        ]

    def get_shard_iterator(self, **request: Any) -> dict[str, Any]:
        return {"ShardIterator": request["StartingSequenceNumber"]}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        found = [record for record in self.records if int(record["SequenceNumber"]) >= int(ShardIterator)]
        return {"Records": found, "NextShardIterator": "end", "MillisBehindLatest": 0}


class _Consumer:
    """Lambda's Invoke: answers each invocation with the next of `answers` (function error or counts)."""

    def __init__(self, *answers: dict[str, int] | None) -> None:
        self.answers = list(answers)
        self.events: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.events.append(json.loads(request["Payload"]))
        counts = self.answers.pop(0)
        response: dict[str, Any] = {"ResponseMetadata": {"RequestId": "r"}, "StatusCode": 200}
        if counts is None:
            payload = {"errorType": "ClientError", "errorMessage": "table not found"}
            return {**response, "FunctionError": "Unhandled", "Payload": _Payload(payload)}
        log = json.dumps({"level": "INFO", "message": "batch processed", "counts": counts})
        return {
            **response,
            "Payload": _Payload({"batchItemFailures": []}),
            "LogResult": base64.b64encode(f"START\n{log}\nEND\n".encode()).decode(),
        }


class _Payload:
    def __init__(self, value: Any) -> None:
        self._body = json.dumps(value).encode()

    def read(self) -> bytes:
        return self._body


def test_a_batch_is_redriven_with_the_exact_event_and_retried_after_a_function_error():
    # Given the on-failure record of records 1 to 3, and a consumer that fails once, then stores them
    batch = parse_on_failure_record(_message(ON_FAILURE))
    consumer = _Consumer(None, {"received": 3, "written": 3})
    redriver = Redriver(_Stream(), consumer, "arn:aws:iam::210987654321:user/operator", sleep=lambda _: None)  # type: ignore[arg-type]

    # When it is redriven
    outcome = redriver.redrive(batch)

    # Then it was processed on the second attempt, and its three positions stored
    assert (outcome.processed, outcome.records_read, outcome.stored, outcome.problem) == (True, 3, 3, None)
    # And the consumer got the range's records, as Lambda's event source mapping sends them
    records = consumer.events[-1]["Records"]
    assert [record["kinesis"]["sequenceNumber"] for record in records] == [
        batch.start_sequence_number,
        str(int(batch.start_sequence_number) + 1),
        batch.end_sequence_number,
    ]
    assert records[0]["eventID"] == f"{batch.shard_id}:{batch.start_sequence_number}"
    assert records[0]["eventSourceARN"] == batch.stream_arn
    assert records[0]["invokeIdentityArn"] == "arn:aws:iam::210987654321:user/operator"


def test_records_past_the_retention_keep_the_entry():
    # Given a stream that lost the range's first record (past its retention)
    batch = parse_on_failure_record(_message(ON_FAILURE))
    consumer = _Consumer({"received": 2, "written": 2})
    redriver = Redriver(
        _Stream(first=2), consumer, "arn:aws:iam::210987654321:user/operator", sleep=lambda _: None
    )  # type: ignore[arg-type]

    # When it is redriven, Then what is left is stored, but the entry is not done
    outcome = redriver.redrive(batch)
    assert (outcome.processed, outcome.records_read, outcome.stored) == (False, 2, 2)
    assert outcome.problem == "1 of its 3 records are no longer in the stream (past its retention period)"
