"""The cost planner: every billed item of an environment's settings for a fleet, and the goal it holds."""

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from busgps.cli import main
from busgps.cost import prices
from busgps.cost.commands import REFERENCE_FLEET
from busgps.cost.model import CostModel, Item, monthly_total
from busgps.cost.traffic import Sizes, example_fix
from busgps.local.config import EnvironmentSettings, load_environment_settings
from busgps.models.api import position_view, to_json
from busgps.models.websocket import map_fields

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = PROJECT_ROOT / "terraform" / "environments"


def settings_of(environment: str) -> EnvironmentSettings:
    return load_environment_settings(ENVIRONMENTS / f"{environment}.tfvars")


def items_by_service(items: list[Item]) -> dict[str, Item]:
    return {item.service: item for item in items}


def test_the_reference_fleet_costs_production_at_most_400_dollars_a_month() -> None:
    # Given production's settings and the reference fleet (1,000 buses, a fix every 5 s sent 6 to a
    # request, 30 days of history, 100 feed consumers every 10 s, 50 map viewers)
    model = CostModel(settings_of("production"), REFERENCE_FLEET)
    # When its month is priced
    total = monthly_total(model.items())
    # Then it is within the goal, and no table needs more than autoscaling may give it
    assert 0 < total <= 400
    assert not any("BEYOND ITS CEILING" in item.basis for item in model.items())


def test_every_billed_service_is_priced() -> None:
    # Given the items of production for the reference fleet
    services = " ".join(items_by_service(CostModel(settings_of("production"), REFERENCE_FLEET).items()))
    # Then each service the system uses has its line
    for service in (
        "HTTP API",
        "REST API",
        "WebSocket API",
        "Kinesis",
        "Lambda",
        "DynamoDB writes",
        "DynamoDB reads",
        "DynamoDB storage and point-in-time recovery",
        "CloudWatch",
        "X-Ray",
        "CloudFront",
        "Data transfer out",
        "WAF",
        "KMS, SQS, SNS, Cognito",
    ):
        assert service in services


def test_device_requests_are_priced_per_million_at_the_http_api_rate() -> None:
    # Given the reference fleet: 1,000 buses, a fix every 5 s, 6 fixes a request
    model = CostModel(settings_of("production"), REFERENCE_FLEET)
    # When the devices' API is priced
    item = items_by_service(model.items())["API Gateway HTTP API (devices' POSTs)"]
    # Then it is 1000 / 5 / 6 requests a second for a month, at $1.00 a million
    requests = 1000 / 5 / 6 * prices.SECONDS_PER_MONTH
    assert item.usd_per_month == pytest.approx(requests / 1e6 * 1.00)


def test_a_provisioned_stream_costs_its_shard_hours_put_units_and_extended_retention() -> None:
    # Given production's one provisioned shard kept 168 hours
    settings = settings_of("production")
    assert (settings.kinesis_stream_mode, settings.kinesis_shard_count) == ("PROVISIONED", 1)
    model = CostModel(settings, REFERENCE_FLEET)
    # When the stream is priced
    item = items_by_service(model.items())["Kinesis Data Streams"]
    # Then it is 730 shard-hours, a PUT unit a record (each under 25 KB) and the retention past 24 h
    records = 200 * prices.SECONDS_PER_MONTH
    expected = 730 * (prices.KINESIS_SHARD_HOUR + prices.KINESIS_EXTENDED_RETENTION_SHARD_HOUR)
    expected += records * prices.KINESIS_PUT_UNIT
    assert item.usd_per_month == pytest.approx(expected)


def test_a_fleet_beyond_a_shard_gets_the_shards_it_needs() -> None:
    # Given 10,000 buses, a fix a second: 10,000 records a second
    fleet = replace(REFERENCE_FLEET, buses=10_000, interval_seconds=1)
    # When the stream's shards are counted; then a shard takes 1,000 records a second
    assert CostModel(settings_of("production"), fleet).shards == 10


def test_provisioned_tables_cost_their_floor_then_follow_the_load_up_to_their_ceiling() -> None:
    # Given production's provisioned tables, and fleets of 1, 2 and 10 times the reference
    settings = settings_of("production")
    floors = settings.dynamodb_capacity.by_table()

    def writes(buses: int) -> Item:
        return items_by_service(CostModel(settings, replace(REFERENCE_FLEET, buses=buses)).items())[
            "DynamoDB writes"
        ]

    # When their writes are priced
    reference, doubled, tenfold = writes(1000), writes(2000), writes(10_000)
    # Then the reference fleet pays its floors (it uses under 70 % of them)
    assert reference.usd_per_month == pytest.approx(
        sum(table.write for table in floors.values()) * 730 * prices.DYNAMODB_WCU_HOUR
    )
    # And twice the fleet pays for the units autoscaling adds to keep 70 % use
    model = CostModel(settings, replace(REFERENCE_FLEET, buses=2000))
    units = {table: math.ceil(load.write / 0.7) for table, load in model.table_units().items()}
    expected = sum(max(floors[table].write, units[table]) for table in floors)
    assert doubled.usd_per_month == pytest.approx(expected * 730 * prices.DYNAMODB_WCU_HOUR)
    # And ten times the fleet is told its tables need more than four times their floors
    assert "BEYOND ITS CEILING" not in reference.basis + doubled.basis
    assert "BEYOND ITS CEILING" in tenfold.basis


