"""GTFS-Realtime VehiclePositions: the fleet's live positions as the FeedMessage trip planners read.

One entity per bus whose newest fix is at most `max_age_seconds` old (MobilityData's best practice is
90 s), identified by its bus id in every snapshot. The message is built with GTFS-Realtime's own
protobuf classes, once per refresh period however many consumers poll (`FeedSnapshots`).
"""

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from functools import cached_property
from typing import Any

from google.protobuf import json_format
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.transit import gtfs_realtime_pb2

from busgps.models.position import Position

GTFS_REALTIME_VERSION = "2.0"
PROTOBUF = "application/x-protobuf"
_TRIP_FIELDS = ("trip_id", "route_id", "direction_id", "start_date", "start_time", "schedule_relationship")


def vehicle_positions(
    positions: Iterable[Position], *, now_s: int, max_age_seconds: int
) -> gtfs_realtime_pb2.FeedMessage:
    """A FULL_DATASET FeedMessage of every bus whose fix is at most `max_age_seconds` old at `now_s`.

    A fix stamped after `now_s` (a device clock running ahead) is reported at `now_s`: no entity may
    be newer than the header that carries it.
    """
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = GTFS_REALTIME_VERSION
    feed.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    feed.header.timestamp = now_s
    oldest_ms = (now_s - max_age_seconds) * 1000
    for position in sorted(positions, key=lambda position: position.bus_id):
        if position.time_ms < oldest_ms:
            continue
        entity = feed.entity.add()
        entity.id = position.bus_id
        _describe_vehicle(entity.vehicle, position, now_s)
    return feed


def _describe_vehicle(vehicle: gtfs_realtime_pb2.VehiclePosition, position: Position, now_s: int) -> None:
    vehicle.vehicle.id = position.bus_id
    if position.vehicle_label is not None:
        vehicle.vehicle.label = position.vehicle_label
    if position.license_plate is not None:
        vehicle.vehicle.license_plate = position.license_plate
    vehicle.timestamp = min(position.time_ms // 1000, now_s)
    vehicle.position.latitude = float(position.latitude)
    vehicle.position.longitude = float(position.longitude)
    if position.bearing is not None:
        vehicle.position.bearing = float(position.bearing)
    if position.speed is not None:
        vehicle.position.speed = float(position.speed)
    if any(getattr(position, name) is not None for name in _TRIP_FIELDS):
        _describe_trip(vehicle.trip, position)
    if position.occupancy_status is not None:
        vehicle.occupancy_status = _number_of(
            gtfs_realtime_pb2.VehiclePosition.OccupancyStatus, position.occupancy_status
        )
    if position.congestion_level is not None:
        vehicle.congestion_level = _number_of(
            gtfs_realtime_pb2.VehiclePosition.CongestionLevel, position.congestion_level
        )


def _describe_trip(trip: gtfs_realtime_pb2.TripDescriptor, position: Position) -> None:
    if position.trip_id is not None:
        trip.trip_id = position.trip_id
    if position.route_id is not None:
        trip.route_id = position.route_id
    if position.direction_id is not None:
        trip.direction_id = position.direction_id
    if position.start_date is not None:
        trip.start_date = position.start_date
    if position.start_time is not None:
        trip.start_time = position.start_time
    # Said even when it is the default: consumers and validators expect it populated.
    trip.schedule_relationship = _number_of(
        gtfs_realtime_pb2.TripDescriptor.ScheduleRelationship, position.schedule_relationship or "SCHEDULED"
    )


def _number_of(enum: EnumTypeWrapper, name: str) -> Any:
    """The number of an enum's label (typed Any: the stubs type a field by its enum class, Value by int)."""
    return enum.Value(name)


@dataclass(frozen=True)
class Representation:
    """The feed in one format: its bytes, media type and entity tag."""

    body: bytes
    content_type: str
    etag: str


class FeedSnapshot:
    """One built feed, with what HTTP caches need to know about it. Each of its two forms is encoded
    on first use, so a period in which nobody asks for JSON never pays for it."""

    def __init__(self, feed: gtfs_realtime_pb2.FeedMessage) -> None:
        self._feed = feed
        self.built_at_s: int = feed.header.timestamp
        self.entity_count = len(feed.entity)

    @cached_property
    def protobuf(self) -> Representation:
        return _representation(self._feed.SerializeToString(deterministic=True), PROTOBUF)

    @cached_property
    def json(self) -> Representation:
        """Protobuf's canonical JSON of the same message."""
        return _representation(
            json_format.MessageToJson(self._feed, indent=None).encode(), "application/json"
        )

    @property
    def last_modified(self) -> str:
        """The header timestamp as an HTTP date (RFC 9110)."""
        return formatdate(self.built_at_s, usegmt=True)

    def representation(self, output_format: str) -> Representation:
        return self.json if output_format == "json" else self.protobuf

    def not_modified_for(
        self, representation: Representation, if_none_match: str | None, if_modified_since: str | None
    ) -> bool:
        """Whether a conditional GET with these headers gets 304 (If-None-Match wins, as in RFC 9110)."""
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or representation.etag in tags
        if if_modified_since is not None:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False  # an unreadable date is ignored, as RFC 9110 says
            return since.tzinfo is not None and int(since.timestamp()) >= self.built_at_s
        return False


@dataclass(frozen=True)
class FeedAnswer:
    """The answer to one GET of the feed: 200 with the representation, or 304 with no body."""

    status: int
    representation: Representation
    headers: dict[str, str]

    @property
    def body(self) -> bytes | str:
        """Protobuf as bytes, JSON as text (the proxy response sends bytes as base64, text as is)."""
        body = self.representation.body if self.status == 200 else b""
        return body.decode() if self.representation.content_type == "application/json" else body


def feed_answer(
    snapshot: FeedSnapshot,
    output_format: str,
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    refresh_seconds: int,
) -> FeedAnswer:
    """What a GET of the feed answers, conditional GETs included; caches may keep it one refresh period."""
    representation = snapshot.representation(output_format)
    headers = {
        "ETag": representation.etag,
        "Last-Modified": snapshot.last_modified,
        "Cache-Control": f"public, max-age={refresh_seconds}",
    }
    not_modified = snapshot.not_modified_for(representation, if_none_match, if_modified_since)
    return FeedAnswer(304 if not_modified else 200, representation, headers)


def _representation(body: bytes, content_type: str) -> Representation:
    return Representation(body, content_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


class FeedSnapshots:
    """The current snapshot, built at most once per refresh period however many ask for it.

    `live_positions(since_ms)` reads every bus's latest fix at or after `since_ms`. The period is
    counted from the clock's epoch (`now // refresh_seconds`), so every instance refreshes in step.
    """

    def __init__(
        self,
        live_positions: Callable[[int], Iterable[Position]],
        *,
        max_age_seconds: int,
        refresh_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self._live_positions = live_positions
        self._max_age_seconds = max_age_seconds
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._current: tuple[int, FeedSnapshot] | None = None

    def current(self) -> FeedSnapshot:
        with self._lock:
            now_s = int(self._clock())
            period = now_s // self._refresh_seconds
            if self._current is None or self._current[0] != period:
                since_ms = (now_s - self._max_age_seconds) * 1000
                feed = vehicle_positions(
                    self._live_positions(since_ms), now_s=now_s, max_age_seconds=self._max_age_seconds
                )
                self._current = (period, FeedSnapshot(feed))
            return self._current[1]
