"""What the domain needs from storage and from the dead-letter queue; the data layer provides it."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from busgps.logic.noise import BusState
from busgps.models.position import Position, Rejection


@dataclass
class WriteOutcome:
    """What a bounded, retried write achieved."""

    failed: list[Position] = field(default_factory=list)
    retries: int = 0
    # DynamoDB write capacity units the written items cost (1 per KB of each item, rounded up).
    write_units: int = 0


class PositionWriter(Protocol):
    def write_history(self, positions: Sequence[Position]) -> WriteOutcome:
        """Keep positions with distinct keys in history; return those still unwritten after retries."""
        ...

    def write_latest(self, states: Sequence[BusState]) -> WriteOutcome:
        """Make each state's latest fix its bus's latest unless a newer one is stored, remembering its last
        kept fix; fail a bus only if it could not tell."""
        ...

    def bus_states(self, bus_ids: Sequence[str]) -> dict[str, BusState]:
        """The stored latest fix and last kept fix of each of these buses that has one."""
        ...


@dataclass(frozen=True)
class Page:
    positions: list[Position]
    has_more: bool


class PositionReader(Protocol):
    def latest(self, bus_id: str, now_s: int) -> Position | None:
        """The bus's latest position, unless it has expired."""
        ...

    def list_latest(self, limit: int, after_bus_id: str | None, now_s: int) -> Page:
        """Latest positions of live buses in a stable order, starting after `after_bus_id`."""
        ...

    def latest_since(self, since_ms: int, now_s: int) -> Iterator[Position]:
        """The latest position of every live bus whose fix was taken at or after `since_ms`."""
        ...

    def history(
        self, bus_id: str, from_ms: int, to_ms: int, limit: int, now_s: int, *, newest_first: bool = True
    ) -> Page:
        """One bus's positions kept in history with from_ms <= time <= to_ms, each time once."""
        ...

    def fleet_window(
        self, from_ms: int, to_ms: int, limit: int, after: tuple[int, str] | None, now_s: int
    ) -> Page:
        """Every bus's positions with from_ms <= time <= to_ms, in (time, bus id) order after `after`."""
        ...


class DeadLetterSink(Protocol):
    def send(self, rejections: Sequence[Rejection]) -> list[Rejection]:
        """Send rejected records with their reasons; return those that could not be sent."""
        ...
