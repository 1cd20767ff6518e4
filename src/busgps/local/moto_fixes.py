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
  request, lexes a condition expression from scratch each time it is used (twice a write), and finds
  a request's service by listing its own package directory and trying the URL patterns of every
  service, under a lock all requests share: each depends on nothing but the class, the expression's
  text or the host, so it is remembered. A conditional write parses its condition twice (once to
  check the request, once to apply it): the second time reuses the first's tree. Its server's line
  per request (formatted, then thrown away by the stack) is not written.

- **DynamoDB items answered at once.** moto writes every response through a serializer that walks
  the service's shapes member by member: an item of ten attributes costs it about 1.5 ms, so a Scan of
  a 1,000-bus fleet took 1.7 s and a history page tens of milliseconds. Items (maps of attribute
  values) are written here as they are on the wire, which is what the shapes say; anything else in the
  answer still goes through moto's serializer.
- **Connections kept alive.** moto's server (werkzeug's) answers every request with `Connection:
  close`, because it cannot tell where an unread body ends: every AWS call paid for a new TCP
  connection and a new server thread, on both sides. Here a request's body (of a stated length) is
  read whole before moto sees it, so the connection can serve the next request, as AWS's endpoints do.

Each fix replaces a method of moto's models; `check_moto_version` refuses a moto whose models these
were not written for, so that an upgrade fails loudly instead of quietly losing the fix.
"""

import base64
import bisect
import collections
import contextlib
import contextvars
import functools
import inspect
import io
import json
import logging
import selectors
import threading
import types
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

# The moto release whose internals these replacements were written against.
MOTO_VERSION = "5.2.5"
# AWS's sequence numbers have 56 digits; each shard's numbers start in a range of its own.
_SEQUENCE_BASE = 49 * 10**54
_SHARD_SEQUENCE_SPAN = 10**40

_kinesis_lock = threading.Lock()
# The last condition a server thread parsed: (key, tree, names found, values found).
_last_parse = threading.local()
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
    _keep_connections_alive()
    _answer_items_at_once()


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
        # By the keys' values, which moto's DynamoType compares: sorting on DynamoType itself made two
        # Python calls of each comparison, a third of a history page's time in the emulator.
        return sorted(partition.values(), key=lambda item: item.range_key.cast_value)

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
    from moto import backends
    from moto.core import responses
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(ConditionExpressionParser._lex_condition_expression, "_busgps_fixed", False):
        return
    # Nobody reads the emulator's output, and logging each request costs it a tenth of its time.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    listed = functools.lru_cache(maxsize=None)(responses.method_names_from_class)  # type: ignore[attr-defined]
    responses.method_names_from_class = listed  # type: ignore[attr-defined]
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    find_backend: Callable[[Any, str | None], Any] = DomainDispatcherApplication.get_backend_for_host
    found: dict[str | None, Any] = {}

    def backend_for_host(self: Any, host: str | None) -> Any:
        if host not in found:
            found[host] = find_backend(self, host)
        return found[host]

    DomainDispatcherApplication.get_backend_for_host = backend_for_host  # type: ignore[method-assign]
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
    parse: Callable[[Any], Any] = ConditionExpressionParser.parse

    def parse_once_a_request(self: Any) -> Any:
        # A server thread serves one request at a time: its last parse is this request's, when the
        # expression, names and values are the same. The tree is only read (evaluated) afterwards.
        key = (
            self.condition_expression,
            json.dumps(self.expression_attribute_names, sort_keys=True),
            json.dumps(self.expression_attribute_values, sort_keys=True),
        )
        last = getattr(_last_parse, "value", None)
        if last is not None and last[0] == key:
            _, tree, names, values = last
        else:
            tree = parse(self)
            names, values = list(self.expr_attr_names_found), list(self.expr_attr_values_found)
            _last_parse.value = (key, tree, names, values)
        self.expr_attr_names_found, self.expr_attr_values_found = list(names), list(values)
        return tree

    ConditionExpressionParser.parse = parse_once_a_request  # type: ignore[method-assign]


# Connections


class _DrainUnlessKeptAlive:
    """The selector werkzeug waits on, after each answer, for a body the application left unread.

    On a connection kept alive the body was read whole before the application saw it: what may come is
    the client's next request, which the drain would swallow. So there is nothing to wait for.
    """

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> Any:
        return self._selector.register(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[Any]:
        if getattr(_connection, "kept_alive", False):
            return []
        return self._selector.select(timeout)

    def close(self) -> None:
        self._selector.close()


# Whether the connection the current server thread serves is kept alive (one thread a connection).
_connection = threading.local()


def _keep_connections_alive() -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug import serving

    if getattr(MotoRequestHandler.make_environ, "_busgps_fixed", False):
        return
    make_environ: Callable[[Any], dict[str, Any]] = MotoRequestHandler.make_environ
    send_header: Callable[[Any, str, str], None] = MotoRequestHandler.send_header

    def make_environ_with_body(self: Any) -> dict[str, Any]:
        environ = make_environ(self)
        length = self.headers.get("Content-Length", "0")
        # A chunked body, or one of no stated length, still closes the connection after its answer.
        _connection.kept_alive = (
            self.request_version == "HTTP/1.1"
            and self.headers.get("Transfer-Encoding") is None
            and length.isdigit()
        )
        if _connection.kept_alive:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        return environ

    def keep_alive(self: Any, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and getattr(_connection, "kept_alive", False):
            return  # the body was read: the connection can carry the next request
        send_header(self, keyword, value)

    make_environ_with_body._busgps_fixed = True  # type: ignore[attr-defined]
    # An answer's headers and body are two writes: on a connection that stays open, Nagle's algorithm
    # would hold the body until the client's delayed acknowledgement of the headers (40 ms).
    MotoRequestHandler.disable_nagle_algorithm = True
    MotoRequestHandler.make_environ = make_environ_with_body  # type: ignore[method-assign]
    MotoRequestHandler.send_header = keep_alive  # type: ignore[method-assign]
    serving.selectors = types.SimpleNamespace(  # type: ignore[assignment,attr-defined]
        DefaultSelector=_DrainUnlessKeptAlive, EVENT_READ=selectors.EVENT_READ
    )


# DynamoDB answers


class _NotAnAttributeValue(Exception):
    """A value the fast path does not know: moto's serializer takes the whole map instead."""


