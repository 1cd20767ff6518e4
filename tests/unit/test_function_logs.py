"""The local stack's view of its functions' logs: a line per batch by default, everything when asked."""

import io
import json

import pytest

from busgps.local.function_logs import FunctionLog, batch_summary, summarise

BATCH_RECORD = {
    "level": "INFO",
    "location": "lambda_handler:45",
    "message": "batch processed",
    "timestamp": "2026-12-01 08:45:39,862+0000",
    "service": "busgps",
    "cold_start": False,
    "function_name": "busgps-local-consumer",
    "counts": {"received": 3, "valid": 2, "invalid": 1, "stale": 0, "written": 2, "retried": 0, "failed": 0},
}
METRICS = {
    "_aws": {"Timestamp": 1796114739862, "CloudWatchMetrics": [{"Namespace": "busgps", "Metrics": []}]},
    "service": "busgps",
    "received": [3.0],
}


def test_a_batch_is_one_line_naming_only_what_happened():
    # Given the counts of a batch with an invalid record, and of a clean batch of one record
    # Then each line says how many records came and what became of them, and where to look
    assert (
        batch_summary(BATCH_RECORD["counts"]) == "3 records: 2 written, 1 invalid (`busgps rejects` says why)"
    )
    assert batch_summary({"received": 1, "valid": 1, "written": 1}) == "1 record: 1 written"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (json.dumps(METRICS), None),
        (json.dumps({"level": "ERROR", "message": "storage unavailable"}), "ERROR storage unavailable"),
        (
            json.dumps({"level": "ERROR", "message": "failed", "exception": "Traceback...\nKeyError: 'x'"}),
            "ERROR failed (KeyError: 'x')",
        ),
        ("Traceback (most recent call last):", "Traceback (most recent call last):"),
        ("[1, 2]", "[1, 2]"),
    ],
)
def test_other_lines_are_short_or_left_out(line, shown):
    # Given a line the function wrote, Then metrics are left out, log records shortened, text kept
    assert summarise(line) == shown


def test_the_default_view_is_a_line_per_batch_without_json():
    # Given what the consumer writes for one batch: its log record and its metrics
    stream = io.StringIO()
    log = FunctionLog("consumer", stream)

    # When it is shown
    log(json.dumps(BATCH_RECORD) + "\n" + json.dumps(METRICS) + "\n")

    # Then one short human line stands for both
    assert stream.getvalue() == "consumer: 3 records: 2 written, 1 invalid (`busgps rejects` says why)\n"


def test_json_logs_show_the_output_as_written():
    # Given the view that shows everything, When the same output is shown, Then it is unchanged
    stream = io.StringIO()
    output = json.dumps(BATCH_RECORD) + "\n" + json.dumps(METRICS) + "\n"
    FunctionLog("consumer", stream, as_written=True)(output)
    assert stream.getvalue() == output
