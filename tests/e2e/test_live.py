"""Live push over the local stack's WebSocket API, as a subscriber (the operations map) meets it."""

import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from busgps.client.api import BusGpsClient
from support.polling import wait_for

pytestmark = pytest.mark.e2e

# How long a subscriber listens for a message that must come (the pipeline takes about 1.5 s).
ARRIVAL_SECONDS = 15.0
# How long it listens further to be sure nothing more comes for a batch already delivered.
QUIET_SECONDS = 3.0


class Subscriber:
    """A WebSocket client of the local stack, reading the protocol's messages."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    def send(self, message: dict[str, Any] | str) -> None:
        self.connection.send(message if isinstance(message, str) else json.dumps(message))

    def receive(self, timeout: float = ARRIVAL_SECONDS) -> dict[str, Any] | None:
        try:
            message: dict[str, Any] = json.loads(self.connection.recv(timeout=timeout))
        except TimeoutError:
            return None
        return message

    def subscribe(self, **options: Any) -> list[dict[str, Any]]:
        """Subscribe and read the whole snapshot: its buses, by part."""
        self.send({"action": "subscribe", **options})
        parts = []
        while True:
            message = self.receive()
            assert message is not None, "no snapshot came"
            if message["type"] == "snapshot":
                parts.append(message)
                if message["part"] == message["parts"]:
                    return parts

    def positions(self, seconds: float) -> list[dict[str, Any]]:
        """Every positions message of the next `seconds`."""
        messages = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None and message["type"] == "positions":
                messages.append(message)
        return messages

    def wait_for_bus(self, bus_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The first positions message naming `bus_id`, and every message received until then."""
        seen = []
        deadline = time.monotonic() + ARRIVAL_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            seen.append(message)
            if message["type"] == "positions" and any(bus["busId"] == bus_id for bus in message["buses"]):
                return message, seen
        raise AssertionError(f"no positions message named {bus_id}; received {seen}")


@pytest.fixture
def subscriber(local_stack: dict[str, Any]) -> Iterator[Subscriber]:
    with connect(local_stack["websocketUrl"]) as connection:
        yield Subscriber(connection)


def run_id() -> str:
    return uuid.uuid4().hex[:8]


def bus_ids_of(messages: list[dict[str, Any]]) -> list[str]:
    return [bus["busId"] for message in messages for bus in message["buses"]]


def latest_as_get_shows_it(local_stack: dict[str, Any], bus_id: str) -> Any:
    response = requests.get(f"{local_stack['api_url']}/v1/buses/{bus_id}", timeout=10)
    return response.json() if response.status_code == 200 else None


def connections_table(local_stack: dict[str, Any]) -> Any:
    return boto3.resource("dynamodb", endpoint_url=local_stack["emulator_endpoint"]).Table(
        local_stack["connections_table_name"]
    )


def test_a_subscriber_gets_a_snapshot_of_the_buses_it_asks_for_as_get_shows_them(
    client: BusGpsClient, local_stack: dict[str, Any], subscriber: Subscriber
) -> None:
    # Given two buses of this run with live positions, and a third one
    run = run_id()
    ids = [f"snap-{run}-a", f"snap-{run}-b", f"snap-{run}-c"]
    client.post_batch([{"busId": bus_id, "latitude": 38.7, "longitude": -9.1, "speed": 5} for bus_id in ids])
    assert wait_for(lambda: all(latest_as_get_shows_it(local_stack, bus_id) for bus_id in ids))
    # When a client subscribes to the first two
    snapshot = subscriber.subscribe(busIds=ids[:2])
    # Then the snapshot holds exactly those two, each exactly as GET /v1/buses/{busId} answers
    buses = [bus for part in snapshot for bus in part["buses"]]
    assert sorted(bus["busId"] for bus in buses) == ids[:2]
    assert buses == [latest_as_get_shows_it(local_stack, bus["busId"]) for bus in buses]


def test_many_fixes_of_a_bus_in_one_batch_reach_a_subscriber_as_that_bus_once(
    client: BusGpsClient, local_stack: dict[str, Any], subscriber: Subscriber
) -> None:
    # Given a subscriber to one bus
    bus_id = f"burst-{run_id()}"
    subscriber.subscribe(busIds=[bus_id])
    # When the bus sends ten fixes in one batch, a second and 11 m apart (a bus in town)
    start = datetime.now(UTC) - timedelta(seconds=20)
    fixes = [
        {
            "busId": bus_id,
            "latitude": 38.7 + index / 10_000,
            "longitude": -9.1,
            "timestamp": (start + timedelta(seconds=index)).isoformat(),
        }
        for index in range(10)
    ]
    assert client.post_batch(fixes).accepted_count == 10
    first, _ = subscriber.wait_for_bus(bus_id)
    later = subscriber.positions(QUIET_SECONDS)
    # Then one positions message names it once, at its newest fix, and no other message follows for it
    assert bus_ids_of([first]) == [bus_id]
    assert first["buses"][0] == latest_as_get_shows_it(local_stack, bus_id)
    assert first["buses"][0]["latitude"] == pytest.approx(38.7009)
    assert bus_ids_of(later) == []


