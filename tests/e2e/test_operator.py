"""The operator's commands against a local stack of their own: what was refused and why, what Lambda
gave up on, and its redrive, through the CLI as an operator on call runs it."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import boto3
import pytest

from support.polling import wait_for

pytestmark = pytest.mark.e2e

BUSGPS = Path(sys.executable).with_name("busgps")


@pytest.fixture(scope="module")
def stack(launch_stack: Callable[..., AbstractContextManager[Any]], tmp_path_factory: pytest.TempPathFactory):
    """A stack of this module's own: its refused records and discarded batches are this module's alone."""
    with launch_stack(tmp_path_factory.mktemp("operator") / "state") as running:
        yield running


def busgps(stack: Any, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BUSGPS_")}
    environment["BUSGPS_STACK_FILE"] = str(stack.state_dir / "stack.json")
    return subprocess.run(
        [str(BUSGPS), *arguments], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def busgps_json(stack: Any, *arguments: str) -> Any:
    result = busgps(stack, *arguments)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_refused_record_is_listed_with_its_reason_and_stays_in_the_queue(stack: Any) -> None:
    # Given a position whose latitude is out of range, which the API refuses at once
    bus_id = f"op-{uuid.uuid4().hex[:8]}"
    refused = busgps(stack, "post", "--bus", bus_id, "--lat", "200", "--lon", "12.3")
    assert refused.returncode == 1
    assert "body.Data.latitude: Input should be less than or equal to 90" in refused.stderr
    # And the same position written to the stream by a writer that bypasses the API's checks
    details = stack.details
    kinesis = boto3.client(
        "kinesis",
        region_name=details["region"],
        endpoint_url=details["emulator_endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    written = kinesis.put_record(
        StreamName=details["stream_name"],
        Data=json.dumps({"latitude": 200.0, "longitude": 12.3}).encode(),
        PartitionKey=bus_id,
    )
    posted = {"shardId": written["ShardId"], "sequenceNumber": written["SequenceNumber"]}

    # When the operator lists what was refused for that bus
    rejects = wait_for(lambda: busgps_json(stack, "rejects", "--bus", bus_id, "--json")["rejects"])

    # Then the record is there with the consumer's reason, where it is in the stream, and its data
    [reject] = rejects
    assert reject["reason"] == "latitude: Input should be less than or equal to 90"
    assert (reject["busId"], reject["shardId"], reject["sequenceNumber"]) == (
        bus_id,
        posted["shardId"],
        posted["sequenceNumber"],
    )
    assert json.loads(reject["data"])["latitude"] == 200
    # And the human listing says the same
    listing = busgps(stack, "rejects", "--bus", bus_id, "--since", "10m")
    assert listing.returncode == 0, listing.stderr
    assert "latitude: Input should be less than or equal to 90" in listing.stdout
    assert listing.stdout.endswith("\n")

    # And the queue still holds it for the next operator, and other buses are not listed
    assert busgps_json(stack, "rejects", "--bus", bus_id, "--json")["rejects"] == rejects
    assert busgps_json(stack, "rejects", "--bus", "no-such-bus", "--json") == {"rejects": []}

    # And `get` says why the bus has no live position
    result = busgps(stack, "get", bus_id)
    assert result.returncode == 1
    assert f"bus {bus_id!r} has no live position: its fix of " in result.stderr
    assert "was refused: latitude: Input should be less than or equal to 90" in result.stderr

    # And the stack's terminal showed one short line for that batch, and no JSON
    log = stack.log()
    assert "consumer: 1 record: 1 invalid (`busgps rejects` says why)" in log
    assert not [line for line in log.splitlines() if line.startswith("{")]


@pytest.fixture
def history_table_gone(stack: Any) -> Callable[[], None]:
    """The stack's history table deleted (an outage of the position store); call the result to bring
    it back, empty, as an operator restores it."""
    details = stack.details
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=details["emulator_endpoint"],
        region_name=details["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = details["history_table_name"]
    described = dynamodb.describe_table(TableName=table)["Table"]
    dynamodb.delete_table(TableName=table)

    def restore() -> None:
        dynamodb.create_table(
            TableName=table,
            KeySchema=described["KeySchema"],
            AttributeDefinitions=described["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )

    return restore


def test_a_discarded_batch_is_redriven_and_stored_once(
    stack: Any, history_table_gone: Callable[[], None], tmp_path: Path
) -> None:
    # Given three positions of a bus posted while the position store is gone, so that the consumer
    # fails them until Lambda gives up on them
    bus_id = f"op-redrive-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)
    positions = [
        {
            "busId": bus_id,
            "latitude": round(10.0 + step / 10_000, 4),  # a bus moving 11 m a second
            "longitude": 20.0,
            "timestamp": now_ms - 3000 + step * 1000,
        }
        for step in range(3)
    ]
    batch_file = tmp_path / "positions.json"
    batch_file.write_text(json.dumps(positions))
    assert busgps_json(stack, "post-batch", str(batch_file))["acceptedCount"] == 3

    def discarded() -> list[dict[str, Any]]:
        failures: list[dict[str, Any]] = busgps_json(stack, "failures", "--json")["failures"]
        return failures if sum(failure["batchSize"] for failure in failures) >= 3 else []

    # When the operator lists the failure queue
    failures = wait_for(discarded, timeout_seconds=60)

    # Then it shows the discarded records: their shard and range, and why Lambda gave up
    assert sum(failure["batchSize"] for failure in failures) == 3
    assert {failure["condition"] for failure in failures} == {"RetryAttemptsExhausted"}
    for failure in failures:
        assert int(failure["startSequenceNumber"]) <= int(failure["endSequenceNumber"])
        assert failure["functionArn"].endswith(":function:" + stack.details["consumer_function_name"])

    # When the store is back and the operator redrives
    history_table_gone()
    report = busgps_json(stack, "redrive", "--json")

    # Then every discarded record was read back from the stream and stored, and the queue is empty
    assert (report["stored"], report["remaining"]) == (3, 0)
    assert all(entry["removed"] and entry["problem"] is None for entry in report["redriven"])
    assert busgps_json(stack, "failures", "--json")["failures"] == []
    history = busgps_json(stack, "history", bus_id)["positions"]
    assert sorted(position["latitude"] for position in history) == [10.0, 10.0001, 10.0002]
    assert busgps_json(stack, "get", bus_id)["latitude"] == 10.0002

    # And a second redrive finds nothing, and the history holds each position once
    again = busgps(stack, "redrive")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing to redrive")
    assert len(busgps_json(stack, "history", bus_id)["positions"]) == 3
