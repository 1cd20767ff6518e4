"""The data layer, wired from validated settings."""

from typing import TYPE_CHECKING

from busgps.dal.clients import dynamodb_client, sqs_client
from busgps.dal.connections import DynamoConnectionStore
from busgps.dal.dead_letters import SqsDeadLetterSink
from busgps.dal.history import DynamoHistoryStore
from busgps.dal.items import ItemLayout
from busgps.dal.positions import DynamoPositionStore
from busgps.dal.websocket import ConnectionSender, management_client
from busgps.settings import ConnectionSettings, ConsumerSettings, TableSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def position_store(settings: TableSettings, client: "DynamoDBClient | None" = None) -> DynamoPositionStore:
    """The position store of the settings' tables, through `client` (by default, the functions' own)."""
    client = client or dynamodb_client()
    return DynamoPositionStore(
        client=client,
        latest_table_name=settings.latest_table_name,
        history_store=DynamoHistoryStore(
            client=client,
            table_name=settings.history_table_name,
            ttl_field_name=settings.ttl_field_name,
            retention_days=settings.history_retention_days,
        ),
        layout=ItemLayout(ttl_field_name=settings.ttl_field_name, ttl_seconds=settings.ttl_seconds),
    )


def dead_letter_sink(settings: ConsumerSettings) -> SqsDeadLetterSink:
    return SqsDeadLetterSink(client=sqs_client(), queue_url=settings.dead_letter_queue_url)


def connection_store(settings: ConnectionSettings) -> DynamoConnectionStore:
    return DynamoConnectionStore(
        client=dynamodb_client(),
        table_name=settings.connections_table_name,
        ttl_field_name=settings.ttl_field_name,
    )


def connection_sender(settings: ConnectionSettings) -> ConnectionSender:
    return ConnectionSender(client=management_client(settings.websocket_callback_url))