def test_a_bbox_subscriber_gets_only_the_buses_inside_it(
    client: BusGpsClient, subscriber: Subscriber
) -> None:
    # Given a subscriber to a box around a town in Fiji that crosses the antimeridian
    run = run_id()
    subscriber.subscribe(bbox=[179.5, -17.5, -179.5, -16.5])
    # When one bus posts inside it (west of 180°), one inside it east of 180°, and one outside
    inside_west = {"busId": f"box-{run}-w", "latitude": -17.0, "longitude": 179.8}
    inside_east = {"busId": f"box-{run}-e", "latitude": -17.0, "longitude": -179.8}
    outside = {"busId": f"box-{run}-x", "latitude": -17.0, "longitude": 178.0}
    client.post_batch([outside, inside_west, inside_east])
    first, _ = subscriber.wait_for_bus(inside_west["busId"])
    messages = [first, *subscriber.positions(QUIET_SECONDS)]
    # Then it gets both buses inside the box, and never the one outside
    received = set(bus_ids_of(messages))
    assert {inside_west["busId"], inside_east["busId"]} <= received
    assert outside["busId"] not in received


def test_a_second_subscribe_replaces_the_first(client: BusGpsClient, subscriber: Subscriber) -> None:
    # Given a subscriber to bus A that then subscribes to bus B
    run = run_id()
    first_choice, second_choice = f"swap-{run}-a", f"swap-{run}-b"
    subscriber.subscribe(busIds=[first_choice])
    subscriber.subscribe(busIds=[second_choice])
    # When both buses post
    client.post_batch(
        [{"busId": bus_id, "latitude": 1.0, "longitude": 2.0} for bus_id in (first_choice, second_choice)]
    )
    first, _ = subscriber.wait_for_bus(second_choice)
    messages = [first, *subscriber.positions(QUIET_SECONDS)]
    # Then only bus B arrives
    assert set(bus_ids_of(messages)) == {second_choice}


def test_a_client_that_drops_its_socket_is_forgotten(local_stack: dict[str, Any]) -> None:
    # Given a subscribed client whose network goes away without a close frame
    table = connections_table(local_stack)

    def connection_ids() -> set[str]:
        return {item["connectionId"] for item in table.scan()["Items"]}

    before = connection_ids()
    with connect(local_stack["websocketUrl"]) as connection:
        Subscriber(connection).subscribe(busIds=["nobody"])
        ours = connection_ids() - before
        assert len(ours) == 1
        connection.socket.shutdown(socket.SHUT_RDWR)
    # When the server notices ($disconnect)
    # Then its connection and subscription are deleted
    assert wait_for(lambda: not ours & connection_ids())


def test_a_connection_api_gateway_no_longer_has_is_deleted_when_a_push_meets_it(
    client: BusGpsClient, local_stack: dict[str, Any]
) -> None:
    # Given a subscription whose connection is gone without a $disconnect (API Gateway answers 410)
    table = connections_table(local_stack)
    ghost = f"ghost{run_id()}="
    table.put_item(
        Item={
            "connectionId": ghost,
            "connectedAtMs": int(time.time() * 1000),
            "expirationTime": int(time.time()) + 3600,
            "subscription": {},
        }
    )
    # When any bus's position is pushed
    client.post_batch([{"busId": f"wake-{run_id()}", "latitude": 1.0, "longitude": 2.0}])
    # Then the ghost is deleted
    assert wait_for(lambda: "Item" not in table.get_item(Key={"connectionId": ghost}))


def test_messages_the_server_cannot_use_are_answered_with_what_to_send(subscriber: Subscriber) -> None:
    # Given a connected client
    # When it sends text that is not JSON, an unknown action, and a bbox with five numbers
    subscriber.send("hello")
    not_json = subscriber.receive()
    subscriber.send({"action": "unsubscribe"})
    unknown = subscriber.receive()
    subscriber.send({"action": "subscribe", "bbox": [1, 2, 3, 4, 5]})
    bad_bbox = subscriber.receive()
    subscriber.send({"action": "ping"})
    pong = subscriber.receive()
    # Then each gets an error saying what to send, and the socket stays open (ping is answered)
    assert not_json is not None
    assert not_json["type"] == "error"
    assert '{"action": "subscribe"}' in not_json["error"]
    assert unknown == {
        "type": "error",
        "error": not_json["error"].replace("a message is one JSON object", 'unknown action "unsubscribe"'),
    }
    assert bad_bbox == {"type": "error", "error": "subscribe: bbox: [1, 2, 3, 4, 5] is too long"}
    assert pong == {"type": "pong"}
