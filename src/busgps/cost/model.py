"""Every billed item of an environment for a fleet, a month, from its tfvars and the fleet's profile.

The traffic (requests, records, invocations, items, bytes) follows from the settings and the fleet;
the sizes are measured with busgps's own encoders (`busgps.cost.traffic`); the prices are
`busgps.cost.prices`. A few durations are estimates, named here with what they assume.
"""

import math
from dataclasses import dataclass

from busgps.cost import prices
from busgps.cost.traffic import Fleet, Sizes
from busgps.local.config import EnvironmentSettings
from busgps.logic.ingest import ALWAYS_COUNTED

MONTH = prices.SECONDS_PER_MONTH
KB = 1024

# Lambda durations (estimates): the ingest function makes one Kinesis call; the consumer pays a base
# per batch and a little per fix (parsing, packing, concurrent conditional writes); the push function
# sends each subscriber one message; a feed build reads and encodes every live bus (`make bench`).
INGEST_DURATION_S = 0.025
CONSUMER_BASE_DURATION_S = 0.060
CONSUMER_DURATION_PER_FIX_S = 0.0004
PUSH_BASE_DURATION_S = 0.050
PUSH_DURATION_PER_VIEWER_S = 0.002
FEED_BUILD_DURATION_PER_BUS_S = 0.00005
API_DURATION_S = 0.030
# Log bytes: an HTTP API access log line, a REST one, and what each consumer batch logs (a summary
# line and its metrics document).
HTTP_ACCESS_LOG_BYTES = 250
REST_ACCESS_LOG_BYTES = 700
CONSUMER_LOG_BYTES_PER_BATCH = 1400
# How often enhanced fan-out hands a shard's new records to the mapping while they keep coming
# (AWS documents about 70 ms from the put).
ENHANCED_FAN_OUT_DELIVERY_S = 0.07
# The monitoring module's alarms, and the WAF's rules (a rate-based one and AWS's common rule set).
ALARMS = 16
WAF_RULES = 2
# The feed's copies CloudFront asks the origin for each refresh period (formats and encodings).
FEED_ORIGIN_REQUESTS_PER_REFRESH = 2
# A map viewer pings every 5 minutes (to stay within the 10-minute idle limit) and reconnects every
# 2 hours (the connection limit), subscribing again.
VIEWER_PINGS_PER_HOUR = 12
VIEWER_RECONNECTS_PER_HOUR = 0.5


@dataclass(frozen=True)
class TableUnits:
    """A table's average read and write units a second."""

    read: float
    write: float


@dataclass(frozen=True)
class Item:
    service: str
    usd_per_month: float
    basis: str


def _millions(count: float) -> str:
    return f"{count / 1e6:,.1f} million"


def _gb(count: float) -> str:
    return f"{count / prices.GB:,.0f} GB" if count >= prices.GB else f"{count / prices.GB:,.2f} GB"


