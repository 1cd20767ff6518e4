"""Parameters and cursors of the query API."""

import pytest

from busgps.logic.errors import InvalidParameter
from busgps.logic.queries import bus_id_param, decode_cursor, encode_cursor, limit_param
from busgps.logic.times import iso_utc


def test_cursor_round_trip_is_url_safe() -> None:
    cursor = encode_cursor({"busId": "a:b", "before": 1_764_590_400_000})
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor) == {"busId": "a:b", "before": 1_764_590_400_000}


@pytest.mark.parametrize("value", ["", "!!", "bnVsbA", "WzFd"])  # empty, not base64, null, [1]
def test_foreign_cursors_are_rejected(value: str) -> None:
    with pytest.raises(InvalidParameter, match="Param cursor"):
        decode_cursor(value)


def test_limit_defaults_and_bounds() -> None:
    assert limit_param(None) == 100
    assert limit_param("1000") == 1000
    for bad in ("0", "1001", "-1", "1.5", "99999"):
        with pytest.raises(InvalidParameter, match="Param limit"):
            limit_param(bad)


def test_bus_id_rules() -> None:
    assert bus_id_param("Line-4_a.b:c") == "Line-4_a.b:c"
    with pytest.raises(InvalidParameter, match="Param busId is required"):
        bus_id_param(None)
    for bad in ("x" * 65, "17\n", "bus 17"):
        with pytest.raises(InvalidParameter, match="Param busId must be"):
            bus_id_param(bad)


def test_iso_times_are_utc_with_milliseconds() -> None:
    assert iso_utc(1_693_481_697_042) == "2023-08-31T11:34:57.042Z"
