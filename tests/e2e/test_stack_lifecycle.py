"""`busgps local up`: it starts healthy, refuses a second start, describes itself, stops cleanly."""

import base64
import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from busgps.local.launcher import stack_command
from support.polling import wait_for

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
BUSGPS = Path(sys.executable).with_name("busgps")
Launcher = Callable[..., AbstractContextManager[Any]]
LOCAL_SETTINGS = REPOSITORY / "terraform" / "environments" / "local.tfvars"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname or "", parts.port or 80)) == 0


def test_health_answers_200_with_json(local_stack: dict[str, Any]) -> None:
    # Given the running stack
    # When its health route is asked
    response = requests.get(local_stack["health_url"], timeout=5)
    # Then API Gateway's mock answers 200 with the document's JSON body, stamped with the request time
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["status"] == "ok"
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", response.json()["time"])


def test_the_stack_file_names_a_working_emulator_and_its_resources(local_stack: dict[str, Any]) -> None:
    # Given the running stack's own description
    # Then the emulator it names answers, and holds the stream, tables and queues it names
    session = boto3.Session(
        region_name=local_stack["region"], aws_access_key_id="x", aws_secret_access_key="x"
    )
    endpoint = local_stack["emulator_endpoint"]
    summary = session.client("kinesis", endpoint_url=endpoint).describe_stream_summary(
        StreamName=local_stack["stream_name"]
    )
    assert summary["StreamDescriptionSummary"]["StreamARN"] == local_stack["stream_arn"]
    tables = session.client("dynamodb", endpoint_url=endpoint).list_tables()["TableNames"]
    assert {local_stack["latest_table_name"], local_stack["history_table_name"]} <= set(tables)
    queues = session.client("sqs", endpoint_url=endpoint).list_queues()["QueueUrls"]
    assert {local_stack["invalid_records_queue_url"], local_stack["consumer_failure_queue_url"]} <= set(
        queues
    )
    assert local_stack["post_url"] == local_stack["ingest_url"] + "/post-gps"
    assert local_stack["get_url"] == local_stack["api_url"] + "/get-gps"


def test_every_key_of_the_stack_file_is_documented_in_the_readme(local_stack: dict[str, Any]) -> None:
    # Given the README's section about the local stack
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Local stack", 1)[1].split("\n## ", 1)[0]
    # Then each key the stack writes has its line there
    undocumented = [key for key in local_stack if f"`{key}`" not in section]
    assert undocumented == []


def test_start_health_second_start_refused_and_clean_stop(launch_stack: Launcher, tmp_path: Path) -> None:
    # Given a stack of its own, started and healthy
    with launch_stack(tmp_path / "state") as stack:
        stack_file = stack.state_dir / "stack.json"
        lock_file = stack.state_dir / "stack.pid"
        assert stack.details["pid"] == stack.process.pid
        assert lock_file.read_text().strip() == str(stack.process.pid)
        assert stack_file.stat().st_mode & 0o077 == 0
        # And it printed what a newcomer needs
        printed = stack.log()
        for value in (
            "api_url",
            "ingest_url",
            "username",
            "password",
            "user_pool_id",
            "app_client_id",
            "region",
            "emulator_endpoint",
        ):
            assert str(stack.details[value]) in printed
        assert re.search(r"curl .*post-gps", printed)

        # When a second stack is started with the same state directory
        second = stack.start_another()

        # Then it fails at once with a clear message, and the first one is unharmed
        assert second.returncode != 0
        assert "already running" in second.stderr
        assert f"pid {stack.process.pid}" in second.stderr
        assert requests.get(stack.details["health_url"], timeout=5).status_code == 200
        assert json.loads(stack_file.read_text())["pid"] == stack.process.pid

        # When the first one gets SIGTERM
        stack.stop()

        # Then it exits 0, and leaves nothing behind: no lock, no stack file, no ports
        assert stack.process.returncode == 0, stack.log()
        assert not stack_file.exists()
        assert not lock_file.exists()
        assert not _answers(stack.details["api_url"])
        assert not _answers(stack.details["ingest_url"])
        assert not _answers(stack.details["emulator_endpoint"])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed: the printed example uses it")
