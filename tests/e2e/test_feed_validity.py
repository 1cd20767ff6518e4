"""The GTFS-Realtime feed as a trip planner judges it: successive snapshots, unmodified, through an
independent GTFS-Realtime validator against the static GTFS whose trips the buses drive."""

import json
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from google.transit import gtfs_realtime_pb2

from busgps.client.gtfs import Schedule, read_gtfs
from support.gtfs_feeds import LISBON, zipped

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
BUSES = 12
SIMULATION_SECONDS = 16


def test_successive_snapshots_of_a_simulated_timetable_pass_the_realtime_validator(
    launch_stack: Callable[..., AbstractContextManager[Any]], tmp_path: Path
) -> None:
    # Given a stack of its own, whose only buses drive the Lisbon timetable's trips in service now
    with launch_stack(tmp_path / "state") as stack:
        stack_file = tmp_path / "stack.json"
        stack_file.write_text(json.dumps(stack.details))
        simulation = subprocess.Popen(
            [
                str(BIN / "busgps"),
                *("--stack-file", str(stack_file), "simulate", "--gtfs", str(LISBON)),
                *("--buses", str(BUSES), "--interval", "2", "--duration", str(SIMULATION_SECONDS)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        # When the feed is polled as a consumer polls it, keeping every new snapshot as it came
        messages = tmp_path / "messages"
        messages.mkdir()
        url = f"{stack.details['api_url']}/v1/gtfs-rt/vehicle-positions"
        kept: dict[str, bytes] = {}
        while simulation.poll() is None:
            answer = requests.get(url, headers={"Accept": "application/x-protobuf"}, timeout=10)
            assert answer.status_code == 200
            kept.setdefault(answer.headers["ETag"], answer.content)
            time.sleep(0.5)
        assert simulation.returncode == 0, simulation.stderr

    # Then each snapshot is a FeedMessage that gtfs-realtime-bindings reads, and the later ones carry
    # a simulated bus on each trip in service (up to the buses asked for), each with its trip
    feeds = [gtfs_realtime_pb2.FeedMessage.FromString(body) for body in kept.values()]
    assert len(feeds) >= 3, "the feed did not refresh while the buses drove"
    in_service = len(Schedule(read_gtfs(LISBON)).active_trips(datetime.now(UTC)))
    assert max(len(feed.entity) for feed in feeds) == min(BUSES, in_service)
    assert all(entity.vehicle.trip.trip_id for feed in feeds for entity in feed.entity)
    for body, feed in zip(kept.values(), feeds, strict=True):
        moment = datetime.fromtimestamp(feed.header.timestamp, UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        (messages / f"VehiclePositions-{moment}.pb").write_bytes(body)

    # And MobilityData's rules, checked by gtfs-rt-validator against the static feed over the sequence
    # of snapshots, find no error and no warning
    report = tmp_path / "report"
    checked = subprocess.run(
        [
            str(BIN / "gtfs-rt-validator"),
            *("-gtfs", str(zipped(LISBON, tmp_path / "lisbon.zip"))),
            *("-rt", str(messages), "--sort", "name", "--out", str(report)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    summary = json.loads((report / "report.json").read_text())
    assert summary["summary"]["messagesValidated"] == len(feeds)
    findings = [(notice["code"], notice["severity"]) for notice in summary["notices"]]
    assert [finding for finding in findings if finding[1] in ("ERROR", "WARNING")] == []
