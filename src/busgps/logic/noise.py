"""Noise filters and history thinning, as AWS Location and Traccar offer them.

- A fix whose accuracy is worse than `max_accuracy_m`, or that implies a speed above `max_speed_mps`
  from the bus's previous accepted fix, is *flagged*: it is kept in history with the reason, but it
  never becomes the bus's latest position (nor the feed's, nor a pushed update).
- Thinning (off unless set) leaves a fix out of history when the bus has not moved
  `stationary_distance_m` from the last fix kept, within `stationary_max_gap_seconds` of it
  (a stationary bus), or when it comes less than `min_interval_seconds` after the last fix kept.
  A thinned fix may still become the latest position: the bus is alive, only not moving.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from busgps.models.position import Position

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Position, b: Position) -> float:
    """Great-circle distance (haversine) between two fixes, in metres."""
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    d_lat = lat_b - lat_a
    d_lon = math.radians(b.longitude) - math.radians(a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class NoisePolicy:
    """The filters of an environment; 0 turns a filter off."""

    max_speed_mps: float = 0
    max_accuracy_m: float = 0
    stationary_distance_m: float = 0
    stationary_max_gap_seconds: float = 0
    min_interval_seconds: float = 0

    @property
    def needs_previous_fix(self) -> bool:
        """Whether judging a batch needs each bus's stored latest position (and last kept fix)."""
        return bool(self.max_speed_mps or self.stationary_distance_m or self.min_interval_seconds)


@dataclass(frozen=True)
class BusState:
    """What a bus's next fixes are judged against: its latest accepted fix, and its last fix kept."""

    latest: Position | None = None
    kept: Position | None = None


@dataclass
class Judgement:
    """A batch's fixes of every bus, as the filters see them."""

    # Every fix to keep in history, flagged ones included (with their reason).
    kept: list[Position] = field(default_factory=list)
    # Per bus, the newest accepted fix (kept or thinned) and the last fix kept once the batch is stored.
    states: dict[str, BusState] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    thinned: dict[str, int] = field(default_factory=dict)


def judge(positions: Iterable[Position], previous: dict[str, BusState], policy: NoisePolicy) -> Judgement:
    """Flag and thin each bus's fixes in time order, starting from its stored state."""
    judgement = Judgement()
    by_bus: dict[str, list[Position]] = {}
    for position in positions:
        by_bus.setdefault(position.bus_id, []).append(position)
    for bus_id, fixes in by_bus.items():
        state = previous.get(bus_id, BusState())
        for fix in sorted(fixes, key=lambda position: position.order):
            state = _judge_fix(fix, state, policy, judgement)
        judgement.states[bus_id] = state
    return judgement


def _judge_fix(fix: Position, state: BusState, policy: NoisePolicy, judgement: Judgement) -> BusState:
    reason = _noise(fix, state.latest, policy)
    if reason is not None:
        kind, text = reason
        judgement.flagged[kind] = judgement.flagged.get(kind, 0) + 1
        judgement.kept.append(replace(fix, flagged=text))
        return state
    latest = fix if state.latest is None or fix.order > state.latest.order else state.latest
    thinning = _thinning(fix, state.kept, policy)
    if thinning is not None:
        judgement.thinned[thinning] = judgement.thinned.get(thinning, 0) + 1
        return BusState(latest=latest, kept=state.kept)
    judgement.kept.append(fix)
    kept = fix if state.kept is None or fix.order > state.kept.order else state.kept
    return BusState(latest=latest, kept=kept)


def _noise(fix: Position, previous: Position | None, policy: NoisePolicy) -> tuple[str, str] | None:
    if policy.max_accuracy_m and fix.accuracy is not None and fix.accuracy > policy.max_accuracy_m:
        return "accuracy", f"accuracy {fix.accuracy} m is worse than {policy.max_accuracy_m:g} m"
    # A late fix (older than the bus's latest) can never become the latest: its speed is not judged.
    if not policy.max_speed_mps or previous is None or fix.time_ms <= previous.time_ms:
        return None
    seconds = (fix.time_ms - previous.time_ms) / 1000
    speed = distance_m(previous, fix) / seconds
    if speed > policy.max_speed_mps:
        return "speed", (
            f"implied speed {speed:.1f} m/s from the previous fix exceeds {policy.max_speed_mps:g} m/s"
        )
    return None


def _thinning(fix: Position, kept: Position | None, policy: NoisePolicy) -> str | None:
    if kept is None or fix.time_ms <= kept.time_ms:
        return None
    gap_seconds = (fix.time_ms - kept.time_ms) / 1000
    if policy.min_interval_seconds and gap_seconds < policy.min_interval_seconds:
        return "interval"
    if (
        policy.stationary_distance_m
        and distance_m(kept, fix) < policy.stationary_distance_m
        and (not policy.stationary_max_gap_seconds or gap_seconds < policy.stationary_max_gap_seconds)
    ):
        return "stationary"
    return None


def newest_accepted(states: dict[str, BusState], buses: Sequence[str]) -> list[BusState]:
    """The states of `buses` whose newest accepted fix came from this batch (ordered as given)."""
    return [states[bus_id] for bus_id in buses if bus_id in states and states[bus_id].latest is not None]
