"""The `busgps` console script against a running local stack, as a user runs it."""

import base64
import csv
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gpxpy
import pytest

from support.polling import wait_for

pytestmark = pytest.mark.e2e

BUSGPS = Path(sys.executable).with_name("busgps")
_TARGET_VARIABLES = (
    "BUSGPS_API_URL",
    "BUSGPS_STACK_FILE",
    "BUSGPS_TOKEN",
    "BUSGPS_USERNAME",
    "BUSGPS_PASSWORD",
)


@pytest.fixture(scope="module")
def checkout(local_stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory holding the stack's .local/stack.json, as `busgps local up` leaves it."""
    directory = tmp_path_factory.mktemp("checkout")
    (directory / ".local").mkdir()
    (directory / ".local" / "stack.json").write_text(json.dumps(local_stack))
    return directory


def busgps(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in _TARGET_VARIABLES}
    environment.update(env or {})
    return subprocess.run(
        [str(BUSGPS), *arguments], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def busgps_json(*arguments: str, cwd: Path) -> Any:
    result = busgps(*arguments, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def eventually_json(*arguments: str, cwd: Path, timeout_seconds: float = 15.0) -> Any:
    """The output of a command once it succeeds (a position takes a moment to reach the tables)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        result = busgps(*arguments, cwd=cwd)
        if result.returncode == 0 or time.monotonic() > deadline:
            assert result.returncode == 0, result.stderr
            return json.loads(result.stdout)
        time.sleep(0.3)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_token_prints_an_id_token_of_the_demo_device(checkout: Path, local_stack: dict[str, Any]):
    # When `busgps token` runs in the checkout
    result = busgps("token", cwd=checkout)

    # Then it prints just an id token (not an access token) of the stack's pool and app client
    assert result.returncode == 0, result.stderr
    claims = _claims(result.stdout.strip())
    assert claims["token_use"] == "id"
    assert claims["aud"] == local_stack["app_client_id"]
    assert claims["iss"].endswith("/" + local_stack["user_pool_id"])


def test_post_then_get_in_both_formats(checkout: Path):
    # Given a new bus
    bus_id = f"cli-{uuid.uuid4().hex[:10]}"

    # When it posts one position in the compatible format
    posted = busgps_json(
        "post", "--bus", bus_id, "--lat", "38.7223", "--lon", "-9.1393", "--speed", "7.5", cwd=checkout
    )

    # Then the answer says where the record went
    assert posted["message"] == "Success"
    assert posted["shardId"].startswith("shardId-")

    # And `get` shows it with JSON numbers, `get --legacy` in the legacy shape
    latest = eventually_json("get", bus_id, cwd=checkout)
    assert (latest["busId"], latest["latitude"], latest["longitude"], latest["speed"]) == (
        bus_id,
        38.7223,
        -9.1393,
        7.5,
    )
    assert latest["timestamp"].endswith("Z")
    legacy = busgps_json("get", bus_id, "--legacy", cwd=checkout)
    assert (legacy["busId"], legacy["latitude"], legacy["longitude"]) == (bus_id, "38.7223", "-9.1393")


def test_post_batch_of_json_lines_then_buses_and_history(checkout: Path, tmp_path: Path):
    # Given a JSON lines file: three positions of one bus and one of another
    bus_id, other_bus_id = f"cli-batch-{uuid.uuid4().hex[:8]}", f"cli-batch-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)
    lines = [
        {"busId": bus_id, "latitude": 1.0 + i, "longitude": 2.0, "timestamp": now_ms - 3000 + i}
        for i in range(3)
    ]
    lines.append({"busId": other_bus_id, "latitude": 5.0, "longitude": 6.0})
    file = tmp_path / "positions.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    # When the file is posted
    answer = busgps_json("post-batch", str(file), cwd=checkout)

    # Then every entry is accepted
    assert answer == {"acceptedCount": 4, "failedCount": 0, "failed": []}

    # And `history` lists the bus's positions newest first, `--limit` giving one page
    eventually_json("get", bus_id, cwd=checkout)
    history = eventually_json("history", bus_id, cwd=checkout)
    assert [position["latitude"] for position in history["positions"]] == [3.0, 2.0, 1.0]
    page = busgps_json("history", bus_id, "--limit", "2", cwd=checkout)
    assert [position["latitude"] for position in page["positions"]] == [3.0, 2.0]
    assert page["nextCursor"]

    # And `buses` lists both buses, as JSON and as GeoJSON, across pages
    eventually_json("get", other_bus_id, cwd=checkout)
    listed = {bus["busId"] for bus in busgps_json("buses", "--limit", "2", cwd=checkout)["buses"]}
    assert {bus_id, other_bus_id} <= listed
    geojson = busgps_json("buses", "--geojson", cwd=checkout)
    assert geojson["type"] == "FeatureCollection"
    features = {feature["properties"]["busId"]: feature for feature in geojson["features"]}
    assert features[other_bus_id]["geometry"]["coordinates"][:2] == [6.0, 5.0]


def test_post_batch_with_a_bad_entry_fails_and_says_which(checkout: Path, tmp_path: Path):
    # Given a JSON list whose second entry has a bearing of 400 degrees
    entries = [
        {"busId": "cli-good", "latitude": 1.0, "longitude": 2.0},
        {"busId": "cli-bad", "latitude": 1.0, "longitude": 2.0, "bearing": 400},
    ]
    file = tmp_path / "positions.json"
    file.write_text(json.dumps(entries))

    # When it is posted, Then the command fails, naming the entry and the field
    result = busgps("post-batch", str(file), cwd=checkout)
    assert result.returncode == 1
    assert "400" in result.stderr
    assert "body.positions[1].bearing" in result.stderr


def test_get_of_a_bus_without_a_position_fails_clearly(checkout: Path):
    # When an unknown bus is asked for, Then the command fails with one line saying so
    result = busgps("get", f"cli-absent-{uuid.uuid4().hex[:8]}", cwd=checkout)
    assert result.returncode == 1
    assert "has no live position" in result.stderr
    assert result.stdout == ""


def test_simulate_posts_every_bus_every_interval(checkout: Path):
    # When 3 simulated buses post every half second for 2 seconds
    prefix = f"cli-sim-{uuid.uuid4().hex[:6]}-"
    arguments = ["--buses", "3", "--interval", "0.5", "--duration", "2", "--seed", "1", "--prefix", prefix]
    result = busgps("simulate", *arguments, cwd=checkout)

    # Then 4 rounds of 3 fixes were all accepted, with progress lines on stderr
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sent": 12, "accepted": 12, "failed": 0}
    progress = [line for line in result.stderr.splitlines() if line.startswith("sent ")]
    assert len(progress) == 4
    assert progress[-1].startswith("sent 12  accepted 12  failed 0  rate")

    # And the buses are on the map, moving with a speed and a bearing
    bus = eventually_json("get", f"{prefix}000", cwd=checkout)
    assert 0 <= bus["bearing"] < 360
    assert bus["speed"] >= 0


def test_a_deployed_stack_is_reached_through_the_environment(local_stack: dict[str, Any], tmp_path: Path):
    # Given a directory without any stack file, and the stack named only by BUSGPS_* variables
    # (as a smoke test names a deployed stack)
    environment = {
        "BUSGPS_API_URL": local_stack["api_url"],
        "BUSGPS_INGEST_URL": local_stack["ingest_url"],
        "BUSGPS_REGION": local_stack["region"],
        "BUSGPS_USER_POOL_ID": local_stack["user_pool_id"],
        "BUSGPS_CLIENT_ID": local_stack["app_client_id"],
        "BUSGPS_STREAM_NAME": local_stack["stream_name"],
        "BUSGPS_USERNAME": local_stack["username"],
        "BUSGPS_PASSWORD": local_stack["password"],
        "BUSGPS_COGNITO_ENDPOINT": local_stack["emulator_endpoint"],
    }
    bus_id = f"cli-env-{uuid.uuid4().hex[:8]}"

    # When a token is fetched and used with --token to post
    token = busgps("token", cwd=tmp_path, env=environment)
    assert token.returncode == 0, token.stderr
    arguments = ["post", "--bus", bus_id, "--lat", "1.5", "--lon", "2.5", "--token", token.stdout.strip()]
    posted = busgps(*arguments, cwd=tmp_path, env=environment)

    # Then the post is accepted
    assert posted.returncode == 0, posted.stderr
    assert json.loads(posted.stdout)["message"] == "Success"


def test_a_wrong_password_is_one_clear_line(checkout: Path):
    # When the demo user logs in with a wrong password
    result = busgps("token", "--password", "wrong-password-1A!", cwd=checkout)

    # Then Cognito's refusal is reported without a traceback
    assert result.returncode == 2
    assert "NotAuthorizedException" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_writes_a_bus_track_that_gpxpy_reads_and_replay_the_fleet_window(
    checkout: Path, tmp_path: Path
) -> None:
    # Given a bus driving north for 10 minutes, a fix every 5 s, posted 30 a request
    bus = f"export-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=12)
    fixes = [
        {
            "busId": bus,
            "latitude": round(38.7 + step / 10_000, 4),
            "longitude": -9.14,
            "timestamp": (start + timedelta(seconds=5 * step)).isoformat(),
        }
        for step in range(120)
    ]
    for first in range(0, len(fixes), 30):
        batch = tmp_path / f"batch-{first}.json"
        batch.write_text(json.dumps(fixes[first : first + 30]))
        busgps_json("post-batch", str(batch), cwd=checkout)
    window = ["--from", start.isoformat(), "--to", (start + timedelta(minutes=10)).isoformat()]
    eventually_json("get", bus, cwd=checkout)

    # When it is exported as GPX, GeoJSON and CSV
    def export(output_format: str) -> Path:
        output = tmp_path / f"track.{output_format}"
        result = busgps("export", bus, *window, "--format", output_format, "-o", str(output), cwd=checkout)
        assert result.returncode == 0, result.stderr
        assert f"{len(fixes)} positions" in result.stderr  # the progress line's total
        return output

    def complete() -> bool:
        return len(list(csv.DictReader(export("csv").open()))) == len(fixes)

    assert wait_for(complete, timeout_seconds=20), "the track never held every fix"

    # Then gpxpy reads one track of every fix, in time order
    gpx = gpxpy.parse(export("gpx").read_text())
    points = [point for track in gpx.tracks for segment in track.segments for point in segment.points]
    assert [point.time for point in points] == [datetime.fromisoformat(fix["timestamp"]) for fix in fixes]
    # And the GeoJSON is one LineString of [longitude, latitude]
    feature = json.loads(export("geojson").read_text())
    assert feature["geometry"]["coordinates"][-1] == [-9.14, fixes[-1]["latitude"]]

    # And replay prints the fleet's window a position a line, this bus's fixes among them, in order
    result = busgps("replay", *window, cwd=checkout)
    assert result.returncode == 0, result.stderr
    replayed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [position["timestamp"] for position in replayed] == sorted(p["timestamp"] for p in replayed)
    assert len([position for position in replayed if position["busId"] == bus]) == len(fixes)
