"""The devices' API document's limits agree with AWS's, as `busgps.aws_limits` states them."""

import math
from pathlib import Path
from typing import Any

import yaml

from busgps import aws_limits
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
