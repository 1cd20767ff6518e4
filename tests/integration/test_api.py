"""The query API Lambda against the emulator, through REST proxy events."""

import base64
import csv
import io
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import gpxpy
import pytest
from botocore.awsrequest import AWSResponse
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from busgps.dal.clients import dynamodb_client
from busgps.handlers import api, consumer
from support.events import LambdaContext, api_event, kinesis_event, kinesis_record
from support.resources import Resources


def _get(path: str, resource: str | None = None, **query: str) -> tuple[int, dict[str, str], Any]:
    path_parameters = None
    if resource and "{busId}" in resource:
        path_parameters = {"busId": path.split("/")[3]}
    event = api_event(
        path,
        resource=resource,
        query=query or None,
        path_parameters=path_parameters,
        headers={"Origin": "https://rider.example.com"},
    )
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], _headers(response), json.loads(response["body"])


def _headers(response: dict[str, Any]) -> dict[str, str]:
    """The REST proxy answer's headers (Powertools answers with multiValueHeaders)."""
    return {name: values[-1] for name, values in response["multiValueHeaders"].items()}


def _store(*positions: tuple[str, float, float]) -> None:
    """Positions (bus id, latitude, age in seconds) through the consumer, as Kinesis would bring them."""
    now = time.time()
    records = [
        kinesis_record(bus, {"latitude": lat, "longitude": 10.5, "timestamp": now - age, "speed": 8.25})
        for bus, lat, age in positions
    ]
    assert consumer.lambda_handler(kinesis_event(*records), LambdaContext()) == {"batchItemFailures": []}


@pytest.fixture
def operations(resources: Resources) -> Iterator[list[str]]:
    """The names of the DynamoDB operations the API makes."""
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", record)
    yield seen
    events.unregister("before-call.dynamodb", record)


def test_missing_or_empty_bus_id_is_the_legacy_400(resources: Resources) -> None:
    # Given no busId, or an empty one; When GET /get-gps is called; Then the old error answers
    assert _get("/get-gps")[0::2] == (400, {"error": "Param busId is required"})
    assert _get("/get-gps", busId="")[0::2] == (400, {"error": "Param busId is required"})


def test_latest_position_in_v1_has_numbers_and_iso_times(resources: Resources) -> None:
    # Given a stored position
    _store(("42", 48.1375, 3))
    # When GET /v1/buses/42
    status, headers, body = _get("/v1/buses/42", "/v1/buses/{busId}")
    # Then numbers are JSON numbers and the time is ISO-8601 UTC, with CORS headers
    assert status == 200
    assert body["busId"] == "42"
    assert body["latitude"] == 48.1375
    assert body["longitude"] == 10.5
    assert body["speed"] == 8.25
    assert body["timestamp"].endswith("Z")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_a_bus_without_position_is_404_with_a_json_error(resources: Resources) -> None:
    status, _, body = _get("/v1/buses/none", "/v1/buses/{busId}")
    assert status == 404
    assert body == {"error": "Bus none has no live position"}


def test_a_single_bus_is_read_with_query_never_scan(resources: Resources, operations: list[str]) -> None:
    # Given a stored position; When it is read through every single-bus route
    _store(("q", 1, 1))
    operations.clear()
    _get("/get-gps", busId="q")
    _get("/v1/buses/q", "/v1/buses/{busId}")
    _get("/v1/buses/q/positions", "/v1/buses/{busId}/positions")
    # Then only Query was used
    assert set(operations) == {"Query"}


def test_bus_list_is_paginated_with_an_opaque_cursor(resources: Resources) -> None:
    # Given five buses with live positions
    _store(*((f"bus-{n}", 10 + n, 1) for n in range(5)))
    # When they are listed two at a time, following the cursor
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, _, body = _get("/v1/buses", **query)
        assert status == 200
        seen.extend(bus["busId"] for bus in body["buses"])
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    # Then every bus is listed exactly once, over three pages
    assert sorted(seen) == [f"bus-{n}" for n in range(5)]
    assert pages == 3


