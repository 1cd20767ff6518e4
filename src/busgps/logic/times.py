"""Times as devices and API users write them, turned into epoch milliseconds."""

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

# Epoch values at or above this are milliseconds: as seconds they would lie after the year 5000.
_MILLISECONDS_FROM = 100_000_000_000
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
# A bound of a window in a query, exactly as the API document writes it: epoch digits, or an RFC 3339
# date-time (ISO-8601's internet profile: a full date, a full time, and a zone).
EPOCH_DIGITS = re.compile("[0-9]{1,13}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# A device's timestamp written as text, exactly as api/ingest.yaml writes it (PositionInput.timestamp):
# epoch seconds or milliseconds in digits, with a fraction if any; or a date and time of ISO-8601's
# extended format from 1970 on, to the second, its fraction if any, and its zone (Z or +hh:mm) if any,
# UTC without one. What the document states in words, not as a pattern: a date of the calendar, from
# 1970-01-01T00:00:00Z on, at most five minutes ahead (busgps.logic.records).
DEVICE_EPOCH_PATTERN = r"^[0-9]{1,13}(\.[0-9]{1,9})?$"
DEVICE_DATE_TIME_PATTERN = (
    r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]"
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
_DEVICE_EPOCH = re.compile(DEVICE_EPOCH_PATTERN)
_DEVICE_DATE_TIME = re.compile(DEVICE_DATE_TIME_PATTERN)


class InvalidTime(ValueError):
    """A value that is not a time this system understands."""


def _from_number(value: Decimal) -> int:
    if not value.is_finite() or value < 0:
        raise InvalidTime("must be a non-negative epoch time")
    milliseconds = value if value >= _MILLISECONDS_FROM else value * 1000
    if milliseconds >= 253_402_300_800_000:  # 10000-01-01
        raise InvalidTime("lies beyond the year 9999")
    return int(milliseconds)


def parse_time_ms(value: Any) -> int:
    """A device's timestamp: epoch seconds or milliseconds (a number, or its digits as text), or an
    ISO-8601 date and time (`DEVICE_DATE_TIME_PATTERN`), UTC if it has no zone."""
    if isinstance(value, bool) or value is None:
        raise InvalidTime("must be epoch seconds, epoch milliseconds or an ISO-8601 time")
    if isinstance(value, int | Decimal):
        return _from_number(Decimal(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidTime("must be a finite number")
        return _from_number(Decimal(repr(value)))
    if isinstance(value, str):
        # fullmatch, and no `$` before a final newline: the text is the time and nothing else.
        if _DEVICE_EPOCH.fullmatch(value):
            return _from_number(Decimal(value))
        if not _DEVICE_DATE_TIME.fullmatch(value):
            raise InvalidTime(
                f"{value!r} is neither epoch seconds or milliseconds (digits) nor an ISO-8601 date and "
                "time such as 2026-12-01T08:30:00Z"
            )
        return _from_number(Decimal(_iso_ms(value)))
    raise InvalidTime("must be epoch seconds, epoch milliseconds or an ISO-8601 time")


def _iso_ms(value: str) -> int:
    """Epoch milliseconds of an ISO-8601 date and time that its pattern let through, UTC without a zone."""
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        raise InvalidTime(f"{value!r} is not a date and time of the calendar") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Whole milliseconds, counted exactly (a float's product could fall a millisecond short).
    return (moment - _EPOCH_START) // timedelta(milliseconds=1)


def parse_query_time_ms(value: str) -> int:
    """A window's bound as a query gives it: epoch seconds or milliseconds (1 to 13 digits), or an RFC
    3339 date-time such as 2026-12-01T08:30:00Z. Any such time is a bound, even before 1970."""
    if EPOCH_DIGITS.fullmatch(value):
        return _from_number(Decimal(value))
    if _DATE_TIME.fullmatch(value):
        return _iso_ms(value)
    raise InvalidTime(
        f"{value!r} is neither epoch milliseconds or seconds (digits) nor an RFC 3339 date-time such "
        "as 2026-12-01T08:30:00Z"
    )


def iso_utc(time_ms: int) -> str:
    """ISO-8601 in UTC with milliseconds, e.g. 2023-08-31T11:34:57.123Z."""
    moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"
