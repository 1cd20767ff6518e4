"""The README's promises about starting `busgps local up`: its options, a clean slate each start,
and a stack killed outright never blocking the next."""

import json
import signal
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from busgps.client.models import Position
from e2e.conftest import client_of
from support.polling import wait_for

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
LOCAL_SETTINGS = REPOSITORY / "terraform" / "environments" / "local.tfvars"
Launcher = Callable[..., AbstractContextManager[Any]]
# An address of the loopback network other than the default 127.0.0.1.
OTHER_LOOPBACK = "127.0.0.2"


def _answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def test_host_and_api_definition_choose_where_it_listens_and_what_it_serves(
    launch_stack: Launcher, tmp_path: Path
) -> None:
    # Given an API document of one's own, whose health route answers differently
    text = (REPOSITORY / "api" / "openapi.yaml").read_text(encoding="utf-8")
    healthy = """'{"status": "ok", "time": "$context.requestTime"}'"""
    assert healthy in text
    document = tmp_path / "openapi.yaml"
    document.write_text(
        text.replace(healthy, """'{"status": "ok", "served": "my own document"}'"""), encoding="utf-8"
    )
    # When a stack starts on another loopback address with it, its devices' API on a port of our choice
    ingest_port = _free_port(OTHER_LOOPBACK)
    options = ("--host", OTHER_LOOPBACK, "--api-definition", str(document), "--ingest-port", str(ingest_port))
    with launch_stack(tmp_path / "state", *options) as stack:
        api = urlsplit(stack.details["api_url"])
        ingest = urlsplit(stack.details["ingest_url"])
        emulator = urlsplit(stack.details["emulator_endpoint"])
        health = requests.get(stack.details["health_url"], timeout=5)
        unknown = requests.get(stack.details["ingest_url"] + "/nowhere", timeout=5)
        # Then both APIs and the emulator listen on that address only, the API serves that document,
        # and the devices' API is an HTTP API of its own on that port
        assert (api.hostname, ingest.hostname, emulator.hostname) == (OTHER_LOOPBACK,) * 3
        assert ingest.port == ingest_port != api.port
        assert health.json() == {"status": "ok", "served": "my own document"}
        assert (unknown.status_code, unknown.json()) == (404, {"message": "Not Found"})
        assert not _answers("127.0.0.1", api.port or 0)
        assert not _answers("127.0.0.1", ingest_port)
        # And (as the launcher passes --no-access-log) no line is printed per request
        assert '"GET /health' not in stack.log()


def test_the_access_log_prints_a_line_per_request_and_no_throttling_lifts_the_stage_limits(
    launch_stack: Launcher, tmp_path: Path
) -> None:
    # Given settings whose stage allows one request and refills one every three hours
    settings = LOCAL_SETTINGS.read_text(encoding="utf-8")
    settings = settings.replace("api_throttling_rate_limit  = 50", "api_throttling_rate_limit  = 0.0001")
    settings = settings.replace("api_throttling_burst_limit = 100", "api_throttling_burst_limit = 1")
    assert "= 0.0001" in settings
    assert "api_throttling_burst_limit = 1\n" in settings
    (tmp_path / "strict.tfvars").write_text(settings, encoding="utf-8")
    # When a stack starts with them, its access log and without throttling, and is asked ten times
    options = ("--settings", str(tmp_path / "strict.tfvars"), "--access-log", "--no-throttling")
    with launch_stack(tmp_path / "state", *options) as stack:
        statuses = {requests.get(stack.details["health_url"], timeout=5).status_code for _ in range(10)}
        log = wait_for(lambda: stack.log() if stack.log().count('"GET /health HTTP/1.1" 200') >= 10 else "")
    # Then every request is served, and each is a line of the log
    assert statuses == {200}
    assert log.count('"GET /health HTTP/1.1" 200') >= 10


def test_a_killed_stack_never_blocks_the_next_start_which_begins_empty_with_a_new_password(
    launch_stack: Launcher, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    # Given a stack that stored a position, killed outright (SIGKILL: it cleans nothing up)
    with launch_stack(state) as first, requests.Session() as session:
        client = client_of(first.details, session)
        client.post_position(Position("killed-17", 1.5, 2.5))
        assert wait_for(lambda: client.latest("killed-17")) is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        # (its emulator ends with it)
        emulator = urlsplit(first.details["emulator_endpoint"])
        assert wait_for(lambda: not _answers(emulator.hostname or "", emulator.port or 0))
    # When a stack starts again with the same state directory
    with launch_stack(state) as second, requests.Session() as session:
        described = json.loads((state / "stack.json").read_text(encoding="utf-8"))
        buses = client_of(second.details, session).buses()
    # Then it starts (the lock died with the killed process), describes itself, begins with no
    # position at all, and its demo device has a password of its own
    assert described["pid"] == second.process.pid != first.process.pid
    assert buses.buses == []
    assert second.details["password"] != first.details["password"]
