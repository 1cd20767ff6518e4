"""The query API Lambda against the emulator, through REST proxy events."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

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
