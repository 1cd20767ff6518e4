"""What a device sends: the JSON inside a Kinesis record's data, or an entry of a batch."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
