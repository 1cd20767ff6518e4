"""The query API Lambda: an API Gateway REST proxy integration on Powertools' resolver."""

import time
import urllib.parse
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from busgps.dal.factory import position_store
from busgps.logic import queries
from busgps.logic.errors import InvalidParameter, NotFound
from busgps.logic.feed import FeedSnapshots, feed_answer
from busgps.models.api import to_json
from busgps.observability import logger
from busgps.settings import api_settings

GEOJSON = "application/geo+json"


def _error(status: int, message: str) -> Response[str]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=to_json({"error": message})
    )


def _now_s() -> int:
    return int(time.time())


@lru_cache(maxsize=1)
def resolver() -> APIGatewayRestResolver:
    """The API, built on first use so that its settings are read then, not at import."""
    settings = api_settings()
    store = position_store(settings)
    app = APIGatewayRestResolver(cors=CORSConfig(allow_origin=settings.cors_allow_origin), serializer=to_json)

    @app.exception_handler(InvalidParameter)  # type: ignore[untyped-decorator]
    def invalid_parameter(error: InvalidParameter) -> Response[str]:
        return _error(400, str(error))

    @app.exception_handler(NotFound)  # type: ignore[untyped-decorator]
    def not_found(error: NotFound) -> Response[str]:
        return _error(404, str(error))

    @app.exception_handler([BotoCoreError, ClientError])  # type: ignore[untyped-decorator]
    def storage_unavailable(error: Exception) -> Response[str]:
        logger.exception("storage unavailable")
        response = _error(503, "The position store is unavailable for a moment: try again shortly")
        response.headers["Retry-After"] = "1"
        return response

    @app.not_found
    def no_route(_: Exception) -> Response[str]:
        return _error(404, f"No route {app.current_event.http_method} {app.current_event.path}")

    @app.get("/get-gps")
    def legacy_get_gps() -> dict[str, str]:
        return queries.legacy_latest(store, app.current_event.get_query_string_value("busId"), _now_s())

    @app.get("/v1/buses")
    def list_buses() -> Response[str] | dict[str, Any]:
        event = app.current_event
        output_format = event.get_query_string_value("format")
        body = queries.list_buses(
            store,
            limit=event.get_query_string_value("limit"),
            cursor=event.get_query_string_value("cursor"),
            output_format=output_format,
            now_s=_now_s(),
        )
        if output_format == "geojson":
            return Response(status_code=200, content_type=GEOJSON, body=to_json(body))
        return body

    feed = FeedSnapshots(
        lambda since_ms: store.latest_since(since_ms, _now_s()),
        max_age_seconds=settings.feed_max_age_seconds,
        refresh_seconds=settings.feed_refresh_seconds,
        clock=time.time,
    )

    @app.get("/v1/gtfs-rt/vehicle-positions")
    def vehicle_positions_feed() -> Response[bytes | str]:
        event = app.current_event
        answer = feed_answer(
            feed.current(),
            queries.feed_format_param(event.get_query_string_value("format")),
            if_none_match=event.headers.get("If-None-Match"),
            if_modified_since=event.headers.get("If-Modified-Since"),
            refresh_seconds=settings.feed_refresh_seconds,
        )
        return Response(
            status_code=answer.status,
            content_type=answer.representation.content_type,
            headers=answer.headers,
            body=answer.body,
        )

    @app.get("/v1/buses/<bus_id>")
    def latest_position(bus_id: str) -> dict[str, Any]:
        return queries.latest(store, bus_id, _now_s())

    @app.get("/v1/buses/<bus_id>/positions")
    def positions(bus_id: str) -> Response[Any] | dict[str, Any]:
        event = app.current_event
        answer = queries.history(
            store,
            bus_id,
            from_time=event.get_query_string_value("from"),
            to_time=event.get_query_string_value("to"),
            limit=event.get_query_string_value("limit"),
            cursor=event.get_query_string_value("cursor"),
            output_format=event.get_query_string_value("format"),
            now_s=_now_s(),
            retention_days=settings.history_retention_days,
        )
        if not isinstance(answer, queries.Answer):
            return answer
        headers = {}
        if answer.next_cursor is not None:  # the next page, for every format (RFC 8288)
            query = {**(event.query_string_parameters or {}), "cursor": answer.next_cursor}
            headers["Link"] = f'<{event.path}?{urllib.parse.urlencode(query)}>; rel="next"'
        body = answer.body if isinstance(answer.body, str) else to_json(answer.body)
        return Response(status_code=200, content_type=answer.media_type, headers=headers, body=body)

    @app.get("/v1/positions")
    def fleet_window() -> dict[str, Any]:
        event = app.current_event
        return queries.fleet_window(
            store,
            from_time=event.get_query_string_value("from"),
            to_time=event.get_query_string_value("to"),
            limit=event.get_query_string_value("limit"),
            cursor=event.get_query_string_value("cursor"),
            now_s=_now_s(),
            retention_days=settings.history_retention_days,
        )

    return app


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
