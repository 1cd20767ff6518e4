"""DynamoDB storage of positions: a history table and a latest-position table.

Every read filters out expired items: DynamoDB deletes them lazily, sometimes days after their TTL.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps import aws_limits
from busgps.dal.items import ItemLayout, sequence_order
from busgps.dal.retry import THROTTLING_ERROR_CODES, Backoff
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


@dataclass
class DynamoPositionStore:
    client: DynamoDBClient
    latest_table_name: str
    history_table_name: str
    layout: ItemLayout
    backoff: Backoff = field(default_factory=Backoff)

    # Writes

    def write_history(self, positions: Sequence[Position]) -> WriteOutcome:
        outcome = WriteOutcome()
        size = aws_limits.DYNAMODB_BATCH_WRITE_MAX_ITEMS
        for start in range(0, len(positions), size):
            chunk = positions[start : start + size]
            unwritten, retries = self._batch_write(chunk)
            outcome.failed.extend(unwritten)
            outcome.retries += retries
        return outcome

    def _batch_write(self, chunk: Sequence[Position]) -> tuple[list[Position], int]:
        by_key = {position.key: position for position in chunk}
        pending: list[Any] = [{"PutRequest": {"Item": self.layout.to_item(position)}} for position in chunk]
        retries = 0
        for retries in self.backoff.attempts():  # an attempt's number is the retries made before it
            try:
                response = self.client.batch_write_item(RequestItems={self.history_table_name: pending})
            except ClientError as error:
                if _error_code(error) in THROTTLING_ERROR_CODES:
                    continue
                break  # not retryable: report the chunk failed rather than fail the whole batch
            pending = list(response.get("UnprocessedItems", {}).get(self.history_table_name, []))
            if not pending:
                return [], retries
        unwritten = []
        for request in pending:
            item = request["PutRequest"]["Item"]
            unwritten.append(by_key[(item["busId"]["S"], int(item["positionTimeMs"]["N"]))])
        return unwritten, retries

    def write_latest(self, position: Position) -> WriteOutcome:
        retries = 0
        for retries in self.backoff.attempts():  # an attempt's number is the retries made before it
            try:
                self.client.put_item(
                    TableName=self.latest_table_name,
                    Item=self.layout.to_item(position),
                    ConditionExpression=_NEWER_THAN_STORED,
                    ExpressionAttributeValues={
                        ":time": {"N": str(position.time_ms)},
                        ":sequence": {"S": sequence_order(position.sequence_number)},
                    },
                )
            except ClientError as error:
                code = _error_code(error)
                if code == "ConditionalCheckFailedException":
                    return WriteOutcome(retries=retries)  # a newer position is stored: nothing to do
                if code in THROTTLING_ERROR_CODES:
                    continue
                break
            return WriteOutcome(retries=retries)
        return WriteOutcome(failed=[position], retries=retries)

    # Reads

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

    def history(self, bus_id: str, from_ms: int, to_ms: int, limit: int, now_s: int) -> Page:
        """One bus's positions with from_ms <= time <= to_ms, newest first."""
        request: dict[str, Any] = {
            "TableName": self.history_table_name,
            "KeyConditionExpression": "busId = :bus AND positionTimeMs BETWEEN :from AND :to",
            "ExpressionAttributeValues": {
                ":bus": {"S": bus_id},
                ":from": {"N": str(from_ms)},
                ":to": {"N": str(to_ms)},
                ":now": {"N": str(now_s)},
            },
            "ScanIndexForward": False,
            **self._live(),
        }
        return self._page(self.client.query, request, limit)

    def _page(self, operation: Callable[..., Any], request: dict[str, Any], limit: int) -> Page:
        """Follow DynamoDB's pages to `limit` live items, plus one that tells whether more exist."""
        wanted = limit + 1
        request["Limit"] = min(wanted, 1000)
        found: list[Position] = []
        while len(found) < wanted:
            response = operation(**request)
            found.extend(self.layout.from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return Page(positions=found[:limit], has_more=len(found) > limit)
