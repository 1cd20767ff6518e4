"""A fleet's traffic, and the sizes of what it makes, measured with busgps's own encoders.

The sizes the bill depends on (a stream record, a history chunk, a fleet window's share of a fix, the
feed, a pushed bus) are not guessed: they are the bytes busgps's own code produces for fixes like a
fleet's (Lisbon, a trip on each, all the optional fields a device sends).
"""

import gzip
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from busgps.dal.history import item_bytes, pack
from busgps.dal.items import ItemLayout
from busgps.logic.feed import FeedSnapshot, vehicle_positions
from busgps.logic.live import Subscription, buses_for, live_buses
from busgps.models.api import position_view, to_json
from busgps.models.position import Position
from busgps.models.websocket import map_fields

_NOW_MS = 1_796_114_700_000  # any moment: sizes do not depend on it
# How many buses a fleet window's or the feed's share of one bus is measured over.
_MEASURED_BUSES = 200


@dataclass(frozen=True)
class Fleet:
    """What the cost planner is asked about (`busgps cost`'s options)."""

    buses: int
    interval_seconds: float
    fixes_per_request: int
    history_days: int
    feed_consumers: int
    feed_poll_seconds: float
    map_viewers: int

    @property
    def fixes_per_second(self) -> float:
        return self.buses / self.interval_seconds

    @property
    def requests_per_second(self) -> float:
        return self.fixes_per_second / self.fixes_per_request

    @property
    def feed_polls_per_second(self) -> float:
        return self.feed_consumers / self.feed_poll_seconds if self.feed_poll_seconds else 0.0


def example_fix(bus: int, step: int) -> Position:
    return Position(
        bus_id=f"bus-{bus:05d}",
        time_ms=_NOW_MS + step * 5000 + bus % 1000,
        latitude=Decimal(f"{38.7 + bus / 10_000 + step / 3_000:.6f}"),
        longitude=Decimal(f"{-9.14 - bus / 10_000 + step / 4_000:.6f}"),
        received_at_ms=_NOW_MS + step * 5000 + 1500,
        sequence_number=str(49 * 10**54 + bus * 10**20 + step),
        speed=Decimal("8.3"),
        bearing=Decimal(90 + bus % 180),
        accuracy=Decimal(5),
        trip_id=f"{bus % 80}_{1000 + bus}_weekday",
        route_id=str(bus % 80),
        direction_id=bus % 2,
        start_date="20261201",
        start_time="08:15:00",
        schedule_relationship="SCHEDULED",
        vehicle_label=str(bus),
    )


@dataclass(frozen=True)
class Sizes:
    """Bytes of what a fleet of `fixes_per_request` fixes a request makes, as busgps encodes them."""

    fixes_per_request: int

    @cached_property
    def record_bytes(self) -> int:
        """A stream record: a fix's JSON, as a batch entry of POST /v1/positions."""
        entry = position_view(example_fix(1, 0))
        entry.pop("receivedAt")  # set by the stream, not sent
        return len(to_json(entry))

    @cached_property
    def chunk_item_bytes(self) -> int:
        """A bus chunk of history holding one request's fixes, with its keys and expiry."""
        fixes = [example_fix(1, step) for step in range(self.fixes_per_request)]
        return len(pack(fixes, with_bus=False)) + 70  # pk, sk, expiry: names and values

    @cached_property
    def window_bytes_per_fix(self) -> float:
        """A fix's share of a fleet window item (the fixes of many buses, packed together)."""
        fixes = [example_fix(bus, 0) for bus in range(_MEASURED_BUSES)]
        return len(pack(fixes, with_bus=True)) / len(fixes)

    @cached_property
    def latest_item_bytes(self) -> int:
        fix = example_fix(1, 0)
        item = ItemLayout(ttl_field_name="expirationTime", ttl_seconds=3600).to_item(fix, fix)
        return item_bytes(item)

    @cached_property
    def pushed_bus_bytes(self) -> int:
        """One bus in a WebSocket push to the operations map, which subscribes to the fields it shows."""
        subscription = Subscription.from_message({"action": "subscribe", "fields": map_fields()})
        (bus,) = buses_for(subscription, live_buses([example_fix(1, 0)]))
        return len(to_json(bus))

    @cached_property
    def feed_gzip_bytes_per_bus(self) -> float:
        """A bus's share of the GTFS-Realtime feed, gzipped as CloudFront keeps it."""
        fixes = [example_fix(bus, 0) for bus in range(_MEASURED_BUSES)]
        feed = FeedSnapshot(vehicle_positions(fixes, now_s=_NOW_MS // 1000, max_age_seconds=90))
        return len(gzip.compress(feed.protobuf.body)) / _MEASURED_BUSES
