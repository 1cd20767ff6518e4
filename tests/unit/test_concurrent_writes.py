"""A batch's writes overlap: no write of a batch waits for another's answer to be sent."""

import threading
from decimal import Decimal
from typing import Any

from busgps.dal.history import HISTORY_WRITE_CONCURRENCY, DynamoHistoryStore
from busgps.dal.items import ItemLayout
from busgps.dal.positions import LATEST_WRITE_CONCURRENCY, DynamoPositionStore
from busgps.logic.noise import BusState
from busgps.models.position import Position

TIMEOUT_SECONDS = 10.0


class OverlapClient:
    """A DynamoDB client whose calls each wait until `parties` calls are in flight together; a store
    that made its calls one after another would break the barrier (BrokenBarrierError)."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=TIMEOUT_SECONDS)
        self.calls = 0
        self._lock = threading.Lock()

    def _arrive(self) -> None:
        with self._lock:
            self.calls += 1
            waiting = self.calls <= self.barrier.parties
        if waiting:
            self.barrier.wait()

    def put_item(self, **request: Any) -> dict[str, Any]:
        self._arrive()
        return {}

    def batch_write_item(self, **request: Any) -> dict[str, Any]:
        self._arrive()
        return {"UnprocessedItems": {}}


def fix(bus: int) -> Position:
    return Position(
        bus_id=f"bus-{bus:04d}",
        time_ms=1_767_225_600_000 + bus,
        latitude=Decimal("38.7"),
        longitude=Decimal("-9.1"),
        received_at_ms=1_767_225_600_500,
        sequence_number=str(49 * 10**54 + bus),
    )


def history_store(client: Any) -> DynamoHistoryStore:
    return DynamoHistoryStore(
        client=client, table_name="history", ttl_field_name="expirationTime", retention_days=1
    )


def test_a_batchs_latest_positions_are_written_concurrently() -> None:
    # Given a batch of many buses and a client that answers only once enough writes are in flight
    client = OverlapClient(LATEST_WRITE_CONCURRENCY)
    store = DynamoPositionStore(
        client=client,  # type: ignore[arg-type]
        latest_table_name="latest",
        history_store=history_store(client),
        layout=ItemLayout(ttl_field_name="expirationTime", ttl_seconds=3600),
    )
    states = [BusState(latest=fix(bus), kept=fix(bus)) for bus in range(LATEST_WRITE_CONCURRENCY * 3)]
    # When their latest positions are written
    outcome = store.write_latest(states)
    # Then every one was written, that many at once
    assert (outcome.failed, client.calls) == ([], len(states))


def test_a_batchs_history_items_are_written_in_concurrent_calls() -> None:
    # Given a batch whose history items need many BatchWriteItem calls (25 items a call)
    client = OverlapClient(HISTORY_WRITE_CONCURRENCY)
    positions = [fix(bus) for bus in range(25 * HISTORY_WRITE_CONCURRENCY * 2)]
    # When the batch is written
    outcome = history_store(client).write(positions)
    # Then every fix was stored, in calls made that many at once
    assert outcome.failed == []
    assert client.calls >= HISTORY_WRITE_CONCURRENCY * 2
