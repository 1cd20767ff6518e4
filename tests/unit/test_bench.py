"""The benchmark's arithmetic and its bounds, without a stack."""

import threading
from dataclasses import replace

import pytest

from busgps import bench_volume
from busgps.bench import (
    Freshness,
    Rate,
    Volume,
    combine,
    feed_build,
    goals_report,
    percentile,
    polling_settings,
    render_table,
    report,
    run_for,
    synthetic_fleet,
)
from busgps.bench_history import history_writes
from busgps.cost.commands import REFERENCE_FLEET
from busgps.local.config import DEFAULT_SETTINGS_PATH, EnvironmentSettings, load_environment_settings
from busgps.logic.feed import vehicle_positions


def test_percentiles_interpolate_between_ranks():
    # Given the samples 1..100
    samples = [float(value) for value in range(1, 101)]

    # Then p50 and p99 are where numpy would put them
    assert percentile(samples, 0.50) == pytest.approx(50.5)
    assert percentile(samples, 0.99) == pytest.approx(99.01)
    assert percentile([3.0], 0.99) == 3.0


def test_a_percentile_of_nothing_is_refused():
    # Given no samples, Then there is no percentile
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_rates_combine_over_rounds():
    # Given two rounds, When combined, Then the rate is over their total time
    total = combine([Rate(records=100, seconds=2.0, failures=1), Rate(records=200, seconds=2.0, failures=0)])
    assert (total.records, total.failures) == (300, 1)
    assert total.per_second == pytest.approx(75.0)


def test_run_for_stops_at_the_record_budget_and_counts_failures():
    # Given a sender that fails every third call
    calls = [0]
    lock = threading.Lock()

    def send(worker: int) -> int:
        with lock:
            calls[0] += 1
            number = calls[0]
        if number % 3 == 0:
            raise RuntimeError("refused")
        return 10

    # When it runs with a budget of 100 records and a generous time
    rate = run_for(seconds=10.0, max_records=100, workers=2, send=send)

    # Then it stops soon after the budget, long before the time is up, with its failures counted
    assert 100 <= rate.records <= 120
    assert rate.failures >= 1
    assert rate.seconds < 5.0


def test_the_report_is_a_table_with_freshness_and_ratios():
    # Given measured delays and rates
    rates = {
        "gateway": Rate(100, 2.0, 0),
        "direct": Rate(400, 2.0, 0),
        "gateway_batch": Rate(1000, 2.0, 0),
        "direct_batch": Rate(2000, 2.0, 0),
    }

    # When reported
    freshness = Freshness(cold=[2.5], delays=[1.0, 1.2, 1.4], unseen=0)
    table = report(freshness, rates=rates, workers=4, stop_seconds=1.25)

    # Then each figure is on its own row
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "value", "note"]
    assert any(line.startswith("POST->GET freshness p50") and "1.200 s" in line for line in lines)
    assert any(line.startswith("POST->GET freshness p50") and "after the first 1," in line for line in lines)
    assert any(line.startswith("gateway / direct (PutRecord)") and " 0.25 " in line for line in lines)
    assert any(line.startswith("gateway / direct (PutRecords)") and "0.50" in line for line in lines)
    assert any(line.startswith("stop, SIGTERM to exit") and "1.25 s" in line for line in lines)


def test_the_table_aligns_its_columns():
    # Given rows of different widths, Then every column starts at the same place on each line
    table = render_table([("a", "1", "x"), ("longer metric", "22.5 s", "")])
    first, rule, *rows = table.splitlines()
    assert set(rule) <= {"-", " "}
    assert first.index("value") == rows[0].index("1") == rows[1].index("22.5 s")


def test_the_feed_build_of_a_synthetic_fleet_has_one_entity_per_bus_on_a_trip():
    # Given a synthetic fleet of 50 buses on trips
    fleet = synthetic_fleet(50, now_s=1_796_114_700)
    feed = vehicle_positions(fleet, now_s=1_796_114_700, max_age_seconds=90)
    # Then every bus is in the feed with its trip
    assert len(feed.entity) == 50
    assert all(entity.vehicle.trip.trip_id for entity in feed.entity)

    # And the measured build reports its sizes, gzip smaller than protobuf
    build = feed_build(50)
    assert build.buses == 50
    assert 0 < build.gzip_bytes < build.protobuf_bytes
    assert build.cpu_seconds > 0


