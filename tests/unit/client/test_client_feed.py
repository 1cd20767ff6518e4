"""`busgps feed`: the GTFS-Realtime vehicle positions feed, fetched as protobuf, summed up or as JSON."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from busgps.cli import main
from busgps.client.api import ApiError, BusGpsClient
from busgps.client.realtime import feed_summary
from busgps.client.target import StackTarget

API_URL = "https://api.example.com/production"
FEED_URL = f"{API_URL}/v1/gtfs-rt/vehicle-positions"
HEADER_TIME = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
TARGET = StackTarget(api_url=API_URL, get_url=f"{API_URL}/get-gps")


def _feed() -> gtfs_realtime_pb2.FeedMessage:
    """Three buses: two on trips (one of them past midnight), one without a trip."""
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    feed.header.timestamp = int(HEADER_TIME.timestamp())
    for bus_id, age, trip in (
        ("sim-000", 5, ("15-0-F", "15", "20261203", "08:24:00")),
        ("sim-001", 40, ("N1-0-2510", "N1", "20261202", "25:10:00")),
        ("legacy-17", 12, None),
    ):
        entity = feed.entity.add(id=bus_id)
        entity.vehicle.vehicle.id = bus_id
        entity.vehicle.timestamp = int(HEADER_TIME.timestamp()) - age
        entity.vehicle.position.latitude = 38.7
        entity.vehicle.position.longitude = -9.14
        if trip:
            trip_id, route_id, start_date, start_time = trip
            entity.vehicle.trip.trip_id = trip_id
            entity.vehicle.trip.route_id = route_id
            entity.vehicle.trip.start_date = start_date
            entity.vehicle.trip.start_time = start_time
    return feed


@dataclass
class FeedSession:
    """Stands in for requests.Session: answers every request with one canned response, and keeps them."""

    status: int
    body: bytes
    content_type: str
    sent: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def request(self, method: str, url: str, **options: Any) -> requests.Response:
        self.sent.append((method, url, options["headers"]))
        response = requests.Response()
        response.status_code = self.status
        response._content = self.body
        response.headers["Content-Type"] = self.content_type
        response.headers["ETag"] = '"v1"'
        return response


def _protobuf_answer() -> FeedSession:
    return FeedSession(200, _feed().SerializeToString(), "application/x-protobuf")


def test_the_summary_counts_vehicles_with_and_without_trips_and_their_ages():
    # Given the feed read 20 s after its header's time
    now = datetime(2026, 12, 3, 8, 30, 20, tzinfo=UTC)

    # When it is summed up
    summary = feed_summary(_feed(), now)

    # Then it gives the header, the feed's age, the vehicles by trip, and the oldest fix
    assert summary == {
        "gtfsRealtimeVersion": "2.0",
        "incrementality": "FULL_DATASET",
        "timestamp": "2026-12-03T08:30:00Z",
        "ageSeconds": 20,
        "entityCount": 3,
        "vehicleCount": 3,
        "vehiclesWithTrip": 2,
        "vehiclesWithoutTrip": 1,
        "oldestVehicleTimestamp": "2026-12-03T08:29:20Z",
        "oldestVehicleAgeSeconds": 60,
    }


def test_an_empty_feed_sums_up_to_no_vehicles():
    # Given a feed with a header and no entity (no bus has a live position)
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(HEADER_TIME.timestamp())

    # Then the summary says so, with no oldest vehicle
    summary = feed_summary(feed, HEADER_TIME)
    assert (summary["entityCount"], summary["vehicleCount"], summary["oldestVehicleTimestamp"]) == (
        0,
        0,
        None,
    )


def test_the_client_asks_for_protobuf_and_parses_the_feed():
    # Given the API answering the feed as protobuf
    session = _protobuf_answer()
    client = BusGpsClient(TARGET, session=session)  # type: ignore[arg-type]

    # When the feed is fetched
    feed = client.vehicle_positions()

    # Then it was a GET of the feed's route, asking for protobuf, and the message is the API's
    assert [(method, url, headers["Accept"]) for method, url, headers in session.sent] == [
        ("GET", FEED_URL, "application/x-protobuf")
    ]
    assert feed == _feed()


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (FeedSession(200, b'{"buses": []}', "application/json"), "application/json instead of protobuf"),
        (FeedSession(200, b"\xff\xff\xff", "application/x-protobuf"), "not a GTFS-Realtime FeedMessage"),
        (FeedSession(404, b'{"error": "Not Found"}', "application/json"), "404: Not Found"),
    ],
    ids=["json", "garbage", "no-route"],
)
def test_an_answer_that_is_not_the_feed_is_an_error(session: FeedSession, message: str):
    # Given an API that answers something else than a FeedMessage
    client = BusGpsClient(TARGET, session=session)  # type: ignore[arg-type]

    # Then fetching the feed says what came instead
    with pytest.raises(ApiError, match=message):
        client.vehicle_positions()


def test_feed_prints_the_summary(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    # Given the API answering the feed
    monkeypatch.setattr(requests.Session, "request", _protobuf_answer().request)

    # When `busgps feed` runs
    exit_code = main(["feed", "--api-url", API_URL])

    # Then it prints the summary as JSON, its age measured from now
    assert exit_code == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["gtfsRealtimeVersion"], summary["entityCount"]) == ("2.0", 3)
    assert (summary["vehiclesWithTrip"], summary["vehiclesWithoutTrip"]) == (2, 1)
    assert summary["oldestVehicleTimestamp"] == "2026-12-03T08:29:20Z"
    assert summary["ageSeconds"] == summary["oldestVehicleAgeSeconds"] - 40


def test_feed_json_prints_protobuf_s_canonical_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given the API answering the feed
    monkeypatch.setattr(requests.Session, "request", _protobuf_answer().request)

    # When `busgps feed --json` runs
    exit_code = main(["feed", "--json", "--api-url", API_URL])

    # Then it prints the whole message in protobuf's canonical JSON: camelCase, 64-bit numbers as strings
    assert exit_code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_format.MessageToDict(_feed())
    assert printed["header"]["gtfsRealtimeVersion"] == "2.0"
    assert printed["header"]["timestamp"] == str(int(HEADER_TIME.timestamp()))
    assert printed["entity"][1]["vehicle"]["trip"]["startTime"] == "25:10:00"
    # And parsed back, it is the same message
    assert json_format.ParseDict(printed, gtfs_realtime_pb2.FeedMessage()) == _feed()


def test_feed_of_an_api_without_the_route_fails_with_its_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given an API that does not serve the feed
    answer = FeedSession(404, b'{"error": "Not Found"}', "application/json")
    monkeypatch.setattr(requests.Session, "request", answer.request)

    # When `busgps feed` runs, Then it exits 1 with the API's error on stderr
    assert main(["feed", "--api-url", API_URL]) == 1
    assert "404: Not Found" in capsys.readouterr().err
