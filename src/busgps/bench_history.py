"""What history costs to write, measured with its own code: a fleet's consumer batches through
`DynamoHistoryStore`, whose items are counted as DynamoDB bills them (a unit per KB)."""

from dataclasses import dataclass
from typing import Any

from busgps.cost.traffic import Fleet, example_fix
from busgps.dal.history import DynamoHistoryStore
from busgps.models.position import Position


class _AcceptingTable:
    """Stands in for DynamoDB's BatchWriteItem: every item is written."""

    def batch_write_item(self, **_: Any) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class HistoryWrites:
    fixes: int
    history_units: int
    # The latest position: one conditional write (under 1 KB) a bus a batch.
    latest_units: int

    @property
    def history_units_per_fix(self) -> float:
        return self.history_units / self.fixes

    @property
    def latest_units_per_fix(self) -> float:
        return self.latest_units / self.fixes


def _request(bus: int, last_step: int, fixes: int) -> list[Position]:
    """One device request: the bus's last `fixes` fixes, a step (the fleet's interval) apart."""
    return [example_fix(bus, step) for step in range(last_step - fixes + 1, last_step + 1)]


def history_writes(fleet: Fleet, batch_seconds: int, minutes: int = 10) -> HistoryWrites:
    """The write units of `minutes` of the fleet's fixes, arriving as devices send them (each bus its
    last `fixes_per_request` fixes at a time, the buses spread over that period) and stored a consumer
    batch every `batch_seconds` (one lane), as the consumer stores them."""
    table: Any = _AcceptingTable()
    store = DynamoHistoryStore(table, "history", "expirationTime", retention_days=fleet.history_days)
    request_period = round(fleet.interval_seconds * fleet.fixes_per_request)
    batch_seconds = max(1, batch_seconds)
    fixes = history_units = latest_units = 0
    for batch_start in range(0, minutes * 60, batch_seconds):
        batch: list[Position] = []
        buses = set()
        for second in range(batch_start, batch_start + batch_seconds):
            for bus in range(second % request_period, fleet.buses, request_period):
                last_step = int(second // fleet.interval_seconds)
                batch.extend(_request(bus, last_step, fleet.fixes_per_request))
                buses.add(bus)
        if not batch:
            continue
        outcome = store.write(batch)
        fixes += len(batch)
        history_units += outcome.write_units
        latest_units += len(buses)
    return HistoryWrites(fixes, history_units, latest_units)
