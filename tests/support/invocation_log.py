"""A consumer for execution-environment tests: it notes where and when it ran, and takes its time."""

import json
import os
import time
from typing import Any

LOG_VARIABLE = "BUSGPS_TEST_INVOCATION_LOG"
INVOCATION_SECONDS = 1.0


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.time()
    time.sleep(INVOCATION_SECONDS)
    note = {
        "pid": os.getpid(),
        "shard": event["Records"][0]["eventID"].split(":")[0],
        "started": started,
        "ended": time.time(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(json.dumps(note) + "\n")
    return {"batchItemFailures": []}
