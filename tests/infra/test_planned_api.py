"""The APIs each environment's plan deploys: api/openapi.yaml (the reads, a REST API) and api/ingest.yaml
(the devices' POST routes, an HTTP API), as API Gateway will import them."""

import json
from collections.abc import Iterator
from typing import Any

import yaml
from openapi_spec_validator import validate

from busgps.local.gateway import render_openapi_template
from busgps.models.websocket import route_keys, route_selection_expression
from infra.terraform_config import INGEST_TEMPLATE, OPENAPI_TEMPLATE
from infra.terraform_plan import Plan

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
# The only $ref API Gateway resolves: a schema, which it imports as a model.
MODEL_REFERENCE = "#/components/schemas/"


def deployed(plan: Plan) -> dict[str, Any]:
    """The REST API's document the plan gives API Gateway."""
    document: dict[str, Any] = json.loads(plan.only("aws_api_gateway_rest_api").values["body"])
    return document


def deployed_ingest(plan: Plan) -> dict[str, Any]:
    """The HTTP API's document the plan gives API Gateway."""
    api = plan.resources["module.api_gateway.aws_apigatewayv2_api.ingest"]
    document: dict[str, Any] = json.loads(api.values["body"])
    return document


def issuer(plan: Plan) -> str:
    """The iss of the environment's user pool's tokens."""
    return "https://" + plan.only("aws_cognito_user_pool").values["endpoint"]


def permission_of(plan: Plan, function: str) -> dict[str, Any]:
    name = plan.resources[f"module.lambda.aws_lambda_function.{function}"].values["function_name"]
    (permission,) = [
        permission.values
        for permission in plan.of_type("aws_lambda_permission")
        if permission.values["function_name"] == name
    ]
    return permission


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def integrations(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        operation["x-amazon-apigateway-integration"]
        for _, _, operation in operations(document)
        if operation["x-amazon-apigateway-integration"]["type"] == kind
    ]


