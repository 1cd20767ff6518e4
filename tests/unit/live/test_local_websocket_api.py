"""The local WebSocket API's stage and management API, with a recording function behind it."""

from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient

from busgps.local.websocket_api import LocalWebSocketApi, WebSocketApiConfig
from support.polling import wait_for


class RecordingFunction:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200}


def api() -> tuple[TestClient, RecordingFunction]:
    function = RecordingFunction()
    config = WebSocketApiConfig(
        stage="local", function_arn="arn:aws:lambda:us-east-1:123456789012:function:ws"
    )
    return TestClient(LocalWebSocketApi(config, function).app()), function


def test_each_socket_event_reaches_the_function_in_api_gateways_shape_routed_by_action() -> None:
    # Given the local stage with a function that records its events
    client, function = api()
    # When a client connects, sends a subscribe and a message of no route, and closes
    with client.websocket_connect("/local") as socket:
        socket.send_text('{"action": "subscribe"}')
        socket.send_text("hello")
        socket.send_text('{"action": "ping"}')
        assert wait_for(lambda: len(function.events) == 4, timeout_seconds=5)
        socket.close()
        assert wait_for(lambda: len(function.events) == 5, timeout_seconds=5)
    # Then the function saw $connect, subscribe, $default, ping, $disconnect, all on one connection id
    routes = [event["requestContext"]["routeKey"] for event in function.events]
    assert routes == ["$connect", "subscribe", "$default", "ping", "$disconnect"]
    assert len({event["requestContext"]["connectionId"] for event in function.events}) == 1
    assert [event["requestContext"]["eventType"] for event in function.events] == [
        "CONNECT",
        "MESSAGE",
        "MESSAGE",
        "MESSAGE",
        "DISCONNECT",
    ]
    assert function.events[1]["body"] == '{"action": "subscribe"}'


def test_the_management_api_posts_to_a_connection_and_answers_410_for_one_it_does_not_have() -> None:
    # Given a connected client
    client, function = api()
    with client.websocket_connect("/local") as socket:
        connection_id = function.events[0]["requestContext"]["connectionId"]
        # When the function posts to it, and to a connection that does not exist
        sent = client.post(f"/local/@connections/{quote(connection_id, safe='')}", content=b'{"type":"pong"}')
        gone = client.post("/local/@connections/nobodyAtAll0000=", content=b"{}")
        # Then the client receives the message, and the unknown connection is GoneException (410)
        assert sent.status_code == 200
        assert socket.receive_text() == '{"type":"pong"}'
        assert gone.status_code == 410
        assert gone.headers["x-amzn-ErrorType"] == "GoneException"
    # And its id is letters and digits then "=", as API Gateway's: safe in a URL path
    assert connection_id[:-1].isalnum()
    assert connection_id.endswith("=")
