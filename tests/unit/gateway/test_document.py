"""The API document: a valid OpenAPI 3 document with an integration and documented answers everywhere."""

import pytest
import yaml
from google.transit import gtfs_realtime_pb2
from openapi_spec_validator import validate

from busgps.local.gateway import render_openapi_template
from busgps.local.gateway.document import ApiDocument
from busgps.models.device import DevicePosition

from .conftest import INVOKE_ARN, OPENAPI_PATH, TEMPLATE_VALUES

CONTRACT_ROUTES = {
    ("POST", "/post-gps"),
    ("POST", "/v1/positions"),
    ("GET", "/v1/positions"),
    ("GET", "/get-gps"),
    ("GET", "/v1/buses"),
    ("GET", "/v1/buses/{busId}"),
    ("GET", "/v1/buses/{busId}/positions"),
    ("GET", "/v1/gtfs-rt/vehicle-positions"),
    ("GET", "/health"),
}


def test_the_rendered_document_is_valid_openapi() -> None:
    # Given the document rendered as Terraform renders it
    document = yaml.safe_load(
        render_openapi_template(OPENAPI_PATH.read_text(encoding="utf-8"), TEMPLATE_VALUES)
    )
    # When it is checked against the OpenAPI 3 specification
    # Then it is valid
    validate(document)


def test_every_contract_route_is_served_and_nothing_else(api_document: ApiDocument) -> None:
    # Given the document
    # When its operations are listed (preflights aside)
    served = {
        (method, route.resource_path)
        for route in api_document.routes
        for method in route.operations
        if method != "OPTIONS"
    }
    # Then they are exactly the contract's routes
    assert served == CONTRACT_ROUTES


def test_get_routes_proxy_to_the_query_function_with_a_preflight(api_document: ApiDocument) -> None:
    # Given the document
    for route in api_document.routes:
        get = route.operations.get("GET")
        if get is None or route.resource_path == "/health":
            continue
        # When the GET route's integration is read
        # Then it is a Lambda proxy to the query function, and the resource answers CORS preflights
        assert get.integration["type"] == "aws_proxy"
        assert get.integration["httpMethod"] == "POST"
        assert get.integration["uri"] == INVOKE_ARN
        assert route.operations["OPTIONS"].integration["type"] == "mock"


def test_post_routes_require_the_cognito_authorizer_and_validate_bodies(api_document: ApiDocument) -> None:
    # Given the document
    for route in api_document.routes:
        post = route.operations.get("POST")
        if post is None:
            continue
        # When a POST route is read
        scheme_name = next(iter(post.security[0]))
        scheme = api_document.security_scheme(scheme_name)
        # Then it requires the user pool authorizer on the raw Authorization header and validates its body
        assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
        assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [TEMPLATE_VALUES["user_pool_arn"]]
        assert (scheme["type"], scheme["name"], scheme["in"]) == ("apiKey", "Authorization", "header")
        assert post.validator == {"validateRequestBody": True, "validateRequestParameters": True}
        assert post.integration["type"] == "aws"
        assert post.integration["credentials"] == TEMPLATE_VALUES["api_gateway_kinesis_role_arn"]
        assert post.integration["uri"].startswith("arn:aws:apigateway:us-east-1:kinesis:action/PutRecord")


def test_every_operation_documents_its_answers(api_document: ApiDocument) -> None:
    # Given the document
    for route in api_document.routes:
        for method, operation in route.operations.items():
            # When an operation's responses are read
            responses = operation.spec["responses"]
            # Then its success is documented, and so is every error status its integration can map to
            assert "200" in responses, (method, route.resource_path)
            mapped = {
                str(response["statusCode"])
                for response in operation.integration.get("responses", {}).values()
            }
            assert mapped <= set(responses), (method, route.resource_path)


@pytest.mark.parametrize(
    "response_type",
    [
        "BAD_REQUEST_BODY",
        "BAD_REQUEST_PARAMETERS",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "THROTTLED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    ],
)
def test_gateway_responses_are_json_with_cors(api_document: ApiDocument, response_type: str) -> None:
    # Given one of the gateway responses the issue asks for
    response = api_document.gateway_responses[response_type]
    # When its template and headers are read
    # Then the body is JSON carrying the error message, and the CORS origin header is set
    assert "$context.error.messageString" in response["responseTemplates"]["application/json"]
    assert response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == (
        f"'{TEMPLATE_VALUES['cors_allow_origin']}'"
    )


@pytest.mark.parametrize(
    ("path", "resource", "parameters"),
    [
        ("/v1/buses", "/v1/buses", {}),
        ("/v1/buses/", "/v1/buses", {}),
        ("/v1/buses/bus-17", "/v1/buses/{busId}", {"busId": "bus-17"}),
        ("/v1/buses/bus-17/positions", "/v1/buses/{busId}/positions", {"busId": "bus-17"}),
    ],
)
def test_paths_match_their_resources(
    api_document: ApiDocument, path: str, resource: str, parameters: dict[str, str]
) -> None:
    # Given a request path
    # When it is matched against the document's resources
    matched = api_document.match(path)
    # Then the resource and its path parameters are found
    assert matched is not None
    assert (matched[0].resource_path, matched[1]) == (resource, parameters)


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/buses/a/b/c", "/post-gps/x"])
def test_unknown_paths_match_nothing(api_document: ApiDocument, path: str) -> None:
    # Given a path the document does not define
    # When it is matched
    # Then no resource serves it
    assert api_document.match(path) is None


def test_a_batch_entry_has_the_fields_the_consumer_reads_and_gtfs_enums_by_their_own_names(
    api_document: ApiDocument,
) -> None:
    # Given the model of a /v1/positions entry and the consumer's model of a device's fix
    schemas = api_document.document["components"]["schemas"]
    entry = schemas["PositionInput"]["properties"]
    device_fields = {field.alias or name for name, field in DevicePosition.model_fields.items()}

    # Then the entry takes exactly the fields a device may send
    assert set(entry) == device_fields

    # And each GTFS-Realtime enum lists exactly the names of GTFS-Realtime's own bindings, in order
    assert schemas["OccupancyStatus"]["enum"] == list(
        gtfs_realtime_pb2.VehiclePosition.OccupancyStatus.keys()
    )
    assert schemas["CongestionLevel"]["enum"] == list(
        gtfs_realtime_pb2.VehiclePosition.CongestionLevel.keys()
    )
    assert schemas["ScheduleRelationship"]["enum"] == list(
        gtfs_realtime_pb2.TripDescriptor.ScheduleRelationship.keys()
    )
