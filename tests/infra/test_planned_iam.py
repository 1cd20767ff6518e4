"""Least privilege, as each environment's plan grants it: named actions, scoped resources, and
exactly the calls the code makes, on exactly the resources it makes them on."""

import ast
import re
from pathlib import Path
from typing import Any

from infra.terraform_config import ENVIRONMENTS_DIR, PROJECT_ROOT, load_tfvars
from infra.terraform_plan import Plan, PlannedResource, Statement

DATA_LAYER = PROJECT_ROOT / "src" / "busgps" / "dal"
# The account plan.tftest.hcl stands in for.
ACCOUNT = "123456789012"

# AWS offers no resource-level permission for these: they only accept Resource "*".
ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}

# Batch calls that IAM authorizes as another action.
AUTHORIZED_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "execute-api:PostToConnection": "execute-api:ManageConnections",
}

# The boto3 client type names of the data layer, and the IAM service prefix of each.
CLIENT_SERVICES = {
    "DynamoDBClient": "dynamodb",
    "SQSClient": "sqs",
    "ApiGatewayManagementApiClient": "execute-api",
    "KinesisClient": "kinesis",
}

# What Lambda's event source mapping calls on a DynamoDB table's stream with the function's role.
DYNAMODB_STREAM_EVENT_SOURCE_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
FUNCTIONS = ("consumer", "api", "push", "websocket", "ingest")
# The services whose data-layer calls the table and queue functions make; the ingest
# function's Kinesis calls are checked by its own test.
DATA_LAYER_SERVICES = ("dynamodb", "sqs", "execute-api")

# What Lambda's event source mapping calls on a Kinesis stream with the function's role.
KINESIS_EVENT_SOURCE_ACTIONS = {
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
}
# And what it calls on the stream's consumer when it reads with enhanced fan-out.
KINESIS_ENHANCED_FAN_OUT_ACTIONS = {"kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"}


def pascal_case(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def data_layer_actions(sources: list[Path]) -> set[str]:
    """IAM actions of every boto3 operation `self.client.<operation>` the data layer uses."""
    actions: set[str] = set()
    for source in sources:
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


def one_setting(plan: Plan, key: str) -> Any:
    """A setting of the planned environment, from its tfvars file."""
    return load_tfvars(ENVIRONMENTS_DIR / f"{plan.environment}.tfvars")[key]


def role_of_function(plan: Plan, name: str) -> PlannedResource:
    function = plan.resources[f"module.lambda.aws_lambda_function.{name}"]
    (role,) = [role for role in plan.of_type("aws_iam_role") if role.values["arn"] == function.values["role"]]
    return role


def grants(statements: list[Statement], service: str) -> dict[str, frozenset[str]]:
    """action -> the resources it is allowed on, for one service's actions."""
    granted: dict[str, set[str]] = {}
    for statement in statements:
        for action in statement.actions:
            if action.startswith(f"{service}:"):
                granted.setdefault(action, set()).update(statement.resources)
    return {action: frozenset(resources) for action, resources in granted.items()}


def arns(plan: Plan, resource_type: str) -> frozenset[str]:
    return frozenset(resource.values["arn"] for resource in plan.of_type(resource_type))


def test_no_statement_has_a_wildcard_or_negated_action(plan: Plan) -> None:
    statements = [*(statement for _, statement in plan.statements()), *plan.policy(plan.only("aws_kms_key"))]
    for statement in statements:
        # Given a statement of a role policy or of the key policy
        # When its actions are read
        # Then each is one named action of one service, and none is granted on "everything but"
        assert statement.actions, statement.sid
        assert [
            action for action in statement.actions if not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action)
        ] == []
        assert not statement.negated, statement.sid
        assert statement.effect == "Allow", statement.sid


def test_only_actions_aws_cannot_scope_are_granted_on_any_resource(plan: Plan) -> None:
    for role_policy, statement in plan.statements():
        # Given a statement of a role's policy that names the resource "*"
        if "*" in statement.resources:
            # Then its actions are only those AWS accepts on no other resource
            assert statement.actions <= ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS, (
                role_policy.address,
                statement.sid,
            )


def test_no_role_has_a_managed_policy(plan: Plan) -> None:
    # Given the plan; when managed policy attachments are looked for
    attachments = [
        *plan.of_type("aws_iam_role_policy_attachment"),
        *plan.of_type("aws_iam_policy_attachment"),
    ]
    # Then there are none: AWS's managed policies grant "*" resources
    assert attachments == []
    assert [
        role.address for role in plan.of_type("aws_iam_role") if role.values.get("managed_policy_arns")
    ] == []


