"""The services' own faults, injected by the emulator into its answers, as AWS gives them (`--faults`).

A WSGI layer in front of moto's app, in the emulator process: whoever calls the emulator (the ingest
function's Kinesis client behind the devices' HTTP API, the consumer's DynamoDB client, a test) meets
them as it would meet them on AWS.

- DynamoDB `PutItem` and `BatchWriteItem` refused with `ProvisionedThroughputExceededException`;
  `BatchWriteItem` writing only part of its items and returning the rest in `UnprocessedItems`.
- Kinesis `PutRecords` entries refused with `ProvisionedThroughputExceededException`: those records are
  not stored, the others are, and `FailedRecordCount` counts them (the ingest function lists them as
  failed in its answer to `POST /v1/positions`); `PutRecord` (`POST /post-gps`) refused the same way.

`GET /_busgps/faults` answers how many of each were injected, as JSON.
"""

import binascii
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from busgps.local.faults import FaultCounts, FaultDice, FaultSpec

FAULTS_PATH = "/_busgps/faults"
# The X-Amz-Target of the calls that put records on a stream.
PUT_RECORD_TARGET = "Kinesis_20131202.PutRecord"
PUT_RECORDS_TARGET = "Kinesis_20131202.PutRecords"
_INJECTED = " [injected by busgps local up --faults]"
_DYNAMODB_THROTTLED = {
    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "message": "The level of configured provisioned throughput for the table was exceeded. Consider "
    "increasing your provisioning level with the UpdateTable API." + _INJECTED,
}
_DYNAMODB_CONTENT_TYPE = "application/x-amz-json-1.0"
_KINESIS_CONTENT_TYPE = "application/x-amz-json-1.1"
_KINESIS_THROTTLED = "ProvisionedThroughputExceededException"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _kinesis_rate_exceeded(stream_name: str) -> str:
    return f"Rate exceeded for stream {stream_name}." + _INJECTED