def test_on_demand_tables_cost_their_write_units() -> None:
    # Given the same settings on demand
    settings = settings_of("production").model_copy(update={"dynamodb_billing_mode": "PAY_PER_REQUEST"})
    model = CostModel(settings, REFERENCE_FLEET)
    # When the writes are priced
    item = items_by_service(model.items())["DynamoDB writes"]
    # Then they are the tables' write units a second over the month, at the on-demand price
    units = sum(table.write for table in model.table_units().values())
    assert item.usd_per_month == pytest.approx(units * prices.SECONDS_PER_MONTH * prices.DYNAMODB_WRITE_UNIT)


def test_history_costs_one_write_unit_a_request_and_a_share_of_its_window() -> None:
    # Given the reference fleet's 6 fixes a request
    model = CostModel(settings_of("production"), REFERENCE_FLEET)
    units = model.table_units()
    # When the history's write units are counted; then they are one chunk a request, at most a
    # unit each (a chunk of 6 fixes is under 1 KB), plus the windows: well under one unit a fix
    requests = 1000 / 5 / 6
    assert model.sizes.chunk_item_bytes < 1024
    assert requests < units["history"].write < 0.3 * 200
    # And the latest position is written once a request (one bus's fixes a batch), not once a fix
    assert units["latest"].write == pytest.approx(requests)


def test_the_map_pushes_only_the_fields_it_shows() -> None:
    # Given a fix with every field a device sends
    sizes = Sizes(fixes_per_request=6)
    # When a pushed bus of the map's subscription is measured
    # Then it is smaller than the whole view, and holds the position and the map's fields
    whole = position_view(example_fix(1, 0))
    shown = {*map_fields(), "busId", "latitude", "longitude", "timestamp"}
    assert sizes.pushed_bus_bytes < len(to_json(whole))
    assert sizes.pushed_bus_bytes == len(
        to_json({name: value for name, value in whole.items() if name in shown})
    )


def test_more_pushes_than_a_32_kb_message_holds_cost_more_units() -> None:
    # Given 50 viewers of a fleet of 10,000 buses: each push carries far more than 32 KB
    fleet = replace(REFERENCE_FLEET, buses=10_000)
    model = CostModel(settings_of("production"), fleet)
    # When a viewer's message units a push are counted
    units = model._push_message_units_per_viewer()
    # Then they are the push's bytes in 32 KB units
    assert units == math.ceil(model._push_bytes() / prices.WEBSOCKET_MESSAGE_UNIT_BYTES)
    assert units > 1


def test_no_map_viewers_cost_no_websocket_api() -> None:
    fleet = replace(REFERENCE_FLEET, map_viewers=0)
    items = items_by_service(CostModel(settings_of("production"), fleet).items())
    assert items["API Gateway WebSocket API (map)"].usd_per_month == 0


@pytest.mark.parametrize("environment", ["sandbox", "staging", "production", "local"])
def test_every_environment_can_be_priced(environment: str) -> None:
    # Given an environment's settings; when priced for the reference fleet; then every item is a
    # number of dollars at least 0, with what it is based on
    for item in CostModel(settings_of(environment), REFERENCE_FLEET).items():
        assert item.usd_per_month >= 0
        assert item.basis


def test_the_command_prints_json_with_the_total_and_each_item(capsys: pytest.CaptureFixture[str]) -> None:
    # Given `busgps cost --json` for a fleet of 200 buses
    exit_code = main(
        ["cost", "--settings", str(ENVIRONMENTS / "production.tfvars"), "--buses", "200", "--json"]
    )
    # When its output is read
    answer = json.loads(capsys.readouterr().out)
    # Then it is the total and the items, each with its service, dollars and basis, adding up
    assert exit_code == 0
    assert set(answer) == {"total_usd_per_month", "items"}
    assert all(set(item) == {"service", "usd_per_month", "basis"} for item in answer["items"])
    total = sum(item["usd_per_month"] for item in answer["items"])
    assert answer["total_usd_per_month"] == pytest.approx(total, abs=0.01 * len(answer["items"]))
    assert answer["items"][0]["basis"].startswith("17.5 million requests of 6 fixes")


def test_a_bad_settings_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Given a tfvars file that does not exist; when priced; then the command says which file
    missing = tmp_path / "nowhere.tfvars"
    assert main(["cost", "--settings", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_a_fleet_option_below_its_minimum_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["cost", "--buses", "0"])
    assert stopped.value.code == 2
    assert "--buses: must be at least 1" in capsys.readouterr().err


def test_enhanced_fan_out_adds_its_consumer_and_without_a_window_a_batch_per_arriving_request() -> None:
    # Given production polling, and the same with enhanced fan-out, with and without a batching window
    polling = settings_of("production")
    assert not polling.consumer_enhanced_fan_out
    fan_out = polling.model_copy(update={"consumer_enhanced_fan_out": True})
    no_window = fan_out.model_copy(update={"consumer_batching_window_seconds": 0})
    # When each is priced for the reference fleet
    models = [CostModel(settings, REFERENCE_FLEET) for settings in (polling, fan_out, no_window)]
    streams = [items_by_service(model.items())["Kinesis Data Streams"].usd_per_month for model in models]
    # Then the stream costs the consumer's shard-hours and the data it reads more
    gb_read = 200 * prices.SECONDS_PER_MONTH * models[0].sizes.record_bytes / prices.GB
    added = 730 * prices.KINESIS_EFO_CONSUMER_SHARD_HOUR + gb_read * prices.KINESIS_EFO_GB
    assert streams[1] - streams[0] == pytest.approx(added)
    # And with no window the lane is invoked as records arrive (at most once a request), not once a
    # second, so the month costs more in all
    assert models[1].consumer_batches_per_second == 1
    assert 1 < models[2].consumer_batches_per_second <= 1000 / 5 / 6
    assert (
        monthly_total(models[2].items()) > monthly_total(models[1].items()) > monthly_total(models[0].items())
    )
