"""The data layer, wired from validated settings."""

from busgps.dal.clients import dynamodb_client, sqs_client
from busgps.dal.dead_letters import SqsDeadLetterSink
from busgps.dal.history import DynamoHistoryStore
from busgps.dal.items import ItemLayout
from busgps.dal.positions import DynamoPositionStore
from busgps.settings import ConsumerSettings, TableSettings


def position_store(settings: TableSettings) -> DynamoPositionStore:
    client = dynamodb_client()
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
