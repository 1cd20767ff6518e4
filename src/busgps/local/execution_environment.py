"""A Lambda execution environment: a process of its own that runs one handler, one invocation at a time.

Lambda runs the batches of different shards in different execution environments, so module globals
(Powertools' Logger and Metrics keep per-invocation state there) are never shared between them. The
local event source mapping gives each shard one of these to get the same isolation, and parallelism.

As in Lambda, an environment whose process dies during an invocation (a crash, SIGKILL, running out
of memory) or that overruns the function's timeout is discarded: that invocation fails with a
function error, and the next one starts a fresh process (a cold start).

As Lambda's runtime does, the environment captures what the function writes (stdout and stderr, its
log): each invocation's output comes back with its result, and goes to the environment's `output`.

The event source mapping injects Lambda's own faults through `Interruption` (`local up --faults`): the
process killed, or frozen so that the invocation overruns its timeout, while the invocation runs.
"""

import contextlib
import importlib
import io
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from busgps.local.aws_limits import guard_default_session

_STOP = None
_START_TIMEOUT_SECONDS = 60.0

OutputSink = Callable[[str], None]


class FunctionError(RuntimeError):
    """The invocation failed: the handler raised (the message is its traceback, as Lambda logs it),
    its process died, or it timed out."""

    def __init__(self, message: str, *, interrupted: bool = False) -> None:
        super().__init__(message)
        # Whether an injected Interruption ended it.
        self.interrupted = interrupted


@dataclass(frozen=True)
class Interruption:
    """A fault injected into one invocation: `signal_number` sent to its process once the invocation
    has run `after_seconds` without answering (SIGKILL: a crash; SIGSTOP: a hang, which overruns the
    timeout). An invocation that answers sooner is not interrupted."""

    signal_number: int
    after_seconds: float


@dataclass(frozen=True)
class Invocation:
    """How one invocation ended: the handler's answer, or Lambda's error payload; and its output."""

    response: Any = None
    # Lambda's payload of a function error: errorType, errorMessage, and stackTrace when it raised.
    error: dict[str, Any] | None = None
    output: str = ""
    # The traceback, or what ended the invocation (a crash, a timeout), as Lambda logs it.
    error_text: str = ""
    # Whether an injected Interruption reached its process while the invocation ran.
    interrupted: bool = False


class _CapturedOutput(io.TextIOBase):
    """The function's stdout and stderr: kept until the invocation's result is sent with it."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


def _error_payload(error: Exception) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def _serve(connection: Connection, handler_path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the stack, which stops us itself
    # Before the handler's module is imported: loggers keep the stream they find at import.
    output = _CapturedOutput()
    sys.stdout = sys.stderr = output
    guard_default_session()
    module_name, function_name = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    connection.send(("ready", output.take()))
    while (invocation := connection.recv()) is not _STOP:
        event, context = invocation
        try:
            response = handler(event, context)
        except Exception as error:
            traceback.print_exc()
            connection.send(("error", _error_payload(error), output.take(), traceback.format_exc()))
        else:
            connection.send(("ok", response, output.take(), ""))


def write_to_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


class ExecutionEnvironment:
    """Calls `handler_path` (e.g. busgps.handlers.consumer.lambda_handler) in its own process."""

    def __init__(
        self, handler_path: str, timeout_seconds: float | None = None, output: OutputSink = write_to_stdout
    ) -> None:
        self.handler_path = handler_path
        self.timeout_seconds = timeout_seconds
        self._output = output
        # How many processes this environment has started: 1 plus one per crash or timeout.
        self.starts = 0
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._start()

    @property
    def pid(self) -> int | None:
        """The process serving invocations now (None between a crash and the next invocation)."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        # spawn: a fresh interpreter, as Lambda starts one; the environment variables are inherited.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve, args=(child, self.handler_path), name=f"lambda:{self.handler_path}"
        )
        process.daemon = True
        process.start()
        child.close()
        self._process, self._connection = process, parent
        self.starts += 1
        try:
            ready = parent.poll(_START_TIMEOUT_SECONDS) and parent.recv()
        except (EOFError, OSError):
            ready = None
        if not (isinstance(ready, tuple) and ready[0] == "ready"):
            self._discard()
            raise FunctionError(f"{self.handler_path} did not start")
        if ready[1]:
            self._output(ready[1])

    def __call__(self, event: dict[str, Any], context: Any, interruption: Interruption | None = None) -> Any:
        """The handler's answer; FunctionError when the invocation failed. Its output goes to `output`."""
        invocation = self.invoke(event, context, interruption)
        if invocation.output:
            self._output(invocation.output)
        if invocation.error is not None:
            raise FunctionError(invocation.error_text, interrupted=invocation.interrupted)
        return invocation.response

    def invoke(
        self, event: dict[str, Any], context: Any, interruption: Interruption | None = None
    ) -> Invocation:
        """Run one invocation; a crash or a timeout is a function error, as in Lambda, never an exception."""
        # Between invocations the process sends nothing: anything readable is the end of a dead one.
        if self._process is None or not self._process.is_alive() or self._connection_closed():
            self._discard()
            self._start()
        connection, process = self._connection, self._process
        assert connection is not None
        assert process is not None
        assert process.pid is not None
        interrupted = False
        try:
            connection.send((event, context))
            waited = 0.0
            if interruption is not None and not connection.poll(interruption.after_seconds):
                os.kill(process.pid, interruption.signal_number)
                interrupted, waited = True, interruption.after_seconds
            remaining = None if self.timeout_seconds is None else max(0.0, self.timeout_seconds - waited)
            if not connection.poll(remaining):
                self._discard()
                message = (
                    f"{self.handler_path} timed out after {self.timeout_seconds} seconds (Task timed out)"
                )
                return Invocation(
                    error={"errorType": "Sandbox.Timedout", "errorMessage": message},
                    error_text=message,
                    interrupted=interrupted,
                )
            outcome, value, output, error_text = connection.recv()
        except (EOFError, OSError):
            self._discard()
            message = f"{self.handler_path} exited during an invocation (Runtime.ExitError)"
            return Invocation(
                error={"errorType": "Runtime.ExitError", "errorMessage": message},
                error_text=message,
                interrupted=interrupted,
            )
        if outcome == "error":
            return Invocation(error=value, output=output, error_text=error_text, interrupted=interrupted)
        return Invocation(response=value, output=output, interrupted=interrupted)

    def _connection_closed(self) -> bool:
        try:
            return self._connection is None or self._connection.poll(0)
        except OSError:
            return True

    def _discard(self) -> None:
        """End the process at once, as Lambda ends an environment that crashed or timed out."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process, self._connection = None, None

    def close(self, timeout_seconds: float = 3.0) -> None:
        process, connection = self._process, self._connection
        if process is None or connection is None:
            return
        if process.is_alive():
            with contextlib.suppress(OSError):  # a process already gone has closed its end
                connection.send(_STOP)
            process.join(timeout_seconds)
        if process.is_alive():
            process.terminate()
            process.join(timeout_seconds)
        connection.close()
        self._process, self._connection = None, None
