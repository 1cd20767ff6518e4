"""A consumer for execution-environment tests: it notes where it ran, and whether it met the others.

Each invocation marks its start in the log's folder, then waits until as many invocations as
BUSGPS_TEST_MEETING_INVOCATIONS have started. Invocations that run in parallel all meet; invocations
run one after another cannot, and the first one says so once it gives up waiting.
"""

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

LOG_VARIABLE = "BUSGPS_TEST_INVOCATION_LOG"
MEETING_VARIABLE = "BUSGPS_TEST_MEETING_INVOCATIONS"
# A guard against waiting forever, not a measure of speed.
GIVE_UP_SECONDS = 20.0


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log = Path(os.environ[LOG_VARIABLE])
    (log.parent / f"started-{uuid.uuid4().hex}").touch()
    expected = int(os.environ.get(MEETING_VARIABLE, "1"))
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while len(list(log.parent.glob("started-*"))) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    note = {
        "pid": os.getpid(),
        "shard": event["Records"][0]["eventID"].split(":")[0],
        "met_the_others": len(list(log.parent.glob("started-*"))) >= expected,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    with log.open("a", encoding="utf-8") as written:
        written.write(json.dumps(note) + "\n")
    return {"batchItemFailures": []}
