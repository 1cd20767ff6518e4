"""The pipeline as GitLab would run it, through gitlab-ci-local: its jobs per kind of pipeline,
its workflow rules, and the lint and test jobs run for real on this machine (shell executor).
"""

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.conftest import NESTED_RUN_VARIABLE, PIPELINES

CHECKS = ["lint:python", "lint:openapi", "lint:terraform", "test", "checkov", "dependency-audit", "build"]
EXPECTED_JOBS = {
    "merge request": [*CHECKS, "plan:sandbox", "deploy:sandbox", "verify:sandbox", "stop:sandbox"],
    "default branch": [
        *CHECKS,
        *("plan:staging", "plan:production", "deploy:staging", "verify:staging"),
        *("deploy:production", "verify:production"),
    ],
    "tag": [*CHECKS, "plan:production", "deploy:production", "verify:production"],
}
# How the jobs that change an environment start, per pipeline.
EXPECTED_WHEN = {
    "merge request": {"deploy:sandbox": "manual", "stop:sandbox": "manual"},
    "default branch": {"deploy:staging": "on_success", "deploy:production": "manual"},
    "tag": {"deploy:production": "manual"},
}
# The nested `make test` of the test job runs the unit tests only (no emulator server, no Terraform
# plans, not these pipeline tests again): the outer run has the others. The job is unchanged, only
# pytest's options come from outside.
NESTED_TEST_OPTIONS = "tests/unit -p no:cacheprovider -q"

GitLabCiLocal = Callable[..., subprocess.CompletedProcess[str]]


def _listed_jobs(gitlab_ci_local: GitLabCiLocal, pipeline: str) -> list[dict[str, Any]]:
    result = gitlab_ci_local("--list-json", variables=PIPELINES[pipeline])
    assert result.returncode == 0, result.stderr
    # Warnings (such as about overriding predefined variables) come first, on stdout.
    listed: list[dict[str, Any]] = json.loads(result.stdout[result.stdout.index("[\n") :])
    return [job for job in listed if job["when"] != "never"]


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_each_pipeline_lists_its_expected_jobs(gitlab_ci_local: GitLabCiLocal, pipeline: str) -> None:
    # Given the variables GitLab sets for this kind of pipeline
    # When gitlab-ci-local lists the jobs whose rules let them in
    jobs = _listed_jobs(gitlab_ci_local, pipeline)

    # Then they are exactly the expected ones, and each deployment starts as it should
    assert sorted(job["name"] for job in jobs) == sorted(EXPECTED_JOBS[pipeline])
    when = {job["name"]: job["when"] for job in jobs}
    assert {name: when[name] for name in EXPECTED_WHEN[pipeline]} == EXPECTED_WHEN[pipeline]


def _readme_job_table(repo_root: Path, pipeline: str) -> list[str]:
    """The job table the README shows for a kind of pipeline, under its "<kind> pipeline" line."""
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    listing = readme[readme.index("The jobs of each pipeline, as `gitlab-ci-local --list` prints them") :]
    listing = listing[listing.index("```text\n") + len("```text\n") : listing.index("```\n")]
    section = listing[listing.index(f"{pipeline} pipeline\n") :].split("\n\n", 1)[0]
    return [line.rstrip() for line in section.splitlines()[1:]]


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_the_table_gitlab_ci_local_prints_names_every_job_as_the_readme_shows(
    gitlab_ci_local: GitLabCiLocal, repo_root: Path, pipeline: str
) -> None:
    # Given a kind of pipeline; when gitlab-ci-local prints its job table
    result = gitlab_ci_local("--list", variables=PIPELINES[pipeline])

    # Then the table has one row per expected job, and it is the table the README shows
    assert result.returncode == 0, result.stderr
    table = [line.rstrip() for line in result.stdout[result.stdout.index("name ") :].splitlines()]
    rows = [line.split()[0] for line in table[1:] if line.strip()]
    assert sorted(rows) == sorted(EXPECTED_JOBS[pipeline])
    assert [line for line in table if line] == _readme_job_table(repo_root, pipeline)
    print(f"{pipeline} pipeline:\n" + "\n".join(table))