def _base64(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        raise _NotAnAttributeValue
    return base64.b64encode(value).decode("ascii")


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise _NotAnAttributeValue
    return list(values)


def wire_attribute_value(value: Any) -> dict[str, Any]:
    """An AttributeValue as DynamoDB's JSON protocol writes it (what moto's serializer writes)."""
    if not isinstance(value, dict) or len(value) != 1:
        raise _NotAnAttributeValue
    ((kind, content),) = value.items()
    if kind in ("S", "N") and isinstance(content, str):
        return {kind: content}
    if kind == "B":
        return {kind: _base64(content)}
    if kind in ("BOOL", "NULL") and isinstance(content, bool):
        return {kind: content}
    if kind in ("SS", "NS"):
        return {kind: _strings(content)}
    if kind == "BS" and isinstance(content, list):
        return {kind: [_base64(member) for member in content]}
    if kind == "M" and isinstance(content, dict):
        return {kind: {name: wire_attribute_value(member) for name, member in content.items()}}
    if kind == "L" and isinstance(content, list):
        return {kind: [wire_attribute_value(member) for member in content]}
    raise _NotAnAttributeValue


def _answer_items_at_once() -> None:
    from moto.core.serialize import BaseJSONSerializer

    if getattr(BaseJSONSerializer._serialize_type_map, "_busgps_fixed", False):
        return
    serialize_map: Callable[..., None] = BaseJSONSerializer._serialize_type_map

    def serialize_items_at_once(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if getattr(shape.value, "name", None) == "AttributeValue" and isinstance(value, dict):
            try:
                wire = {name: wire_attribute_value(member) for name, member in value.items()}
            except _NotAnAttributeValue:
                pass
            else:
                self._default_serialize(serialized, wire, shape, key)
                return
        serialize_map(self, serialized, value, shape, key)

    serialize_items_at_once._busgps_fixed = True  # type: ignore[attr-defined]
    serialize_items_at_once.__wrapped_original__ = serialize_map  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize_type_map = serialize_items_at_once  # type: ignore[method-assign]
