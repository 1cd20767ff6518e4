"""Waiting for a `busgps local up` started as a process of its own (by the benchmark and the tests)."""

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

START_TIMEOUT_SECONDS = 90.0


class StackNotReady(RuntimeError):
    """The stack exited, or did not answer GET /health in time; the message carries its log."""


def wait_until_healthy(
    process: "subprocess.Popen[bytes]",
    state_dir: Path,
    log_path: Path,
    timeout_seconds: float = START_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """The stack's stack.json, once its GET /health answers 200."""
    stack_file = state_dir / "stack.json"
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackNotReady(f"the local stack exited with {process.returncode}:\n{_log(log_path)}")
        if stack_file.exists():
            details: dict[str, Any] = json.loads(stack_file.read_text(encoding="utf-8"))
            try:
                if requests.get(details["health_url"], timeout=2).status_code == 200:
                    return details
            except requests.RequestException:
                pass  # not listening yet
        time.sleep(0.1)
    raise StackNotReady(f"the local stack was not healthy within {timeout_seconds:.0f}s:\n{_log(log_path)}")


def _log(log_path: Path) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace")
