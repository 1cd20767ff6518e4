"""The WebSocket API's function: $connect, $disconnect, subscribe, ping and $default, by route key.

Answers go back through the management API (PostToConnection), never as a route response: a
snapshot may take several messages, and every message the client gets travels the same way.
"""

import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from busgps.dal.connections import DynamoConnectionStore
from busgps.dal.factory import connection_sender, connection_store, position_store
from busgps.logic.live import InvalidSubscription, Subscription, buses_for, framed_messages, live_buses
from busgps.models.api import to_json
from busgps.models.websocket import CONNECT, DISCONNECT, message_problem, message_routes
from busgps.observability import logger
from busgps.settings import websocket_settings

OK = {"statusCode": 200}


def _error(text: str) -> list[str]:
    return [to_json({"type": "error", "error": text})]


def _what_to_send() -> str:
    actions = " or ".join(f'{{"action": "{route}"}}' for route in message_routes())
    return (
        f'send {actions}; subscribe takes an optional "bbox": [minLon, minLat, maxLon, maxLat] '
        'or "busIds": ["..."]'
    )


def _subscribe(message: dict[str, Any], connection_id: str, connections: DynamoConnectionStore) -> list[str]:
    settings = websocket_settings()
    try:
        subscription = Subscription.from_message(message)
    except InvalidSubscription as error:
        return _error(f"subscribe: {error}")
    # Stored before the snapshot is read: a position stored in between is pushed, never missed.
    if not connections.subscribe(connection_id, subscription):
        return []
    now_ms = int(time.time() * 1000)
    positions = position_store(settings).latest_since(
        now_ms - settings.feed_max_age_seconds * 1000, now_ms // 1000
    )
    return framed_messages("snapshot", buses_for(subscription, live_buses(positions)))


def _pong(message: dict[str, Any], connection_id: str, connections: DynamoConnectionStore) -> list[str]:
    return [to_json({"type": "pong"})]


# What answers each route a client selects with its action (tests check they are the schema's).
MESSAGE_HANDLERS: dict[str, Callable[[dict[str, Any], str, DynamoConnectionStore], list[str]]] = {
    "subscribe": _subscribe,
    "ping": _pong,
}


def answer(
    route_key: str, body: str | None, connection_id: str, connections: DynamoConnectionStore
) -> list[str]:
    """The messages that answer one client message."""
    try:
        message = json.loads(body or "")
    except ValueError:
        return _error(f"a message is one JSON object: {_what_to_send()}")
    handler = MESSAGE_HANDLERS.get(route_key)
    if handler is None:
        action = message.get("action") if isinstance(message, dict) else None
        return _error(f"unknown action {json.dumps(action)}: {_what_to_send()}")
    problem = message_problem(route_key, message)
    if problem is not None:
        return _error(f"{route_key}: {problem}")
    try:
        return handler(message, connection_id, connections)
    except (BotoCoreError, ClientError):
        logger.exception("storage unavailable", extra={"routeKey": route_key})
        return _error(f"the position store is unavailable for a moment: send {route_key} again shortly")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = websocket_settings()
    request = event["requestContext"]
    route_key, connection_id = request["routeKey"], request["connectionId"]
    connections = connection_store(settings)
    if route_key == CONNECT:
        connections.add(connection_id, int(request["connectedAt"]))
        return OK
    if route_key == DISCONNECT:
        connections.remove(connection_id)
        return OK
    messages = answer(route_key, event.get("body"), connection_id, connections)
    result = connection_sender(settings).send(connection_id, messages) if messages else "sent"
    if result == "gone":
        connections.remove(connection_id)
    elif result == "failed":
        logger.error("could not answer the client", extra={"routeKey": route_key, "messages": len(messages)})
    return OK
