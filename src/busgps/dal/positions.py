"""DynamoDB storage of positions: each bus's latest position, and its history (`busgps.dal.history`).

Every read filters out expired items: DynamoDB deletes them lazily, sometimes days after their TTL.
"""

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps.dal.history import DynamoHistoryStore
from busgps.dal.items import ItemLayout, sequence_order
from busgps.dal.retry import THROTTLING_ERROR_CODES, Backoff
from busgps.logic.noise import BusState
from busgps.logic.ports import Page, WriteOutcome
from busgps.models.position import Position

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

_NEWER_THAN_STORED = (
    "attribute_not_exists(busId) OR positionTimeMs < :time"
    " OR (positionTimeMs = :time AND sequenceOrder < :sequence)"
)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# Latest positions are written one conditional PutItem per bus, this many at a time.
LATEST_WRITE_CONCURRENCY = 16
# BatchGetItem takes at most this many keys.
BATCH_GET_MAX_KEYS = 100


@dataclass
class DynamoPositionStore:
    client: DynamoDBClient
    latest_table_name: str
    history_store: DynamoHistoryStore
    layout: ItemLayout
    backoff: Backoff = field(default_factory=Backoff)

    # Writes

    def write_history(self, positions: Sequence[Position]) -> WriteOutcome:
        return self.history_store.write(positions)

    def write_latest(self, states: Sequence[BusState]) -> WriteOutcome:
        """One conditional write per bus, concurrently: a batch's buses never wait on each other."""
        outcome = WriteOutcome()
        if not states:
            return outcome
        with ThreadPoolExecutor(min(LATEST_WRITE_CONCURRENCY, len(states))) as pool:
            for result in pool.map(self._write_latest, states):
                outcome.failed.extend(result.failed)
                outcome.retries += result.retries
                outcome.write_units += result.write_units
        return outcome

    def _write_latest(self, state: BusState) -> WriteOutcome:
        position = state.latest
        assert position is not None
        retries = 0
        for retries in self.backoff.attempts():  # an attempt's number is the retries made before it
            try:
                self.client.put_item(
                    TableName=self.latest_table_name,
                    Item=self.layout.to_item(position, state.kept),
                    ConditionExpression=_NEWER_THAN_STORED,
                    ExpressionAttributeValues={
                        ":time": {"N": str(position.time_ms)},
                        ":sequence": {"S": sequence_order(position.sequence_number)},
                    },
                )
            except ClientError as error:
                code = _error_code(error)
                if code == "ConditionalCheckFailedException":
                    return WriteOutcome(retries=retries, write_units=1)  # a newer one is stored
                if code in THROTTLING_ERROR_CODES:
                    continue
                break
            return WriteOutcome(retries=retries, write_units=1)
        return WriteOutcome(failed=[position], retries=retries)

    # Reads

    def bus_states(self, bus_ids: Sequence[str]) -> dict[str, BusState]:
        states: dict[str, BusState] = {}
        for start in range(0, len(bus_ids), BATCH_GET_MAX_KEYS):
            keys: list[Any] = [
                {"busId": {"S": bus_id}} for bus_id in bus_ids[start : start + BATCH_GET_MAX_KEYS]
            ]
            for _ in self.backoff.attempts():
                response = self.client.batch_get_item(RequestItems={self.latest_table_name: {"Keys": keys}})
                for item in response.get("Responses", {}).get(self.latest_table_name, []):
                    state = self.layout.state_from_item(item)
                    assert state.latest is not None
                    states[state.latest.bus_id] = state
                unprocessed: Any = response.get("UnprocessedKeys", {}).get(self.latest_table_name, {})
                keys = list(unprocessed.get("Keys", []))
                if not keys:
                    break
            else:
                raise StoreUnavailable("the latest positions could not all be read within the retry bound")
        return states

    def _live(self) -> dict[str, Any]:
        return {
            "FilterExpression": "#expiry > :now",
            "ExpressionAttributeNames": {"#expiry": self.layout.ttl_field_name},
        }

    def latest(self, bus_id: str, now_s: int) -> Position | None:
        response = self.client.query(
            TableName=self.latest_table_name,
            KeyConditionExpression="busId = :bus",
            ExpressionAttributeValues={":bus": {"S": bus_id}, ":now": {"N": str(now_s)}},
            **self._live(),
        )
        items = response.get("Items", [])
        return self.layout.from_item(items[0]) if items else None

    def list_latest(self, limit: int, after_bus_id: str | None, now_s: int) -> Page:
        """Latest positions of live buses, in table order, starting after `after_bus_id`."""
        request: dict[str, Any] = {
            "TableName": self.latest_table_name,
            "ExpressionAttributeValues": {":now": {"N": str(now_s)}},
            **self._live(),
        }
        if after_bus_id is not None:
            request["ExclusiveStartKey"] = {"busId": {"S": after_bus_id}}
        return self._page(self.client.scan, request, limit)

    def latest_since(self, since_ms: int, now_s: int) -> Iterator[Position]:
        request: dict[str, Any] = {
            "TableName": self.latest_table_name,
            "FilterExpression": "#expiry > :now AND positionTimeMs >= :since",
            "ExpressionAttributeNames": {"#expiry": self.layout.ttl_field_name},
            "ExpressionAttributeValues": {":now": {"N": str(now_s)}, ":since": {"N": str(since_ms)}},
        }
        while True:
            response = self.client.scan(**request)
            yield from (self.layout.from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def history(
        self, bus_id: str, from_ms: int, to_ms: int, limit: int, now_s: int, *, newest_first: bool = True
    ) -> Page:
        return self.history_store.bus_history(bus_id, from_ms, to_ms, limit, now_s, newest_first=newest_first)

    def fleet_window(
        self, from_ms: int, to_ms: int, limit: int, after: tuple[int, str] | None, now_s: int
    ) -> Page:
        return self.history_store.fleet_window(from_ms, to_ms, limit, after, now_s)

    def _page(self, operation: Callable[..., Any], request: dict[str, Any], limit: int) -> Page:
        """Follow DynamoDB's pages to `limit` live items, plus one that tells whether more exist."""
        wanted = limit + 1
        found: list[Position] = []
        while len(found) < wanted:
            # Each page asks only for what is still wanted: a fleet's listing of 1,000 read a second
            # page of 1,000 items (and was billed for it) to learn whether a 1,001st bus existed.
            request["Limit"] = min(wanted - len(found), 1000)
            response = operation(**request)
            found.extend(self.layout.from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return Page(positions=found[:limit], has_more=len(found) > limit)


class StoreUnavailable(RuntimeError):
    """DynamoDB kept some keys unprocessed past the retry bound."""
