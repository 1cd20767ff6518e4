"""Where moto's server differs from AWS in ways that lose or slow down data, made to behave as AWS does.

Applied in the emulator process only (`busgps.local.emulator`), before moto serves a request:

- **Kinesis sequence numbers.** moto numbers a shard's records 1, 2, 3... by reading the highest
  number so far and adding one, without a lock: concurrent PutRecords get the same number and one
  record replaces the other. AWS gives every record a unique number, increasing within its shard, of
  56 digits. Here each put takes the next number under a lock, in AWS's form.
- **Kinesis reads.** moto walks a shard from its first record on every GetRecords and copies all its
  keys on every put, so a stream slows down as it fills. Here both use a sorted index of the shard.
- **DynamoDB queries.** moto sorts the whole table on every Query, then keeps one partition's items,
  so a query slows down with the table. Here a query on the table's key reads only its partition, as
  DynamoDB does.
- **DynamoDB Streams sequence numbers.** moto numbers a stream record by the shard's length before
  appending it, without a lock, as its Kinesis did: concurrent writes get the same number, and a
  reader that resumes after that number reads one record twice or skips one. Here numbering and
  appending happen under a lock, so every record has a number of its own, in the order it was added.
- **Per-request work done once.** moto lists a response class's methods with `inspect` on every
  request, and lexes a condition expression from scratch each time it is used (twice a write): both
  depend on nothing but the class or the expression's text, so they are remembered.

Each fix replaces a method of moto's models; `check_moto_version` refuses a moto whose models these
were not written for, so that an upgrade fails loudly instead of quietly losing the fix.
"""

import bisect
import collections
import contextlib
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

# The moto release whose internals these replacements were written against.
MOTO_VERSION = "5.2.5"
# AWS's sequence numbers have 56 digits; each shard's numbers start in a range of its own.
_SEQUENCE_BASE = 49 * 10**54
_SHARD_SEQUENCE_SPAN = 10**40

_kinesis_lock = threading.Lock()
_stream_shard_lock = threading.Lock()
# The partition a DynamoDB Query reads, while moto's query runs (None outside of one).
_query_partition: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "query_partition", default=None
)


class MotoVersionError(RuntimeError):
    """The installed moto is not the release these fixes were written for."""


def check_moto_version() -> None:
    installed = version("moto")
    if installed != MOTO_VERSION:
        raise MotoVersionError(
            f"moto {installed} is installed, but busgps.local.moto_fixes replaces internals of moto "
            f"{MOTO_VERSION}: pin moto[server]=={MOTO_VERSION} or review each fix for {installed}"
        )


def apply() -> None:
    """Install every fix into moto's models (idempotent)."""
    check_moto_version()
    _fix_kinesis_shards()
    _fix_dynamodb_queries()
    _fix_dynamodb_stream_shards()
    _remember_per_request_work()


def first_sequence_number(shard_index: int) -> int:
    """The number of a shard's first record: 56 digits, distinct ranges per shard."""
    return _SEQUENCE_BASE + shard_index * _SHARD_SEQUENCE_SPAN + 1


# Kinesis


def _sequence_index(shard: Any) -> list[int]:
    """The shard's sequence numbers in order, rebuilt if moto replaced its records (resharding)."""
    index: list[int] | None = shard.__dict__.get("_busgps_sequence_index")
    if index is None or len(index) != len(shard.records):
        index = sorted(shard.records)
        shard.__dict__["_busgps_sequence_index"] = index
    return index


