"""Shared by the infrastructure checks: every environment's plan, and checkov's summary at the end."""

from typing import Any

import pytest

from infra.checkov_report import SUMMARY_LINES
from infra.terraform_config import ENVIRONMENTS_DIR, load_tfvars
from infra.terraform_plan import ENVIRONMENTS, TERRAFORM, Plan, plan_environments


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY_LINES:
        terminalreporter.section("checkov")
        for line in SUMMARY_LINES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Plan]:
    """(environment, run) -> the plan of that run of terraform/tests/plan.tftest.hcl."""
    if TERRAFORM is None:
        pytest.skip("no terraform binary on this machine: what Terraform would create is not checked")
    return plan_environments(tmp_path_factory.mktemp("terraform"), production_warnings)


def production_warnings(environment: str) -> list[str]:
    """The check blocks an environment's committed settings must trip: production's alarms that
    reach no one, and an API any web origin may call."""
    if environment != "production":
        return []
    settings = load_tfvars(ENVIRONMENTS_DIR / f"{environment}.tfvars")
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
    return load_tfvars(ENVIRONMENTS_DIR / f"{plan.environment}.tfvars")


@pytest.fixture(params=ENVIRONMENTS)
def domain_plan(request: pytest.FixtureRequest, plans: dict[tuple[str, str], Plan]) -> Plan:
    """An environment planned with a custom domain."""
    return plans[(request.param, "plan_with_custom_domain")]
