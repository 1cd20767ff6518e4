"""What Terraform would create: every environment planned with the real AWS provider, as data.

`terraform test -json -verbose` runs terraform/tests/plan.tftest.hcl once per environment (its tfvars
as the file's variables) and prints each run's plan as JSON. The provider is the real one, from the
filesystem mirror when there is one; only the account and the identifiers AWS assigns are stood in
for, by that file. The checks read the plans, not the HCL, so a rewrite that plans the same passes
and a value that changes fails.
"""

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from busgps.packaging import ARCHITECTURES, zip_name
from infra.terraform_config import PROJECT_ROOT, TERRAFORM_DIR

TERRAFORM = shutil.which("terraform")
# A filesystem mirror of the providers, for machines that cannot reach the Terraform registry.
PROVIDER_MIRROR = Path(os.environ.get("BUSGPS_TERRAFORM_PROVIDER_MIRROR", "/opt/tf-plugins"))
PLAN_TEST = TERRAFORM_DIR / "tests" / "plan.tftest.hcl"
ENVIRONMENTS = ("sandbox", "staging", "production", "local")
# The environments CI deploys, each with a CI role of its own, and the settings that role depends on.
DEPLOYED_ENVIRONMENTS = ("sandbox", "staging", "production")
CI_ROLE_SETTINGS = ("aws_region", "manage_api_gateway_account", "waf_enabled", "domain_name")


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement, whether read from a policy's JSON or from its policy document."""

    sid: str
    effect: str
    actions: frozenset[str]
    resources: frozenset[str]
    principals: dict[str, frozenset[str]]
    conditions: frozenset[tuple[str, str, frozenset[str]]]
    # NotAction, NotResource or NotPrincipal: a statement about everything but what it names.
    negated: bool = False

    @classmethod
    def from_json(cls, statement: dict[str, Any]) -> "Statement":
        principal = statement.get("Principal", {})
        return cls(
            negated=any(key in statement for key in ("NotAction", "NotResource", "NotPrincipal")),
            sid=statement.get("Sid", ""),
            effect=statement["Effect"],
            actions=frozenset(as_list(statement.get("Action", []))),
            resources=frozenset(as_list(statement.get("Resource", []))),
            principals={kind: frozenset(as_list(ids)) for kind, ids in principal.items()},
            conditions=frozenset(
                (test, variable, frozenset(as_list(values)))
                for test, tests in statement.get("Condition", {}).items()
                for variable, values in tests.items()
            ),
        )

    @classmethod
    def from_document(cls, statement: dict[str, Any]) -> "Statement":
        """A statement block of an aws_iam_policy_document, as the plan shows it."""
        return cls(
            negated=bool(
                statement.get("not_actions")
                or statement.get("not_resources")
                or statement.get("not_principals")
            ),
            sid=statement.get("sid") or "",
            effect=statement.get("effect") or "Allow",
            actions=frozenset(statement.get("actions") or []),
            resources=frozenset(statement.get("resources") or []),
            principals={
                principal["type"]: frozenset(principal["identifiers"])
                for principal in statement.get("principals") or []
            },
            conditions=frozenset(
                (condition["test"], condition["variable"], frozenset(condition["values"]))
                for condition in statement.get("condition") or []
            ),
        )


@dataclass(frozen=True)
class PlannedResource:
    address: str
    module: str  # module.lambda for module.lambda.aws_lambda_function.api; "" for the root
    type: str
    name: str  # api for module.lambda.aws_lambda_function.api, whatever its index
    values: dict[str, Any]
    unknown: dict[str, Any]


