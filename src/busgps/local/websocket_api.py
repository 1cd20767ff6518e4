"""The local WebSocket API: what API Gateway's WebSocket API does, on one machine.

An ASGI app (uvicorn speaks the WebSocket protocol with the `websockets` library) that serves the
stage at ws://host:port/<stage> and its management API at http://host:port/<stage>/@connections/{id},
the callback URL the functions post to, as API Gateway serves both on one host:

- `$connect` runs before the handshake completes: a non-2xx answer refuses the socket (403);
- each text message is routed by the protocol's route selection expression (`action`) to its route
  key, or to `$default`, and the route's function gets API Gateway's WebSocket event;
- `$disconnect` runs once the socket is closed, whoever closed it;
- a connection is closed (1001, going away) after 10 idle minutes and after 2 hours, as API Gateway does;
- the management API answers POST (send), GET (describe) and DELETE (close) on a connection, and 410
  GoneException for one that does not exist.

Where it differs from API Gateway: the route's function runs in this process; no stage throttling.
"""

import asyncio
import logging
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from busgps import aws_limits
from busgps.local.in_process import invoke_in_turn
from busgps.local.lambda_context import LambdaContext
from busgps.models.websocket import CONNECT, DISCONNECT, selected_route

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
# PostToConnection takes up to 128 KB; API Gateway sends it in 32 KB frames (billed per frame).
POST_TO_CONNECTION_MAX_BYTES = 128 * 1024
GOING_AWAY = 1001


