"""The consumer Lambda: Kinesis records in, positions stored, failed records reported for retry."""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from busgps.dal.factory import dead_letter_sink, position_store
from busgps.logic.ingest import ALWAYS_COUNTED, IngestPolicy, ingest_batch
from busgps.logic.noise import NoisePolicy
from busgps.models.position import KinesisRecord
from busgps.observability import logger, metrics
from busgps.settings import ConsumerSettings, consumer_settings


def ingest_policy(settings: ConsumerSettings) -> IngestPolicy:
    return IngestPolicy(
        latest_ttl_seconds=settings.ttl_seconds,
        history_retention_days=settings.history_retention_days,
        noise=NoisePolicy(
            max_speed_mps=settings.noise_max_speed_mps,
            max_accuracy_m=settings.noise_max_accuracy_m,
            stationary_distance_m=settings.thinning_stationary_distance_m,
            stationary_max_gap_seconds=settings.thinning_stationary_max_gap_seconds,
            min_interval_seconds=settings.thinning_min_interval_seconds,
        ),
    )


class RecordNotStored(Exception):
    """This record's position could not be stored (or dead-lettered) within the retry bound."""


def kinesis_record(raw: dict[str, Any]) -> KinesisRecord:
    record = KinesisStreamRecord(raw)
    return KinesisRecord(
        shard_id=record.event_id.split(":", 1)[0],
        sequence_number=record.kinesis.sequence_number,
        partition_key=record.kinesis.partition_key,
        data=record.kinesis.data,
        arrival_time_ms=int(record.kinesis.approximate_arrival_timestamp * 1000),
        event_source_arn=record.event_source_arn,
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = consumer_settings()
    records = [kinesis_record(raw) for raw in event.get("Records", [])]
    outcome = ingest_batch(
        records,
        position_store(settings),
        dead_letter_sink(settings),
        policy=ingest_policy(settings),
        now_ms=int(time.time() * 1000),
    )
    for name in ALWAYS_COUNTED:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=outcome.counts[name])
    for name, value in outcome.counts.items():  # flagged_<reason>, thinned_<reason>: only when they happen
        if name not in ALWAYS_COUNTED:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("batch processed", extra={"counts": dict(outcome.counts)})
    if not records:  # Kinesis never sends an empty batch; the batch processor would refuse one
        return {"batchItemFailures": []}

    def report(record: KinesisStreamRecord) -> None:
        if record.kinesis.sequence_number in outcome.failed_sequence_numbers:
            raise RecordNotStored(record.kinesis.sequence_number)

    # One processor per invocation: it holds the invocation's state. A batch whose every record
    # failed is answered, not raised: Lambda then retries from the lowest failed record.
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=report, processor=processor, context=context)
    )
