"""api/openapi.yaml as Terraform deploys it: rendered by templatefile, valid OpenAPI 3, wired right."""

import re
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from busgps.local.gateway import render_openapi_template
from infra.terraform_config import MODULES_DIR, OPENAPI_TEMPLATE, load_module, root_module

API_GATEWAY = load_module(MODULES_DIR / "api_gateway")
LAMBDA = load_module(MODULES_DIR / "lambda")
TEMPLATEFILE_CALL = re.compile(r"templatefile\(var\.openapi_template_path,\s*\{(?P<values>.*)\}\)", re.DOTALL)

# Values of the shape Terraform passes, so the rendered document is what API Gateway receives.
SAMPLE_VALUES = {
    "aws_region": "eu-west-1",
    "stream_name": "busgps-sandbox-positions",
    "api_gateway_kinesis_role_arn": "arn:aws:iam::123456789012:role/busgps-sandbox-kinesis-writer",
    "api_function_invoke_arn": (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:123456789012:function:busgps-sandbox-api/invocations"
    ),
    "user_pool_arn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI",
    "cors_allow_origin": "*",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}


class RecordingValues(dict[str, str]):
    """The template values, noting which ones the template asks for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.used.add(key)
        return super().__getitem__(key)


def templatefile_keys() -> set[str]:
    matched = TEMPLATEFILE_CALL.search(API_GATEWAY.locals["openapi_body"])
    assert matched, "the api_gateway module renders api/openapi.yaml with templatefile"
    return set(re.findall(r"(\w+)\s*=", matched["values"]))


@pytest.fixture(scope="module")
def rendered() -> tuple[str, set[str]]:
    if not OPENAPI_TEMPLATE.is_file():
        pytest.fail(f"{OPENAPI_TEMPLATE} is missing: Terraform deploys the API from it")
    values = RecordingValues({key: SAMPLE_VALUES[key] for key in templatefile_keys()})
    return render_openapi_template(OPENAPI_TEMPLATE.read_text(encoding="utf-8"), values), values.used


@pytest.fixture(scope="module")
def document(rendered: tuple[str, set[str]]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(rendered[0])
    return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_terraform_passes_exactly_the_placeholders_the_template_uses(rendered: tuple[str, set[str]]) -> None:
    # Given the values the api_gateway module passes to templatefile
    passed = templatefile_keys()
    # When the template is rendered with them
    _, used = rendered
    # Then every placeholder had a value, and every value is used
    assert used == passed
    assert passed == set(SAMPLE_VALUES)


def test_the_rendered_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    # Given the rendered document
    # When the OpenAPI validator checks it
    validate(document)
    # Then it is OpenAPI 3
    assert str(document["openapi"]).startswith("3.")


def test_lambda_routes_are_covered_by_the_invoke_permission(document: dict[str, Any]) -> None:
    # Given the API function's invoke permission, which allows GET routes only
    permission = LAMBDA.resources_of_type("aws_lambda_permission")[0].body
    allowed_method = permission["source_arn"].split("/")[-2]
    # When the document's Lambda proxy operations are listed
    proxied = [
        (path, method)
        for path, method, operation in operations(document)
        if operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    ]
    # Then there are some, each with the permitted method and the function's invoke ARN as uri
    assert proxied
    assert {method.upper() for _, method in proxied} == {allowed_method}
    assert {
        operation["x-amazon-apigateway-integration"]["uri"]
        for _, _, operation in operations(document)
        if operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    } == {SAMPLE_VALUES["api_function_invoke_arn"]}


def test_kinesis_routes_use_the_role_terraform_creates(document: dict[str, Any]) -> None:
    # Given the document's direct Kinesis integrations
    kinesis = [
        operation["x-amazon-apigateway-integration"]
        for _, _, operation in operations(document)
        if ":kinesis:action/" in str(operation["x-amazon-apigateway-integration"].get("uri", ""))
    ]
    # When their credentials and actions are read
    actions = {integration["uri"].rsplit("/", 1)[-1] for integration in kinesis}
    writer_policy = next(
        document
        for document in API_GATEWAY.resources_of_type("aws_iam_policy_document", kind="data")
        if document.name == "kinesis_writer"
    )
    granted = {action for statement in writer_policy.body["statement"] for action in statement["actions"]}
    # Then each uses the module's role, and the role grants exactly the actions they call
    assert {integration["credentials"] for integration in kinesis} == {
        SAMPLE_VALUES["api_gateway_kinesis_role_arn"]
    }
    assert {f"kinesis:{action}" for action in actions} == granted - {"kms:GenerateDataKey"}


def test_root_url_outputs_name_routes_of_the_document(document: dict[str, Any]) -> None:
    # Given the root outputs that are URLs of routes
    outputs = root_module().outputs
    route_outputs = {
        name: body
        for name, body in outputs.items()
        if name.endswith("_url") and "api_base_url}/" in body["value"]
    }
    # When their paths and methods are looked up in the document
    expected_method = {name: "post" if name.startswith("post_") else "get" for name in route_outputs}
    missing = [
        name
        for name, body in route_outputs.items()
        if expected_method[name]
        not in document["paths"].get("/" + body["value"].split("api_base_url}/", 1)[1], {})
    ]
    # Then there are POST and GET URLs, and each names an operation that exists
    assert {"post", "get"} <= set(expected_method.values())
    assert missing == []


def test_the_cognito_authorizer_uses_the_user_pool(document: dict[str, Any]) -> None:
    # Given the document's security schemes
    schemes = document["components"]["securitySchemes"]
    # When the Cognito authorizers' providers are read
    providers = {
        arn
        for scheme in schemes.values()
        if scheme.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
        for arn in scheme["x-amazon-apigateway-authorizer"]["providerARNs"]
    }
    # Then they are the user pool Terraform passes
    assert providers == {SAMPLE_VALUES["user_pool_arn"]}
