"""The settings files: one per environment, the same keys everywhere, values Terraform accepts."""

import re
import typing
from pathlib import Path
from typing import Any

import pytest

from busgps.cost.commands import REFERENCE_FLEET
from busgps.local.config import EnvironmentSettings
from infra.terraform_config import ENVIRONMENTS_DIR, load_tfvars, root_module, tfvars_files

ENVIRONMENTS = ("local", "sandbox", "staging", "production")
SETTINGS = {path.stem: load_tfvars(path) for path in tfvars_files()}
ROOT_VARIABLES = root_module().variables
LITERAL_SET = re.compile(r"contains\(\[(?P<items>[^\]]*)\],\s*var\.(?P<name>\w+)\)")


def closed_sets() -> dict[str, list[Any]]:
    """variable -> the values its `contains([...], var.X)` validation allows."""
    sets: dict[str, list[Any]] = {}
    for name, body in ROOT_VARIABLES.items():
        for validation in body.get("validation", []):
            matched = LITERAL_SET.search(validation["condition"])
            if matched and matched["name"] == name:
                items = [item.strip() for item in matched["items"].split(",")]
                sets[name] = [item.strip('"') if item.startswith('"') else int(item) for item in items]
    return sets


def test_there_is_a_settings_file_per_environment() -> None:
    # Given the environments directory
    # When its tfvars files are listed
    names = sorted(path.stem for path in ENVIRONMENTS_DIR.glob("*.tfvars"))
    # Then there is exactly one per environment, named after it
    assert names == sorted(ENVIRONMENTS)
    assert {name: values["environment"] for name, values in SETTINGS.items()} == {
        name: name for name in names
    }


def test_every_environment_sets_the_same_keys() -> None:
    # Given the local stack's settings file
    local_keys = set(SETTINGS["local"])
    # When the other environments' keys are compared with it
    differences = {name: sorted(set(values) ^ local_keys) for name, values in SETTINGS.items()}
    # Then none has a key more or less
    assert differences == {name: [] for name in SETTINGS}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_key_is_a_root_variable_and_every_required_variable_is_set(environment: str) -> None:
    # Given an environment's settings
    keys = set(SETTINGS[environment])
    # When they are compared with the root module's variables
    required = {name for name, body in ROOT_VARIABLES.items() if "default" not in body}
    # Then each key is a variable, and each variable without default has a key
    assert sorted(keys - set(ROOT_VARIABLES)) == []
    assert sorted(required - keys) == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_closed_set_values_are_in_their_set(environment: str) -> None:
    # Given an environment's settings and the root variables' allowed values
    values = SETTINGS[environment]
    # When each closed-set value is looked up in its set
    outside = {name: values[name] for name, allowed in closed_sets().items() if values[name] not in allowed}
    # Then every one is allowed
    assert outside == {}


def test_terraform_and_the_local_stack_allow_the_same_closed_sets() -> None:
    # Given the local stack's settings model, which reads the same files
    model_fields = EnvironmentSettings.model_fields
    # When its Literal fields are compared with Terraform's validations
    literal_sets = {
        name: sorted(typing.get_args(field.annotation))
        for name, field in model_fields.items()
        if typing.get_origin(field.annotation) is typing.Literal
    }
    terraform_sets = {
        name: sorted(allowed)
        for name, allowed in closed_sets().items()
        if all(isinstance(item, str) for item in allowed)
    }
    # Then both accept exactly the same values, and the model reads every settings key
    assert literal_sets == terraform_sets
    assert set(model_fields) == set(SETTINGS["local"])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_resource_names_carry_the_environment(environment: str) -> None:
    # Given the names an environment gives its resources
    values = SETTINGS[environment]
    names = {
        key: value
        for key, value in values.items()
        if key.endswith("_name") and key not in {"ttl_field_name", "domain_name"}
    }
    # When they are compared with the naming scheme
    # Then each is busgps-<environment>-..., so environments never collide in one account
    assert {
        key: value for key, value in names.items() if not value.startswith(f"busgps-{environment}-")
    } == {}


def test_production_scales_further_than_staging_and_sandbox() -> None:
    # Given the deployed environments' settings
    production, staging, sandbox = (SETTINGS[name] for name in ("production", "staging", "sandbox"))
    # When their capacity settings are compared
    # Then production's stream takes at least twice the reference fleet's records (so a backlog
    # drains; a shard takes 1,000 a second), and its throttling is the highest
    reference_records_per_second = REFERENCE_FLEET.fixes_per_second
    if production["kinesis_stream_mode"] == "PROVISIONED":
        assert production["kinesis_shard_count"] * 1000 >= 2 * reference_records_per_second
    assert (
        production["api_throttling_rate_limit"]
        > staging["api_throttling_rate_limit"]
        >= sandbox["api_throttling_rate_limit"]
    )
    assert production["api_throttling_burst_limit"] >= production["api_throttling_rate_limit"]


def test_settings_file_paths_are_where_the_local_stack_reads_them() -> None:
    # Given the local stack's default settings path
    from busgps.local.config import DEFAULT_SETTINGS_PATH

    # When it is resolved from the project root
    # Then it is the local environment's tfvars file
    assert (ENVIRONMENTS_DIR.parent.parent / DEFAULT_SETTINGS_PATH).resolve() == (
        ENVIRONMENTS_DIR / "local.tfvars"
    )
    assert isinstance(DEFAULT_SETTINGS_PATH, Path)
