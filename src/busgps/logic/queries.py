"""The query API's use cases: checked parameters in, answers as plain data out."""

import re
from dataclasses import dataclass
from typing import Any

from busgps.logic import exports
from busgps.logic.errors import InvalidParameter, NotFound
from busgps.logic.ports import PositionReader
from busgps.logic.times import EPOCH_DIGITS, InvalidTime, parse_query_time_ms
from busgps.models.api import geojson_feature, legacy_view, position_view
from busgps.models.position import BUS_ID_PATTERN

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# A bus's history and a fleet window come in larger pages: a day of one bus is two of them.
EXPORT_MAX_LIMIT = 10_000
FLEET_WINDOW_MAX_MS = 3600 * 1000
DAY_MS = 24 * 3600 * 1000
_BUS_ID = re.compile(BUS_ID_PATTERN)
_BUS_ID_RULE = "1-64 characters of letters, digits, '-', '_', '.' or ':'"
# Cursors say where the previous page ended, plainly, so that any value of their form is a place to
# continue from: the last bus id of a bus list; the time of the last fix of a bus's history; the time
# and bus id of the last fix of a fleet window.
_FLEET_CURSOR = re.compile("([0-9]{1,13}):(.+)")


def bus_id_param(value: str | None, *, name: str = "busId") -> str:
    if value is None or value == "":
        raise InvalidParameter(name, f"Param {name} is required")
    if not _BUS_ID.fullmatch(value):
        raise InvalidParameter(name, f"Param {name} must be {_BUS_ID_RULE}")
    return value


def limit_param(value: str | None, *, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,5}", value) or not 1 <= int(value) <= maximum:
        raise InvalidParameter("limit", f"Param limit must be an integer from 1 to {maximum}")
    return int(value)


def time_param(name: str, value: str | None, default_ms: int) -> int:
    if value is None:
        return default_ms
    try:
        return parse_query_time_ms(value)
    except InvalidTime as error:
        raise InvalidParameter(name, f"Param {name}: {error}") from None


def feed_format_param(value: str | None) -> str:
    """The GTFS-Realtime feed's format: protobuf unless json is asked for."""
    if value not in (None, "protobuf", "json"):
        raise InvalidParameter("format", "Param format must be protobuf or json")
    return value or "protobuf"


def _invalid_cursor(form: str) -> InvalidParameter:
    return InvalidParameter("cursor", f"Param cursor must be the nextCursor of the previous page ({form})")


def bus_list_cursor(value: str) -> str:
    """The bus id a page of the bus list starts after."""
    if not _BUS_ID.fullmatch(value):
        raise _invalid_cursor("a bus id")
    return value


def time_cursor(value: str) -> int:
    """The time (epoch milliseconds) a page of a bus's history continues from."""
    if not EPOCH_DIGITS.fullmatch(value):
        raise _invalid_cursor("epoch milliseconds")
    return int(value)


def fleet_cursor(value: str) -> tuple[int, str]:
    """The time and bus id of the fix a page of a fleet window continues after."""
    match = _FLEET_CURSOR.fullmatch(value)
    if match is None or not _BUS_ID.fullmatch(match.group(2)):
        raise _invalid_cursor("epoch milliseconds, ':' and a bus id")
    return int(match.group(1)), match.group(2)


def legacy_latest(reader: PositionReader, bus_id: str | None, now_s: int) -> dict[str, str]:
    """GET /get-gps: the old system's answer, `{}` when the bus has no live position."""
    position = reader.latest(bus_id_param(bus_id), now_s)
    return legacy_view(position) if position else {}


def latest(reader: PositionReader, bus_id: str, now_s: int) -> dict[str, Any]:
    position = reader.latest(bus_id_param(bus_id), now_s)
    if position is None:
        raise NotFound(f"Bus {bus_id} has no live position")
    return position_view(position)


def list_buses(
    reader: PositionReader, *, limit: str | None, cursor: str | None, output_format: str | None, now_s: int
) -> dict[str, Any]:
    if output_format not in (None, "json", "geojson"):
        raise InvalidParameter("format", "Param format must be json or geojson")
    after_bus_id = bus_list_cursor(cursor) if cursor is not None else None
    page = reader.list_latest(limit_param(limit), after_bus_id, now_s)
    next_cursor = page.positions[-1].bus_id if page.has_more else None
    if output_format == "geojson":
        return {
            "type": "FeatureCollection",
            "features": [geojson_feature(position) for position in page.positions],
            "nextCursor": next_cursor,
        }
    return {"buses": [position_view(position) for position in page.positions], "nextCursor": next_cursor}


