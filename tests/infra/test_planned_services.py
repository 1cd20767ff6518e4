"""What each environment's plan creates, service by service, against its settings and the code.

Every check reads the plan of terraform/tests/plan.tftest.hcl (the real AWS provider): the values
Terraform would send to AWS, not the HCL that computes them.
"""

import hashlib
import importlib
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from busgps.cost.model import ALARMS
from busgps.dal.connections import DynamoConnectionStore, connections_key_schema
from busgps.dal.history import DynamoHistoryStore
from busgps.dal.history import key_schema as history_key_schema
from busgps.dal.items import ItemLayout, latest_key_schema
from busgps.local.stack import CONSUMER_HANDLER, PUSH_HANDLER
from busgps.models.position import Position
from busgps.packaging import zip_name
from busgps.settings import (
    ApiSettings,
    ConnectionSettings,
    ConsumerSettings,
    IngestSettings,
    TableSettings,
    WebSocketSettings,
)
from infra.conftest import production_warnings
from infra.terraform_plan import Plan, PlannedResource

FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 3600
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
SETTINGS_OF_FUNCTION: dict[str, type[BaseModel]] = {
    "consumer": ConsumerSettings,
    "api": ApiSettings,
    "push": ConnectionSettings,
    "websocket": WebSocketSettings,
    "ingest": IngestSettings,
}


def one(values: dict[str, Any], block: str) -> dict[str, Any]:
    """A nested block that occurs once, as the plan lists it."""
    blocks = values[block]
    assert len(blocks) == 1, block
    found: dict[str, Any] = blocks[0]
    return found


def key_arn(plan: Plan) -> str:
    arn: str = plan.only("aws_kms_key").values["arn"]
    return arn


def function(plan: Plan, name: str) -> PlannedResource:
    return plan.resources[f"module.lambda.aws_lambda_function.{name}"]


def mapping_of(plan: Plan, name: str) -> dict[str, Any]:
    """The planned event source mapping that feeds function `name`."""
    arn = function(plan, name).values["arn"]
    (mapping,) = [
        resource.values
        for resource in plan.of_type("aws_lambda_event_source_mapping")
        if resource.values["function_name"] == arn
    ]
    return mapping


