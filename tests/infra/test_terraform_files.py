"""The layout of terraform/ follows the module conventions; what it plans is checked by the plan tests."""

import shutil
import subprocess

import pytest

from infra.terraform_config import MODULES_DIR, TERRAFORM_DIR, child_modules, load_hcl

EXPECTED_MODULES = {
    "api_gateway",
    "cloudfront",
    "cognito",
    "dynamodb",
    "kinesis",
    "kms",
    "lambda",
    "monitoring",
    "route53",
    "s3",
    "sqs",
    "waf",
}
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
TERRAFORM = shutil.which("terraform")


def test_root_has_the_standard_files() -> None:
    # Given the root module
    # When its files are listed
    names = {path.name for path in TERRAFORM_DIR.glob("*.tf")}
    # Then the conventional ones are there
    assert {"versions.tf", "providers.tf", "variables.tf", "outputs.tf", "main.tf"} <= names


def test_every_service_has_a_module_with_the_conventional_files() -> None:
    # Given the modules directory
    # When its modules are listed
    modules = {path.name for path in MODULES_DIR.iterdir() if path.is_dir()}
    # Then there is one per service, each with main, variables, outputs, versions and a README
    assert modules == EXPECTED_MODULES
    missing = [
        f"{name}/{file}"
        for name in modules
        for file in MODULE_FILES
        if not (MODULES_DIR / name / file).is_file()
    ]
    assert missing == []


def test_state_lives_in_an_http_backend_with_a_local_override_for_planning_without_gitlab() -> None:
    # Given the root versions.tf and the override example
    versions = load_hcl(TERRAFORM_DIR / "versions.tf")
    override = load_hcl(TERRAFORM_DIR / "backend_override.tf.example")
    # When their backends are read
    root_backends = [name for block in versions["terraform"] for item in block["backend"] for name in item]
    override_backends = [
        name for block in override["terraform"] for item in block["backend"] for name in item
    ]
    # Then the root uses GitLab's http backend and the override replaces it with local state
    assert root_backends == ["http"]
    assert override_backends == ["local"]


def test_every_module_pins_the_aws_provider_to_major_version_5() -> None:
    for module in child_modules():
        # Given a module's versions.tf
        versions = load_hcl(module.path / "versions.tf")
        # When its provider requirements are read
        aws = versions["terraform"][0]["required_providers"][0]["aws"]
        # Then the AWS provider is hashicorp's, within major version 5
        assert aws["source"] == "hashicorp/aws", module.name
        assert "< 6.0" in aws["version"], module.name


@pytest.mark.skipif(TERRAFORM is None, reason="no terraform binary on this machine: formatting not checked")
def test_terraform_fmt_finds_nothing_to_change() -> None:
    # Given the terraform binary
    # When it checks the formatting of every file
    completed = subprocess.run(
        [str(TERRAFORM), "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Then no file needs reformatting
    assert completed.returncode == 0, completed.stdout


def test_the_provider_tags_every_resource_with_the_project_and_its_environment() -> None:
    # Given the AWS provider of the root module (the plan tests configure a provider of their own)
    provider = load_hcl(TERRAFORM_DIR / "providers.tf")["provider"][0]["aws"]
    # When its default tags are read
    (default_tags,) = provider["default_tags"]
    # Then every resource gets the project's name and its environment, for cost reports and clean-up
    assert 'Project = "busgps"' in default_tags["tags"]
    assert "Environment = var.environment" in default_tags["tags"]
