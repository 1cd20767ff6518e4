"""Throttling and UnprocessedItems injected into the DynamoDB calls of the consumer.

Whatever the faults, every position ends up either written or reported failed, never dropped.
"""

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from busgps.dal.clients import dynamodb_client
from busgps.handlers import consumer
from support.events import LambdaContext, kinesis_event, kinesis_record
from support.resources import Resources, kept_fixes

Fault = Callable[[int, dict[str, Any]], dict[str, Any] | None]


def _error(code: str) -> tuple[AWSResponse, dict[str, Any]]:
    response = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, {}, None)  # type: ignore[arg-type]
    return response, {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }


def _success(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    response = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 200, {}, None)  # type: ignore[arg-type]
    return response, {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}


def _from_wire(request: dict[str, Any]) -> dict[str, Any]:
    """A put request as read off the wire, for boto3 to send again: binary values are base64 there."""
    item = request["PutRequest"]["Item"]
    return {
        "PutRequest": {
            "Item": {
                name: {"B": base64.b64decode(value["B"])} if "B" in value else value
                for name, value in item.items()
            }
        }
    }


class FaultInjector:
    """Answers some DynamoDB calls itself, before they are sent, as a throttled or busy AWS would."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self._direct = boto3.Session().client("dynamodb")  # not the consumer's client: no faults
        self.throttle: Callable[[str, int], bool] = lambda operation, call: False
        self.leave_unprocessed: Callable[[int], bool] = lambda call: False

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        operation = model.name
        call = self.calls[operation] = self.calls.get(operation, 0) + 1
        if self.throttle(operation, call):
            return _error("ProvisionedThroughputExceededException")
        if operation == "BatchWriteItem" and self.leave_unprocessed(call):
            request_items = json.loads(params["body"])["RequestItems"]
            (table, requests), *_ = request_items.items()
            half = len(requests) // 2
            if requests[:half]:
                self._direct.batch_write_item(
                    RequestItems={table: [_from_wire(request) for request in requests[:half]]}
                )
            return _success(
                {"UnprocessedItems": {table: [_from_wire(request) for request in requests[half:]]}}
            )
        return None


@pytest.fixture
def faults(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    monkeypatch.setattr("busgps.dal.retry.random.uniform", lambda low, high: 0.0)  # no real sleeping
    injector = FaultInjector()
    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", injector)
    yield injector
    events.unregister("before-call.dynamodb", injector)


def _batch(count: int) -> dict[str, Any]:
    now = time.time()
    return kinesis_event(
        *(
            kinesis_record(f"bus-{n % 5}", {"latitude": 1, "longitude": n % 90, "timestamp": now - n})
            for n in range(count)
        )
    )


def _assert_nothing_dropped(
    event: dict[str, Any], response: dict[str, Any], resources: Resources
) -> set[str]:
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    stored = {fix.sequence_number for fix in kept_fixes(resources.history_table_name)}
    for record in event["Records"]:
        sequence_number = record["kinesis"]["sequenceNumber"]
        assert sequence_number in stored or sequence_number in failed, f"record {sequence_number} was dropped"
    return failed


def test_throttled_calls_are_retried_until_written(faults: FaultInjector, resources: Resources) -> None:
    # Given DynamoDB throttles the first two calls of each operation
    faults.throttle = lambda operation, call: call <= 2
    event = _batch(60)
    # When the consumer processes a batch
    response = consumer.lambda_handler(event, LambdaContext())
    # Then, retried, every position is written and nothing is reported failed
    assert _assert_nothing_dropped(event, response, resources) == set()
    # (the 60 fixes of 5 buses pack into one BatchWriteItem, throttled twice then written)
    assert faults.calls["BatchWriteItem"] == 3


def test_unprocessed_items_are_resent(faults: FaultInjector, resources: Resources) -> None:
    # Given every other BatchWriteItem leaves half its items unprocessed
    faults.leave_unprocessed = lambda call: call % 2 == 1
    event = _batch(60)
    # When the consumer processes a batch; Then every position is written
    response = consumer.lambda_handler(event, LambdaContext())
    assert _assert_nothing_dropped(event, response, resources) == set()


def test_writes_that_stay_throttled_are_reported_for_lambda_to_retry(
    faults: FaultInjector, resources: Resources
) -> None:
    # Given DynamoDB throttles every history write, and never stops
    faults.throttle = lambda operation, call: operation == "BatchWriteItem"
    event = _batch(30)
    # When the consumer processes a batch
    response = consumer.lambda_handler(event, LambdaContext())
    # Then every record is reported failed (none silently dropped), within the retry bound
    failed = _assert_nothing_dropped(event, response, resources)
    assert len(failed) == 30
    assert faults.calls["BatchWriteItem"] <= 2 * 6


def test_a_throttled_latest_write_fails_only_that_bus(faults: FaultInjector, resources: Resources) -> None:
    # Given every conditional write of the latest position is throttled
    faults.throttle = lambda operation, call: operation == "PutItem"
    event = _batch(10)
    # When the consumer processes a batch
    response = consumer.lambda_handler(event, LambdaContext())
    # Then history is written, and the records are reported failed so that latest gets another try
    failed = _assert_nothing_dropped(event, response, resources)
    assert len(failed) == 10
    assert len(kept_fixes(resources.history_table_name)) == 10