def _workflow_decision(
    gitlab_ci_local_path: Path, rules: list[dict[str, Any]], variables: dict[str, str]
) -> str:
    """GitLab's first-matching-rule semantics, with gitlab-ci-local's own `if:` evaluator."""
    utils = gitlab_ci_local_path.parents[1] / "gitlab-ci-local/src/utils.js"
    script = f"""
        import {{Utils}} from {json.dumps(utils.as_uri())};
        const [rules, variables] = JSON.parse(process.argv[1]);
        const rule = rules.find((rule) => Utils.evaluateRuleIf(rule.if, variables));
        console.log(rule === undefined ? "never" : (rule.when ?? "always"));
    """
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps([rules, variables])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("push", "variables", "expected"),
    [
        (
            "merge request",
            {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7"},
            "always",
        ),
        ("default branch", {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}, "always"),
        ("tag", {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.4.0"}, "always"),
        (
            "branch of an open merge request",
            {
                "CI_PIPELINE_SOURCE": "push",
                "CI_COMMIT_BRANCH": "feature",
                "CI_OPEN_MERGE_REQUESTS": "busgps!7",
            },
            "never",
        ),
        (
            "default branch that is the source of an open merge request",
            {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_OPEN_MERGE_REQUESTS": "busgps!8"},
            "always",
        ),
        (
            "branch without merge request",
            {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature"},
            "never",
        ),
    ],
)
def test_workflow_runs_one_pipeline_per_change(
    gitlab_ci_local_path: Path, pipeline: dict[str, Any], push: str, variables: dict[str, str], expected: str
) -> None:
    # Given a push of this kind (gitlab-ci-local 4.60 lists jobs without applying workflow rules)
    # When the workflow rules are evaluated
    decision = _workflow_decision(
        gitlab_ci_local_path, pipeline["workflow"]["rules"], {"CI_DEFAULT_BRANCH": "main", **variables}
    )

    # Then a pipeline is created only for merge requests, the default branch and tags
    assert decision == expected, push


def _run_jobs(
    gitlab_ci_local: GitLabCiLocal, *jobs: str, variables: dict[str, str | None], timeout: float = 420
) -> str:
    if shutil.which("rsync") is None:
        pytest.skip("rsync not found: gitlab-ci-local copies the work tree with it before it runs jobs")
    options = ["--force-shell-executor", "--concurrency", "1"]
    result = gitlab_ci_local(*options, *jobs, variables=variables, timeout=timeout, in_copy=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    for job in jobs:
        assert f"PASS  {job}" in output, output[-6000:]
    return output


def _pytest_summary(output: str) -> dict[str, int]:
    """The counts of pytest's closing line ("3 failed, 270 passed, 45 deselected in 20.1s")."""
    summaries = re.findall(r"^\S+\s*> =*\s*((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s", output, re.MULTILINE)
    assert summaries, "pytest printed no summary line"
    return {word: int(number) for number, word in re.findall(r"(\d+) ([a-z]+)", summaries[-1])}


@pytest.mark.timeout(300)
def test_python_and_openapi_lint_jobs_run_green(gitlab_ci_local: GitLabCiLocal) -> None:
    # Given a merge-request pipeline; when its Python and OpenAPI lint jobs run here
    output = _run_jobs(gitlab_ci_local, "lint:python", "lint:openapi", variables=PIPELINES["merge request"])

    # Then they ran the project's real checks and passed
    assert "$ make lint typecheck" in output
    assert "api/openapi.yaml: OK" in output
    assert "api/ingest.yaml: OK" in output


@pytest.mark.timeout(120)
def test_terraform_fmt_job_runs_green(gitlab_ci_local: GitLabCiLocal) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform not found: the lint:terraform job needs it (its image has it in GitLab)")
    # Given a merge-request pipeline; when its terraform fmt job runs here; then it passes
    output = _run_jobs(gitlab_ci_local, "lint:terraform", variables=PIPELINES["merge request"])
    assert "terraform fmt -check -recursive" in output


@pytest.mark.timeout(960)
def test_test_job_runs_green(gitlab_ci_local: GitLabCiLocal) -> None:
    # Given the test job, with the fast tests selected and these pipeline tests not run again
    variables: dict[str, str | None] = {
        **PIPELINES["merge request"],
        NESTED_RUN_VARIABLE: "1",
        "PYTEST_ADDOPTS": NESTED_TEST_OPTIONS,
    }

    # When it runs here as GitLab runs it: `make test`, installing checkov and gitlab-ci-local
    # first (about 4.5 minutes alone here, twice that beside the rest of the outer run)
    output = _run_jobs(gitlab_ci_local, "test", variables=variables, timeout=900)

    # Then make test linted, type-checked and ran tests, all green
    assert "$ make test" in output
    counts = _pytest_summary(output)
    assert counts.get("passed", 0) > 0, counts
    assert not {"failed", "error", "errors"} & set(counts), counts
