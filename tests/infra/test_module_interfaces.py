"""Module interfaces are documented and typed, and settings reach modules only from the tfvars files.

Whether the modules fit together is `terraform validate`'s and the plan tests' business; these check
what Terraform does not: unused variables, descriptions, validated closed sets, README tables.
"""

import json
import re
from typing import Any

import pytest

from infra.terraform_config import (
    ENVIRONMENTS_DIR,
    VAR_REFERENCE,
    ModuleCall,
    TerraformModule,
    all_modules,
    load_module,
    load_tfvars,
    root_module,
)

MODULES = all_modules()
MODULE_IDS = [module.name for module in MODULES]
ROOT_CALLS = list(root_module().module_calls.values())
# The keys every settings file sets: the one place a setting's value is written.
SETTINGS_KEYS = frozenset(load_tfvars(ENVIRONMENTS_DIR / "local.tfvars"))
WHOLE_VAR = re.compile(r"\$\{var\.(\w+)\}")
README_ROW = re.compile(r"^\| `(?P<name>[\w-]+)` \| (?P<cells>.*) \|$", re.MULTILINE)

# Variables whose values form a closed set must say so in a validation block: (module, variable).
CLOSED_SET_VARIABLES = [
    ("root", "environment"),
    ("root", "kinesis_stream_mode"),
    ("root", "lambda_architecture"),
    ("root", "dynamodb_billing_mode"),
    ("root", "consumer_starting_position"),
    ("kinesis", "stream_mode"),
    ("lambda", "architecture"),
    ("lambda", "starting_position"),
    ("lambda", "log_level"),
    ("dynamodb", "billing_mode"),
    ("cognito", "advanced_security_mode"),
    ("api_gateway", "logging_level"),
]


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_every_variable_is_used(module: TerraformModule) -> None:
    # Given a module's variables
    referenced = {name for text in module.strings() for name in VAR_REFERENCE.findall(text)}
    # When they are compared with its var.X references
    # Then none is dead
    assert sorted(set(module.variables) - referenced) == []


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_every_variable_is_typed_and_described(module: TerraformModule) -> None:
    # Given a module's variables
    # When their type and description are read
    incomplete = [
        name
        for name, body in module.variables.items()
        if not body.get("type") or not str(body.get("description", "")).strip()
    ]
    # Then every one has both
    assert incomplete == []


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_every_output_is_described(module: TerraformModule) -> None:
    # Given a module's outputs
    # When their descriptions are read
    undescribed = [
        name for name, body in module.outputs.items() if not str(body.get("description", "")).strip()
    ]
    # Then every one has one
    assert module.outputs, f"{module.name} has no outputs"
    assert undescribed == []


@pytest.mark.parametrize(
    ("module_name", "variable"),
    CLOSED_SET_VARIABLES,
    ids=[f"{module}.{variable}" for module, variable in CLOSED_SET_VARIABLES],
)
def test_closed_set_variables_are_validated_against_their_set(module_name: str, variable: str) -> None:
    # Given a variable whose values form a closed set
    module = next(module for module in MODULES if module.name == module_name)
    validations = module.variables[variable].get("validation", [])
    # When its validation conditions are read
    conditions = [validation["condition"] for validation in validations]
    # Then one of them checks membership of a literal list
    assert any(re.search(rf"contains\(\[.+\],\s*var\.{variable}\)", condition) for condition in conditions)


@pytest.mark.parametrize("call", ROOT_CALLS, ids=[call.name for call in ROOT_CALLS])
def test_a_setting_reaches_a_module_with_no_default_of_its_own(call: ModuleCall) -> None:
    # Given a root module block, and the arguments it passes a settings key straight through to
    called = load_module(call.source_dir)
    settings_arguments = [
        argument
        for argument, value in call.arguments.items()
        if isinstance(value, str)
        and (matched := WHOLE_VAR.fullmatch(value)) is not None
        and matched[1] in SETTINGS_KEYS
    ]
    # When the called module's variables for them are read
    with_defaults = [argument for argument in settings_arguments if "default" in called.variables[argument]]
    # Then none has a default: the tfvars files are the only place the value is written, and a
    # block that stopped passing it would fail instead of deploying a second, silent value
    assert with_defaults == []


def _readme_rows(section: str) -> dict[str, list[str]]:
    """First column (the name) -> the other cells of each row of a README table."""
    return {
        row["name"]: [cell.strip() for cell in row["cells"].split(" | ")]
        for row in README_ROW.finditer(section)
    }


def _documented_variable(body: dict[str, Any]) -> list[str]:
    """A variable's row as the module READMEs write it: type, default, description."""
    declared_type = str(body["type"]).removeprefix("${").removesuffix("}")
    default = f"`{json.dumps(body['default'])}`" if "default" in body else "(required)"
    return [f"`{declared_type}`", default, str(body["description"])]


@pytest.mark.parametrize("module", MODULES[1:], ids=MODULE_IDS[1:])
def test_module_readme_tables_list_its_inputs_and_outputs_as_declared(module: TerraformModule) -> None:
    # Given a module's README
    readme = (module.path / "README.md").read_text(encoding="utf-8")
    inputs_section, _, outputs_section = readme.partition("## Outputs")
    # When the rows of its Inputs and Outputs tables are read
    documented_inputs = _readme_rows(inputs_section)
    documented_outputs = _readme_rows(outputs_section)
    # Then they are exactly the module's variables (type, default, description) and outputs
    assert documented_inputs == {name: _documented_variable(body) for name, body in module.variables.items()}
    assert documented_outputs == {name: [str(body["description"])] for name, body in module.outputs.items()}
