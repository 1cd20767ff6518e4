"""The query API's use cases: checked parameters in, answers as plain data out."""

import base64
import binascii
import json
import re
from typing import Any

from busgps.logic.errors import InvalidParameter, NotFound
from busgps.logic.ports import PositionReader
from busgps.logic.times import InvalidTime, parse_time_ms
from busgps.models.api import geojson_feature, legacy_view, position_view
from busgps.models.position import BUS_ID_PATTERN

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_BUS_ID = re.compile(BUS_ID_PATTERN)
_BUS_ID_RULE = "1-64 characters of letters, digits, '-', '_', '.' or ':'"


def bus_id_param(value: str | None, *, name: str = "busId") -> str:
    if value is None or value == "":
        raise InvalidParameter(name, f"Param {name} is required")
    if not _BUS_ID.fullmatch(value):
        raise InvalidParameter(name, f"Param {name} must be {_BUS_ID_RULE}")
    return value


def limit_param(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidParameter("limit", f"Param limit must be an integer from 1 to {MAX_LIMIT}")
    return int(value)


def time_param(name: str, value: str | None, default_ms: int) -> int:
    if value is None:
        return default_ms
    try:
        return parse_time_ms(value)
    except InvalidTime as error:
        raise InvalidParameter(name, f"Param {name}: {error}") from None


def feed_format_param(value: str | None) -> str:
    """The GTFS-Realtime feed's format: protobuf unless json is asked for."""
    if value not in (None, "protobuf", "json"):
        raise InvalidParameter("format", "Param format must be protobuf or json")
    return value or "protobuf"


def encode_cursor(position: dict[str, Any]) -> str:
    text = json.dumps(position, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        decoded = None
    if not isinstance(decoded, dict):
        raise InvalidParameter("cursor", "Param cursor is not a cursor this API gave out")
    return decoded


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
    after_bus_id = None
    if cursor is not None:
        after_bus_id = decode_cursor(cursor).get("after")
        if not isinstance(after_bus_id, str) or not _BUS_ID.fullmatch(after_bus_id):
            raise InvalidParameter("cursor", "Param cursor is not a cursor of GET /v1/buses")
    page = reader.list_latest(limit_param(limit), after_bus_id, now_s)
    next_cursor = encode_cursor({"after": page.positions[-1].bus_id}) if page.has_more else None
    if output_format == "geojson":
        return {
            "type": "FeatureCollection",
            "features": [geojson_feature(position) for position in page.positions],
            "nextCursor": next_cursor,
        }
    return {"buses": [position_view(position) for position in page.positions], "nextCursor": next_cursor}


def history(
    reader: PositionReader,
    bus_id: str,
    *,
    from_time: str | None,
    to_time: str | None,
    limit: str | None,
    cursor: str | None,
    now_s: int,
) -> dict[str, Any]:
    bus_id = bus_id_param(bus_id)
    from_ms = time_param("from", from_time, 0)
    to_ms = time_param("to", to_time, now_s * 1000 + 10 * 60 * 1000)
    if from_ms > to_ms:
        raise InvalidParameter("from", "Param from must not be later than to")
    if cursor is not None:
        state = decode_cursor(cursor)
        before = state.get("before")
        if state.get("busId") != bus_id or not isinstance(before, int) or isinstance(before, bool):
            raise InvalidParameter("cursor", f"Param cursor is not a cursor of bus {bus_id}'s positions")
        to_ms = min(to_ms, before - 1)
    page_limit = limit_param(limit)
    if from_ms > to_ms:  # the previous page ended at the window's start
        return {"busId": bus_id, "positions": [], "nextCursor": None}
    page = reader.history(bus_id, from_ms, to_ms, page_limit, now_s)
    next_cursor = (
        encode_cursor({"busId": bus_id, "before": page.positions[-1].time_ms}) if page.has_more else None
    )
    return {
        "busId": bus_id,
        "positions": [position_view(position) for position in page.positions],
        "nextCursor": next_cursor,
    }
