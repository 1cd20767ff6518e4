"""The API documents rendered with local values, as the local stack renders them."""

from pathlib import Path

import pytest

from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.document import ApiDocument, Operation

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "api" / "openapi.yaml"
INGEST_PATH = OPENAPI_PATH.with_name("ingest.yaml")
STREAM_NAME = "busgps-test-positions"
INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:busgps-test-api/invocations"
)
TEMPLATE_VALUES = {
    "stream_name": STREAM_NAME,
    "api_function_invoke_arn": INVOKE_ARN,
    "cors_allow_origin": "https://maps.example.org",
}
INGEST_INVOKE_ARN = INVOKE_ARN.replace("busgps-test-api", "busgps-test-ingest")
INGEST_TEMPLATE_VALUES = {
    "stream_name": STREAM_NAME,
    "ingest_function_invoke_arn": INGEST_INVOKE_ARN,
    "user_pool_issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool",
    "app_client_id": "testappclient",
    "cors_allow_origin": "https://maps.example.org",
}


@pytest.fixture(scope="session")
def api_document() -> ApiDocument:
    return ApiDocument.load(OPENAPI_PATH, TEMPLATE_VALUES)


@pytest.fixture(scope="session")
def ingest_document() -> ApiDocument:
    return ApiDocument.load(INGEST_PATH, INGEST_TEMPLATE_VALUES)


def operation(document: ApiDocument, method: str, resource_path: str) -> Operation:
    """The document's operation for a method and resource path."""
    route = next(route for route in document.routes if route.resource_path == resource_path)
    return route.operations[method]


def request_facts() -> RequestFacts:
    """What the gateway knows of a rider's GET /v1/positions, as templates and responses see it."""
    return RequestFacts(
        api_id="abcdefghij",
        account_id="123456789012",
        stage="local",
        http_method="GET",
        path="/v1/positions",
        source_ip="10.0.0.7",
        user_agent="rider/1.0",
        domain_name="localhost",
        resource_path="/v1/positions",
    )
