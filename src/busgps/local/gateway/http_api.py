"""The local HTTP API: an ASGI app that serves api/ingest.yaml as API Gateway serves an HTTP API.

Routes, the JWT authorizer, the Lambda integrations and CORS come from the document; this module
sequences them as an HTTP API does: size, throttling, CORS preflight, route, authorize, invoke. Its
own answers are API Gateway's: `{"message": ...}` with the status AWS gives.
"""

import asyncio
import logging
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response

from busgps import aws_limits
from busgps.local.gateway.authorizer import JwtAuthorizer, Unauthorized
from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.document import ApiDocument, DocumentError, Operation
from busgps.local.gateway.lambda_proxy import (
    BadProxyResponse,
    http_api_event,
    lambda_context,
    read_http_api_response,
)
from busgps.local.gateway.throttling import TokenBucket
from busgps.local.in_process import invoke_in_turn

_LOG = logging.getLogger(__name__)
# An HTTP API's longest integration timeout, and its default.
MAX_INTEGRATION_TIMEOUT_MS = 30_000
_DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_STAGE = "$default"

LambdaHandler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class HttpApiConfig:
    """What the local HTTP API needs; `template_values` are the document's templatefile placeholders."""

    openapi_path: Path
    template_values: Mapping[str, str]
    lambda_handlers: Mapping[str, LambdaHandler]  # integration uri -> handler
    # The emulator, where the issuer's JWKS is; None: the issuer itself.
    endpoint_url: str | None
    # The function's settings as Lambda would apply them.
    function_memory_mb: int = 128
    function_timeout_seconds: float = 30.0
    # The stage's default route throttling; None: not throttled.
    throttling_rate_limit: float | None = None
    throttling_burst_limit: int | None = None
    account_id: str = _DEFAULT_ACCOUNT_ID


class _Answered(Exception):
    """Stop handling the request with API Gateway's own answer."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _header_lists(request: Request) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in request.headers.raw:
        values.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return values


class Cors:
    """The document's `x-amazon-apigateway-cors`: preflights answered, and the headers of every answer."""

    def __init__(self, settings: Mapping[str, Any] | None) -> None:
        settings = settings or {}
        self.enabled = bool(settings)
        self.origins = [str(origin) for origin in settings.get("allowOrigins") or []]
        self.methods = [str(method).upper() for method in settings.get("allowMethods") or []]
        self.headers = [str(header).lower() for header in settings.get("allowHeaders") or []]
        self.expose = [str(header).lower() for header in settings.get("exposeHeaders") or []]
        self.max_age = settings.get("maxAge")

    def allowed_origin(self, origin: str | None) -> str | None:
        if not self.enabled or not origin:
            return None
        if "*" in self.origins:
            return "*"
        return origin if origin in self.origins else None

    def answer_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.expose:
            headers["access-control-expose-headers"] = ",".join(self.expose)
        return headers

    def preflight(self, origin: str | None) -> Response:
        headers = self.answer_headers(origin)
        if headers:
            headers.pop("access-control-expose-headers", None)
            headers["access-control-allow-methods"] = ",".join(self.methods)
            if self.headers:
                headers["access-control-allow-headers"] = ",".join(self.headers)
            if self.max_age is not None:
                headers["access-control-max-age"] = str(self.max_age)
        return Response(status_code=204, headers=headers)


