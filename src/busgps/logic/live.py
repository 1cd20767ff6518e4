"""Live push: who wants which bus, each bus once per batch, and messages that fit one WebSocket frame.

Plain Python: the handlers feed it positions and subscriptions, and send what it returns.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from busgps import aws_limits
from busgps.models.api import position_view, to_json
from busgps.models.position import Position
from busgps.models.websocket import always_sent_fields


class InvalidSubscription(ValueError):
    """A subscribe message the schema allows but that names no place or bus; the message says why."""


@dataclass(frozen=True)
class Subscription:
    """Which buses one connection follows (all of them, those inside `bbox`, or those in `bus_ids`),
    and which of their fields it is sent (`fields` and those the protocol requires of a bus, or every
    field)."""

    # (minLon, minLat, maxLon, maxLat); minLon > maxLon crosses the antimeridian.
    bbox: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
    bus_ids: frozenset[str] | None = None
    fields: frozenset[str] | None = None

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "Subscription":
        """The subscription of a subscribe message that the protocol's schema accepted."""
        named = message.get("fields")
        fields = frozenset(named).union(always_sent_fields()) if named is not None else None
        bbox = message.get("bbox")
        if bbox is not None:
            min_lon, min_lat, max_lon, max_lat = (Decimal(str(value)) for value in bbox)
            if min_lat > max_lat:
                raise InvalidSubscription(
                    "bbox: minLat must not be greater than maxLat ([minLon, minLat, maxLon, maxLat])"
                )
            return cls(bbox=(min_lon, min_lat, max_lon, max_lat), fields=fields)
        bus_ids = message.get("busIds")
        return cls(bus_ids=frozenset(bus_ids) if bus_ids is not None else None, fields=fields)

    def shown(self, view: dict[str, Any]) -> dict[str, Any]:
        """The fields of a bus's view this subscription is sent."""
        if self.fields is None:
            return view
        return {name: value for name, value in view.items() if name in self.fields}

    def matches(self, position: Position) -> bool:
        if self.bus_ids is not None:
            return position.bus_id in self.bus_ids
        if self.bbox is None:
            return True
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not min_lat <= position.latitude <= max_lat:
            return False
        if min_lon <= max_lon:
            return min_lon <= position.longitude <= max_lon
        return position.longitude >= min_lon or position.longitude <= max_lon


def newest_per_bus(positions: Iterable[Position]) -> list[Position]:
    """Each bus once, at its newest position (the order the latest-position table keeps), by bus id."""
    newest: dict[str, Position] = {}
    for position in positions:
        kept = newest.get(position.bus_id)
        if kept is None or position.order > kept.order:
            newest[position.bus_id] = position
    return [newest[bus_id] for bus_id in sorted(newest)]


@dataclass(frozen=True)
class LiveBus:
    """A bus at its newest position, and that position as GET /v1/buses/{busId} shows it."""

    position: Position
    view: dict[str, Any]

    @classmethod
    def of(cls, position: Position) -> "LiveBus":
        return cls(position, position_view(position))


def live_buses(positions: Iterable[Position]) -> list[LiveBus]:
    """Each bus once, at its newest position, with its view computed once for every subscriber."""
    return [LiveBus.of(position) for position in newest_per_bus(positions)]


def buses_for(subscription: Subscription, buses: Sequence[LiveBus]) -> list[dict[str, Any]]:
    """The views of the buses the subscription wants, with the fields it wants."""
    return [subscription.shown(bus.view) for bus in buses if subscription.matches(bus.position)]


# Messages already built for a batch, by the fields and the buses they carry.
SharedMessages = dict[tuple[frozenset[str] | None, tuple[str, ...]], list[str]]


def positions_messages(
    subscription: Subscription, buses: Sequence[LiveBus], shared: SharedMessages
) -> list[str]:
    """The `positions` messages of the buses the subscription wants (none if it wants none of them).
    Subscribers who want the same buses with the same fields share messages built once in `shared`."""
    wanted = [bus for bus in buses if subscription.matches(bus.position)]
    if not wanted:
        return []
    key = (subscription.fields, tuple(bus.position.bus_id for bus in wanted))
    if key not in shared:
        shared[key] = framed_messages("positions", [subscription.shown(bus.view) for bus in wanted])
    return shared[key]


# Room for the part and parts numbers: up to 6 digits each (a million frames is far beyond any batch).
_NUMBER_DIGITS = 6


def envelope_bytes(message_type: str) -> int:
    """The bytes of a message without its buses: {"type":...,"buses":[],"part":N,"parts":N}."""
    number = "9" * _NUMBER_DIGITS
    return len(f'{{"type":{to_json(message_type)},"buses":[],"part":{number},"parts":{number}}}'.encode())


def framed_messages(
    message_type: str,
    buses: Sequence[dict[str, Any]],
    *,
    max_bytes: int = aws_limits.WEBSOCKET_FRAME_MAX_BYTES,
) -> list[str]:
    """`{"type", "buses", "part", "parts"}` messages of at most `max_bytes` each, as few as fit.

    A WebSocket frame of API Gateway holds 32 KB and each 32 KB is billed as one message, so a batch
    is cut only where it must be. No buses make one message with an empty list (a snapshot of nothing).
    """
    envelope = envelope_bytes(message_type)
    groups: list[list[str]] = [[]]
    size = envelope
    for bus in buses:
        encoded = to_json(bus)
        bus_bytes = len(encoded.encode("utf-8")) + 1  # and its comma
        if envelope + bus_bytes > max_bytes:
            raise ValueError(f"bus {bus.get('busId')} alone is {bus_bytes} bytes: over {max_bytes}")
        if groups[-1] and size + bus_bytes > max_bytes:
            groups.append([])
            size = envelope
        groups[-1].append(encoded)
        size += bus_bytes
    parts = len(groups)
    return [
        f'{{"type":{to_json(message_type)},"buses":[{",".join(group)}],"part":{number},"parts":{parts}}}'
        for number, group in enumerate(groups, start=1)
    ]
