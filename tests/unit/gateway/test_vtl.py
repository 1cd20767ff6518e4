"""Mapping templates: API Gateway's $util helpers, $input and $context, and the document's own templates."""

import base64
import json
from typing import Any

import pytest

from busgps.local.gateway.document import ApiDocument
from busgps.local.gateway.vtl import (
    Input,
    MappingTemplateError,
    Util,
    escape_javascript,
    render_mapping_template,
)

from .conftest import request_facts


def _render(template: str, body: str = "", context: dict[str, Any] | None = None) -> str:
    return render_mapping_template(template, Input(body=body), context if context is not None else {})


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("it's", "it\\'s"),
        ("a/b\\c", "a\\/b\\\\c"),
        ("line\nnext\ttab\r\b\f", "line\\nnext\\ttab\\r\\b\\f"),
        ("\x01", "\\u0001"),
        ("é€", "\\u00E9\\u20AC"),
        ("🚌", "\\uD83D\\uDE8C"),
    ],
)
def test_escape_javascript_follows_api_gateway(text: str, escaped: str) -> None:
    # Given a string with quotes, slashes, control or non-ASCII characters
    # When it is escaped as $util.escapeJavaScript does
    # Then each is escaped as Apache Commons' StringEscapeUtils escapes it (UTF-16 for astral characters)
    assert escape_javascript(text) == escaped


def test_util_helpers_round_trip() -> None:
    # Given $util
    util = Util()
    # When strings go through base64 and URL encoding and back
    encoded = util.base64Encode("bus 17 ✓")
    url_encoded = util.urlEncode("a b&c=d~*")
    # Then the encodings are the standard ones and decoding gives the original
    assert base64.b64decode(encoded).decode("utf-8") == "bus 17 ✓"
    assert util.base64Decode(encoded) == "bus 17 ✓"
    assert url_encoded == "a+b%26c%3Dd%7E*"  # java.net.URLEncoder's rules
    assert util.urlDecode(url_encoded) == "a b&c=d~*"
    assert util.parseJson('{"a": [1, 2]}') == {"a": [1, 2]}


def test_input_path_json_and_params() -> None:
    # Given a request with a JSON body, a path parameter, a query parameter and a header
    template_input = Input(
        body='{"positions": [{"busId": "b1", "latitude": 1.5}], "note": "x"}',
        path_parameters={"busId": "b1"},
        query_parameters={"limit": "5"},
        headers={"X-Device": "d1"},
    )
    template = (
        "$input.path('$.positions[0].busId')|$input.json('$.positions[0]')|$input.json('$.missing')|"
        "$input.params('busId')|$input.params('limit')|$input.params('x-device')|$input.params().querystring.limit|"
        "$input.path('$.positions').size()"
    )
    # When a template reads them
    rendered = render_mapping_template(template, template_input, {})
    # Then each comes from where API Gateway takes it
    assert rendered == 'b1|{"busId":"b1","latitude":1.5}|null|b1|5|d1|5|1'


def test_context_is_readable_and_response_override_settable() -> None:
    # Given the $context of a request
    context = request_facts().template_context()
    # When a template reads it and sets a status override
    rendered = _render(
        "#set($context.responseOverride.status = 429)"
        "$context.requestId $context.identity.sourceIp $context.httpMethod $context.stage",
        context=context,
    )
    # Then the values are the request's, and the override is where API Gateway reads it
    assert rendered == f"{context['requestId']} 10.0.0.7 GET local"
    assert context["responseOverride"]["status"] == 429


def test_a_template_that_does_not_parse_is_a_mapping_template_error() -> None:
    # Given a template with an unclosed directive
    # When it is rendered
    # Then the error says the mapping template is broken
    with pytest.raises(MappingTemplateError):
        _render("#if($input.body)")


def test_every_mock_request_template_names_an_integer_status_code(api_document: ApiDocument) -> None:
    # Given every mock integration of the document (health and the CORS preflights)
    mocks = [
        (method, route.resource_path, operation)
        for route in api_document.routes
        for method, operation in route.operations.items()
        if operation.integration["type"] == "mock"
    ]
    assert mocks
    for method, resource_path, mock in mocks:
        for template in mock.integration["requestTemplates"].values():
            # When its request template is rendered
            rendered = render_mapping_template(template, Input(body=""), request_facts().template_context())
            # Then it is the JSON API Gateway reads the mock's status from, {"statusCode": <integer>}
            assert isinstance(json.loads(rendered)["statusCode"], int), (method, resource_path, rendered)
