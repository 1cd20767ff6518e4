"""End-to-end tests: a whole local stack (`busgps local up`) as its own process, reached over HTTP.

The stack runs on free ports with its lock and stack.json in a temporary state directory, so that it
never meets a stack a developer is running from the same checkout.
"""

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from busgps.client.api import BusGpsClient
from busgps.client.auth import CognitoTokenSource, cognito_client
from busgps.client.target import StackTarget
from busgps.local.launcher import LOG_FILE_NAME, stack_command, start_stack, wait_until_healthy

REPOSITORY = Path(__file__).resolve().parents[2]
# A guard against a stack that never stops, not the README's "within a few seconds": `make bench`
# measures how long a stop takes.
STOP_TIMEOUT_SECONDS = 60.0


@dataclass
class StackProcess:
    """A running `busgps local up` and what it wrote about itself."""

    process: "subprocess.Popen[bytes]"
    state_dir: Path
    details: dict[str, Any]

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_FILE_NAME

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, signal_number: int = signal.SIGTERM) -> None:
        """Send SIGTERM (or SIGINT, as Ctrl-C does) and wait for the exit."""
        self.process.send_signal(signal_number)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the stack did not stop within {STOP_TIMEOUT_SECONDS}s:\n{self.log()}"
            ) from None

    def start_another(self) -> "subprocess.CompletedProcess[str]":
        """Run a second `busgps local up` on the same state directory, to its end."""
        return subprocess.run(
            stack_command(self.state_dir),
            cwd=REPOSITORY,
            env=stack_environment(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def stack_environment() -> dict[str, str]:
    """This test session's environment without its emulator: the stack starts its own."""
    return {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}


@contextmanager
def running_stack(state_dir: Path, *options: str) -> Iterator[StackProcess]:
    """Start a stack (with more `busgps local up` options, if given), wait until stack.json exists and
    /health answers 200, and stop it afterwards."""
    process = start_stack(state_dir, *options, cwd=REPOSITORY, env=stack_environment())
    stack = StackProcess(process, state_dir, {})
    try:
        stack.details = wait_until_healthy(stack.process, stack.state_dir)
        yield stack
    finally:
        if process.poll() is None:
            stack.stop()


@pytest.fixture(scope="session")
def launch_stack() -> Callable[..., AbstractContextManager[StackProcess]]:
    """Start a stack of one's own (for tests that stop it); prefer the shared `local_stack`."""
    return running_stack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The stack shared by the whole session: its stack.json, as a dict. It must stop cleanly at the end."""
    with running_stack(tmp_path_factory.mktemp("local-stack")) as stack:
        yield stack.details
        stack.stop()
        assert stack.process.returncode == 0, stack.log()


@pytest.fixture(scope="module")
def client(local_stack: dict[str, Any]) -> Iterator[BusGpsClient]:
    """The client library, logged in as the shared stack's demo device."""
    with requests.Session() as session:
        yield client_of(local_stack, session)


def client_of(details: dict[str, Any], session: requests.Session) -> BusGpsClient:
    """The client library for a stack (its stack.json), logged in as its demo device."""
    target = StackTarget(
        api_url=details["api_url"],
        ingest_url=details["ingest_url"],
        post_url=details["post_url"],
        get_url=details["get_url"],
        region=details["region"],
        stream_name=details["stream_name"],
    )
    tokens = CognitoTokenSource(
        cognito_client(details["region"], details["emulator_endpoint"]),
        details["app_client_id"],
        details["username"],
        details["password"],
    )
    return BusGpsClient(target, tokens, session=session)
