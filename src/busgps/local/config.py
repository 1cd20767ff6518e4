"""The settings of an environment, read from its Terraform variables file.

`terraform/environments/<env>.tfvars` is the one place where names, shard count, batching, retries and
TTL are written; Terraform reads it to deploy and the local stack reads it here. The model checks the
values against AWS's own limits, so a value the local stack accepts is one AWS accepts too.
"""

from pathlib import Path
from typing import Literal

import hcl2
from hcl2.utils import SerializationOptions
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from busgps.models.problems import describe

DEFAULT_SETTINGS_PATH = Path("terraform") / "environments" / "local.tfvars"


class SettingsFileError(RuntimeError):
    """The settings file is missing, unreadable or has an invalid value."""


class TableCapacity(BaseModel):
    """A table's provisioned read and write capacity units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: int = Field(ge=1)
    write: int = Field(ge=1)


class TableCapacities(BaseModel):
    """The capacity of each table, used when dynamodb_billing_mode is PROVISIONED."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    latest: TableCapacity
    history: TableCapacity
    connections: TableCapacity

    def by_table(self) -> dict[str, TableCapacity]:
        return {"latest": self.latest, "history": self.history, "connections": self.connections}


class EnvironmentSettings(BaseModel):
    """Every key of an environment's tfvars file (the same keys in every environment)."""

    model_config = ConfigDict(frozen=True)

    environment: Literal["local", "sandbox", "staging", "production"]
    aws_region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")

    stream_name: str = Field(pattern=r"^[a-zA-Z0-9_.-]{1,128}$")
    latest_table_name: str = Field(pattern=r"^[a-zA-Z0-9_.-]{3,255}$")
    history_table_name: str = Field(pattern=r"^[a-zA-Z0-9_.-]{3,255}$")
    invalid_records_queue_name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,80}$")
    consumer_failure_queue_name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,80}$")
    user_pool_name: str = Field(pattern=r"^[\w\s+=,.@-]{1,128}$")
    connections_table_name: str = Field(pattern=r"^[a-zA-Z0-9_.-]{3,255}$")

    kinesis_stream_mode: Literal["PROVISIONED", "ON_DEMAND"]
    kinesis_shard_count: int = Field(ge=1)
    kinesis_retention_hours: int = Field(ge=24, le=8760)

    ttl_seconds: int = Field(gt=0, le=366 * 24 * 3600)
    ttl_field_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")

    history_retention_days: int = Field(ge=1, le=3650)
    noise_max_speed_mps: float = Field(ge=0, le=1000)
    noise_max_accuracy_m: float = Field(ge=0)
    thinning_stationary_distance_m: float = Field(ge=0, le=10000)
    thinning_stationary_max_gap_seconds: float = Field(ge=0, le=86400)
    thinning_min_interval_seconds: float = Field(ge=0, le=86400)

    feed_max_age_seconds: int = Field(gt=0, le=86400)
    feed_refresh_seconds: int = Field(ge=1, le=300)

    # The limits of Lambda's CreateEventSourceMapping for a Kinesis source. With enhanced fan-out the
    # mapping reads through a stream consumer of its own, to which Kinesis pushes records.
    consumer_enhanced_fan_out: bool
    consumer_batch_size: int = Field(ge=1, le=10000)
    consumer_batching_window_seconds: int = Field(ge=0, le=300)
    consumer_parallelization_factor: int = Field(ge=1, le=10)
    consumer_maximum_retry_attempts: int = Field(ge=-1, le=10000)
    consumer_maximum_record_age_seconds: int = Field(ge=-1, le=604800)
    consumer_bisect_batch_on_function_error: bool
    consumer_starting_position: Literal["TRIM_HORIZON", "LATEST"]

    # The limits of Lambda's CreateEventSourceMapping for a DynamoDB Streams source.
    push_batch_size: int = Field(ge=1, le=10000)
    push_batching_window_seconds: int = Field(ge=0, le=300)
    push_maximum_retry_attempts: int = Field(ge=-1, le=10000)
    push_maximum_record_age_seconds: int = Field(ge=-1, le=604800)

    # Empty, or an http(s) URL template with {z}, {x} and {y}, as Leaflet's tile layers take.
    map_tile_url: str = Field(pattern=r"^$|^https?://\S*\{z\}\S*\{x\}\S*\{y\}\S*$")
    map_tile_attribution: str
    map_stale_after_seconds: int = Field(gt=0, le=86400)

    lambda_architecture: Literal["arm64", "x86_64"]
    lambda_memory_mb: int = Field(ge=128, le=10240)
    lambda_timeout_seconds: int = Field(ge=1, le=900)
    # Memory of the ingest function, which only checks bodies and writes to the stream.
    ingest_memory_mb: int = Field(ge=128, le=10240)
    # Read by Terraform only: X-Ray active tracing of the ingest and consumer functions.
    trace_ingest_and_consumer: bool
    log_retention_days: int = Field(ge=0)

    api_throttling_rate_limit: float = Field(ge=0)
    api_throttling_burst_limit: int = Field(ge=0)

    dynamodb_billing_mode: Literal["PAY_PER_REQUEST", "PROVISIONED"]
    dynamodb_capacity: TableCapacities
    dynamodb_autoscaling_max_factor: float = Field(ge=1)
    dynamodb_autoscaling_target_percent: float = Field(ge=20, le=90)
    domain_name: str
    alarm_email: str
    cors_allow_origin: str = Field(min_length=1)
    # Read by Terraform only: whether the environment owns its account's API Gateway CloudWatch role.
    manage_api_gateway_account: bool
    # Read by Terraform only: the web ACL in front of the stage (WAF's own limits).
    waf_enabled: bool
    waf_rate_limit_per_address: int = Field(ge=10, le=2_000_000_000)

    @field_validator("consumer_maximum_record_age_seconds", "push_maximum_record_age_seconds")
    @classmethod
    def _record_age_is_infinite_or_at_least_a_minute(cls, value: int) -> int:
        if value != -1 and value < 60:
            raise ValueError("must be -1 (infinite) or between 60 and 604800 seconds, as Lambda requires")
        return value

    @model_validator(mode="after")
    def _a_bus_is_stale_before_it_leaves_the_map(self) -> "EnvironmentSettings":
        if self.map_stale_after_seconds >= self.feed_max_age_seconds:
            raise ValueError(
                "map_stale_after_seconds must be less than feed_max_age_seconds, when a bus leaves the map"
            )
        return self


def load_environment_settings(path: Path = DEFAULT_SETTINGS_PATH) -> EnvironmentSettings:
    """Read and validate a tfvars file; every error names the file and the offending keys."""
    try:
        with path.open(encoding="utf-8") as settings_file:
            values = hcl2.load(
                settings_file,
                serialization_options=SerializationOptions(with_comments=False, strip_string_quotes=True),
            )
    except FileNotFoundError:
        raise SettingsFileError(
            f"settings file {path} does not exist (run from the repository root, or pass --settings)"
        ) from None
    except Exception as error:  # python-hcl2 raises lark's parse errors, which share no base class
        raise SettingsFileError(f"cannot parse settings file {path}: {error}") from error
    try:
        return EnvironmentSettings.model_validate(values)
    except ValidationError as error:
        raise SettingsFileError(f"invalid settings in {path}: {describe(error)}") from error
