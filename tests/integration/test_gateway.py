"""The local REST API gateway (the reads) against the emulator: Lambda proxy calls, mock integrations,
API Gateway's own answers."""

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openapi_schema_validator
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import unsupported_method
from starlette.testclient import TestClient

from busgps import settings as busgps_settings
from busgps.handlers import api
from busgps.local.gateway import GatewayConfig, create_gateway_app, render_openapi_template
from busgps.soak.fuzz import keep_window_rules
from support.resources import Resources

pytestmark = pytest.mark.integration

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-gateway-test-api/invocations"
)
CORS_ORIGIN = "https://maps.example.org"
STREAM = "busgps-gateway-test-positions"


class RecordingHandler:
    """A stand-in for the query function: records each event and answers what it is told to."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.answer: Any = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


VALUES = {"stream_name": STREAM, "api_function_invoke_arn": INVOKE_ARN, "cors_allow_origin": CORS_ORIGIN}


def _gateway(handler: Any, openapi_path: Path = OPENAPI_PATH) -> TestClient:
    return TestClient(create_gateway_app(GatewayConfig(openapi_path, VALUES, {INVOKE_ARN: handler})))


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def gateway(handler: RecordingHandler) -> Iterator[TestClient]:
    with _gateway(handler) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("POST", "/post-gps"), ("POST", "/v1/positions"), ("DELETE", "/v1/buses")],
)
def test_an_unknown_route_is_a_json_404(gateway: TestClient, method: str, path: str) -> None:
    # Given a path or a method the document does not define
    # When it is requested
    response = gateway.request(method, path)
    # Then the answer is the document's JSON for it, pointing to the routes
    assert response.status_code == 404
    assert response.json()["error"] == "no such route: check the method and the path"
    assert "API reference" in response.json()["hint"]


@pytest.mark.parametrize("path", ["/health", "/local/health"])
def test_health_is_the_mock_integration(gateway: TestClient, handler: RecordingHandler, path: str) -> None:
    # Given the gateway, reached with or without the stage in the path
    # When GET /health is asked
    response = gateway.get(path)
    # Then API Gateway answers it itself: 200 JSON, no function called
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["content-type"] == "application/json"
    assert handler.events == []


def test_over_the_stage_throttle_is_a_json_429() -> None:
    # Given a gateway throttled to bursts of 2 and a rate too slow to refill during the test
    config = GatewayConfig(OPENAPI_PATH, VALUES, {}, throttling_rate_limit=0.001, throttling_burst_limit=2)
    with TestClient(create_gateway_app(config)) as gateway:
        # When three requests come at once
        statuses = [gateway.get("/health").status_code for _ in range(2)]
        throttled = gateway.get("/health")
    # Then the first two are answered and the third is the document's JSON 429 with CORS headers
    assert statuses == [200, 200]
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "Too Many Requests"
    assert throttled.headers["access-control-allow-origin"] == CORS_ORIGIN


def test_preflight_answers_the_cors_headers(gateway: TestClient) -> None:
    # Given a browser's preflight for a GET route
    # When OPTIONS is asked
    response = gateway.options("/v1/buses/bus-17", headers={"Origin": CORS_ORIGIN})
    # Then the CORS headers are the document's
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,OPTIONS"
    assert "Authorization" in response.headers["access-control-allow-headers"]


def test_get_routes_call_the_function_with_a_rest_proxy_event(
    gateway: TestClient, handler: RecordingHandler
) -> None:
    # Given the query function answering with its own status and headers
    handler.answer = {
        "statusCode": 203,
        "multiValueHeaders": {"Content-Type": ["application/json"], "X-Answer": ["a", "b"]},
        "body": '{"ok": true}',
        "isBase64Encoded": False,
    }
    # When a GET route is called with path and repeated query parameters, through the stage path
    response = gateway.get(
        "/local/v1/buses/bus-17/positions?limit=5&limit=7&from=0", headers={"X-Trace": "t-1"}
    )
    # Then the function's answer is passed through
    assert response.status_code == 203
    assert response.json() == {"ok": True}
    assert response.headers.get_list("x-answer") == ["a", "b"]
    # And the function got the REST proxy event of that request
    (event,) = handler.events
    assert event["resource"] == "/v1/buses/{busId}/positions"
    assert event["path"] == "/v1/buses/bus-17/positions"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"busId": "bus-17"}
    assert event["queryStringParameters"] == {"limit": "7", "from": "0"}
    assert event["multiValueQueryStringParameters"]["limit"] == ["5", "7"]
    assert event["headers"]["x-trace"] == "t-1"
    assert event["body"] is None
    context = event["requestContext"]
    assert context["requestId"] == response.headers["x-amzn-requestid"]
    assert context["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert context["path"] == "/local/v1/buses/bus-17/positions"
    assert context["stage"] == "local"
    assert context["accountId"] == "123456789012"
    # And a Lambda context for the function of the integration's invoke ARN
    assert handler.contexts[0].function_name == "busgps-gateway-test-api"
    assert handler.contexts[0].aws_request_id == context["requestId"]


@pytest.mark.parametrize("answer", [RuntimeError("boom"), {"statusCode": "two hundred"}, None])
def test_a_failing_function_is_a_json_502(
    gateway: TestClient, handler: RecordingHandler, answer: Any
) -> None:
    # Given a function that raises, or answers something that is not a proxy response
    handler.answer = answer
    # When a GET route is called
    response = gateway.get("/v1/buses")
    # Then the answer is API Gateway's 502, as the document's JSON
    assert response.status_code == 502
    assert response.json()["error"] == "Internal server error"
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN


@pytest.mark.parametrize("accept", [None, "*/*", "application/json, text/html", "application/x-protobuf"])
def test_a_base64_answer_is_sent_as_binary_whatever_the_reader_accepts(
    gateway: TestClient, handler: RecordingHandler, accept: str | None
) -> None:
    # Given the query function answering with a base64 protobuf body, as the feed does
    handler.answer = {
        "statusCode": 200,
        "headers": {"Content-Type": "application/x-protobuf"},
        "body": base64.b64encode(b"\x0a\x03\x32\x2e\x30").decode(),
        "isBase64Encoded": True,
    }
    # When a reader asks for it, with whatever Accept header it sends, or none
    response = gateway.get(
        "/v1/gtfs-rt/vehicle-positions", headers={} if accept is None else {"Accept": accept}
    )
    # Then it gets the bytes, not their base64: every media type of the API is binary
    assert response.status_code == 200
    assert response.content == b"\x0a\x03\x32\x2e\x30"


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream", "image/png"])
def test_mock_integrations_answer_requests_of_any_media_type(gateway: TestClient, content_type: str) -> None:
    # Given an API whose every media type is binary, and requests whose Content-Type is any
    # When the mock integrations answer them
    health = gateway.get("/health", headers={"Content-Type": content_type})
    preflight = gateway.options("/v1/buses", headers={"Content-Type": content_type})
    # Then they answer as usual: each mock converts the request to text before applying its template
    assert (health.status_code, preflight.status_code) == (200, 200)
    assert health.json()["status"] == "ok"


def test_a_mock_integration_without_text_conversion_fails_as_on_aws(tmp_path: Path) -> None:
    # Given the document with the health check's conversion to text left out
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    health = text.index("  /health:")
    document = tmp_path / "openapi.yaml"
    document.write_text(
        text[:health] + text[health:].replace("        contentHandling: CONVERT_TO_TEXT\n", "", 1),
        encoding="utf-8",
    )
    with _gateway(RecordingHandler(), document) as gateway:
        # When GET /health is asked
        response = gateway.get("/health")
    # Then API Gateway cannot apply the template to what it takes for binary: its 500
    assert response.status_code == 500
    assert response.json()["error"] == "Internal server error"


def test_get_gps_without_bus_id_reaches_the_function(gateway: TestClient, handler: RecordingHandler) -> None:
    # Given GET /get-gps, whose missing busId the function answers in the old system's words
    # When it is called without it
    gateway.get("/get-gps")
    # Then the gateway passes it on to the function, with no query string
    (event,) = handler.events
    assert event["resource"] == "/get-gps"
    assert event["queryStringParameters"] is None


def _assert_documented(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    """`instance` matches the document's schema (OpenAPI 3.0 dialect: `nullable` included)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    openapi_schema_validator.validate(instance, schema, cls=openapi_schema_validator.OAS30Validator)


