"""A consumer that takes its time: it sleeps, then notes its records and its pid, then answers success.

Faults injected from outside (a kill, a hang) land in its sleep, in the middle of the invocation, so
an interrupted invocation notes nothing. The log is the file BUSGPS_TEST_SLOW_LOG names.
"""

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

LOG_VARIABLE = "BUSGPS_TEST_SLOW_LOG"
# Long beside the few tenths of a second after which an injected fault lands.
SLEEP_SECONDS = 0.5


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(SLEEP_SECONDS)
    note = {
        "pid": os.getpid(),
        "data": [base64.b64decode(record["kinesis"]["data"]).decode() for record in event["Records"]],
    }
    with Path(os.environ[LOG_VARIABLE]).open("a", encoding="utf-8") as log:
        log.write(json.dumps(note) + "\n")
    return {"batchItemFailures": []}


def logged_invocations(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
