"""The history table: several fixes to an item, so that keeping weeks of a fleet stays cheap.

DynamoDB bills a write by the kilobyte of the item, at least one unit however small the item, and
stores each item with 100 bytes of overhead; a fix alone is a tenth of that. So fixes are packed,
zlib-compressed, into two kinds of item of one table (keys `pk` and `sk`, both strings):

- **bus chunks** (`pk = bus#<busId>`): the fixes of one bus in one consumer batch that fall in one
  10-minute bucket, `sk = <first fix time, 13 digits>#<digest of the chunk's records>`. A bus's window
  is one Query over its partition; a bucket's chunks are read whole, so a fix is always found.
- **fleet windows** (`pk = window#<minute start, 13 digits>`): every fix of one consumer batch that
  falls in one minute, for "where was every bus between 08:15 and 08:16". A minute of a 10,000-bus
  fleet writes 80 KB a second to its partition, far below DynamoDB's 1,000 units a second.

A retried batch can pack the same fix into a second item (its key is a digest of its content, so a
different set of fixes never overwrites another item); reads give each bus and time once, the latest
Kinesis record's. Every item expires `history_retention_days` after its newest fix.
"""

import hashlib
import itertools
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps import aws_limits
from busgps.dal.retry import THROTTLING_ERROR_CODES, Backoff
from busgps.logic.ports import Page, WriteOutcome
from busgps.models.position import DESCRIPTOR_FIELDS, OPTIONAL_FIELDS, Position

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

KEY_SCHEMA = (("pk", "HASH"), ("sk", "RANGE"))
BUS_BUCKET_MS = 10 * 60 * 1000
WINDOW_MS = 60 * 1000
# BatchWriteItem calls of one batch made at a time.
HISTORY_WRITE_CONCURRENCY = 8
# Far below DynamoDB's 400 KB an item, compressed or not.
MAX_FIXES_PER_ITEM = 1000
_DAY_MS = 24 * 3600 * 1000
_KB = 1024


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# How a fix is written inside an item: short keys (compressed anyway), decimals as text.


def _encode(position: Position, *, with_bus: bool) -> dict[str, Any]:
    fix: dict[str, Any] = {
        "t": position.time_ms,
        "r": position.received_at_ms,
        "q": position.sequence_number,
        "la": str(position.latitude),
        "lo": str(position.longitude),
    }
    if with_bus:
        fix["b"] = position.bus_id
    for name in OPTIONAL_FIELDS:
        if (value := getattr(position, name)) is not None:
            fix[name] = str(value)
    fix.update(position.descriptors())
    if position.flagged is not None:
        fix["f"] = position.flagged
    return fix


def _decode(fix: dict[str, Any], bus_id: str) -> Position:
    descriptors = {name: fix.get(api_name) for name, api_name in DESCRIPTOR_FIELDS.items()}
    measurements: dict[str, Any] = {
        name: Decimal(fix[name]) if name in fix else None for name in OPTIONAL_FIELDS
    }
    return Position(
        bus_id=fix.get("b", bus_id),
        time_ms=int(fix["t"]),
        latitude=Decimal(fix["la"]),
        longitude=Decimal(fix["lo"]),
        received_at_ms=int(fix["r"]),
        sequence_number=str(fix["q"]),
        flagged=fix.get("f"),
        **measurements,
        **descriptors,
    )


def pack(positions: Sequence[Position], *, with_bus: bool) -> bytes:
    text = json.dumps([_encode(position, with_bus=with_bus) for position in positions], separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 9)


def unpack(blob: bytes, bus_id: str = "") -> list[Position]:
    return [_decode(fix, bus_id) for fix in json.loads(zlib.decompress(blob))]


def _digest(positions: Sequence[Position]) -> str:
    records = ",".join(sorted(f"{position.bus_id}:{position.sequence_number}" for position in positions))
    return hashlib.sha256(records.encode()).hexdigest()[:16]


def _bucket(time_ms: int, size_ms: int) -> int:
    return time_ms - time_ms % size_ms


def bus_partition(bus_id: str) -> str:
    return f"bus#{bus_id}"


def window_partition(minute_ms: int) -> str:
    return f"window#{minute_ms:013d}"