@dataclass
class Plan:
    """One run of plan.tftest.hcl: an environment's settings, planned."""

    environment: str
    run: str
    resources: dict[str, PlannedResource] = field(default_factory=dict)
    # Policy documents whose reading waits for the apply (they name resources the plan creates):
    # their statements are known all the same, and are read from here.
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Root outputs whose value the plan knows.
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, resource_type: str, module: str | None = None) -> list[PlannedResource]:
        return [
            resource
            for resource in self.resources.values()
            if resource.type == resource_type and (module is None or resource.module == module)
        ]

    def only(self, resource_type: str, module: str | None = None) -> PlannedResource:
        found = self.of_type(resource_type, module)
        assert len(found) == 1, (
            f"{self.environment}: {len(found)} {resource_type} in {module or 'any module'}"
        )
        return found[0]

    def policy(self, resource: PlannedResource, attribute: str = "policy") -> list[Statement]:
        """The statements of a resource's policy: its JSON when the plan knows it, else those of the
        policy document of the same name in its module, which the plan shows before reading it."""
        text = resource.values.get(attribute)
        if isinstance(text, str):
            return [Statement.from_json(statement) for statement in as_list(json.loads(text)["Statement"])]
        prefix = f"{resource.module}." if resource.module else ""
        document = self.documents.get(f"{prefix}data.aws_iam_policy_document.{resource.name}")
        assert document is not None, f"{resource.address}.{attribute}: no policy known at plan time"
        return [Statement.from_document(statement) for statement in document["statement"]]

    def statements(self) -> Iterator[tuple[PlannedResource, Statement]]:
        """Every statement of every IAM role policy, with the role policy it belongs to."""
        for role_policy in self.of_type("aws_iam_role_policy"):
            for statement in self.policy(role_policy):
                yield role_policy, statement

    def granted(self, role: PlannedResource) -> list[Statement]:
        """The statements of every inline policy of a role."""
        return [
            statement
            for role_policy in self.of_type("aws_iam_role_policy")
            if role_policy.values.get("role") == role.values.get("id", role.values["name"])
            for statement in self.policy(role_policy)
        ]


def as_list(value: Any) -> list[Any]:
    """An IAM policy element that may be one value or a list of them, as a list."""
    return value if isinstance(value, list) else [value]


class PlanFailed(AssertionError):
    """terraform test did not plan every environment."""