class _ItemRecorder:
    """A DynamoDB client that keeps the items it is asked to put."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_item(self, **request: Any) -> None:
        self.items.append(request["Item"])


# ---- Kinesis ---------------------------------------------------------------------------------


def test_the_stream_has_the_environments_mode_shards_retention_and_key(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given an environment's plan
    # When its stream is read
    stream = plan.only("aws_kinesis_stream").values
    # Then it is named, sized and kept as its settings say, and encrypted with the environment's key
    provisioned = settings["kinesis_stream_mode"] == "PROVISIONED"
    assert stream["name"] == settings["stream_name"]
    assert one(stream, "stream_mode_details")["stream_mode"] == settings["kinesis_stream_mode"]
    assert stream["shard_count"] == (settings["kinesis_shard_count"] if provisioned else None)
    assert stream["retention_period"] == settings["kinesis_retention_hours"]
    assert (stream["encryption_type"], stream["kms_key_id"]) == ("KMS", key_arn(plan))


# ---- DynamoDB --------------------------------------------------------------------------------


def _dynamodb_type(serialized: dict[str, Any]) -> str:
    (type_name,) = serialized
    return str(type_name)


def test_table_keys_are_those_the_data_layer_creates_and_writes(plan: Plan, settings: dict[str, Any]) -> None:
    # Given the key schemas the data layer declares (the emulator and the tests create tables from
    # them), and an item of each table as the data layer writes it
    position = Position("17", 1_700_000_000_000, Decimal("1.5"), Decimal("2.5"), 1_700_000_000_100, "1")
    layout = ItemLayout(ttl_field_name=settings["ttl_field_name"], ttl_seconds=settings["ttl_seconds"])
    history_store = DynamoHistoryStore(
        None, "history", settings["ttl_field_name"], retention_days=settings["history_retention_days"]
    )
    history_items = [planned.item for planned in history_store._items([position])]
    recorder = _ItemRecorder()
    DynamoConnectionStore(recorder, "connections", settings["ttl_field_name"]).add("L0SM9cOFvHcCIhw=", 1)
    tables = {table.values["name"]: table.values for table in plan.of_type("aws_dynamodb_table")}
    expected = {
        settings["latest_table_name"]: (latest_key_schema(), [layout.to_item(position)]),
        settings["history_table_name"]: (history_key_schema(), history_items),
        settings["connections_table_name"]: (connections_key_schema(), recorder.items),
    }
    assert set(tables) == set(expected)
    for name, ((key_schema, attributes), items) in expected.items():
        # When the planned table's keys and attribute types are read
        table = tables[name]
        declared = {attribute["name"]: attribute["type"] for attribute in table["attribute"]}
        key_names = [table["hash_key"], *([table["range_key"]] if table.get("range_key") else [])]
        # Then they are the data layer's, and every item it writes carries them with those types
        assert key_names == [key["AttributeName"] for key in key_schema], name
        assert declared == {
            attribute["AttributeName"]: attribute["AttributeType"] for attribute in attributes
        }
        for item in items:
            assert {key: _dynamodb_type(item[key]) for key in key_names} == declared, name


def test_tables_expire_on_the_settings_field_recover_and_are_protected_in_production(
    plan: Plan, settings: dict[str, Any]
) -> None:
    for table in plan.of_type("aws_dynamodb_table"):
        values = table.values
        # Given a table; when its TTL, recovery, encryption, billing and protection are read
        # Then TTL is on the field the functions write, recovery and the key are always on, billing
        # is the setting's, and only production refuses deletion
        assert one(values, "ttl") == {"attribute_name": settings["ttl_field_name"], "enabled": True}
        assert one(values, "point_in_time_recovery")["enabled"] is True
        assert one(values, "server_side_encryption") == {"enabled": True, "kms_key_arn": key_arn(plan)}
        assert values["billing_mode"] == settings["dynamodb_billing_mode"]
        assert values["deletion_protection_enabled"] is (plan.environment == "production")


def test_provisioned_tables_have_the_capacity_the_settings_give_each(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned tables, by the settings key of their name
    tables = {table.values["name"]: table.values for table in plan.of_type("aws_dynamodb_table")}
    # When their capacity is read
    for kind in ("latest", "history", "connections"):
        values = tables[settings[f"{kind}_table_name"]]
        capacity = (values.get("read_capacity"), values.get("write_capacity"))
        # Then a provisioned table has its own read and write units from dynamodb_capacity, and an
        # on-demand one none
        if settings["dynamodb_billing_mode"] == "PROVISIONED":
            wanted = settings["dynamodb_capacity"][kind]
            assert capacity == (wanted["read"], wanted["write"])
        else:
            assert capacity in ((None, None), (0, 0))


def test_provisioned_capacity_scales_from_each_tables_units_keeping_use_near_70_percent(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned scalable targets and their policies
    targets = {
        (target.values["resource_id"], target.values["scalable_dimension"]): target.values
        for target in plan.of_type("aws_appautoscaling_target")
    }
    policies = [policy.values for policy in plan.of_type("aws_appautoscaling_policy")]
    # When the environment's tables are provisioned
    if settings["dynamodb_billing_mode"] != "PROVISIONED":
        # Then (on demand) nothing scales
        assert (targets, policies) == ({}, [])
        return
    # Then each table's reads and writes scale from its own units up to four times them
    for kind in ("latest", "history", "connections"):
        table = f"table/{settings[f'{kind}_table_name']}"
        for unit, dimension in (("read", "ReadCapacityUnits"), ("write", "WriteCapacityUnits")):
            target = targets[(table, f"dynamodb:table:{dimension}")]
            floor = settings["dynamodb_capacity"][kind][unit]
            assert (target["min_capacity"], target["max_capacity"]) == (floor, 4 * floor)
    # And each is tracked at 70 % use of its units
    assert len(policies) == len(targets) == 6
    for policy in policies:
        assert (policy["resource_id"], policy["scalable_dimension"]) in targets
        tracking = one(policy, "target_tracking_scaling_policy_configuration")
        assert tracking["target_value"] == 70
        metric = one(tracking, "predefined_metric_specification")["predefined_metric_type"]
        assert (
            metric
            == f"DynamoDB{'Read' if 'Read' in policy['scalable_dimension'] else 'Write'}CapacityUtilization"
        )


# ---- SQS -------------------------------------------------------------------------------------


def test_both_queues_keep_messages_fourteen_days_encrypted(plan: Plan, settings: dict[str, Any]) -> None:
    # Given the planned queues
    queues = {queue.values["name"]: queue.values for queue in plan.of_type("aws_sqs_queue")}
    # When their names, retention and key are read
    # Then they are the two queues of the settings, each keeping a message the longest SQS allows
    assert set(queues) == {settings["invalid_records_queue_name"], settings["consumer_failure_queue_name"]}
    for name, queue in queues.items():
        assert queue["message_retention_seconds"] == FOURTEEN_DAYS_IN_SECONDS, name
        assert queue["kms_master_key_id"] == key_arn(plan), name


# ---- Lambda ----------------------------------------------------------------------------------


def test_the_event_source_mapping_takes_every_setting_from_the_settings_file(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the consumer's planned event source mapping
    mapping = mapping_of(plan, "consumer")
    # When its batching, retry and failure settings are read
    # Then each is its own settings key, failures are reported per record, exhausted batches go to
    # the consumer-failure queue, and it reads the stream into the consumer
    assert {
        "batch_size": mapping["batch_size"],
        "maximum_batching_window_in_seconds": mapping["maximum_batching_window_in_seconds"],
        "parallelization_factor": mapping["parallelization_factor"],
        "starting_position": mapping["starting_position"],
        "bisect_batch_on_function_error": mapping["bisect_batch_on_function_error"],
        "maximum_retry_attempts": mapping["maximum_retry_attempts"],
        "maximum_record_age_in_seconds": mapping["maximum_record_age_in_seconds"],
    } == {
        "batch_size": settings["consumer_batch_size"],
        "maximum_batching_window_in_seconds": settings["consumer_batching_window_seconds"],
        "parallelization_factor": settings["consumer_parallelization_factor"],
        "starting_position": settings["consumer_starting_position"],
        "bisect_batch_on_function_error": settings["consumer_bisect_batch_on_function_error"],
        "maximum_retry_attempts": settings["consumer_maximum_retry_attempts"],
        "maximum_record_age_in_seconds": settings["consumer_maximum_record_age_seconds"],
    }
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    failures_queue = next(
        queue
        for queue in plan.of_type("aws_sqs_queue")
        if queue.values["name"] == settings["consumer_failure_queue_name"]
    )
    assert (
        one(one(mapping, "destination_config"), "on_failure")["destination_arn"]
        == failures_queue.values["arn"]
    )
    assert mapping["function_name"] == function(plan, "consumer").values["arn"]


def test_the_consumer_reads_through_an_enhanced_fan_out_consumer_exactly_when_the_settings_say(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the consumer's planned event source mapping, the stream and its stream consumers
    mapping = mapping_of(plan, "consumer")
    stream = plan.only("aws_kinesis_stream").values
    consumers = [resource.values for resource in plan.of_type("aws_kinesis_stream_consumer")]
    # When the setting is on
    if settings["consumer_enhanced_fan_out"]:
        # Then one consumer of the stream is registered, named after the environment, and the mapping
        # reads through it (Kinesis pushes the records to it)
        (consumer,) = consumers
        assert consumer["stream_arn"] == stream["arn"]
        assert consumer["name"] == f"busgps-{settings['environment']}-consumer"
        assert mapping["event_source_arn"] == consumer["arn"]
    # When it is off
    else:
        # Then there is no stream consumer and the mapping polls the stream itself
        assert consumers == []
        assert mapping["event_source_arn"] == stream["arn"]


def test_the_push_function_reads_the_latest_positions_stream_with_its_own_settings(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the push function's planned event source mapping
    mapping = mapping_of(plan, "push")
    latest = next(
        table.values
        for table in plan.of_type("aws_dynamodb_table")
        if table.values["name"] == settings["latest_table_name"]
    )
    # When its source and settings are read
    # Then it reads the latest-position table's stream of new images from the newest change on, each
    # setting from its own key, never halved and with no failure queue (the positions are stored)
    assert (latest["stream_enabled"], latest["stream_view_type"]) == (True, "NEW_IMAGE")
    assert mapping["event_source_arn"] == latest["stream_arn"]
    assert mapping["starting_position"] == "LATEST"
    assert {
        "batch_size": mapping["batch_size"],
        "maximum_batching_window_in_seconds": mapping["maximum_batching_window_in_seconds"],
        "maximum_retry_attempts": mapping["maximum_retry_attempts"],
        "maximum_record_age_in_seconds": mapping["maximum_record_age_in_seconds"],
    } == {
        "batch_size": settings["push_batch_size"],
        "maximum_batching_window_in_seconds": settings["push_batching_window_seconds"],
        "maximum_retry_attempts": settings["push_maximum_retry_attempts"],
        "maximum_record_age_in_seconds": settings["push_maximum_record_age_seconds"],
    }
    assert mapping["bisect_batch_on_function_error"] is False
    assert mapping.get("destination_config") in (None, [])
    assert function(plan, "push").values["handler"] == PUSH_HANDLER


def test_the_functions_run_the_handlers_of_the_zip_make_package_builds(
    plan: Plan, settings: dict[str, Any]
) -> None:
    for name in SETTINGS_OF_FUNCTION:
        values = function(plan, name).values
        # Given a planned function; when its handler, runtime and package are read
        module_name, _, attribute = values["handler"].rpartition(".")
        # Then the handler imports as Lambda would import it, on Python 3.12, from the zip of the
        # environment's architecture, sized and timed as its settings say, traced as they say (those
        # serving readers always), with its environment variables encrypted by the environment's key
        assert callable(getattr(importlib.import_module(module_name), attribute)), name
        assert values["handler"] == f"busgps.handlers.{name}.lambda_handler"
        assert values["runtime"] == "python3.12"
        assert values["architectures"] == [settings["lambda_architecture"]]
        assert values["filename"] == f"../dist/{zip_name(settings['lambda_architecture'])}"
        memory = settings["ingest_memory_mb" if name == "ingest" else "lambda_memory_mb"]
        assert (values["memory_size"], values["timeout"]) == (memory, settings["lambda_timeout_seconds"])
        traced = name not in ("consumer", "ingest") or settings["trace_ingest_and_consumer"]
        assert one(values, "tracing_config")["mode"] == ("Active" if traced else "PassThrough")
        assert values["kms_key_arn"] == key_arn(plan)


def test_the_ingest_function_logs_json_without_lambdas_lines_per_request(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned ingest function, invoked once for each of the devices' requests
    values = function(plan, "ingest").values
    log_group = plan.resources["module.lambda.aws_cloudwatch_log_group.ingest"].values
    # When its logging configuration is read
    logging = one(values, "logging_config")
    # Then it logs JSON to its own log group at the environment's level, and Lambda's own START, END
    # and REPORT lines (three a request) are not written
    assert logging["log_format"] == "JSON"
    assert logging["log_group"] == log_group["name"]
    assert logging["system_log_level"] == "WARN"
    assert logging["application_log_level"] == ("INFO" if plan.environment == "production" else "DEBUG")
    assert log_group["retention_in_days"] == settings["log_retention_days"]


def test_the_local_stack_runs_the_consumer_terraform_deploys(plans: dict[tuple[str, str], Plan]) -> None:
    # Given the consumer handler of the production plan; then the local stack runs that very one
    assert function(plans[("production", "plan")], "consumer").values["handler"] == CONSUMER_HANDLER


def test_each_function_gets_exactly_the_settings_its_code_reads(plan: Plan, settings: dict[str, Any]) -> None:
    for name, model in SETTINGS_OF_FUNCTION.items():
        # Given the environment variables a planned function gets
        variables = one(function(plan, name).values, "environment")["variables"]
        # When they are compared with what its settings model reads, and Powertools'
        read = {field.alias or field_name for field_name, field in model.model_fields.items()}
        # Then every variable read is set, nothing else is, and the values are the environment's
        assert set(variables) == read | POWERTOOLS_VARIABLES, name
        assert variables["POWERTOOLS_LOG_LEVEL"] == ("INFO" if plan.environment == "production" else "DEBUG")
        if issubclass(model, ConnectionSettings):
            assert variables["CONNECTIONS_TABLE_NAME"] == settings["connections_table_name"]
            assert variables["TTL_FIELD_NAME"] == settings["ttl_field_name"]
        if not issubclass(model, TableSettings):
            continue
        assert variables["DYNAMODB_TABLE_NAME"] == settings["latest_table_name"]
        assert variables["HISTORY_TABLE_NAME"] == settings["history_table_name"]
        assert (variables["TTL_SECONDS"], variables["TTL_FIELD_NAME"]) == (
            str(settings["ttl_seconds"]),
            settings["ttl_field_name"],
        )
    assert (
        one(function(plan, "ingest").values, "environment")["variables"]["STREAM_NAME"]
        == settings["stream_name"]
    )
    consumer = one(function(plan, "consumer").values, "environment")["variables"]
    invalid_records = next(
        queue
        for queue in plan.of_type("aws_sqs_queue")
        if queue.values["name"] == settings["invalid_records_queue_name"]
    )
    assert consumer["DEAD_LETTER_QUEUE_URL"] == invalid_records.values["url"]
    assert (
        one(function(plan, "api").values, "environment")["variables"]["CORS_ALLOW_ORIGIN"]
        == settings["cors_allow_origin"]
    )
    # And the functions that answer WebSocket clients post to their stage's own management endpoint
    api = plan.resources["module.api_gateway.aws_apigatewayv2_api.websocket"].values
    stage = plan.resources["module.api_gateway.aws_apigatewayv2_stage.websocket"].values
    callback_url = f"https://{api['id']}.execute-api.{settings['aws_region']}.amazonaws.com/{stage['name']}"
    for name in ("push", "websocket"):
        variables = one(function(plan, name).values, "environment")["variables"]
        assert variables["WEBSOCKET_CALLBACK_URL"] == callback_url, name


# ---- API Gateway -----------------------------------------------------------------------------


def test_a_new_deployment_follows_every_change_of_the_document(plan: Plan) -> None:
    # Given the planned REST API and its deployment
    body = plan.only("aws_api_gateway_rest_api").values["body"]
    deployment = plan.only("aws_api_gateway_deployment").values
    # When the deployment's trigger is read
    # Then it is the document's digest, so any change of the document makes a new deployment
    assert deployment["triggers"] == {
        "redeployment": hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()
    }


def test_the_stage_logs_traces_and_throttles_as_the_environment_says(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned stage and its method settings
    stage = plan.only("aws_api_gateway_stage").values
    method_settings = plan.only("aws_api_gateway_method_settings").values
    access_logs = plan.resources["module.api_gateway.aws_cloudwatch_log_group.access"].values
    # When their logging, tracing and throttling are read
    every_method = one(method_settings, "settings")
    # Then the stage is the environment's, writes access logs to its log group, traces, and every
    # method is throttled at the settings' limits with execution logs at ERROR in production only
    assert stage["stage_name"] == method_settings["stage_name"] == plan.environment
    assert one(stage, "access_log_settings")["destination_arn"] == access_logs["arn"]
    assert stage["xray_tracing_enabled"] is True
    assert method_settings["method_path"] == "*/*"
    assert (every_method["throttling_rate_limit"], every_method["throttling_burst_limit"]) == (
        settings["api_throttling_rate_limit"],
        settings["api_throttling_burst_limit"],
    )
    assert every_method["logging_level"] == ("ERROR" if plan.environment == "production" else "INFO")
    assert every_method["metrics_enabled"] is True
    assert every_method["caching_enabled"] is False
    # And the execution log group, created with its retention and key, is the one API Gateway writes to
    execution_logs = plan.resources["module.api_gateway.aws_cloudwatch_log_group.execution"].values
    rest_api_id = plan.only("aws_api_gateway_rest_api").values["id"]
    assert execution_logs["name"] == f"API-Gateway-Execution-Logs_{rest_api_id}/{plan.environment}"
    assert {execution_logs["retention_in_days"], access_logs["retention_in_days"]} == {
        settings["log_retention_days"]
    }


def test_the_devices_http_api_deploys_each_change_logs_and_throttles_as_the_environment_says(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned HTTP API and its stage
    api = plan.resources["module.api_gateway.aws_apigatewayv2_api.ingest"].values
    stage = plan.resources["module.api_gateway.aws_apigatewayv2_stage.ingest"].values
    access_logs = plan.resources["module.api_gateway.aws_cloudwatch_log_group.ingest_access"].values
    # When the stage's deployment, throttling and logging are read
    routes = one(stage, "default_route_settings")
    # Then it is an HTTP API whose $default stage deploys every change of the document, throttles at
    # the settings' limits, and writes JSON access logs to its own encrypted log group
    assert (api["protocol_type"], api["name"]) == ("HTTP", f"busgps-{plan.environment}-ingest")
    assert (stage["name"], stage["auto_deploy"]) == ("$default", True)
    assert (routes["throttling_rate_limit"], routes["throttling_burst_limit"]) == (
        settings["api_throttling_rate_limit"],
        settings["api_throttling_burst_limit"],
    )
    log_format = json.loads(one(stage, "access_log_settings")["format"])
    assert {"requestId", "routeKey", "status", "integrationError", "authorizerError"} <= set(log_format)
    assert one(stage, "access_log_settings")["destination_arn"] == access_logs["arn"]
    assert (access_logs["kms_key_id"], access_logs["retention_in_days"]) == (
        key_arn(plan),
        settings["log_retention_days"],
    )


def test_the_cdn_has_two_origins_the_read_api_without_headers_of_its_own_and_the_maps_bucket(
    plan: Plan,
) -> None:
    # Given the planned distribution and the map's bucket
    distribution = plan.only("aws_cloudfront_distribution").values
    bucket = plan.only("aws_s3_bucket").values
    # When its origins are read
    origins = {origin["origin_id"]: origin for origin in distribution["origin"]}
    # Then every path but the map's goes to the REST API's stage, which answers any Accept with binary
    # protobuf, through Origin Shield, and no header is added to the viewers'; the map is read from
    # its bucket, signed by the distribution's origin access control
    assert set(origins) == {"api", "map"}
    api, map_files = origins["api"], origins["map"]
    rest_api = plan.only("aws_api_gateway_rest_api").values["id"]
    assert api["domain_name"] == f"{rest_api}.execute-api.{plan.outputs['aws_region']}.amazonaws.com"
    assert api["origin_path"] == f"/{plan.environment}"
    assert api["custom_header"] == []
    assert one(api, "origin_shield")["enabled"] is True
    assert map_files["domain_name"] == bucket["bucket_regional_domain_name"]
    assert map_files["custom_header"] == []


def test_the_account_cloudwatch_role_is_set_only_by_the_environment_that_owns_it(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned account settings of API Gateway
    accounts = plan.of_type("aws_api_gateway_account")
    # When they are counted
    # Then there is one exactly where the environment owns the role, and it is that stack's own role
    assert len(accounts) == (1 if settings["manage_api_gateway_account"] else 0)
    for account in accounts:
        role = plan.resources["module.api_gateway.aws_iam_role.cloudwatch[0]"]
        assert account.values["cloudwatch_role_arn"] == role.values["arn"]


# ---- Cognito, custom domain ------------------------------------------------------------------


def test_only_administrators_create_device_users_under_a_password_policy(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the planned user pool
    pool = plan.only("aws_cognito_user_pool").values
    # When its sign-up, password and protection rules are read
    policy = one(pool, "password_policy")
    # Then devices cannot sign themselves up, passwords need every character class, and only
    # production's pool refuses deletion
    assert pool["name"] == settings["user_pool_name"]
    assert one(pool, "admin_create_user_config")["allow_admin_create_user_only"] is True
    assert all(policy[f"require_{kind}"] is True for kind in ("lowercase", "uppercase", "numbers", "symbols"))
    assert pool["deletion_protection"] == ("ACTIVE" if plan.environment == "production" else "INACTIVE")


def test_the_app_client_signs_in_with_passwords_srp_and_refresh_tokens(plan: Plan) -> None:
    # Given the planned app client
    client = plan.only("aws_cognito_user_pool_client").values
    # When its flows, secret and token units are read
    # Then it allows exactly the three flows, has no secret (devices are public clients), and each
    # token's validity has its unit
    assert sorted(client["explicit_auth_flows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["generate_secret"] is False
    assert client["user_pool_id"] == plan.only("aws_cognito_user_pool").values["id"]
    assert one(client, "token_validity_units") == {
        "id_token": "minutes",
        "access_token": "minutes",
        "refresh_token": "days",
    }


def test_no_custom_domain_resource_exists_without_a_domain(plan: Plan) -> None:
    # Given a plan whose environment has no domain_name; then nothing of a custom domain is planned
    assert [address for address in plan.resources if address.startswith("module.route53")] == []


def test_a_custom_domain_is_a_regional_rest_api_domain_with_a_dns_validated_certificate(
    domain_plan: Plan,
) -> None:
    # Given a plan with a domain name
    certificate = domain_plan.only("aws_acm_certificate").values
    domain = domain_plan.only("aws_api_gateway_domain_name").values
    mapping = domain_plan.only("aws_api_gateway_base_path_mapping").values
    ingest_mapping = domain_plan.only("aws_apigatewayv2_api_mapping").values
    records = {record.name: record.values for record in domain_plan.of_type("aws_route53_record")}
    # When its certificate, domain, mapping and records are read
    # Then the certificate is validated through DNS in the zone, the REST API (v1) domain is
    # regional, maps the whole stage, and an alias record names it; the outputs use it
    assert (certificate["domain_name"], certificate["validation_method"]) == ("api.busgps.example.com", "DNS")
    assert records["certificate_validation"]["zone_id"] == "ZPLANNEDZONE"
    assert one(domain, "endpoint_configuration")["types"] == ["REGIONAL"]
    assert domain["security_policy"] == "TLS_1_2"
    assert (mapping["api_id"], mapping["stage_name"], mapping["base_path"]) == (
        domain_plan.only("aws_api_gateway_rest_api").values["id"],
        domain_plan.environment,
        None,
    )
    assert (records["api"]["name"], records["api"]["type"]) == ("api.busgps.example.com", "A")
    assert domain_plan.outputs["api_base_url"] == "https://api.busgps.example.com"
    # And the devices' HTTP API is the same domain's /ingest
    assert (ingest_mapping["api_id"], ingest_mapping["stage"], ingest_mapping["api_mapping_key"]) == (
        domain_plan.resources["module.api_gateway.aws_apigatewayv2_api.ingest"].values["id"],
        "$default",
        "ingest",
    )
    assert ingest_mapping["domain_name"] == "api.busgps.example.com"
    assert domain_plan.outputs["ingest_base_url"] == "https://api.busgps.example.com/ingest"


# ---- Monitoring ------------------------------------------------------------------------------


def test_every_failure_has_an_alarm_that_notifies_the_topic(plan: Plan, settings: dict[str, Any]) -> None:
    # Given the planned alarms and the alarm topic
    topic = plan.only("aws_sns_topic").values
    alarms = [alarm.values for alarm in plan.of_type("aws_cloudwatch_metric_alarm")]
    # When their metrics, dimensions and actions are read
    watched = {
        (alarm["namespace"], alarm["metric_name"], tuple(sorted(alarm["dimensions"].values())))
        for alarm in alarms
    }
    functions = [function(plan, name).values["function_name"] for name in SETTINGS_OF_FUNCTION]
    api = (plan.only("aws_api_gateway_rest_api").values["name"], plan.environment)
    ingest_api = plan.resources["module.api_gateway.aws_apigatewayv2_api.ingest"].values["id"]
    queues = (settings["invalid_records_queue_name"], settings["consumer_failure_queue_name"])
    # Then lag, each queue, each function's errors and throttles, API 5XX and latency are watched,
    # any message in a queue is enough, and every alarm notifies the encrypted topic
    assert watched == {
        ("AWS/Lambda", "IteratorAge", (functions[0],)),
        *{("AWS/SQS", "ApproximateNumberOfMessagesVisible", (queue,)) for queue in queues},
        *{("AWS/Lambda", metric, (name,)) for metric in ("Errors", "Throttles") for name in functions},
        ("AWS/ApiGateway", "5XXError", tuple(sorted(api))),
        ("AWS/ApiGateway", "Latency", tuple(sorted(api))),
        ("AWS/ApiGateway", "5xx", (ingest_api,)),
    }
    assert {alarm["threshold"] for alarm in alarms if alarm["namespace"] == "AWS/SQS"} == {0}
    # (and `busgps cost` prices as many)
    assert len(alarms) == ALARMS
    assert all(alarm["alarm_actions"] == alarm["ok_actions"] == [topic["arn"]] for alarm in alarms)
    assert topic["kms_master_key_id"] == key_arn(plan)
    subscriptions = [subscription.values for subscription in plan.of_type("aws_sns_topic_subscription")]
    assert subscriptions == (
        [{**subscriptions[0], "endpoint": settings["alarm_email"]}] if settings["alarm_email"] else []
    )


# ---- Every environment -----------------------------------------------------------------------


def test_every_resource_is_named_after_its_environment(plan: Plan) -> None:
    for resource in plan.resources.values():
        # Given a planned resource; when its name is read
        name = resource.values.get("name") or resource.values.get("alarm_name")
        if resource.type == "aws_lambda_function":
            name = resource.values["function_name"]
        # Then it says which environment the resource belongs to, so environments never collide in
        # one account (API Gateway's execution log group ends with the stage, the environment)
        if isinstance(name, str) and resource.type not in NAMES_WITHOUT_ENVIRONMENT:
            # (a WebSocket API's stage is named after the environment itself, as the REST stage is)
            named_stage = resource.type == "aws_apigatewayv2_stage" and name == plan.environment
            assert (
                f"busgps-{plan.environment}" in name or name.endswith(f"/{plan.environment}") or named_stage
            ), (
                resource.address,
                name,
            )


# Names scoped by a parent that carries the environment already.
# The HTTP API's stage is $default, which gives it a URL without a stage segment.
NAMES_WITHOUT_ENVIRONMENT = {"aws_iam_role_policy", "aws_kms_alias", "aws_apigatewayv2_stage"}


def test_production_warns_when_no_one_gets_its_alarms_or_any_origin_may_call_it(
    plans: dict[tuple[str, str], Plan],
) -> None:
    # Given every environment planned, each expecting the check failures its settings should cause
    # (terraform fails a run whose checks fail otherwise than expected)
    # When the expectations are listed
    expected = {environment: production_warnings(environment) for environment, _ in plans}
    # Then production's committed settings (no alarm_email, any origin) trip both checks, and no
    # other environment's trips any
    assert expected == {
        "production": ["check.production_alarms_reach_someone", "check.production_cors_origin_is_named"],
        "sandbox": [],
        "staging": [],
        "local": [],
    }


# ---- WAF -------------------------------------------------------------------------------------


def test_a_web_acl_limits_each_address_and_blocks_known_bad_inputs_where_enabled(
    plan: Plan, settings: dict[str, Any]
) -> None:
    # Given the environment's planned web ACLs and stage associations
    acls = plan.of_type("aws_wafv2_web_acl")
    associations = plan.of_type("aws_wafv2_web_acl_association")
    # When the environment enables WAF (production does)
    assert settings["waf_enabled"] is (plan.environment in {"production", "staging"})
    if not settings["waf_enabled"]:
        # Then without it nothing of WAF is planned
        assert acls == associations == []
        return
    (acl,) = acls
    rules = {rule["name"]: rule for rule in acl.values["rule"]}
    rate = one(one(rules["rate-limit-per-address"], "statement"), "rate_based_statement")
    block = one(one(one(rules["rate-limit-per-address"], "action"), "block"), "custom_response")
    managed = one(one(rules["known-bad-inputs"], "statement"), "managed_rule_group_statement")
    bodies = {body["key"]: body for body in acl.values["custom_response_body"]}
    logging = plan.only("aws_wafv2_web_acl_logging_configuration").values
    log_group = plan.resources["module.waf[0].aws_cloudwatch_log_group.waf"].values
    # Then a regional web ACL, associated with the stage, answers an address over the settings'
    # limit in 5 minutes with a JSON 429 carrying the CORS origin, blocks AWS's known bad inputs
    # (Log4j's lookups among them), and logs to a WAF log group without the devices' tokens
    assert acl.values["scope"] == "REGIONAL"
    assert [len(one(acl.values, "default_action")[action]) for action in ("allow", "block")] == [1, 0]
    assert (rate["limit"], rate["aggregate_key_type"], rate["evaluation_window_sec"]) == (
        settings["waf_rate_limit_per_address"],
        "IP",
        300,
    )
    assert block["response_code"] == 429
    assert block["response_header"] == [
        {"name": "Access-Control-Allow-Origin", "value": settings["cors_allow_origin"]}
    ]
    assert bodies[block["custom_response_body_key"]]["content_type"] == "APPLICATION_JSON"
    assert "error" in json.loads(bodies[block["custom_response_body_key"]]["content"])
    assert (managed["vendor_name"], managed["name"]) == ("AWS", "AWSManagedRulesKnownBadInputsRuleSet")
    (association,) = associations
    assert association.values == {
        **association.values,
        "resource_arn": plan.only("aws_api_gateway_stage").values["arn"],
        "web_acl_arn": acl.values["arn"],
    }
    assert logging["resource_arn"] == acl.values["arn"]
    assert logging["log_destination_configs"] == [log_group["arn"]]
    assert log_group["name"].startswith("aws-waf-logs-")
    assert logging["redacted_fields"] == [
        {**logging["redacted_fields"][0], "single_header": [{"name": "authorization"}]}
    ]
