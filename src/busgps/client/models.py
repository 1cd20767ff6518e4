"""What the client sends (positions) and the typed answers it returns."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel


@dataclass(frozen=True)
class Position:
    """One GPS fix of one bus, as a device reports it."""

    bus_id: str
    latitude: float
    longitude: float
    timestamp: datetime | None = None
    speed: float | None = None  # m/s
    bearing: float | None = None  # degrees clockwise from north, [0, 360)
    accuracy: float | None = None  # m
    altitude: float | None = None  # m
    # GTFS-Realtime: the trip the bus is driving and the vehicle itself (see TRIP_FIELDS).
    trip_id: str | None = None
    route_id: str | None = None
    direction_id: int | None = None  # 0 or 1, as the trip's direction_id in the static feed
    start_date: str | None = None  # the trip's service day, YYYYMMDD
    start_time: str | None = None  # HH:MM:SS, past 24:00:00 for a trip of the previous service day
    schedule_relationship: str | None = None  # GTFS-Realtime name; the API takes SCHEDULED if absent
    vehicle_label: str | None = None
    license_plate: str | None = None
    occupancy_status: str | None = None  # GTFS-Realtime OccupancyStatus name, e.g. MANY_SEATS_AVAILABLE
    congestion_level: str | None = None  # GTFS-Realtime CongestionLevel name, e.g. RUNNING_SMOOTHLY

    def fields(self) -> dict[str, Any]:
        """The position as the JSON object the API reads (without the bus id)."""
        data: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.timestamp is not None:
            data["timestamp"] = iso_utc(self.timestamp)
        optional = {
            "speed": self.speed,
            "bearing": self.bearing,
            "accuracy": self.accuracy,
            "altitude": self.altitude,
            **{api_name: getattr(self, attribute) for attribute, api_name in TRIP_FIELDS.items()},
        }
        data.update({name: value for name, value in optional.items() if value is not None})
        return data

    def batch_entry(self) -> dict[str, Any]:
        """The position as one entry of a POST /v1/positions body."""
        return {"busId": self.bus_id, **self.fields()}


# The optional GTFS-Realtime fields: attribute name -> the API's name.
TRIP_FIELDS = {
    "trip_id": "tripId",
    "route_id": "routeId",
    "direction_id": "directionId",
    "start_date": "startDate",
    "start_time": "startTime",
    "schedule_relationship": "scheduleRelationship",
    "vehicle_label": "vehicleLabel",
    "license_plate": "licensePlate",
    "occupancy_status": "occupancyStatus",
    "congestion_level": "congestionLevel",
}


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a `Z`, e.g. 2026-12-01T08:30:00.250Z."""
    if moment.tzinfo is None:
        raise ValueError("a position's timestamp must carry a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class PostResult(_Answer):
    """The answer to an accepted POST /post-gps: where Kinesis put the record."""

    message: str
    shard_id: str = Field(alias="shardId")
    sequence_number: str = Field(alias="sequenceNumber")


class FailedEntry(_Answer):
    """An entry of a batch that was not written; resend it (or fix it, if it was invalid)."""

    index: int
    error_code: str = Field(alias="errorCode")
    error_message: str = Field(default="", alias="errorMessage")


class BatchResult(_Answer):
    """The answer to POST /v1/positions: how many entries were written, and which were not."""

    message: str
    accepted_count: int = Field(alias="acceptedCount")
    failed_count: int = Field(alias="failedCount")
    failed: list[FailedEntry]


class BusPosition(_Answer):
    """A stored position, as the /v1 routes answer it (fields this client does not know are kept)."""

    # The API's names are the attributes' in camelCase (tripId, startTime...).
    model_config = ConfigDict(extra="allow", alias_generator=to_camel)

    bus_id: str
    latitude: float
    longitude: float
    timestamp: datetime
    speed: float | None = None
    bearing: float | None = None
    accuracy: float | None = None
    altitude: float | None = None
    trip_id: str | None = None
    route_id: str | None = None
    direction_id: int | None = None
    start_date: str | None = None
    start_time: str | None = None
    schedule_relationship: str | None = None
    vehicle_label: str | None = None
    license_plate: str | None = None
    occupancy_status: str | None = None
    congestion_level: str | None = None

    @field_serializer("timestamp")
    def _iso_timestamp(self, timestamp: datetime) -> str:
        return iso_utc(timestamp)


class BusPage(_Answer):
    """One page of GET /v1/buses."""

    buses: list[BusPosition]
    next_cursor: str | None = Field(default=None, alias="nextCursor")


class HistoryPage(_Answer):
    """One page of GET /v1/buses/{busId}/positions, newest first."""

    bus_id: str = Field(alias="busId")
    positions: list[BusPosition]
    next_cursor: str | None = Field(default=None, alias="nextCursor")


class FleetPage(_Answer):
    """One page of GET /v1/positions: every bus's positions in a window, in time order."""

    positions: list[BusPosition]
    next_cursor: str | None = Field(default=None, alias="nextCursor")
