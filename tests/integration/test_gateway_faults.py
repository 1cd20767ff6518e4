"""What the API answers when what is behind it fails: Kinesis refusing or failing a write, and an
integration that does not answer in time. Each fault is injected where the gateway calls the
integration, so the document's own mapping of it is what answers."""

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from starlette.testclient import TestClient

from busgps.local.gateway import GatewayConfig, create_gateway_app
from busgps.local.gateway.aws_service import AwsServiceIntegration
from busgps.local.gateway.integrations import IntegrationResult

pytestmark = pytest.mark.integration

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.yaml"
INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-faults-api/invocations"
)
CORS_ORIGIN = "https://rider.example"
POSITION = {"busId": "17", "latitude": 1.5, "longitude": 2.5}


@pytest.fixture(scope="module")
def device(moto_endpoint: str) -> tuple[str, str]:
    """A user pool and the id token of one of its devices: (pool ARN, id token)."""
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"faults-{uuid.uuid4().hex[:6]}")["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="devices", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="bus-17", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="bus-17", Password="Secret-123!", Permanent=True
    )
    tokens = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bus-17", "PASSWORD": "Secret-123!"},
        ClientId=client["ClientId"],
    )["AuthenticationResult"]
    return pool["Arn"], tokens["IdToken"]


def gateway(
    moto_endpoint: str, device: tuple[str, str], openapi_path: Path = OPENAPI_PATH, handler: Any = None
) -> TestClient:
    values = {
        "aws_region": "us-east-1",
        "stream_name": "busgps-faults-positions",
        "api_gateway_kinesis_role_arn": "arn:aws:iam::123456789012:role/busgps-faults-kinesis",
        "api_function_invoke_arn": INVOKE_ARN,
        "user_pool_arn": device[0],
        "cors_allow_origin": CORS_ORIGIN,
    }
    # The function's own timeout is longer than any integration's here: only the integration's applies.
    config = GatewayConfig(
        openapi_path, values, {INVOKE_ARN: handler}, moto_endpoint, function_timeout_seconds=60
    )
    return TestClient(create_gateway_app(config))


def kinesis_answers(monkeypatch: pytest.MonkeyPatch, status: int, error_type: str) -> None:
    """Kinesis answers every call of the gateway with this error."""
    body = json.dumps({"__type": error_type, "message": f"injected {error_type}"})
    monkeypatch.setattr(AwsServiceIntegration, "call", lambda *_: IntegrationResult(status, body))


def post(client: TestClient, route: str, token: str) -> Any:
    """A valid position, in the body of the route."""
    if route == "/post-gps":
        data = base64.b64encode(json.dumps(POSITION).encode()).decode()
        body: dict[str, Any] = {"StreamName": "busgps-faults-positions", "Data": data, "PartitionKey": "17"}
    else:
        body = {"positions": [POSITION]}
    return client.post(route, json=body, headers={"Authorization": token})


@pytest.mark.parametrize("route", ["/post-gps", "/v1/positions"])
@pytest.mark.parametrize(
    ("kinesis_status", "error_type", "status", "says"),
    [
        # The integration's role may not write the stream, or the stream's key is unusable: a fault
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
    ],
)
def test_a_kinesis_fault_is_answered_as_the_readme_says(
    moto_endpoint: str,
    device: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    kinesis_status: int,
    error_type: str,
    status: int,
    says: str,
) -> None:
    # Given Kinesis answering every write with an error
    kinesis_answers(monkeypatch, kinesis_status, error_type)
    with gateway(moto_endpoint, device) as client:
        # When a device posts a valid position
        response = post(client, route, device[1])
    # Then the status is the README's for that error, never a 200, and the JSON names Kinesis's
    # error, says what to do, carries the request id and the CORS origin
    answer = response.json()
    assert response.status_code == status, response.text
    assert says in answer["error"]
    assert answer["kinesisError"] == error_type
    assert answer["requestId"]
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """An event that what blocks in a test waits for; set when the test ends, so nothing is left hanging."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def short_timeouts(tmp_path: Path) -> Path:
    """The API document with every integration's timeout at 50 ms instead of 29 s."""
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    assert "timeoutInMillis: 29000" in text
    document = tmp_path / "openapi.yaml"
    document.write_text(text.replace("timeoutInMillis: 29000", "timeoutInMillis: 50"), encoding="utf-8")
    return document


def test_a_function_that_does_not_answer_in_time_is_a_json_504(
    moto_endpoint: str, device: tuple[str, str], short_timeouts: Path, released: threading.Event
) -> None:
    # Given a query function that does not answer until the test is over
    def never_in_time(event: dict[str, Any], context: Any) -> dict[str, Any]:
        released.wait(60)
        return {"statusCode": 200, "body": "{}"}

    with gateway(moto_endpoint, device, short_timeouts, never_in_time) as client:
        # When a GET route is called
        response = client.get("/v1/buses")
    # Then API Gateway's integration timeout answers: the document's JSON 504 with CORS headers
    assert response.status_code == 504
    assert response.json()["error"] == "Endpoint request timed out"
    assert "retry later" in response.json()["hint"]
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN


def test_kinesis_not_answering_in_time_is_a_json_504(
    moto_endpoint: str,
    device: tuple[str, str],
    short_timeouts: Path,
    released: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given Kinesis not answering until the test is over
    def hang(*_: Any) -> IntegrationResult:
        released.wait(60)
        return IntegrationResult(200, "{}")

    monkeypatch.setattr(AwsServiceIntegration, "call", hang)
    with gateway(moto_endpoint, device, short_timeouts) as client:
        # When a device posts a position
        response = post(client, "/post-gps", device[1])
    # Then the answer is the document's JSON 504, and no "Success"
    assert response.status_code == 504
    assert response.json()["error"] == "Endpoint request timed out"
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
