"""Batch ingest over real HTTP: bad entries are named, and each bus's positions stay in order."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from busgps.client.api import ApiError, BusGpsClient
from busgps.client.models import Position
from support.polling import wait_for

pytestmark = pytest.mark.e2e


def _bus_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_a_valid_batch_is_accepted_whole_and_readable(client: BusGpsClient):
    # Given three buses' positions, with all optional fields
    now = datetime.now(UTC).replace(microsecond=0)
    positions = [
        Position(_bus_id("batch"), 38.7 + i / 100, -9.1, timestamp=now, speed=8.5, bearing=90.0, accuracy=4.0)
        for i in range(3)
    ]

    # When they are posted as one batch
    result = client.post_batch(positions)

    # Then every entry is accepted
    assert (result.message, result.accepted_count, result.failed_count, result.failed) == (
        "Success",
        3,
        0,
        [],
    )
    # And each bus's latest position is readable with its fields as JSON numbers and ISO times
    for position in positions:
        latest = wait_for(lambda bus=position.bus_id: client.latest(bus))
        assert latest is not None, f"{position.bus_id} never became visible"
        assert (latest.latitude, latest.longitude) == pytest.approx((position.latitude, position.longitude))
        assert latest.timestamp == now
        assert (latest.speed, latest.bearing, latest.accuracy) == (8.5, 90.0, 4.0)


def test_a_batch_with_bad_entries_is_refused_naming_each_of_them(client: BusGpsClient):
    # Given a batch whose second entry is off the globe and whose fourth has no bus id
    good = Position(_bus_id("bad-batch"), 1.0, 2.0).batch_entry()
    entries = [
        good,
        {**good, "latitude": 200},
        good,
        {"latitude": 1.0, "longitude": 2.0},
    ]

    # When it is posted
    with pytest.raises(ApiError) as refused:
        client.post_batch(entries)

    # Then it is a 400 whose JSON names both bad entries and what is wrong with them
    assert refused.value.status_code == 400
    details = refused.value.body["details"]
    assert "body.positions[1].latitude" in details
    assert "90" in details
    assert "body.positions[3]" in details
    assert "busId" in details
    # And nothing of the batch was written: a later position of the same bus (same shard, so read
    # after anything written before it) is the only one in its history
    client.post_position(Position(good["busId"], 7.0, 8.0))
    assert wait_for(lambda: client.latest(good["busId"])), "the later position never became visible"
    history = client.history(good["busId"])
    assert [(position.latitude, position.longitude) for position in history.positions] == [(7.0, 8.0)]


def test_a_batch_over_500_positions_is_refused(client: BusGpsClient):
    # Given 501 positions, one more than PutRecords takes
    entries = [Position(_bus_id("too-many"), 1.0, 2.0) for _ in range(501)]

    # Then the API refuses the batch with a JSON error
    with pytest.raises(ApiError) as refused:
        client.post_batch(entries)
    assert refused.value.status_code == 400
    assert "body.positions" in refused.value.body["details"]


def test_a_position_the_consumer_would_refuse_is_refused_at_once_and_never_shown(client: BusGpsClient):
    # Given a batch with a position from an hour in the future (it would freeze "latest")
    bus_id = _bus_id("future")
    future = datetime.now(UTC) + timedelta(hours=1)

    # When it is posted, Then the device is told at once, by the consumer's own rule
    with pytest.raises(ApiError) as refused:
        client.post_batch([Position(bus_id, 1.0, 2.0, timestamp=future)])
    assert refused.value.status_code == 400
    assert "body.positions[0].timestamp: more than 5 minutes in the future" in refused.value.body["details"]
    # And a later valid position of the same bus becomes its latest: the future one never did
    client.post_batch([Position(bus_id, 3.0, 4.0, timestamp=datetime.now(UTC))])
    latest = wait_for(lambda: client.latest(bus_id))
    assert latest is not None
    assert (latest.latitude, latest.longitude) == (3.0, 4.0)


def test_per_bus_ordering_latest_is_newest_and_history_is_newest_first(client: BusGpsClient):
    # Given 60 positions of one bus, one a second over the last minute, posted shuffled
    # across several batches and through both POST routes
    bus_id = _bus_id("ordered")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=90)
    positions = [
        Position(
            bus_id, 38.70 + i / 10_000, -9.14 + i / 10_000, timestamp=start + timedelta(seconds=i), speed=i
        )
        for i in range(60)
    ]
    shuffled = positions[:]
    random.Random(7).shuffle(shuffled)

    # When they are posted: 50 in batches of 10, then 10 one by one in the compatible format
    for offset in range(0, 50, 10):
        assert client.post_batch(shuffled[offset : offset + 10]).failed == []
    for position in shuffled[50:]:
        assert client.post_position(position).message == "Success"

    # Then the latest position is the newest one, whatever the order of arrival
    newest = positions[-1]

    def newest_is_latest() -> bool:
        latest = client.latest(bus_id)
        return latest is not None and latest.timestamp == newest.timestamp

    assert wait_for(newest_is_latest), f"latest of {bus_id}: {client.latest(bus_id)}"
    latest = client.latest(bus_id)
    assert latest is not None
    assert (latest.latitude, latest.longitude) == pytest.approx((newest.latitude, newest.longitude))

    # And the history holds all 60, newest first, across pages
    def full_history() -> list[datetime]:
        times: list[datetime] = []
        cursor = None
        while True:
            page = client.history(bus_id, limit=25, cursor=cursor)
            times.extend(position.timestamp for position in page.positions)
            if not page.next_cursor:
                return times
            cursor = page.next_cursor

    history = wait_for(lambda: (times := full_history()) and len(times) == 60 and times)
    assert history, f"history of {bus_id} is incomplete: {len(full_history())} of 60"
    assert history == sorted((position.timestamp for position in positions), reverse=True)

    # And a time window selects just the positions within it
    window = client.history(bus_id, start=start + timedelta(seconds=10), end=start + timedelta(seconds=19))
    assert [position.timestamp for position in window.positions] == [
        start + timedelta(seconds=i) for i in range(19, 9, -1)
    ]
