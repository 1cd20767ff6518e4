"""The functions Terraform deploys: handlers that exist, settings the code reads, the zip's name."""

import importlib
import re

import pytest
from pydantic import BaseModel

from busgps.local.stack import CONSUMER_HANDLER, PUSH_HANDLER
from busgps.packaging import ARCHITECTURES, zip_name
from busgps.settings import ApiSettings, ConnectionSettings, ConsumerSettings, WebSocketSettings
from infra.terraform_config import MODULES_DIR, load_module, root_module

LAMBDA = load_module(MODULES_DIR / "lambda")
FUNCTIONS = {resource.name: resource.body for resource in LAMBDA.resources_of_type("aws_lambda_function")}
SETTINGS_OF_FUNCTION: dict[str, type[BaseModel]] = {
    "consumer": ConsumerSettings,
    "api": ApiSettings,
    "push": ConnectionSettings,
    "websocket": WebSocketSettings,
}
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def environment_of(function: str) -> set[str]:
    """Names of a function's environment variables: the keys of the locals its merge() combines."""
    expression = FUNCTIONS[function]["environment"][0]["variables"]
    names = re.findall(r"local\.(\w+)", expression)
    assert names, f"{function}: environment is merge(local.…) of named maps"
    return {key for name in names for key in LAMBDA.locals[name]}


def test_terraform_deploys_the_four_functions() -> None:
    # Given the lambda module
    # When its functions are listed
    # Then there are the consumer, the API, the push and the WebSocket function
    assert set(FUNCTIONS) == set(SETTINGS_OF_FUNCTION)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_handler_resolves_to_a_callable(function: str) -> None:
    # Given the handler Terraform names, module.attribute
    module_name, _, attribute = FUNCTIONS[function]["handler"].rpartition(".")
    # When it is imported as Lambda would
    handler = getattr(importlib.import_module(module_name), attribute)
    # Then it is a callable
    assert callable(handler)


def test_the_local_stack_runs_the_consumer_terraform_deploys() -> None:
    # Given the handler Terraform names for the consumer; Then the local stack runs that very one
    assert FUNCTIONS["consumer"]["handler"] == CONSUMER_HANDLER
    assert FUNCTIONS["push"]["handler"] == PUSH_HANDLER


# Each setting of the push function's mapping, and the settings-file key it comes from.
PUSH_MAPPING_SETTINGS = {
    "batch_size": "push_batch_size",
    "maximum_batching_window_in_seconds": "push_batching_window_seconds",
    "maximum_retry_attempts": "push_maximum_retry_attempts",
    "maximum_record_age_in_seconds": "push_maximum_record_age_seconds",
}


def test_the_push_function_reads_the_latest_position_stream_with_its_own_settings() -> None:
    # Given the push function's mapping and the root module's call of the lambda module
    mapping = MAPPINGS["latest_positions"]
    arguments = root_module().module_calls["lambda"].arguments
    # When its source and settings are followed to the root variables
    reached = {setting: settings_key(mapping[setting], arguments) for setting in PUSH_MAPPING_SETTINGS}
    # Then it reads the latest-position table's stream from the newest change on, each setting from its key
    assert mapping["event_source_arn"] == "${var.latest_table_stream_arn}"
    assert arguments["latest_table_stream_arn"] == "${module.dynamodb.latest_table_stream_arn}"
    assert mapping["starting_position"] == "LATEST"
    assert reached == PUSH_MAPPING_SETTINGS


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_runtime_is_python_3_12_on_the_chosen_architecture(function: str) -> None:
    # Given a function's definition
    body = FUNCTIONS[function]
    # When its runtime and architecture are read
    # Then it runs Python 3.12, on the architecture the environment chooses
    assert body["runtime"] == "python3.12"
    assert body["architectures"] == ["${var.architecture}"]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_terraform_sets_exactly_the_variables_the_function_reads(function: str) -> None:
    # Given the environment variables Terraform gives a function
    given = environment_of(function)
    # When they are compared with the variables its settings model reads, and Powertools'
    model = SETTINGS_OF_FUNCTION[function]
    read = {field.alias or name for name, field in model.model_fields.items()}
    # Then every variable read is set, and nothing else is
    assert given == read | POWERTOOLS_VARIABLES


# Each setting of the event source mapping, and the settings-file key it comes from.
MAPPING_SETTINGS = {
    "batch_size": "consumer_batch_size",
    "maximum_batching_window_in_seconds": "consumer_batching_window_seconds",
    "parallelization_factor": "consumer_parallelization_factor",
    "starting_position": "consumer_starting_position",
    "bisect_batch_on_function_error": "consumer_bisect_batch_on_function_error",
    "maximum_retry_attempts": "consumer_maximum_retry_attempts",
    "maximum_record_age_in_seconds": "consumer_maximum_record_age_seconds",
}


def settings_key(mapping_value: object, lambda_arguments: dict[str, object]) -> str:
    """The root variable a mapping setting comes from: mapping -> lambda module variable -> root variable."""
    module_variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(mapping_value))
    assert module_variable, mapping_value
    root_variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(lambda_arguments[module_variable[1]]))
    assert root_variable, module_variable[1]
    return root_variable[1]


MAPPINGS = {
    resource.name: resource.body for resource in LAMBDA.resources_of_type("aws_lambda_event_source_mapping")
}


def test_the_event_source_mapping_reports_partial_failures_and_keeps_what_fails() -> None:
    # Given the consumer's event source mapping
    mapping = MAPPINGS["positions"]
    # When its failure handling is read
    # Then failed records are reported one by one and exhausted batches go to the failure queue
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert (
        mapping["destination_config"][0]["on_failure"][0]["destination_arn"]
        == "${var.consumer_failure_queue_arn}"
    )
    assert mapping["event_source_arn"] == "${var.stream_arn}"


def test_every_setting_of_the_event_source_mapping_comes_from_its_settings_key() -> None:
    # Given the mapping and the root module's call of the lambda module
    mapping = MAPPINGS["positions"]
    arguments = root_module().module_calls["lambda"].arguments
    # When each setting is followed from the mapping, through the module, to the root variable
    reached = {}
    for setting in MAPPING_SETTINGS:
        module_variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(mapping[setting]))
        assert module_variable, setting
        root_variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(arguments[module_variable[1]]))
        assert root_variable, setting
        reached[setting] = root_variable[1]
    # Then each one is its own settings key: none is fixed in code, none swapped with another
    assert reached == MAPPING_SETTINGS


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_terraform_deploys_the_zip_make_package_builds(architecture: str) -> None:
    # Given the package path the root module gives the functions
    template = root_module().locals["lambda_package_path"]
    # When the architecture is filled in
    path = template.replace("${var.lambda_architecture}", architecture)
    # Then it is the file make package writes into dist/
    assert path == f"${{var.lambda_package_dir}}/{zip_name(architecture)}"
    assert root_module().variables["lambda_package_dir"]["default"] == "../dist"
