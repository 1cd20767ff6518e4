"""Property: every record either parses to a valid position or is rejected with a reason."""

import base64
import json
import math
import re
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from busgps.logic.records import MAX_FUTURE_SKEW_MS, parse_record
from busgps.models.position import BUS_ID_PATTERN, KinesisRecord, Position, Rejection

NOW_MS = 1_764_590_400_000

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
coordinate = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-1000, 1000),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=12),
    st.booleans(),
)
device_payload = st.fixed_dictionaries(
    {},
    optional={
        "latitude": coordinate,
        "longitude": coordinate,
        "busId": st.one_of(st.text(max_size=70), st.integers()),
        "timestamp": st.one_of(
            st.integers(-(10**14), 10**14), st.floats(), st.text(max_size=30), st.booleans()
        ),
        "speed": coordinate,
        "bearing": coordinate,
        "accuracy": coordinate,
        "altitude": coordinate,
        "extra": json_values,
    },
)


def _encode(payload: Any) -> str:
    text = json.dumps(payload, allow_nan=True)
    return base64.b64encode(text.encode()).decode()


data = st.one_of(
    device_payload.map(_encode),
    json_values.map(_encode),
    st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode()),
    st.text(max_size=64),
)


def _valid(position: Position, partition_key: str) -> bool:
    finite = all(
        value is None or (isinstance(value, Decimal) and value.is_finite())
        for value in (
            position.latitude,
            position.longitude,
            position.speed,
            position.bearing,
            position.altitude,
        )
    )
    return (
        finite
        and -90 <= position.latitude <= 90
        and -180 <= position.longitude <= 180
        and (position.speed is None or position.speed >= 0)
        and (position.bearing is None or 0 <= position.bearing < 360)
        and (position.accuracy is None or position.accuracy >= 0)
        and position.time_ms <= NOW_MS + MAX_FUTURE_SKEW_MS
        and position.bus_id == partition_key
        and re.fullmatch(BUS_ID_PATTERN, position.bus_id) is not None
        and not math.isnan(float(position.latitude))
    )


@settings(max_examples=400, deadline=None)
@given(
    data=data,
    partition_key=st.one_of(st.sampled_from(["17", "bus-1", "a:b.c_d", "17\n"]), st.text(max_size=70)),
)
def test_every_record_parses_or_is_rejected_with_a_reason(data: str, partition_key: str) -> None:
    # Given any data and partition key
    record = KinesisRecord("shardId-000000000000", "1", partition_key, data, NOW_MS - 1000)
    # When it is parsed (no exception may escape)
    parsed = parse_record(record, NOW_MS)
    # Then it is a valid position, or a rejection that says why
    if isinstance(parsed, Rejection):
        assert parsed.reason
    else:
        assert _valid(parsed, partition_key), parsed