@dataclass(frozen=True)
class Answer:
    """A query's answer in a format other than the API's JSON: its body and media type."""

    body: str | dict[str, Any]
    media_type: str
    next_cursor: str | None


def history(
    reader: PositionReader,
    bus_id: str,
    *,
    from_time: str | None,
    to_time: str | None,
    limit: str | None,
    cursor: str | None,
    output_format: str | None,
    now_s: int,
    retention_days: int,
) -> dict[str, Any] | Answer:
    """A bus's kept fixes in a window within retention: JSON newest first, or a track oldest first."""
    if output_format not in (None, "json", *exports.MEDIA_TYPES):
        raise InvalidParameter("format", "Param format must be json, geojson, csv or gpx")
    bus_id = bus_id_param(bus_id)
    oldest_kept_ms = now_s * 1000 - retention_days * DAY_MS
    from_ms = max(time_param("from", from_time, oldest_kept_ms), oldest_kept_ms)
    to_ms = time_param("to", to_time, now_s * 1000 + 10 * 60 * 1000)
    if from_ms > to_ms:
        raise InvalidParameter("from", "Param from must not be later than to (nor before the retention)")
    track = output_format not in (None, "json")
    # JSON pages go back in time from `to`, tracks forward from `from`: each bus and time is served once.
    if cursor is not None:
        edge = time_cursor(cursor)
        from_ms, to_ms = (max(from_ms, edge + 1), to_ms) if track else (from_ms, min(to_ms, edge - 1))
    # Up to 10,000 fixes a page in every format, as the document says; JSON pages are smaller by default.
    page_limit = limit_param(
        limit, maximum=EXPORT_MAX_LIMIT, default=EXPORT_MAX_LIMIT if track else DEFAULT_LIMIT
    )
    if from_ms > to_ms:  # the previous page ended at the window's edge
        positions, has_more = [], False
    else:
        page = reader.history(bus_id, from_ms, to_ms, page_limit, now_s, newest_first=not track)
        positions, has_more = page.positions, page.has_more
    next_cursor = str(positions[-1].time_ms) if has_more else None
    if output_format == "geojson":
        return Answer(
            exports.geojson(bus_id, positions, next_cursor), exports.MEDIA_TYPES["geojson"], next_cursor
        )
    if output_format == "csv":
        return Answer(exports.csv_text(positions), exports.MEDIA_TYPES["csv"], next_cursor)
    if output_format == "gpx":
        return Answer(exports.gpx_text(bus_id, positions), exports.MEDIA_TYPES["gpx"], next_cursor)
    return {
        "busId": bus_id,
        "positions": [position_view(position) for position in positions],
        "nextCursor": next_cursor,
    }


def fleet_window(
    reader: PositionReader,
    *,
    from_time: str | None,
    to_time: str | None,
    limit: str | None,
    cursor: str | None,
    now_s: int,
    retention_days: int,
) -> dict[str, Any]:
    """Every bus's kept fixes in a window of at most an hour, in time order (then bus id)."""
    if from_time is None or to_time is None:
        raise InvalidParameter("from", "Params from and to are both required (a window of at most one hour)")
    from_ms = time_param("from", from_time, 0)
    to_ms = time_param("to", to_time, 0)
    if from_ms > to_ms:
        raise InvalidParameter("from", "Param from must not be later than to")
    if to_ms - from_ms > FLEET_WINDOW_MAX_MS:
        raise InvalidParameter("to", "Params from and to must be at most one hour apart")
    if to_ms < now_s * 1000 - retention_days * DAY_MS:
        raise InvalidParameter("to", f"Param to is older than the {retention_days}-day retention of history")
    after = fleet_cursor(cursor) if cursor is not None else None
    page_limit = limit_param(limit, maximum=EXPORT_MAX_LIMIT, default=MAX_LIMIT)
    page = reader.fleet_window(from_ms, to_ms, page_limit, after, now_s)
    next_cursor = None
    if page.has_more:
        last = page.positions[-1]
        next_cursor = f"{last.time_ms}:{last.bus_id}"
    return {"positions": [position_view(position) for position in page.positions], "nextCursor": next_cursor}
