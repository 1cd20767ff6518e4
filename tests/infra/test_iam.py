"""Least privilege: named actions only, scoped resources, and exactly the calls the code makes."""

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from infra.terraform_config import (
    MODULES_DIR,
    PROJECT_ROOT,
    Resource,
    TerraformModule,
    all_modules,
    load_module,
    policy_statements,
    strings_in,
)

DATA_LAYER = PROJECT_ROOT / "src" / "busgps" / "dal"

# AWS offers no resource-level permission for these: they only accept Resource "*".
ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}

# Calls that IAM authorizes as another action.
AUTHORIZED_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "execute-api:PostToConnection": "execute-api:ManageConnections",
}

# The boto3 client type names of the data layer, and the IAM service prefix of each.
CLIENT_SERVICES = {
    "DynamoDBClient": "dynamodb",
    "SQSClient": "sqs",
    "ApiGatewayManagementApiClient": "execute-api",
}

# What the event source mapping of a table's stream reads on a function's behalf, not the code.
STREAM_READ_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
FUNCTION_ROLES = {"consumer", "api", "push", "websocket"}

Statement = tuple[TerraformModule, Resource, dict[str, Any]]
STATEMENTS = list(policy_statements())
STATEMENT_IDS = [
    f"{module.name}.{document.name}.{statement.get('sid', index)}"
    for index, (module, document, statement) in enumerate(STATEMENTS)
]


def key_policy_documents() -> set[tuple[str, str]]:
    """(module, document) of every policy document used as a KMS key policy."""
    return {
        (module.name, name)
        for module in all_modules()
        for key in module.resources_of_type("aws_kms_key")
        for name in re.findall(r"data\.aws_iam_policy_document\.(\w+)\.json", key.body["policy"])
    }


def pascal_case(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def data_layer_actions() -> set[str]:
    """IAM actions of every boto3 operation `self.client.<operation>` the data layer uses."""
    actions: set[str] = set()
    for source in sorted(DATA_LAYER.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        services = {
            CLIENT_SERVICES[node.annotation.id]
            for node in ast.walk(tree)
            if isinstance(node, ast.AnnAssign)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id in CLIENT_SERVICES
        }
        # Called or passed on: self.client.query(...) and self._page(self.client.scan, ...) alike.
        calls = {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "client"
        }
        assert len(services) <= 1 or not calls, f"{source.name}: one AWS client per module"
        for service in services:
            for call in calls:
                action = f"{service}:{pascal_case(call)}"
                actions.add(AUTHORIZED_AS.get(action, action))
    return actions


def granted_actions(module_name: str, document_names: set[str], service: str) -> set[str]:
    module = load_module(MODULES_DIR / module_name)
    return {
        action
        for document in module.resources_of_type("aws_iam_policy_document", kind="data")
        if document.name in document_names
        for statement in document.body["statement"]
        for action in statement["actions"]
        if action.startswith(f"{service}:")
    }


@pytest.mark.parametrize("entry", STATEMENTS, ids=STATEMENT_IDS)
def test_no_policy_statement_has_a_wildcard_action(entry: Statement) -> None:
    # Given a statement of a policy document
    _, _, statement = entry
    # When its actions are read
    actions = [*statement.get("actions", []), *statement.get("not_actions", [])]
    # Then each is one named action of one service, with no wildcard
    assert actions
    assert [
        action for action in actions if "*" in action or not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action)
    ] == []


@pytest.mark.parametrize("entry", STATEMENTS, ids=STATEMENT_IDS)
def test_only_unscopable_actions_are_granted_on_any_resource(entry: Statement) -> None:
    # Given a statement of a policy document
    module, document, statement = entry
    # When its resources include "*"
    if "*" in statement.get("resources", []):
        if (module.name, document.name) in key_policy_documents():
            # Then in a key policy, where "*" is the key itself, it names its principals
            assert statement["principals"]
        else:
            # Then elsewhere its actions are only those AWS cannot scope to a resource
            assert set(statement["actions"]) <= ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS
    # And no statement applies to everything but something (NotResource / NotAction)
    assert "not_resources" not in statement
    assert "not_actions" not in statement


def test_every_policy_is_written_as_a_policy_document() -> None:
    # Given every policy attribute of every resource
    policies = [
        (module.name, resource.type, resource.name, resource.body[attribute])
        for module in all_modules()
        for resource in module.resources
        if resource.kind == "resource"
        for attribute in ("policy", "assume_role_policy")
        if attribute in resource.body
    ]
    # When their values are read
    # Then each is the JSON of an aws_iam_policy_document, which the checks above read
    assert policies
    assert [
        entry
        for entry in policies
        if not re.fullmatch(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}", entry[3])
    ] == []


def test_no_role_has_a_managed_policy_attached() -> None:
    # Given every resource of the configuration
    attachments = [
        resource.type
        for module in all_modules()
        for resource in module.resources
        if resource.type in {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}
        or any("arn:aws:iam::aws:policy/" in text for text in strings_in(resource.body))
    ]
    # When attachments of AWS managed policies are looked for
    # Then there are none: managed policies grant "*" resources
    assert attachments == []


def test_the_functions_may_make_exactly_the_calls_the_data_layer_makes() -> None:
    # Given the DynamoDB, SQS and WebSocket management calls of the data layer
    called = data_layer_actions()
    # When they are compared with what the functions' roles grant (less the stream reads of a mapping)
    granted = {
        action
        for service in ("dynamodb", "sqs", "execute-api")
        for action in granted_actions("lambda", FUNCTION_ROLES, service)
    } - STREAM_READ_ACTIONS
    # Then every call is allowed and nothing else is
    assert {"dynamodb:BatchWriteItem", "sqs:SendMessage", "execute-api:ManageConnections"} <= called
    assert granted == called


def test_the_functions_post_only_to_their_own_stages_connections() -> None:
    # Given the statements that grant execute-api:ManageConnections
    resources = {
        resource
        for _, document, statement in STATEMENTS
        if "execute-api:ManageConnections" in statement.get("actions", [])
        for resource in statement["resources"]
    }
    # Then they name the WebSocket stage's @connections, POST only (PostToConnection)
    assert resources == {"${local.manage_connections_arn}"}
    assert load_module(MODULES_DIR / "lambda").locals["manage_connections_arn"] == (
        "${var.websocket_execution_arn}/${var.websocket_stage_name}/POST/@connections/*"
    )


def test_the_api_function_cannot_write() -> None:
    # Given the API function's DynamoDB permissions
    granted = granted_actions("lambda", {"api"}, "dynamodb")
    # When write actions are looked for
    writes = {action for action in granted if re.search(r"Put|Update|Delete|Write", action)}
    # Then there are none: it only reads
    assert granted
    assert writes == set()


def test_the_consumer_cannot_read_the_tables() -> None:
    # Given the consumer's DynamoDB permissions
    granted = granted_actions("lambda", {"consumer"}, "dynamodb")
    # When read actions are looked for
    reads = {action for action in granted if re.search(r"Get|Query|Scan", action)}
    # Then there are none: it only stores positions, and riders' reads are the API function's
    assert granted
    assert reads == set()


def test_data_layer_path_exists() -> None:
    # Given the data layer directory this check reads
    # When it is listed
    sources = list(Path(DATA_LAYER).glob("*.py"))
    # Then it holds modules, so the calls above were really found
    assert len(sources) > 1