@dataclass(frozen=True)
class CostModel:
    settings: EnvironmentSettings
    fleet: Fleet

    @property
    def sizes(self) -> Sizes:
        return Sizes(self.fleet.fixes_per_request)

    # Traffic

    @property
    def shards(self) -> int:
        """Shards the stream has (provisioned) or would need (on demand: a MB/s or 1,000 records/s each)."""
        records = self.fleet.fixes_per_second
        needed = max(1, math.ceil(max(records / 1000, records * self.sizes.record_bytes / 2**20)))
        if self.settings.kinesis_stream_mode == "PROVISIONED":
            return max(self.settings.kinesis_shard_count, needed)
        return needed

    @property
    def consumer_batches_per_second(self) -> float:
        """A batch a lane each batching window, or sooner when full; without a window, as records reach
        the mapping: once a second polling a shard, as they arrive with enhanced fan-out. A request's
        fixes arrive together, so there are never more batches than requests."""
        lanes = self.shards * self.settings.consumer_parallelization_factor
        window = float(self.settings.consumer_batching_window_seconds)
        if self.settings.consumer_enhanced_fan_out:
            gap = window or ENHANCED_FAN_OUT_DELIVERY_S
        else:
            gap = max(1.0, window)
        per_lane = self.fleet.fixes_per_second / lanes
        batches_per_lane = max(1 / gap, per_lane / self.settings.consumer_batch_size)
        return min(lanes * batches_per_lane, self.fleet.requests_per_second)

    @property
    def fixes_per_batch(self) -> float:
        return self.fleet.fixes_per_second / self.consumer_batches_per_second

    @property
    def pushes_per_second(self) -> float:
        if not self.fleet.map_viewers:
            return 0.0
        return 1 / max(1.0, float(self.settings.push_batching_window_seconds))

    @property
    def feed_builds_per_second(self) -> float:
        return 1 / self.settings.feed_refresh_seconds if self.fleet.feed_consumers else 0.0

    # Items

    def items(self) -> list[Item]:
        return [
            self.ingest_api(),
            self.rest_api(),
            self.websocket_api(),
            self.kinesis(),
            self.lambda_functions(),
            self.dynamodb_writes(),
            self.dynamodb_reads(),
            self.dynamodb_storage(),
            self.cloudwatch(),
            self.xray(),
            self.cloudfront(),
            self.data_transfer(),
            self.waf(),
            self.kms_sqs_cognito(),
        ]

    def ingest_api(self) -> Item:
        requests = self.fleet.requests_per_second * MONTH
        return Item(
            "API Gateway HTTP API (devices' POSTs)",
            prices.tiered(requests, prices.HTTP_REQUEST_TIERS),
            f"{_millions(requests)} requests of {self.fleet.fixes_per_request} fixes",
        )

    def rest_api(self) -> Item:
        requests = self.feed_builds_per_second * FEED_ORIGIN_REQUESTS_PER_REFRESH * MONTH
        return Item(
            "API Gateway REST API (reads)",
            prices.tiered(requests, prices.REST_REQUEST_TIERS),
            f"{_millions(requests)} feed requests from CloudFront's origin shield (riders' reads on top)",
        )

    def websocket_api(self) -> Item:
        viewers = self.fleet.map_viewers
        if not viewers:
            return Item("API Gateway WebSocket API (map)", 0.0, "no map viewers")
        minutes = viewers * MONTH / 60
        units = self._push_message_units_per_viewer() * self.pushes_per_second * MONTH * viewers
        units += viewers * (VIEWER_PINGS_PER_HOUR + 2 * VIEWER_RECONNECTS_PER_HOUR) * prices.HOURS_PER_MONTH
        cost = minutes * prices.WEBSOCKET_CONNECTION_MINUTE + prices.tiered(
            units, prices.WEBSOCKET_MESSAGE_TIERS
        )
        return Item(
            "API Gateway WebSocket API (map)",
            cost,
            f"{viewers:,} viewers all month: {_millions(minutes)} connection minutes, {_millions(units)} "
            f"32 KB message units (a push every {1 / self.pushes_per_second:g} s)",
        )

    def _buses_per_push(self) -> float:
        if not self.pushes_per_second:
            return 0.0
        return min(self.fleet.buses, self.fleet.requests_per_second / self.pushes_per_second)

    def _push_bytes(self) -> float:
        return self._buses_per_push() * (self.sizes.pushed_bus_bytes + 1) + 40

    def _push_message_units_per_viewer(self) -> int:
        return max(1, math.ceil(self._push_bytes() / prices.WEBSOCKET_MESSAGE_UNIT_BYTES))

    def kinesis(self) -> Item:
        records = self.fleet.fixes_per_second * MONTH
        record_bytes = self.sizes.record_bytes
        hours = prices.HOURS_PER_MONTH
        retention_hours = self.settings.kinesis_retention_hours
        if self.settings.kinesis_stream_mode == "PROVISIONED":
            units = records * math.ceil(record_bytes / prices.KINESIS_PUT_UNIT_BYTES)
            cost = self.shards * hours * prices.KINESIS_SHARD_HOUR + units * prices.KINESIS_PUT_UNIT
            basis = f"{self.shards} shard{'s' if self.shards > 1 else ''}, {_millions(records)} records"
            if retention_hours > 24:
                cost += self.shards * hours * prices.KINESIS_EXTENDED_RETENTION_SHARD_HOUR
                basis += f", {retention_hours} h retention"
            if self.settings.consumer_enhanced_fan_out:
                cost += self.shards * hours * prices.KINESIS_EFO_CONSUMER_SHARD_HOUR
                cost += records * record_bytes / prices.GB * prices.KINESIS_EFO_GB
                basis += ", an enhanced fan-out consumer"
            return Item("Kinesis Data Streams", cost, basis)
        billed_in = records * max(KB, record_bytes)
        stored_gb = (
            self.fleet.fixes_per_second * record_bytes * max(0, retention_hours - 24) * 3600 / prices.GB
        )
        cost = (
            hours * prices.KINESIS_ON_DEMAND_STREAM_HOUR
            + billed_in / prices.GB * prices.KINESIS_ON_DEMAND_IN_GB
            + records * record_bytes / prices.GB * prices.KINESIS_ON_DEMAND_OUT_GB
            + stored_gb * prices.KINESIS_ON_DEMAND_RETENTION_GB_MONTH
        )
        if self.settings.consumer_enhanced_fan_out:
            cost += records * record_bytes / prices.GB * prices.KINESIS_ON_DEMAND_EFO_GB
        return Item(
            "Kinesis Data Streams",
            cost,
            f"on demand, {_millions(records)} records (each billed as 1 KB in), "
            f"{retention_hours} h retention",
        )

    def lambda_functions(self) -> Item:
        memory = self.settings.lambda_memory_mb / 1024
        ingest_memory = self.settings.ingest_memory_mb / 1024
        consumer = self.consumer_batches_per_second * MONTH
        consumer_seconds = consumer * (
            CONSUMER_BASE_DURATION_S + CONSUMER_DURATION_PER_FIX_S * self.fixes_per_batch
        )
        ingest = self.fleet.requests_per_second * MONTH
        pushes = self.pushes_per_second * MONTH
        push_seconds = pushes * (PUSH_BASE_DURATION_S + PUSH_DURATION_PER_VIEWER_S * self.fleet.map_viewers)
        builds = self.feed_builds_per_second * MONTH
        api = builds * FEED_ORIGIN_REQUESTS_PER_REFRESH
        api_seconds = api * API_DURATION_S + builds * FEED_BUILD_DURATION_PER_BUS_S * self.fleet.buses
        invocations = consumer + ingest + pushes + api
        gb_seconds = (
            ingest * INGEST_DURATION_S * ingest_memory
            + (consumer_seconds + push_seconds + api_seconds) * memory
        )
        rate = prices.LAMBDA_GB_SECOND[self.settings.lambda_architecture]
        cost = max(0.0, invocations - prices.LAMBDA_FREE_REQUESTS) * prices.LAMBDA_REQUEST
        cost += max(0.0, gb_seconds - prices.LAMBDA_FREE_GB_SECONDS) * rate
        return Item(
            "Lambda",
            cost,
            f"{_millions(invocations)} invocations ({_millions(ingest)} ingest, "
            f"{_millions(consumer)} consumer batches of {self.fixes_per_batch:,.0f} fixes), "
            f"{gb_seconds:,.0f} GB-s, "
            f"{self.settings.lambda_architecture}; free: 1 million and 400,000 GB-s",
        )

    # DynamoDB

    def table_units(self) -> dict[str, TableUnits]:
        """Read and write units a second each table takes, on average."""
        requests = self.fleet.requests_per_second
        # History: a chunk of one request's fixes (one bus's fixes of a batch), and the batch's share of
        # its fleet minute window. Latest: one conditional write a bus a batch.
        chunk_units = math.ceil(self.sizes.chunk_item_bytes / KB)
        window_units = math.ceil(self.fixes_per_batch * self.sizes.window_bytes_per_fix / KB)
        history_writes = requests * chunk_units + self.consumer_batches_per_second * window_units
        # Reads, eventually consistent (half a unit a 4 KB): the noise filters' previous fix of each bus,
        # a scan of every latest position a feed build, the subscriptions a push.
        filters = requests * 0.5 if self.settings.noise_max_speed_mps else 0.0
        feed_scan = math.ceil(self.fleet.buses * self.sizes.latest_item_bytes / (4 * KB)) * 0.5
        subscriptions = math.ceil(self.fleet.map_viewers * 300 / (4 * KB)) * 0.5
        # A viewer's reconnection writes its connection three times ($connect, subscribe, $disconnect).
        reconnections = self.fleet.map_viewers * VIEWER_RECONNECTS_PER_HOUR / 3600
        return {
            "latest": TableUnits(read=filters + self.feed_builds_per_second * feed_scan, write=requests),
            "history": TableUnits(read=0.0, write=history_writes),
            "connections": TableUnits(read=self.pushes_per_second * subscriptions, write=3 * reconnections),
        }

    def _dynamodb_units(self, kind: str, on_demand_price: float, unit_hour_price: float) -> Item:
        needed = {table: getattr(units, kind) for table, units in self.table_units().items()}
        total = sum(needed.values())
        name = "writes" if kind == "write" else "reads"
        shares = ", ".join(f"{table} {units:,.1f}" for table, units in needed.items())
        basis = f"{total:,.1f} {kind} units a second ({shares})"
        if self.settings.dynamodb_billing_mode != "PROVISIONED":
            return Item(f"DynamoDB {name}", total * MONTH * on_demand_price, f"{basis}; on demand")
        # Autoscaling keeps each table's units near the target use, never below its floor nor above
        # its ceiling.
        target = self.settings.dynamodb_autoscaling_target_percent / 100
        provisioned, parts = 0, []
        for table, table_capacity in self.settings.dynamodb_capacity.by_table().items():
            floor = getattr(table_capacity, kind)
            ceiling = math.floor(floor * self.settings.dynamodb_autoscaling_max_factor)
            wanted = math.ceil(needed[table] / target)
            units = min(max(floor, wanted), ceiling)
            provisioned += units
            beyond = f" (needs {wanted}: BEYOND ITS CEILING, raise its floor)" if wanted > units else ""
            parts.append(f"{table} {units}{beyond}")
        unit = "WCU" if kind == "write" else "RCU"
        cost = provisioned * prices.HOURS_PER_MONTH * unit_hour_price
        return Item(f"DynamoDB {name}", cost, f"{basis}; {unit} provisioned: " + ", ".join(parts))

    def dynamodb_writes(self) -> Item:
        return self._dynamodb_units("write", prices.DYNAMODB_WRITE_UNIT, prices.DYNAMODB_WCU_HOUR)

    def dynamodb_reads(self) -> Item:
        return self._dynamodb_units("read", prices.DYNAMODB_READ_UNIT, prices.DYNAMODB_RCU_HOUR)

    def dynamodb_storage(self) -> Item:
        overhead = prices.DYNAMODB_ITEM_OVERHEAD_BYTES
        per_fix = (
            self.sizes.chunk_item_bytes + overhead
        ) / self.fleet.fixes_per_request + self.sizes.window_bytes_per_fix
        history = self.fleet.fixes_per_second * self.fleet.history_days * 86400 * per_fix
        latest = self.fleet.buses * (self.sizes.latest_item_bytes + overhead)
        total_gb = (history + latest) / prices.GB
        storage = max(0.0, total_gb - prices.DYNAMODB_FREE_STORAGE_GB) * prices.DYNAMODB_STORAGE_GB_MONTH
        recovery = total_gb * prices.DYNAMODB_PITR_GB_MONTH
        return Item(
            "DynamoDB storage and point-in-time recovery",
            storage + recovery,
            f"{self.fleet.history_days} days of history at {per_fix:,.0f} B a fix: {total_gb:,.0f} GB "
            f"(25 GB free), point-in-time recovery on all of it",
        )

    def cloudwatch(self) -> Item:
        access = self.fleet.requests_per_second * MONTH * HTTP_ACCESS_LOG_BYTES
        access += (
            self.feed_builds_per_second * FEED_ORIGIN_REQUESTS_PER_REFRESH * MONTH * REST_ACCESS_LOG_BYTES
        )
        functions = self.consumer_batches_per_second * MONTH * CONSUMER_LOG_BYTES_PER_BATCH
        logs = access + functions
        metrics = len(ALWAYS_COUNTED) + 4  # flagged and thinned, by reason
        cost = max(0.0, logs / prices.GB - prices.LOGS_FREE_GB) * prices.LOGS_INGESTED_GB
        cost += ALARMS * prices.ALARM_MONTH + metrics * prices.CUSTOM_METRIC_MONTH
        return Item(
            "CloudWatch logs, metrics and alarms",
            cost,
            f"{_gb(logs)} of logs (access logs, a line a consumer batch; the ingest function logs "
            f"only warnings), {metrics} custom metrics, {ALARMS} alarms",
        )

    def xray(self) -> Item:
        # Lambda samples the first request each second and 5 % of the rest, per traced function.
        def sampled(per_second: float) -> float:
            return (min(per_second, 1) + 0.05 * max(0.0, per_second - 1)) * MONTH

        traced = [self.feed_builds_per_second * FEED_ORIGIN_REQUESTS_PER_REFRESH, self.pushes_per_second]
        if self.settings.trace_ingest_and_consumer:
            traced += [self.fleet.requests_per_second, self.consumer_batches_per_second]
        traces = sum(sampled(rate) for rate in traced)
        cost = max(0.0, traces - prices.XRAY_FREE_TRACES) * prices.XRAY_TRACE
        which = "every function" if self.settings.trace_ingest_and_consumer else "the API and push functions"
        return Item("X-Ray traces", cost, f"{_millions(traces)} traces of {which} (100,000 free)")

    def _feed_polls(self) -> float:
        return self.fleet.feed_polls_per_second * MONTH

    def cloudfront(self) -> Item:
        polls = self._feed_polls()
        out = polls * self.sizes.feed_gzip_bytes_per_bus * self.fleet.buses
        shield = self.feed_builds_per_second * FEED_ORIGIN_REQUESTS_PER_REFRESH * MONTH
        cost = max(0.0, polls - prices.CLOUDFRONT_FREE_REQUESTS) * prices.CLOUDFRONT_HTTPS_REQUEST
        cost += max(0.0, out / prices.GB - prices.CLOUDFRONT_FREE_OUT_GB) * prices.CLOUDFRONT_OUT_GB
        cost += shield * prices.CLOUDFRONT_ORIGIN_SHIELD_REQUEST
        feed_kb = self.sizes.feed_gzip_bytes_per_bus * self.fleet.buses / KB
        return Item(
            "CloudFront (GTFS-Realtime feed)",
            cost,
            f"{_millions(polls)} polls of a {feed_kb:,.0f} KB "
            f"gzipped feed: {_gb(out)} out (10 million requests and 1 TB free)",
        )

    def data_transfer(self) -> Item:
        pushed = self._push_bytes() * self.pushes_per_second * MONTH * self.fleet.map_viewers
        answers = self.fleet.requests_per_second * MONTH * 200
        out_gb = (pushed + answers) / prices.GB
        cost = max(0.0, out_gb - prices.DATA_OUT_FREE_GB) * prices.DATA_OUT_GB
        return Item(
            "Data transfer out",
            cost,
            f"{out_gb:,.0f} GB: pushes to map viewers ({self._buses_per_push():,.0f} buses a push) and "
            f"answers to devices (100 GB free)",
        )

    def waf(self) -> Item:
        if not self.settings.waf_enabled:
            return Item("WAF", 0.0, "no web ACL in this environment")
        requests = self.feed_builds_per_second * FEED_ORIGIN_REQUESTS_PER_REFRESH * MONTH
        cost = prices.WAF_WEB_ACL_MONTH + WAF_RULES * prices.WAF_RULE_MONTH + requests * prices.WAF_REQUEST
        return Item(
            "WAF", cost, f"a web ACL of {WAF_RULES} rules on the REST stage, {_millions(requests)} requests"
        )

    def kms_sqs_cognito(self) -> Item:
        # Services cache their data keys for minutes: a few requests an hour per stream, table and queue.
        kms_requests = 12 * 6 * prices.HOURS_PER_MONTH
        kms = prices.KMS_KEY_MONTH + max(0, kms_requests - prices.KMS_FREE_REQUESTS) * prices.KMS_REQUEST
        users = max(0, self.fleet.buses - prices.COGNITO_FREE_MONTHLY_ACTIVE_USERS)
        cognito = users * prices.COGNITO_MONTHLY_ACTIVE_USER
        return Item(
            "KMS, SQS, SNS, Cognito",
            kms + cognito,
            f"a customer managed key; queues and the alarm topic carry only failures; {self.fleet.buses:,} "
            "device users (10,000 free)",
        )


def monthly_total(items: list[Item]) -> float:
    return sum(item.usd_per_month for item in items)
