"""The guard fails, before sending, the calls that moto accepts and AWS refuses."""

from collections.abc import Iterator

import boto3
import pytest

from busgps.local.aws_limits import AwsLimitExceeded
from support.resources import Resources, position_resources


@pytest.fixture(scope="module")
def tables(moto_endpoint: str) -> Iterator[Resources]:
    with position_resources() as created:
        yield created


@pytest.fixture(scope="module")
def stream(moto_endpoint: str) -> Iterator[str]:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="limits", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="limits", WaiterConfig={"Delay": 0.1})
    yield "limits"
    kinesis.delete_stream(StreamName="limits")


def _put(bus: str, time_ms: int) -> dict[str, object]:
    """A history item's key (the guard reads the table's key schema)."""
    return {"PutRequest": {"Item": {"pk": {"S": f"bus#{bus}"}, "sk": {"S": f"{time_ms:013d}"}}}}


def test_batch_write_of_26_items_is_refused(tables: Resources) -> None:
    dynamodb = boto3.client("dynamodb")
    dynamodb.batch_write_item(RequestItems={tables.history_table_name: [_put("a", n) for n in range(25)]})
    with pytest.raises(AwsLimitExceeded, match="26 items"):
        dynamodb.batch_write_item(RequestItems={tables.history_table_name: [_put("a", n) for n in range(26)]})


def test_batch_write_with_a_duplicate_key_is_refused(tables: Resources) -> None:
    with pytest.raises(AwsLimitExceeded, match="duplicate key"):
        boto3.client("dynamodb").batch_write_item(
            RequestItems={tables.history_table_name: [_put("a", 1), _put("b", 1), _put("a", 1)]}
        )


def test_kinesis_limits(stream: str) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.put_record(StreamName=stream, Data=b"x" * (1024 * 1024 - 1), PartitionKey="k")
    with pytest.raises(AwsLimitExceeded, match="record of"):
        kinesis.put_record(StreamName=stream, Data=b"x" * (1024 * 1024), PartitionKey="k")
    with pytest.raises(AwsLimitExceeded, match="partition key"):
        kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="k" * 257)
    with pytest.raises(AwsLimitExceeded, match="501 records"):
        kinesis.put_records(StreamName=stream, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    with pytest.raises(AwsLimitExceeded, match="PutRecords of"):
        kinesis.put_records(StreamName=stream, Records=[{"Data": b"x" * 1_000_000, "PartitionKey": "k"}] * 6)


def test_sqs_batch_of_11_is_refused(tables: Resources) -> None:
    entries = [{"Id": str(n), "MessageBody": "m"} for n in range(11)]
    with pytest.raises(AwsLimitExceeded, match="11 entries"):
        boto3.client("sqs").send_message_batch(QueueUrl=tables.dead_letter_queue_url, Entries=entries)
