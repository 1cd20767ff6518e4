"""A Lambda execution environment: a process of its own that runs one handler, one invocation at a time.

Lambda runs the batches of different shards in different execution environments, so module globals
(Powertools' Logger and Metrics keep per-invocation state there) are never shared between them. The
local event source mapping gives each shard one of these to get the same isolation, and parallelism.
"""

import contextlib
import importlib
import multiprocessing
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from busgps.local.aws_limits import guard_default_session

_STOP = None
_START_TIMEOUT_SECONDS = 60.0


class FunctionError(RuntimeError):
    """The handler raised; the message is its traceback, as Lambda logs it."""


def _serve(connection: Connection, handler_path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the stack, which stops us itself
    guard_default_session()
    module_name, function_name = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    connection.send("ready")
    while (invocation := connection.recv()) is not _STOP:
        event, context = invocation
        try:
            connection.send(("ok", handler(event, context)))
        except Exception:
            connection.send(("error", traceback.format_exc()))


class ExecutionEnvironment:
    """Calls `handler_path` (e.g. busgps.handlers.consumer.lambda_handler) in its own process."""

    def __init__(self, handler_path: str) -> None:
        self.handler_path = handler_path
        # spawn: a fresh interpreter, as Lambda starts one; the environment variables are inherited.
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, handler_path), name=f"lambda:{handler_path}", daemon=True
        )
        self._process.start()
        child.close()
        if not self._connection.poll(_START_TIMEOUT_SECONDS) or self._connection.recv() != "ready":
            self.close()
            raise FunctionError(f"{handler_path} did not start")

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self._connection.send((event, context))
        try:
            outcome, value = self._connection.recv()
        except EOFError:
            raise FunctionError(f"{self.handler_path} exited during an invocation") from None
        if outcome == "error":
            raise FunctionError(value)
        return value

    def close(self, timeout_seconds: float = 3.0) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):  # a process already gone has closed its end
                self._connection.send(_STOP)
            self._process.join(timeout_seconds)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout_seconds)
        self._connection.close()
