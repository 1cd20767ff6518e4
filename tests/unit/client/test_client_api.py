"""The client builds the requests the API expects and turns its answers into types or honest errors."""

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed, batch_post_body, legacy_post_body
from busgps.client.models import Position
from busgps.client.target import StackTarget

TARGET = StackTarget(
    api_url="https://api.example.com/production",
    ingest_url="https://api.example.com/ingest",
    post_url="https://api.example.com/ingest/post-gps",
    get_url="https://api.example.com/production/get-gps",
    stream_name="busgps-production-positions",
)


@dataclass
class Sent:
    method: str
    url: str
    json: Any
    params: dict[str, Any] | None
    headers: dict[str, str]


@dataclass
class RecordingSession:
    """Stands in for requests.Session: records each request and answers with the next canned response."""

    answers: list[tuple[int, Any]]
    sent: list[Sent] = field(default_factory=list)

    def request(self, method: str, url: str, **options: Any) -> requests.Response:
        self.sent.append(Sent(method, url, options.get("json"), options.get("params"), options["headers"]))
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code = status
        response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return response


def _client(*answers: tuple[int, Any]) -> tuple[BusGpsClient, RecordingSession]:
    session = RecordingSession(list(answers))
    return BusGpsClient(TARGET, token=lambda: "id-token-123", session=session), session  # type: ignore[arg-type]


def test_legacy_body_is_the_existing_clients_wire_format():
    # Given a position of bus 17
    position = Position(bus_id="17", latitude=76.54321, longitude=12.34567)

    # When its POST /post-gps body is built
    body = legacy_post_body(position, "the-stream")

    # Then it names the stream, keys the record by bus id, and carries the position as base64 JSON
    assert set(body) == {"StreamName", "Data", "PartitionKey"}
    assert body["StreamName"] == "the-stream"
    assert body["PartitionKey"] == "17"
    assert json.loads(base64.b64decode(body["Data"])) == {"latitude": 76.54321, "longitude": 12.34567}


def test_optional_fields_and_timestamp_go_into_the_data():
    # Given a position with a device time in another zone and some optional fields
    moment = datetime.fromisoformat("2026-12-01T10:30:00.250+02:00")
    position = Position("bus-9", 1.5, 2.5, timestamp=moment, speed=8.0, bearing=359.5, altitude=None)

    # When it becomes a batch entry
    entry = position.batch_entry()

    # Then the time is ISO-8601 UTC with milliseconds, and absent fields are left out
    assert entry == {
        "busId": "bus-9",
        "latitude": 1.5,
        "longitude": 2.5,
        "timestamp": "2026-12-01T08:30:00.250Z",
        "speed": 8.0,
        "bearing": 359.5,
    }


def test_trip_fields_go_into_the_entry_under_the_api_s_names():
    # Given a position on a trip past midnight, with the vehicle's own fields
    position = Position(
        "bus-9",
        -36.85,
        174.76,
        trip_id="N1-0-2510",
        route_id="N1",
        direction_id=0,
        start_date="20261205",
        start_time="25:10:00",
        schedule_relationship="SCHEDULED",
        vehicle_label="Bus 9",
        license_plate="NZ-1234",
        occupancy_status="MANY_SEATS_AVAILABLE",
        congestion_level="RUNNING_SMOOTHLY",
    )

    # When it becomes a batch entry and a /post-gps body
    entry = position.batch_entry()
    legacy = json.loads(base64.b64decode(legacy_post_body(position, "the-stream")["Data"]))

    # Then both carry every trip field by its API name (a direction of 0 included)
    expected = {
        "tripId": "N1-0-2510",
        "routeId": "N1",
        "directionId": 0,
        "startDate": "20261205",
        "startTime": "25:10:00",
        "scheduleRelationship": "SCHEDULED",
        "vehicleLabel": "Bus 9",
        "licensePlate": "NZ-1234",
        "occupancyStatus": "MANY_SEATS_AVAILABLE",
        "congestionLevel": "RUNNING_SMOOTHLY",
    }
    assert entry == {"busId": "bus-9", "latitude": -36.85, "longitude": 174.76, **expected}
    assert legacy == {"latitude": -36.85, "longitude": 174.76, **expected}


