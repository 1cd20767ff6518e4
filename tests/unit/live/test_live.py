"""Live push's pure rules: each bus once per batch, the filters, and messages that fit one frame."""

import json
from decimal import Decimal

import pytest

from busgps import aws_limits
from busgps.logic.live import (
    InvalidSubscription,
    LiveBus,
    Subscription,
    buses_for,
    framed_messages,
    live_buses,
    newest_per_bus,
)
from busgps.models.api import position_view, to_json
from busgps.models.position import Position
from busgps.models.websocket import always_sent_fields


def fix(bus_id: str, time_ms: int, lon: str = "13.4", lat: str = "52.5", sequence: str = "1") -> Position:
    return Position(bus_id, time_ms, Decimal(lat), Decimal(lon), time_ms + 50, sequence)


def test_many_fixes_of_one_bus_in_a_batch_become_that_bus_once_at_its_newest() -> None:
    # Given a batch with three fixes of bus 17, out of order, and one of bus 42
    batch = [fix("17", 2_000), fix("42", 1_000), fix("17", 3_000), fix("17", 1_000)]
    # When it is coalesced
    buses = newest_per_bus(batch)
    # Then each bus is there once, at its newest fix, in bus id order
    assert [(bus.bus_id, bus.time_ms) for bus in buses] == [("17", 3_000), ("42", 1_000)]


def test_at_equal_times_the_later_record_wins_as_in_the_latest_position_table() -> None:
    # Given two fixes of one bus at the same time, the second written later to the stream
    first, second = fix("17", 1_000, lon="1", sequence="5"), fix("17", 1_000, lon="2", sequence="9")
    # When they are coalesced in either order
    # Then the later record is kept
    assert newest_per_bus([second, first]) == [second]
    assert newest_per_bus([first, second]) == [second]


def test_a_live_bus_is_shown_exactly_as_get_v1_buses_shows_it() -> None:
    # Given a position with optional fields
    position = Position(
        "17", 1_700_000_000_000, Decimal("1.5"), Decimal("2.5"), 1_700_000_000_100, "1", speed=Decimal("8.5")
    )
    # When it becomes a live bus; then its view is the query API's view of it
    assert LiveBus.of(position).view == position_view(position)


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [("-9.14", "38.72", True), ("-9.5", "38.72", False), ("-9.14", "39.5", False), ("-9.2", "38.6", True)],
)
def test_a_bbox_keeps_the_buses_inside_it_edges_included(lon: str, lat: str, inside: bool) -> None:
    # Given a subscription to Lisbon's centre
    subscription = Subscription.from_message({"action": "subscribe", "bbox": [-9.2, 38.6, -9.0, 38.8]})
    # When a bus is matched; then it is wanted exactly when inside (edges count)
    assert subscription.matches(fix("17", 1, lon=lon, lat=lat)) is inside


@pytest.mark.parametrize(("lon", "inside"), [("179.5", True), ("-179.5", True), ("180", True), ("0", False)])
def test_a_bbox_across_the_antimeridian_wraps_round_it(lon: str, inside: bool) -> None:
    # Given a bbox from 170°E to 170°W (minLon > maxLon: it crosses the antimeridian) around Fiji
    subscription = Subscription.from_message({"action": "subscribe", "bbox": [170, -20, -170, -10]})
    # When buses on either side, and one on the far side of the Earth, are matched
    # Then those between 170°E and 170°W are wanted, the other is not
    assert subscription.matches(fix("fiji", 1, lon=lon, lat="-17")) is inside


def test_bus_ids_keep_only_the_named_buses_and_no_filter_keeps_all() -> None:
    # Given one subscription to two buses, and one without a filter
    named = Subscription.from_message({"action": "subscribe", "busIds": ["17", "42"]})
    everything = Subscription.from_message({"action": "subscribe"})
    buses = live_buses([fix("17", 1), fix("42", 1), fix("99", 1)])
    # When the buses of a batch are chosen for each
    # Then the named ones, and all of them
    assert [view["busId"] for view in buses_for(named, buses)] == ["17", "42"]
    assert [view["busId"] for view in buses_for(everything, buses)] == ["17", "42", "99"]


def test_named_fields_keep_those_and_the_position_itself_and_none_keeps_every_field() -> None:
    # Given a live bus with optional fields, and subscriptions with and without fields
    position = Position(
        "17",
        1_700_000_000_000,
        Decimal("1.5"),
        Decimal("2.5"),
        1_700_000_000_100,
        "1",
        speed=Decimal("8.5"),
        bearing=Decimal(90),
        trip_id="t1",
    )
    buses = live_buses([position])
    speed_only = Subscription.from_message({"action": "subscribe", "busIds": ["17"], "fields": ["speed"]})
    everything = Subscription.from_message({"action": "subscribe", "busIds": ["17"]})
    # When each one's buses are taken
    (shown,) = buses_for(speed_only, buses)
    # Then the first gets busId, latitude, longitude, timestamp and speed; the second the whole view
    assert shown == {name: position_view(position)[name] for name in (*always_sent_fields(), "speed")}
    assert buses_for(everything, buses) == [position_view(position)]


def test_a_bbox_upside_down_is_refused_saying_what_to_fix() -> None:
    # Given a bbox whose minLat is above its maxLat; when it is read; then it is refused, naming the order
    with pytest.raises(InvalidSubscription, match="minLat must not be greater than maxLat"):
        Subscription.from_message({"action": "subscribe", "bbox": [0, 50, 10, 40]})


def views(count: int) -> list[dict[str, object]]:
    return [position_view(fix(f"bus-{index:05d}", 1_700_000_000_000 + index)) for index in range(count)]


def test_a_batch_that_fits_one_frame_is_one_message() -> None:
    # Given ten buses
    # When they are framed as a positions message
    messages = framed_messages("positions", views(10))
    # Then there is one message, part 1 of 1, holding them all in order
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert (message["type"], message["part"], message["parts"]) == ("positions", 1, 1)
    assert [bus["busId"] for bus in message["buses"]] == [f"bus-{index:05d}" for index in range(10)]


def test_a_large_snapshot_is_cut_into_as_few_frames_as_hold_it_each_within_32_kb() -> None:
    # Given 1,000 buses, about 130 KB of JSON
    buses = views(1000)
    # When they are framed as a snapshot
    messages = framed_messages("snapshot", buses)
    parsed = [json.loads(message) for message in messages]
    # Then every message fits a 32 KB frame, the parts are numbered 1..n of n, every bus is there
    # once in order, and each message was cut only because the next bus would not fit
    sizes = [len(message.encode()) for message in messages]
    assert max(sizes) <= aws_limits.WEBSOCKET_FRAME_MAX_BYTES
    assert [(part["part"], part["parts"]) for part in parsed] == [
        (n, len(messages)) for n in range(1, len(messages) + 1)
    ]
    assert [bus for part in parsed for bus in part["buses"]] == json.loads(to_json(buses))
    assert len(messages) > 1
    digits_unused = 2 * 6 - len(f"{len(messages)}{len(messages)}")  # part and parts have room for 6 digits
    for size, following in zip(sizes, parsed[1:], strict=False):
        next_bus = len(to_json(following["buses"][0]).encode()) + 1
        assert size + digits_unused + next_bus > aws_limits.WEBSOCKET_FRAME_MAX_BYTES


def test_a_snapshot_of_nothing_is_one_empty_message() -> None:
    # Given no buses; when a snapshot is framed; then one message says so
    assert [json.loads(message) for message in framed_messages("snapshot", [])] == [
        {"type": "snapshot", "buses": [], "part": 1, "parts": 1}
    ]
