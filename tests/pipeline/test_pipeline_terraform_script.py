"""ci/terraform.sh, the plan/apply/destroy steps of the pipeline, run against a stand-in terraform.

The stand-in records each call and its environment, so the tests see which plan file is applied,
which state and settings are used, and how AWS credentials reach Terraform, without AWS or GitLab.
"""

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN = {
    "resource_changes": [
        {"address": "a", "change": {"actions": ["create"]}},
        {"address": "b", "change": {"actions": ["update"]}},
        {"address": "c", "change": {"actions": ["delete", "create"]}},
        {"address": "d", "change": {"actions": ["no-op"]}},
    ]
}
OUTPUTS = {
    "api_base_url": {
        "sensitive": False,
        "type": "string",
        "value": "https://abc.execute-api.eu-west-1.amazonaws.com/v1",
    },
    "user_pool_id": {"sensitive": False, "type": "string", "value": "eu-west-1_Abc"},
    "hosted_ui_secret": {"sensitive": True, "type": "string", "value": "do-not-leak"},
}
FAKE_TERRAFORM = """#!/usr/bin/env bash
# Records the call, then answers as terraform would for the commands ci/terraform.sh uses.
printf '%s|%s|%s|%s|%s\\n' "$*" "$TF_HTTP_ADDRESS" "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" \\
    "${AWS_ACCESS_KEY_ID:-}" "$(cat "${AWS_WEB_IDENTITY_TOKEN_FILE:-/dev/null}")" >> "$FAKE_TERRAFORM_LOG"
case $1 in
    plan) for argument; do [[ $argument == -out=* ]] && touch "${argument#-out=}"; done ;;
    show) cat "$FAKE_PLAN_JSON" ;;
    output) cat "$FAKE_OUTPUTS_JSON" ;;
esac
"""

