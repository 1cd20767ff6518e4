"""Starting a `busgps local up` as a process of its own, and waiting for it (benchmark and tests)."""

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

START_TIMEOUT_SECONDS = 90.0
LOG_FILE_NAME = "stack.log"


def stack_command(state_dir: Path, *options: str) -> list[str]:
    """`busgps local up` on free ports, its lock and stack.json in `state_dir`, with more options."""
    busgps = Path(sys.executable).with_name("busgps")
    local_up = [str(busgps), "local", "up", "--port", "0", "--emulator-port", "0", "--websocket-port", "0"]
    return [*local_up, "--state-dir", str(state_dir), "--no-access-log", *options]


def start_stack(
    state_dir: Path, *options: str, cwd: Path, env: Mapping[str, str] | None = None
) -> "subprocess.Popen[bytes]":
    """Start the stack; what it prints goes to state_dir/stack.log."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOG_FILE_NAME).open("wb") as log:
        return subprocess.Popen(
            stack_command(state_dir, *options), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env
        )


class StackNotReady(RuntimeError):
    """The stack exited, or did not answer GET /health in time; the message carries its log."""


def wait_until_healthy(
    process: "subprocess.Popen[bytes]", state_dir: Path, timeout_seconds: float = START_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The stack's stack.json, once its GET /health answers 200."""
    stack_file = state_dir / "stack.json"
    log_path = state_dir / LOG_FILE_NAME
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
