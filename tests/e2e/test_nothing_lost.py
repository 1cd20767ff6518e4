"""A position accepted is a position kept, once: concurrent clients, duplicates, late fixes and a
consumer whose execution environments are killed, checked through the public API only."""

import json
import os
import random
import signal
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from busgps.client.api import BusGpsClient
from busgps.client.models import Position
from support.polling import wait_for
from support.processes import execution_environments

pytestmark = pytest.mark.e2e

BUSES = 48
FIXES_PER_BUS = 50
CLIENTS = 4
BATCH_SIZE = 100
KILLS = 2


def full_history(client: BusGpsClient, bus_id: str) -> list[datetime]:
    times: list[datetime] = []
    cursor = None
    while True:
        page = client.history(bus_id, limit=1000, cursor=cursor)
        times.extend(position.timestamp for position in page.positions)
        if not page.next_cursor:
            return times
        cursor = page.next_cursor


def queue_messages(local_stack: dict[str, Any], queue_key: str) -> list[dict[str, Any]]:
    sqs = boto3.client(
        "sqs", endpoint_url=local_stack["emulator_endpoint"], region_name=local_stack["region"]
    )
    response = sqs.receive_message(
        QueueUrl=local_stack[queue_key], MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(message["Body"]) for message in response.get("Messages", [])]


def test_every_fix_is_kept_once_with_concurrent_clients_and_killed_consumers(
    client: BusGpsClient, local_stack: dict[str, Any]
) -> None:
    # Given 48 buses with 50 fixes each, a second apart, plus 2 % exact duplicates and 2 % late fixes
    run = uuid.uuid4().hex[:8]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=FIXES_PER_BUS + 30)
    fixes = {
        f"lost-{run}-{bus:02d}": [
            Position(
                f"lost-{run}-{bus:02d}", 38.7 + step / 1e4, -9.1 + bus / 1e3, start + timedelta(seconds=step)
            )
            for step in range(FIXES_PER_BUS)
        ]
        for bus in range(BUSES)
    }
    every_fix = [fix for bus_fixes in fixes.values() for fix in bus_fixes]
    chosen = random.Random(run).sample(every_fix, k=len(every_fix) * 4 // 100)
    duplicates, late = chosen[: len(chosen) // 2], chosen[len(chosen) // 2 :]
    on_time = [fix for fix in every_fix if fix not in late] + duplicates
    random.Random(run).shuffle(on_time)
    batches = [on_time[i : i + BATCH_SIZE] for i in range(0, len(on_time), BATCH_SIZE)] + [late]

    # When 4 clients post the batches at once while the consumer's environments are killed twice
    failed: list[Any] = []
    posted = threading.Semaphore(0)

    def post(share: list[list[Position]]) -> None:
        for batch in share:
            failed.extend(client.post_batch(batch).failed)
            posted.release()

    clients = [threading.Thread(target=post, args=(batches[number::CLIENTS],)) for number in range(CLIENTS)]
    for thread in clients:
        thread.start()
    killed = 0
    for batch_number in range(1, len(batches) + 1):
        posted.acquire()
        if killed < KILLS and batch_number in (len(batches) // 3, 2 * len(batches) // 3):
            environments = wait_for(lambda: execution_environments(local_stack["pid"]))
            assert environments, "the stack has no execution environment to kill"
            for pid in environments:
                os.kill(pid, signal.SIGKILL)
            killed += 1
    for thread in clients:
        thread.join()
    assert failed == []
    assert killed == KILLS

    # Then every bus's history holds each of its fixes exactly once, newest first
    def complete(bus_id: str) -> bool:
        return len(full_history(client, bus_id)) >= FIXES_PER_BUS

    for bus_id, bus_fixes in fixes.items():
        assert wait_for(lambda bus_id=bus_id: complete(bus_id), timeout_seconds=120), bus_id
        expected = sorted((fix.timestamp for fix in bus_fixes), reverse=True)
        assert full_history(client, bus_id) == expected, bus_id

        # And its latest position is its newest fix, whatever arrived last
        latest = client.latest(bus_id)
        assert latest is not None
        assert latest.timestamp == bus_fixes[-1].timestamp, bus_id

    # And nothing of this run was refused, and no batch was discarded
    refused = queue_messages(local_stack, "invalid_records_queue_url")
    assert [message for message in refused if message["record"]["partitionKey"] in fixes] == []
    assert queue_messages(local_stack, "consumer_failure_queue_url") == []
