"""What each service module must set up, as the Terraform issue lists it, read from the parsed HCL.

checkov covers encryption, tracing and access logging in general; these check the rest: the
settings the project chose and the wiring between the modules and the code.
"""

import re
from decimal import Decimal
from typing import Any

from busgps.dal.items import ItemLayout
from busgps.models.position import Position
from infra.terraform_config import (
    MODULES_DIR,
    TERRAFORM_DIR,
    TerraformModule,
    all_modules,
    load_hcl,
    load_module,
    root_module,
    without_markers,
)


def only(module: TerraformModule, resource_type: str) -> dict[str, Any]:
    """The body of the module's one resource of this type."""
    bodies = [resource.body for resource in module.resources_of_type(resource_type)]
    assert len(bodies) == 1, f"{module.name}: {len(bodies)} {resource_type}"
    return bodies[0]


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested block that occurs once, without python-hcl2's markers."""
    blocks = body[name]
    assert len(blocks) == 1, name
    return without_markers(blocks[0])


def by_name(module: TerraformModule, resource_type: str) -> dict[str, dict[str, Any]]:
    return {resource.name: resource.body for resource in module.resources_of_type(resource_type)}


# ---- root: tags and outputs ------------------------------------------------------------------


def test_every_resource_is_tagged_with_project_and_environment() -> None:
    # Given the AWS provider of the root module
    provider = load_hcl(TERRAFORM_DIR / "providers.tf")["provider"][0]["aws"]
    # When its default tags are read
    tags = block(provider, "default_tags")["tags"]
    # Then every resource gets the project's name and its environment
    assert 'Project = "busgps"' in tags
    assert "Environment = var.environment" in tags


def test_root_outputs_give_clients_and_operators_what_they_need() -> None:
    # Given the root module's outputs
    outputs = root_module().outputs
    # When their values are read
    values = {name: body["value"] for name, body in outputs.items() if name in REQUIRED_OUTPUTS}
    # Then the POST and GET URLs (the legacy clients' included) are there, and the ids, names and
    # queue URLs come from the modules that create them (test_openapi_template checks the routes)
    assert values == REQUIRED_OUTPUTS


REQUIRED_OUTPUTS = {
    "api_base_url": "${local.api_base_url}",
    "post_gps_url": "${local.api_base_url}/post-gps",
    "post_positions_url": "${local.api_base_url}/v1/positions",
    "get_gps_url": "${local.api_base_url}/get-gps",
    "get_buses_url": "${local.api_base_url}/v1/buses",
    "user_pool_id": "${module.cognito.user_pool_id}",
    "app_client_id": "${module.cognito.app_client_id}",
    "stream_name": "${module.kinesis.stream_name}",
    "latest_table_name": "${module.dynamodb.latest_table_name}",
    "history_table_name": "${module.dynamodb.history_table_name}",
    "invalid_records_queue_url": "${module.sqs.invalid_records_queue_url}",
    "consumer_failure_queue_url": "${module.sqs.consumer_failure_queue_url}",
}


# ---- API Gateway -----------------------------------------------------------------------------

API_GATEWAY = load_module(MODULES_DIR / "api_gateway")


def test_the_rest_api_is_the_rendered_document_and_any_change_of_it_redeploys() -> None:
    # Given the REST API and its deployment
    rest_api = only(API_GATEWAY, "aws_api_gateway_rest_api")
    deployment = only(API_GATEWAY, "aws_api_gateway_deployment")
    # When their body and triggers are read
    # Then the body is api/openapi.yaml rendered by templatefile, and the deployment is replaced
    # whenever the rendered text changes (a new one before the old one goes)
    assert API_GATEWAY.locals["openapi_body"].startswith("${templatefile(var.openapi_template_path,")
    assert rest_api["body"] == "${local.openapi_body}"
    assert without_markers(deployment["triggers"]) == {"redeployment": "${sha1(local.openapi_body)}"}
    assert block(deployment, "lifecycle")["create_before_destroy"] is True
    assert root_module().module_calls["api_gateway"].arguments["openapi_template_path"] == (
        "${path.root}/../api/openapi.yaml"
    )


def test_the_stage_logs_traces_and_throttles_as_the_environment_says() -> None:
    # Given the stage and its method settings
    stage = only(API_GATEWAY, "aws_api_gateway_stage")
    settings = block(only(API_GATEWAY, "aws_api_gateway_method_settings"), "settings")
    # When their logging, tracing and throttling are read
    access_log = block(stage, "access_log_settings")
    # Then access logs are JSON lines in their log group, X-Ray is on, and every method has the
    # execution logging level, metrics and throttling the module is given
    assert access_log["destination_arn"] == "${aws_cloudwatch_log_group.access.arn}"
    assert access_log["format"].startswith("${jsonencode({requestId = ")
    assert stage["xray_tracing_enabled"] is True
    assert only(API_GATEWAY, "aws_api_gateway_method_settings")["method_path"] == "*/*"
    assert settings["logging_level"] == "${var.logging_level}"
    assert settings["metrics_enabled"] is True
    assert settings["throttling_rate_limit"] == "${var.throttling_rate_limit}"
    assert settings["throttling_burst_limit"] == "${var.throttling_burst_limit}"
    arguments = root_module().module_calls["api_gateway"].arguments
    assert arguments["throttling_rate_limit"] == "${var.api_throttling_rate_limit}"
    assert arguments["throttling_burst_limit"] == "${var.api_throttling_burst_limit}"