def item_bytes(item: dict[str, Any]) -> int:
    """The size DynamoDB counts of `item` (of scalar attributes): its names and values, in bytes."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, content),) = value.items()
        size += len(content) if kind == "B" else len(str(content).encode())
    return size


def write_units(item: dict[str, Any]) -> int:
    """What DynamoDB bills to write `item`: one unit per KB of names and values, rounded up."""
    return max(1, -(-item_bytes(item) // _KB))


@dataclass(frozen=True)
class _Item:
    """One item to write, and the fixes it holds (which fail with it)."""

    item: dict[str, Any]
    positions: Sequence[Position]


@dataclass
class DynamoHistoryStore:
    client: DynamoDBClient
    table_name: str
    ttl_field_name: str
    retention_days: int
    backoff: Backoff = field(default_factory=Backoff)

    # Writes

    def write(self, positions: Sequence[Position]) -> WriteOutcome:
        """Every item of the batch, in BatchWriteItem calls of 25 made concurrently: a batch of 500
        fixes is 20 calls or more, which one after another would add up to the batch's whole time."""
        items = list(self._items(positions))
        outcome = WriteOutcome()
        size = aws_limits.DYNAMODB_BATCH_WRITE_MAX_ITEMS
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        failed: dict[tuple[str, int], Position] = {}
        if not chunks:
            return outcome
        with ThreadPoolExecutor(min(HISTORY_WRITE_CONCURRENCY, len(chunks))) as pool:
            for chunk, (unwritten, retries) in zip(chunks, pool.map(self._batch_write, chunks), strict=True):
                outcome.retries += retries
                for item in unwritten:
                    failed.update((position.key, position) for position in item.positions)
                outcome.write_units += sum(write_units(item.item) for item in chunk)
        outcome.failed = list(failed.values())
        return outcome

    def _items(self, positions: Sequence[Position]) -> Iterator[_Item]:
        ordered = sorted(positions, key=lambda position: (position.bus_id, position.time_ms))
        for (bus_id, _), chunk in itertools.groupby(
            ordered, key=lambda position: (position.bus_id, _bucket(position.time_ms, BUS_BUCKET_MS))
        ):
            yield from self._pack(bus_partition(bus_id), list(chunk), with_bus=False)
        by_minute = sorted(positions, key=lambda position: (position.time_ms, position.bus_id))
        for minute, window in itertools.groupby(by_minute, key=lambda p: _bucket(p.time_ms, WINDOW_MS)):
            yield from self._pack(window_partition(minute), list(window), with_bus=True)

    def _pack(self, partition: str, positions: list[Position], *, with_bus: bool) -> Iterator[_Item]:
        for start in range(0, len(positions), MAX_FIXES_PER_ITEM):
            part = positions[start : start + MAX_FIXES_PER_ITEM]
            newest_ms = max(position.time_ms for position in part)
            item = {
                "pk": {"S": partition},
                "sk": {"S": f"{part[0].time_ms:013d}#{_digest(part)}"},
                "fixes": {"B": pack(part, with_bus=with_bus)},
                self.ttl_field_name: {"N": str((newest_ms + self.retention_days * _DAY_MS) // 1000)},
            }
            yield _Item(item, part)

    def _batch_write(self, chunk: Sequence[_Item]) -> tuple[list[_Item], int]:
        by_key = {(item.item["pk"]["S"], item.item["sk"]["S"]): item for item in chunk}
        pending: list[Any] = [{"PutRequest": {"Item": item.item}} for item in by_key.values()]
        retries = 0
        for retries in self.backoff.attempts():  # an attempt's number is the retries made before it
            try:
                response = self.client.batch_write_item(RequestItems={self.table_name: pending})
            except ClientError as error:
                if _error_code(error) in THROTTLING_ERROR_CODES:
                    continue
                break  # not retryable: report the items failed rather than fail the whole batch
            pending = list(response.get("UnprocessedItems", {}).get(self.table_name, []))
            if not pending:
                return [], retries
        unwritten = []
        for request in pending:
            item = request["PutRequest"]["Item"]
            unwritten.append(by_key[(item["pk"]["S"], item["sk"]["S"])])
        return unwritten, retries

    # Reads

    def _oldest_kept_ms(self, now_s: int) -> int:
        return now_s * 1000 - self.retention_days * _DAY_MS

    def _query(
        self,
        partition: str,
        keys: tuple[str, str] | None,
        *,
        forward: bool,
        now_s: int,
        page_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The live items of a partition (with sort keys between `keys`), following every page as it
        is read; `page_items` items a page (None: DynamoDB's 1 MB)."""
        values: dict[str, Any] = {":pk": {"S": partition}, ":now": {"N": str(now_s)}}
        condition = "pk = :pk"
        if keys is not None:
            condition += " AND sk BETWEEN :low AND :high"
            values.update({":low": {"S": keys[0]}, ":high": {"S": keys[1]}})
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "FilterExpression": "#expiry > :now",
            "ExpressionAttributeNames": {"#expiry": self.ttl_field_name},
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        if page_items is not None:
            request["Limit"] = page_items
        while True:
            response = self.client.query(**request)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def bus_history(
        self, bus_id: str, from_ms: int, to_ms: int, limit: int, now_s: int, *, newest_first: bool
    ) -> Page:
        """The bus's fixes with from_ms <= time <= to_ms, each time once, bucket by bucket."""
        from_ms = max(from_ms, self._oldest_kept_ms(now_s))
        items = self._query(
            bus_partition(bus_id),
            (f"{_bucket(from_ms, BUS_BUCKET_MS):013d}", f"{to_ms:013d}~"),
            forward=not newest_first,
            now_s=now_s,
            # An item holds a fix at least: a page of `limit` fixes rarely needs a second query, and
            # never reads (nor is billed for) the rest of a bus's day.
            page_items=limit + 1,
        )
        buckets = itertools.groupby(items, key=lambda item: _bucket(int(item["sk"]["S"][:13]), BUS_BUCKET_MS))

        def fixes() -> Iterator[Position]:
            for _, bucket_items in buckets:
                positions = [
                    position
                    for item in bucket_items
                    for position in unpack(item["fixes"]["B"], bus_id)
                    if from_ms <= position.time_ms <= to_ms
                ]
                yield from sorted(_each_time_once(positions), key=_time, reverse=newest_first)

        return _page(fixes(), limit)

    def fleet_window(
        self, from_ms: int, to_ms: int, limit: int, after: tuple[int, str] | None, now_s: int
    ) -> Page:
        """Every bus's fixes with from_ms <= time <= to_ms in (time, bus id) order, after `after`."""
        from_ms = max(from_ms, self._oldest_kept_ms(now_s))
        start = from_ms if after is None else max(from_ms, after[0])

        def fixes() -> Iterator[Position]:
            for minute in range(_bucket(start, WINDOW_MS), to_ms + 1, WINDOW_MS):
                partition = window_partition(minute)
                positions = [
                    position
                    for item in self._query(partition, None, forward=True, now_s=now_s)
                    for position in unpack(item["fixes"]["B"])
                    if from_ms <= position.time_ms <= to_ms
                    and (after is None or (position.time_ms, position.bus_id) > after)
                ]
                yield from sorted(_each_time_once(positions), key=lambda p: (p.time_ms, p.bus_id))

        return _page(fixes(), limit)


def _time(position: Position) -> int:
    return position.time_ms


def _each_time_once(positions: Iterable[Position]) -> Iterator[Position]:
    """One fix per bus and time: the latest Kinesis record's, as the consumer keeps them."""
    newest: dict[tuple[str, int], Position] = {}
    for position in positions:
        current = newest.get(position.key)
        if current is None or position.order > current.order:
            newest[position.key] = position
    return iter(newest.values())


def _page(fixes: Iterator[Position], limit: int) -> Page:
    found = list(itertools.islice(fixes, limit + 1))
    return Page(positions=found[:limit], has_more=len(found) > limit)


def key_schema() -> tuple[list[Any], list[Any]]:
    """The history table's key schema and attribute definitions, for whoever creates the table."""
    keys = [{"AttributeName": name, "KeyType": kind} for name, kind in KEY_SCHEMA]
    attributes = [{"AttributeName": name, "AttributeType": "S"} for name, _ in KEY_SCHEMA]
    return keys, attributes
