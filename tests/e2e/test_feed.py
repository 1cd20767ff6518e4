"""The GTFS-Realtime feed over real HTTP: what a trip planner polling the local stack gets."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2

from busgps.client.api import BusGpsClient
from support.polling import wait_for

pytestmark = pytest.mark.e2e

PROTOBUF = {"Accept": "application/x-protobuf"}


def feed_url(local_stack: dict[str, Any]) -> str:
    return f"{local_stack['api_url']}/v1/gtfs-rt/vehicle-positions"


def fetch(local_stack: dict[str, Any]) -> gtfs_realtime_pb2.FeedMessage:
    response = requests.get(feed_url(local_stack), headers=PROTOBUF, timeout=10)
    assert response.status_code == 200, response.text
    return gtfs_realtime_pb2.FeedMessage.FromString(response.content)


def test_a_posted_bus_appears_in_the_feed_with_its_trip_and_a_quiet_one_does_not(
    client: BusGpsClient, local_stack: dict[str, Any]
) -> None:
    # Given a bus on a trip posted now, and one whose only fix is two minutes old
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    trip = {"tripId": f"T-{run}", "routeId": "728", "directionId": 1, "startDate": now.strftime("%Y%m%d")}
    on_trip = {"busId": f"feed-{run}", "latitude": 38.7223, "longitude": -9.1393, "bearing": 90, **trip}
    quiet = {
        "busId": f"quiet-{run}",
        "latitude": 38.71,
        "longitude": -9.13,
        "timestamp": (now - timedelta(seconds=120)).isoformat(),
    }
    assert client.post_batch([on_trip, quiet]).failed == []

    # When the feed is polled until the bus is in it
    def entities() -> dict[str, gtfs_realtime_pb2.FeedEntity]:
        return {entity.id: entity for entity in fetch(local_stack).entity}

    current = wait_for(lambda: (found := entities()) and on_trip["busId"] in found and found)
    assert current, "the bus never appeared in the feed"

    # Then it carries its trip; and the bus quiet for longer than the feed's maximum age is not there
    vehicle = current[on_trip["busId"]].vehicle
    assert (vehicle.trip.trip_id, vehicle.trip.route_id, vehicle.trip.direction_id) == (
        trip["tripId"],
        "728",
        1,
    )
    assert vehicle.position.bearing == 90
    assert quiet["busId"] not in current
    assert client.latest(quiet["busId"]) is not None  # still live for the API, just not for the feed


def test_the_feed_answers_304_to_its_etag_and_json_that_is_the_same_message(
    local_stack: dict[str, Any],
) -> None:
    # Given the feed's current answer
    first = requests.get(feed_url(local_stack), headers=PROTOBUF, timeout=10)
    assert first.headers["Content-Type"] == "application/x-protobuf"
    assert first.headers["Cache-Control"].startswith("public, max-age=")

    # When it is asked for again with its ETag, within the refresh period
    again = requests.get(
        feed_url(local_stack), headers={**PROTOBUF, "If-None-Match": first.headers["ETag"]}, timeout=10
    )

    # Then it is a 304 with no body (or, if the period just ended, a newer snapshot)
    if again.status_code == 304:
        assert again.content == b""
    else:
        assert again.status_code == 200
        assert again.headers["ETag"] != first.headers["ETag"]

    # And ?format=json gives protobuf's canonical JSON of a feed of the same shape
    as_json = requests.get(feed_url(local_stack), params={"format": "json"}, timeout=10)
    assert as_json.headers["Content-Type"] == "application/json"
    message = json_format.Parse(as_json.text, gtfs_realtime_pb2.FeedMessage())
    assert as_json.json()["header"]["gtfsRealtimeVersion"] == "2.0"
    assert message.header.incrementality == gtfs_realtime_pb2.FeedHeader.FULL_DATASET


@pytest.mark.parametrize("accept", ["*/*", "text/html, application/xhtml+xml, */*;q=0.8", None])
def test_any_reader_gets_the_protobuf_itself_whatever_it_accepts(
    local_stack: dict[str, Any], accept: str | None
) -> None:
    # Given a reader whose first Accept type is not protobuf's, or that sends none
    headers = {} if accept is None else {"Accept": accept}
    # When it asks for the feed
    response = requests.get(feed_url(local_stack), headers=headers, timeout=10)
    # Then the body is the protobuf message itself: every media type of the REST API is binary
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    feed = gtfs_realtime_pb2.FeedMessage.FromString(response.content)
    assert feed.header.gtfs_realtime_version == "2.0"