def test_the_account_level_cloudwatch_role_is_included() -> None:
    # Given the API Gateway account resource
    account = only(API_GATEWAY, "aws_api_gateway_account")
    # When its role is read
    # Then it is the module's own logging role
    assert account["cloudwatch_role_arn"] == "${aws_iam_role.cloudwatch[0].arn}"


# ---- Kinesis, DynamoDB, SQS ------------------------------------------------------------------


def test_the_stream_takes_its_mode_retention_and_key_from_the_settings() -> None:
    # Given the stream
    stream = only(load_module(MODULES_DIR / "kinesis"), "aws_kinesis_stream")
    # When its capacity, retention and encryption are read
    # Then the mode is the environment's, shards count only when provisioned, and a KMS key encrypts it
    assert block(stream, "stream_mode_details")["stream_mode"] == "${var.stream_mode}"
    assert stream["shard_count"] == '${var.stream_mode == "PROVISIONED" ? var.shard_count : null}'
    assert stream["retention_period"] == "${var.retention_hours}"
    assert (stream["encryption_type"], stream["kms_key_id"]) == ("KMS", "${var.kms_key_arn}")


def _dynamodb_type(serialized: dict[str, Any]) -> str:
    (type_name,) = serialized
    return str(type_name)


def test_table_keys_are_those_of_the_items_the_data_layer_writes() -> None:
    # Given an item as busgps.dal writes it to either table
    position = Position("17", 1_700_000_000_000, Decimal("1.5"), Decimal("2.5"), 1_700_000_000_100, "1")
    item = ItemLayout(ttl_field_name="expirationTime", ttl_seconds=3600).to_item(position)
    tables = by_name(load_module(MODULES_DIR / "dynamodb"), "aws_dynamodb_table")
    for name, keys in {"latest": ["busId"], "history": ["busId", "positionTimeMs"]}.items():
        table = tables[name]
        # When the table's keys and attribute types are read
        declared = {attribute["name"]: attribute["type"] for attribute in table["attribute"]}
        key_names = [table["hash_key"], *([table["range_key"]] if "range_key" in table else [])]
        # Then they are the item's keys, with the types the item carries
        assert key_names == keys, name
        assert declared == {key: _dynamodb_type(item[key]) for key in keys}, name


def test_tables_expire_protect_recover_and_encrypt_as_required() -> None:
    for name, table in by_name(load_module(MODULES_DIR / "dynamodb"), "aws_dynamodb_table").items():
        # Given a table; when its TTL, billing, recovery, encryption and protection are read
        # Then TTL is on the settings' field, billing is the setting's, and the rest is always on
        assert block(table, "ttl") == {"attribute_name": "${var.ttl_field_name}", "enabled": True}, name
        assert table["billing_mode"] == "${var.billing_mode}", name
        assert table["read_capacity"] == "${local.provisioned ? var.read_capacity : null}", name
        assert block(table, "point_in_time_recovery") == {"enabled": True}, name
        assert block(table, "server_side_encryption") == {
            "enabled": True,
            "kms_key_arn": "${var.kms_key_arn}",
        }, name
        assert table["deletion_protection_enabled"] == "${var.deletion_protection}", name
    arguments = root_module().module_calls["dynamodb"].arguments
    assert arguments["ttl_field_name"] == "${var.ttl_field_name}"


def test_both_queues_keep_messages_fourteen_days_encrypted() -> None:
    # Given the SQS module
    sqs = load_module(MODULES_DIR / "sqs")
    queues = by_name(sqs, "aws_sqs_queue")
    # When each queue's retention and key are read
    # Then there are the two queues, each keeping a message the longest SQS allows, with the KMS key
    assert set(queues) == {"invalid_records", "consumer_failures"}
    assert sqs.locals["fourteen_days_in_seconds"] == 14 * 24 * 3600
    for name, queue in queues.items():
        assert queue["message_retention_seconds"] == "${local.fourteen_days_in_seconds}", name
        assert queue["kms_master_key_id"] == "${var.kms_key_arn}", name


# ---- Cognito, Route 53 -----------------------------------------------------------------------

COGNITO = load_module(MODULES_DIR / "cognito")


def test_only_administrators_create_device_users_under_a_password_policy() -> None:
    # Given the user pool
    pool = only(COGNITO, "aws_cognito_user_pool")
    # When its sign-up and password rules are read
    policy = block(pool, "password_policy")
    # Then devices cannot sign themselves up, and passwords need every character class
    assert block(pool, "admin_create_user_config") == {"allow_admin_create_user_only": True}
    assert all(policy[f"require_{kind}"] is True for kind in ("lowercase", "uppercase", "numbers", "symbols"))
    assert policy["minimum_length"] == "${var.password_minimum_length}"


