"""What the APIs answer when what is behind them fails: Kinesis refusing or failing the ingest function's
write, and an integration that does not answer in time. Kinesis's faults are injected into the ingest
function's own Kinesis client, so the function's mapping of them is what answers."""

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from starlette.testclient import TestClient

from busgps import settings as busgps_settings
from busgps.dal.clients import kinesis_client
from busgps.handlers import ingest
from busgps.local.gateway import GatewayConfig, HttpApiConfig, create_gateway_app, create_http_api_app
from support.tokens import DevicePool, device_pool

pytestmark = pytest.mark.integration

API_PATH = Path(__file__).resolve().parents[2] / "api"
FUNCTION = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-faults-{}/invocations"
)
CORS_ORIGIN = "https://rider.example"
STREAM = "busgps-faults-positions"
POSITION = {"busId": "17", "latitude": 1.5, "longitude": 2.5}


@pytest.fixture(scope="module")
def device(moto_endpoint: str) -> DevicePool:
    return device_pool(f"faults-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def ingest_function(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("STREAM_NAME", STREAM)
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()
    yield ingest.lambda_handler
    busgps_settings.ingest_settings.cache_clear()
    ingest.resolver.cache_clear()


def ingest_api(moto_endpoint: str, device: DevicePool, handler: Any, document: Path) -> TestClient:
    values = {
        "stream_name": STREAM,
        "ingest_function_invoke_arn": FUNCTION.format("ingest"),
        "user_pool_issuer": device.issuer,
        "app_client_id": device.client_id,
        "cors_allow_origin": CORS_ORIGIN,
    }
    # The function's own timeout is longer than any integration's here: only the integration's applies.
    config = HttpApiConfig(
        document, values, {FUNCTION.format("ingest"): handler}, moto_endpoint, function_timeout_seconds=60
    )
    return TestClient(create_http_api_app(config))


@pytest.fixture
def kinesis_answers() -> Iterator[Any]:
    """Make Kinesis answer every call of the ingest function's client with an error (status, code)."""
    client = kinesis_client()
    registered: list[Any] = []

    def answer(status: int, code: str) -> None:
        def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            parsed = {
                "Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
            return AWSResponse("https://kinesis.invalid", status, {}, None), parsed

        client.meta.events.register("before-call.kinesis", refuse)
        registered.append(refuse)

    yield answer
    for handler in registered:
        client.meta.events.unregister("before-call.kinesis", handler)


def post(client: TestClient, route: str, token: str) -> Any:
    """A valid position, in the body of the route, from a web page of the allowed origin."""
    if route == "/post-gps":
        data = base64.b64encode(json.dumps(POSITION).encode()).decode()
        body: dict[str, Any] = {"StreamName": STREAM, "Data": data, "PartitionKey": "17"}
    else:
        body = {"positions": [POSITION]}
    return client.post(route, json=body, headers={"Authorization": token, "Origin": CORS_ORIGIN})


@pytest.mark.parametrize("route", ["/post-gps", "/v1/positions"])
@pytest.mark.parametrize(
    ("kinesis_status", "error_type", "status", "says"),
    [
        # The function's role may not write the stream, or the stream's key is unusable: a fault
        # of the deployment, not of the request
        (400, "AccessDeniedException", 500, "a fault of this deployment"),
        (400, "KMSAccessDeniedException", 500, "a fault of this deployment"),
        (400, "KMSDisabledException", 500, "a fault of this deployment"),
        (400, "KMSNotFoundException", 500, "a fault of this deployment"),
        # Kinesis itself fails or is unavailable: a bad gateway, to retry
        (500, "InternalFailure", 502, "retry with exponential backoff"),
        (503, "ServiceUnavailable", 502, "retry with exponential backoff"),
        # Over the stream's capacity, or KMS's: too many requests, to retry
        (400, "ProvisionedThroughputExceededException", 429, "retry with exponential backoff"),
        (400, "KMSThrottlingException", 429, "retry with exponential backoff"),
        # Anything else Kinesis refuses is the request's: a bad request quoting Kinesis
        (400, "ValidationException", 400, "the stream refused the record"),
    ],
)
def test_a_kinesis_fault_is_answered_as_the_readme_says(
    moto_endpoint: str,
    device: DevicePool,
    ingest_function: Any,
    kinesis_answers: Any,
    route: str,
    kinesis_status: int,
    error_type: str,
    status: int,
    says: str,
) -> None:
    # Given Kinesis answering every write of the ingest function with an error
    kinesis_answers(kinesis_status, error_type)
    with ingest_api(moto_endpoint, device, ingest_function, API_PATH / "ingest.yaml") as client:
        # When a device posts a valid position
        response = post(client, route, device.id_token)
    # Then the status is the README's for that error, never a 200, and the JSON names Kinesis's
    # error, says what to do, carries the request id and the CORS origin; retrying ones say when
    answer = response.json()
    assert response.status_code == status, response.text
    assert says in answer["error"]
    assert answer["kinesisError"] == error_type
    assert answer["requestId"] == response.headers["apigw-requestid"]
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    if status in (429, 502):
        assert response.headers["retry-after"].isdigit()


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """An event that what blocks in a test waits for; set when the test ends, so nothing is left hanging."""
    event = threading.Event()
    yield event
    event.set()


def short_timeouts(tmp_path: Path, name: str, timeout: str) -> Path:
    """The API document `name` with every integration's timeout at 50 ms instead of `timeout`."""
    text = (API_PATH / name).read_text(encoding="utf-8")
    assert f"timeoutInMillis: {timeout}" in text
    document = tmp_path / name
    document.write_text(text.replace(f"timeoutInMillis: {timeout}", "timeoutInMillis: 50"), encoding="utf-8")
    return document


def test_a_query_function_that_does_not_answer_in_time_is_a_json_504(
    tmp_path: Path, released: threading.Event
) -> None:
    # Given a query function that does not answer until the test is over
    def never_in_time(event: dict[str, Any], context: Any) -> dict[str, Any]:
        released.wait(60)
        return {"statusCode": 200, "body": "{}"}

    values = {
        "stream_name": STREAM,
        "api_function_invoke_arn": FUNCTION.format("api"),
        "cors_allow_origin": CORS_ORIGIN,
    }
    config = GatewayConfig(
        short_timeouts(tmp_path, "openapi.yaml", "29000"),
        values,
        {FUNCTION.format("api"): never_in_time},
        function_timeout_seconds=60,
    )
    with TestClient(create_gateway_app(config)) as client:
        # When a GET route is called
        response = client.get("/v1/buses")
    # Then API Gateway's integration timeout answers: the document's JSON 504 with CORS headers
    assert response.status_code == 504
    assert response.json()["error"] == "Endpoint request timed out"
    assert "retry later" in response.json()["hint"]
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN


def test_an_ingest_function_that_does_not_answer_in_time_is_api_gateways_503(
    moto_endpoint: str, device: DevicePool, tmp_path: Path, released: threading.Event
) -> None:
    # Given an ingest function that does not answer until the test is over (Kinesis hanging, say)
    def never_in_time(event: dict[str, Any], context: Any) -> dict[str, Any]:
        released.wait(60)
        return {"statusCode": 200, "body": "{}"}

    document = short_timeouts(tmp_path, "ingest.yaml", "30000")
    with ingest_api(moto_endpoint, device, never_in_time, document) as client:
        # When a device posts a position
        response = post(client, "/post-gps", device.id_token)
    # Then the HTTP API's integration timeout answers, with its own message, and no "Success"
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
