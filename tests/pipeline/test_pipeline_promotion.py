"""The rules of promotion, read from the resolved pipeline: what may deploy where, and how."""

import re
from typing import Any

import pytest

from pipeline.conftest import REPO_ROOT
from pipeline.pipeline_config import jobs

ENVIRONMENTS = ("sandbox", "staging", "production")
AUTOMATIC = {"on_success", "always", "delayed"}


def _environment_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    if isinstance(environment, dict):
        return str(environment["name"])
    return environment


def _runs(job: dict[str, Any], step: str) -> bool:
    return any(f"ci/terraform.sh {step}" in line for line in job.get("script", []))


def _needed_jobs(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    needs = [need if isinstance(need, dict) else {"job": need} for need in job.get("needs", [])]
    return {need["job"]: need for need in needs}


def _changing_jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Jobs that change an environment: terraform apply or destroy."""
    return {name: job for name, job in jobs(pipeline).items() if _runs(job, "apply") or _runs(job, "destroy")}


def test_every_environment_is_planned_deployed_and_verified(pipeline: dict[str, Any]) -> None:
    # Given the jobs; when grouped by environment; then each environment has its three steps
    for environment in ENVIRONMENTS:
        names = {name for name, job in jobs(pipeline).items() if _environment_name(job) == environment}
        assert {f"plan:{environment}", f"deploy:{environment}", f"verify:{environment}"} <= names


def test_production_is_never_automatic(pipeline: dict[str, Any]) -> None:
    # Given every job that applies or destroys production
    production = {
        name: job for name, job in _changing_jobs(pipeline).items() if _environment_name(job) == "production"
    }
    assert production, "no job deploys production"

    for name, job in production.items():
        # Then it has rules (a job without rules would run on_success), and none runs by itself
        assert job.get("when") in (None, "manual"), name
        assert job.get("rules"), f"{name} has no rules: it would run automatically"
        for rule in job["rules"]:
            assert rule.get("when", job.get("when", "on_success")) not in AUTOMATIC, (name, rule)


def test_staging_deploys_automatically_from_the_default_branch_only(pipeline: dict[str, Any]) -> None:
    # Given staging's deploy job; when its rules are read
    rules = jobs(pipeline)["deploy:staging"]["rules"]

    # Then it runs by itself, and only on the default branch
    assert rules == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


def test_sandbox_deploys_from_merge_requests_by_hand(pipeline: dict[str, Any]) -> None:
    # Given the sandbox's deploy job; then every rule is a manual merge-request rule
    for rule in jobs(pipeline)["deploy:sandbox"]["rules"]:
        assert rule["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
        assert rule["when"] == "manual"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_apply_consumes_the_plan_of_its_own_environment(
    pipeline: dict[str, Any], environment: str
) -> None:
    # Given the job that applies this environment and the plan jobs
    all_jobs = jobs(pipeline)
    appliers = [
        job for job in all_jobs.values() if _runs(job, "apply") and _environment_name(job) == environment
    ]
    assert len(appliers) == 1
    apply = appliers[0]
    plan_jobs = {name: job for name, job in all_jobs.items() if _runs(job, "plan")}

    # Then it applies its own environment, and the only plan it takes artifacts from is that
    # environment's, whose artifacts hold the plan file ci/terraform.sh applies
    assert apply["variables"]["TF_ENVIRONMENT"] == environment
    plans_used = {
        name
        for name, need in _needed_jobs(apply).items()
        if name in plan_jobs and need.get("artifacts", True)
    }
    assert plans_used == {f"plan:{environment}"}
    plan = plan_jobs[f"plan:{environment}"]
    assert plan["variables"]["TF_ENVIRONMENT"] == environment
    assert _environment_name(plan) == environment
    assert f"terraform/{environment}.tfplan" in plan["artifacts"]["paths"]
    assert plan["artifacts"]["reports"]["terraform"] == f"terraform/{environment}.plan.json"
    # and the same build's packages the plan was made with
    assert "build" in _needed_jobs(plan)
    assert "build" in _needed_jobs(apply)


def test_every_environment_job_holds_its_resource_group(pipeline: dict[str, Any]) -> None:
    # Given every job tied to an environment; then its resource group is that environment
    environment_jobs = {name: job for name, job in jobs(pipeline).items() if _environment_name(job)}
    assert {_environment_name(job) for job in environment_jobs.values()} == set(ENVIRONMENTS)
    for name, job in environment_jobs.items():
        assert job.get("resource_group") == _environment_name(job), name


def test_every_terraform_job_targets_its_gitlab_environment(pipeline: dict[str, Any]) -> None:
    # Given every job that runs ci/terraform.sh; then TF_ENVIRONMENT names its GitLab environment,
    # whose scoped variables (the AWS role) it then receives
    for name, job in jobs(pipeline).items():
        if any("ci/terraform.sh" in line for line in job.get("script", [])):
            assert job["variables"]["TF_ENVIRONMENT"] == _environment_name(job), name


def test_sandbox_has_a_stop_job_that_destroys_it(pipeline: dict[str, Any]) -> None:
    # Given the sandbox's deploy job
    all_jobs = jobs(pipeline)
    deploy = all_jobs["deploy:sandbox"]
    stages = pipeline["stages"]

    # Then it names a stop job and an automatic stop
    stop_name = deploy["environment"]["on_stop"]
    assert re.fullmatch(r"\d+ (hours?|days?|weeks?)", deploy["environment"]["auto_stop_in"])
    stop = all_jobs[stop_name]

    # And that job stops the same environment by destroying it, when GitLab (or a person) asks
    assert stop["environment"] == {"name": "sandbox", "action": "stop"}
    assert _runs(stop, "destroy")
    assert stop["variables"]["TF_ENVIRONMENT"] == "sandbox"
    assert stages.index(stop["stage"]) >= stages.index(deploy["stage"])
    assert all(rule["when"] == "manual" for rule in stop["rules"])
    # in the same kind of pipeline as the deploy
    assert [rule["if"] for rule in stop["rules"]] == [rule["if"] for rule in deploy["rules"]]


def test_no_job_changing_an_environment_can_be_interrupted(pipeline: dict[str, Any]) -> None:
    # Given jobs that apply or destroy; then a newer pipeline never cancels them half-way
    for name, job in _changing_jobs(pipeline).items():
        assert job.get("interruptible") is False, name


def test_each_deploy_is_followed_by_a_smoke_test_of_its_environment(pipeline: dict[str, Any]) -> None:
    # Given each deploy job; then a verify job of the same environment needs it and runs the smoke test
    all_jobs = jobs(pipeline)
    for environment in ENVIRONMENTS:
        verify = all_jobs[f"verify:{environment}"]
        assert f"deploy:{environment}" in _needed_jobs(verify)
        assert verify["environment"] == {"name": environment, "action": "verify"}
        assert any(line.startswith("ci/smoke.sh") for line in verify["script"])


def test_production_on_the_default_branch_waits_for_stagings_smoke_test(pipeline: dict[str, Any]) -> None:
    # Given production's deploy; then it needs staging's verify job where the pipeline has one
    need = _needed_jobs(jobs(pipeline)["deploy:production"])["verify:staging"]
    assert need.get("optional") is True


def test_every_image_is_pinned_to_a_version(pipeline: dict[str, Any]) -> None:
    # Given the default image and every job's image; then each has an exact version tag
    images = [pipeline["default"]["image"]] + [
        job["image"] for job in jobs(pipeline).values() if "image" in job
    ]
    for image in images:
        name = image["name"] if isinstance(image, dict) else image
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", name), name


def test_environment_urls_come_from_the_deploy_jobs_dotenv(pipeline: dict[str, Any]) -> None:
    # Given each deploy job; then the environment URL is the API_URL its dotenv report exports
    for environment in ENVIRONMENTS:
        deploy = jobs(pipeline)[f"deploy:{environment}"]
        assert deploy["environment"]["url"] == "$API_URL"
        assert deploy["artifacts"]["reports"]["dotenv"] == "terraform/deploy.env"


def test_every_job_names_what_it_needs(pipeline: dict[str, Any]) -> None:
    # Given every job; when its needs are read
    # Then each one lists them, so the pipeline is a DAG and no job waits for a whole stage
    assert [name for name, job in jobs(pipeline).items() if "needs" not in job] == []


def test_python_jobs_cache_pips_downloads_and_terraform_jobs_the_providers(pipeline: dict[str, Any]) -> None:
    # Given where pip and terraform are told to keep their downloads
    pip_cache = pipeline["variables"]["PIP_CACHE_DIR"].removeprefix("$CI_PROJECT_DIR/")
    for name, job in jobs(pipeline).items():
        commands = [*job.get("before_script", []), *job.get("script", [])]
        # When a job installs Python packages (make) or runs terraform
        if any(command.startswith("make ") for command in commands):
            # Then its cache keeps pip's downloads, keyed by the file that pins them
            assert job["cache"]["paths"] == [pip_cache], name
            assert job["cache"]["key"]["files"] == ["pyproject.toml"], name
        if any("ci/terraform.sh" in command for command in commands):
            # Then its cache keeps the providers, keyed by the lock file
            plugin_cache = job["variables"]["TF_PLUGIN_CACHE_DIR"].removeprefix("$CI_PROJECT_DIR/")
            assert job["cache"]["paths"] == [plugin_cache], name
            assert job["cache"]["key"]["files"] == ["terraform/.terraform.lock.hcl"], name
            # And that key is a committed file, so the cache follows the pinned provider versions
            assert (REPO_ROOT / "terraform" / ".terraform.lock.hcl").is_file()


def test_the_test_job_gets_the_terraform_of_the_terraform_jobs(pipeline: dict[str, Any]) -> None:
    # Given the terraform jobs' image and the test job, whose Python image has no terraform
    image = pipeline[".terraform-image"]["image"]["name"]
    test_job = jobs(pipeline)["test"]
    installer = (REPO_ROOT / "ci" / "install-terraform.sh").read_text(encoding="utf-8")
    # When the test job's set-up and the installer's version are read
    version = re.search(r"TERRAFORM_VERSION:-([\d.]+)", installer)
    # Then the job installs terraform where it is missing, at the image's version, so that the
    # plan checks of tests/infra run in GitLab too
    assert "command -v terraform > /dev/null || ci/install-terraform.sh" in test_job["before_script"]
    assert version is not None
    assert image == f"hashicorp/terraform:{version[1]}"
