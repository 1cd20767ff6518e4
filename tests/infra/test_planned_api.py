"""The REST API each environment's plan deploys: api/openapi.yaml as API Gateway will import it."""

import json
from collections.abc import Iterator
from typing import Any

import yaml
from openapi_spec_validator import validate

from busgps.local.gateway import render_openapi_template
from busgps.models.websocket import route_keys, route_selection_expression
from infra.terraform_config import OPENAPI_TEMPLATE
from infra.terraform_plan import Plan

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
# The only $ref API Gateway resolves: a schema, which it imports as a model.
MODEL_REFERENCE = "#/components/schemas/"


def deployed(plan: Plan) -> dict[str, Any]:
    """The document the plan gives API Gateway."""
    document: dict[str, Any] = json.loads(plan.only("aws_api_gateway_rest_api").values["body"])
    return document


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


def test_the_deployed_document_is_the_one_the_local_gateway_serves(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the document in the plan, and the values the plan gives its placeholders
    functions = {function.name: function.values for function in plan.of_type("aws_lambda_function")}
    values = {
        "aws_region": settings["aws_region"],
        "stream_name": settings["stream_name"],
        "api_gateway_kinesis_role_arn": plan.resources[
            "module.api_gateway.aws_iam_role.kinesis_writer"
        ].values["arn"],
        "api_function_invoke_arn": functions["api"]["invoke_arn"],
        "user_pool_arn": plan.only("aws_cognito_user_pool").values["arn"],
        "cors_allow_origin": settings["cors_allow_origin"],
    }
    # When api/openapi.yaml is rendered as the local gateway renders it, with those values
    rendered = yaml.safe_load(render_openapi_template(OPENAPI_TEMPLATE.read_text(encoding="utf-8"), values))
    # Then both are the same document: what runs locally is what is deployed
    assert deployed(plan) == rendered


def test_the_deployed_document_is_valid_openapi_3_whose_only_references_are_models(plan: Plan) -> None:
    # Given the deployed document
    document = deployed(plan)
    # When it is validated and its references are listed
    validate(document)
    # Then it is OpenAPI 3, every $ref names a schema, and nothing else is left in components for
    # API Gateway to resolve
    assert str(document["openapi"]).startswith("3.")
    assert [
        reference for reference in references(document) if not reference.startswith(MODEL_REFERENCE)
    ] == []
    assert set(document["components"]) == {"schemas", "securitySchemes"}


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
    # customised (a body over 10 MB gets its own plain 413)
    assert origins
    assert set(origins) == {f"'{settings['cors_allow_origin']}'"}
    assert "REQUEST_TOO_LARGE" not in document["x-amazon-apigateway-gateway-responses"]


def test_lambda_routes_call_the_api_function_which_allows_exactly_them(plan: Plan) -> None:
    # Given the deployed document's Lambda proxy operations and the function's invoke permission
    document = deployed(plan)
    proxied = [
        (method, operation)
        for _, method, operation in operations(document)
        if operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    ]
    function = plan.resources["module.lambda.aws_lambda_function.api"].values
    (permission,) = [
        resource.values
        for resource in plan.of_type("aws_lambda_permission")
        if resource.values["function_name"] == function["function_name"]
    ]
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
    api = plan.only("aws_apigatewayv2_api").values
    routes = [route.values for route in plan.of_type("aws_apigatewayv2_route")]
    integration = plan.only("aws_apigatewayv2_integration").values
    stage = plan.only("aws_apigatewayv2_stage").values
    function = plan.resources["module.lambda.aws_lambda_function.websocket"].values
    (permission,) = [
        resource.values
        for resource in plan.of_type("aws_lambda_permission")
        if resource.values["function_name"] == function["function_name"]
    ]
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


def test_kinesis_routes_write_the_environments_stream_with_a_role_allowed_exactly_that(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the deployed document's direct Kinesis integrations and the role they name
    kinesis = [
        integration
        for integration in integrations(deployed(plan), "aws")
        if ":kinesis:action/" in integration["uri"]
    ]
    role = plan.resources["module.api_gateway.aws_iam_role.kinesis_writer"]
    granted = plan.granted(role)
    stream = plan.only("aws_kinesis_stream").values["arn"]
    # When their credentials, actions and target stream are read
    called = {f"kinesis:{integration['uri'].rsplit('/', 1)[-1]}" for integration in kinesis}
    # Then each uses the role, writes the environment's stream whatever the body says, and the
    # role may call exactly those actions on that stream (and get data keys of its key)
    assert called == {"kinesis:PutRecord", "kinesis:PutRecords"}
    assert {integration["credentials"] for integration in kinesis} == {role.values["arn"]}
    assert all(
        f'"StreamName": "{settings["stream_name"]}"' in integration["requestTemplates"]["application/json"]
        for integration in kinesis
    )
    assert {
        action: statement.resources
        for statement in granted
        for action in statement.actions
        if action.startswith("kinesis:")
    } == {action: frozenset({stream}) for action in called}
    assert {action for statement in granted for action in statement.actions} == called | {
        "kms:GenerateDataKey"
    }
    assert json.loads(role.values["assume_role_policy"])["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }


def test_the_authorizer_accepts_the_environments_user_pool(plan: Plan) -> None:
    # Given the deployed document's Cognito authorizers
    schemes = deployed(plan)["components"]["securitySchemes"]
    providers = {
        arn
        for scheme in schemes.values()
        if scheme.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
        for arn in scheme["x-amazon-apigateway-authorizer"]["providerARNs"]
    }
    # Then they accept the environment's user pool, and no other
    assert providers == {plan.only("aws_cognito_user_pool").values["arn"]}


def test_the_url_outputs_name_routes_of_the_deployed_document(domain_plan: Plan) -> None:
    # Given the root outputs that are URLs of routes, with a custom domain (so they are known)
    base = domain_plan.outputs["api_base_url"]
    routes = {
        name: url.removeprefix(base)
        for name, url in domain_plan.outputs.items()
        if name.endswith("_url") and isinstance(url, str) and url.startswith(base + "/")
    }
    document = deployed(domain_plan)
    # When each is looked up in the document, POST for post_*, else GET
    missing = [
        name
        for name, path in routes.items()
        if ("post" if name.startswith("post_") else "get") not in document["paths"].get(path, {})
    ]
    # Then the legacy clients' POST and GET URLs are there, and each names an operation that exists
    assert {"post_gps_url", "get_gps_url", "post_positions_url", "get_buses_url"} <= set(routes)
    assert missing == []