def test_bus_list_as_geojson(resources: Resources) -> None:
    _store(("g", 47.5, 1))
    event = api_event("/v1/buses", query={"format": "geojson"})
    response = api.lambda_handler(event, LambdaContext())
    body = json.loads(response["body"])
    assert _headers(response)["Content-Type"] == "application/geo+json"
    assert body["type"] == "FeatureCollection"
    (feature,) = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [10.5, 47.5]}
    assert feature["properties"]["busId"] == "g"


def test_history_is_newest_first_and_paginated(resources: Resources) -> None:
    # Given seven positions of one bus, at distinct ages
    _store(*(("h", float(n), n * 10) for n in range(7)))
    # When the history is read three at a time
    latitudes: list[float] = []
    cursor: str | None = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, _, body = _get("/v1/buses/h/positions", "/v1/buses/{busId}/positions", **query)
        assert status == 200
        latitudes.extend(position["latitude"] for position in body["positions"])
        cursor = body["nextCursor"]
        if cursor is None:
            break
    # Then it comes newest first, every position once
    assert latitudes == [0, 1, 2, 3, 4, 5, 6]


def test_history_time_window(resources: Resources) -> None:
    _store(*(("w", float(n), n * 60) for n in range(5)))
    now = time.time()
    _, _, body = _get(
        "/v1/buses/w/positions",
        "/v1/buses/{busId}/positions",
        **{"from": str(int(now - 150)), "to": str(int(now - 30))},
    )
    assert [position["latitude"] for position in body["positions"]] == [1, 2]


@pytest.mark.parametrize(
    ("path", "resource", "query", "parameter"),
    [
        ("/v1/buses", None, {"limit": "0"}, "limit"),
        ("/v1/buses", None, {"limit": "1001"}, "limit"),
        ("/v1/buses", None, {"limit": "ten"}, "limit"),
        ("/v1/buses", None, {"cursor": "garbage!"}, "cursor"),
        ("/v1/buses", None, {"format": "kml"}, "format"),
        ("/v1/buses/x/positions", "/v1/buses/{busId}/positions", {"from": "yesterday"}, "from"),
        ("/v1/buses/x/positions", "/v1/buses/{busId}/positions", {"to": "-5"}, "to"),
        ("/v1/buses/x/positions", "/v1/buses/{busId}/positions", {"from": "2000", "to": "1000"}, "from"),
        ("/v1/buses/x/positions", "/v1/buses/{busId}/positions", {"cursor": "e30"}, "cursor"),
        ("/v1/buses/" + "x" * 65, "/v1/buses/{busId}", {}, "busId"),
        ("/get-gps", None, {"busId": "bad id!"}, "busId"),
    ],
)
def test_every_bad_input_is_a_400_naming_the_parameter(
    resources: Resources, path: str, resource: str | None, query: dict[str, str], parameter: str
) -> None:
    status, headers, body = _get(path, resource, **query)
    assert status == 400
    assert f"Param {parameter}" in body["error"]
    assert headers["Content-Type"] == "application/json"


def test_an_unknown_route_is_a_json_404(resources: Resources) -> None:
    status, _, body = _get("/v2/nothing")
    assert status == 404
    assert body == {"error": "No route GET /v2/nothing"}


def test_a_store_that_fails_is_a_json_503_to_retry(resources: Resources) -> None:
    # Given DynamoDB throttles every call of the query function
    def throttle(model: Any, **_: Any) -> Any:
        response = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 400, {}, None)  # type: ignore[arg-type]
        return response, {"Error": {"Code": "ThrottlingException", "Message": "injected"}}

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", throttle)
    try:
        # When a rider asks for a bus
        status, headers, body = _get("/v1/buses/7", "/v1/buses/{busId}")
    finally:
        events.unregister("before-call.dynamodb", throttle)
    # Then the answer is a JSON 503 that says to try again, not an opaque 502
    assert status == 503
    assert headers["Retry-After"] == "1"
    assert "try again" in body["error"]


def _feed(headers: dict[str, str] | None = None, **query: str) -> dict[str, Any]:
    event = api_event(
        "/v1/gtfs-rt/vehicle-positions",
        query=query or None,
        headers={"Accept": "application/x-protobuf", **(headers or {})},
    )
    response: dict[str, Any] = api.lambda_handler(event, LambdaContext())
    return response


