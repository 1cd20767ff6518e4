"""A bus position as the domain holds it, and a record as Kinesis delivered it."""

from dataclasses import dataclass
from decimal import Decimal

BUS_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
# The measurements a device may add to a fix, as Position names them.
OPTIONAL_FIELDS = ("speed", "bearing", "accuracy", "altitude")
# The GTFS-Realtime descriptors a device may add to a fix: Position's name, then the API's.
DESCRIPTOR_FIELDS = {
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


@dataclass(frozen=True)
class KinesisRecord:
    """A record as Kinesis delivered it, kept raw so that a rejected one can be sent on unchanged."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: str  # base64, as in the event
    arrival_time_ms: int
    event_source_arn: str = ""


@dataclass(frozen=True)
class Position:
    """A valid position of one bus at one time."""

    bus_id: str
    time_ms: int
    latitude: Decimal
    longitude: Decimal
    received_at_ms: int
    sequence_number: str
    speed: Decimal | None = None
    bearing: Decimal | None = None
    accuracy: Decimal | None = None
    altitude: Decimal | None = None
    # Which scheduled trip the bus is running, as GTFS names it, and what the vehicle is.
    trip_id: str | None = None
    route_id: str | None = None
    direction_id: int | None = None
    start_date: str | None = None  # YYYYMMDD, the trip's service day
    start_time: str | None = None  # HH:MM:SS on the service day, beyond 24:00:00 past midnight
    schedule_relationship: str | None = None  # a GTFS-Realtime TripDescriptor.ScheduleRelationship name
    vehicle_label: str | None = None
    license_plate: str | None = None
    occupancy_status: str | None = None  # a GTFS-Realtime OccupancyStatus name
    congestion_level: str | None = None  # a GTFS-Realtime CongestionLevel name
    # Why the noise filters flagged this fix (kept in history, never the latest), else None.
    flagged: str | None = None

    def descriptors(self) -> dict[str, str | int]:
        """The GTFS descriptors this fix carries, by their API names."""
        values = {api_name: getattr(self, name) for name, api_name in DESCRIPTOR_FIELDS.items()}
        return {api_name: value for api_name, value in values.items() if value is not None}

    @property
    def key(self) -> tuple[str, int]:
        """The history key: one stored position per bus and millisecond."""
        return (self.bus_id, self.time_ms)

    @property
    def order(self) -> tuple[int, int]:
        """Newer positions sort later; at equal times the later Kinesis record wins."""
        return (self.time_ms, int(self.sequence_number))

    def expires_at(self, ttl_seconds: int) -> int:
        """Epoch seconds after which this position is no longer served (as latest, or from history)."""
        return self.time_ms // 1000 + ttl_seconds


@dataclass(frozen=True)
class Rejection:
    """A record that can never become a position, and why."""

    record: KinesisRecord
    reason: str
