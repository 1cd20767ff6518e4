"""The local API gateway against the emulator: Cognito tokens, Kinesis writes and Lambda proxy calls."""

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
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
from support.tokens import UNACCEPTABLE_TOKEN_CASES, unacceptable_tokens

pytestmark = pytest.mark.integration

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
REGION = "us-east-1"
INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-gateway-test-api/invocations"
)
CORS_ORIGIN = "https://maps.example.org"
PASSWORD = "Correct-horse-1!"


@dataclass(frozen=True)
class Pool:
    pool_id: str
    arn: str
    client_id: str
    id_token: str
    access_token: str


def _pool(name: str) -> Pool:
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=name)["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="devices", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="bus-17", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="bus-17", Password=PASSWORD, Permanent=True
    )
    tokens = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bus-17", "PASSWORD": PASSWORD},
        ClientId=client["ClientId"],
    )["AuthenticationResult"]
    return Pool(pool["Id"], pool["Arn"], client["ClientId"], tokens["IdToken"], tokens["AccessToken"])


@pytest.fixture(scope="module")
def pool(moto_endpoint: str) -> Pool:
    return _pool(f"gateway-devices-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def other_pool(moto_endpoint: str) -> Pool:
    return _pool(f"gateway-others-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def stream_name(moto_endpoint: str) -> str:
    name = f"gateway-positions-{uuid.uuid4().hex[:6]}"
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return name


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


def _values(stream: str, user_pool_arn: str) -> dict[str, str]:
    return {
        "aws_region": REGION,
        "stream_name": stream,
        "api_gateway_kinesis_role_arn": "arn:aws:iam::123456789012:role/busgps-gateway-test-kinesis",
        "api_function_invoke_arn": INVOKE_ARN,
        "user_pool_arn": user_pool_arn,
        "cors_allow_origin": CORS_ORIGIN,
    }


def _gateway(endpoint: str, stream: str, pool: Pool, handler: Any) -> TestClient:
    config = GatewayConfig(OPENAPI_PATH, _values(stream, pool.arn), {INVOKE_ARN: handler}, endpoint)
    return TestClient(create_gateway_app(config))


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def gateway(
    moto_endpoint: str, stream_name: str, pool: Pool, handler: RecordingHandler
) -> Iterator[TestClient]:
    with _gateway(moto_endpoint, stream_name, pool, handler) as client:
        yield client


def _records(stream: str) -> list[dict[str, Any]]:
    """Every record on the stream, shard by shard, oldest first."""
    kinesis = boto3.client("kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found = kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"]
        records.extend({**record, "ShardId": shard["ShardId"]} for record in found)
    return records


def _legacy_body(stream: str, data: dict[str, Any], partition_key: str) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(data).encode("utf-8")).decode("utf-8")
    return {"StreamName": stream, "Data": encoded, "PartitionKey": partition_key}


@pytest.fixture(scope="module")
def bad_tokens(pool: Pool, other_pool: Pool) -> dict[str, str | None]:
    return unacceptable_tokens(pool.id_token, pool.access_token, other_pool.id_token)


@pytest.mark.parametrize("case", UNACCEPTABLE_TOKEN_CASES)
@pytest.mark.parametrize("route", ["/post-gps", "/v1/positions"])
def test_unacceptable_tokens_get_401_and_write_nothing(
    gateway: TestClient, bad_tokens: dict[str, str | None], stream_name: str, case: str, route: str
) -> None:
    # Given a well-formed body and a token that is not a valid id token of the API's pool
    token = bad_tokens[case]
    headers = {} if token is None else {"Authorization": token}
    if route == "/post-gps":
        body: dict[str, Any] = _legacy_body(
            stream_name, {"latitude": 1, "longitude": 2}, f"unauthorized-{case[:5]}"
        )
    else:
        body = {"positions": [{"busId": "unauthorized", "latitude": 1, "longitude": 2}]}
    before = len(_records(stream_name))
    # When it is posted
    response = gateway.post(route, json=body, headers=headers)
    # Then the answer is a JSON 401 with API Gateway's message and CORS headers, and the stream is unchanged
    assert response.status_code == 401, response.text
    expected = "The incoming token has expired" if case == "expired" else "Unauthorized"
    assert response.json()["error"] == expected
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert len(_records(stream_name)) == before


def test_a_valid_id_token_puts_the_record_on_the_stream(
    gateway: TestClient, pool: Pool, stream_name: str
) -> None:
    # Given the legacy clients' body and their header: the raw id token
    data = {"longitude": "12.34567", "latitude": "76.54321"}
    body = _legacy_body(stream_name, data, "17")
    # When it is posted
    response = gateway.post("/post-gps", json=body, headers={"Authorization": pool.id_token})
    # Then the answer is 200 Success with the shard and sequence number the record got
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Success"
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    # And that record is on the stream, with the device's data and partition key
    (record,) = [
        record for record in _records(stream_name) if record["SequenceNumber"] == answer["sequenceNumber"]
    ]
    assert record["ShardId"] == answer["shardId"]
    assert record["PartitionKey"] == "17"
    assert json.loads(record["Data"]) == data


def test_a_body_naming_another_stream_is_refused(gateway: TestClient, pool: Pool, stream_name: str) -> None:
    # Given a legacy body that names a stream other than the deployed one
    body = _legacy_body("someone-elses-stream", {"latitude": 1, "longitude": 2}, "other-stream")
    before = len(_records(stream_name))
    # When it is posted with a valid token
    response = gateway.post("/post-gps", json=body, headers={"Authorization": pool.id_token})
    # Then it is a JSON 400 that names the field, and nothing is written anywhere
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request body"
    assert "StreamName" in response.json()["details"]
    assert len(_records(stream_name)) == before


def test_a_batch_becomes_records_keyed_by_bus_in_order(
    gateway: TestClient, pool: Pool, stream_name: str
) -> None:
    # Given a batch of positions of two buses, interleaved
    bus_a, bus_b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    positions = [
        {"busId": bus, "latitude": 50 + step / 100, "longitude": 8.5, "timestamp": 1_764_576_000 + step}
        for step in range(5)
        for bus in (bus_a, bus_b)
    ]
    # When it is posted
    response = gateway.post(
        "/v1/positions", json={"positions": positions}, headers={"Authorization": pool.id_token}
    )
    # Then every position was accepted
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Success", "acceptedCount": 10, "failedCount": 0, "failed": []}
    # And each bus's records carry its id as partition key, in the order they were sent
    for bus in (bus_a, bus_b):
        records = [record for record in _records(stream_name) if record["PartitionKey"] == bus]
        assert [json.loads(record["Data"]) for record in records] == [
            p for p in positions if p["busId"] == bus
        ]
        assert len({record["ShardId"] for record in records}) == 1


def test_a_batch_with_a_bad_entry_is_refused_naming_it(
    gateway: TestClient, pool: Pool, stream_name: str
) -> None:
    # Given a batch whose third entry has an impossible latitude
    positions = [{"busId": "bad-batch", "latitude": lat, "longitude": 1} for lat in (1, 2, 91, 3)]
    before = len(_records(stream_name))
    # When it is posted
    response = gateway.post(
        "/v1/positions", json={"positions": positions}, headers={"Authorization": pool.id_token}
    )
    # Then the answer is a JSON 400 naming that entry, and nothing is written
    assert response.status_code == 400
    assert "positions[2].latitude" in response.json()["details"]
    assert len(_records(stream_name)) == before


def test_a_body_over_10_mb_is_413(gateway: TestClient, pool: Pool) -> None:
    # Given a body one byte over API Gateway's 10 MB payload limit
    body = b"x" * (10 * 1024 * 1024 + 1)
    # When it is posted
    response = gateway.post(
        "/v1/positions",
        content=body,
        headers={"Authorization": pool.id_token, "Content-Type": "application/json"},
    )
    # Then the answer is API Gateway's own plain 413: no gateway response of the document applies to it
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert "access-control-allow-origin" not in response.headers


def test_a_body_that_is_not_json_is_415(gateway: TestClient, pool: Pool) -> None:
    # Given a body sent as text/plain
    # When it is posted
    response = gateway.post(
        "/post-gps",
        content="17,1.5,2.5",
        headers={"Authorization": pool.id_token, "Content-Type": "text/plain"},
    )
    # Then the integration refuses it (no template for it, no passthrough), as JSON
    assert response.status_code == 415
    assert "application/json" in response.json()["hint"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nowhere"), ("GET", "/post-gps"), ("DELETE", "/v1/buses")]
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


def test_over_the_stage_throttle_is_a_json_429(moto_endpoint: str, stream_name: str, pool: Pool) -> None:
    # Given a gateway throttled to bursts of 2 and a rate too slow to refill during the test
    values = _values(stream_name, pool.arn)
    config = GatewayConfig(
        OPENAPI_PATH, values, {}, moto_endpoint, throttling_rate_limit=0.001, throttling_burst_limit=2
    )
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


def test_get_gps_without_bus_id_reaches_the_function(gateway: TestClient, handler: RecordingHandler) -> None:
    # Given GET /get-gps, whose missing busId the function answers in the old system's words
    # When it is called without it
    gateway.get("/get-gps")
    # Then the gateway passes it on to the function, with no query string
    (event,) = handler.events
    assert event["resource"] == "/get-gps"
    assert event["queryStringParameters"] is None


def test_a_missing_stream_is_an_honest_500(moto_endpoint: str, pool: Pool, handler: RecordingHandler) -> None:
    # Given a gateway whose deployed stream does not exist
    with _gateway(moto_endpoint, "no-such-stream", pool, handler) as gateway:
        body = _legacy_body("no-such-stream", {"latitude": 1, "longitude": 2}, "17")
        # When a valid record is posted
        response = gateway.post("/post-gps", json=body, headers={"Authorization": pool.id_token})
    # Then Kinesis's error is mapped to a 500 that blames the deployment, never to a 200
    assert response.status_code == 500, response.text
    assert response.json()["kinesisError"].endswith("ResourceNotFoundException")
    assert "deployment" in response.json()["error"]


def _assert_documented(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    """`instance` matches the document's schema (OpenAPI 3.0 dialect: `nullable` included)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    openapi_schema_validator.validate(instance, schema, cls=openapi_schema_validator.OAS30Validator)


def test_the_query_function_answers_through_the_gateway_as_documented(
    moto_endpoint: str, stream_name: str, pool: Pool, resources: Resources
) -> None:
    # Given the gateway calling the real query function, on empty tables, for a browser
    with _gateway(moto_endpoint, stream_name, pool, api.lambda_handler) as gateway:
        # When buses are listed, an unknown bus is asked for, and the legacy route is called
        listed = gateway.get("/v1/buses")
        unknown = gateway.get("/v1/buses/nobody")
        legacy = gateway.get(
            "/get-gps", params={"busId": "nobody"}, headers={"Origin": "https://rider.example"}
        )
    # Then each answers with the status and shape the document gives it
    rendered = yaml.safe_load(
        render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), _values(stream_name, pool.arn))
    )
    assert listed.status_code == 200
    assert listed.json() == {"buses": [], "nextCursor": None}
    _assert_documented(rendered, "BusList", listed.json())
    assert unknown.status_code == 404
    _assert_documented(rendered, "Error", unknown.json())
    assert legacy.status_code == 200
    _assert_documented(rendered, "LegacyBusPosition", legacy.json())
    assert legacy.headers["access-control-allow-origin"] == "*"


def test_a_failing_store_is_the_documented_json_503(
    moto_endpoint: str, stream_name: str, pool: Pool, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the real query function whose tables do not exist (the store fails on every read)
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", f"missing-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("HISTORY_TABLE_NAME", f"missing-{uuid.uuid4().hex[:6]}")
    # (the `resources` fixture clears these caches again when the test ends)
    busgps_settings.api_settings.cache_clear()
    api.resolver.cache_clear()
    # When each GET route is called through the gateway
    with _gateway(moto_endpoint, stream_name, pool, api.lambda_handler) as gateway:
        answers = {
            path: gateway.get(path)
            for path in ("/get-gps?busId=17", "/v1/buses", "/v1/buses/17", "/v1/buses/17/positions")
        }
    # Then each is a JSON 503 with Retry-After, a status and headers its operation documents
    rendered = yaml.safe_load(
        render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), _values(stream_name, pool.arn))
    )
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


# The document as generated requests see it: the stream name is the only value they depend on.
FUZZ_STREAM = f"gateway-fuzz-{uuid.uuid4().hex[:6]}"
FUZZ_SCHEMA = schemathesis.openapi.from_dict(
    yaml.safe_load(
        render_openapi_template(
            OPENAPI_PATH.read_text(encoding="utf-8"),
            _values(FUZZ_STREAM, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_notused"),
        )
    )
)


@pytest.fixture(scope="module")
def fuzz_stream(moto_endpoint: str) -> str:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=FUZZ_STREAM, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=FUZZ_STREAM, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50}
    )
    return FUZZ_STREAM


@pytest.fixture
def fuzzed_gateway(
    moto_endpoint: str, fuzz_stream: str, pool: Pool, resources: Resources
) -> Iterator[TestClient]:
    """The gateway in front of the real query function, writing to a stream of its own."""
    with _gateway(moto_endpoint, fuzz_stream, pool, api.lambda_handler) as client:
        yield client


@FUZZ_SCHEMA.parametrize()
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_answer_is_one_the_document_describes(
    case: Any, fuzzed_gateway: TestClient, pool: Pool
) -> None:
    # Given a request generated from the document (that fits it, or that breaks it), with a valid id
    # token; its window, if it has one, keeps the rules between parameters the document states in words
    keep_window_rules(case)
    # When the local gateway answers it
    # Then a request that fits is accepted, one that breaks it is refused, and the status, content
    # type, headers and body are those the document gives that operation
    # Every request of the run, the checks' own probes included, goes to this app.
    case.operation.schema.app = fuzzed_gateway.app
    case.call_and_validate(
        app=fuzzed_gateway.app,
        base_url="http://testserver",
        headers={"Authorization": pool.id_token},
        # API Gateway answers an undeclared method as an unknown route (the document's 404), not 405.
        excluded_checks=[unsupported_method],
    )
