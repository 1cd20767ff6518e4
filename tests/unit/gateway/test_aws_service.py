"""The Kinesis service integration holds requests to Kinesis's limits, which the emulator does not."""

import base64
import json

import pytest

from busgps import aws_limits
from busgps.local.gateway.aws_service import AwsServiceIntegration, UnsupportedIntegration


def _record(size: int, partition_key: str = "bus-1") -> dict[str, str]:
    return {"Data": base64.b64encode(b"x" * size).decode("ascii"), "PartitionKey": partition_key}


def _call(action: str, request: dict[str, object]) -> tuple[int, dict[str, str]]:
    integration = {"uri": f"arn:aws:apigateway:us-east-1:kinesis:action/{action}", "httpMethod": "POST"}
    # An endpoint nothing listens on: a request within the limits would fail to connect instead.
    result = AwsServiceIntegration("http://127.0.0.1:9").call(integration, json.dumps(request), {})
    return result.status, json.loads(result.body)


@pytest.mark.parametrize(
    ("action", "request_body", "reason"),
    [
        ("PutRecord", {"StreamName": "s", **_record(aws_limits.KINESIS_RECORD_MAX_BYTES)}, "record 0 is"),
        ("PutRecords", {"StreamName": "s", "Records": [_record(1)] * 501}, "Records has 501 entries"),
        ("PutRecords", {"StreamName": "s", "Records": [_record(900 * 1024)] * 6}, "the request is"),
    ],
)
def test_a_request_over_kinesis_limits_is_answered_as_kinesis_would(
    action: str, request_body: dict[str, object], reason: str
) -> None:
    # Given a rendered request that Kinesis would refuse by its documented limits
    # When the integration sends it
    status, answer = _call(action, request_body)
    # Then it is answered as Kinesis answers it, without reaching the emulator
    assert status == 400
    assert answer["__type"] == "ValidationException"
    assert reason in answer["message"]


@pytest.mark.parametrize("data", ["vR08Ef=", "abc", "a b=", "====", "ab=c"])
def test_data_that_is_not_base64_is_refused_as_kinesis_does(data: str) -> None:
    # Given a record whose data is not valid base64 (which the emulator would fail on with a 500)
    # When the integration sends it
    status, answer = _call("PutRecord", {"StreamName": "s", "Data": data, "PartitionKey": "17"})
    # Then it is refused as Kinesis refuses it: a 400 SerializationException
    assert status == 400
    assert answer["__type"] == "SerializationException"
    assert "record 0: Data is not valid base64" in answer["message"]


def test_only_kinesis_actions_are_supported() -> None:
    # Given an integration URI of another service, or of a path-style action
    gateway = AwsServiceIntegration("http://127.0.0.1:9")
    for uri in (
        "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
        "arn:aws:apigateway:us-east-1:s3:path/b/k",
    ):
        # When it is called
        # Then the gateway says it cannot call it
        with pytest.raises(UnsupportedIntegration):
            gateway.call({"uri": uri}, "{}", {})
