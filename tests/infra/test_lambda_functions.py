"""The functions Terraform deploys: handlers that exist, settings the code reads, the zip's name."""

import importlib
import re

import pytest

from busgps.packaging import ARCHITECTURES, zip_name
from busgps.settings import ApiSettings, ConsumerSettings, TableSettings
from infra.terraform_config import MODULES_DIR, load_module, root_module

LAMBDA = load_module(MODULES_DIR / "lambda")
FUNCTIONS = {resource.name: resource.body for resource in LAMBDA.resources_of_type("aws_lambda_function")}
SETTINGS_OF_FUNCTION: dict[str, type[TableSettings]] = {"consumer": ConsumerSettings, "api": ApiSettings}
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def environment_of(function: str) -> set[str]:
    """Names of a function's environment variables: the keys of the locals its merge() combines."""
    expression = FUNCTIONS[function]["environment"][0]["variables"]
    names = re.findall(r"local\.(\w+)", expression)
    assert names, f"{function}: environment is merge(local.…) of named maps"
    return {key for name in names for key in LAMBDA.locals[name]}


def test_terraform_deploys_the_two_functions() -> None:
    # Given the lambda module
    # When its functions are listed
    # Then there are the consumer and the API function
    assert set(FUNCTIONS) == set(SETTINGS_OF_FUNCTION)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_handler_resolves_to_a_callable(function: str) -> None:
    # Given the handler Terraform names, module.attribute
    module_name, _, attribute = FUNCTIONS[function]["handler"].rpartition(".")
    # When it is imported as Lambda would
    handler = getattr(importlib.import_module(module_name), attribute)
    # Then it is a callable
    assert callable(handler)


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


def test_the_event_source_mapping_reports_partial_failures_and_keeps_what_fails() -> None:
    # Given the consumer's event source mapping
    mapping = LAMBDA.resources_of_type("aws_lambda_event_source_mapping")[0].body
    # When its failure handling is read
    # Then failed records are reported one by one and exhausted batches go to the failure queue
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert (
        mapping["destination_config"][0]["on_failure"][0]["destination_arn"]
        == "${var.consumer_failure_queue_arn}"
    )
    for setting in (
        "batch_size",
        "maximum_batching_window_in_seconds",
        "parallelization_factor",
        "starting_position",
        "bisect_batch_on_function_error",
        "maximum_retry_attempts",
        "maximum_record_age_in_seconds",
    ):
        assert str(mapping[setting]).startswith("${var."), setting


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_terraform_deploys_the_zip_make_package_builds(architecture: str) -> None:
    # Given the package path the root module gives the functions
    template = root_module().locals["lambda_package_path"]
    # When the architecture is filled in
    path = template.replace("${var.lambda_architecture}", architecture)
    # Then it is the file make package writes into dist/
    assert path == f"${{var.lambda_package_dir}}/{zip_name(architecture)}"
    assert root_module().variables["lambda_package_dir"]["default"] == "../dist"
