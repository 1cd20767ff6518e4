"""A batch through the domain, with in-memory storage standing in for DynamoDB."""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from busgps.logic.ingest import ingest_batch, newest_per_bus, newest_per_key
from busgps.logic.ports import WriteOutcome
from busgps.models.position import KinesisRecord, Position, Rejection

NOW_MS = 1_764_590_400_000


@dataclass
class MemoryStore:
    history: dict[tuple[str, int], Position] = field(default_factory=dict)
    latest: dict[str, Position] = field(default_factory=dict)
    refuse_buses: set[str] = field(default_factory=set)

    def write_history(self, positions: Sequence[Position]) -> WriteOutcome:
        assert len({position.key for position in positions}) == len(positions), "duplicate keys in one write"
        failed = [position for position in positions if position.bus_id in self.refuse_buses]
        for position in positions:
            if position not in failed:
                self.history[position.key] = position
        return WriteOutcome(failed=failed)

    def write_latest(self, position: Position) -> WriteOutcome:
        current = self.latest.get(position.bus_id)
        if current is None or position.order > current.order:
            self.latest[position.bus_id] = position
        return WriteOutcome()


@dataclass
class MemoryDeadLetters:
    sent: list[Rejection] = field(default_factory=list)
    refuse: bool = False

    def send(self, rejections: Sequence[Rejection]) -> list[Rejection]:
        if self.refuse:
            return list(rejections)
        self.sent.extend(rejections)
        return []


def _record(
    sequence: int, bus: str, data: dict[str, object] | None = None, raw: str | None = None
) -> KinesisRecord:
    encoded = raw if raw is not None else base64.b64encode(json.dumps(data).encode()).decode()
    return KinesisRecord("shardId-000000000000", str(10**55 + sequence), bus, encoded, NOW_MS - 1000)


def _at(seconds_ago: float, latitude: float = 1) -> dict[str, object]:
    return {"latitude": latitude, "longitude": 2, "timestamp": (NOW_MS - seconds_ago * 1000) / 1000}


def test_duplicates_collapse_to_the_latest_record_of_each_key() -> None:
    # Given two records of the same bus and time, and an older one
    records = [_record(1, "a", _at(5, 1)), _record(2, "a", _at(5, 2)), _record(3, "a", _at(50, 3))]
    store, letters = MemoryStore(), MemoryDeadLetters()
    # When ingested
    outcome = ingest_batch(records, store, letters, ttl_seconds=3600, now_ms=NOW_MS)
    # Then one history item per key, the later record winning, and latest is the newest time
    assert len(store.history) == 2
    assert store.latest["a"].latitude == 2
    assert outcome.failed_sequence_numbers == set()
    assert outcome.counts["written"] == 2


def test_counts_of_a_mixed_batch() -> None:
    records = [
        _record(1, "a", _at(5)),
        _record(2, "b", raw="!!"),
        _record(3, "c", _at(7200)),  # expired an hour ago
    ]
    outcome = ingest_batch(records, MemoryStore(), MemoryDeadLetters(), ttl_seconds=3600, now_ms=NOW_MS)
    assert {name: outcome.counts[name] for name in ("received", "valid", "invalid", "stale", "written")} == {
        "received": 3,
        "valid": 2,
        "invalid": 1,
        "stale": 1,
        "written": 1,
    }


def test_a_rejection_that_cannot_be_dead_lettered_is_reported_failed() -> None:
    # Given a dead-letter queue that refuses messages
    records = [_record(1, "a", raw="!!"), _record(2, "b", _at(1))]
    # When a bad record is ingested; Then it is reported failed instead of being lost
    outcome = ingest_batch(
        records, MemoryStore(), MemoryDeadLetters(refuse=True), ttl_seconds=3600, now_ms=NOW_MS
    )
    assert outcome.failed_sequence_numbers == {records[0].sequence_number}


def test_unwritten_history_is_reported_failed_and_does_not_touch_latest() -> None:
    # Given storage that refuses bus b
    store = MemoryStore(refuse_buses={"b"})
    records = [_record(1, "a", _at(1)), _record(2, "b", _at(2)), _record(3, "b", _at(3))]
    # When ingested
    outcome = ingest_batch(records, store, MemoryDeadLetters(), ttl_seconds=3600, now_ms=NOW_MS)
    # Then bus b's records are reported failed, and only bus a has a latest position
    assert outcome.failed_sequence_numbers == {records[1].sequence_number, records[2].sequence_number}
    assert set(store.latest) == {"a"}


def test_newest_helpers_order_by_time_then_sequence() -> None:
    base = Position("a", 1000, 0, 0, 0, "5")  # type: ignore[arg-type]
    later_record = Position("a", 1000, 1, 1, 0, "6")  # type: ignore[arg-type]
    newer_time = Position("a", 2000, 2, 2, 0, "1")  # type: ignore[arg-type]
    assert newest_per_key([later_record, base]) == [later_record]
    assert newest_per_bus([newer_time, base, later_record]) == [newer_time]
