"""A consumer that writes to stdout and stderr, as a function's log, and raises when told to."""

import sys
from typing import Any

print("loaded")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError(event["fail"])
    print(f"handled {len(event['Records'])} records")
    print("a warning", file=sys.stderr)
    return {"batchItemFailures": []}
