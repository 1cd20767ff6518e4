"""Gateway responses: the document's templates by plain substitution, its headers, API Gateway's defaults."""

import json

from busgps.local.gateway.document import ApiDocument
from busgps.local.gateway.responses import gateway_response, mapped_value, substitute

from .conftest import TEMPLATE_VALUES, request_facts


def test_substitution_is_plain_not_velocity() -> None:
    # Given a gateway response template with variables and a VTL directive
    template = '{"m": $context.error.messageString, "id": "$context.requestId", "x": "#if(true)y#end"}'
    context = {"error": {"messageString": '"Unauthorized"'}, "requestId": "r-1"}
    # When it is rendered
    # Then the variables are replaced and the directive is left as text
    assert substitute(template, context) == '{"m": "Unauthorized", "id": "r-1", "x": "#if(true)y#end"}'


def test_throttled_is_the_documents_json_with_cors(api_document: ApiDocument) -> None:
    # Given the document's gateway responses
    facts = request_facts()
    # When the gateway refuses a request over the stage's limits
    response = gateway_response(api_document.gateway_responses, "THROTTLED", facts, {})
    # Then the status, JSON body and CORS header are the document's
    body = json.loads(bytes(response.body))
    assert response.status_code == 429
    assert body["error"] == "Too Many Requests"
    assert body["requestId"] == facts.request_id
    assert "backoff" in body["hint"]
    assert response.headers["access-control-allow-origin"] == TEMPLATE_VALUES["cors_allow_origin"]
    assert response.headers["content-type"] == "application/json"


def test_a_type_the_document_does_not_name_falls_back_to_default_4xx(api_document: ApiDocument) -> None:
    # Given a response type without its own gateway response (an expired-token 403)
    # When the gateway answers with it
    response = gateway_response(
        api_document.gateway_responses, "EXPIRED_TOKEN", request_facts(), {}, message="Expired"
    )
    # Then API Gateway's status for it is kept, with DEFAULT_4XX's body and headers
    assert response.status_code == 403
    assert json.loads(bytes(response.body))["error"] == "Expired"
    assert response.headers["access-control-allow-origin"] == TEMPLATE_VALUES["cors_allow_origin"]


def test_a_5xx_falls_back_to_default_5xx(api_document: ApiDocument) -> None:
    # Given a failure of the function behind a proxy integration
    # When the gateway answers 502 for it
    response = gateway_response(
        api_document.gateway_responses, "DEFAULT_5XX", request_facts(), {}, status=502
    )
    # Then the answer is DEFAULT_5XX's JSON with API Gateway's message
    body = json.loads(bytes(response.body))
    assert response.status_code == 502
    assert body["error"] == "Internal server error"


def test_without_any_document_response_api_gateways_default_body_is_used() -> None:
    # Given a document with no gateway responses
    # When the gateway answers an unknown route
    response = gateway_response({}, "MISSING_AUTHENTICATION_TOKEN", request_facts(), {})
    # Then it is API Gateway's own answer
    assert response.status_code == 403
    assert json.loads(bytes(response.body)) == {"message": "Missing Authentication Token"}


def test_parameter_mappings_read_literals_headers_and_bodies() -> None:
    # Given the sources a response mapping may read
    sources = {
        "method.request.header": {"Origin": "https://a.example"},
        "integration.response.header": {"x-amzn-RequestId": "k-1"},
        "integration.response.body": '{"ShardId": "shardId-1", "n": 2}',
    }
    # When mappings are resolved
    # Then literals, headers (case-insensitively) and body paths give their values, and unknowns nothing
    assert mapped_value("'*'", sources) == "*"
    assert mapped_value("method.request.header.origin", sources) == "https://a.example"
    assert mapped_value("integration.response.header.x-amzn-RequestId", sources) == "k-1"
    assert mapped_value("integration.response.body.ShardId", sources) == "shardId-1"
    assert mapped_value("integration.response.body.n", sources) == "2"
    assert mapped_value("integration.response.header.missing", sources) is None