def test_the_query_function_answers_through_the_gateway_as_documented(resources: Resources) -> None:
    # Given the gateway calling the real query function, on empty tables, for a browser
    with _gateway(api.lambda_handler) as gateway:
        # When buses are listed, an unknown bus is asked for, and the legacy route is called
        listed = gateway.get("/v1/buses")
        unknown = gateway.get("/v1/buses/nobody")
        legacy = gateway.get(
            "/get-gps", params={"busId": "nobody"}, headers={"Origin": "https://rider.example"}
        )
    # Then each answers with the status and shape the document gives it
    rendered = yaml.safe_load(render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), VALUES))
    assert listed.status_code == 200
    assert listed.json() == {"buses": [], "nextCursor": None}
    _assert_documented(rendered, "BusList", listed.json())
    assert unknown.status_code == 404
    _assert_documented(rendered, "Error", unknown.json())
    assert legacy.status_code == 200
    _assert_documented(rendered, "LegacyBusPosition", legacy.json())
    assert legacy.headers["access-control-allow-origin"] == "*"


def test_a_failing_store_is_the_documented_json_503(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the real query function whose tables do not exist (the store fails on every read)
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", f"missing-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("HISTORY_TABLE_NAME", f"missing-{uuid.uuid4().hex[:6]}")
    # (the `resources` fixture clears these caches again when the test ends)
    busgps_settings.api_settings.cache_clear()
    api.resolver.cache_clear()
    # When each GET route is called through the gateway
    with _gateway(api.lambda_handler) as gateway:
        answers = {
            path: gateway.get(path)
            for path in ("/get-gps?busId=17", "/v1/buses", "/v1/buses/17", "/v1/buses/17/positions")
        }
    # Then each is a JSON 503 with Retry-After, a status and headers its operation documents
    rendered = yaml.safe_load(render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), VALUES))
    for path, response in answers.items():
        assert response.status_code == 503, (path, response.text)
        assert response.headers["retry-after"].isdigit()
        _assert_documented(rendered, "Error", response.json())
        resource = {
            "/get-gps?busId=17": "/get-gps",
            "/v1/buses": "/v1/buses",
            "/v1/buses/17": "/v1/buses/{busId}",
            "/v1/buses/17/positions": "/v1/buses/{busId}/positions",
        }[path]
        assert "Retry-After" in rendered["paths"][resource]["get"]["responses"]["503"]["headers"]


FUZZ_SCHEMA = schemathesis.openapi.from_dict(
    yaml.safe_load(render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), VALUES))
)


@pytest.fixture
def fuzzed_gateway(resources: Resources) -> Iterator[TestClient]:
    """The gateway in front of the real query function."""
    with _gateway(api.lambda_handler) as client:
        yield client


@FUZZ_SCHEMA.parametrize()
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_answer_is_one_the_document_describes(case: Any, fuzzed_gateway: TestClient) -> None:
    # Given a request generated from the document (that fits it, or that breaks it); its window, if it
    # has one, keeps the rules between parameters the document states in words
    keep_window_rules(case)
    # When the local gateway answers it
    # Then a request that fits is accepted, one that breaks it is refused, and the status, content
    # type, headers and body are those the document gives that operation
    # Every request of the run, the checks' own probes included, goes to this app.
    case.operation.schema.app = fuzzed_gateway.app
    case.call_and_validate(
        app=fuzzed_gateway.app,
        base_url="http://testserver",
        # API Gateway answers an undeclared method as an unknown route (the document's 404), not 405.
        excluded_checks=[unsupported_method],
    )
