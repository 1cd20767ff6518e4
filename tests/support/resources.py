"""Tables and queues on the emulator, named uniquely per test so that tests never share state."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from busgps.dal.history import key_schema as history_key_schema
from busgps.dal.history import unpack
from busgps.dal.items import latest_key_schema
from busgps.models.position import Position
from busgps.settings import ApiSettings, ConsumerSettings


@dataclass(frozen=True)
class Resources:
    latest_table_name: str
    history_table_name: str
    dead_letter_queue_url: str
    ttl_seconds: int = 3600
    ttl_field_name: str = "expirationTime"
    history_retention_days: int = 2
    # The noise filters are off unless a test turns them on: its fixes need not be realistic journeys.
    noise_max_speed_mps: float = 0

    def environment(self) -> dict[str, str]:
        return {
            "DYNAMODB_TABLE_NAME": self.latest_table_name,
            "HISTORY_TABLE_NAME": self.history_table_name,
            "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
            "TTL_SECONDS": str(self.ttl_seconds),
            "TTL_FIELD_NAME": self.ttl_field_name,
            "HISTORY_RETENTION_DAYS": str(self.history_retention_days),
            "NOISE_MAX_SPEED_MPS": str(self.noise_max_speed_mps),
        }

    def consumer_settings(self) -> ConsumerSettings:
        return ConsumerSettings.model_validate(self.environment())

    def api_settings(self) -> ApiSettings:
        return ApiSettings.model_validate(self.environment())


@contextmanager
def position_resources(ttl_seconds: int = 3600) -> Iterator[Resources]:
    suffix = uuid.uuid4().hex[:8]
    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    latest, history = f"latest-{suffix}", f"history-{suffix}"
    for table, (key_schema, attributes) in ((latest, latest_key_schema()), (history, history_key_schema())):
        dynamodb.create_table(
            TableName=table,
            KeySchema=key_schema,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
        )
    for table in (latest, history):
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expirationTime"}
        )
    queue_url = sqs.create_queue(QueueName=f"invalid-{suffix}")["QueueUrl"]
    try:
        yield Resources(latest, history, queue_url, ttl_seconds=ttl_seconds)
    finally:
        dynamodb.delete_table(TableName=latest)
        dynamodb.delete_table(TableName=history)
        sqs.delete_queue(QueueUrl=queue_url)


def kept_fixes(history_table_name: str, *, partitions: str = "bus#") -> list[Position]:
    """Every fix packed in the history table's items of one kind (bus chunks, or `window#`), as stored:
    a fix packed twice by a retried batch appears twice."""
    dynamodb = boto3.client("dynamodb")
    request: dict[str, Any] = {"TableName": history_table_name}
    fixes: list[Position] = []
    while True:
        response = dynamodb.scan(**request)
        for item in response["Items"]:
            partition = item["pk"]["S"]
            if partition.startswith(partitions):
                fixes.extend(unpack(item["fixes"]["B"], partition.removeprefix("bus#")))
        if "LastEvaluatedKey" not in response:
            return fixes
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
