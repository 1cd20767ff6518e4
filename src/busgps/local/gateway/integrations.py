"""What non-proxy integrations (mock, here) need: request templates in, integration responses out."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.responses import choose_template, mapped_value
from busgps.local.gateway.validation import media_type
from busgps.local.gateway.vtl import Input, render_mapping_template


class UnsupportedMediaType(Exception):
    """No request template for the request's content type, and the integration never passes through."""


class MockWithoutStatusCode(Exception):
    """A mock integration's request template names no integer statusCode (API Gateway answers 500)."""


class NoIntegrationResponse(Exception):
    """The integration's answer matches no integration response, and there is no default."""


@dataclass(frozen=True)
class IntegrationResult:
    """What the integration (Kinesis, or the mock) answered."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


def request_template(integration: Mapping[str, Any], content_type: str | None) -> str | None:
    """The request template for `content_type`, or None to pass the body through as it is."""
    templates: Mapping[str, str] = integration.get("requestTemplates") or {}
    wanted = media_type(content_type)
    if wanted in templates:
        return templates[wanted]
    behaviour = str(integration.get("passthroughBehavior", "when_no_match")).lower()
    if behaviour == "never" or (behaviour == "when_no_templates" and templates):
        raise UnsupportedMediaType(wanted)
    return None


def select_integration_response(integration: Mapping[str, Any], status: int) -> Mapping[str, Any]:
    """The integration response whose selection pattern matches the status code, else the default."""
    responses: Mapping[str, Mapping[str, Any]] = integration.get("responses") or {}
    for pattern, response in responses.items():
        if pattern != "default" and re.fullmatch(str(pattern), str(status)):
            return response
    if "default" in responses:
        return responses["default"]
    raise NoIntegrationResponse(f"no integration response matches status {status}")


def method_response(
    integration: Mapping[str, Any],
    result: IntegrationResult,
    facts: RequestFacts,
    request_headers: Mapping[str, str],
) -> Response:
    """The client's answer: the selected integration response's template, status and header mappings."""
    selected = select_integration_response(integration, result.status)
    context = facts.template_context()
    chosen = choose_template(selected.get("responseTemplates") or {}, request_headers.get("accept"))
    if chosen is None:
        media, body = "application/json", result.body
    else:
        media = chosen[0]
        body = render_mapping_template(chosen[1], Input(body=result.body), context)
    override = context.get("responseOverride") or {}
    status = int(override.get("status") or selected.get("statusCode", 200))
    sources = {
        "integration.response.header": result.headers,
        "integration.response.body": result.body,
        "method.request.header": request_headers,
        "context": context,
    }
    headers = facts.response_headers()
    for target, expression in (selected.get("responseParameters") or {}).items():
        value = mapped_value(str(expression), sources)
        if value is not None:
            headers[str(target).removeprefix("method.response.header.")] = value
    headers.update({str(name): str(value) for name, value in (override.get("header") or {}).items()})
    return Response(body, status_code=status, media_type=media, headers=headers)


def mock_result(rendered_request: str | None) -> IntegrationResult:
    """A mock integration answers the status code its request template names.

    Without a request template it takes the default integration response (200). A template that
    names no integer statusCode is a configuration error, as API Gateway reports it.
    """
    if rendered_request is None:
        return IntegrationResult(status=200, body="")
    try:
        document = json.loads(rendered_request)
    except json.JSONDecodeError:
        document = None
    status = document.get("statusCode") if isinstance(document, dict) else None
    if isinstance(status, bool) or not isinstance(status, int):
        raise MockWithoutStatusCode(
            f"the request template gives {rendered_request!r}, not JSON with an integer statusCode"
        )
    return IntegrationResult(status=status, body="")
