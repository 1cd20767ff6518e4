"""The Lambda proxy integration (`type: aws_proxy`): the proxy event in, the proxy response out.

A REST API sends its proxy event (payload format 1.0), an HTTP API the payload format 2.0 event; each
reads the function's answer by its own rules.
"""

import base64
import fnmatch
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from busgps import aws_limits
from busgps.local.gateway.context import RequestFacts
from busgps.local.lambda_context import LambdaContext

# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
_FUNCTIONS_MARKER = "/functions/"
# Bodies an HTTP API hands over as text; any other is base64 (isBase64Encoded).
_TEXT_MEDIA_TYPES = (
    "text/*",
    "*/json",
    "*/*+json",
    "*/xml",
    "*/*+xml",
    "*/javascript",
    "*/x-www-form-urlencoded",
)


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


def _matches(media_type: str | None, patterns: Sequence[str]) -> bool:
    if not media_type:
        return False
    media = media_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in patterns)


def proxy_event(
    facts: RequestFacts,
    resource_path_parameters: Mapping[str, str],
    path: str,
    headers: Mapping[str, Sequence[str]],
    query: Mapping[str, Sequence[str]],
    body: bytes,
    binary_media_types: Sequence[str] = (),
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for this request; a body of a binary media type
    (API Gateway takes a missing Content-Type as JSON) is base64."""
    content_type = next(iter(headers.get("content-type", [])), "application/json")
    binary = bool(body) and _matches(content_type, binary_media_types)
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
        "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8", errors="replace"))
        if body
        else None,
        "isBase64Encoded": binary,
    }


def http_api_event(
    facts: RequestFacts,
    route_key: str,
    path_parameters: Mapping[str, str],
    headers: Mapping[str, Sequence[str]],
    raw_query: str,
    body: bytes,
) -> dict[str, Any]:
    """The payload format 2.0 event an HTTP API sends: header names in lower case and repeated values
    joined by commas (cookies apart), the query string as sent and parsed, the JWT claims if any."""
    joined = {name.lower(): ",".join(values) for name, values in headers.items() if name.lower() != "cookie"}
    cookies = [
        cookie.strip() for value in headers.get("cookie", []) for cookie in value.split(";") if cookie.strip()
    ]
    query: dict[str, list[str]] = {}
    for name, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    binary = bool(body) and not _matches(joined.get("content-type"), _TEXT_MEDIA_TYPES)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": facts.path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    if query:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
    event["requestContext"] = facts.http_api_request_context(route_key)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        event["body"] = base64.b64encode(body).decode() if binary else body.decode("utf-8", errors="replace")
    event["isBase64Encoded"] = binary
    return event


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def binary_answer(accept: str | None, content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    """Whether a REST API sends a base64 body as binary: the client's first Accept type, or the answer's
    Content-Type, must be one of the API's binary media types (`*` wildcards allowed); else the client
    gets the base64 text."""
    first = (accept or "").split(",", 1)[0]
    return _matches(first, binary_media_types) or _matches(content_type, binary_media_types)


def read_proxy_response(
    result: Any, *, accept: str | None = None, binary_media_types: Sequence[str] = ()
) -> ProxyResponse:
    """The HTTP answer in a function's REST proxy response, checked as API Gateway checks it; a base64
    body is decoded only for a binary answer (`binary_answer`), else the client gets the base64 text."""
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
    _check_size(raw)
    if result.get("isBase64Encoded") and binary_answer(accept, content_type_of(headers), binary_media_types):
        raw = base64.b64decode(raw)
    return ProxyResponse(status=int(status), headers=headers, body=raw)


def content_type_of(headers: Sequence[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def read_http_api_response(result: Any) -> ProxyResponse:
    """The HTTP answer in a function's payload format 2.0 response, as an HTTP API reads it.

    An object with a statusCode is a response (headers, cookies, body, isBase64Encoded); anything else
    that is JSON is the body of a 200 application/json answer.
    """
    if not isinstance(result, Mapping) or "statusCode" not in result:
        try:
            text = result if isinstance(result, str) else json.dumps(result)
        except (TypeError, ValueError):
            raise BadProxyResponse(f"the function returned {type(result).__name__}, not JSON") from None
        inferred = text.encode("utf-8")
        _check_size(inferred)
        return ProxyResponse(status=200, headers=[("content-type", "application/json")], body=inferred)
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise BadProxyResponse(f"statusCode is {status!r}, not an integer")
    single = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(single, Mapping) or not isinstance(cookies, list):
        raise BadProxyResponse("headers must be an object and cookies a list")
    headers = [(str(name), str(value)) for name, value in single.items()]
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise BadProxyResponse(f"body is {type(body).__name__}, not a string")
    raw = (body or "").encode("utf-8")
    _check_size(raw)
    if result.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    return ProxyResponse(status=int(status), headers=headers, body=raw)


def _check_size(raw: bytes) -> None:
    if len(raw) > aws_limits.LAMBDA_RESPONSE_MAX_BYTES:  # Lambda counts the body as sent, base64 or not
        raise BadProxyResponse(
            f"the response is {len(raw)} bytes; Lambda allows {aws_limits.LAMBDA_RESPONSE_MAX_BYTES}"
        )
