"""The local API Gateway: an ASGI app that serves api/openapi.yaml as API Gateway serves a REST API.

Every route, validator, template and gateway response comes from the document; this module only
sequences them as API Gateway does: route, validate, integrate, respond.
"""

import asyncio
import fnmatch
import logging
import secrets
import string
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from busgps import aws_limits
from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.document import ApiDocument, DocumentError, Operation
from busgps.local.gateway.integrations import (
    MockWithoutStatusCode,
    NoIntegrationResponse,
    UnsupportedMediaType,
    method_response,
    mock_result,
    request_template,
)
from busgps.local.gateway.lambda_proxy import (
    BadProxyResponse,
    lambda_context,
    proxy_event,
    read_proxy_response,
)
from busgps.local.gateway.responses import gateway_response
from busgps.local.gateway.throttling import TokenBucket
from busgps.local.gateway.validation import check_parameters, media_type
from busgps.local.gateway.vtl import Input, MappingTemplateError, render_mapping_template
from busgps.local.in_process import invoke_in_turn

_LOG = logging.getLogger(__name__)
# API Gateway's longest integration timeout, by default.
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000
_DEFAULT_ACCOUNT_ID = "123456789012"

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class GatewayConfig:
    """What the local gateway needs; `template_values` are the document's templatefile placeholders."""

    openapi_path: Path
    template_values: Mapping[str, str]
    lambda_handlers: Mapping[str, LambdaHandler]  # api_function_invoke_arn -> handler
    stage: str = "local"
    # The function's settings as Lambda would apply them (pass the environment's lambda_* settings).
    function_memory_mb: int = 128
    function_timeout_seconds: float = 30.0
    # The stage's throttling (api_throttling_rate_limit, api_throttling_burst_limit); None: not throttled.
    throttling_rate_limit: float | None = None
    throttling_burst_limit: int | None = None


class _Refused(Exception):
    """Stop handling the request with a gateway response."""

    def __init__(
        self, response_type: str, message: str | None = None, details: str = "", status: int | None = None
    ):
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message
        self.details = details
        self.status = status


def _account_id(template_values: Mapping[str, str]) -> str:
    for value in template_values.values():
        parts = value.split(":")
        if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit():
            return parts[4]
    return _DEFAULT_ACCOUNT_ID


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = defaultdict(list)
    for name, value in pairs:
        values[name].append(value)
    return dict(values)


@dataclass(frozen=True)
class _Request:
    """One request as read off the wire."""

    path: str
    headers: dict[str, list[str]]
    query: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None

    @property
    def single_headers(self) -> dict[str, str]:
        return {name: values[-1] for name, values in self.headers.items()}

    @property
    def single_query(self) -> dict[str, str]:
        return {name: values[-1] for name, values in self.query.items()}


