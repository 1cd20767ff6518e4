"""A guard that fails any AWS call beyond AWS's documented limits.

Installed on a boto3 session before its clients are created: in every test and in the local stack,
so that code which passes against a lax emulator would also pass against AWS.
"""

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import boto3

from busgps import aws_limits as limits


class AwsLimitExceeded(Exception):
    """A call that AWS would refuse; raised before it is sent."""


def _dynamodb_batch_write(params: Mapping[str, Any], key_names: Callable[[str], tuple[str, ...]]) -> None:
    request_items: Mapping[str, list[Mapping[str, Any]]] = params.get("RequestItems", {})
    total = sum(len(requests) for requests in request_items.values())
    if total > limits.DYNAMODB_BATCH_WRITE_MAX_ITEMS:
        raise AwsLimitExceeded(
            f"BatchWriteItem with {total} items (AWS allows {limits.DYNAMODB_BATCH_WRITE_MAX_ITEMS})"
        )
    for table_name, requests in request_items.items():
        names = key_names(table_name)
        seen: set[str] = set()
        for request in requests:
            item = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key")
            key = json.dumps({name: item.get(name) for name in names}, sort_keys=True, default=str)
            if key in seen:
                raise AwsLimitExceeded(f"BatchWriteItem with a duplicate key in {table_name}: {key}")
            seen.add(key)


def _kinesis_record(data: bytes, partition_key: str) -> int:
    if len(partition_key) > limits.KINESIS_PARTITION_KEY_MAX_CHARS:
        raise AwsLimitExceeded(
            f"Kinesis partition key of {len(partition_key)} characters "
            f"(AWS allows {limits.KINESIS_PARTITION_KEY_MAX_CHARS})"
        )
    size = len(data) + len(partition_key.encode("utf-8"))
    if size > limits.KINESIS_RECORD_MAX_BYTES:
        raise AwsLimitExceeded(
            f"Kinesis record of {size} bytes (AWS allows {limits.KINESIS_RECORD_MAX_BYTES})"
        )
    return size


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _kinesis_put_record(params: Mapping[str, Any]) -> None:
    _kinesis_record(_as_bytes(params["Data"]), params["PartitionKey"])


def _kinesis_put_records(params: Mapping[str, Any]) -> None:
    records = params.get("Records", [])
    if len(records) > limits.KINESIS_PUT_RECORDS_MAX_RECORDS:
        raise AwsLimitExceeded(
            f"PutRecords with {len(records)} records (AWS allows {limits.KINESIS_PUT_RECORDS_MAX_RECORDS})"
        )
    total = sum(_kinesis_record(_as_bytes(record["Data"]), record["PartitionKey"]) for record in records)
    if total > limits.KINESIS_PUT_RECORDS_MAX_BYTES:
        raise AwsLimitExceeded(
            f"PutRecords of {total} bytes (AWS allows {limits.KINESIS_PUT_RECORDS_MAX_BYTES})"
        )


def _sqs_send_batch(params: Mapping[str, Any]) -> None:
    entries = params.get("Entries", [])
    if len(entries) > limits.SQS_BATCH_MAX_ENTRIES:
        raise AwsLimitExceeded(
            f"SendMessageBatch with {len(entries)} entries (AWS allows {limits.SQS_BATCH_MAX_ENTRIES})"
        )
    total = sum(len(entry["MessageBody"].encode("utf-8")) for entry in entries)
    if total > limits.SQS_MESSAGE_MAX_BYTES:
        raise AwsLimitExceeded(
            f"SendMessageBatch of {total} bytes (AWS allows {limits.SQS_MESSAGE_MAX_BYTES})"
        )


def install_aws_limit_guard(session: boto3.Session) -> None:
    """Fail, before sending, every call on `session`'s future clients that AWS would refuse."""

    @lru_cache(maxsize=64)
    def key_names(table_name: str) -> tuple[str, ...]:
        # A client of its own session: the guard's look-up must not be guarded.
        description = boto3.Session().client("dynamodb").describe_table(TableName=table_name)
        return tuple(key["AttributeName"] for key in description["Table"]["KeySchema"])

    def on_batch_write(params: Mapping[str, Any], **_: Any) -> None:
        _dynamodb_batch_write(params, key_names)

    def on_put_record(params: Mapping[str, Any], **_: Any) -> None:
        _kinesis_put_record(params)

    def on_put_records(params: Mapping[str, Any], **_: Any) -> None:
        _kinesis_put_records(params)

    def on_send_batch(params: Mapping[str, Any], **_: Any) -> None:
        _sqs_send_batch(params)

    events = session.events
    events.register("before-parameter-build.dynamodb.BatchWriteItem", on_batch_write)
    events.register("before-parameter-build.kinesis.PutRecord", on_put_record)
    events.register("before-parameter-build.kinesis.PutRecords", on_put_records)
    events.register("before-parameter-build.sqs.SendMessageBatch", on_send_batch)


def guard_default_session() -> None:
    """Make boto3's default session a guarded one: the handlers' clients come from it."""
    session = boto3.Session()
    install_aws_limit_guard(session)
    boto3.DEFAULT_SESSION = session
