"""A bus's track in the formats analysts' tools read: GeoJSON, CSV and GPX 1.1.

Fixes come oldest first. Flagged fixes (noise) are rows of the CSV, with their reason, but no point
of a track: a GeoJSON LineString or a GPX track draws where the bus really went.
"""

import csv
import io
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from busgps.logic.times import iso_utc
from busgps.models.api import position_view
from busgps.models.position import DESCRIPTOR_FIELDS, OPTIONAL_FIELDS, Position

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
CSV_COLUMNS = (
    "busId",
    "timestamp",
    "receivedAt",
    "latitude",
    "longitude",
    *OPTIONAL_FIELDS,
    *DESCRIPTOR_FIELDS.values(),
    "flagged",
)
MEDIA_TYPES = {"geojson": "application/geo+json", "csv": "text/csv", "gpx": "application/gpx+xml"}


def _track(positions: Sequence[Position]) -> list[Position]:
    return [position for position in positions if position.flagged is None]


def geojson(bus_id: str, positions: Sequence[Position], next_cursor: str | None) -> dict[str, Any]:
    """A Feature whose LineString is the track in [longitude, latitude], with each point's time."""
    track = _track(positions)
    coordinates = [[position.longitude, position.latitude] for position in track]
    return {
        "type": "Feature",
        "id": bus_id,
        # RFC 7946: a LineString has two positions at least; fewer is no geometry.
        "geometry": {"type": "LineString", "coordinates": coordinates} if len(coordinates) > 1 else None,
        "properties": {
            "busId": bus_id,
            "coordTimes": [iso_utc(position.time_ms) for position in track],
            "count": len(track),
            "flaggedCount": len(positions) - len(track),
        },
        "nextCursor": next_cursor,
    }


def csv_text(positions: Sequence[Position]) -> str:
    """One row per fix under a header row, every field by its API name."""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS, lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for position in positions:
        row = position_view(position)
        writer.writerow({column: row.get(column, "") for column in CSV_COLUMNS})
    return output.getvalue()


def gpx_text(bus_id: str, positions: Sequence[Position]) -> str:
    """A GPX 1.1 document with one track of one segment: each fix with its time (and altitude)."""
    ElementTree.register_namespace("", GPX_NAMESPACE)
    gpx = ElementTree.Element(f"{{{GPX_NAMESPACE}}}gpx", {"version": "1.1", "creator": "busgps"})
    track = ElementTree.SubElement(gpx, f"{{{GPX_NAMESPACE}}}trk")
    ElementTree.SubElement(track, f"{{{GPX_NAMESPACE}}}name").text = f"bus {bus_id}"
    segment = ElementTree.SubElement(track, f"{{{GPX_NAMESPACE}}}trkseg")
    for position in _track(positions):
        point = ElementTree.SubElement(
            segment,
            f"{{{GPX_NAMESPACE}}}trkpt",
            {"lat": str(position.latitude), "lon": str(position.longitude)},
        )
        if position.altitude is not None:
            ElementTree.SubElement(point, f"{{{GPX_NAMESPACE}}}ele").text = str(position.altitude)
        ElementTree.SubElement(point, f"{{{GPX_NAMESPACE}}}time").text = iso_utc(position.time_ms)
    return ElementTree.tostring(gpx, encoding="unicode", xml_declaration=True)
