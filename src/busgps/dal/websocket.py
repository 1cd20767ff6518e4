"""Messages to WebSocket connections, through API Gateway's management API (PostToConnection).

The endpoint is the stage's callback URL, https://<api id>.execute-api.<region>.amazonaws.com/<stage>
(the local stack's own when it runs locally): it comes from the settings, never from an event.
"""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from busgps.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
else:
    ApiGatewayManagementApiClient = Any

# Sends run concurrently; each is one HTTPS request, so the pool is also the connection pool's size.
MAX_CONCURRENT_SENDS = 16
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=MAX_CONCURRENT_SENDS,
)


@lru_cache(maxsize=4)
def management_client(callback_url: str) -> ApiGatewayManagementApiClient:
    return boto3.client("apigatewaymanagementapi", endpoint_url=callback_url, config=_CONFIG)


@dataclass
class SendOutcome:
    """What became of the messages of one fan-out."""

    sent: int = 0
    # Connections API Gateway no longer has (410 GoneException): the caller forgets them.
    gone: set[str] = field(default_factory=set)
    failed: int = 0


@dataclass
class ConnectionSender:
    client: ApiGatewayManagementApiClient

    def send(self, connection_id: str, messages: Sequence[str]) -> str:
        """Send the messages in order: "sent", "gone" (the connection no longer exists) or "failed"."""
        for message in messages:
            try:
                self.client.post_to_connection(ConnectionId=connection_id, Data=message.encode("utf-8"))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "GoneException":
                    return "gone"
                logger.warning(
                    "PostToConnection failed", extra={"connectionId": connection_id, "error": str(error)}
                )
                return "failed"
            except BotoCoreError as error:
                logger.warning(
                    "PostToConnection failed", extra={"connectionId": connection_id, "error": str(error)}
                )
                return "failed"
        return "sent"

    def send_all(self, messages_by_connection: dict[str, list[str]]) -> SendOutcome:
        """Each connection's messages, connections concurrently (a slow one holds up no other)."""
        outcome = SendOutcome()
        if not messages_by_connection:
            return outcome
        workers = min(MAX_CONCURRENT_SENDS, len(messages_by_connection))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = pool.map(lambda item: (item[0], self.send(*item)), messages_by_connection.items())
            for connection_id, result in results:
                if result == "sent":
                    outcome.sent += 1
                elif result == "gone":
                    outcome.gone.add(connection_id)
                else:
                    outcome.failed += 1
        return outcome
