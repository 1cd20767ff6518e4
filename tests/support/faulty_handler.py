"""A consumer for crash tests: it dies or hangs in the invocations it is told to, and logs the others.

The directory named by FAULTS_VARIABLE holds one file per fault still to come (`1-kill`, `2-hang`,
...): each invocation claims the first one left, by renaming it, so that exactly one invocation, in
whichever process, suffers each fault. `kill` ends the process with SIGKILL in the middle of the
batch, as a runtime crash does; `hang` never answers, as a function that overruns its timeout.
Invocations with no fault left append their records' data and their pid to `invocations.jsonl`.
"""

import base64
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

FAULTS_VARIABLE = "BUSGPS_TEST_FAULTS_DIR"
LOG_NAME = "invocations.jsonl"


def _claim_fault(directory: Path) -> str | None:
    for fault in sorted(directory.glob("[0-9]*-*")):
        try:
            fault.rename(fault.with_name(f"claimed-{fault.name}"))
        except FileNotFoundError:  # another process claimed it first
            continue
        return fault.name.split("-", 1)[1]
    return None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    directory = Path(os.environ[FAULTS_VARIABLE])
    fault = _claim_fault(directory)
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "hang":
        time.sleep(3600)
    note = {
        "pid": os.getpid(),
        "data": [base64.b64decode(record["kinesis"]["data"]).decode() for record in event["Records"]],
    }
    with (directory / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(json.dumps(note) + "\n")
    return {"batchItemFailures": []}


def logged_invocations(directory: Path) -> list[dict[str, Any]]:
    log = directory / LOG_NAME
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
