"""What the timetable simulator posts makes a feed that MobilityData's GTFS-Realtime rules accept.

The fixes go the whole way a position goes, without the network: the client's JSON entry, the
consumer's parsing of the Kinesis record, the feed builder; then an independent validator
(gtfs-rt-validator) checks the snapshots against the static feed the buses drove.
"""

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from busgps.client.gtfs import Schedule, TimetableFleet, read_gtfs
from busgps.logic.feed import vehicle_positions
from busgps.logic.records import parse_record
from busgps.models.position import KinesisRecord, Position
from support.gtfs_feeds import AUCKLAND, LISBON, zipped

VALIDATOR = Path(sys.executable).with_name("gtfs-rt-validator")
SNAPSHOTS = 3
SNAPSHOT_SECONDS = 30
MAX_AGE_SECONDS = 90


def _stored(entry: dict[str, object], now: datetime, sequence: int) -> Position:
    """The position the consumer stores for an entry that POST /v1/positions put on the stream."""
    data = base64.b64encode(json.dumps(entry).encode()).decode()
    record = KinesisRecord(
        "shardId-000000000000", str(sequence), str(entry["busId"]), data, int(now.timestamp() * 1000)
    )
    position = parse_record(record, now_ms=int(now.timestamp() * 1000))
    assert isinstance(position, Position), position
    return position


@pytest.mark.parametrize(
    ("feed", "start"),
    [
        # A Wednesday morning in Lisbon: frequency runs with and without exact times, and trips of their own
        (LISBON, datetime(2026, 6, 3, 7, 17, tzinfo=UTC)),
        # 00:30 on a Sunday in Lisbon: Saturday's service day still running past midnight
        (LISBON, datetime(2026, 6, 6, 23, 30, tzinfo=UTC)),
        # 01:20 on a Sunday in Auckland, 12:20 on Saturday in UTC: night buses that left at 25:10
        (AUCKLAND, datetime(2026, 12, 5, 12, 20, tzinfo=UTC)),
    ],
    ids=["lisbon-morning", "lisbon-after-midnight", "auckland-night"],
)
def test_simulated_fixes_make_a_feed_with_no_error_and_no_warning(
    feed: Path, start: datetime, tmp_path: Path
):
    # Given 30 buses driving the feed's timetable, their fixes stored as the consumer stores them
    fleet = TimetableFleet(Schedule(read_gtfs(feed)), 30)
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for snapshot in range(SNAPSHOTS):
        now = start + timedelta(seconds=SNAPSHOT_SECONDS * snapshot)
        stored = [
            _stored(position.batch_entry(), now, sequence)
            for sequence, position in enumerate(fleet.tick(now), start=1)
        ]
        assert stored, "no trip in service: the case tests nothing"

        # When the feed is built at that moment (each file named by its time, the validator's clock)
        message = vehicle_positions(stored, now_s=int(now.timestamp()), max_age_seconds=MAX_AGE_SECONDS)
        name = f"VehiclePositions-{now.strftime('%Y-%m-%dT%H-%M-%SZ')}.pb"
        (snapshots / name).write_bytes(message.SerializeToString())

    # And the snapshots are checked against the static feed
    static = zipped(feed, tmp_path / "static.zip")
    result = subprocess.run(
        [
            str(VALIDATOR),
            "-gtfs",
            str(static),
            "-rt",
            str(snapshots),
            "--sort",
            "name",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then every snapshot was validated, and no rule found an error or a warning
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["summary"]["messagesValidated"] == SNAPSHOTS
    findings = [
        (notice["severity"], notice["code"], notice["sampleNotices"][0].get("prefix"))
        for notice in report["notices"]
        if notice["severity"] in ("ERROR", "WARNING")
    ]
    assert findings == []
