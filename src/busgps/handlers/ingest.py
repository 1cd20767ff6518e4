"""The ingest Lambda: the devices' POST routes, on an HTTP API whose JWT authorizer checked the token.

It checks each body by the consumer's own rules and writes what the device sent to the stream, keyed by
bus id; every refusal is JSON that says what to fix, as the old REST integration's were.
"""

import json
import time
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from busgps.dal.clients import kinesis_client
from busgps.dal.stream import KinesisStream
from busgps.logic import intake
from busgps.logic.errors import InvalidRequest, NotAnIdToken, StreamWriteFailed, UnsupportedMediaType
from busgps.observability import logger
from busgps.settings import ingest_settings

# What a client should do about each kind of stream failure, and the status that says it.
_STREAM_FAILURES = {
    "throttled": (429, "the stream is over its write capacity: retry with exponential backoff"),
    "misconfigured": (500, "the stream cannot be written to: a fault of this deployment, not of the request"),
    "refused": (400, "the stream refused the record: check Data (base64) and PartitionKey"),
    "unavailable": (502, "the stream is unavailable: retry with exponential backoff"),
}


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers or {},
    )


@lru_cache(maxsize=1)
def resolver() -> APIGatewayHttpResolver:
    """The ingest routes, built on first use so that the settings are read then, not at import."""
    settings = ingest_settings()
    stream = KinesisStream(kinesis_client(), settings.stream_name)
    app = APIGatewayHttpResolver()

    def request_id() -> str:
        return str(app.current_event.request_context.request_id)

    @app.exception_handler(InvalidRequest)  # type: ignore[untyped-decorator]
    def invalid_request(error: InvalidRequest) -> Response[str]:
        return _answer(
            400,
            {
                "error": "Invalid request body",
                "details": str(error),
                "hint": "the body must match the model of this route: see the API reference",
                "requestId": request_id(),
            },
        )

    @app.exception_handler(NotAnIdToken)  # type: ignore[untyped-decorator]
    def not_an_id_token(error: NotAnIdToken) -> Response[str]:
        return _answer(
            401,
            {"error": "Unauthorized", "hint": str(error), "requestId": request_id()},
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @app.exception_handler(UnsupportedMediaType)  # type: ignore[untyped-decorator]
    def unsupported_media_type(error: UnsupportedMediaType) -> Response[str]:
        return _answer(
            415, {"error": "Unsupported Media Type", "hint": str(error), "requestId": request_id()}
        )

    @app.exception_handler(StreamWriteFailed)  # type: ignore[untyped-decorator]
    def stream_failed(error: StreamWriteFailed) -> Response[str]:
        status, message = _STREAM_FAILURES[error.kind]
        logger.warning("the stream refused a write", extra={"kinesisError": error.code, "detail": str(error)})
        body: dict[str, Any] = {"error": message, "kinesisError": error.code, "requestId": request_id()}
        if error.kind == "refused":
            body["kinesisMessage"] = str(error)
        return _answer(status, body, {"Retry-After": "1"} if status in (429, 502) else None)

    def checked_body() -> Any:
        event = app.current_event
        claims = event.request_context.authorizer.jwt_claim or {}
        if claims.get("token_use") != "id":
            raise NotAnIdToken(
                "send the device's Cognito id token (not its access token) in the Authorization header"
            )
        content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
        try:
            return event.json_body
        except (ValueError, TypeError):
            raise InvalidRequest("body: not JSON") from None

    @app.post("/post-gps")
    def post_gps() -> Response[str]:
        record = intake.legacy_record(checked_body(), settings.stream_name, int(time.time() * 1000))
        result = stream.put(record)
        return _answer(
            200, {"message": "Success", "shardId": result.shard_id, "sequenceNumber": result.sequence_number}
        )

    @app.post("/v1/positions")
    def post_positions() -> Response[str]:
        records = intake.batch_records(checked_body(), int(time.time() * 1000))
        status, body = intake.batch_answer(stream.put_many(records))
        return _answer(status, body, {"Retry-After": "1"} if status == 503 else None)

    return app


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
