"""A batch through the domain, with in-memory storage standing in for DynamoDB."""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from busgps.logic.ingest import IngestPolicy, ingest_batch, newest_per_bus, newest_per_key
from busgps.logic.noise import BusState, NoisePolicy
from busgps.logic.ports import WriteOutcome
from busgps.models.position import KinesisRecord, Position, Rejection

NOW_MS = 1_764_590_400_000
# Latest positions live an hour, history a day; no noise filter unless a test turns one on.
POLICY = IngestPolicy(latest_ttl_seconds=3600, history_retention_days=1)


@dataclass
class MemoryStore:
    history: dict[tuple[str, int], Position] = field(default_factory=dict)
    latest: dict[str, BusState] = field(default_factory=dict)
    refuse_buses: set[str] = field(default_factory=set)
    state_reads: list[list[str]] = field(default_factory=list)

    def write_history(self, positions: Sequence[Position]) -> WriteOutcome:
        assert len({position.key for position in positions}) == len(positions), "duplicate keys in one write"
        failed = [position for position in positions if position.bus_id in self.refuse_buses]
        for position in positions:
            if position not in failed:
                self.history[position.key] = position
        return WriteOutcome(failed=failed, write_units=len(positions) - len(failed))

    def write_latest(self, states: Sequence[BusState]) -> WriteOutcome:
        for state in states:
            assert state.latest is not None
            current = self.latest.get(state.latest.bus_id)
            if current is None or current.latest is None or state.latest.order > current.latest.order:
                self.latest[state.latest.bus_id] = state
        return WriteOutcome()

    def bus_states(self, bus_ids: Sequence[str]) -> dict[str, BusState]:
        self.state_reads.append(list(bus_ids))
        return {bus_id: self.latest[bus_id] for bus_id in bus_ids if bus_id in self.latest}

    def latest_of(self, bus_id: str) -> Position:
        latest = self.latest[bus_id].latest
        assert latest is not None
        return latest


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
    outcome = ingest_batch(records, store, letters, policy=POLICY, now_ms=NOW_MS)
    # Then one history item per key, the later record winning, and latest is the newest time
    assert len(store.history) == 2
    assert store.latest_of("a").latitude == 2
    assert outcome.failed_sequence_numbers == set()
    assert outcome.counts["written"] == 2


def test_counts_of_a_mixed_batch() -> None:
    records = [
        _record(1, "a", _at(5)),
        _record(2, "b", raw="!!"),
        _record(3, "c", _at(2 * 86400)),  # older than the day history keeps
    ]
    outcome = ingest_batch(records, MemoryStore(), MemoryDeadLetters(), policy=POLICY, now_ms=NOW_MS)
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
        records, MemoryStore(), MemoryDeadLetters(refuse=True), policy=POLICY, now_ms=NOW_MS
    )
    assert outcome.failed_sequence_numbers == {records[0].sequence_number}


def test_unwritten_history_is_reported_failed_and_does_not_touch_latest() -> None:
    # Given storage that refuses bus b
    store = MemoryStore(refuse_buses={"b"})
    records = [_record(1, "a", _at(1)), _record(2, "b", _at(2)), _record(3, "b", _at(3))]
    # When ingested
    outcome = ingest_batch(records, store, MemoryDeadLetters(), policy=POLICY, now_ms=NOW_MS)
    # Then bus b's records are reported failed, and only bus a has a latest position
    assert outcome.failed_sequence_numbers == {records[1].sequence_number, records[2].sequence_number}
    assert set(store.latest) == {"a"}


def test_newest_helpers_order_by_time_then_sequence() -> None:
    base = Position("a", 1000, 0, 0, 0, "5")  # type: ignore[arg-type]
    later_record = Position("a", 1000, 1, 1, 0, "6")  # type: ignore[arg-type]
    newer_time = Position("a", 2000, 2, 2, 0, "1")  # type: ignore[arg-type]
    assert newest_per_key([later_record, base]) == [later_record]
    assert newest_per_bus([newer_time, base, later_record]) == [newer_time]


def test_a_fix_older_than_the_latest_expiry_goes_to_history_only() -> None:
    # Given a fix of two hours ago (the latest position lives an hour, history a day)
    store = MemoryStore()
    outcome = ingest_batch(
        [_record(1, "a", _at(7200))], store, MemoryDeadLetters(), policy=POLICY, now_ms=NOW_MS
    )
    # Then it is kept in history, and the bus has no live latest position
    assert outcome.counts["written"] == 1
    assert len(store.history) == 1
    assert store.latest == {}


def test_an_impossible_jump_is_kept_flagged_and_never_becomes_the_latest() -> None:
    # Given a bus at rest, then a fix 50 km away 10 s later, then one back near the start
    policy = IngestPolicy(3600, 1, NoisePolicy(max_speed_mps=70))
    store = MemoryStore()
    ingest_batch(
        [_record(1, "a", {**_at(30), "latitude": 38.70})],
        store,
        MemoryDeadLetters(),
        policy=policy,
        now_ms=NOW_MS,
    )
    jump = {**_at(20), "latitude": 39.15}
    back = {**_at(10), "latitude": 38.7001}
    outcome = ingest_batch(
        [_record(2, "a", jump), _record(3, "a", back)],
        store,
        MemoryDeadLetters(),
        policy=policy,
        now_ms=NOW_MS,
    )
    # Then the jump is in history with its reason and counted, and the latest is the fix after it
    flagged = [position for position in store.history.values() if position.flagged]
    assert [position.latitude for position in flagged] == [Decimal("39.15")]
    assert str(flagged[0].flagged).startswith("implied speed")
    assert outcome.counts["flagged_speed"] == 1
    assert store.latest_of("a").latitude == Decimal("38.7001")
    # And the stored latest positions were read once, for the batch's buses
    assert store.state_reads == [["a"], ["a"]]


def test_without_speed_or_thinning_filters_no_latest_position_is_read() -> None:
    store = MemoryStore()
    ingest_batch([_record(1, "a", _at(1))], store, MemoryDeadLetters(), policy=POLICY, now_ms=NOW_MS)
    assert store.state_reads == []
