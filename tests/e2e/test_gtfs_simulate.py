"""`busgps simulate --gtfs` against a running local stack: the trips it posts are stored, read back and fed.

The simulator runs as a user runs it; the stack's own reads (`get`, `history`, the GTFS-Realtime feed)
must show every fix's trip, and that trip must be one the static feed has in service at the fix's time.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.transit import gtfs_realtime_pb2

from busgps.client.api import BusGpsClient
from busgps.client.gtfs import Schedule, read_gtfs
from busgps.client.models import BusPosition
from support.gtfs_feeds import LISBON, zipped
from support.polling import wait_for

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
BUSES, TICKS = 4, 3


@pytest.fixture(scope="module")
def simulated(local_stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four buses driven on the Lisbon feed for three one-second ticks; the command's output and its buses."""
    stack_file = tmp_path_factory.mktemp("gtfs") / "stack.json"
    stack_file.write_text(json.dumps(local_stack))
    prefix = f"gtfs-{uuid.uuid4().hex[:8]}-"
    result = _busgps(
        stack_file,
        *("simulate", "--gtfs", str(LISBON), "--buses", str(BUSES), "--prefix", prefix),
        *("--interval", "1", "--duration", str(TICKS)),
    )
    return {
        "result": result,
        "stack_file": stack_file,
        "bus_ids": [f"{prefix}{number:03d}" for number in range(BUSES)],
    }


def _busgps(stack_file: Path, *arguments: str) -> "subprocess.CompletedProcess[str]":
    environment = {name: value for name, value in os.environ.items() if not name.startswith("BUSGPS_")}
    return subprocess.run(
        [str(BIN / "busgps"), "--stack-file", str(stack_file), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _in_service(schedule: Schedule, position: BusPosition) -> bool:
    keys = {run.key for run in schedule.active_trips(position.timestamp)}
    return (position.trip_id, position.start_date, position.start_time) in keys


def test_simulate_posts_every_bus_of_a_trip_each_tick(simulated: dict[str, Any]):
    # Given the simulation above, Then every bus posted every tick (Lisbon has 4 trips in service at
    # any moment), all accepted, and stderr said what the feed holds
    result = simulated["result"]
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sent": BUSES * TICKS, "accepted": BUSES * TICKS, "failed": 0}
    assert "Lisboa Test Transit (Europe/Lisbon)" in result.stderr


def test_get_and_history_show_each_fix_s_trip_in_service_at_its_time(
    simulated: dict[str, Any], client: BusGpsClient
):
    # Given the Lisbon timetable
    schedule = Schedule(read_gtfs(LISBON))

    for bus_id in simulated["bus_ids"]:
        # When a simulated bus's latest position and history are read
        latest = wait_for(lambda bus_id=bus_id: client.latest(bus_id))
        history = wait_for(
            lambda bus_id=bus_id: len(page := client.history(bus_id).positions) == TICKS and page
        )

        # Then each fix names a trip of the feed in service at the fix's own time, with its service day
        assert latest is not None, f"{bus_id} has no live position"
        assert history, f"{bus_id} has not {TICKS} positions"
        for position in [latest, *history]:
            assert _in_service(schedule, position), position
            assert position.route_id == schedule.feed.trips[str(position.trip_id)].route_id
            assert position.direction_id == schedule.feed.trips[str(position.trip_id)].direction_id
            assert position.schedule_relationship in ("SCHEDULED", "UNSCHEDULED")
            assert position.vehicle_label == bus_id


def test_the_feed_carries_the_simulated_trips_and_passes_the_realtime_validator(
    simulated: dict[str, Any], client: BusGpsClient, tmp_path: Path
):
    # Given the feed once every simulated bus is in it
    bus_ids = set(simulated["bus_ids"])

    def ours() -> list[gtfs_realtime_pb2.FeedEntity]:
        return [entity for entity in client.vehicle_positions().entity if entity.id in bus_ids]

    entities = wait_for(lambda: len(found := ours()) == BUSES and found)
    assert entities, "the simulated buses never all appeared in the feed"

    # Then each one's trip descriptor is that of its latest fix
    for entity in entities:
        latest = client.latest(entity.id)
        assert latest is not None
        trip = entity.vehicle.trip
        assert (trip.trip_id, trip.route_id, trip.start_date, trip.start_time) == (
            latest.trip_id,
            latest.route_id,
            latest.start_date,
            latest.start_time,
        )

    # And `busgps feed` counts them among the vehicles with a trip
    summary = _busgps(simulated["stack_file"], "feed")
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["vehiclesWithTrip"] >= BUSES

    # And the simulated buses' entities pass the GTFS-Realtime rules against the Lisbon feed (other
    # tests' buses share this stack and name trips of no static feed, so they are left out here)
    snapshot = client.vehicle_positions()
    ours_only = [entity for entity in snapshot.entity if entity.id in bus_ids]
    del snapshot.entity[:]
    snapshot.entity.extend(ours_only)
    # The validator's clock is the file's name: the snapshot's own time.
    moment = datetime.fromtimestamp(snapshot.header.timestamp, UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    messages = tmp_path / "messages"
    messages.mkdir()
    (messages / f"VehiclePositions-{moment}.pb").write_bytes(snapshot.SerializeToString())
    static = zipped(LISBON, tmp_path / "lisbon.zip")
    replay = ("-rt", str(messages), "--sort", "name", "--out", str(tmp_path / "report"))
    checked = subprocess.run(
        [str(BIN / "gtfs-rt-validator"), "-gtfs", str(static), *replay],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    notices = json.loads((tmp_path / "report" / "report.json").read_text())["notices"]
    assert [notice["code"] for notice in notices if notice["severity"] in ("ERROR", "WARNING")] == []
