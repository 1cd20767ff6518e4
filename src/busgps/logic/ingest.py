"""One batch of Kinesis records: parse, reject, judge, keep history and latest, say what failed.

Idempotent: processing the same batch twice serves exactly what processing it once does, because
history reads give each bus and time once, and the latest position only ever moves forward.
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from busgps.logic.noise import BusState, NoisePolicy, judge
from busgps.logic.ports import DeadLetterSink, PositionWriter
from busgps.logic.records import parse_record
from busgps.models.position import KinesisRecord, Position, Rejection

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class IngestPolicy:
    """How long fixes are served, and which are noise: the environment's settings."""

    latest_ttl_seconds: int
    history_retention_days: int
    noise: NoisePolicy = field(default_factory=NoisePolicy)

    @property
    def retention_seconds(self) -> int:
        return self.history_retention_days * DAY_SECONDS


# The counts of every batch; the noise filters' counts are added by reason when there are any
# (flagged_<reason>, thinned_<reason>).
ALWAYS_COUNTED = (
    "received",
    "valid",
    "invalid",
    "stale",
    "written",
    "retried",
    "failed",
    "history_write_units",
)


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
    policy: IngestPolicy,
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
    retained = [position for position in positions if position.expires_at(policy.retention_seconds) > now_s]
    outcome.counts["stale"] = len(positions) - len(retained)

    unique = newest_per_key(retained)
    buses = sorted({position.bus_id for position in unique})
    previous = writer.bus_states(buses) if policy.noise.needs_previous_fix else {}
    judgement = judge(unique, previous, policy.noise)
    for reason, count in judgement.flagged.items():
        outcome.counts[f"flagged_{reason}"] = count
    for reason, count in judgement.thinned.items():
        outcome.counts[f"thinned_{reason}"] = count

    history = writer.write_history(judgement.kept)
    outcome.counts["retried"] += history.retries
    outcome.counts["history_write_units"] = history.write_units
    failed_keys = {position.key for position in history.failed}
    outcome.counts["written"] = len(judgement.kept) - len(failed_keys)

    # A bus keeps its latest position for the retry when the new one was not kept; a fix already
    # past the latest expiry goes to history only.
    updates = [
        state
        for bus_id, state in judgement.states.items()
        if state.latest is not None
        and state != previous.get(bus_id, BusState())
        and state.latest.key not in failed_keys
        and state.latest.expires_at(policy.latest_ttl_seconds) > now_s
    ]
    latest = writer.write_latest(updates)
    outcome.counts["retried"] += latest.retries
    failed_buses = {position.bus_id for position in latest.failed}

    for position in retained:
        if position.key in failed_keys or position.bus_id in failed_buses:
            outcome.failed_sequence_numbers.add(position.sequence_number)
    outcome.counts["failed"] = len(outcome.failed_sequence_numbers)
    return outcome
