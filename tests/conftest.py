"""Test session set-up: no call ever reaches AWS, and every call is held to AWS's limits.

The emulator is a moto server process on a free port, started on first use; boto3 reaches it
through AWS_ENDPOINT_URL, exactly as the local stack does.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from busgps.local.aws_limits import install_aws_limit_guard


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
    """The URL of a moto server process, shared by the whole test session."""
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    moto_server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310 - loopback only
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the moto server did not start") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
