"""ci/smoke.sh, the verify jobs' smoke test, run against a local stack in place of a deployment.

The stack's details are handed over in the shape of `terraform output -json`, as the deploy job
writes them; the CI device user is created in the stack's emulated Cognito, as in AWS.
"""

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import running_stack

pytestmark = pytest.mark.e2e
SMOKE_SCRIPT = Path(__file__).resolve().parents[2] / "ci/smoke.sh"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_stack(tmp_path_factory.mktemp("smoke-stack")) as running:
        yield running.details


def _terraform_outputs(stack: dict[str, Any], **overrides: str) -> dict[str, Any]:
    values = {
        "api_base_url": stack["api_url"],
        "ingest_base_url": stack["ingest_url"],
        "aws_region": stack["region"],
        "user_pool_id": stack["user_pool_id"],
        "app_client_id": stack["app_client_id"],
        "stream_name": stack["stream_name"],
        **overrides,
    }
    return {name: {"sensitive": False, "type": "string", "value": value} for name, value in values.items()}


def _run_smoke(
    stack: dict[str, Any], outputs: dict[str, Any], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    environment = {name: value for name, value in os.environ.items() if not name.startswith("BUSGPS_")}
    environment |= {
        "AWS_ENDPOINT_URL": stack["emulator_endpoint"],
        "BUSGPS_COGNITO_ENDPOINT": stack["emulator_endpoint"],
        "CI_PIPELINE_ID": "4242",
    }
    return subprocess.run(
        [str(SMOKE_SCRIPT), str(outputs_file)],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_smoke_test_passes_when_a_posted_position_becomes_visible(
    stack: dict[str, Any], tmp_path: Path
) -> None:
    # Given a running stack described as terraform outputs
    outputs = _terraform_outputs(stack)

    # When the smoke test runs against it
    result = _run_smoke(stack, outputs, tmp_path)

    # Then the CI device logged in, posted, and saw its position through GET in time
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Posted bus ci-smoke-4242-" in result.stdout
    assert "Visible through GET after" in result.stdout


def test_smoke_test_fails_when_the_post_is_refused(stack: dict[str, Any], tmp_path: Path) -> None:
    # Given outputs naming a stream the API does not write to (the POST body must name its own)
    outputs = _terraform_outputs(stack, stream_name="busgps-local-someone-elses-stream")

    # When the smoke test runs
    result = _run_smoke(stack, outputs, tmp_path)

    # Then it fails, and nothing claims the position was posted
    assert result.returncode != 0
    assert "Posted bus" not in result.stdout
