"""What the local stack shows of its functions' logs: one short line per batch, unless asked for all.

In Lambda a function's output goes to CloudWatch Logs; on one machine it goes to the terminal that
runs the stack, where two JSON documents per batch (the Powertools log record and the metrics) would
bury the rest. So by default each consumer batch is one line of its counts; a log record of another
kind is one line of its level and message; text that is not JSON (a traceback) is shown as it is.
`--json-logs` shows the output exactly as the function wrote it.
"""

import json
import sys
import threading
from collections.abc import Mapping
from typing import Any, TextIO

# The consumer's log record of a batch (busgps.handlers.consumer), and the counts it reports.
BATCH_MESSAGE = "batch processed"
_OUTCOMES = ("written", "invalid", "stale", "failed", "retried")


def batch_summary(counts: Mapping[str, Any]) -> str:
    """'3 records: 2 written, 1 invalid (...)': what happened to a batch, naming only what occurred."""
    received = counts.get("received", 0)
    text = f"{received} record" + ("" if received == 1 else "s")
    outcomes = [f"{counts[name]} {name}" for name in _OUTCOMES if counts.get(name)]
    if outcomes:
        text += ": " + ", ".join(outcomes)
    if counts.get("invalid"):
        text += " (`busgps rejects` says why)"
    return text


def summarise(line: str) -> str | None:
    """The short form of one line of a function's output; None for what is not worth a line (metrics)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if "_aws" in record:  # CloudWatch embedded metrics: counted in the batch's own line
        return None
    if record.get("message") == BATCH_MESSAGE and isinstance(record.get("counts"), dict):
        return batch_summary(record["counts"])
    if "level" in record and "message" in record:
        text = f"{record['level']} {record['message']}"
        exception = record.get("exception")
        if isinstance(exception, str) and exception.strip():
            text += f" ({exception.strip().splitlines()[-1]})"
        return text
    return line


class FunctionLog:
    """Shows one function's output on a stream, summarised (the default) or as written."""

    def __init__(self, label: str, stream: TextIO | None = None, as_written: bool = False) -> None:
        self._label = label
        self._stream = stream
        self._as_written = as_written
        # Shards write from threads of their own: a line is never cut by another.
        self._lock = threading.Lock()

    def __call__(self, output: str) -> None:
        if self._as_written:
            text = output
        else:
            shown = (summarise(line) for line in output.splitlines() if line.strip())
            text = "".join(f"{self._label}: {line}\n" for line in shown if line is not None)
        if text:
            stream = self._stream or sys.stdout
            with self._lock:
                stream.write(text)
                stream.flush()