class LocalApiGateway:
    def __init__(self, config: GatewayConfig) -> None:
        self._config = config
        self._document = ApiDocument.load(config.openapi_path, config.template_values)
        self._api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        self._account_id = _account_id(config.template_values)
        self._throttle = (
            TokenBucket(config.throttling_rate_limit, config.throttling_burst_limit or 1)
            if config.throttling_rate_limit is not None
            else None
        )

    async def serve(self, request: Request) -> Response:
        """Answer one request as API Gateway would."""
        raw_path = request.url.path
        facts = RequestFacts(
            api_id=self._api_id,
            account_id=self._account_id,
            stage=self._config.stage,
            http_method=request.method,
            path=raw_path,
            source_ip=request.client.host if request.client else "127.0.0.1",
            user_agent=request.headers.get("user-agent", ""),
            domain_name=request.headers.get("host", "localhost"),
        )
        headers = _multi(
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        )
        try:
            if self._throttle is not None and not self._throttle.try_acquire():
                raise _Refused("THROTTLED")
            body = await self._read_body(request)
            incoming = _Request(
                path=raw_path,
                headers=headers,
                query=_multi(urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)),
                body=body,
            )
            return await self._handle(incoming, facts)
        except _Refused as refusal:
            failure = refusal
        except Exception:
            # A fault of the gateway itself still gets API Gateway's JSON answer, never a bare 500.
            _LOG.exception("%s %s: the local gateway failed", request.method, raw_path)
            failure = _Refused("DEFAULT_5XX", "Internal server error", status=500)
        return gateway_response(
            self._document.gateway_responses,
            failure.response_type,
            facts,
            {name: values[-1] for name, values in headers.items()},
            message=failure.message,
            details=failure.details,
            status=failure.status,
        )

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > aws_limits.API_GATEWAY_PAYLOAD_MAX_BYTES:
            raise _Refused("REQUEST_TOO_LARGE")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > aws_limits.API_GATEWAY_PAYLOAD_MAX_BYTES:
                raise _Refused("REQUEST_TOO_LARGE")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _handle(self, incoming: _Request, facts: RequestFacts) -> Response:
        operation, path_parameters, path = self._operation(incoming, facts.http_method)
        facts.resource_path = operation.resource_path
        if operation.security:
            # The REST API has no authorizer: its routes are public (the devices' are the HTTP API's).
            _LOG.error("%s %s: authorizers are not served locally", facts.http_method, path)
            raise _Refused("AUTHORIZER_CONFIGURATION_ERROR")
        failure = check_parameters(operation, path_parameters, incoming.single_query, incoming.single_headers)
        if failure is not None:
            raise _Refused(failure.response_type, failure.message, failure.details)
        integration = operation.integration
        kind = str(integration.get("type", "")).lower()
        timeout = int(integration.get("timeoutInMillis", DEFAULT_INTEGRATION_TIMEOUT_MS)) / 1000
        try:
            if kind == "aws_proxy":
                return await self._proxy(operation, incoming, path, path_parameters, facts, timeout)
            if kind == "mock":
                return self._mock_integration(operation, incoming, path_parameters, facts)
        except (
            MappingTemplateError,
            MockWithoutStatusCode,
            NoIntegrationResponse,
            DocumentError,
        ):
            _LOG.exception("%s %s: the API document's integration cannot run", facts.http_method, path)
            raise _Refused("API_CONFIGURATION_ERROR") from None
        _LOG.error("%s %s: integration type %r is not supported locally", facts.http_method, path, kind)
        raise _Refused("API_CONFIGURATION_ERROR")

    def _operation(self, incoming: _Request, method: str) -> tuple[Operation, dict[str, str], str]:
        stage_prefix = f"/{self._config.stage}"
        candidates = [incoming.path]
        if incoming.path == stage_prefix or incoming.path.startswith(stage_prefix + "/"):
            candidates.append(incoming.path[len(stage_prefix) :] or "/")
        for path in candidates:
            matched = self._document.match(path)
            if matched is not None and method in matched[0].operations:
                route, parameters = matched
                return route.operations[method], parameters, path
        # API Gateway's answer to any unknown resource or method.
        raise _Refused("MISSING_AUTHENTICATION_TOKEN")

    def _mock_integration(
        self,
        operation: Operation,
        incoming: _Request,
        path_parameters: dict[str, str],
        facts: RequestFacts,
    ) -> Response:
        integration = operation.integration
        body_text = incoming.body.decode("utf-8", errors="replace")
        content_type = incoming.header("content-type")
        try:
            template = request_template(integration, content_type)
        except UnsupportedMediaType:
            raise _Refused("UNSUPPORTED_MEDIA_TYPE") from None
        rendered: str | None = None
        if _is_binary(media_type(content_type), self._document.binary_media_types) and (
            integration.get("contentHandling") != "CONVERT_TO_TEXT"
        ):
            # A request of a binary media type passes through untransformed unless the integration
            # converts it to text: the mock then finds no statusCode, and API Gateway answers 500.
            rendered = body_text
        elif template is not None:
            template_input = Input(
                body=body_text,
                path_parameters=path_parameters,
                query_parameters=incoming.single_query,
                headers=incoming.single_headers,
            )
            rendered = render_mapping_template(template, template_input, facts.template_context())
        return method_response(integration, mock_result(rendered), facts, incoming.single_headers)

    async def _proxy(
        self,
        operation: Operation,
        incoming: _Request,
        path: str,
        path_parameters: dict[str, str],
        facts: RequestFacts,
        timeout: float,
    ) -> Response:
        invoke_arn = str(operation.integration.get("uri", ""))
        handler = self._config.lambda_handlers.get(invoke_arn)
        if handler is None:
            _LOG.error("no handler is configured for the integration uri %r", invoke_arn)
            raise _Refused("API_CONFIGURATION_ERROR")
        event = proxy_event(
            facts,
            path_parameters,
            path,
            incoming.headers,
            incoming.query,
            incoming.body,
            self._document.binary_media_types,
        )
        function_timeout = self._config.function_timeout_seconds
        context = lambda_context(
            invoke_arn, facts.request_id, self._config.function_memory_mb, function_timeout
        )
        try:
            result = await asyncio.wait_for(
                invoke_in_turn(handler, event, context), min(timeout, function_timeout)
            )
            answer = read_proxy_response(
                result,
                accept=incoming.single_headers.get("accept"),
                binary_media_types=self._document.binary_media_types,
            )
        except TimeoutError:
            if function_timeout < timeout:  # the function timed out first: a function error
                raise _Refused("DEFAULT_5XX", "Internal server error", status=502) from None
            raise _Refused("INTEGRATION_TIMEOUT") from None
        except BadProxyResponse:
            _LOG.exception("%s %s: malformed Lambda proxy response", facts.http_method, path)
            raise _Refused("DEFAULT_5XX", "Internal server error", status=502) from None
        except Exception:
            _LOG.exception("%s %s: the function failed", facts.http_method, path)
            raise _Refused("DEFAULT_5XX", "Internal server error", status=502) from None
        response = Response(answer.body, status_code=answer.status)
        names = {name.lower() for name, _ in answer.headers}
        extra = list(facts.response_headers().items())
        if "content-type" not in names:
            extra.append(("content-type", "application/json"))
        response.raw_headers = [
            *(header for header in response.raw_headers if header[0] == b"content-length"),
            *(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in answer.headers + extra
            ),
        ]
        return response


def _is_binary(media: str, binary_media_types: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in binary_media_types)


def create_gateway_app(config: GatewayConfig) -> Starlette:
    """The local API Gateway for `config.openapi_path`, as a Starlette app (serve it with uvicorn)."""
    gateway = LocalApiGateway(config)
    app = Starlette()
    # Every request, whatever its method or path, is the gateway's to answer.
    app.router.default = request_response(gateway.serve)
    return app