def _fix_kinesis_shards() -> None:
    from moto.kinesis.models import Record, Shard

    def put_record(self: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
        with _kinesis_lock:
            index = _sequence_index(self)
            sequence_number = index[-1] + 1 if index else first_sequence_number(self._shard_id)
            self.records[sequence_number] = Record(partition_key, data, sequence_number, explicit_hash_key)
            index.append(sequence_number)
        return str(sequence_number)

    def get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        with _kinesis_lock:
            index = _sequence_index(self)
            last_sequence_number = int(last_sequence_id)
            start = bisect.bisect_right(index, last_sequence_number)
            end = len(index) if limit is None else min(len(index), start + limit)
            results = [self.records[number] for number in index[start:end]]
            if not results:
                return [], last_sequence_number, 0
            newest = self.records[index[-1]]
            behind_seconds = newest.created_at - results[-1].created_at
            return results, results[-1].sequence_number, int(behind_seconds * 1000)

    def get_min_sequence_number(self: Any) -> int:
        with _kinesis_lock:
            index = _sequence_index(self)
            return index[0] if index else 0

    def get_max_sequence_number(self: Any) -> int:
        with _kinesis_lock:
            index = _sequence_index(self)
            return index[-1] if index else 0

    def get_sequence_number_at(self: Any, at_timestamp: float) -> int:
        """The number of the last record that arrived before `at_timestamp` (0: read from the start)."""
        with _kinesis_lock:
            index = _sequence_index(self)
            arrivals = [self.records[number].created_at for number in index]
            position = bisect.bisect_left(arrivals, at_timestamp)
            return index[position - 1] if position else 0

    Shard.put_record = put_record  # type: ignore[method-assign]
    Shard.get_records = get_records  # type: ignore[method-assign]
    Shard.get_min_sequence_number = get_min_sequence_number  # type: ignore[method-assign]
    Shard.get_max_sequence_number = get_max_sequence_number  # type: ignore[method-assign]
    Shard.get_sequence_number_at = get_sequence_number_at  # type: ignore[method-assign]


# DynamoDB


@contextlib.contextmanager
def _reading_partition(table: Any, hash_key: Any) -> Iterator[None]:
    token = _query_partition.set((table, hash_key))
    try:
        yield
    finally:
        _query_partition.reset(token)


def _fix_dynamodb_queries() -> None:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_busgps_fixed", False):
        return
    all_items: Callable[..., list[Any]] = Table.all_items
    query: Callable[..., Any] = Table.query

    def partition_items(self: Any) -> list[Any]:
        reading = _query_partition.get()
        if reading is None or reading[0] is not self:
            return all_items(self)
        partition = self.items.get(reading[1])  # .get: the table's defaultdict must not grow
        if partition is None:
            return []
        if not self.range_key_attr:
            return [partition]
        return sorted(partition.values(), key=lambda item: item.range_key)

    signature = inspect.signature(query)

    def query_one_partition(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        if signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name"):
            return query(self, hash_key, *args, **kwargs)
        with _reading_partition(self, hash_key):
            return query(self, hash_key, *args, **kwargs)

    query_one_partition._busgps_fixed = True  # type: ignore[attr-defined]
    Table.all_items = partition_items  # type: ignore[method-assign]
    Table.query = query_one_partition  # type: ignore[method-assign]


# DynamoDB Streams


def _fix_dynamodb_stream_shards() -> None:
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard.add, "_busgps_fixed", False):
        return
    add: Callable[..., None] = StreamShard.add

    # moto's add reads len(items) for the number, then appends: one lock makes the two one step.
    def add_in_order(self: Any, old: Any, new: Any) -> None:
        with _stream_shard_lock:
            add(self, old, new)

    add_in_order._busgps_fixed = True  # type: ignore[attr-defined]
    StreamShard.add = add_in_order  # type: ignore[method-assign]


# Per-request work


def _remember_per_request_work() -> None:
    from moto.core import responses
    from moto.dynamodb.comparisons import ConditionExpressionParser

    if getattr(ConditionExpressionParser._lex_condition_expression, "_busgps_fixed", False):
        return
    listed = functools.lru_cache(maxsize=None)(responses.method_names_from_class)  # type: ignore[attr-defined]
    responses.method_names_from_class = listed  # type: ignore[attr-defined]
    lex: Callable[[Any], Any] = ConditionExpressionParser._lex_condition_expression
    lexed: dict[str, tuple[Any, ...]] = {}

    def lex_once(self: Any) -> Any:
        # The nodes are immutable named tuples; each parse consumes its own deque of them.
        expression = self.condition_expression
        if expression not in lexed:
            lexed[expression] = tuple(lex(self))
        return collections.deque(lexed[expression])

    lex_once._busgps_fixed = True  # type: ignore[attr-defined]
    ConditionExpressionParser._lex_condition_expression = lex_once  # type: ignore[method-assign]
