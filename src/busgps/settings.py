"""Environment variables of the Lambda functions, as validated models.

Read lazily (on first use, never at import) and once per process; a bad value
fails with a message that names the variable.
"""

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from busgps.models.problems import describe


class SettingsError(RuntimeError):
    """An environment variable is missing or invalid."""


class TableSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    latest_table_name: str = Field(alias="DYNAMODB_TABLE_NAME", min_length=3, max_length=255)
    history_table_name: str = Field(alias="HISTORY_TABLE_NAME", min_length=3, max_length=255)
    # How long a bus's newest fix stays its live, latest position.
    ttl_seconds: int = Field(default=3600, alias="TTL_SECONDS", gt=0, le=366 * 24 * 3600)
    ttl_field_name: str = Field(
        default="expirationTime", alias="TTL_FIELD_NAME", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$"
    )
    # How long every kept fix stays in history, counted from the fix's own time.
    history_retention_days: int = Field(default=1, alias="HISTORY_RETENTION_DAYS", ge=1, le=3650)


class ConsumerSettings(TableSettings):
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", pattern=r"^https?://\S+$")
    # Noise filters and history thinning (0 turns one off); see busgps.logic.noise.
    noise_max_speed_mps: float = Field(default=70, alias="NOISE_MAX_SPEED_MPS", ge=0, le=1000)
    noise_max_accuracy_m: float = Field(default=0, alias="NOISE_MAX_ACCURACY_M", ge=0, le=1_000_000)
    thinning_stationary_distance_m: float = Field(
        default=0, alias="THINNING_STATIONARY_DISTANCE_M", ge=0, le=10_000
    )
    thinning_stationary_max_gap_seconds: float = Field(
        default=0, alias="THINNING_STATIONARY_MAX_GAP_SECONDS", ge=0, le=86_400
    )
    thinning_min_interval_seconds: float = Field(
        default=0, alias="THINNING_MIN_INTERVAL_SECONDS", ge=0, le=86_400
    )


class ApiSettings(TableSettings):
    cors_allow_origin: str = Field(default="*", alias="CORS_ALLOW_ORIGIN", min_length=1)
    # A bus whose newest fix is older than this is left out of the GTFS-Realtime feed.
    feed_max_age_seconds: int = Field(default=90, alias="FEED_MAX_AGE_SECONDS", gt=0, le=24 * 3600)
    # The feed is built at most once per this period, and HTTP caches may keep it this long.
    feed_refresh_seconds: int = Field(default=10, alias="FEED_REFRESH_SECONDS", ge=1, le=300)


class ConnectionSettings(BaseModel):
    """What the functions that speak to WebSocket clients read: the push function's whole settings."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    connections_table_name: str = Field(alias="CONNECTIONS_TABLE_NAME", min_length=3, max_length=255)
    # The stage's management endpoint, https://<api id>.execute-api.<region>.amazonaws.com/<stage>.
    websocket_callback_url: str = Field(alias="WEBSOCKET_CALLBACK_URL", pattern=r"^https?://\S+$")
    ttl_field_name: str = Field(
        default="expirationTime", alias="TTL_FIELD_NAME", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$"
    )


class WebSocketSettings(TableSettings, ConnectionSettings):
    """The WebSocket routes' function: connections, and the snapshot read from the latest positions."""

    # A subscription's snapshot holds the buses whose newest fix is at most this old (the feed's age).
    feed_max_age_seconds: int = Field(default=90, alias="FEED_MAX_AGE_SECONDS", gt=0, le=24 * 3600)


class IngestSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    stream_name: str = Field(alias="STREAM_NAME", pattern=r"^[a-zA-Z0-9_.-]{1,128}$")


SettingsModel = TypeVar("SettingsModel", bound=BaseModel)


def load_settings(model: type[SettingsModel], environ: Mapping[str, str]) -> SettingsModel:
    """Validate `environ` against `model`, naming each bad variable in the error."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    values = {key: value for key, value in environ.items() if key in known}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise SettingsError(f"invalid environment variables: {describe(error)}") from error


@lru_cache(maxsize=1)
def consumer_settings() -> ConsumerSettings:
    return load_settings(ConsumerSettings, os.environ)


@lru_cache(maxsize=1)
def api_settings() -> ApiSettings:
    return load_settings(ApiSettings, os.environ)


@lru_cache(maxsize=1)
def websocket_settings() -> WebSocketSettings:
    return load_settings(WebSocketSettings, os.environ)


@lru_cache(maxsize=1)
def push_settings() -> ConnectionSettings:
    return load_settings(ConnectionSettings, os.environ)


@lru_cache(maxsize=1)
def ingest_settings() -> IngestSettings:
    return load_settings(IngestSettings, os.environ)
