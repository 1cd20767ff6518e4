"""Gateway responses (the answers API Gateway gives itself) and the parameter mappings responses use."""

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from busgps.local.gateway import jsonpath
from busgps.local.gateway.context import RequestFacts

# API Gateway's own status codes and messages per response type, used where the document is silent.
DEFAULT_STATUS = {
    "ACCESS_DENIED": 403,
    "API_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_CONFIGURATION_ERROR": 500,
    "AUTHORIZER_FAILURE": 500,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "EXPIRED_TOKEN": 403,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}
DEFAULT_MESSAGE = {
    "API_CONFIGURATION_ERROR": "Internal server error",
    "AUTHORIZER_CONFIGURATION_ERROR": "Internal server error",
    "BAD_REQUEST_BODY": "Invalid request body",
    "INTEGRATION_FAILURE": "Internal server error",
    "INTEGRATION_TIMEOUT": "Endpoint request timed out",
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "REQUEST_TOO_LARGE": "Request Too Long",
    "THROTTLED": "Too Many Requests",
    "UNAUTHORIZED": "Unauthorized",
    "UNSUPPORTED_MEDIA_TYPE": "Unsupported Media Type",
}
# Answered by API Gateway before any of the API's own settings apply: the document cannot customise
# them, not even through DEFAULT_4XX.
NOT_CUSTOMISABLE = frozenset({"REQUEST_TOO_LARGE"})
_VARIABLE = re.compile(r"\$(context|stageVariables)((?:\.[A-Za-z0-9_]+)+)")
_LITERAL = re.compile(r"^'(.*)'$", re.S)


def _lookup(root: Any, dotted: str) -> Any:
    current = root
    for part in dotted.strip(".").split("."):
        if not isinstance(current, Mapping) or part not in current:
            return ""
        current = current[part]
    return current


def substitute(template: str, context: Mapping[str, Any]) -> str:
    """A gateway response template: plain variable substitution, not VTL (as API Gateway documents)."""

    def value(found: re.Match[str]) -> str:
        root = context if found.group(1) == "context" else context.get("stageVariables", {})
        resolved = _lookup(root, found.group(2))
        return resolved if isinstance(resolved, str) else json.dumps(resolved)

    return _VARIABLE.sub(value, template)


def mapped_value(expression: str, sources: Mapping[str, Any]) -> str | None:
    """The value of a parameter mapping: a 'literal', or a dotted source such as method.request.header.X.

    `sources` maps prefixes (e.g. "method.request.header") to dicts, and "integration.response.body"
    to the integration's body text (a JSONPath may follow it).
    """
    literal = _LITERAL.match(expression)
    if literal is not None:
        return literal.group(1)
    body_prefix = "integration.response.body"
    if expression == body_prefix or expression.startswith(body_prefix + "."):
        body = str(sources.get(body_prefix, ""))
        if expression == body_prefix:
            return body
        try:
            selected = jsonpath.select(json.loads(body), "$" + expression[len(body_prefix) :])
        except json.JSONDecodeError:
            return None
        return None if selected is None else (selected if isinstance(selected, str) else json.dumps(selected))
    prefix, _, name = expression.rpartition(".")
    values = sources.get(prefix)
    if isinstance(values, Mapping):
        lowered = {str(key).lower(): value for key, value in values.items()}
        found = values.get(name, lowered.get(name.lower()) if prefix.endswith("header") else None)
        return None if found is None else str(found)
    if prefix == "context":
        resolved = _lookup(sources.get("context", {}), name)
        return None if resolved == "" else str(resolved)
    return None


def choose_template(templates: Mapping[str, str], accept: str | None) -> tuple[str, str] | None:
    """The (content type, template) a response uses: the one the client accepts, else JSON, else the first."""
    if not templates:
        return None
    for wanted in (accept or "").split(","):
        media = wanted.split(";", 1)[0].strip().lower()
        if media in templates:
            return media, templates[media]
    if "application/json" in templates:
        return "application/json", templates["application/json"]
    first = next(iter(templates))
    return first, templates[first]


def gateway_response(
    responses: Mapping[str, Mapping[str, Any]],
    response_type: str,
    facts: RequestFacts,
    request_headers: Mapping[str, str],
    *,
    message: str | None = None,
    details: str = "",
    status: int | None = None,
) -> Response:
    """The answer of type `response_type`, shaped by the document's gateway responses."""
    default_status = status or DEFAULT_STATUS.get(response_type, 500)
    fallback = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
    definition = (
        {}
        if response_type in NOT_CUSTOMISABLE
        else responses.get(response_type) or responses.get(fallback) or {}
    )
    status_code = int(definition.get("statusCode", default_status) if status is None else status)
    text = message or DEFAULT_MESSAGE.get(
        response_type, "Internal server error" if status_code >= 500 else ""
    )
    error = {
        "message": text,
        "messageString": json.dumps(text),
        "responseType": response_type,
        "validationErrorString": details,
    }
    context = facts.template_context(error)
    chosen = choose_template(definition.get("responseTemplates") or {}, request_headers.get("accept"))
    if chosen is None:
        media, body = "application/json", json.dumps({"message": text})
    else:
        media, body = chosen[0], substitute(chosen[1], context)
    sources = {
        "method.request.header": request_headers,
        "context": context,
    }
    headers = {**facts.response_headers(), "x-amzn-ErrorType": response_type}
    for target, expression in (definition.get("responseParameters") or {}).items():
        name = str(target).removeprefix("gatewayresponse.header.")
        value = mapped_value(str(expression), sources)
        if value is not None:
            headers[name] = value
    return Response(body, status_code=status_code, media_type=media, headers=headers)
