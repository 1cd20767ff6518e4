"""The CLI's own parsing: times, position files, and clear errors instead of tracebacks."""

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from busgps.cli import build_parser, main
from busgps.client import commands
from busgps.client.api import BusGpsClient
from busgps.client.commands import InputError, ProgressLine, parse_time, read_positions_file
from busgps.client.driver import Progress
from busgps.client.gtfs import TimetableFleet
from busgps.client.models import BatchResult, FailedEntry
from support.gtfs_feeds import AUCKLAND


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T08:30:00Z", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("2026-12-01T10:30:00+02:00", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("2026-12-01T08:30:00", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),  # no zone means UTC
        ("1693481697", datetime(2023, 8, 31, 11, 34, 57, tzinfo=UTC)),  # epoch seconds
        ("1693481697250", datetime(2023, 8, 31, 11, 34, 57, 250000, tzinfo=UTC)),  # epoch milliseconds
    ],
)
def test_times_are_read_as_iso_or_epoch(text, expected):
    # Given a time as a user would type it, Then it is that instant
    assert parse_time(text) == expected


def test_a_time_that_is_neither_is_refused():
    # Given words, Then argparse gets a message saying what is accepted
    with pytest.raises(argparse.ArgumentTypeError, match="ISO-8601"):
        parse_time("yesterday")


def test_a_json_list_of_positions_is_read(tmp_path: Path):
    # Given a file with a JSON list
    entries = [{"busId": "1", "latitude": 1, "longitude": 2}, {"busId": "2", "latitude": 3, "longitude": 4}]
    file = tmp_path / "positions.json"
    file.write_text(json.dumps(entries, indent=2))

    # Then the entries are read as they are
    assert read_positions_file(str(file)) == entries


def test_json_lines_are_read_and_blank_lines_skipped(tmp_path: Path):
    # Given JSON lines with a blank line
    file = tmp_path / "positions.jsonl"
    file.write_text(
        '{"busId": "1", "latitude": 1, "longitude": 2}\n\n{"busId": "2", "latitude": 3, "longitude": 4}\n'
    )

    # Then both lines are entries
    assert [entry["busId"] for entry in read_positions_file(str(file))] == ["1", "2"]


def test_a_bad_json_line_names_its_line_number(tmp_path: Path):
    # Given a file whose second line is broken
    file = tmp_path / "positions.jsonl"
    file.write_text('{"busId": "1", "latitude": 1, "longitude": 2}\n{"busId": \n')

    # Then the error points at line 2
    with pytest.raises(InputError, match="line 2 is not valid JSON"):
        read_positions_file(str(file))


def test_entries_must_be_objects(tmp_path: Path):
    # Given a list of numbers, Then it is refused
    file = tmp_path / "positions.json"
    file.write_text("[1, 2]")
    with pytest.raises(InputError, match="JSON objects"):
        read_positions_file(str(file))


def test_cli_without_a_stack_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a directory with no local stack and no deployed stack named
    monkeypatch.chdir(tmp_path)
    for variable in ("BUSGPS_API_URL", "BUSGPS_STACK_FILE"):
        monkeypatch.delenv(variable, raising=False)

    # When a command runs
    exit_code = main(["get", "17"])

    # Then it exits non-zero with one line that says what to do, and no traceback
    assert exit_code == 2
    error = capsys.readouterr().err
    assert "busgps local up" in error
    assert "Traceback" not in error


def test_cli_post_batch_of_a_missing_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a file that does not exist
    monkeypatch.chdir(tmp_path)

    # When it is posted
    exit_code = main(["post-batch", "absent.json", "--api-url", "http://127.0.0.1:9", "--token", "t"])

    # Then the error names the file
    assert exit_code == 2
    assert "cannot read absent.json" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-url", "https://gps.example.com", "--region", "eu-west-1", "get", "17"],
        ["get", "17", "--api-url", "https://gps.example.com", "--region", "eu-west-1"],
        ["--api-url", "https://gps.example.com", "get", "17", "--region", "eu-west-1"],
    ],
)
def test_stack_options_go_before_or_after_the_command(argv):
    # Given the stack named before the command, after it, or both
    arguments = build_parser().parse_args(argv)

    # Then the command sees every option, none lost to the command's defaults
    assert (arguments.api_url, arguments.region, arguments.bus) == (
        "https://gps.example.com",
        "eu-west-1",
        "17",
    )


def test_an_option_after_the_command_wins():
    # Given a region before and another after the command, Then the later one counts
    arguments = build_parser().parse_args(["--region", "eu-west-1", "token", "--region", "us-west-2"])
    assert arguments.region == "us-west-2"


def test_post_batch_numbers_failed_entries_as_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given 1001 entries, of which the stream refuses entries 3 and 700 (in the second request of 500)
    entries = [{"busId": f"bus-{number}", "latitude": 1.0, "longitude": 2.0} for number in range(1001)]
    refused = {"bus-3", "bus-700"}
    file = tmp_path / "positions.json"
    file.write_text(json.dumps(entries))
    requests_sent: list[int] = []

    def post_batch(self: BusGpsClient, batch: list[dict[str, object]]) -> BatchResult:
        requests_sent.append(len(batch))
        failed = [
            FailedEntry(index=index, errorCode="ProvisionedThroughputExceededException", errorMessage="busy")
            for index, entry in enumerate(batch)
            if entry["busId"] in refused
        ]
        return BatchResult(
            message="some failed",
            acceptedCount=len(batch) - len(failed),
            failedCount=len(failed),
            failed=failed,
        )

    monkeypatch.setattr(BusGpsClient, "post_batch", post_batch)

    # When the file is posted
    exit_code = main(["post-batch", str(file), "--api-url", "http://127.0.0.1:9", "--token", "t"])

    # Then it went in requests of at most 500, and the failures carry their index in the file
    assert requests_sent == [500, 500, 1]
    answer = json.loads(capsys.readouterr().out)
    assert (answer["acceptedCount"], answer["failedCount"]) == (999, 2)
    assert [entry["index"] for entry in answer["failed"]] == [3, 700]
    assert answer["failed"][0]["errorCode"] == "ProvisionedThroughputExceededException"
    # And the command fails, so that a script notices
    assert exit_code == 1


