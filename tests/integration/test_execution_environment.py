"""A Lambda execution environment of the local stack: a crash or a timeout costs an invocation, not the
environment; the next invocation gets a fresh process, as Lambda starts a new one."""

import base64
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from busgps.local.execution_environment import ExecutionEnvironment, FunctionError, Interruption
from busgps.local.lambda_context import LambdaContext
from support import faulty_handler, slow_handler
from support.polling import wait_for

pytestmark = pytest.mark.integration

HANDLER = "support.faulty_handler.lambda_handler"


def event(*payloads: str) -> dict[str, object]:
    return {
        "Records": [
            {"kinesis": {"data": base64.b64encode(payload.encode()).decode()}} for payload in payloads
        ]
    }


def process_state(pid: int) -> str | None:
    """The state letter in /proc (Z: dead, not yet reaped), or None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


@pytest.fixture
def faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(faulty_handler.FAULTS_VARIABLE, str(tmp_path))
    return tmp_path


@pytest.fixture
def environment(faults: Path) -> Iterator[ExecutionEnvironment]:
    environment = ExecutionEnvironment(HANDLER, timeout_seconds=2.0)
    yield environment
    environment.close()


def context() -> LambdaContext:
    return LambdaContext(
        function_name="busgps-test-consumer",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:busgps-test-consumer",
        memory_limit_in_mb=128,
        timeout_seconds=2.0,
    )


def test_a_process_killed_during_an_invocation_is_replaced_by_the_next_invocation(
    environment: ExecutionEnvironment, faults: Path
) -> None:
    # Given an environment whose next invocation is killed (SIGKILL) mid-batch
    first_pid = environment.pid
    (faults / "1-kill").touch()

    # When it is invoked, the invocation fails as a function error naming the exit
    with pytest.raises(FunctionError, match="exited during an invocation"):
        environment(event("lost"), context())

    # Then the next invocation runs in a fresh process and succeeds
    assert environment(event("retried"), context()) == {"batchItemFailures": []}
    [note] = faulty_handler.logged_invocations(faults)
    assert note["data"] == ["retried"]
    assert note["pid"] not in (first_pid, os.getpid())
    assert environment.starts == 2


def test_a_process_killed_between_invocations_is_replaced_before_the_next(
    environment: ExecutionEnvironment, faults: Path
) -> None:
    # Given an environment whose process was killed while idle (no invocation under way)
    pid = environment.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: process_state(pid) in ("Z", None))

    # When it is invoked, a fresh process serves the invocation
    assert environment(event("after"), context()) == {"batchItemFailures": []}

    # Then nothing was lost and the environment started twice
    assert [note["data"] for note in faulty_handler.logged_invocations(faults)] == [["after"]]
    assert environment.starts == 2


def test_an_invocation_over_the_timeout_is_ended_and_the_process_replaced(
    environment: ExecutionEnvironment, faults: Path
) -> None:
    # Given a function that hangs in its next invocation, with a 2 s timeout
    (faults / "1-hang").touch()
    hung_pid = environment.pid

    # When it is invoked, the invocation times out as Lambda's does
    with pytest.raises(FunctionError, match=r"timed out after 2\.0 seconds"):
        environment(event("hangs"), context())

    # Then the hung process is gone, and the next invocation runs in a new one
    assert hung_pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(hung_pid, 0)
    assert environment(event("next"), context()) == {"batchItemFailures": []}
    assert [note["data"] for note in faulty_handler.logged_invocations(faults)] == [["next"]]


def test_a_handler_error_keeps_the_process(environment: ExecutionEnvironment, faults: Path) -> None:
    # Given a handler that raises (its event has no Records)
    pid = environment.pid

    # When it is invoked, the error carries the handler's traceback
    with pytest.raises(FunctionError, match="KeyError"):
        environment({}, context())

    # Then the process lives on, as Lambda keeps an environment whose handler raised
    assert environment.pid == pid
    assert environment.starts == 1


def test_what_the_function_writes_comes_back_with_each_invocation() -> None:
    # Given an environment of a function that prints when loaded and when invoked
    outputs: list[str] = []
    environment = ExecutionEnvironment("support.chatty_handler.lambda_handler", 5.0, output=outputs.append)
    try:
        # Then what it wrote while loading is its first output
        assert outputs == ["loaded\n"]

        # When it is invoked, Then its stdout and stderr of that invocation come back with the answer
        assert environment(event("a", "b"), context()) == {"batchItemFailures": []}
        assert outputs[1:] == ["handled 2 records\na warning\n"]
    finally:
        environment.close()


def test_a_handler_error_is_lambdas_error_payload_and_is_logged() -> None:
    # Given an environment of a function that raises ValueError when told to
    outputs: list[str] = []
    environment = ExecutionEnvironment("support.chatty_handler.lambda_handler", 5.0, output=outputs.append)
    try:
        # When it is invoked to fail
        invocation = environment.invoke({"fail": "no such bus"}, context())
    finally:
        environment.close()

    # Then the invocation carries Lambda's error payload, and the traceback is in its output
    assert invocation.error is not None
    assert (invocation.error["errorType"], invocation.error["errorMessage"]) == ("ValueError", "no such bus")
    assert any("chatty_handler.py" in line for line in invocation.error["stackTrace"])
    assert "ValueError: no such bus" in invocation.output


@pytest.fixture
def slow_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "slow.jsonl"
    monkeypatch.setenv(slow_handler.LOG_VARIABLE, str(log))
    return log


@pytest.mark.parametrize(
    ("signal_number", "error"),
    [(signal.SIGKILL, "exited during an invocation"), (signal.SIGSTOP, r"timed out after 2\.0 seconds")],
)
def test_an_interruption_lands_in_the_middle_of_the_invocation_and_ends_the_process(
    slow_log: Path, signal_number: int, error: str
) -> None:
    # Given an environment of a function that takes half a second, with a 2 s timeout
    environment = ExecutionEnvironment("support.slow_handler.lambda_handler", timeout_seconds=2.0)
    try:
        interrupted_pid = environment.pid

        # When its invocation is killed (or frozen) a tenth of a second in
        with pytest.raises(FunctionError, match=error) as raised:
            environment(event("lost"), context(), Interruption(signal_number, 0.1))

        # Then the invocation failed as a crash (or a timeout) that the interruption caused, before the
        # function noted anything, and the next invocation runs in a fresh process
        assert raised.value.interrupted
        assert slow_handler.logged_invocations(slow_log) == []
        assert environment(event("next"), context()) == {"batchItemFailures": []}
        [note] = slow_handler.logged_invocations(slow_log)
        assert note["data"] == ["next"]
        assert note["pid"] != interrupted_pid
        assert environment.starts == 2
    finally:
        environment.close()


def test_an_interruption_due_after_the_answer_does_not_land(environment: ExecutionEnvironment) -> None:
    # Given an environment whose function answers at once
    pid = environment.pid

    # When an invocation is to be killed after a second
    invocation = environment.invoke(event("quick"), context(), Interruption(signal.SIGKILL, 1.0))

    # Then it answered, was not interrupted, and its process lives on
    assert invocation.error is None
    assert not invocation.interrupted
    assert environment.pid == pid
    assert environment.starts == 1