pytestmark = pytest.mark.skipif(
    shutil.which("jq") is None, reason="jq not found (the terraform image installs it)"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the scripts and the environments' settings files, with a stand-in terraform."""
    shutil.copytree(REPO_ROOT / "ci", tmp_path / "ci")
    (tmp_path / "terraform/environments").mkdir(parents=True)
    for environment in ("sandbox", "staging", "production"):
        (tmp_path / f"terraform/environments/{environment}.tfvars").write_text(
            f'environment = "{environment}"\n'
        )
    fake = tmp_path / "bin/terraform"
    fake.parent.mkdir()
    fake.write_text(FAKE_TERRAFORM)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    (tmp_path / "outputs.json").write_text(json.dumps(OUTPUTS))
    return tmp_path


def _run(project: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "TF_"))}
    environment |= {
        "PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_TERRAFORM_LOG": str(project / "terraform.log"),
        "FAKE_PLAN_JSON": str(project / "plan.json"),
        "FAKE_OUTPUTS_JSON": str(project / "outputs.json"),
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_JOB_ID": "7001",
        "CI_JOB_TOKEN": "job-token",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/busgps-ci-staging",
        "AWS_ID_TOKEN": "gitlab-oidc-jwt",
        "AWS_ACCESS_KEY_ID": "AKIASTATICFALLBACK",
        "AWS_SECRET_ACCESS_KEY": "static-secret",
        **variables,
    }
    return subprocess.run(
        ["sh", str(project / "ci/terraform.sh"), *arguments],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _calls(project: Path) -> list[list[str]]:
    log = project / "terraform.log"
    return [line.split("|") for line in log.read_text().splitlines()] if log.exists() else []


def test_plan_writes_its_environments_plan_file_and_gitlab_report(project: Path) -> None:
    # Given staging; when its plan step runs
    result = _run(project, "plan", TF_ENVIRONMENT="staging")

    # Then it planned with staging's settings into staging's plan file, against staging's state
    assert result.returncode == 0, result.stderr
    plans = [call for call in _calls(project) if call[0].startswith("plan ")]
    assert len(plans) == 1
    assert "-var-file=environments/staging.tfvars -out=staging.tfplan" in plans[0][0]
    assert plans[0][1] == "https://gitlab.example.com/api/v4/projects/42/terraform/state/staging"
    assert (project / "terraform/staging.tfplan").exists()
    # And the report counts a replacement as one delete and one create
    report = json.loads((project / "terraform/staging.plan.json").read_text())
    assert report == {"create": 2, "update": 1, "delete": 1}


def test_terraform_gets_the_oidc_token_and_no_static_keys(project: Path) -> None:
    # Given a role to assume and also static keys; when a step runs
    result = _run(project, "plan", TF_ENVIRONMENT="sandbox")

    # Then Terraform sees the web identity token file, and the keys are gone
    assert result.returncode == 0, result.stderr
    for _, _, token_file, access_key, token in _calls(project):
        assert token_file
        assert token == "gitlab-oidc-jwt"
        assert access_key == ""


def test_access_keys_are_the_fallback_without_a_role(project: Path) -> None:
    # Given keys and no role; when a step runs; then Terraform gets the keys
    result = _run(project, "plan", TF_ENVIRONMENT="sandbox", AWS_ROLE_ARN="")
    assert result.returncode == 0, result.stderr
    assert {call[3] for call in _calls(project)} == {"AKIASTATICFALLBACK"}


def test_no_credentials_fails_before_terraform_runs(project: Path) -> None:
    # Given neither a role nor keys; when a step runs; then it stops and says what to set
    result = _run(project, "plan", TF_ENVIRONMENT="sandbox", AWS_ROLE_ARN="", AWS_ACCESS_KEY_ID="")
    assert result.returncode != 0
    assert "set AWS_ROLE_ARN" in result.stderr
    assert _calls(project) == []


def test_apply_refuses_without_the_plan_of_its_own_environment(project: Path) -> None:
    # Given only the sandbox's plan file
    (project / "terraform/sandbox.tfplan").write_text("plan")

    # When staging is applied
    result = _run(project, "apply", TF_ENVIRONMENT="staging")

    # Then nothing runs: another environment's plan is never applied
    assert result.returncode == 1
    assert "No staging.tfplan" in result.stderr
    assert _calls(project) == []


def test_apply_applies_exactly_the_saved_plan_and_exports_the_outputs(project: Path) -> None:
    # Given production's plan file
    (project / "terraform/production.tfplan").write_text("plan")

    # When production is applied
    result = _run(project, "apply", TF_ENVIRONMENT="production")

    # Then terraform applied that file, with no new plan and no settings that could change it
    assert result.returncode == 0, result.stderr
    commands = [call[0] for call in _calls(project)]
    assert [command for command in commands if command.startswith(("apply", "plan"))] == [
        "apply -input=false -lock-timeout=5m production.tfplan"
    ]
    # And the environment URL and the non-sensitive outputs are exported for the next jobs
    assert (project / "terraform/deploy.env").read_text() == f"API_URL={OUTPUTS['api_base_url']['value']}\n"
    exported = json.loads((project / "terraform/outputs.json").read_text())
    assert set(exported) == {"api_base_url", "user_pool_id"}


def test_destroy_removes_the_sandbox_with_its_own_settings_and_state(project: Path) -> None:
    # Given the sandbox; when its stop job's step runs
    result = _run(project, "destroy", TF_ENVIRONMENT="sandbox")

    # Then terraform destroyed it unattended, with the sandbox's settings, in the sandbox's state
    assert result.returncode == 0, result.stderr
    destroys = [call for call in _calls(project) if call[0].startswith("destroy ")]
    assert [call[0] for call in destroys] == [
        "destroy -input=false -lock-timeout=5m -auto-approve -var-file=environments/sandbox.tfvars"
    ]
    assert destroys[0][1] == "https://gitlab.example.com/api/v4/projects/42/terraform/state/sandbox"


def test_an_unknown_environment_is_refused(project: Path) -> None:
    # Given an environment that is not one of the three; when planned; then it is refused
    result = _run(project, "plan", TF_ENVIRONMENT="local")
    assert result.returncode == 2
    assert _calls(project) == []
