"""Events of the exact shape AWS sends, built by small factories with realistic fields."""

import base64
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/busgps-test-positions"
_sequence = itertools.count(49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898)


@dataclass
class LambdaContext:
    function_name: str = "busgps-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:busgps-test"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def next_sequence_number() -> str:
    """A 56-digit Kinesis sequence number, increasing like a shard's."""
    return str(next(_sequence))


def encode(data: dict[str, Any] | str | bytes) -> str:
    if isinstance(data, dict):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def kinesis_record(
    partition_key: str,
    data: dict[str, Any] | str | bytes,
    *,
    sequence_number: str | None = None,
    arrival: float | None = None,
    shard_id: str = "shardId-000000000000",
    raw_data: str | None = None,
) -> dict[str, Any]:
    """One record of a Kinesis event; `raw_data` puts data in as it is (for records that are not base64)."""
    sequence_number = sequence_number or next_sequence_number()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": raw_data if raw_data is not None else encode(data),
            "approximateArrivalTimestamp": arrival if arrival is not None else round(time.time(), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/busgps-test-consumer",
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def kinesis_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def api_event(
    path: str,
    *,
    resource: str | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the gateway sends it to the query Lambda."""
    headers = {"Accept": "application/json", "Host": "api.example.com", **(headers or {})}
    now = time.time()
    request_id = str(uuid.uuid4())
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()}
        if query
        else None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "resourceId": "r3s0urc3",
            "resourcePath": resource or path,
            "httpMethod": method,
            "requestId": request_id,
            "extendedRequestId": "LgTr5F0uoAMFu4Q=",
            "stage": "test",
            "path": f"/test{path}",
            "protocol": "HTTP/1.1",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