def test_post_batch_passes_trip_fields_on_as_the_file_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a JSON lines file whose entries carry GTFS-Realtime trip fields
    entries = [
        {
            "busId": "7",
            "latitude": 38.7,
            "longitude": -9.1,
            "tripId": "15-0-F",
            "routeId": "15",
            "directionId": 0,
        },
        {
            "busId": "8",
            "latitude": -36.8,
            "longitude": 174.7,
            "startDate": "20261205",
            "startTime": "25:10:00",
        },
    ]
    file = tmp_path / "positions.jsonl"
    file.write_text("\n".join(json.dumps(entry) for entry in entries))
    sent: list[list[dict[str, object]]] = []

    def post_batch(self: BusGpsClient, batch: list[dict[str, object]]) -> BatchResult:
        sent.append(batch)
        return BatchResult(message="Success", acceptedCount=len(batch), failedCount=0, failed=[])

    monkeypatch.setattr(BusGpsClient, "post_batch", post_batch)

    # When the file is posted
    exit_code = main(["post-batch", str(file), "--api-url", "http://127.0.0.1:9", "--token", "t"])

    # Then the entries went as they are, trip fields and all
    assert exit_code == 0
    assert sent == [entries]
    assert json.loads(capsys.readouterr().out)["acceptedCount"] == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_line_rewritten_on_a_terminal():
    # Given a terminal
    terminal = _Terminal()
    line = ProgressLine(terminal)

    # When two updates are shown and the run finishes
    line.show(Progress(started_at=0.0, sent=5, accepted=5, elapsed_seconds=1.0))
    line.show(Progress(started_at=0.0, sent=10, accepted=9, failed=1, elapsed_seconds=2.0))
    line.finish()

    # Then each update rewrites the line, and the run ends it
    assert terminal.getvalue() == (
        "\r\x1b[Ksent 5  accepted 5  failed 0  rate 5.0/s  elapsed 1s"
        "\r\x1b[Ksent 10  accepted 9  failed 1  rate 4.5/s  elapsed 2s\n"
    )


def test_progress_is_a_line_per_update_in_a_log():
    # Given a log file (not a terminal), When updates are shown, Then each is its own line
    log = io.StringIO()
    line = ProgressLine(log)
    line.show(Progress(started_at=0.0, sent=5, accepted=5, elapsed_seconds=1.0))
    line.finish()
    assert log.getvalue() == "sent 5  accepted 5  failed 0  rate 5.0/s  elapsed 1s\n"


def test_ctrl_c_ends_a_simulation_with_what_was_sent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a simulation that is interrupted after its first round
    def interrupted_run(client, fleet, interval, duration, report):
        report(Progress(started_at=0.0, sent=3, accepted=3, elapsed_seconds=1.0))
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "run_fleet", interrupted_run)

    # When it runs
    exit_code = main(["simulate", "--buses", "3", "--api-url", "http://127.0.0.1:9", "--token", "t"])

    # Then it exits as interrupted, still saying what was sent
    assert exit_code == 130
    assert json.loads(capsys.readouterr().out) == {"sent": 3, "accepted": 3, "failed": 0}


def test_simulate_with_gtfs_drives_the_feed_s_timetable_and_says_what_it_holds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # Given a simulation that records the fleet it is given
    driven: list[object] = []

    def recording_run(client, fleet, interval, duration, report):
        driven.append(fleet)
        return Progress(started_at=0.0)

    monkeypatch.setattr(commands, "run_fleet", recording_run)

    # When it runs on the shipped Auckland feed with 3 buses
    stack = ["--api-url", "http://127.0.0.1:9", "--token", "t"]
    exit_code = main(["simulate", "--gtfs", str(AUCKLAND), "--buses", "3", "--prefix", "akl-", *stack])

    # Then the fleet drives that timetable with 3 buses, and stderr names the agency, its zone and its trips
    assert exit_code == 0
    (fleet,) = driven
    assert isinstance(fleet, TimetableFleet)
    assert fleet.bus_ids == ["akl-000", "akl-001", "akl-002"]
    assert "Tāmaki Test Buses (Pacific/Auckland): 42 trips" in capsys.readouterr().err


def test_simulate_with_a_path_that_is_no_gtfs_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # Given a directory without agency.txt
    (tmp_path / "stops.txt").write_text("stop_id\n")

    # When it is simulated, Then the command fails with one line naming the path and what is missing
    exit_code = main(["simulate", "--gtfs", str(tmp_path), "--api-url", "http://127.0.0.1:9", "--token", "t"])
    assert exit_code == 2
    assert f"cannot use {tmp_path} as static GTFS" in capsys.readouterr().err
