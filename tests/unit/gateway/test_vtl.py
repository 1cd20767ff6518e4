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

from .conftest import STREAM_NAME, operation, request_facts


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
    # Given the $context of an authorized request
    context = request_facts().template_context()
    # When a template reads it and sets a status override
    rendered = _render(
        "#set($context.responseOverride.status = 429)"
        "$context.requestId $context.identity.sourceIp $context.authorizer.claims.sub $context.stage",
        context=context,
    )
    # Then the values are the request's, and the override is where API Gateway reads it
    assert rendered == f"{context['requestId']} 10.0.0.7 user-1 local"
    assert context["responseOverride"]["status"] == 429


def test_a_template_that_does_not_parse_is_a_mapping_template_error() -> None:
    # Given a template with an unclosed directive
    # When it is rendered
    # Then the error says the mapping template is broken
    with pytest.raises(MappingTemplateError):
        _render("#if($input.body)")


def test_batch_request_template_makes_one_record_per_position(api_document: ApiDocument) -> None:
    # Given the document's PutRecords request template and a batch of two positions
    integration = operation(api_document, "POST", "/v1/positions").integration
    positions = [
        {"busId": "b1", "latitude": 1.5, "longitude": 2.5},
        {"busId": "b:2", "latitude": -3, "longitude": 4, "speed": 7.25, "timestamp": "2026-12-01T08:00:00Z"},
    ]
    body = json.dumps({"positions": positions})
    # When it is rendered
    rendered = render_mapping_template(
        integration["requestTemplates"]["application/json"],
        Input(body=body),
        request_facts().template_context(),
    )
    # Then it is a PutRecords request to the deployed stream, keyed by bus id, each record a position
    request = json.loads(rendered)
    assert request["StreamName"] == STREAM_NAME
    assert [record["PartitionKey"] for record in request["Records"]] == ["b1", "b:2"]
    assert [json.loads(base64.b64decode(record["Data"])) for record in request["Records"]] == positions


def test_legacy_request_template_writes_to_the_deployed_stream(api_document: ApiDocument) -> None:
    # Given the document's PutRecord request template and a legacy body
    integration = operation(api_document, "POST", "/post-gps").integration
    body = json.dumps({"StreamName": STREAM_NAME, "Data": "eyJhIjogMX0=", "PartitionKey": "17"})
    # When it is rendered
    rendered = render_mapping_template(
        integration["requestTemplates"]["application/json"],
        Input(body=body),
        request_facts().template_context(),
    )
    # Then it is a PutRecord request with the body's data and key, to the deployed stream
    assert json.loads(rendered) == {"StreamName": STREAM_NAME, "Data": "eyJhIjogMX0=", "PartitionKey": "17"}


def _batch_answer(api_document: ApiDocument, kinesis_answer: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    integration = operation(api_document, "POST", "/v1/positions").integration
    context = request_facts().template_context()
    rendered = render_mapping_template(
        integration["responses"]["default"]["responseTemplates"]["application/json"],
        Input(body=json.dumps(kinesis_answer)),
        context,
    )
    return json.loads(rendered), context["responseOverride"].get("status")


def test_batch_answer_lists_only_the_failed_entries(api_document: ApiDocument) -> None:
    # Given a PutRecords answer in which the second of three records failed
    kinesis_answer = {
        "FailedRecordCount": 1,
        "Records": [
            {"SequenceNumber": "1", "ShardId": "shardId-000000000000"},
            {
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": 'Rate exceeded for shard "shardId-000000000001"',
            },
            {"SequenceNumber": "2", "ShardId": "shardId-000000000000"},
        ],
    }
    # When the document's integration response renders it
    answer, status_override = _batch_answer(api_document, kinesis_answer)
    # Then the answer names the failed entry by index, with Kinesis's code and message, and stays 200
    assert answer["acceptedCount"] == 2
    assert answer["failedCount"] == 1
    assert answer["failed"] == [
        {
            "index": 1,
            "errorCode": "ProvisionedThroughputExceededException",
            "errorMessage": 'Rate exceeded for shard "shardId-000000000001"',
        }
    ]
    assert status_override is None


def test_batch_answer_is_503_when_nothing_was_accepted(api_document: ApiDocument) -> None:
    # Given a PutRecords answer in which every record failed
    failure = {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service failure."}
    # When the document's integration response renders it
    answer, status_override = _batch_answer(
        api_document, {"FailedRecordCount": 2, "Records": [failure, failure]}
    )
    # Then the status is overridden to 503 and both entries are listed
    assert status_override == 503
    assert [entry["index"] for entry in answer["failed"]] == [0, 1]
    assert answer["message"].startswith("2 of 2 positions were not accepted")


@pytest.mark.parametrize(
    ("error_type", "status"),
    [
        ("ProvisionedThroughputExceededException", 429),
        ("ResourceNotFoundException", 500),
        ("KMSThrottlingException", 429),
        ("ValidationException", None),
    ],
)
def test_kinesis_errors_map_to_honest_statuses(
    api_document: ApiDocument, error_type: str, status: int | None
) -> None:
    # Given a Kinesis error answer (Kinesis answers 400 for throttling and for its own faults)
    integration = operation(api_document, "POST", "/post-gps").integration
    context = request_facts().template_context()
    kinesis_answer = json.dumps({"__type": error_type, "message": "it's refused"})
    # When the document's 4xx integration response renders it
    rendered = render_mapping_template(
        integration["responses"]["4\\d{2}"]["responseTemplates"]["application/json"],
        Input(body=kinesis_answer),
        context,
    )
    # Then throttling becomes 429, a fault of the deployment 500, and the rest stays the 400 of the mapping
    assert context["responseOverride"].get("status") == status
    answer = json.loads(rendered)
    assert answer["kinesisError"] == error_type
    assert answer["requestId"] == context["requestId"]


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
