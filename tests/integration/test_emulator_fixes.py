"""The emulator holds Kinesis and DynamoDB to what AWS does where moto alone would not."""

import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

pytestmark = pytest.mark.integration

THREADS = 4
PUTS_PER_THREAD = 20
RECORDS_PER_PUT = 100


@pytest.fixture
def stream(moto_endpoint: str) -> Iterator[str]:
    kinesis = boto3.client("kinesis")
    name = f"fixes-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    yield name
    kinesis.delete_stream(StreamName=name)


def read_shard(stream_name: str, shard_id: str, **iterator: object) -> list[dict[str, object]]:
    kinesis = boto3.client("kinesis")
    position = iterator or {"ShardIteratorType": "TRIM_HORIZON"}
    shard_iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **position)[
        "ShardIterator"
    ]
    records: list[dict[str, object]] = []
    while True:
        response = kinesis.get_records(ShardIterator=shard_iterator, Limit=333)
        records.extend(response["Records"])
        if not response["Records"]:
            return records
        shard_iterator = response["NextShardIterator"]


def test_concurrent_put_records_lose_nothing_and_get_unique_ordered_sequence_numbers(stream: str) -> None:
    # Given 4 clients, each putting 20 PutRecords of 100 records (its own buses, in order) at once
    answers: dict[int, list[tuple[str, str]]] = {}

    def client(number: int) -> None:
        kinesis = boto3.client("kinesis")
        answers[number] = []
        for put in range(PUTS_PER_THREAD):
            records = [
                {"Data": f"{number}:{put}:{index}".encode(), "PartitionKey": f"bus-{number}-{index % 7}"}
                for index in range(RECORDS_PER_PUT)
            ]
            response = kinesis.put_records(StreamName=stream, Records=records)
            assert response["FailedRecordCount"] == 0
            answers[number] += [(entry["ShardId"], entry["SequenceNumber"]) for entry in response["Records"]]

    threads = [threading.Thread(target=client, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every record got its own sequence number, of AWS's 56 digits
    given = [answer for number in range(THREADS) for answer in answers[number]]
    assert len(given) == THREADS * PUTS_PER_THREAD * RECORDS_PER_PUT
    assert len(set(given)) == len(given)
    assert {len(sequence_number) for _, sequence_number in given} == {56}

    # And reading the shards gives back every record once, in increasing sequence order per shard
    stored: dict[str, bytes] = {}
    for shard_id in sorted({shard_id for shard_id, _ in given}):
        records = read_shard(stream, shard_id)
        numbers = [int(str(record["SequenceNumber"])) for record in records]
        assert numbers == sorted(numbers)
        stored.update({str(record["SequenceNumber"]): record["Data"] for record in records})  # type: ignore[misc]
    assert len(stored) == len(given)

    # And each bus's records are in the order its client sent them
    by_bus: dict[str, list[int]] = {}
    for sequence_number in sorted(stored, key=int):
        number, put, index = (int(part) for part in stored[sequence_number].decode().split(":"))
        by_bus.setdefault(f"{number}-{index % 7}", []).append(put * RECORDS_PER_PUT + index)
    assert all(order == sorted(order) for order in by_bus.values())


def test_iterators_after_a_sequence_number_and_at_a_timestamp_start_where_aws_would(stream: str) -> None:
    # Given three records on one shard, the last put after a pause
    kinesis = boto3.client("kinesis")
    first, second = (
        kinesis.put_record(StreamName=stream, Data=data, PartitionKey="bus-1")
        for data in (b"first", b"second")
    )
    pause = datetime.now(UTC) + timedelta(milliseconds=50)
    while datetime.now(UTC) < pause:
        pass
    kinesis.put_record(StreamName=stream, Data=b"third", PartitionKey="bus-1")
    shard_id = first["ShardId"]

    # When reading after the first, at the second, and from the pause on
    after_first = read_shard(
        stream,
        shard_id,
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=first["SequenceNumber"],
    )
    at_second = read_shard(
        stream,
        shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=second["SequenceNumber"],
    )
    from_pause = read_shard(stream, shard_id, ShardIteratorType="AT_TIMESTAMP", Timestamp=pause)
    latest = read_shard(stream, shard_id, ShardIteratorType="LATEST")

    # Then each starts at the right record
    assert [record["Data"] for record in after_first] == [b"second", b"third"]
    assert [record["Data"] for record in at_second] == [b"second", b"third"]
    assert [record["Data"] for record in from_pause] == [b"third"]
    assert latest == []


@pytest.fixture
def history_table(moto_endpoint: str) -> Iterator[str]:
    dynamodb = boto3.client("dynamodb")
    name = f"fixes-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "busId", "KeyType": "HASH"},
            {"AttributeName": "positionTimeMs", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "busId", "AttributeType": "S"},
            {"AttributeName": "positionTimeMs", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


def test_a_query_reads_its_partition_only_with_dynamodb_order_paging_and_conditions(
    history_table: str,
) -> None:
    # Given 30 buses with 10 items each, written out of order
    dynamodb = boto3.client("dynamodb")
    items = [(f"bus-{bus:02d}", time) for time in (5, 1, 9, 3, 7, 0, 2, 8, 4, 6) for bus in range(30)]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                history_table: [
                    {"PutRequest": {"Item": {"busId": {"S": bus}, "positionTimeMs": {"N": str(time)}}}}
                    for bus, time in items[start : start + 25]
                ]
            }
        )

    # When one bus is queried newest first, between 2 and 8, three at a time
    def page(start_key: dict[str, object] | None) -> dict[str, object]:
        request: dict[str, object] = {
            "TableName": history_table,
            "KeyConditionExpression": "busId = :bus AND positionTimeMs BETWEEN :from AND :to",
            "ExpressionAttributeValues": {":bus": {"S": "bus-07"}, ":from": {"N": "2"}, ":to": {"N": "8"}},
            "ScanIndexForward": False,
            "Limit": 3,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        return dynamodb.query(**request)  # type: ignore[arg-type]

    found: list[tuple[str, int]] = []
    start_key = None
    while True:
        response = page(start_key)
        found += [(item["busId"]["S"], int(item["positionTimeMs"]["N"])) for item in response["Items"]]  # type: ignore[attr-defined]
        start_key = response.get("LastEvaluatedKey")
        if not start_key:
            break

    # Then it finds exactly that bus's items in range, newest first, across pages
    assert found == [("bus-07", time) for time in (8, 7, 6, 5, 4, 3, 2)]
    # And a bus with no items has none
    empty = dynamodb.query(
        TableName=history_table,
        KeyConditionExpression="busId = :bus",
        ExpressionAttributeValues={":bus": {"S": "bus-99"}},
    )
    assert empty["Items"] == []


def test_concurrent_writes_to_a_streamed_table_get_unique_ordered_stream_sequence_numbers(
    moto_endpoint: str,
) -> None:
    # Given a table with a stream, and 4 clients each writing 25 items at once
    dynamodb = boto3.client("dynamodb")
    name = f"streamed-{uuid.uuid4().hex[:8]}"
    description = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "busId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "busId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]

    def client(number: int) -> None:
        writer = boto3.client("dynamodb")
        for index in range(25):
            writer.put_item(TableName=name, Item={"busId": {"S": f"{number}-{index}"}})

    threads = [threading.Thread(target=client, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # When the stream is read from its start
    streams = boto3.client("dynamodbstreams")
    arn = description["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in records]
    # Then every write is there once, each with a number of its own, in the order they were added
    assert sorted(record["dynamodb"]["Keys"]["busId"]["S"] for record in records) == sorted(
        f"{number}-{index}" for number in range(THREADS) for index in range(25)
    )
    assert numbers == sorted(set(numbers))
    dynamodb.delete_table(TableName=name)


def test_a_connection_carries_one_request_after_another_without_a_pause(moto_endpoint: str) -> None:
    # Given one HTTP connection to the emulator
    host, port = moto_endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        for _ in range(3):
            # When requests follow one another on it
            connection.request("POST", "/", body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            # Then each is answered, and the connection is left open for the next (as AWS does)
            assert response.status == 200, body
            assert "StreamNames" in json.loads(body)
            assert response.getheader("Connection") != "close"
        assert connection.sock is not None
        assert not response.will_close
    finally:
        connection.close()