def _connection_id() -> str:
    """An id shaped like API Gateway's, e.g. L0SM9cOFvHcCIhw=: letters and digits, then "="."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(15)) + "="


def _request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _iso(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


@dataclass
class Connection:
    connection_id: str
    socket: WebSocket
    connected_at_ms: int
    source_ip: str
    user_agent: str
    headers: dict[str, str]
    last_active_ms: int = 0


@dataclass(frozen=True)
class WebSocketApiConfig:
    stage: str
    function_arn: str
    function_memory_mb: int = 128
    function_timeout_seconds: float = 30.0
    idle_timeout_seconds: float = aws_limits.WEBSOCKET_IDLE_TIMEOUT_SECONDS
    connection_max_seconds: float = aws_limits.WEBSOCKET_CONNECTION_MAX_SECONDS


class LocalWebSocketApi:
    def __init__(self, config: WebSocketApiConfig, handler: Handler) -> None:
        self._config = config
        self._handler = handler
        self._api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        self._connections: dict[str, Connection] = {}

    # Events of API Gateway's shape

    def _event(
        self, connection: Connection, route_key: str, event_type: str, extra: Mapping[str, Any]
    ) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        request_context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": secrets.token_urlsafe(12)[:15] + "=",
            "requestTime": _request_time(now_ms),
            "messageDirection": "IN",
            "stage": self._config.stage,
            "connectedAt": connection.connected_at_ms,
            "requestTimeEpoch": now_ms,
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": secrets.token_urlsafe(12)[:15] + "=",
            "domainName": connection.headers.get("host", "localhost"),
            "connectionId": connection.connection_id,
            "apiId": self._api_id,
        }
        request_context.update(extra.get("requestContext", {}))
        event = {key: value for key, value in extra.items() if key != "requestContext"}
        return {**event, "requestContext": request_context, "isBase64Encoded": False}

    async def _invoke(self, event: dict[str, Any]) -> int:
        """Run the route's function; the status code it answered (500 when it failed)."""
        context = LambdaContext(
            function_name=self._config.function_arn.rsplit(":", 1)[-1],
            invoked_function_arn=self._config.function_arn,
            memory_limit_in_mb=self._config.function_memory_mb,
            timeout_seconds=self._config.function_timeout_seconds,
        )
        try:
            answer = await asyncio.wait_for(
                invoke_in_turn(self._handler, event, context),
                self._config.function_timeout_seconds,
            )
        except Exception:
            logger.exception("the WebSocket function failed on %s", event["requestContext"]["routeKey"])
            return 500
        status = answer.get("statusCode", 200) if isinstance(answer, dict) else 200
        return int(status)

    # The stage

    async def serve_socket(self, socket: WebSocket) -> None:
        now_ms = int(time.time() * 1000)
        headers = {name.lower(): value for name, value in socket.headers.items()}
        connection = Connection(
            connection_id=_connection_id(),
            socket=socket,
            connected_at_ms=now_ms,
            source_ip=socket.client.host if socket.client else "127.0.0.1",
            user_agent=headers.get("user-agent", ""),
            headers=headers,
            last_active_ms=now_ms,
        )
        connect = self._event(
            connection,
            CONNECT,
            "CONNECT",
            {"headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()}},
        )
        if not 200 <= await self._invoke(connect) < 300:
            await socket.close(code=1008)  # before accept: the handshake is refused with 403
            return
        await socket.accept()
        self._connections[connection.connection_id] = connection
        status, reason = 1005, "Client closed the connection"
        try:
            status, reason = await self._receive(connection)
        finally:
            self._connections.pop(connection.connection_id, None)
            disconnect = self._event(
                connection,
                DISCONNECT,
                "DISCONNECT",
                {
                    "headers": headers,
                    "requestContext": {"disconnectStatusCode": status, "disconnectReason": reason},
                },
            )
            await self._invoke(disconnect)

    async def _receive(self, connection: Connection) -> tuple[int, str]:
        """Route the client's messages until the socket closes; why it closed."""
        socket = connection.socket
        deadline = connection.connected_at_ms / 1000 + self._config.connection_max_seconds
        while True:
            idle_end = connection.last_active_ms / 1000 + self._config.idle_timeout_seconds
            wait = min(idle_end, deadline) - time.time()
            try:
                message = await asyncio.wait_for(socket.receive(), max(wait, 0.0))
            except (RuntimeError, WebSocketDisconnect):  # closed by the management API's DELETE
                return GOING_AWAY, "Connection deleted"
            except TimeoutError:
                reason = "Connection idle timeout" if idle_end < deadline else "Connection duration exceeded"
                await socket.close(code=GOING_AWAY, reason="Going away")
                return GOING_AWAY, reason
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", 1005)), "Client closed the connection"
            connection.last_active_ms = int(time.time() * 1000)
            body = message.get("text")
            if body is None and message.get("bytes") is not None:
                body = message["bytes"].decode("utf-8", errors="replace")
            route_key = selected_route(body)
            event = self._event(
                connection,
                route_key,
                "MESSAGE",
                {"body": body, "requestContext": {"messageId": secrets.token_urlsafe(12)[:15] + "="}},
            )
            await self._invoke(event)

    # The management API (@connections)

    def _gone(self) -> Response:
        return JSONResponse({"message": None}, status_code=410, headers={"x-amzn-ErrorType": "GoneException"})

    async def post_to_connection(self, request: Request) -> Response:
        connection = self._connections.get(request.path_params["connection_id"])
        if connection is None:
            return self._gone()
        data = await request.body()
        if len(data) > POST_TO_CONNECTION_MAX_BYTES:
            return JSONResponse(
                {"message": f"Payload of {len(data)} bytes exceeds {POST_TO_CONNECTION_MAX_BYTES}"},
                status_code=413,
                headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
            )
        try:
            await connection.socket.send_text(data.decode("utf-8"))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return self._gone()
        connection.last_active_ms = int(time.time() * 1000)
        return Response(status_code=200)

    async def get_connection(self, request: Request) -> Response:
        connection = self._connections.get(request.path_params["connection_id"])
        if connection is None:
            return self._gone()
        return JSONResponse(
            {
                "connectedAt": _iso(connection.connected_at_ms),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                "lastActiveAt": _iso(connection.last_active_ms),
            }
        )

    async def delete_connection(self, request: Request) -> Response:
        connection = self._connections.get(request.path_params["connection_id"])
        if connection is None:
            return self._gone()
        await connection.socket.close(code=GOING_AWAY, reason="Going away")
        return Response(status_code=204)

    def app(self) -> Starlette:
        stage = f"/{self._config.stage}"
        # :path, so that an id is matched whatever it holds once decoded.
        connection = f"{stage}/@connections/{{connection_id:path}}"
        return Starlette(
            routes=[
                WebSocketRoute(stage, self.serve_socket),
                Route(connection, self.post_to_connection, methods=["POST"]),
                Route(connection, self.get_connection, methods=["GET"]),
                Route(connection, self.delete_connection, methods=["DELETE"]),
            ]
        )
