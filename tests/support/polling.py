"""Waiting for what an asynchronous pipeline will show, without fixed sleeps."""

import time
from collections.abc import Callable
from typing import Any


def wait_for(probe: Callable[[], Any], timeout_seconds: float = 15.0) -> Any:
    """The first truthy result of `probe`, polled until the timeout (then its last result)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)
