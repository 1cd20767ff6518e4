"""What devices POST, checked at the door by the consumer's own rules."""

import base64
import json
import time
from typing import Any

import pytest

from busgps.dal.stream import PutResult
from busgps.logic.errors import InvalidRequest
from busgps.logic.intake import batch_answer, batch_records, legacy_record

STREAM = "busgps-test-positions"
NOW_MS = int(time.time() * 1000)


def legacy(data: Any, partition_key: str = "17", **body: Any) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(data).encode()).decode() if not isinstance(data, str) else data
    return {"StreamName": STREAM, "Data": encoded, "PartitionKey": partition_key, **body}


def refused(call: Any, *arguments: Any) -> str:
    with pytest.raises(InvalidRequest) as error:
        call(*arguments)
    return str(error.value)


def test_a_legacy_post_becomes_the_record_the_device_sent() -> None:
    # Given the old clients' body, coordinates as strings
    data = {"longitude": "12.34567", "latitude": "76.54321"}
    # When checked; Then the record is the decoded Data, keyed by the bus id
    record = legacy_record(legacy(data), STREAM, NOW_MS)
    assert record.partition_key == "17"
    assert json.loads(record.data) == data


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            legacy({"latitude": 200, "longitude": 1}),
            "body.Data.latitude: Input should be less than or equal to 90",
        ),
        (legacy({"latitude": 1}), "body.Data.longitude: Field required"),
        (
            legacy({"latitude": 1, "longitude": 1, "busId": "18"}),
            "body.Data: busId '18' differs from partition key '17'",
        ),
        (legacy("%%%"), "body.Data: must be the base64 of the position's JSON"),
        (legacy(base64.b64encode(b"not json").decode()), "body.Data: must be the base64 of a JSON object"),
        (legacy([1, 2]), "body.Data: data is not a JSON object"),
        (legacy({"latitude": 1, "longitude": 1}, "bus 17"), "body.PartitionKey: must be a bus id"),
        (
            legacy({"latitude": 1, "longitude": 1}, StreamName="other"),
            "body.StreamName: must be 'busgps-test-positions'",
        ),
        ({"Data": "e30="}, "body: StreamName, PartitionKey required"),
        ([], "body: must be a JSON object"),
    ],
)
def test_a_legacy_post_the_consumer_would_refuse_is_refused_at_once_naming_the_field(
    body: Any, problem: str
) -> None:
    assert refused(legacy_record, body, STREAM, NOW_MS).startswith(problem)


def test_a_legacy_post_from_more_than_five_minutes_ahead_is_refused() -> None:
    data = {"latitude": 1, "longitude": 1, "timestamp": NOW_MS + 6 * 60 * 1000}
    assert (
        refused(legacy_record, legacy(data), STREAM, NOW_MS)
        == "body.Data.timestamp: more than 5 minutes in the future"
    )


def test_a_batch_becomes_one_record_per_entry_keyed_by_its_bus() -> None:
    entries = [
        {"busId": "17", "latitude": 38.7, "longitude": -9.1, "tripId": "T1"},
        {"busId": "42", "latitude": 1, "longitude": 2},
    ]
    records = batch_records({"positions": entries}, NOW_MS)
    assert [record.partition_key for record in records] == ["17", "42"]
    assert [json.loads(record.data) for record in records] == entries


def test_every_bad_entry_of_a_batch_is_named_and_nothing_is_taken() -> None:
    # Given a batch with five bad entries among good ones
    good = {"busId": "17", "latitude": 1, "longitude": 2}
    entries = [
        good,
        {**good, "latitude": 200},
        {"latitude": 1, "longitude": 2},
        {**good, "speed": "8"},
        {**good, "colour": "red"},
        {**good, "startDate": None},
    ]
    # When checked; Then one refusal names each of them
    problem = refused(batch_records, {"positions": entries}, NOW_MS)
    assert problem == "; ".join(
        [
            "body.positions[1].latitude: Input should be less than or equal to 90",
            "body.positions[2].busId: required",
            "body.positions[3].speed: must be a JSON number",
            "body.positions[4]: unknown fields colour (a record holds a position only)",
            "body.positions[5].startDate: must not be null (leave an unknown field out)",
        ]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"positions": []},
        {"positions": [{"busId": "1", "latitude": 1, "longitude": 1}] * 501},
        {"entries": []},
        [],
    ],
)
def test_a_batch_of_no_or_too_many_positions_is_refused(body: Any) -> None:
    assert refused(batch_records, body, NOW_MS).startswith("body")


def test_the_batch_answer_lists_the_entries_kinesis_did_not_take() -> None:
    taken = PutResult("shardId-000000000000", "1")
    throttled = PutResult(error_code="ProvisionedThroughputExceededException", error_message="Rate exceeded")
    assert batch_answer([taken, throttled]) == (
        200,
        {
            "message": "1 of 2 positions were not accepted: resend only those listed in failed",
            "acceptedCount": 1,
            "failedCount": 1,
            "failed": [
                {
                    "index": 1,
                    "errorCode": "ProvisionedThroughputExceededException",
                    "errorMessage": "Rate exceeded",
                }
            ],
        },
    )
    assert batch_answer([taken])[1]["message"] == "Success"
    assert batch_answer([throttled, throttled])[0] == 503
