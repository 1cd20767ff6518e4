"""The consumer Lambda against the emulator: storage, dead letters, idempotency, ordering."""

import json
import time
from decimal import Decimal
from typing import Any

import boto3
import pytest

from busgps.dal.history import pack
from busgps.handlers import api, consumer
from busgps.models.position import Position
from support.events import LambdaContext, api_event, kinesis_event, kinesis_record
from support.resources import Resources, kept_fixes


def _scan(table_name: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=bytes.hex))


def _history(bus_id: str) -> list[dict[str, Any]]:
    """The bus's kept fixes through the API, newest first."""
    response = api.lambda_handler(
        api_event(
            f"/v1/buses/{bus_id}/positions",
            resource="/v1/buses/{busId}/positions",
            path_parameters={"busId": bus_id},
            query={"limit": "1000"},
        ),
        LambdaContext(),
    )
    positions: list[dict[str, Any]] = json.loads(response["body"])["positions"]
    return positions


def _get_gps(bus_id: str) -> tuple[int, Any]:
    response = api.lambda_handler(api_event("/get-gps", query={"busId": bus_id}), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def _dead_letters(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_legacy_record_is_stored_and_served_in_the_legacy_shape(resources: Resources) -> None:
    # Given a record exactly as the old clients produce it, with string coordinates
    record = kinesis_record("17", {"longitude": "12.34567", "latitude": "76.54321"}, arrival=1693481697.25)
    # When the consumer processes it (its time is the arrival time, which is long expired by now)
    fresh = kinesis_record("17", {"longitude": "12.34567", "latitude": "76.54321"})
    response = consumer.lambda_handler(kinesis_event(record, fresh), LambdaContext())
    # Then nothing failed, and GET /get-gps answers in the old shape with the fresh position
    assert response == {"batchItemFailures": []}
    status, body = _get_gps("17")
    arrival = fresh["kinesis"]["approximateArrivalTimestamp"]
    assert status == 200
    assert body == {
        "busId": "17",
        "latitude": "76.54321",
        "longitude": "12.34567",
        "updatedAt": str(int(arrival)),
    }


def test_unknown_bus_answers_an_empty_object(resources: Resources) -> None:
    # Given no position for bus 404; When it is asked for; Then the old answer {} comes back
    assert _get_gps("404") == (200, {})


def test_bad_records_go_to_the_dead_letter_queue_and_never_block_the_batch(resources: Resources) -> None:
    # Given a batch with records that are not base64, not JSON, and out of range, among a good one
    not_base64 = kinesis_record("1", {}, raw_data="%%% not base64 %%%")
    not_json = kinesis_record("2", b"{not json")
    out_of_range = kinesis_record("3", {"latitude": 91, "longitude": 0})
    mismatched = kinesis_record("4", {"busId": "5", "latitude": 1, "longitude": 2})
    good = kinesis_record("6", {"latitude": 1.5, "longitude": 2.5})
    # When the consumer processes it
    event = kinesis_event(not_base64, not_json, out_of_range, mismatched, good)
    response = consumer.lambda_handler(event, LambdaContext())
    # Then no record is reported failed, the good one is stored, and each bad one is dead-lettered
    assert response == {"batchItemFailures": []}
    assert _get_gps("6")[1]["latitude"] == "1.5"
    letters = {
        letter["record"]["partitionKey"]: letter for letter in _dead_letters(resources.dead_letter_queue_url)
    }
    assert set(letters) == {"1", "2", "3", "4"}
    assert letters["1"]["reason"] == "data is not valid base64"
    assert letters["2"]["reason"].startswith("data is not JSON")
    assert "latitude" in letters["3"]["reason"]
    assert "differs from partition key" in letters["4"]["reason"]
    raw = letters["3"]["record"]
    assert raw["shardId"] == "shardId-000000000000"
    assert raw["sequenceNumber"] == out_of_range["kinesis"]["sequenceNumber"]
    assert raw["data"] == out_of_range["kinesis"]["data"]


def test_processing_a_batch_twice_leaves_the_tables_as_once(resources: Resources) -> None:
    # Given a batch with several buses, duplicates and out-of-order times
    now = time.time()
    records = [
        kinesis_record(bus, {"latitude": lat, "longitude": 10, "timestamp": now - age})
        for bus, lat, age in [("a", 1, 30), ("a", 2, 10), ("b", 3, 5), ("a", 2, 10), ("b", 4, 60)]
    ]
    event = kinesis_event(*records)
    # When it is processed once, and then again (as a Lambda retry would)
    consumer.lambda_handler(event, LambdaContext())
    once = (_scan(resources.history_table_name), _scan(resources.latest_table_name))
    consumer.lambda_handler(event, LambdaContext())
    twice = (_scan(resources.history_table_name), _scan(resources.latest_table_name))
    # Then the tables are exactly the same, and history serves each bus and time once
    assert once == twice
    assert [position["latitude"] for position in _history("a")] == [2, 1]
    assert [position["latitude"] for position in _history("b")] == [3, 4]
    assert len(once[1]) == 2


def test_late_and_duplicate_records_never_move_a_bus_backwards(resources: Resources) -> None:
    # Given a bus whose newest position is stored
    now = time.time()
    newest = kinesis_record("9", {"latitude": 50, "longitude": 8, "timestamp": now - 1})
    consumer.lambda_handler(kinesis_event(newest), LambdaContext())
    # When an older position arrives late, and the newest arrives again
    late = kinesis_record("9", {"latitude": 40, "longitude": 7, "timestamp": now - 120})
    consumer.lambda_handler(kinesis_event(late, newest), LambdaContext())
    # Then the latest position is still the newest, and the late one is in the history
    assert _get_gps("9")[1]["latitude"] == "50"
    history = api.lambda_handler(
        api_event(
            "/v1/buses/9/positions", resource="/v1/buses/{busId}/positions", path_parameters={"busId": "9"}
        ),
        LambdaContext(),
    )
    assert [p["latitude"] for p in json.loads(history["body"])["positions"]] == [50, 40]


def test_expired_items_are_never_served(resources: Resources) -> None:
    # Given items whose TTL has passed but that DynamoDB has not deleted yet: a latest position,
    # and a history chunk of a fix within the retention window
    expired = int(time.time()) - 1
    fix_ms = (expired - 3600) * 1000
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(
        TableName=resources.latest_table_name,
        Item={
            "busId": {"S": "old"},
            "positionTimeMs": {"N": str(fix_ms)},
            "latitude": {"N": "1"},
            "longitude": {"N": "2"},
            "receivedAtMs": {"N": str(fix_ms)},
            "sequenceNumber": {"S": "1"},
            "sequenceOrder": {"S": "1".zfill(128)},
            "expirationTime": {"N": str(expired)},
        },
    )
    fix = Position("old", fix_ms, Decimal(1), Decimal(2), fix_ms, "1")
    dynamodb.put_item(
        TableName=resources.history_table_name,
        Item={
            "pk": {"S": "bus#old"},
            "sk": {"S": f"{fix_ms:013d}#0"},
            "fixes": {"B": pack([fix], with_bus=False)},
            "expirationTime": {"N": str(expired)},
        },
    )
    # When the API is asked for them
    context = LambdaContext()
    single = api.lambda_handler(
        api_event("/v1/buses/old", resource="/v1/buses/{busId}", path_parameters={"busId": "old"}), context
    )
    listing = api.lambda_handler(api_event("/v1/buses"), context)
    # Then none of them is served
    assert _get_gps("old") == (200, {})
    assert single["statusCode"] == 404
    assert json.loads(listing["body"])["buses"] == []
    assert _history("old") == []


def test_a_fix_older_than_the_history_retention_is_counted_stale_and_not_stored(resources: Resources) -> None:
    # Given a position older than the history's retention (two days in these tests)
    stale = kinesis_record("s", {"latitude": 1, "longitude": 1, "timestamp": time.time() - 3 * 86400})
    # When it is processed; Then nothing fails and nothing is stored
    assert consumer.lambda_handler(kinesis_event(stale), LambdaContext()) == {"batchItemFailures": []}
    assert _scan(resources.history_table_name) == []
    assert _dead_letters(resources.dead_letter_queue_url) == []


def test_a_fix_past_the_latest_expiry_is_history_while_the_bus_has_no_live_position(
    resources: Resources,
) -> None:
    # Given the only fix of a bus, two hours old (the latest position lives an hour, history two days)
    old = kinesis_record("h", {"latitude": 1, "longitude": 1, "timestamp": time.time() - 7200})
    assert consumer.lambda_handler(kinesis_event(old), LambdaContext()) == {"batchItemFailures": []}
    # Then GET /v1/buses/h answers 404 while its history still holds the fix
    single = api.lambda_handler(
        api_event("/v1/buses/h", resource="/v1/buses/{busId}", path_parameters={"busId": "h"}),
        LambdaContext(),
    )
    assert single["statusCode"] == 404
    assert [position["latitude"] for position in _history("h")] == [1]


def test_large_batches_are_written_in_calls_of_at_most_25_items(resources: Resources) -> None:
    # Given 120 positions of 60 buses: more chunks than one BatchWriteItem takes (the AWS-limit guard
    # fails any call over 25 items)
    now = time.time()
    records = [
        kinesis_record(f"bus-{n % 60}", {"latitude": 1, "longitude": 1, "timestamp": now - n})
        for n in range(120)
    ]
    # When they are processed; Then every one is stored
    assert consumer.lambda_handler(kinesis_event(*records), LambdaContext()) == {"batchItemFailures": []}
    stored = kept_fixes(resources.history_table_name)
    assert sorted(fix.sequence_number for fix in stored) == sorted(
        record["kinesis"]["sequenceNumber"] for record in records
    )


def test_each_batch_emits_its_counts_as_metrics(
    resources: Resources, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a batch with a valid, an invalid and a stale record
    now = time.time()
    event = kinesis_event(
        kinesis_record("m1", {"latitude": 1, "longitude": 1}),
        kinesis_record("m2", b"not json"),
        kinesis_record("m3", {"latitude": 1, "longitude": 1, "timestamp": now - 3 * 86400}),
    )
    capsys.readouterr()
    # When it is processed
    consumer.lambda_handler(event, LambdaContext())
    # Then one CloudWatch embedded-metric document carries every count
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metric_document,) = documents
    names = {metric["Name"] for metric in metric_document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert names == {
        "received",
        "valid",
        "invalid",
        "stale",
        "written",
        "retried",
        "failed",
        "history_write_units",
    }
    counts = {name: metric_document[name] for name in names}
    assert counts["received"] == [3.0]
    assert counts["valid"] == [2.0]
    assert counts["invalid"] == [1.0]
    assert counts["stale"] == [1.0]
    assert counts["written"] == [1.0]
    assert counts["failed"] == [0.0]


def test_an_empty_batch_is_answered_without_failing(resources: Resources) -> None:
    assert consumer.lambda_handler(kinesis_event(), LambdaContext()) == {"batchItemFailures": []}