def test_the_functions_may_make_exactly_the_calls_the_data_layer_makes_on_the_projects_tables_and_queues(
    plan: Plan,
) -> None:
    # Given the DynamoDB, SQS and WebSocket management calls of the data layer, and what the
    # functions' roles grant (less what a table stream's event source mapping reads for one)
    called = {
        action
        for action in data_layer_actions(sorted(DATA_LAYER.glob("*.py")))
        if action.split(":")[0] in DATA_LAYER_SERVICES
    }
    statements = [statement for name in FUNCTIONS for statement in plan.granted(role_of_function(plan, name))]
    granted = {
        action: resources
        for service in DATA_LAYER_SERVICES
        for action, resources in grants(statements, service).items()
    }
    for action in DYNAMODB_STREAM_EVENT_SOURCE_ACTIONS:
        granted.pop(action, None)
    # When they are compared
    # Then every call is allowed and nothing else is, only on the environment's tables and queues
    assert {"dynamodb:BatchWriteItem", "sqs:SendMessage", "execute-api:ManageConnections"} <= called
    assert set(granted) == called
    tables, queues = arns(plan, "aws_dynamodb_table"), arns(plan, "aws_sqs_queue")
    assert [
        action
        for action, resources in granted.items()
        if action.startswith("dynamodb:") and not resources <= tables
    ] == []
    assert granted["sqs:SendMessage"] == queues


def test_the_push_and_websocket_functions_post_only_to_their_stages_connections(plan: Plan) -> None:
    # Given the WebSocket API and its stage
    api = plan.resources["module.api_gateway.aws_apigatewayv2_api.websocket"].values
    stage = plan.resources["module.api_gateway.aws_apigatewayv2_stage.websocket"].values
    connections = f"{api['execution_arn']}/{stage['name']}/POST/@connections/*"
    for name in FUNCTIONS:
        # When a function's management permissions are read
        granted = grants(plan.granted(role_of_function(plan, name)), "execute-api")
        # Then only the push and WebSocket functions may post, to their own stage's connections
        expected = (
            {"execute-api:ManageConnections": frozenset({connections})}
            if name in ("push", "websocket")
            else {}
        )
        assert granted == expected, name


def test_the_push_function_reads_the_stream_its_mapping_reads_and_no_other(plan: Plan) -> None:
    # Given the push function's permissions on table streams, and its event source mapping
    function = plan.resources["module.lambda.aws_lambda_function.push"].values
    (mapping,) = [
        resource.values
        for resource in plan.of_type("aws_lambda_event_source_mapping")
        if resource.values["function_name"] == function["arn"]
    ]
    granted = grants(plan.granted(role_of_function(plan, "push")), "dynamodb")
    # Then it may read the mapping's stream, and no table's items but the connections it forgets
    assert {action: granted[action] for action in DYNAMODB_STREAM_EVENT_SOURCE_ACTIONS} == {
        action: frozenset({mapping["event_source_arn"]}) for action in DYNAMODB_STREAM_EVENT_SOURCE_ACTIONS
    }
    connections = plan.resources["module.dynamodb.aws_dynamodb_table.connections"].values["arn"]
    assert {
        action: resources
        for action, resources in granted.items()
        if action not in DYNAMODB_STREAM_EVENT_SOURCE_ACTIONS
    } == {
        "dynamodb:DeleteItem": frozenset({connections}),
        "dynamodb:Scan": frozenset({connections}),
    }


def test_the_api_function_only_reads_and_the_consumer_reads_only_the_latest_fixes_by_key(plan: Plan) -> None:
    # Given each function's DynamoDB permissions
    api = grants(plan.granted(role_of_function(plan, "api")), "dynamodb")
    consumer = grants(plan.granted(role_of_function(plan, "consumer")), "dynamodb")
    latest = plan.resources["module.dynamodb.aws_dynamodb_table.latest"].values["arn"]
    # When write and read actions are looked for
    # Then the API function cannot write, and the consumer's only read gets each bus's latest fix by
    # key (for the noise filters): no Query or Scan, riders' reads are the API function's
    assert api
    assert consumer
    assert [action for action in api if re.search(r"Put|Update|Delete|Write", action)] == []
    reads = {
        action: resources for action, resources in consumer.items() if re.search(r"Get|Query|Scan", action)
    }
    assert reads == {"dynamodb:BatchGetItem": frozenset({latest})}
    assert grants(plan.granted(role_of_function(plan, "api")), "sqs") == {}


def test_the_consumer_reads_the_stream_its_mapping_reads_and_no_other(plan: Plan) -> None:
    # Given the consumer's Kinesis permissions and its event source mapping
    granted = grants(plan.granted(role_of_function(plan, "consumer")), "kinesis")
    consumer = plan.resources["module.lambda.aws_lambda_function.consumer"].values
    (mapping,) = [
        resource.values
        for resource in plan.of_type("aws_lambda_event_source_mapping")
        if resource.values["function_name"] == consumer["arn"]
    ]
    stream = plan.only("aws_kinesis_stream").values["arn"]
    consumers = [resource.values["arn"] for resource in plan.of_type("aws_kinesis_stream_consumer")]
    # When they are compared
    # Then the role allows what Lambda calls to read the stream, on the mapping's stream only, and
    # with enhanced fan-out what it calls on the stream consumer the mapping reads through, on it only
    expected = {action: frozenset({stream}) for action in KINESIS_EVENT_SOURCE_ACTIONS}
    if consumers:
        assert consumers == [mapping["event_source_arn"]]
        expected |= {action: frozenset(consumers) for action in KINESIS_ENHANCED_FAN_OUT_ACTIONS}
    else:
        assert mapping["event_source_arn"] == stream
    assert granted == expected