class LocalHttpApi:
    def __init__(self, config: HttpApiConfig) -> None:
        self._config = config
        self._document = ApiDocument.load(config.openapi_path, config.template_values)
        self._cors = Cors(self._document.document.get("x-amazon-apigateway-cors"))
        self._authorizers: dict[str, JwtAuthorizer] = {}
        self._api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        self._throttle = (
            TokenBucket(config.throttling_rate_limit, config.throttling_burst_limit or 1)
            if config.throttling_rate_limit is not None
            else None
        )

    async def serve(self, request: Request) -> Response:
        """Answer one request as an HTTP API would."""
        headers = _header_lists(request)
        origin = request.headers.get("origin")
        facts = RequestFacts(
            api_id=self._api_id,
            account_id=self._config.account_id,
            stage=DEFAULT_STAGE,
            http_method=request.method,
            path=request.url.path,
            source_ip=request.client.host if request.client else "127.0.0.1",
            user_agent=request.headers.get("user-agent", ""),
            domain_name=request.headers.get("host", "localhost"),
        )
        try:
            body = await self._read_body(request)
            if self._throttle is not None and not self._throttle.try_acquire():
                raise _Answered(429, "Too Many Requests")
            if (
                request.method == "OPTIONS"
                and self._cors.enabled
                and "access-control-request-method" in headers
            ):
                response = self._cors.preflight(origin)
                response.headers["apigw-requestid"] = facts.extended_request_id
                return response
            response = await self._route(request, headers, body, facts)
        except _Answered as answered:
            response = JSONResponse(
                {"message": answered.message}, status_code=answered.status, headers=answered.headers
            )
        except Exception:
            # A fault of the local gateway itself still gets API Gateway's answer, never a bare 500.
            _LOG.exception("%s %s: the local HTTP API failed", request.method, request.url.path)
            response = JSONResponse({"message": "Internal Server Error"}, status_code=500)
        response.headers["apigw-requestid"] = facts.extended_request_id
        for name, value in self._cors.answer_headers(origin).items():
            response.headers.setdefault(name, value)
        return response

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > aws_limits.API_GATEWAY_PAYLOAD_MAX_BYTES:
            raise _Answered(413, "Request Entity Too Large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > aws_limits.API_GATEWAY_PAYLOAD_MAX_BYTES:
                raise _Answered(413, "Request Entity Too Large")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _route(
        self, request: Request, headers: dict[str, list[str]], body: bytes, facts: RequestFacts
    ) -> Response:
        matched = self._document.match(request.url.path)
        if matched is None or request.method not in matched[0].operations:
            raise _Answered(404, "Not Found")
        route, path_parameters = matched
        operation = route.operations[request.method]
        route_key = f"{operation.method} {operation.resource_path}"
        if operation.security:
            facts.claims = await run_in_threadpool(self._authorize, operation, headers)
        event = http_api_event(facts, route_key, path_parameters, headers, request.url.query, body)
        return await self._invoke(operation, event, facts)

    def _authorize(self, operation: Operation, headers: Mapping[str, list[str]]) -> dict[str, str]:
        for requirement in operation.security:
            for scheme_name in requirement:
                authorizer, source = self._authorizer(scheme_name)
                values = headers.get(source.lower())
                try:
                    return authorizer.authorize(values[-1] if values else None)
                except Unauthorized as refusal:
                    _LOG.info("401 for %s %s: %s", operation.method, operation.resource_path, refusal)
                    raise _Answered(401, "Unauthorized", {"www-authenticate": refusal.challenge}) from None
                except OSError:
                    _LOG.exception("the issuer's keys could not be read")
                    raise _Answered(500, "Internal Server Error") from None
        return {}

    def _authorizer(self, scheme_name: str) -> tuple[JwtAuthorizer, str]:
        """The scheme's JWT authorizer and the header it reads its token from."""
        spec = self._document.security_scheme(scheme_name).get("x-amazon-apigateway-authorizer") or {}
        source = str(spec.get("identitySource", ""))
        if spec.get("type") != "jwt" or not source.startswith("$request.header."):
            raise DocumentError(
                f"security scheme {scheme_name}: only jwt authorizers reading a header run locally"
            )
        if scheme_name not in self._authorizers:
            configuration = spec.get("jwtConfiguration") or {}
            self._authorizers[scheme_name] = JwtAuthorizer(
                str(configuration.get("issuer", "")),
                [str(audience) for audience in configuration.get("audience") or []],
                self._config.endpoint_url,
            )
        return self._authorizers[scheme_name], source.removeprefix("$request.header.")

    async def _invoke(self, operation: Operation, event: dict[str, Any], facts: RequestFacts) -> Response:
        integration = operation.integration
        uri = str(integration.get("uri", ""))
        handler = self._config.lambda_handlers.get(uri)
        if (
            str(integration.get("type", "")).lower() != "aws_proxy"
            or str(integration.get("payloadFormatVersion")) != "2.0"
            or handler is None
        ):
            raise DocumentError(
                f"{operation.method} {operation.resource_path}: only Lambda integrations of payload "
                f"format 2.0 with a configured handler run locally (uri {uri!r})"
            )
        timeout = min(
            int(integration.get("timeoutInMillis", MAX_INTEGRATION_TIMEOUT_MS)), MAX_INTEGRATION_TIMEOUT_MS
        )
        function_timeout = self._config.function_timeout_seconds
        context = lambda_context(
            uri, facts.extended_request_id, self._config.function_memory_mb, function_timeout
        )
        try:
            result = await asyncio.wait_for(
                invoke_in_turn(handler, event, context),
                min(timeout / 1000, function_timeout),
            )
            answer = read_http_api_response(result)
        except TimeoutError:
            if function_timeout < timeout / 1000:  # the function timed out first: a function error
                raise _Answered(500, "Internal Server Error") from None
            raise _Answered(503, "Service Unavailable") from None
        except BadProxyResponse:
            _LOG.exception("%s: malformed Lambda response", event["routeKey"])
            raise _Answered(500, "Internal Server Error") from None
        except Exception:
            _LOG.exception("%s: the function failed", event["routeKey"])
            raise _Answered(500, "Internal Server Error") from None
        response = Response(answer.body, status_code=answer.status)
        response.raw_headers = [
            *(header for header in response.raw_headers if header[0] == b"content-length"),
            *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers),
        ]
        return response


def create_http_api_app(config: HttpApiConfig) -> Starlette:
    """The local HTTP API for `config.openapi_path`, as a Starlette app (serve it with uvicorn)."""
    api = LocalHttpApi(config)
    app = Starlette()
    # Every request, whatever its method or path, is the API's to answer.
    app.router.default = request_response(api.serve)
    return app
