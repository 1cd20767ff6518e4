"""One batch of Kinesis records: parse, reject, store history and latest, say what failed.

Idempotent: processing the same batch twice stores exactly what processing it once does, because
history items are keyed by bus and time, and the latest position only ever moves forward.
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from busgps.logic.ports import DeadLetterSink, PositionWriter
from busgps.logic.records import parse_record
from busgps.models.position import KinesisRecord, Position, Rejection


@dataclass
class BatchOutcome:
    """Which records must be retried, and what happened to the rest."""

    failed_sequence_numbers: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)


def _newest_by(positions: Iterable[Position], group: Callable[[Position], Hashable]) -> list[Position]:
    newest: dict[Hashable, Position] = {}
    for position in positions:
        current = newest.get(group(position))
        if current is None or position.order > current.order:
            newest[group(position)] = position
    return list(newest.values())


def newest_per_key(positions: Iterable[Position]) -> list[Position]:
    """One position per history key: the one of the latest Kinesis record, as a replay would also pick."""
    return _newest_by(positions, lambda position: position.key)


def newest_per_bus(positions: Iterable[Position]) -> list[Position]:
    return _newest_by(positions, lambda position: position.bus_id)


def ingest_batch(
    records: Sequence[KinesisRecord],
    writer: PositionWriter,
    dead_letters: DeadLetterSink,
    *,
    ttl_seconds: int,
    now_ms: int,
) -> BatchOutcome:
    outcome = BatchOutcome()
    outcome.counts["received"] = len(records)
    positions: list[Position] = []
    rejections: list[Rejection] = []
    for record in records:
        parsed = parse_record(record, now_ms)
        if isinstance(parsed, Rejection):
            rejections.append(parsed)
        else:
            positions.append(parsed)
    outcome.counts["invalid"] = len(rejections)
    outcome.counts["valid"] = len(positions)

    for unsent in dead_letters.send(rejections):
        outcome.failed_sequence_numbers.add(unsent.record.sequence_number)

    now_s = now_ms // 1000
    live = [position for position in positions if position.expires_at(ttl_seconds) > now_s]
    outcome.counts["stale"] = len(positions) - len(live)

    stored = newest_per_key(live)
    history = writer.write_history(stored)
    outcome.counts["retried"] += history.retries
    failed_keys = {position.key for position in history.failed}
    outcome.counts["written"] = len(stored) - len(failed_keys)

    # A bus whose history write failed keeps its latest for the retry, which will bring it forward.
    written = [position for position in stored if position.key not in failed_keys]
    failed_buses: set[str] = set()
    for candidate in newest_per_bus(written):
        latest = writer.write_latest(candidate)
        outcome.counts["retried"] += latest.retries
        if latest.failed:
            failed_buses.add(candidate.bus_id)

    for position in live:
        if position.key in failed_keys or position.bus_id in failed_buses:
            outcome.failed_sequence_numbers.add(position.sequence_number)
    outcome.counts["failed"] = len(outcome.failed_sequence_numbers)
    return outcome