def test_a_stored_position_reads_its_trip_fields_back_and_leaves_out_those_it_lacks():
    # Given an API answering one position with trip fields and one without
    stored = {"latitude": 1.0, "longitude": 2.0, "timestamp": "2026-12-01T08:00:00.000Z"}
    trip = {"tripId": "15-0-F", "routeId": "15", "directionId": 1, "startDate": "20261201"}
    client, _ = _client(
        (200, {"busId": "a", **stored, **trip, "startTime": "08:00:00"}), (200, {"busId": "b", **stored})
    )

    # When both are read
    on_trip, off_trip = client.latest("a"), client.latest("b")

    # Then the first has its trip, typed, and prints back as the API wrote it
    assert on_trip is not None
    assert (on_trip.trip_id, on_trip.route_id, on_trip.direction_id, on_trip.start_time) == (
        "15-0-F",
        "15",
        1,
        "08:00:00",
    )
    assert on_trip.model_dump(by_alias=True, mode="json", exclude_none=True) == {
        "busId": "a",
        **stored,
        **trip,
        "startTime": "08:00:00",
    }
    # And the second has none
    assert off_trip is not None
    assert (off_trip.trip_id, off_trip.vehicle_label, off_trip.occupancy_status) == (None, None, None)


def test_a_naive_timestamp_is_refused():
    # Given a time without a zone, Then it cannot become a position's time
    with pytest.raises(ValueError, match="time zone"):
        Position("1", 0.0, 0.0, timestamp=datetime(2026, 1, 1)).fields()


def test_batch_body_keeps_raw_entries_as_they_are():
    # Given a typed position and a raw entry (perhaps invalid, for the API to judge)
    entries = [Position("a", 1.0, 2.0), {"busId": "b", "latitude": "north"}]

    # Then the batch body holds both, in order
    assert batch_post_body(entries) == {
        "positions": [{"busId": "a", "latitude": 1.0, "longitude": 2.0}, {"busId": "b", "latitude": "north"}]
    }


def test_post_position_sends_the_raw_id_token_and_returns_the_record_location():
    # Given an API that accepts the record
    client, session = _client(
        (200, {"message": "Success", "shardId": "shardId-000000000001", "sequenceNumber": "4955"})
    )

    # When a position is posted
    result = client.post_position(Position("17", 76.54321, 12.34567))

    # Then the id token itself is the Authorization header (no "Bearer"), to the POST URL
    request = session.sent[0]
    assert (request.method, request.url) == ("POST", TARGET.post_url)
    assert request.headers["Authorization"] == "id-token-123"
    assert request.json["PartitionKey"] == "17"
    # And the answer is typed
    assert (result.message, result.shard_id, result.sequence_number) == (
        "Success",
        "shardId-000000000001",
        "4955",
    )


def test_post_batch_reports_failed_entries():
    # Given an API that failed the second of two entries
    answer = {
        "message": "1 of 2 positions were not accepted: resend only those listed in failed",
        "acceptedCount": 1,
        "failedCount": 1,
        "failed": [
            {"index": 1, "errorCode": "ProvisionedThroughputExceededException", "errorMessage": "slow down"}
        ],
    }
    client, session = _client((200, answer))

    # When a batch is posted
    result = client.post_batch([Position("a", 1.0, 2.0), Position("b", 3.0, 4.0)])

    # Then it went to /v1/positions of the ingest API and the answer names the failed entry
    assert session.sent[0].url == "https://api.example.com/ingest/v1/positions"
    assert (result.accepted_count, result.failed_count) == (1, 1)
    assert [(entry.index, entry.error_code) for entry in result.failed] == [
        (1, "ProvisionedThroughputExceededException")
    ]


def test_a_batch_the_stream_refused_entirely_is_a_result_not_an_error():
    # Given an API answering 503 because no entry was accepted
    failure = {"index": 0, "errorCode": "ProvisionedThroughputExceededException", "errorMessage": "busy"}
    answer = {"message": "1 of 1 positions were not accepted", "acceptedCount": 0, "failedCount": 1}
    client, _ = _client((503, {**answer, "failed": [failure]}))

    # When a batch is posted, Then the caller learns which entries to resend
    result = client.post_batch([Position("a", 1.0, 2.0)])
    assert result.accepted_count == 0
    assert [entry.index for entry in result.failed] == [0]


def test_a_503_without_a_batch_result_stays_an_error():
    # Given a 503 of some proxy, Then it is an error
    client, _ = _client((503, {"error": "Service Unavailable"}))
    with pytest.raises(ApiError, match="503"):
        client.post_batch([Position("a", 1.0, 2.0)])


def test_an_error_answer_becomes_an_api_error_with_its_message():
    # Given an API that refuses the body
    client, _ = _client((400, {"error": "StreamName must be busgps-production-positions"}))

    # When a position is posted, Then the error carries the status and the API's own message
    with pytest.raises(ApiError) as raised:
        client.post_position(Position("17", 1.0, 2.0))
    assert raised.value.status_code == 400
    assert raised.value.message == "StreamName must be busgps-production-positions"