def test_the_feed_is_protobuf_of_the_buses_with_a_recent_fix(
    resources: Resources, operations: list[str]
) -> None:
    # Given a bus seen 5 s ago and one seen 10 minutes ago (expired for the feed, not for the API)
    _store(("fresh", 48.1375, 5), ("quiet", 48.2, 600))
    operations.clear()

    # When the feed is fetched
    response = _feed()

    # Then it is base64 protobuf (binary for API Gateway) with the caching headers, of the fresh bus only
    headers = _headers(response)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["Cache-Control"] == "public, max-age=10"
    assert headers["ETag"].startswith('"')
    feed = gtfs_realtime_pb2.FeedMessage.FromString(base64.b64decode(response["body"]))
    assert [entity.vehicle.vehicle.id for entity in feed.entity] == ["fresh"]
    assert feed.entity[0].vehicle.position.speed == 8.25
    # And the store was read with one Scan of the latest positions, never a Query per bus
    assert operations == ["Scan"]


def test_the_feed_answers_a_conditional_get_with_304_and_json_on_request(resources: Resources) -> None:
    # Given a stored bus and the feed's first answer
    _store(("17", 48.1375, 5))
    first = _feed()
    etag = _headers(first)["ETag"]

    # When the same snapshot is asked for again with its ETag
    again = _feed(headers={"If-None-Match": etag})

    # Then it is a 304 without a body, with the same validators
    assert again["statusCode"] == 304
    assert again["body"] == ""
    assert _headers(again)["ETag"] == etag

    # And format=json is protobuf's canonical JSON of the same message
    as_json = _feed(format="json")
    assert _headers(as_json)["Content-Type"] == "application/json"
    feed = gtfs_realtime_pb2.FeedMessage.FromString(base64.b64decode(first["body"]))
    assert as_json["isBase64Encoded"] is False
    assert json_format.Parse(as_json["body"], gtfs_realtime_pb2.FeedMessage()) == feed


def test_an_unknown_feed_format_is_a_400_naming_the_parameter(resources: Resources) -> None:
    response = _feed(format="xml")
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": "Param format must be protobuf or json"}


def test_gtfs_fields_are_returned_by_the_v1_reads(resources: Resources) -> None:
    # Given a fix with a trip through the consumer
    now = time.time()
    trip = {
        "tripId": "T1",
        "routeId": "728",
        "directionId": 0,
        "startDate": "20261201",
        "startTime": "08:30:00",
    }
    record = kinesis_record("bus-t", {"latitude": 38.7, "longitude": -9.1, "timestamp": now, **trip})
    assert consumer.lambda_handler(kinesis_event(record), LambdaContext()) == {"batchItemFailures": []}

    # When it is read as the latest position and as history
    latest = _get("/v1/buses/bus-t", "/v1/buses/{busId}")[2]
    history = _get("/v1/buses/bus-t/positions", "/v1/buses/{busId}/positions")[2]

    # Then both carry the trip, by the API's names
    assert {name: latest[name] for name in trip} == trip
    assert {name: history["positions"][0][name] for name in trip} == trip


def _track(bus_id: str, minutes: int, *, step_seconds: int = 30, start_age: float = 3600) -> list[float]:
    """A bus driving north for `minutes`, a fix every `step_seconds`, through the consumer; its fix times."""
    now = time.time()
    times = [now - start_age + offset for offset in range(0, minutes * 60, step_seconds)]
    records = [
        kinesis_record(
            bus_id,
            {"latitude": 38.7 + index / 1000, "longitude": -9.14, "timestamp": at, "altitude": 40 + index},
        )
        for index, at in enumerate(times)
    ]
    assert consumer.lambda_handler(kinesis_event(*records), LambdaContext()) == {"batchItemFailures": []}
    return times


def _raw_get(path: str, resource: str, **query: str) -> dict[str, Any]:
    event = api_event(
        path, resource=resource, query=query or None, path_parameters={"busId": path.split("/")[3]}
    )
    response: dict[str, Any] = api.lambda_handler(event, LambdaContext())
    return response


