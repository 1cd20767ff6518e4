"""Fixtures of the pipeline tests: the resolved pipeline, and gitlab-ci-local to run it."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.pipeline_config import load_pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]
GITLAB_CI_LOCAL = REPO_ROOT / ".tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local"
# Set in the jobs that a pipeline test runs, so that their own `make test` never runs these again.
NESTED_RUN_VARIABLE = "BUSGPS_PIPELINE_NESTED_RUN"

# The predefined variables that tell GitLab which kind of pipeline it is.
PIPELINES: dict[str, dict[str, str | None]] = {
    "merge request": {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/faster-consumer",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_COMMIT_BRANCH": None,
        "CI_COMMIT_TAG": None,
    },
    "default branch": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_TAG": None},
    "tag": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.4.0", "CI_COMMIT_BRANCH": None},
}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def pipeline() -> dict[str, Any]:
    return load_pipeline(REPO_ROOT)


@pytest.fixture(scope="session")
def gitlab_ci_local_path() -> Path:
    """The gitlab-ci-local that `make test` installs; skipped, with the reason, without Node.js."""
    if os.environ.get(NESTED_RUN_VARIABLE):
        pytest.skip("inside a job that a pipeline test runs: gitlab-ci-local is not run again")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found: gitlab-ci-local (an npm package) cannot run here")
    if not GITLAB_CI_LOCAL.exists():
        # Run outside `make test`: the same Makefile rule installs it.
        subprocess.run(
            ["make", "--no-print-directory", str(GITLAB_CI_LOCAL.relative_to(REPO_ROOT))],
            cwd=REPO_ROOT,
            check=True,
        )
    return GITLAB_CI_LOCAL


def _clean_environment() -> dict[str, str]:
    """This process's environment without what the test session set for itself (emulator, pytest)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PYTEST_", "BUSGPS_", "CI_", "GITLAB_"))
    }


def variable_arguments(variables: dict[str, str | None]) -> list[str]:
    arguments = []
    for name, value in variables.items():
        arguments += ["--unset-variable", name] if value is None else ["--variable", f"{name}={value}"]
    return arguments


def _git(*arguments: str, cwd: Path = REPO_ROOT) -> list[str]:
    listed = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, check=True).stdout
    return [name for name in listed.decode("utf-8").split("\0") if name]


def work_tree_copy(destination: Path) -> Path:
    """A clone of the repository with the work tree's uncommitted changes. gitlab-ci-local copies the
    checkout it runs in into that checkout's .gitlab-ci-local/ and runs jobs there: two runs in one
    checkout (tests on other pytest workers, a job's own tests) would write into each other's copy."""
    _git("clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(destination))
    for name in _git("ls-files", "-z", "--modified", "--others", "--exclude-standard"):
        source = REPO_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    for name in _git("ls-files", "-z", "--deleted"):
        (destination / name).unlink(missing_ok=True)
    return destination


@pytest.fixture(scope="session")
def gitlab_ci_local(
    gitlab_ci_local_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs gitlab-ci-local with a pipeline's variables and no user settings: on the repository, or
    (`in_copy`, for running jobs) on the session's copy of its work tree, made at the first such run.
    The pipeline tests run one after another on one pytest worker, so the jobs share the copy, and
    what the first one installs there (the virtualenv), as they did in the repository."""
    home = tmp_path_factory.mktemp("gitlab-ci-local-home")
    copies: list[Path] = []

    def run(
        *arguments: str, variables: dict[str, str | None], timeout: float = 120, in_copy: bool = False
    ) -> subprocess.CompletedProcess[str]:
        if in_copy and not copies:
            copies.append(work_tree_copy(tmp_path_factory.mktemp("checkout") / "busgps"))
        checkout = copies[0] if in_copy else REPO_ROOT
        command = [
            str(gitlab_ci_local_path),
            "--home", str(home),
            "--no-color",
            "--variable", "CI_DEFAULT_BRANCH=main",
            *variable_arguments(variables),
            *arguments,
        ]  # fmt: skip
        return subprocess.run(
            command, cwd=checkout, env=_clean_environment(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    return run
