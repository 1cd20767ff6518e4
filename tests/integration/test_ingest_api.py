"""The local HTTP API of the devices (api/ingest.yaml) with the ingest function behind it, against the
emulator: its JWT authorizer, the payload format 2.0 event, the function's answers, API Gateway's own."""

import base64
import json
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import unsupported_method
from starlette.testclient import TestClient

from busgps import settings as busgps_settings
from busgps.handlers import ingest
from busgps.local.emulator import MotoServer
from busgps.local.faults import FaultSpec
from busgps.local.gateway import HttpApiConfig, create_http_api_app, render_openapi_template
from busgps.soak.fuzz import keep_position_rules
from support.tokens import UNACCEPTABLE_TOKEN_CASES, DevicePool, device_pool, unacceptable_tokens

pytestmark = pytest.mark.integration

INGEST_PATH = Path(__file__).resolve().parents[2] / "api" / "ingest.yaml"
INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-ingest-test-ingest/invocations"
)
CORS_ORIGIN = "https://fleet.example.org"
CONCURRENT_DEVICES = 8
CONCURRENT_FIXES = 15


@pytest.fixture(scope="module")
def pool(moto_endpoint: str) -> DevicePool:
    return device_pool(f"ingest-devices-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def other_pool(moto_endpoint: str) -> DevicePool:
    return device_pool(f"ingest-others-{uuid.uuid4().hex[:6]}")


def create_stream(name: str) -> str:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return name


@pytest.fixture(scope="module")
def stream_name(moto_endpoint: str) -> str:
    return create_stream(f"ingest-positions-{uuid.uuid4().hex[:6]}")


def template_values(stream: str, pool: DevicePool) -> dict[str, str]:
    return {
        "stream_name": stream,
        "ingest_function_invoke_arn": INVOKE_ARN,
        "user_pool_issuer": pool.issuer,
        "app_client_id": pool.client_id,
        "cors_allow_origin": CORS_ORIGIN,
    }


@pytest.fixture
def ingest_function(stream_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The ingest function's handler, configured with the test's stream as Lambda would configure it."""
    monkeypatch.setenv("STREAM_NAME", stream_name)
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()
    yield ingest.lambda_handler
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()


def http_api(
    moto_endpoint: str,
    stream: str,
    pool: DevicePool,
    handler: Any,
    document: Path = INGEST_PATH,
    **config: Any,
) -> TestClient:
    api = HttpApiConfig(
        document, template_values(stream, pool), {INVOKE_ARN: handler}, moto_endpoint, **config
    )
    return TestClient(create_http_api_app(api))


@pytest.fixture
def api(moto_endpoint: str, stream_name: str, pool: DevicePool, ingest_function: Any) -> Iterator[TestClient]:
    with http_api(moto_endpoint, stream_name, pool, ingest_function) as client:
        yield client


def records(stream: str) -> list[dict[str, Any]]:
    """Every record on the stream, shard by shard, oldest first."""
    kinesis = boto3.client("kinesis")
    found: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"]
        found.extend({**record, "ShardId": shard["ShardId"]} for record in page)
    return found


def legacy_body(stream: str, data: dict[str, Any], partition_key: str) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(data).encode("utf-8")).decode("utf-8")
    return {"StreamName": stream, "Data": encoded, "PartitionKey": partition_key}


@pytest.fixture
def switch_threads_often() -> Iterator[None]:
    """Threads switch after a microsecond rather than 5 ms: what one thread shares with another shows."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(scope="module")
def bad_tokens(pool: DevicePool, other_pool: DevicePool) -> dict[str, str | None]:
    return unacceptable_tokens(pool.id_token, pool.access_token, other_pool.id_token)


@pytest.mark.parametrize("header", ["{token}", "Bearer {token}"])
def test_a_valid_id_token_puts_the_legacy_record_on_the_stream(
    api: TestClient, pool: DevicePool, stream_name: str, header: str
) -> None:
    # Given the legacy clients' body, and their id token as is or after "Bearer "
    data = {"longitude": "12.34567", "latitude": "76.54321"}
    bus = f"legacy-{uuid.uuid4().hex[:6]}"
    # When it is posted from a web page of the allowed origin
    response = api.post(
        "/post-gps",
        json=legacy_body(stream_name, data, bus),
        headers={"Authorization": header.format(token=pool.id_token), "Origin": CORS_ORIGIN},
    )
    # Then the answer is 200 Success with where the record went, API Gateway's request id and CORS
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["message"] == "Success"
    assert response.headers["apigw-requestid"]
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    # And that record is on the stream: the device's data, keyed by its bus
    (record,) = [record for record in records(stream_name) if record["PartitionKey"] == bus]
    assert (record["ShardId"], record["SequenceNumber"]) == (answer["shardId"], answer["sequenceNumber"])
    assert json.loads(record["Data"]) == data


def test_concurrent_requests_each_put_their_own_body(
    api: TestClient, pool: DevicePool, stream_name: str, switch_threads_often: None
) -> None:
    # Given devices posting at once, each its own bus, as the local HTTP API invokes the function
    # from several threads (Lambda runs one invocation at a time in an environment)
    run = uuid.uuid4().hex[:6]
    headers = {"Authorization": pool.id_token}

    def post(device: int) -> list[str]:
        answers = []
        for fix in range(CONCURRENT_FIXES):
            bus = f"concurrent-{run}-{device}-{fix}"
            body = legacy_body(stream_name, {"latitude": device, "longitude": fix}, bus)
            answers.append(api.post("/post-gps", json=body, headers=headers).json()["message"])
        return answers

    # When they post
    with ThreadPoolExecutor(CONCURRENT_DEVICES) as devices:
        answers = [answer for answers in devices.map(post, range(CONCURRENT_DEVICES)) for answer in answers]
    # Then every request succeeded and put its own record, its bus with its data, and no other's (a
    # record may be there twice: the SDK resends a put whose answer it lost, as Kinesis allows)
    assert answers == ["Success"] * CONCURRENT_DEVICES * CONCURRENT_FIXES
    put = {
        (
            record["PartitionKey"],
            json.loads(record["Data"])["latitude"],
            json.loads(record["Data"])["longitude"],
        )
        for record in records(stream_name)
        if record["PartitionKey"].startswith(f"concurrent-{run}-")
    }
    assert put == {
        (f"concurrent-{run}-{device}-{fix}", device, fix)
        for device in range(CONCURRENT_DEVICES)
        for fix in range(CONCURRENT_FIXES)
    }


@pytest.mark.parametrize("case", UNACCEPTABLE_TOKEN_CASES)
@pytest.mark.parametrize("route", ["/post-gps", "/v1/positions"])
def test_unacceptable_tokens_get_401_and_write_nothing(
    api: TestClient, bad_tokens: dict[str, str | None], stream_name: str, case: str, route: str
) -> None:
    # Given a well-formed body and a token that is not a valid id token of the API's pool and client
    token = bad_tokens[case]
    bus = f"unauthorized-{uuid.uuid4().hex[:6]}"
    body: Any = (
        legacy_body(stream_name, {"latitude": 1, "longitude": 2}, bus)
        if route == "/post-gps"
        else {"positions": [{"busId": bus, "latitude": 1, "longitude": 2}]}
    )
    # When it is posted
    response = api.post(route, json=body, headers={} if token is None else {"Authorization": token})
    # Then the answer is a 401 and nothing is written. The JWT authorizer refuses with API Gateway's
    # message and says why in www-authenticate; an access token of the pool's app client passes it (its
    # client_id is the audience) and the function refuses it, in JSON saying what to send
    assert response.status_code == 401, response.text
    if case == "access token":
        assert response.json()["error"] == "Unauthorized"
        assert "id token" in response.json()["hint"]
    else:
        assert response.json() == {"message": "Unauthorized"}
        assert response.headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    assert [record for record in records(stream_name) if record["PartitionKey"] == bus] == []


def test_the_authorizer_says_why_it_refused(api: TestClient, bad_tokens: dict[str, str | None]) -> None:
    # Given tokens refused for different reasons
    # When each is posted
    reasons = {
        case: api.post("/v1/positions", json={}, headers={"Authorization": bad_tokens[case] or ""}).headers[
            "www-authenticate"
        ]
        for case in ("expired", "audience not an app client", "another pool's token")
    }
    # Then www-authenticate names the reason, as API Gateway's does
    assert 'error_description="the token has expired"' in reasons["expired"]
    assert (
        'error_description="the token does not have a valid audience"'
        in reasons["audience not an app client"]
    )
    assert 'error_description="the token does not have a valid issuer"' in reasons["another pool's token"]


def test_a_batch_becomes_records_keyed_by_bus_in_order(
    api: TestClient, pool: DevicePool, stream_name: str
) -> None:
    # Given a batch of positions of two buses, interleaved
    bus_a, bus_b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    positions = [
        {"busId": bus, "latitude": 50 + step / 100, "longitude": 8.5, "timestamp": 1_764_576_000 + step}
        for step in range(5)
        for bus in (bus_a, bus_b)
    ]
    # When it is posted
    response = api.post(
        "/v1/positions", json={"positions": positions}, headers={"Authorization": pool.id_token}
    )
    # Then every position was accepted
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Success", "acceptedCount": 10, "failedCount": 0, "failed": []}
    # And each bus's records carry its id as partition key, in the order they were sent, on one shard
    for bus in (bus_a, bus_b):
        kept = [record for record in records(stream_name) if record["PartitionKey"] == bus]
        assert [json.loads(record["Data"]) for record in kept] == [p for p in positions if p["busId"] == bus]
        assert len({record["ShardId"] for record in kept}) == 1


@pytest.mark.parametrize(
    ("route", "body", "named"),
    [
        (
            "/v1/positions",
            {"positions": [{"busId": "bad", "latitude": lat, "longitude": 1} for lat in (1, 2, 91, 3)]},
            "body.positions[2].latitude",
        ),
        ("/v1/positions", {"positions": [{"busId": "bad", "latitude": 1, "longitude": 1, "x": 1}]}, "x"),
        ("/v1/positions", {"positions": []}, "body.positions"),
        ("/post-gps", "other-stream", "body.StreamName"),
        ("/post-gps", {"latitude": 1}, "body.Data.longitude"),
    ],
)
def test_a_body_the_consumer_would_refuse_is_a_400_naming_the_field(
    api: TestClient, pool: DevicePool, stream_name: str, route: str, body: Any, named: str
) -> None:
    # Given a body with one thing the consumer's rules refuse
    if route == "/post-gps":
        stream, data = (
            (body, {"latitude": 1, "longitude": 2}) if isinstance(body, str) else (stream_name, body)
        )
        body = legacy_body(stream, data, "bad")
    before = len(records(stream_name))
    # When it is posted
    response = api.post(route, json=body, headers={"Authorization": pool.id_token})
    # Then the answer is the function's JSON 400 naming that field, and nothing is written
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Invalid request body"
    assert named in response.json()["details"]
    assert response.json()["requestId"] == response.headers["apigw-requestid"]
    assert len(records(stream_name)) == before


def test_a_body_that_is_not_json_is_415(api: TestClient, pool: DevicePool) -> None:
    # Given a body sent as text/plain
    # When it is posted
    response = api.post(
        "/post-gps",
        content="17,1.5,2.5",
        headers={"Authorization": pool.id_token, "Content-Type": "text/plain"},
    )
    # Then the function refuses it in JSON, saying what to send
    assert response.status_code == 415
    assert "application/json" in response.json()["hint"]


def test_a_body_over_10_mb_is_api_gateways_413(api: TestClient, pool: DevicePool) -> None:
    # Given a body one byte over API Gateway's 10 MB payload limit
    body = b"x" * (10 * 1024 * 1024 + 1)
    # When it is posted
    response = api.post(
        "/v1/positions",
        content=body,
        headers={"Authorization": pool.id_token, "Content-Type": "application/json"},
    )
    # Then API Gateway answers it itself
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/post-gps"), ("POST", "/nowhere"), ("GET", "/v1/buses")]
)
def test_an_unknown_route_is_api_gateways_404(api: TestClient, method: str, path: str) -> None:
    # Given a method and path that no route of the document has (the reads are the REST API's)
    # When it is requested
    response = api.request(method, path)
    # Then the answer is an HTTP API's own 404
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_the_cors_preflight_is_answered_from_the_document(api: TestClient) -> None:
    # Given a browser's preflight for a POST route
    # When OPTIONS is asked
    response = api.options(
        "/v1/positions",
        headers={"Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    # Then API Gateway answers it with the document's CORS settings, without calling the function
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert response.headers["access-control-allow-methods"] == "POST,OPTIONS"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["access-control-max-age"] == "600"


def test_over_the_throttle_is_api_gateways_429(
    moto_endpoint: str, stream_name: str, pool: DevicePool, ingest_function: Any
) -> None:
    # Given the API throttled to bursts of 2 and a rate too slow to refill during the test
    with http_api(
        moto_endpoint,
        stream_name,
        pool,
        ingest_function,
        throttling_rate_limit=0.001,
        throttling_burst_limit=2,
    ) as client:
        # When three requests come at once
        statuses = [client.post("/nowhere").status_code for _ in range(2)]
        throttled = client.post("/v1/positions", json={}, headers={"Authorization": pool.id_token})
    # Then the first two are answered and the third is API Gateway's 429
    assert statuses == [404, 404]
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Too Many Requests"}


class RecordingHandler:
    """A stand-in for the ingest function: records each event and answers what it is told to."""

    def __init__(self, answer: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.answer = answer

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_function_gets_the_payload_format_2_event_with_the_tokens_claims(
    moto_endpoint: str, stream_name: str, pool: DevicePool
) -> None:
    # Given a function that records its event and answers without a statusCode
    handler = RecordingHandler({"ok": True})
    with http_api(moto_endpoint, stream_name, pool, handler) as client:
        # When a device posts with its id token after "Bearer ", a query string and a header twice
        response = client.post(
            "/v1/positions?trace=1",
            content=b'{"positions": []}',
            headers=[
                ("Authorization", f"Bearer {pool.id_token}"),
                ("Content-Type", "application/json"),
                ("X-Tag", "a"),
                ("X-Tag", "b"),
            ],
        )
    # Then the answer is the function's object as a JSON 200
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert response.headers["content-type"] == "application/json"
    # And the function got the HTTP API's event: route key, lower-case headers joined by commas, the
    # query, the body as text, and the authorizer's claims of the token as strings
    (event,) = handler.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/positions"
    assert event["rawPath"] == "/v1/positions"
    assert event["rawQueryString"] == "trace=1"
    assert event["queryStringParameters"] == {"trace": "1"}
    assert event["headers"]["x-tag"] == "a,b"
    assert event["headers"]["authorization"] == f"Bearer {pool.id_token}"
    assert (event["body"], event["isBase64Encoded"]) == ('{"positions": []}', False)
    context = event["requestContext"]
    claims = context["authorizer"]["jwt"]["claims"]
    assert (claims["token_use"], claims["aud"], claims["iss"]) == ("id", pool.client_id, pool.issuer)
    assert claims["exp"].isdigit()
    assert (context["routeKey"], context["stage"], context["http"]["method"]) == (
        "POST /v1/positions",
        "$default",
        "POST",
    )
    assert context["requestId"] == response.headers["apigw-requestid"]
    # And a Lambda context for the function of the integration's uri
    assert handler.contexts[0].function_name == "busgps-ingest-test-ingest"
    assert handler.contexts[0].aws_request_id == context["requestId"]


@pytest.mark.parametrize(
    "answer", [RuntimeError("boom"), {"statusCode": "two hundred"}, {"statusCode": 200, "body": 1}]
)
def test_a_failing_function_is_api_gateways_500(
    moto_endpoint: str, stream_name: str, pool: DevicePool, answer: Any
) -> None:
    # Given a function that raises, or answers what an HTTP API cannot send
    with http_api(moto_endpoint, stream_name, pool, RecordingHandler(answer)) as client:
        # When a device posts
        response = client.post("/v1/positions", json={}, headers={"Authorization": pool.id_token})
    # Then API Gateway answers its own 500
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_missing_stream_is_an_honest_500(
    moto_endpoint: str, pool: DevicePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the ingest function configured with a stream that does not exist
    monkeypatch.setenv("STREAM_NAME", "no-such-stream")
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()
    try:
        with http_api(moto_endpoint, "no-such-stream", pool, ingest.lambda_handler) as client:
            body = legacy_body("no-such-stream", {"latitude": 1, "longitude": 2}, "17")
            # When a valid record is posted
            response = client.post("/post-gps", json=body, headers={"Authorization": pool.id_token})
    finally:
        busgps_settings.ingest_settings.cache_clear()
        ingest.resolver.cache_clear()
    # Then Kinesis's error is a 500 that blames the deployment, never a 200
    assert response.status_code == 500, response.text
    assert response.json()["kinesisError"] == "ResourceNotFoundException"
    assert "deployment" in response.json()["error"]


def test_entries_the_stream_throttled_are_listed_for_resending_and_not_written(
    moto_endpoint: str, pool: DevicePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the ingest function writing to a stream of an emulator that throttles about half of the
    # records, as `busgps local up --faults kinesis-throttle=0.5` does
    with MotoServer(faults=FaultSpec.parse("kinesis-throttle=0.5,seed=5")) as throttling:
        kinesis = boto3.Session().client("kinesis", endpoint_url=throttling.endpoint_url)
        name = f"throttled-{uuid.uuid4().hex[:6]}"
        kinesis.create_stream(StreamName=name, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2})
        monkeypatch.setenv("STREAM_NAME", name)
        monkeypatch.setattr(ingest, "kinesis_client", lambda: kinesis)
        busgps_settings.ingest_settings.cache_clear()
        ingest.resolver.cache_clear()
        positions = [{"busId": "throttled", "latitude": step / 100, "longitude": 1} for step in range(40)]
        try:
            with http_api(moto_endpoint, name, pool, ingest.lambda_handler) as client:
                # When a device posts a batch of 40
                response = client.post(
                    "/v1/positions", json={"positions": positions}, headers={"Authorization": pool.id_token}
                )
        finally:
            busgps_settings.ingest_settings.cache_clear()
            ingest.resolver.cache_clear()
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        page = kinesis.get_records(ShardIterator=iterator)["Records"]
    stored = [json.loads(record["Data"]) for record in page]
    # Then the answer lists the throttled entries by index, with Kinesis's error, for the device to resend
    assert response.status_code == 200, response.text
    answer = response.json()
    failed = [entry["index"] for entry in answer["failed"]]
    assert 0 < len(failed) < len(positions)
    assert (answer["acceptedCount"], answer["failedCount"]) == (len(positions) - len(failed), len(failed))
    assert {entry["errorCode"] for entry in answer["failed"]} == {"ProvisionedThroughputExceededException"}
    # And the stream holds exactly the others, in order
    assert stored == [position for index, position in enumerate(positions) if index not in failed]


# The document as generated requests see it: the stream name is the only value they depend on.
FUZZ_STREAM = f"ingest-fuzz-{uuid.uuid4().hex[:6]}"
FUZZ_SCHEMA = schemathesis.openapi.from_dict(
    yaml.safe_load(
        render_openapi_template(
            INGEST_PATH.read_text(encoding="utf-8"),
            template_values(
                FUZZ_STREAM,
                DevicePool("us-east-1_notused", "arn:aws:cognito-idp:us-east-1:1:userpool/x", "x", "", ""),
            ),
        )
    )
)


@pytest.fixture(scope="module")
def fuzz_stream(moto_endpoint: str) -> str:
    return create_stream(FUZZ_STREAM)


@pytest.fixture
def fuzzed_api(
    moto_endpoint: str, fuzz_stream: str, pool: DevicePool, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The HTTP API in front of the real ingest function, writing to a stream of its own."""
    monkeypatch.setenv("STREAM_NAME", fuzz_stream)
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()
    with http_api(moto_endpoint, fuzz_stream, pool, ingest.lambda_handler) as client:
        yield client
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()


@FUZZ_SCHEMA.parametrize()
@settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_answer_is_one_the_document_describes(
    case: Any, fuzzed_api: TestClient, pool: DevicePool
) -> None:
    # Given a request generated from the document (that fits it, or that breaks it), with a valid id
    # token; its body keeps the rules the document states in words (a timestamp not before 1970 nor more
    # than five minutes ahead, dates of the calendar, Data the base64 of a position)
    keep_position_rules(case)
    # When the local HTTP API and the ingest function answer it
    # Then a request that fits is accepted, one that breaks it is refused, and the status, content
    # type, headers and body are those the document gives that operation
    # Every request of the run, the checks' own probes included, goes to this app.
    case.operation.schema.app = fuzzed_api.app
    case.call_and_validate(
        app=fuzzed_api.app,
        base_url="http://testserver",
        headers={"Authorization": pool.id_token},
        # API Gateway answers an undeclared method as an unknown route (its 404), not 405.
        excluded_checks=[unsupported_method],
    )