def test_history_of_a_fleet_sending_six_fixes_a_request_costs_far_less_than_a_unit_a_fix():
    # Given 100 buses sending their last 6 fixes every 30 s, stored a consumer batch a second
    fleet = replace(REFERENCE_FLEET, buses=100)
    # When a minute of it is written by the history store
    writes = history_writes(fleet, batch_seconds=1, minutes=1)
    # Then every fix was written, each request's fixes in one chunk of one unit plus a share of a
    # window, and the latest position once a bus a batch: a sixth of a unit a fix
    assert writes.fixes == 100 * 2 * 6
    assert 1 / 6 < writes.history_units_per_fix < 0.5
    assert writes.latest_units_per_fix == pytest.approx(1 / 6)


def test_the_polling_mode_changes_only_the_fan_out_and_the_batching_window(tmp_path):
    # Given the local settings file (enhanced fan-out, no batching window)
    local = load_environment_settings(DEFAULT_SETTINGS_PATH)
    # When the bench derives the polling mode's settings from it
    path = tmp_path / "polling.tfvars"
    path.write_text(polling_settings(DEFAULT_SETTINGS_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    polling = load_environment_settings(path)
    # Then the mapping polls with a 1 s batching window, and every other setting is the local one
    assert (local.consumer_enhanced_fan_out, local.consumer_batching_window_seconds) == (True, 0)
    assert (polling.consumer_enhanced_fan_out, polling.consumer_batching_window_seconds) == (False, 1)
    changed = {"consumer_enhanced_fan_out", "consumer_batching_window_seconds"}
    assert {name for name in EnvironmentSettings.model_fields if name not in changed} == {
        name for name in EnvironmentSettings.model_fields if getattr(local, name) == getattr(polling, name)
    }


def test_the_goals_table_puts_each_figure_beside_its_goal():
    # Given figures that meet some goals and miss others
    rates = {"gateway": Rate(95, 1.0, 0), "direct": Rate(100, 1.0, 0)}
    volume = Volume(
        drain=bench_volume.Drain(fixes=20_000, seconds=40.0),
        seeded=bench_volume.Seeded(fixes=720_000, buses=1000, seconds=300.0, end_ms=1_796_114_700_000),
        reads=bench_volume.ReadTimes(
            latest=[0.01] * 10,
            history_page=[0.08] * 10,
            fleet_listing=[0.3] * 5,
            fleet_window=bench_volume.FleetWindow(fixes=720_000, pages=72, seconds=41.5),
        ),
    )
    freshness = {
        "enhanced fan-out": Freshness(cold=[0.6, 0.1], delays=[0.2] * 10, unseen=0),
        "polling, 1 s window": Freshness(cold=[], delays=[1.3] * 10, unseen=0),
    }
    # When reported
    lines = goals_report(freshness, rates, volume, (420.0, "2026-12-03T12:00:00Z")).splitlines()

    # Then each row names the figure, its value and its goal, and whether it is met
    def row(start: str) -> str:
        (found,) = [line for line in lines if line.startswith(start)]
        return found

    assert lines[0].split() == ["measure", "value", "goal"]
    assert "0.200 s" in row("freshness p99, enhanced fan-out")
    assert "(met)" in row("freshness p99, enhanced")
    assert "(NOT met)" in row("freshness p99, polling")
    # and the cold starts after a start are shown apart, against no goal
    assert "max 0.600 s" in row("freshness after a start, enhanced fan-out")
    assert "the first 2 fixes" in row("freshness after a start, enhanced fan-out")
    assert not [line for line in lines if line.startswith("freshness after a start, polling")]
    assert "0.95" in row("ingest, gateway / direct")
    assert "(met)" in row("ingest")
    assert "500 fixes/s" in row("consumer drain")
    assert "(NOT met)" in row("consumer drain")
    assert "(met)" in row("GET latest p99")
    assert "(NOT met)" in row("GET one history page p99")
    assert "300.0 ms" in row("GET /v1/buses?limit=1000 p99")
    assert "720,000 fixes stored" in row("GET /v1/buses")
    assert "41.5 s" in row("GET /v1/positions, the fleet's stored hour")
    assert "720,000 fixes in 72 pages" in row("GET /v1/positions")
    assert "7.0 min" in row("make test")
    assert "(met)" in row("make test")