def test_the_ingest_function_may_only_write_the_stream_as_the_data_layer_does(plan: Plan) -> None:
    # Given the Kinesis calls of the data layer (busgps.dal.stream) and the ingest function's role
    called = {
        action
        for action in data_layer_actions(sorted(DATA_LAYER.glob("*.py")))
        if action.startswith("kinesis:")
    }
    statements = plan.granted(role_of_function(plan, "ingest"))
    stream = plan.only("aws_kinesis_stream").values["arn"]
    key = plan.only("aws_kms_key").values["arn"]
    traced = one_setting(plan, "trace_ingest_and_consumer")
    # When its grants are read, service by service
    services = {action.split(":")[0] for statement in statements for action in statement.actions}
    # Then it may make exactly those calls, on the environment's stream only; get a data key of the
    # stream's key and decrypt its environment with it; write its logs; and send traces only where
    # the environment traces it. Nothing of DynamoDB or SQS.
    assert called == {"kinesis:PutRecord", "kinesis:PutRecords"}
    assert grants(statements, "kinesis") == {action: frozenset({stream}) for action in called}
    assert grants(statements, "kms") == {
        action: frozenset({key}) for action in ("kms:Decrypt", "kms:GenerateDataKey")
    }
    assert services == {"kinesis", "kms", "logs", *(["xray"] if traced else [])}


def test_only_traced_functions_may_send_traces(plan: Plan) -> None:
    traced = one_setting(plan, "trace_ingest_and_consumer")
    for name in ("consumer", "ingest", "api"):
        # Given a function and its tracing
        function = plan.resources[f"module.lambda.aws_lambda_function.{name}"].values
        active = function["tracing_config"][0]["mode"] == "Active"
        # Then the API function is traced, the two others as the environment says, and a role may send
        # traces exactly when its function is traced
        assert active == (True if name == "api" else traced), name
        assert bool(grants(plan.granted(role_of_function(plan, name)), "xray")) == active, name


def test_each_function_uses_the_key_and_writes_its_own_log_group_only(plan: Plan) -> None:
    key = plan.only("aws_kms_key").values["arn"]
    for name in FUNCTIONS:
        # Given a function's role
        statements = plan.granted(role_of_function(plan, name))
        # When its KMS and log permissions are read
        log_group = plan.resources[f"module.lambda.aws_cloudwatch_log_group.{name}"].values["arn"]
        # Then it may decrypt with the environment's key (the consumer and the ingest function also
        # encrypt, for the queues and the stream), and write log events to its own log group only
        encrypts = name in ("consumer", "ingest")
        expected_kms = {"kms:Decrypt", "kms:GenerateDataKey"} if encrypts else {"kms:Decrypt"}
        assert grants(statements, "kms") == {action: frozenset({key}) for action in expected_kms}
        assert grants(statements, "logs") == {
            action: frozenset({f"{log_group}:*"}) for action in ("logs:CreateLogStream", "logs:PutLogEvents")
        }


def test_the_key_policy_lets_the_account_administer_and_services_use_it_only_for_this_project(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned key and what is encrypted with it on a service's own behalf
    key = plan.only("aws_kms_key")
    statements = plan.policy(key)
    log_groups = plan.of_type("aws_cloudwatch_log_group")
    # When the key policy's principals and conditions are read
    by_principal = {
        principal: statement
        for statement in statements
        for ids in statement.principals.values()
        for principal in ids
    }
    # Then rotation is on and exactly three principals are named: the account, which administers
    # the key through IAM; CloudWatch Logs of the environment's region, for this account's log
    # groups only (every log group is encrypted with the key); and CloudWatch, which publishes
    # alarms to the encrypted topic
    logs_service = f"logs.{settings['aws_region']}.amazonaws.com"
    assert key.values["enable_key_rotation"] is True
    assert set(by_principal) == {f"arn:aws:iam::{ACCOUNT}:root", logs_service, "cloudwatch.amazonaws.com"}
    assert {group.values["kms_key_id"] for group in log_groups} == {key.values["arn"]}
    assert by_principal[logs_service].conditions == {
        (
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            frozenset({f"arn:aws:logs:{settings['aws_region']}:{ACCOUNT}:log-group:*"}),
        )
    }
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= by_principal[logs_service].actions
    assert plan.only("aws_sns_topic").values["kms_master_key_id"] == key.values["arn"]
    assert by_principal["cloudwatch.amazonaws.com"].actions == {"kms:Decrypt", "kms:GenerateDataKey"}
