"""Parameters and cursors of the query API."""

from typing import Any

import pytest

from busgps.logic.errors import InvalidParameter
from busgps.logic.queries import (
    bus_id_param,
    bus_list_cursor,
    fleet_cursor,
    limit_param,
    time_cursor,
    time_param,
)
from busgps.logic.times import iso_utc


def test_a_cursor_is_where_the_previous_page_ended_and_any_of_its_form_is_one() -> None:
    # Given cursors of each kind, as the API gives them out (or as a client writes them)
    # Then each reads as the place the next page continues from
    assert bus_list_cursor("Line-4_a.b:c") == "Line-4_a.b:c"
    assert time_cursor("1764590400000") == 1_764_590_400_000
    assert time_cursor("0") == 0
    assert fleet_cursor("1764590400000:bus:17") == (1_764_590_400_000, "bus:17")


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (bus_list_cursor, ""),
        (bus_list_cursor, "bus 17"),
        (time_cursor, "e30"),
        (time_cursor, "-5"),
        (time_cursor, "17645904000001"),
        (fleet_cursor, "1764590400000"),
        (fleet_cursor, "1764590400000:"),
        (fleet_cursor, "yesterday:17"),
        (fleet_cursor, "1764590400000:bus 17"),
    ],
)
def test_a_value_not_of_a_cursors_form_is_refused(read: Any, value: str) -> None:
    # When a value that is not of the cursor's form is read, Then the error names the parameter
    with pytest.raises(InvalidParameter, match="Param cursor must be the nextCursor of the previous page"):
        read(value)


@pytest.mark.parametrize(
    ("value", "time_ms"),
    [
        ("1764590400000", 1_764_590_400_000),
        ("1764590400", 1_764_590_400_000),
        ("2025-12-01T12:00:00Z", 1_764_590_400_000),
        ("2025-12-01t13:00:00.250+01:00", 1_764_590_400_250),
        ("1969-12-31T23:59:59Z", -1000),
        # The millisecond a float's product falls short of (1095513148.12 * 1000 = 1095513148119.9998)
        ("2004-09-18T13:12:28.120Z", 1_095_513_148_120),
    ],
)
def test_a_window_bound_is_epoch_digits_or_an_rfc_3339_date_time(value: str, time_ms: int) -> None:
    # When a bound of each form the document allows is read, Then it is that time
    assert time_param("from", value, 0) == time_ms


@pytest.mark.parametrize(
    "value", ["", "yesterday", "-5", "1.5", "2025-12-01", "2025-12-01T12:00Z", "2025-02-30T12:00:00Z"]
)
def test_a_bound_of_another_form_is_refused(value: str) -> None:
    # When a bound the document does not allow is read, Then the error names the parameter
    with pytest.raises(InvalidParameter, match="Param to: "):
        time_param("to", value, 0)


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