def test_a_track_exports_as_gpx_that_gpxpy_reads_with_every_point_and_time(resources: Resources) -> None:
    # Given 40 minutes of one bus (across 10-minute buckets), a fix every 30 s
    times = _track("gpx-bus", 40)

    # When the window is exported as GPX
    response = _raw_get("/v1/buses/gpx-bus/positions", "/v1/buses/{busId}/positions", format="gpx")

    # Then gpxpy reads one track of every fix, oldest first, with its time and altitude
    assert _headers(response)["Content-Type"] == "application/gpx+xml"
    gpx = gpxpy.parse(response["body"])
    points = [point for track in gpx.tracks for segment in track.segments for point in segment.points]
    assert len(points) == len(times)
    assert [point.time.timestamp() for point in points] == pytest.approx(times, abs=0.001)
    assert (points[0].latitude, points[0].elevation) == (38.7, 40)
    assert gpx.version == "1.1"


def test_a_track_exports_as_a_geojson_linestring_and_as_csv_with_a_header(resources: Resources) -> None:
    times = _track("geo-bus", 10)
    geojson = _raw_get("/v1/buses/geo-bus/positions", "/v1/buses/{busId}/positions", format="geojson")
    feature = json.loads(geojson["body"])
    assert _headers(geojson)["Content-Type"] == "application/geo+json"
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"][0] == [-9.14, 38.7]  # [longitude, latitude]
    assert len(feature["properties"]["coordTimes"]) == len(times)

    csv_answer = _raw_get("/v1/buses/geo-bus/positions", "/v1/buses/{busId}/positions", format="csv")
    rows = list(csv.DictReader(io.StringIO(csv_answer["body"])))
    assert _headers(csv_answer)["Content-Type"].startswith("text/csv")
    assert len(rows) == len(times)
    assert rows[0]["busId"] == "geo-bus"
    assert rows[0]["latitude"] == "38.7"


def test_a_long_track_comes_in_pages_linked_by_cursor(resources: Resources) -> None:
    # Given 30 fixes of a bus
    times = _track("paged-bus", 15)
    # When it is exported 12 fixes a page, following each page's Link
    query = {"format": "csv", "limit": "12"}
    rows: list[dict[str, str]] = []
    pages = 0
    while True:
        response = _raw_get("/v1/buses/paged-bus/positions", "/v1/buses/{busId}/positions", **query)
        rows += list(csv.DictReader(io.StringIO(response["body"])))
        pages += 1
        link = _headers(response).get("Link")
        if link is None:
            break
        next_url = link[1 : link.index(">")]
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(next_url).query))
    # Then three pages hold every fix once, in time order
    assert pages == 3
    assert [row["timestamp"] for row in rows] == sorted(row["timestamp"] for row in rows)
    assert len({row["timestamp"] for row in rows}) == len(times)


def test_the_fleet_window_gives_every_bus_in_time_order_from_the_window_index(
    resources: Resources, operations: list[str]
) -> None:
    # Given three buses with fixes over ten minutes
    for bus_id in ("w1", "w2", "w3"):
        _track(bus_id, 10, step_seconds=60, start_age=900)
    now = time.time()
    operations.clear()

    # When the fleet between 16 and 5 minutes ago is read, 7 positions a page
    positions: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"from": str(int((now - 960) * 1000)), "to": str(int((now - 300) * 1000)), "limit": "7"}
        if cursor:
            query["cursor"] = cursor
        body = json.loads(
            api.lambda_handler(api_event("/v1/positions", query=query), LambdaContext())["body"]
        )
        positions += body["positions"]
        cursor = body["nextCursor"]
        if cursor is None:
            break

    # Then each bus's fixes are there once, in (time, bus) order, read by Query, never a Scan
    assert len(positions) == 30
    keys = [(position["timestamp"], position["busId"]) for position in positions]
    assert keys == sorted(set(keys))
    assert set(operations) == {"Query"}


def test_the_fleet_window_refuses_more_than_an_hour(resources: Resources) -> None:
    now_ms = int(time.time() * 1000)
    query = {"from": str(now_ms - 3_600_001), "to": str(now_ms)}
    response = api.lambda_handler(api_event("/v1/positions", query=query), LambdaContext())
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": "Params from and to must be at most one hour apart"}
