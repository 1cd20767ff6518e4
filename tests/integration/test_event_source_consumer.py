"""The local event source mapping feeding the real consumer Lambda, as the local stack wires them."""

import json
import time
import uuid
from collections.abc import Iterator

import boto3
import pytest

from busgps.handlers import consumer
from busgps.local.event_source import EventSourceMappingConfig, KinesisEventSourceMapping
from support.resources import Resources, kept_fixes

pytestmark = pytest.mark.integration


@pytest.fixture
def stream_arn(moto_endpoint: str) -> Iterator[str]:
    kinesis = boto3.client("kinesis")
    name = f"esm-consumer-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    yield kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    kinesis.delete_stream(StreamName=name)


def test_the_consumer_stores_what_the_mapping_delivers_and_dead_letters_the_invalid(
    resources: Resources, stream_arn: str
) -> None:
    # Given two positions of bus 17 and one record that is not JSON, on the stream
    kinesis = boto3.client("kinesis")
    stream_name = stream_arn.split("/")[-1]
    now_ms = int(time.time() * 1000)
    for payload in (
        json.dumps({"busId": "17", "latitude": 52.5, "longitude": 13.4, "timestamp": now_ms - 1000}),
        json.dumps({"busId": "17", "latitude": 52.6, "longitude": 13.5, "timestamp": now_ms}),
        "not json",
    ):
        kinesis.put_record(StreamName=stream_name, Data=payload.encode(), PartitionKey="17")
    failure_queue_url = boto3.client("sqs").create_queue(QueueName=f"failures-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    config = EventSourceMappingConfig(
        stream_arn=stream_arn,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:busgps-test-consumer",
        invoke_identity_arn="arn:aws:iam::123456789012:role/busgps-test-consumer",
        on_failure_queue_url=failure_queue_url,
        batch_size=100,
        batching_window_seconds=0,
        maximum_retry_attempts=2,
        maximum_record_age_seconds=3600,
        bisect_batch_on_function_error=True,
        starting_position="TRIM_HORIZON",
    )
    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")

    # When the mapping runs the consumer Lambda's handler on them
    with KinesisEventSourceMapping(config, consumer.lambda_handler, kinesis, sqs):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            history = kept_fixes(resources.history_table_name)
            if len(history) == 2:
                break
            time.sleep(0.1)

    # Then both positions are in the history, the latest is the newer one
    assert len(history) == 2
    latest = dynamodb.get_item(TableName=resources.latest_table_name, Key={"busId": {"S": "17"}})["Item"]
    assert latest["positionTimeMs"] == {"N": str(now_ms)}
    # And the invalid record went to the invalid-records queue, not to the mapping's failure queue
    dead_letters = sqs.receive_message(QueueUrl=resources.dead_letter_queue_url, WaitTimeSeconds=1)[
        "Messages"
    ]
    assert len(dead_letters) == 1
    assert sqs.receive_message(QueueUrl=failure_queue_url, WaitTimeSeconds=0).get("Messages", []) == []
    sqs.delete_queue(QueueUrl=failure_queue_url)
