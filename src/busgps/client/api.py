"""HTTP client of the busgps API: post positions, read them back, with typed answers and honest errors."""

import base64
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import requests
from google.protobuf.message import DecodeError
from google.transit.gtfs_realtime_pb2 import FeedMessage
from pydantic import BaseModel, ValidationError

from busgps.client.models import (
    BatchResult,
    BusPage,
    BusPosition,
    FleetPage,
    HistoryPage,
    Position,
    PostResult,
    iso_utc,
)
from busgps.client.target import StackTarget

TokenSource = Callable[[], str]
VEHICLE_POSITIONS_ROUTE = "/v1/gtfs-rt/vehicle-positions"
PROTOBUF_MEDIA_TYPE = "application/x-protobuf"
Answer = TypeVar("Answer", bound=BaseModel)


class ApiError(RuntimeError):
    """The API answered with an error; `message` is its JSON `error` (or the raw body)."""

    def __init__(self, method: str, url: str, status_code: int, message: str, body: Any) -> None:
        super().__init__(f"{method} {url} -> {status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.body = body


class ConnectionFailed(RuntimeError):
    """The API could not be reached at all."""


class BusGpsClient:
    """One stack's API. `token` gives the Cognito id token that POST routes need."""

    def __init__(
        self,
        target: StackTarget,
        token: TokenSource | None = None,
        session: requests.Session | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.target = target
        self._token = token
        self._session = session or requests.Session()
        self._timeout = timeout_seconds

    # Producer side.

    def post_position(self, position: Position) -> PostResult:
        """POST /post-gps in the existing clients' wire format: one Kinesis record, key = bus id."""
        body = legacy_post_body(position, self.target.required("stream_name"))
        url = self.target.required("post_url")
        answer = self._send("POST", url, json_body=body, authorized=True)
        return _parse(PostResult, answer, "POST", url)

    def post_batch(self, entries: Sequence[Position | Mapping[str, Any]]) -> BatchResult:
        """POST /v1/positions on the ingest API: up to 500 positions; the answer names the entries that
        failed."""
        body = batch_post_body(entries)
        url = self.target.ingest_route("/v1/positions")
        try:
            answer = self._send("POST", url, json_body=body, authorized=True)
        except ApiError as error:
            # 503 with a batch result: the stream accepted none of the entries, and says why for each.
            if error.status_code == 503 and isinstance(error.body, dict) and "failed" in error.body:
                return _parse(BatchResult, error.body, "POST", url)
            raise
        return _parse(BatchResult, answer, "POST", url)

    # Reader side.

    def legacy_latest(self, bus_id: str) -> dict[str, Any]:
        """GET /get-gps?busId=: the existing clients' answer ({} when the bus has no live position)."""
        answer = self._send("GET", self.target.get_url, params={"busId": bus_id})
        if not isinstance(answer, dict):
            raise ApiError("GET", self.target.get_url, 200, "the answer is not a JSON object", answer)
        return answer

    def latest(self, bus_id: str) -> BusPosition | None:
        """GET /v1/buses/{busId}: the latest position, or None when the bus has none (404)."""
        url = self.target.route(f"/v1/buses/{_path_segment(bus_id)}")
        try:
            answer = self._send("GET", url)
        except ApiError as error:
            if error.status_code == 404:
                return None
            raise
        return _parse(BusPosition, answer, "GET", url)

    def buses(self, limit: int | None = None, cursor: str | None = None) -> BusPage:
        """GET /v1/buses: one page of the latest position of every bus with a live position."""
        params = _without_none({"limit": limit, "cursor": cursor})
        url = self.target.route("/v1/buses")
        return _parse(BusPage, self._send("GET", url, params=params), "GET", url)

    def all_buses(self, page_size: int | None = None) -> Iterator[BusPosition]:
        """Every bus with a live position, following the cursor page after page."""
        cursor: str | None = None
        while True:
            page = self.buses(limit=page_size, cursor=cursor)
            yield from page.buses
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def buses_geojson(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """GET /v1/buses?format=geojson: a GeoJSON FeatureCollection."""
        params = _without_none({"format": "geojson", "limit": limit, "cursor": cursor})
        answer = self._send("GET", self.target.route("/v1/buses"), params=params)
        if not isinstance(answer, dict) or answer.get("type") != "FeatureCollection":
            raise ApiError("GET", self.target.route("/v1/buses"), 200, "not a FeatureCollection", answer)
        return answer

    def history(
        self,
        bus_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> HistoryPage:
        """GET /v1/buses/{busId}/positions: one page of history, newest first."""
        params = _without_none(
            {
                "from": iso_utc(start) if start else None,
                "to": iso_utc(end) if end else None,
                "limit": limit,
                "cursor": cursor,
            }
        )
        url = self.target.route(f"/v1/buses/{_path_segment(bus_id)}/positions")
        return _parse(HistoryPage, self._send("GET", url, params=params), "GET", url)

    def track_page(
        self,
        bus_id: str,
        output_format: str,
        start: datetime | None = None,
        end: datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> tuple[str, str | None]:
        """One page of a bus's track as gpx, geojson or csv, oldest first, and the next page's cursor."""
        params = _without_none(
            {
                "format": output_format,
                "from": iso_utc(start) if start else None,
                "to": iso_utc(end) if end else None,
                "limit": limit,
                "cursor": cursor,
            }
        )
        url = self.target.route(f"/v1/buses/{_path_segment(bus_id)}/positions")
        response = self._request("GET", url, params=params, accept="*/*")
        following = response.links.get("next", {}).get("url")
        next_cursor = parse_qs(urlsplit(following).query).get("cursor", [None])[0] if following else None
        return response.text, next_cursor

    def fleet_window(
        self, start: datetime, end: datetime, limit: int | None = None, cursor: str | None = None
    ) -> FleetPage:
        """GET /v1/positions: one page of every bus's positions between start and end, in time order."""
        params = _without_none({"from": iso_utc(start), "to": iso_utc(end), "limit": limit, "cursor": cursor})
        url = self.target.route("/v1/positions")
        return _parse(FleetPage, self._send("GET", url, params=params), "GET", url)

    def vehicle_positions(self) -> FeedMessage:
        """GET /v1/gtfs-rt/vehicle-positions: the GTFS-Realtime feed, parsed from its protobuf."""
        url = self.target.route(VEHICLE_POSITIONS_ROUTE)
        response = self._request("GET", url, accept=PROTOBUF_MEDIA_TYPE)
        media_type = response.headers.get("Content-Type", "")
        if "json" in media_type or "text" in media_type:
            raise ApiError(
                "GET", url, response.status_code, f"{media_type} instead of protobuf", _body(response)
            )
        feed = FeedMessage()
        try:
            feed.ParseFromString(response.content)
        except DecodeError as error:
            raise ApiError(
                "GET", url, response.status_code, f"not a GTFS-Realtime FeedMessage: {error}", None
            ) from error
        return feed

    # Transport.

    def _send(
        self,
        method: str,
        url: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        authorized: bool = False,
    ) -> Any:
        """The answer's JSON (or its text, when it is not JSON)."""
        response = self._request(method, url, json_body, params, authorized)
        return _body(response)

    def _request(
        self,
        method: str,
        url: str,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        authorized: bool = False,
        accept: str = "application/json",
    ) -> requests.Response:
        headers = {"Accept": accept}
        if authorized:
            if self._token is None:
                raise ApiError(method, url, 0, "this route needs an id token, and none was given", None)
            # The existing clients send the id token itself, without "Bearer".
            headers["Authorization"] = self._token()
        try:
            response = self._session.request(
                method, url, json=json_body, params=params, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as error:
            raise ConnectionFailed(f"cannot reach {url}: {error}") from error
        if response.status_code >= 400:
            answer = _body(response)
            raise ApiError(method, url, response.status_code, _error_message(answer), answer)
        return response


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _parse(model: type[Answer], answer: Any, method: str, url: str) -> Answer:
    try:
        return model.model_validate(answer)
    except ValidationError as error:
        raise ApiError(method, url, 200, f"unexpected answer: {error}", answer) from error


def legacy_post_body(position: Position, stream_name: str) -> dict[str, str]:
    """{StreamName, Data (base64 of the position's JSON), PartitionKey (the bus id)}."""
    data = json.dumps(position.fields(), separators=(",", ":")).encode("utf-8")
    return {
        "StreamName": stream_name,
        "Data": base64.b64encode(data).decode("ascii"),
        "PartitionKey": position.bus_id,
    }


def batch_post_body(entries: Sequence[Position | Mapping[str, Any]]) -> dict[str, Any]:
    positions = [entry.batch_entry() if isinstance(entry, Position) else dict(entry) for entry in entries]
    return {"positions": positions}


def _path_segment(value: str) -> str:
    return quote(value, safe="")


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _error_message(answer: Any) -> str:
    if isinstance(answer, dict):
        for key in ("error", "message", "Message"):
            if isinstance(answer.get(key), str):
                return str(answer[key])
        return json.dumps(answer)
    return str(answer).strip() or "(empty answer)"