def test_the_printed_example_works_when_pasted(launch_stack: Launcher, tmp_path: Path) -> None:
    # Given a stack of its own, and the example it printed, up to the simulation (which runs 30 s)
    with launch_stack(tmp_path / "state") as stack:
        example = stack.log().split("Try it:\n", 1)[1].split("\n\n", 1)[0]
        pasted = "\n".join(line for line in example.splitlines() if " simulate " not in line)
        # When it is pasted into a shell at the repository root
        result = subprocess.run(
            ["bash", "-e", "-c", pasted],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # Then the token is fetched, the position is accepted, and the GET answers either nothing yet
        # (the consumer's batching window) or that very position, which it shows soon after
        assert result.returncode == 0, result.stderr
        posted, read = _json_documents(result.stdout)
        assert posted["message"] == "Success", result.stdout
        body = json.loads(shlex.split(pasted.split(" -d ", 1)[1].splitlines()[0])[0])
        sent = json.loads(base64.b64decode(body["Data"]))
        get_url = f"{stack.details['get_url']}?busId={body['PartitionKey']}"
        shown = wait_for(lambda: requests.get(get_url, timeout=5).json())
    expected = {
        "busId": body["PartitionKey"],
        "latitude": str(sent["latitude"]),
        "longitude": str(sent["longitude"]),
    }
    assert read in ({}, {**read, **expected})
    assert shown == {**shown, **expected}


def _json_documents(text: str) -> list[Any]:
    """The JSON documents printed one after another (curl adds no newline after a body)."""
    decoder, documents, offset = json.JSONDecoder(), [], 0
    while text[offset:].strip():
        offset += len(text[offset:]) - len(text[offset:].lstrip())
        document, offset = decoder.raw_decode(text, offset)
        documents.append(document)
    return documents


def test_ctrl_c_stops_it_cleanly(launch_stack: Launcher, tmp_path: Path) -> None:
    # Given a stack of its own, started and healthy
    with launch_stack(tmp_path / "state") as stack:
        # When it gets SIGINT, as Ctrl-C sends it
        stack.stop(signal.SIGINT)
        # Then it exits 0, saying so, and leaves no lock, stack file or listener
        assert stack.process.returncode == 0, stack.log()
        assert "busgps local stack: stopped" in stack.log()
        assert list(stack.state_dir.glob("stack.*")) == [stack.log_path]
        assert not _answers(stack.details["api_url"])
        assert not _answers(stack.details["ingest_url"])
        assert not _answers(stack.details["emulator_endpoint"])


def test_the_stage_throttling_of_the_settings_answers_a_json_429(
    launch_stack: Launcher, tmp_path: Path
) -> None:
    # Given a stack whose settings allow bursts of 3 requests and refill one every three hours (so
    # no token comes back while the test runs, however slow the machine)
    settings = LOCAL_SETTINGS.read_text(encoding="utf-8")
    settings = re.sub(
        r"(?m)^api_throttling_rate_limit\s*=.*$", "api_throttling_rate_limit = 0.0001", settings
    )
    settings = re.sub(r"(?m)^api_throttling_burst_limit\s*=.*$", "api_throttling_burst_limit = 3", settings)
    settings_path = tmp_path / "throttled.tfvars"
    settings_path.write_text(settings, encoding="utf-8")
    with launch_stack(tmp_path / "state", "--settings", str(settings_path)) as stack:
        # When more requests come than the burst allows (the start's health checks took some)
        statuses = [requests.get(stack.details["health_url"], timeout=5).status_code for _ in range(4)]
        throttled = requests.get(stack.details["api_url"] + "/v1/buses", timeout=5)
    # Then what is left of the burst is served and every later request is refused: the document's
    # JSON 429 with its CORS header
    served = statuses.index(429)
    assert served <= 2
    assert statuses[served:] == [429] * (len(statuses) - served)
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "Too Many Requests"
    assert "backoff" in throttled.json()["hint"]
    assert throttled.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("consumer_parallelization_factor", "2"),
        ("dynamodb_billing_mode", '"PROVISIONED"'),
        ("api_throttling_burst_limit", "0"),
    ],
)
def test_a_setting_the_local_stack_cannot_run_is_one_clear_line(tmp_path: Path, key: str, value: str) -> None:
    # Given settings that AWS accepts but the local stack cannot honour
    settings = re.sub(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", LOCAL_SETTINGS.read_text(encoding="utf-8"))
    settings_path = tmp_path / "unsupported.tfvars"
    settings_path.write_text(settings, encoding="utf-8")
    # When a stack is started with them
    state_dir = tmp_path / "state"
    result = subprocess.run(
        stack_command(state_dir, "--settings", str(settings_path)),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Then it fails with one line naming the file and the key, no traceback, and leaves no lock
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("busgps local up:")]
    assert str(settings_path) in line
    assert key in line
    assert list(state_dir.glob("stack.*")) == []


def test_a_busy_api_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    # Given something already listening on the port asked for
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        # When a stack is started on it
        result = subprocess.run(
            [
                str(BUSGPS),
                "local",
                "up",
                "--port",
                str(port),
                "--emulator-port",
                "0",
                "--state-dir",
                str(tmp_path),
            ],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    # Then it fails with a message that names the port and the option to change, and leaves no lock
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert list(tmp_path.iterdir()) == []
