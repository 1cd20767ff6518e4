"""The devices' API document's limits agree with AWS's, as `busgps.aws_limits` states them."""

import math
from pathlib import Path
from typing import Any

import yaml

from busgps import aws_limits
from busgps.logic.times import DEVICE_DATE_TIME_PATTERN, DEVICE_EPOCH_PATTERN
from busgps.models.position import BUS_ID_PATTERN

DOCUMENT = Path(__file__).resolve().parents[2] / "api" / "ingest.yaml"


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))["components"]["schemas"]
    return schemas


def test_a_batch_is_at_most_one_put_records_call() -> None:
    positions = _schemas()["PositionBatch"]["properties"]["positions"]
    assert positions["maxItems"] == aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS


def test_legacy_data_fits_one_kinesis_record_with_the_longest_bus_id() -> None:
    # Given the longest partition key a bus id allows (64 characters)
    longest_key = 64
    data = _schemas()["LegacyPostRequest"]["properties"]["Data"]
    # Then the largest base64 Data the model admits decodes to a record within Kinesis's limit
    assert data["maxLength"] == 4 * math.floor((aws_limits.KINESIS_RECORD_MAX_BYTES - longest_key) / 3)
    assert "{1,64}" in BUS_ID_PATTERN


def test_a_timestamp_written_as_text_is_what_the_function_reads() -> None:
    # Given the document's timestamp of a position
    number, epoch, date_time = _schemas()["PositionInput"]["properties"]["timestamp"]["anyOf"]
    # Then its patterns are those busgps.logic.times reads, and its numbers stop before the year 10000
    assert (epoch["pattern"], date_time["pattern"]) == (DEVICE_EPOCH_PATTERN, DEVICE_DATE_TIME_PATTERN)
    assert (number["minimum"], number["maximum"]) == (0, 253_402_300_800_000)
    assert number["exclusiveMaximum"] is True
