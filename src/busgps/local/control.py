"""`busgps local status` and `busgps local down`: a running stack, seen and stopped from another terminal.

A stack runs while it holds the lock on `<state dir>/stack.pid` (see `stack.StackLock`); the kernel
releases it when the process ends, however it ends, so the lock says whether a stack runs, and the
file says which process.
"""

import contextlib
import fcntl
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from busgps.client.target import DEFAULT_STACK_FILE

LOCK_FILE_NAME = "stack.pid"
STACK_FILE_NAME = DEFAULT_STACK_FILE.name
HEALTH_TIMEOUT_SECONDS = 2.0
STOP_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class StackStatus:
    pid: int | None
    # The stack file's content while it runs (None while it is still starting).
    details: dict[str, Any] | None = None
    healthy: bool = False

    @property
    def running(self) -> bool:
        return self.pid is not None


def running_pid(state_dir: Path) -> int | None:
    """The pid of the stack that holds the lock of this state directory, or None when none runs."""
    try:
        lock_file = (state_dir / LOCK_FILE_NAME).open(encoding="utf-8")
    except FileNotFoundError:
        return None
    with lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = lock_file.read().strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return None


def stack_status(state_dir: Path) -> StackStatus:
    pid = running_pid(state_dir)
    if pid is None:
        return StackStatus(pid=None)
    try:
        details = json.loads((state_dir / STACK_FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return StackStatus(pid=pid)
    try:
        healthy = requests.get(details["health_url"], timeout=HEALTH_TIMEOUT_SECONDS).status_code == 200
    except (requests.RequestException, KeyError):
        healthy = False
    return StackStatus(pid=pid, details=details, healthy=healthy)


def stop_stack(pid: int, state_dir: Path, timeout_seconds: float) -> bool:
    """SIGTERM, as Ctrl-C stops it; True once the stack released its lock within the timeout."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    while running_pid(state_dir) == pid:
        if time.monotonic() > deadline:
            return False
        time.sleep(STOP_POLL_SECONDS)
    return True
