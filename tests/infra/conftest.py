"""Shared by the infrastructure checks: every environment's plan, and checkov's summary at the end."""

from pathlib import Path
from typing import Any

import pytest

from infra.checkov_report import SUMMARY_LINES
from infra.terraform_config import ENVIRONMENTS_DIR, load_tfvars
from infra.terraform_plan import ENVIRONMENTS, TERRAFORM, Plan, plan_ci_roles, plan_environments, prepare_copy


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY_LINES:
        terminalreporter.section("checkov")
        for line in SUMMARY_LINES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def terraform_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """terraform/ and api/ copied, with placeholder zips, and the environment terraform runs in."""
    if TERRAFORM is None:
        pytest.skip("no terraform binary on this machine: what Terraform would create is not checked")
    return prepare_copy(tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="session")
def plans(terraform_copy: tuple[Path, dict[str, str]]) -> dict[tuple[str, str], Plan]:
    """(environment, run) -> the plan of that run of terraform/tests/plan.tftest.hcl."""
    return plan_environments(*terraform_copy, production_warnings)


@pytest.fixture(scope="session")
def ci_role_plans(terraform_copy: tuple[Path, dict[str, str]]) -> dict[tuple[str, str], Plan]:
    """(environment, run) -> the plan of the environment's CI role, terraform/bootstrap."""
    return plan_ci_roles(*terraform_copy, settings_of)


def settings_of(environment: str) -> dict[str, Any]:
    return load_tfvars(ENVIRONMENTS_DIR / f"{environment}.tfvars")


def production_warnings(environment: str) -> list[str]:
    """The check blocks an environment's committed settings must trip: production's alarms that
    reach no one, and an API any web origin may call."""
    if environment != "production":
        return []
    settings = settings_of(environment)
    return [
        *(["check.production_alarms_reach_someone"] if settings["alarm_email"] == "" else []),
        *(["check.production_cors_origin_is_named"] if settings["cors_allow_origin"] == "*" else []),
    ]


@pytest.fixture(params=ENVIRONMENTS)
def plan(request: pytest.FixtureRequest, plans: dict[tuple[str, str], Plan]) -> Plan:
    """An environment planned with its own settings."""
    return plans[(request.param, "plan")]


@pytest.fixture
def settings(plan: Plan) -> dict[str, Any]:
    """The settings file of the planned environment."""
    return settings_of(plan.environment)


@pytest.fixture(params=ENVIRONMENTS)
def domain_plan(request: pytest.FixtureRequest, plans: dict[tuple[str, str], Plan]) -> Plan:
    """An environment planned with a custom domain."""
    return plans[(request.param, "plan_with_custom_domain")]
