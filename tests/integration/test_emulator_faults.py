"""The services' faults the emulator injects (`local up --faults`): what a client meets is what AWS
answers, and what was refused is not stored."""

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from busgps.local.emulator import MotoServer
from busgps.local.emulator_faults import FAULTS_PATH
from busgps.local.faults import FaultSpec

pytestmark = pytest.mark.integration

# No SDK retries: each call meets the fault it drew.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(server: MotoServer, service: str) -> Any:
    # A session of its own: the default one's limit guard looks tables up on the session's emulator.
    return boto3.Session().client(service, endpoint_url=server.endpoint_url, config=NO_RETRIES)


def injected(server: MotoServer) -> dict[str, int]:
    counts: dict[str, int] = requests.get(f"{server.endpoint_url}{FAULTS_PATH}", timeout=5).json()
    return counts


@pytest.fixture(scope="module")
def throttling() -> Iterator[MotoServer]:
    """An emulator that refuses every DynamoDB write and about half of Kinesis's records."""
    with MotoServer(faults=FaultSpec.parse("dynamodb-throttle=1,kinesis-throttle=0.5,seed=3")) as server:
        yield server


@pytest.fixture(scope="module")
def unprocessing() -> Iterator[MotoServer]:
    """An emulator whose every BatchWriteItem leaves part of its items unprocessed."""
    with MotoServer(faults=FaultSpec.parse("dynamodb-unprocessed=1,seed=4")) as server:
        yield server


def table(server: MotoServer) -> str:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    client(server, "dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "busId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "busId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def stream(server: MotoServer) -> str:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    kinesis = client(server, "kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
    return name


def stored_data(server: MotoServer, stream_name: str) -> list[bytes]:
    kinesis = client(server, "kinesis")
    iterator = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return [record["Data"] for record in kinesis.get_records(ShardIterator=iterator)["Records"]]


def test_dynamodb_writes_are_refused_as_throttled_and_not_stored(throttling: MotoServer) -> None:
    # Given a table on an emulator that throttles every write
    name = table(throttling)
    dynamodb = client(throttling, "dynamodb")
    before = injected(throttling).get("dynamodb-throttle", 0)

    # When a PutItem and a BatchWriteItem are sent
    with pytest.raises(ClientError) as put_item:
        dynamodb.put_item(TableName=name, Item={"busId": {"S": "17"}})
    with pytest.raises(ClientError) as batch_write:
        dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"busId": {"S": "18"}}}}]})

    # Then each is DynamoDB's throttling error, nothing is stored, and both were counted
    for raised in (put_item, batch_write):
        assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert dynamodb.scan(TableName=name)["Items"] == []
    assert injected(throttling)["dynamodb-throttle"] == before + 2


def test_a_batch_write_leaves_part_of_its_items_unprocessed(unprocessing: MotoServer) -> None:
    # Given a table on an emulator whose every BatchWriteItem leaves some items unprocessed
    name = table(unprocessing)
    dynamodb = client(unprocessing, "dynamodb")
    items = [{"busId": {"S": f"bus-{number}"}, "fix": {"B": bytes([number])}} for number in range(10)]

    # When ten items are written in one call
    response = dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": i}} for i in items]})

    # Then some, not all, come back unprocessed, exactly as sent; the table holds the others only
    unprocessed = [request["PutRequest"]["Item"] for request in response["UnprocessedItems"][name]]
    assert 0 < len(unprocessed) < len(items)
    assert all(item in items for item in unprocessed)
    stored = dynamodb.scan(TableName=name)["Items"]
    assert sorted(item["busId"]["S"] for item in stored + unprocessed) == sorted(
        item["busId"]["S"] for item in items
    )
    assert injected(unprocessing) == {"dynamodb-unprocessed": len(unprocessed)}

    # And a single item is never left unprocessed (AWS processes at least one item of a call)
    single = dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": items[0]}}]})
    assert single["UnprocessedItems"] == {}


def test_put_records_refuses_some_entries_which_are_not_stored(throttling: MotoServer) -> None:
    # Given a stream on an emulator that throttles about half of the records
    name = stream(throttling)
    before = injected(throttling).get("kinesis-throttle", 0)
    records = [{"Data": f"fix-{number}".encode(), "PartitionKey": "17"} for number in range(40)]

    # When 40 records are put in one PutRecords
    response = client(throttling, "kinesis").put_records(StreamName=name, Records=records)

    # Then the refused entries carry Kinesis's throttling error and count in FailedRecordCount
    refused = [index for index, entry in enumerate(response["Records"]) if "ErrorCode" in entry]
    assert 0 < len(refused) < len(records)
    assert response["FailedRecordCount"] == len(refused)
    assert {response["Records"][index]["ErrorCode"] for index in refused} == {
        "ProvisionedThroughputExceededException"
    }
    accepted = [index for index in range(len(records)) if index not in refused]
    assert all("SequenceNumber" in response["Records"][index] for index in accepted)

    # And the stream holds exactly the accepted records, in order; the refused ones were counted
    assert stored_data(throttling, name) == [records[index]["Data"] for index in accepted]
    assert injected(throttling)["kinesis-throttle"] == before + len(refused)


def test_put_record_is_refused_as_throttled_and_not_stored(throttling: MotoServer) -> None:
    # Given a stream on an emulator that throttles about half of the records
    name = stream(throttling)
    kinesis = client(throttling, "kinesis")

    # When 20 records are put one PutRecord at a time
    accepted, refusals = [], []
    for number in range(20):
        data = base64.b64encode(f"fix-{number}".encode())
        try:
            kinesis.put_record(StreamName=name, Data=data, PartitionKey="17")
        except ClientError as error:
            refusals.append(error.response["Error"]["Code"])
        else:
            accepted.append(data)

    # Then some were refused as throttled, and the stream holds only the others
    assert refusals
    assert set(refusals) == {"ProvisionedThroughputExceededException"}
    assert accepted
    assert stored_data(throttling, name) == accepted
