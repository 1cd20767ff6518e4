"""Dead-letter messages: the reason and the raw record, within SQS's limits."""

import json

from busgps import aws_limits
from busgps.dal.dead_letters import _batches, dead_letter_message
from busgps.models.position import KinesisRecord, Rejection


def _rejection(data: str, sequence: int = 1) -> Rejection:
    record = KinesisRecord(
        shard_id="shardId-000000000001",
        sequence_number=f"4959033827149025660855969253836157109592157598913658{sequence:04d}",
        partition_key="17",
        data=data,
        arrival_time_ms=1_764_590_400_250,
        event_source_arn="arn:aws:kinesis:eu-central-1:123456789012:stream/busgps-production-positions",
    )
    return Rejection(record=record, reason="data is not JSON: Expecting value")


def test_the_message_carries_the_reason_and_the_raw_record() -> None:
    body = json.loads(dead_letter_message(_rejection("bm90IGpzb24=")))
    assert body == {
        "reason": "data is not JSON: Expecting value",
        "record": {
            "eventSourceARN": "arn:aws:kinesis:eu-central-1:123456789012:stream/busgps-production-positions",
            "shardId": "shardId-000000000001",
            "sequenceNumber": "49590338271490256608559692538361571095921575989136580001",
            "partitionKey": "17",
            "approximateArrivalTimestamp": 1_764_590_400.25,
            "data": "bm90IGpzb24=",
        },
    }


def test_data_too_large_for_a_message_is_cut_and_says_so() -> None:
    # Given a record of nearly 1 MiB (base64 of a Kinesis record at its limit)
    body = dead_letter_message(_rejection("A" * 1_398_104))
    # Then the message fits SQS, and says how long the data was
    assert len(body.encode()) <= aws_limits.SQS_MESSAGE_MAX_BYTES
    assert json.loads(body)["record"]["dataTruncatedFromChars"] == 1_398_104


def test_batches_keep_to_ten_entries_and_the_size_limit() -> None:
    # Given 25 small rejections and 3 large ones
    small = [(_rejection("e30=", n), dead_letter_message(_rejection("e30=", n))) for n in range(25)]
    large = [
        (_rejection("A" * 150_000, n), dead_letter_message(_rejection("A" * 150_000, n))) for n in range(3)
    ]
    # When they are batched
    batches = list(_batches(small + large))
    # Then every batch is within SQS's limits and nothing is left out
    assert sum(len(batch) for batch in batches) == 28
    for batch in batches:
        assert len(batch) <= aws_limits.SQS_BATCH_MAX_ENTRIES
        assert sum(len(body.encode()) for _, body in batch) <= aws_limits.SQS_MESSAGE_MAX_BYTES
