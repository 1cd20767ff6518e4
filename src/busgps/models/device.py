"""What a device sends: the JSON inside a Kinesis record's data, or an entry of a batch."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from google.transit import gtfs_realtime_pb2
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from busgps.models.position import BUS_ID_PATTERN

# Beyond any real value and within what DynamoDB's numbers can hold.
_PLAUSIBLE_MAGNITUDE = Decimal(10) ** 6


def _number(value: Any) -> Any:
    """Accept numbers and numeric strings, never booleans (JSON true is not a coordinate)."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a numeric string, not a boolean")
    if isinstance(value, str):
        return value.strip()
    return value


Number = Annotated[Decimal, BeforeValidator(_number), Field(allow_inf_nan=False)]

# GTFS ids are any text; control characters never belong in one.
GTFS_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]{1,255}$"
GTFS_DATE_PATTERN = r"^[0-9]{8}$"
# GTFS-Realtime's start_time: HH:MM:SS of the service day, beyond 24:00:00 for trips past midnight.
GTFS_TIME_PATTERN = r"^[0-9]{2}:[0-5][0-9]:[0-5][0-9]$"
# The enum names GTFS-Realtime defines, read from its own bindings.
OCCUPANCY_STATUSES = tuple(gtfs_realtime_pb2.VehiclePosition.OccupancyStatus.keys())
CONGESTION_LEVELS = tuple(gtfs_realtime_pb2.VehiclePosition.CongestionLevel.keys())
SCHEDULE_RELATIONSHIPS = tuple(gtfs_realtime_pb2.TripDescriptor.ScheduleRelationship.keys())


def _calendar_date(value: str) -> str:
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        raise ValueError("must be a calendar date as YYYYMMDD") from None
    return value


def _one_of(names: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in names:
            raise ValueError(f"must be one of {', '.join(names)}")
        return value

    return AfterValidator(check)


GtfsText = Annotated[str, Field(pattern=GTFS_TEXT_PATTERN)]
DirectionId = Annotated[int, Field(ge=0, le=1, strict=True)]
GtfsDate = Annotated[str, Field(pattern=GTFS_DATE_PATTERN), AfterValidator(_calendar_date)]
GtfsTime = Annotated[str, Field(pattern=GTFS_TIME_PATTERN)]


class DevicePosition(BaseModel):
    """The fields a device may send; unknown fields are ignored, as the old system did."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    bus_id: str | None = Field(default=None, alias="busId", pattern=BUS_ID_PATTERN)
    latitude: Annotated[Number, Field(ge=-90, le=90)]
    longitude: Annotated[Number, Field(ge=-180, le=180)]
    timestamp: Any = None  # epoch seconds or milliseconds, or ISO-8601; read by busgps.logic.times
    speed: Annotated[Number, Field(ge=0, le=_PLAUSIBLE_MAGNITUDE)] | None = None
    bearing: Annotated[Number, Field(ge=0, lt=360)] | None = None
    accuracy: Annotated[Number, Field(ge=0, le=_PLAUSIBLE_MAGNITUDE)] | None = None
    altitude: Annotated[Number, Field(ge=-_PLAUSIBLE_MAGNITUDE, le=_PLAUSIBLE_MAGNITUDE)] | None = None
    trip_id: GtfsText | None = Field(default=None, alias="tripId")
    route_id: GtfsText | None = Field(default=None, alias="routeId")
    direction_id: DirectionId | None = Field(default=None, alias="directionId")
    start_date: GtfsDate | None = Field(default=None, alias="startDate")
    start_time: GtfsTime | None = Field(default=None, alias="startTime")
    schedule_relationship: Annotated[str, _one_of(SCHEDULE_RELATIONSHIPS)] | None = Field(
        default=None, alias="scheduleRelationship"
    )
    vehicle_label: GtfsText | None = Field(default=None, alias="vehicleLabel")
    license_plate: GtfsText | None = Field(default=None, alias="licensePlate")
    occupancy_status: Annotated[str, _one_of(OCCUPANCY_STATUSES)] | None = Field(
        default=None, alias="occupancyStatus"
    )
    congestion_level: Annotated[str, _one_of(CONGESTION_LEVELS)] | None = Field(
        default=None, alias="congestionLevel"
    )
