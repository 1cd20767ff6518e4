"""The push function: the latest-position table's stream in, one message per subscriber out.

Each batch of stream records is coalesced to the newest position of each bus, so a subscriber gets
each bus once per batch, in one message (more only where 32 KB would not hold them). Only what
became a bus's latest position is on that stream: a late or refused fix is never pushed. A
connection that API Gateway no longer has (410) is forgotten.
"""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from busgps.dal.factory import connection_sender, connection_store
from busgps.dal.items import position_from_item
from busgps.logic.live import SharedMessages, live_buses, positions_messages
from busgps.observability import logger, metrics
from busgps.settings import push_settings


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    settings = push_settings()
    # Removals (TTL, or a table being emptied) have no new image: nothing to show.
    images = [
        record["dynamodb"]["NewImage"]
        for record in event.get("Records", [])
        if "NewImage" in record["dynamodb"]
    ]
    buses = live_buses(position_from_item(image) for image in images)
    counts = {"changedBuses": len(buses), "subscribers": 0, "sent": 0, "gone": 0, "failed": 0}
    if buses:
        connections = connection_store(settings)
        shared: SharedMessages = {}
        messages: dict[str, list[str]] = {}
        for subscriber in connections.subscribers(int(time.time())):
            counts["subscribers"] += 1
            wanted = positions_messages(subscriber.subscription, buses, shared)
            if wanted:
                messages[subscriber.connection_id] = wanted
        outcome = connection_sender(settings).send_all(messages)
        for connection_id in outcome.gone:
            connections.remove(connection_id)
        counts.update(sent=outcome.sent, gone=len(outcome.gone), failed=outcome.failed)
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("batch pushed", extra={"counts": counts})
