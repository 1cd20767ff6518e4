"""Tables and queues on the emulator, named uniquely per test so that tests never share state."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from busgps.settings import ApiSettings, ConsumerSettings


@dataclass(frozen=True)
class Resources:
    latest_table_name: str
    history_table_name: str
    dead_letter_queue_url: str
    ttl_seconds: int = 3600
    ttl_field_name: str = "expirationTime"

    def environment(self) -> dict[str, str]:
        return {
            "DYNAMODB_TABLE_NAME": self.latest_table_name,
            "HISTORY_TABLE_NAME": self.history_table_name,
            "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
            "TTL_SECONDS": str(self.ttl_seconds),
            "TTL_FIELD_NAME": self.ttl_field_name,
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
    dynamodb.create_table(
        TableName=latest,
        KeySchema=[{"AttributeName": "busId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "busId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=history,
        KeySchema=[
            {"AttributeName": "busId", "KeyType": "HASH"},
            {"AttributeName": "positionTimeMs", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "busId", "AttributeType": "S"},
            {"AttributeName": "positionTimeMs", "AttributeType": "N"},
        ],
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