def test_a_non_json_error_keeps_its_text():
    # Given a proxy in front of the API answering with plain text
    client, _ = _client((502, "Bad Gateway"))

    # Then the error message is that text
    with pytest.raises(ApiError, match="502: Bad Gateway"):
        client.latest("17")


def test_posting_without_a_token_is_refused_before_sending():
    # Given a client with no token
    session = RecordingSession([])
    client = BusGpsClient(TARGET, token=None, session=session)  # type: ignore[arg-type]

    # Then posting fails without any request
    with pytest.raises(ApiError, match="needs an id token"):
        client.post_batch([Position("a", 1.0, 2.0)])
    assert session.sent == []


def test_latest_returns_a_typed_position_or_none_for_404():
    # Given an API that knows bus "a/b" but not bus "c"
    client, session = _client(
        (200, {"busId": "a/b", "latitude": 1.25, "longitude": 2.5, "timestamp": "2026-12-01T08:00:00.000Z"}),
        (404, {"error": "bus c has no live position"}),
    )

    # When both are asked for
    known = client.latest("a/b")
    unknown = client.latest("c")

    # Then the bus id is one escaped path segment, and the answers are a position and None
    assert session.sent[0].url == "https://api.example.com/production/v1/buses/a%2Fb"
    assert known is not None
    assert (known.bus_id, known.latitude, known.timestamp) == (
        "a/b",
        1.25,
        datetime(2026, 12, 1, 8, tzinfo=UTC),
    )
    assert unknown is None
    # And printed again, the time is ISO-8601 UTC to the millisecond, as the API writes it
    assert known.model_dump(mode="json", by_alias=True)["timestamp"] == "2026-12-01T08:00:00.000Z"


def test_legacy_latest_asks_get_gps_with_bus_id():
    # Given the compatible GET route
    answer = {"busId": "17", "latitude": "76.54321", "longitude": "12.34567", "updatedAt": "1693481697"}
    client, session = _client((200, answer))

    # When bus 17 is asked for, Then the answer is passed on as the API gave it
    assert client.legacy_latest("17") == answer
    assert (session.sent[0].url, session.sent[0].params) == (TARGET.get_url, {"busId": "17"})


def test_history_sends_iso_times_and_only_given_parameters():
    # Given an API with one page of history
    answer = {
        "busId": "17",
        "positions": [
            {"busId": "17", "latitude": 1.0, "longitude": 2.0, "timestamp": "2026-12-01T08:00:00Z"}
        ],
        "nextCursor": "abc",
    }
    client, session = _client((200, answer))

    # When history since 08:00 UTC, at most 10, is asked for
    page = client.history("17", start=datetime(2026, 12, 1, 8, tzinfo=UTC), limit=10)

    # Then only `from` and `limit` are sent, and the page is typed
    assert session.sent[0].url.endswith("/v1/buses/17/positions")
    assert session.sent[0].params == {"from": "2026-12-01T08:00:00.000Z", "limit": 10}
    assert page.next_cursor == "abc"
    assert [position.latitude for position in page.positions] == [1.0]


def test_all_buses_follows_the_cursor():
    # Given two pages of buses
    bus = {"latitude": 1.0, "longitude": 2.0, "timestamp": "2026-12-01T08:00:00Z"}
    client, session = _client(
        (200, {"buses": [{"busId": "a", **bus}], "nextCursor": "page-2"}),
        (200, {"buses": [{"busId": "b", **bus}], "nextCursor": None}),
    )

    # When every bus is listed
    bus_ids = [position.bus_id for position in client.all_buses(page_size=1)]

    # Then both pages were read, the second with the first's cursor
    assert bus_ids == ["a", "b"]
    assert [request.params for request in session.sent] == [{"limit": 1}, {"limit": 1, "cursor": "page-2"}]


def test_an_answer_of_the_wrong_shape_is_an_error_not_a_wrong_value():
    # Given an API answering a position without its coordinates
    client, _ = _client((200, {"busId": "17"}))

    # Then the client says so
    with pytest.raises(ApiError, match="unexpected answer"):
        client.latest("17")


def test_an_unreachable_api_is_a_connection_failure():
    # Given nothing listening on the API's port
    target = StackTarget(api_url="http://127.0.0.1:9", get_url="x")
    client = BusGpsClient(target, timeout_seconds=2)

    # Then the failure says which URL could not be reached
    with pytest.raises(ConnectionFailed, match=r"cannot reach http://127\.0\.0\.1:9/v1/buses"):
        client.buses()