def test_the_app_client_signs_in_with_passwords_srp_and_refresh_tokens_of_set_validity() -> None:
    # Given the app client
    client = only(COGNITO, "aws_cognito_user_pool_client")
    # When its flows and token validity are read
    # Then it allows exactly the three flows, and every token's validity is set with its unit
    assert sorted(client["explicit_auth_flows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["generate_secret"] is False
    for token in ("id_token", "access_token", "refresh_token"):
        assert client[f"{token}_validity"].startswith(f"${{var.{token}_validity_"), token
    assert set(block(client, "token_validity_units")) == {"id_token", "access_token", "refresh_token"}


def test_the_hosted_ui_domain_exists_only_when_a_prefix_is_given() -> None:
    # Given the user pool domain; when its count is read; then an empty prefix means none
    domain = only(COGNITO, "aws_cognito_user_pool_domain")
    assert domain["count"] == '${var.hosted_ui_domain_prefix != "" ? 1 : 0}'


def test_the_custom_domain_is_a_rest_api_domain_with_a_dns_validated_certificate() -> None:
    # Given the route53 module
    route53 = load_module(MODULES_DIR / "route53")
    # When its resources are read
    certificate = only(route53, "aws_acm_certificate")
    domain = only(route53, "aws_api_gateway_domain_name")
    mapping = only(route53, "aws_api_gateway_base_path_mapping")
    records = by_name(route53, "aws_route53_record")
    # Then the certificate is validated through DNS, the REST API (v1) domain uses the validated
    # certificate, a base path mapping points it at the stage, and an alias record at the domain
    assert certificate["validation_method"] == "DNS"
    assert only(route53, "aws_acm_certificate_validation")["validation_record_fqdns"] == (
        "${[for record in aws_route53_record.certificate_validation : record.fqdn]}"
    )
    assert domain["regional_certificate_arn"] == "${aws_acm_certificate_validation.api.certificate_arn}"
    assert (mapping["api_id"], mapping["stage_name"]) == ("${var.rest_api_id}", "${var.stage_name}")
    alias = block(records["api"], "alias")
    assert alias["name"] == "${aws_api_gateway_domain_name.api.regional_domain_name}"


def test_api_gateway_v2_serves_only_the_websocket_api() -> None:
    # Given every API of API Gateway v2 (the only kind that speaks WebSocket)
    apis = [
        (module.name, resource.body.get("protocol_type"))
        for module in all_modules()
        for resource in module.resources_of_type("aws_apigatewayv2_api")
    ]
    # Then there is the one WebSocket API, in the api_gateway module, and no HTTP API beside the REST API
    assert apis == [("api_gateway", "WEBSOCKET")]


# ---- Monitoring ------------------------------------------------------------------------------

MONITORING = load_module(MODULES_DIR / "monitoring")


def _alarms() -> dict[str, dict[str, Any]]:
    return by_name(MONITORING, "aws_cloudwatch_metric_alarm")


def test_there_is_an_alarm_on_each_failure_the_issue_names() -> None:
    # Given the monitoring module's alarms
    alarms = _alarms()
    # When their metrics are read
    metrics = {name: (alarm["namespace"], alarm["metric_name"]) for name, alarm in alarms.items()}
    # Then iterator age, queue depth, function errors and throttles, API 5XX and latency are watched
    assert metrics == {
        "iterator_age": ("AWS/Lambda", "IteratorAge"),
        "queue_not_empty": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        "function_errors": ("AWS/Lambda", "Errors"),
        "function_throttles": ("AWS/Lambda", "Throttles"),
        "api_5xx": ("AWS/ApiGateway", "5XXError"),
        "api_latency": ("AWS/ApiGateway", "Latency"),
    }


def test_any_message_in_either_queue_raises_the_alarm() -> None:
    # Given the queue alarm; when its threshold and targets are read
    alarm = _alarms()["queue_not_empty"]
    # Then one message in either queue is enough
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["for_each"] == "${local.queues}"
    assert set(MONITORING.locals["queues"].values()) == {
        "${var.invalid_records_queue_name}",
        "${var.consumer_failure_queue_name}",
    }


def test_function_alarms_cover_every_function_and_every_alarm_notifies_the_topic() -> None:
    # Given the alarms
    alarms = _alarms()
    # When their functions and actions are read
    # Then errors and throttles are watched on both functions, and each alarm notifies the topic
    assert set(MONITORING.locals["functions"].values()) == {
        "${var.consumer_function_name}",
        "${var.api_function_name}",
        "${var.push_function_name}",
        "${var.websocket_function_name}",
    }
    assert (
        alarms["function_errors"]["for_each"]
        == alarms["function_throttles"]["for_each"]
        == ("${local.functions}")
    )
    assert MONITORING.locals["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]
    assert {name: alarm["alarm_actions"] for name, alarm in alarms.items()} == {
        name: "${local.alarm_actions}" for name in alarms
    }
    assert re.fullmatch(r"\$\{var\.\w+\}", str(alarms["iterator_age"]["threshold"]))
