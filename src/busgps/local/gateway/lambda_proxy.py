"""The Lambda proxy integration (`type: aws_proxy`): the REST API proxy event in, the proxy response out."""

import base64
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from busgps import aws_limits
from busgps.local.gateway.context import RequestFacts
from busgps.local.lambda_context import LambdaContext

# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
_FUNCTIONS_MARKER = "/functions/"
# Lambda refuses a synchronous response larger than this.


class BadProxyResponse(ValueError):
    """The function's answer is not a proxy response (API Gateway answers 502)."""


def function_arn(invoke_arn: str) -> str:
    """The function ARN inside a Lambda invoke ARN (or the ARN itself if it is not one)."""
    if _FUNCTIONS_MARKER in invoke_arn:
        return invoke_arn.split(_FUNCTIONS_MARKER, 1)[1].removesuffix("/invocations")
    return invoke_arn


def lambda_context(invoke_arn: str, request_id: str, memory_mb: int, timeout_seconds: float) -> LambdaContext:
    arn = function_arn(invoke_arn)
    return LambdaContext(
        function_name=arn.rsplit(":", 1)[-1] if ":function:" in arn else arn,
        invoked_function_arn=arn,
        aws_request_id=request_id,
        memory_limit_in_mb=memory_mb,
        timeout_seconds=timeout_seconds,
    )


def _single(values: Mapping[str, Sequence[str]]) -> dict[str, str] | None:
    # The single-value maps keep the last value of a repeated name, as API Gateway does.
    return {name: items[-1] for name, items in values.items()} or None


def proxy_event(
    facts: RequestFacts,
    resource_path_parameters: Mapping[str, str],
    path: str,
    headers: Mapping[str, Sequence[str]],
    query: Mapping[str, Sequence[str]],
    body: bytes,
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for this request."""
    return {
        "resource": facts.resource_path,
        "path": path,
        "httpMethod": facts.http_method,
        "headers": _single(headers),
        "multiValueHeaders": {name: list(values) for name, values in headers.items()} or None,
        "queryStringParameters": _single(query),
        "multiValueQueryStringParameters": {name: list(values) for name, values in query.items()} or None,
        "pathParameters": dict(resource_path_parameters) or None,
        "stageVariables": None,
        "requestContext": facts.proxy_request_context(),
        "body": body.decode("utf-8", errors="replace") if body else None,
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def accepts_binary(accept: str | None, binary_media_types: Sequence[str]) -> bool:
    """Whether API Gateway sends a base64 body as binary: the client's first Accept type must be one of
    the API's binary media types (`*` wildcards allowed), else the client gets the base64 text."""
    if not accept:
        return False
    first = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(first, media_type.lower()) for media_type in binary_media_types)


def read_proxy_response(result: Any, *, binary: bool) -> ProxyResponse:
    """The HTTP answer in a function's proxy response, checked as API Gateway checks it.

    `binary`: whether the client accepts binary (`accepts_binary`); only then is a base64 body decoded.
    """
    if not isinstance(result, Mapping):
        raise BadProxyResponse(f"the function returned {type(result).__name__}, not an object")
    unknown = set(result) - {
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
        "cookies",
    }
    if unknown:
        raise BadProxyResponse(f"unknown fields in the proxy response: {sorted(unknown)}")
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise BadProxyResponse(f"statusCode is {status!r}, not an integer")
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, Mapping) or not isinstance(multi, Mapping):
        raise BadProxyResponse("headers and multiValueHeaders must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise BadProxyResponse(f"multiValueHeaders.{name} is not a list")
        headers.extend((str(name), str(value)) for value in values)
    multi_names = {str(name).lower() for name in multi}
    headers.extend(
        (str(name), str(value)) for name, value in single.items() if str(name).lower() not in multi_names
    )
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise BadProxyResponse(f"body is {type(body).__name__}, not a string")
    raw = (body or "").encode("utf-8")
    if len(raw) > aws_limits.LAMBDA_RESPONSE_MAX_BYTES:  # Lambda counts the body as sent, base64 or not
        raise BadProxyResponse(
            f"the response is {len(raw)} bytes; Lambda allows {aws_limits.LAMBDA_RESPONSE_MAX_BYTES}"
        )
    if result.get("isBase64Encoded") and binary:
        raw = base64.b64decode(raw)
    return ProxyResponse(status=int(status), headers=headers, body=raw)
