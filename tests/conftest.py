"""Test session set-up: no call ever reaches AWS, and every call is held to AWS's limits.

The emulator is a moto server process on a free port, started on first use; boto3 reaches it
through AWS_ENDPOINT_URL, exactly as the local stack does.
"""

import os
import socket
from collections.abc import Iterator

import boto3
import pytest

from busgps.local.aws_limits import install_aws_limit_guard
from busgps.local.emulator import MotoServer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


MOTO_PORT = _free_port()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "POWERTOOLS_SERVICE_NAME": "busgps-test",
            "POWERTOOLS_METRICS_NAMESPACE": "busgps-test",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    boto3.setup_default_session()
    install_aws_limit_guard(boto3.DEFAULT_SESSION)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of the local stack's emulator process (moto with its fixes), shared by the whole session."""
    with MotoServer("127.0.0.1", MOTO_PORT) as server:
        yield server.endpoint_url


# Tests that share an expensive session fixture run on one xdist worker (`make test` runs pytest -n):
# every environment's Terraform plan, and the pipeline's gitlab-ci-local runs.
SHARED_SESSION_GROUPS = {"infra": "terraform", "pipeline": "pipeline"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        directory = item.path.relative_to(item.config.rootpath).parts[1:2]
        if directory and directory[0] in SHARED_SESSION_GROUPS:
            item.add_marker(pytest.mark.xdist_group(SHARED_SESSION_GROUPS[directory[0]]))