def test_the_deployed_documents_are_the_ones_the_local_stack_serves(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the documents in the plan, and the values the plan gives their placeholders
    functions = {function.name: function.values for function in plan.of_type("aws_lambda_function")}
    values = {
        "stream_name": settings["stream_name"],
        "api_function_invoke_arn": functions["api"]["invoke_arn"],
        "cors_allow_origin": settings["cors_allow_origin"],
    }
    ingest_values = {
        "stream_name": settings["stream_name"],
        "ingest_function_invoke_arn": functions["ingest"]["invoke_arn"],
        "user_pool_issuer": issuer(plan),
        "app_client_id": plan.only("aws_cognito_user_pool_client").values["id"],
        "cors_allow_origin": settings["cors_allow_origin"],
    }
    # When api/openapi.yaml and api/ingest.yaml are rendered as the local stack renders them
    rendered = yaml.safe_load(render_openapi_template(OPENAPI_TEMPLATE.read_text(encoding="utf-8"), values))
    ingest = yaml.safe_load(
        render_openapi_template(INGEST_TEMPLATE.read_text(encoding="utf-8"), ingest_values)
    )
    # Then each is the same document as deployed: what runs locally is what is deployed
    assert deployed(plan) == rendered
    assert deployed_ingest(plan) == ingest


def test_the_deployed_documents_are_valid_openapi_3_whose_only_references_are_models(plan: Plan) -> None:
    for document, components in (
        (deployed(plan), {"schemas"}),
        (deployed_ingest(plan), {"schemas", "securitySchemes"}),
    ):
        # Given a deployed document
        # When it is validated and its references are listed
        validate(document)
        # Then it is OpenAPI 3, every $ref names a schema, and nothing else is left in components
        # for API Gateway to resolve (the HTTP API's authorizer is its security scheme)
        assert str(document["openapi"]).startswith("3.")
        assert [
            reference for reference in references(document) if not reference.startswith(MODEL_REFERENCE)
        ] == []
        assert set(document["components"]) == components


def test_no_route_is_written_twice(plan: Plan) -> None:
    # Given the routes of both deployed documents
    reads = {(method, path) for path, method, _ in operations(deployed(plan)) if method != "options"}
    posts = {(method, path) for path, method, _ in operations(deployed_ingest(plan))}
    # Then the reads are GETs of the REST API, the devices' routes POSTs of the HTTP API, none in both
    assert {method for method, _ in reads} == {"get"}
    assert posts == {("post", "/post-gps"), ("post", "/v1/positions")}
    assert reads & posts == set()


def test_every_header_an_integration_response_maps_is_declared_by_its_method_response(plan: Plan) -> None:
    for path, method, operation in operations(deployed(plan)):
        # Given an operation's integration responses
        integration = operation["x-amazon-apigateway-integration"]
        for selection, response in integration.get("responses", {}).items():
            # When the method response of the status it maps to is looked up
            method_response = operation["responses"].get(str(response["statusCode"]))
            # Then it exists and declares every header the integration response sets: otherwise
            # creating the API fails with "Invalid mapping expression"
            where = (path, method, selection)
            assert method_response is not None, where
            mapped = {
                target.removeprefix("method.response.header.")
                for target in response.get("responseParameters", {})
                if target.startswith("method.response.header.")
            }
            assert mapped <= set(method_response.get("headers", {})), where


def test_every_answer_of_the_api_carries_the_environments_cors_origin(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the deployed document's gateway responses and integration responses
    document = deployed(plan)
    origins = [
        *(
            response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
            for response in document["x-amazon-apigateway-gateway-responses"].values()
        ),
        *(
            response["responseParameters"]["method.response.header.Access-Control-Allow-Origin"]
            for kind in ("aws", "mock")
            for integration in integrations(document, kind)
            for response in integration.get("responses", {}).values()
            if "responseParameters" in response
        ),
    ]
    # When their Access-Control-Allow-Origin is read
    # Then every one is the environment's origin; and no answer API Gateway does not honour is
    # customised (a body over 10 MB gets its own plain 413); the HTTP API's CORS names that origin too
    assert origins
    assert set(origins) == {f"'{settings['cors_allow_origin']}'"}
    assert "REQUEST_TOO_LARGE" not in document["x-amazon-apigateway-gateway-responses"]
    assert deployed_ingest(plan)["x-amazon-apigateway-cors"]["allowOrigins"] == [
        settings["cors_allow_origin"]
    ]


def test_lambda_routes_call_the_api_function_which_allows_exactly_them(plan: Plan) -> None:
    # Given the deployed document's Lambda proxy operations and the function's invoke permission
    document = deployed(plan)
    proxied = [
        (method, operation)
        for _, method, operation in operations(document)
        if operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    ]
    permission = permission_of(plan, "api")
    function = plan.resources["module.lambda.aws_lambda_function.api"].values
    # When they are compared
    execution_arn = plan.only("aws_api_gateway_rest_api").values["execution_arn"]
    # Then every one is a GET of the API function, which API Gateway may invoke for this API's GETs
    assert proxied
    assert {method for method, _ in proxied} == {"get"}
    assert {operation["x-amazon-apigateway-integration"]["uri"] for _, operation in proxied} == {
        function["invoke_arn"]
    }
    assert (permission["function_name"], permission["principal"], permission["action"]) == (
        function["function_name"],
        "apigateway.amazonaws.com",
        "lambda:InvokeFunction",
    )
    assert permission["source_arn"] == f"{execution_arn}/*/GET/*"


def test_the_websocket_api_routes_the_schemas_route_keys_to_the_websocket_function(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned WebSocket API, its routes, integration, stage and the function's permission
    api = plan.resources["module.api_gateway.aws_apigatewayv2_api.websocket"].values
    routes = [route.values for route in plan.of_type("aws_apigatewayv2_route")]
    integration = plan.only("aws_apigatewayv2_integration").values
    stage = plan.resources["module.api_gateway.aws_apigatewayv2_stage.websocket"].values
    function = plan.resources["module.lambda.aws_lambda_function.websocket"].values
    permission = permission_of(plan, "websocket")
    # When they are compared with the protocol's schema and the settings
    # Then the API selects routes as the schema says, has exactly its route keys, each a Lambda proxy
    # of the one integration, the WebSocket function (which the API may invoke on its stage), and the
    # stage is throttled and logged as the REST stage is (route targets are known only once created)
    assert (api["protocol_type"], api["route_selection_expression"]) == (
        "WEBSOCKET",
        route_selection_expression(),
    )
    assert sorted(route["route_key"] for route in routes) == sorted(route_keys())
    assert (integration["integration_type"], integration["integration_uri"]) == (
        "AWS_PROXY",
        function["invoke_arn"],
    )
    assert permission["source_arn"] == f"{api['execution_arn']}/{stage['name']}/*"
    assert stage["name"] == plan.environment
    settings_of_stage = stage["default_route_settings"][0]
    assert (settings_of_stage["throttling_rate_limit"], settings_of_stage["throttling_burst_limit"]) == (
        settings["api_throttling_rate_limit"],
        settings["api_throttling_burst_limit"],
    )
    assert (
        stage["access_log_settings"][0]["destination_arn"]
        == (plan.resources["module.api_gateway.aws_cloudwatch_log_group.websocket_access"].values["arn"])
    )


def test_every_route_of_the_http_api_calls_the_ingest_function_which_allows_exactly_them(plan: Plan) -> None:
    # Given the HTTP API's routes and the ingest function's invoke permission
    integrations = [
        operation["x-amazon-apigateway-integration"] for _, _, operation in operations(deployed_ingest(plan))
    ]
    function = plan.resources["module.lambda.aws_lambda_function.ingest"].values
    permission = permission_of(plan, "ingest")
    execution_arn = plan.resources["module.api_gateway.aws_apigatewayv2_api.ingest"].values["execution_arn"]
    # When they are compared
    # Then every route is a Lambda integration of payload format 2.0 of the ingest function, within the
    # HTTP API's 30 s, and API Gateway may invoke the function for this API's POST routes only
    assert len(integrations) == 2
    assert {
        (
            integration["type"],
            integration["uri"],
            integration["payloadFormatVersion"],
            integration["timeoutInMillis"],
        )
        for integration in integrations
    } == {("aws_proxy", function["invoke_arn"], "2.0", 30000)}
    assert (permission["principal"], permission["action"]) == (
        "apigateway.amazonaws.com",
        "lambda:InvokeFunction",
    )
    assert permission["source_arn"] == f"{execution_arn}/*/POST/*"


def test_the_jwt_authorizer_accepts_the_environments_pool_for_the_devices_app_client(plan: Plan) -> None:
    # Given the HTTP API's security schemes and the routes that name them
    document = deployed_ingest(plan)
    schemes = document["components"]["securitySchemes"]
    required = {
        name
        for _, _, operation in operations(document)
        for requirement in operation["security"]
        for name in requirement
    }
    # When their authorizers are read
    authorizers = [schemes[name]["x-amazon-apigateway-authorizer"] for name in required]
    # Then every route needs a JWT of the environment's user pool, for the devices' app client, read
    # from the Authorization header
    assert authorizers == [
        {
            "type": "jwt",
            "identitySource": "$request.header.Authorization",
            "jwtConfiguration": {
                "issuer": issuer(plan),
                "audience": [plan.only("aws_cognito_user_pool_client").values["id"]],
            },
        }
    ]
    assert (
        issuer(plan)
        == "https://cognito-idp.eu-west-1.amazonaws.com/" + plan.only("aws_cognito_user_pool").values["id"]
    )


def test_the_read_api_has_no_authorizer_and_sends_binary_to_any_reader(plan: Plan) -> None:
    # Given the REST API's document
    document = deployed(plan)
    # Then none of its routes needs a token, and every media type is binary (the feed's protobuf
    # reaches any reader), with each mock integration converting to text as API Gateway then needs
    assert [operation for _, _, operation in operations(document) if operation.get("security")] == []
    assert document["x-amazon-apigateway-binary-media-types"] == ["*/*"]
    assert {integration.get("contentHandling") for integration in integrations(document, "mock")} == {
        "CONVERT_TO_TEXT"
    }


def test_the_url_outputs_name_routes_of_the_deployed_documents(domain_plan: Plan) -> None:
    # Given the root outputs that are URLs of routes, with a custom domain (so they are known): the
    # devices' POST routes under the ingest API's base URL, the reads under the REST API's
    outputs = domain_plan.outputs
    posts = {
        name: url.removeprefix(outputs["ingest_base_url"])
        for name, url in outputs.items()
        if name.startswith("post_") and name.endswith("_url")
    }
    gets = {
        name: url.removeprefix(outputs["api_base_url"])
        for name, url in outputs.items()
        if name.startswith("get_") and name.endswith("_url")
    }
    # When each is looked up in its document
    reads, ingest = deployed(domain_plan), deployed_ingest(domain_plan)
    missing = [
        *(name for name, path in posts.items() if "post" not in ingest["paths"].get(path, {})),
        *(name for name, path in gets.items() if "get" not in reads["paths"].get(path, {})),
    ]
    # Then the legacy clients' POST and GET URLs are there, each naming an operation of its API, and
    # the devices' API is the custom domain's /ingest
    assert set(posts) == {"post_gps_url", "post_positions_url"}
    assert {"get_gps_url", "get_buses_url"} <= set(gets)
    assert missing == []
    assert outputs["ingest_base_url"] == outputs["api_base_url"] + "/ingest"