def _run(arguments: list[str], cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    return subprocess.run(
        [TERRAFORM, *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def prepare_copy(work: Path) -> tuple[Path, dict[str, str]]:
    """terraform/, api/ and the WebSocket schema copied to `work`, initialised without a backend, with
    placeholder zips and the map."""
    ignored = shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf")
    shutil.copytree(TERRAFORM_DIR, work / "terraform", ignore=ignored)
    shutil.copytree(PROJECT_ROOT / "api", work / "api")
    # The WebSocket protocol's schema, which the api_gateway module reads its routes from.
    schema = Path("src") / "busgps" / "models" / "websocket.schema.json"
    (work / schema).parent.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / schema, work / schema)
    (work / "dist").mkdir()
    for architecture in ARCHITECTURES:
        with zipfile.ZipFile(work / "dist" / zip_name(architecture), "w") as placeholder:
            placeholder.writestr("busgps/__init__.py", "")
    # The operations map as make package builds it, with a placeholder for the vendored Leaflet.
    shutil.copytree(
        PROJECT_ROOT / "web" / "map", work / "dist" / "map", ignore=shutil.ignore_patterns("vendor")
    )
    (work / "dist" / "map" / "vendor" / "leaflet").mkdir(parents=True)
    (work / "dist" / "map" / "vendor" / "leaflet" / "leaflet.js").write_text("", encoding="utf-8")
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    # A CLI configuration of its own: the machine's may be missing or point elsewhere.
    config = work / "terraformrc"
    if PROVIDER_MIRROR.is_dir():
        config.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n',
            encoding="utf-8",
        )
    else:
        config.write_text("", encoding="utf-8")
    environment["TF_CLI_CONFIG_FILE"] = str(config)
    return work / "terraform", environment


def _init(directory: Path, environment: dict[str, str]) -> None:
    # -lockfile=readonly: the committed lock file must already pin what is installed.
    init = _run(
        ["init", "-backend=false", "-input=false", "-lockfile=readonly", "-no-color"], directory, environment
    )
    if init.returncode != 0:
        raise PlanFailed(
            f"terraform init of {directory.name} failed:\n{init.stdout[-3000:]}{init.stderr[-3000:]}"
        )


def plan_environments(
    directory: Path,
    environment: dict[str, str],
    expected_check_failures: Callable[[str], list[str]],
) -> dict[tuple[str, str], Plan]:
    """(environment, run) -> its plan, for every run of plan.tftest.hcl, in one terraform test.

    A failed check block is a warning to `terraform plan` but fails a test run: each environment's
    runs expect exactly the check failures `expected_check_failures(environment)` names, which
    Terraform then verifies (a check that does not fail as expected fails the run too).
    """
    _init(directory, environment)
    plan_test = PLAN_TEST.read_text(encoding="utf-8")
    (directory / "tests" / PLAN_TEST.name).unlink()
    for name in ENVIRONMENTS:
        settings = (directory / "environments" / f"{name}.tfvars").read_text(encoding="utf-8")
        expected = ", ".join(expected_check_failures(name))
        expect = f"  command = plan\n  expect_failures = [{expected}]\n"
        runs = plan_test.replace("  command = plan\n", expect)
        # tfvars syntax is that of a variables block: the file's runs plan with these settings.
        (directory / "tests" / f"{name}.tftest.hcl").write_text(
            f"{runs}\nvariables {{\n{settings}}}\n", encoding="utf-8"
        )
    return _test(directory, environment)


def plan_ci_roles(
    directory: Path, environment: dict[str, str], settings_of: Callable[[str], dict[str, Any]]
) -> dict[tuple[str, str], Plan]:
    """(environment, run) -> the plan of the environment's CI role (terraform/bootstrap), planned
    with the settings of the environment that the role depends on."""
    bootstrap = directory / "bootstrap"
    _init(bootstrap, environment)
    plan_test = (bootstrap / "tests" / PLAN_TEST.name).read_text(encoding="utf-8")
    (bootstrap / "tests" / PLAN_TEST.name).unlink()
    for name in DEPLOYED_ENVIRONMENTS:
        settings = settings_of(name)
        values = {
            "environment": name,
            **{key: settings[key] for key in CI_ROLE_SETTINGS},
        }
        lines = "".join(f"  {key} = {json.dumps(value)}\n" for key, value in values.items())
        (bootstrap / "tests" / f"{name}.tftest.hcl").write_text(
            plan_test.replace("\nvariables {\n", f"\nvariables {{\n{lines}", 1), encoding="utf-8"
        )
    return _test(bootstrap, environment)


def _test(directory: Path, environment: dict[str, str]) -> dict[tuple[str, str], Plan]:
    tested = _run(["test", "-json", "-verbose", "-no-color"], directory, environment)
    plans: dict[tuple[str, str], Plan] = {}
    errors: list[str] = []
    for line in tested.stdout.splitlines():
        message = json.loads(line)
        test_file, run = message.get("@testfile", ""), message.get("@testrun")
        name = Path(test_file).name.removesuffix(".tftest.hcl")
        if message["type"] == "test_plan" and run is not None:
            plans[(name, run)] = _plan(name, run, message["test_plan"])
        elif message["type"] == "diagnostic" and message["diagnostic"]["severity"] == "error":
            diagnostic = message["diagnostic"]
            errors.append(f"{name}/{run}: {diagnostic['summary']}: {diagnostic.get('detail', '')}")
    if tested.returncode != 0 or errors:
        raise PlanFailed("\n".join(errors) or tested.stdout[-3000:] + tested.stderr[-3000:])
    return plans


def _plan(environment: str, run: str, plan: dict[str, Any]) -> Plan:
    planned = Plan(environment, run)
    for change in plan["resource_changes"]:
        if change["mode"] != "managed":
            if change["type"] == "aws_iam_policy_document":
                planned.documents[change["address"]] = change["change"]["after"]
            continue
        planned.resources[change["address"]] = PlannedResource(
            address=change["address"],
            module=change.get("module_address", ""),
            type=change["type"],
            name=change["name"],
            values=change["change"]["after"] or {},
            unknown=change["change"]["after_unknown"] or {},
        )
    planned.outputs = {
        name: change["after"]
        for name, change in plan.get("output_changes", {}).items()
        if change.get("after_unknown") is not True
    }
    return planned
