"""The API documents: valid OpenAPI 3 documents with an integration and documented answers everywhere,
the reads on the REST API and the devices' POST routes on the HTTP API, each route in one of them."""

from pathlib import Path

import pytest
import yaml
from google.transit import gtfs_realtime_pb2
from openapi_spec_validator import validate

from busgps.local.gateway import render_openapi_template
from busgps.local.gateway.document import ApiDocument
from busgps.models.device import DevicePosition
from busgps.models.position import BUS_ID_PATTERN

from .conftest import (
    INGEST_INVOKE_ARN,
    INGEST_PATH,
    INGEST_TEMPLATE_VALUES,
    INVOKE_ARN,
    OPENAPI_PATH,
    TEMPLATE_VALUES,
)

INGEST_ROUTES = {("POST", "/post-gps"), ("POST", "/v1/positions")}
READ_ROUTES = {
    ("GET", "/v1/positions"),
    ("GET", "/get-gps"),
    ("GET", "/v1/buses"),
    ("GET", "/v1/buses/{busId}"),
    ("GET", "/v1/buses/{busId}/positions"),
    ("GET", "/v1/gtfs-rt/vehicle-positions"),
    ("GET", "/health"),
}


def _routes(document: ApiDocument) -> set[tuple[str, str]]:
    return {
        (method, route.resource_path)
        for route in document.routes
        for method in route.operations
        if method != "OPTIONS"
    }


@pytest.mark.parametrize(
    ("path", "values"), [(OPENAPI_PATH, TEMPLATE_VALUES), (INGEST_PATH, INGEST_TEMPLATE_VALUES)]
)
def test_each_rendered_document_is_valid_openapi(path: Path, values: dict[str, str]) -> None:
    # Given a document rendered as Terraform renders it
    document = yaml.safe_load(render_openapi_template(path.read_text(encoding="utf-8"), values))
    # When it is checked against the OpenAPI 3 specification
    # Then it is valid
    validate(document)


def test_every_contract_route_is_served_once_by_the_api_it_belongs_to(
    api_document: ApiDocument, ingest_document: ApiDocument
) -> None:
    # Given both documents
    # When their operations are listed (preflights aside)
    # Then the REST API serves exactly the reads and the HTTP API exactly the devices' POST routes
    assert _routes(api_document) == READ_ROUTES
    assert _routes(ingest_document) == INGEST_ROUTES


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


def test_post_routes_take_the_pools_jwts_and_call_the_ingest_function(ingest_document: ApiDocument) -> None:
    for route in ingest_document.routes:
        for post in route.operations.values():
            # Given a route of the devices' API
            (requirement,) = post.security
            scheme = ingest_document.security_scheme(next(iter(requirement)))
            authorizer = scheme["x-amazon-apigateway-authorizer"]
            # When its authorizer and integration are read
            # Then a JWT authorizer checks the Authorization header against the user pool's issuer and
            # the devices' app client, and the ingest function gets the payload format 2.0 event
            assert authorizer["type"] == "jwt"
            assert authorizer["identitySource"] == "$request.header.Authorization"
            assert authorizer["jwtConfiguration"] == {
                "issuer": INGEST_TEMPLATE_VALUES["user_pool_issuer"],
                "audience": [INGEST_TEMPLATE_VALUES["app_client_id"]],
            }
            assert post.integration == {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": INGEST_INVOKE_ARN,
                "payloadFormatVersion": "2.0",
                "timeoutInMillis": 30000,
            }


def test_the_read_api_has_no_authorizer_and_answers_every_type_as_binary(api_document: ApiDocument) -> None:
    # Given the REST API's document
    operations = [operation for route in api_document.routes for operation in route.operations.values()]
    mocks = [operation for operation in operations if operation.integration["type"] == "mock"]
    # When its security, binary media types and mock integrations are read
    # Then no route needs a token, any reader gets the feed's protobuf as binary, and each mock converts
    # to text (else API Gateway cannot apply its template to a request it takes for binary)
    assert [operation.resource_path for operation in operations if operation.security] == []
    assert "securitySchemes" not in api_document.document["components"]
    assert api_document.binary_media_types == ("*/*",)
    assert mocks
    assert {operation.integration.get("contentHandling") for operation in mocks} == {"CONVERT_TO_TEXT"}


def test_every_operation_documents_its_answers(
    api_document: ApiDocument, ingest_document: ApiDocument
) -> None:
    # Given the documents
    for route in [*api_document.routes, *ingest_document.routes]:
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
        "BAD_REQUEST_PARAMETERS",
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
    ingest_document: ApiDocument,
) -> None:
    # Given the model of a /v1/positions entry and the consumer's model of a device's fix
    schemas = ingest_document.document["components"]["schemas"]
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


def test_both_documents_name_a_bus_as_the_consumer_does(
    api_document: ApiDocument, ingest_document: ApiDocument
) -> None:
    # Given the bus id schema each document needs (API Gateway follows no $ref to another document)
    # Then both are the consumer's own pattern
    for document in (api_document, ingest_document):
        assert document.document["components"]["schemas"]["BusId"]["pattern"] == BUS_ID_PATTERN