class _Answer:
    """An HTTP answer, from moto or made here."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @classmethod
    def json(cls, status: str, content_type: str, content: Any, *, crc32: bool = False) -> "_Answer":
        answer = cls(status, [("Content-Type", content_type)], b"")
        answer.replace_body(json.dumps(content).encode(), crc32=crc32)
        return answer

    def replace_body(self, body: bytes, *, crc32: bool) -> None:
        """A new body, with its length (and its CRC32, which DynamoDB's clients check)."""
        dropped = {"content-length", "x-amz-crc32"}
        self.headers = [(name, value) for name, value in self.headers if name.lower() not in dropped]
        self.headers.append(("Content-Length", str(len(body))))
        if crc32:
            self.headers.append(("x-amz-crc32", str(binascii.crc32(body))))
        self.body = body

    def send(self, start_response: StartResponse) -> Iterable[bytes]:
        start_response(self.status, self.headers)
        return [self.body]


class FaultInjection:
    """moto's app, with faults injected into the answers of the calls AWS throttles."""

    def __init__(self, app: WsgiApp, spec: FaultSpec) -> None:
        self._app = app
        self.counts = FaultCounts()
        self._dice = {kind: FaultDice(spec, f"emulator:{kind}") for kind in spec.rates}
        self._operations: dict[str, Callable[[dict[str, Any]], _Answer]] = {
            "DynamoDB_20120810.PutItem": self._put_item,
            "DynamoDB_20120810.BatchWriteItem": self._batch_write_item,
            PUT_RECORD_TARGET: self._put_record,
            PUT_RECORDS_TARGET: self._put_records,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return _Answer.json("200 OK", "application/json", self.counts.snapshot()).send(start_response)
        operation = self._operations.get(environ.get("HTTP_X_AMZ_TARGET", ""))
        if operation is None:
            return self._app(environ, start_response)
        environ["busgps.body"] = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        return operation(environ).send(start_response)

    def _request(self, environ: dict[str, Any]) -> dict[str, Any] | None:
        """The request's JSON, read only when a fault needs to look into it."""
        try:
            request = json.loads(environ["busgps.body"])
        except ValueError:
            return None
        return request if isinstance(request, dict) else None

    def _roll(self, kind: str) -> bool:
        dice = self._dice.get(kind)
        return dice is not None and dice.roll(kind)

    def _forward(self, environ: dict[str, Any], body: bytes) -> _Answer:
        """moto's answer to this request with `body`."""
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, list(headers)]
            return lambda data: None

        chunks = self._app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return _Answer(started[0], started[1], content)

    # DynamoDB

    def _dynamodb_throttled(self) -> _Answer:
        self.counts.add("dynamodb-throttle")
        return _Answer.json("400 Bad Request", _DYNAMODB_CONTENT_TYPE, _DYNAMODB_THROTTLED, crc32=True)

    def _put_item(self, environ: dict[str, Any]) -> _Answer:
        if self._roll("dynamodb-throttle"):
            return self._dynamodb_throttled()
        return self._forward(environ, environ["busgps.body"])

    def _batch_write_item(self, environ: dict[str, Any]) -> _Answer:
        if self._roll("dynamodb-throttle"):
            return self._dynamodb_throttled()
        if not self._roll("dynamodb-unprocessed"):
            return self._forward(environ, environ["busgps.body"])
        request = self._request(environ) or {}
        tables = request.get("RequestItems")
        writes = [
            (table, write)
            for table, table_writes in (tables.items() if isinstance(tables, dict) else [])
            for write in (table_writes if isinstance(table_writes, list) else [])
        ]
        # AWS processes at least one item of a call it does not refuse as a whole.
        if len(writes) < 2:
            return self._forward(environ, environ["busgps.body"])
        dice = self._dice["dynamodb-unprocessed"]
        held = set(dice.sample(len(writes), 1 + int(dice.uniform(0, len(writes) - 1))))
        forwarded: dict[str, list[Any]] = {}
        unprocessed: dict[str, list[Any]] = {}
        for index, (table, write) in enumerate(writes):
            (unprocessed if index in held else forwarded).setdefault(table, []).append(write)
        answer = self._forward(environ, json.dumps({**request, "RequestItems": forwarded}).encode())
        if not answer.status.startswith("200"):
            return answer
        result = json.loads(answer.body)
        result_unprocessed = result.setdefault("UnprocessedItems", {})
        for table, table_writes in unprocessed.items():
            result_unprocessed.setdefault(table, []).extend(table_writes)
        self.counts.add("dynamodb-unprocessed", len(held))
        answer.replace_body(json.dumps(result).encode(), crc32=True)
        return answer

    # Kinesis

    def _put_record(self, environ: dict[str, Any]) -> _Answer:
        if not self._roll("kinesis-throttle"):
            return self._forward(environ, environ["busgps.body"])
        self.counts.add("kinesis-throttle")
        stream_name = (self._request(environ) or {}).get("StreamName", "")
        refusal = {"__type": _KINESIS_THROTTLED, "message": _kinesis_rate_exceeded(str(stream_name))}
        return _Answer.json("400 Bad Request", _KINESIS_CONTENT_TYPE, refusal)

    def _put_records(self, environ: dict[str, Any]) -> _Answer:
        request = self._request(environ) or {}
        records = request.get("Records")
        if not isinstance(records, list) or not records:
            return self._forward(environ, environ["busgps.body"])
        refused = {index for index in range(len(records)) if self._roll("kinesis-throttle")}
        if not refused:
            return self._forward(environ, environ["busgps.body"])
        kept = [record for index, record in enumerate(records) if index not in refused]
        stored: list[Any] = []
        failed_count = 0
        answer = _Answer("200 OK", [("Content-Type", _KINESIS_CONTENT_TYPE)], b"")
        result: dict[str, Any] = {}
        if kept:
            answer = self._forward(environ, json.dumps({**request, "Records": kept}).encode())
            if not answer.status.startswith("200"):
                return answer
            result = json.loads(answer.body)
            stored = list(result.get("Records", []))
            failed_count = int(result.get("FailedRecordCount", 0))
        self.counts.add("kinesis-throttle", len(refused))
        refusal = {
            "ErrorCode": _KINESIS_THROTTLED,
            "ErrorMessage": _kinesis_rate_exceeded(str(request.get("StreamName", ""))),
        }
        entries = iter(stored)
        result["Records"] = [refusal if index in refused else next(entries) for index in range(len(records))]
        result["FailedRecordCount"] = failed_count + len(refused)
        answer.replace_body(json.dumps(result).encode(), crc32=False)
        return answer
