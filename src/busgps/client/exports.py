"""Pages of a bus's track joined into one file, as `busgps export` writes it.

The API answers a track in pages (a `Link: <...>; rel="next"` header on each but the last); each page
is a whole document of its format, so joining them means keeping one header row (CSV), one track
segment (GPX) or one LineString (GeoJSON).
"""

import json
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
FORMATS = ("gpx", "geojson", "csv")


class ExportError(RuntimeError):
    """A page of the export is not a document of its format."""


def join_pages(output_format: str, pages: Iterable[str]) -> tuple[str, int]:
    """The pages as one document of `output_format`, and how many fixes it holds."""
    joiners = {"csv": _join_csv, "geojson": _join_geojson, "gpx": _join_gpx}
    return joiners[output_format](list(pages))


def _join_csv(pages: list[str]) -> tuple[str, int]:
    header, rows = "", []
    for page in pages:
        lines = page.splitlines(keepends=True)
        if not lines:
            raise ExportError("a CSV page without its header row")
        header = header or lines[0]
        rows += lines[1:]
    return header + "".join(rows), len(rows)


def _join_geojson(pages: list[str]) -> tuple[str, int]:
    coordinates: list[Any] = []
    times: list[str] = []
    feature: dict[str, Any] = {}
    flagged = 0
    for page in pages:
        try:
            feature = json.loads(page)
            times += feature["properties"]["coordTimes"]
            flagged += feature["properties"]["flaggedCount"]
            coordinates += (feature["geometry"] or {}).get("coordinates", [])
        except (ValueError, KeyError, TypeError) as error:
            raise ExportError(f"a GeoJSON page that is not a track Feature: {error}") from None
    geometry = {"type": "LineString", "coordinates": coordinates} if len(coordinates) > 1 else None
    joined = {
        "type": "Feature",
        "id": feature.get("id"),
        "geometry": geometry,
        "properties": {
            **feature.get("properties", {}),
            "coordTimes": times,
            "count": len(times),
            "flaggedCount": flagged,
        },
    }
    return json.dumps(joined) + "\n", len(times)


def _join_gpx(pages: list[str]) -> tuple[str, int]:
    ElementTree.register_namespace("", GPX_NAMESPACE)
    names = {"gpx": GPX_NAMESPACE}
    document: ElementTree.Element | None = None
    segment: ElementTree.Element | None = None
    for page in pages:
        try:
            root = ElementTree.fromstring(page)  # noqa: S314 - our own API's answer, not untrusted XML
        except ElementTree.ParseError as error:
            raise ExportError(f"a GPX page that is not XML: {error}") from None
        page_segment = root.find("gpx:trk/gpx:trkseg", names)
        if page_segment is None:
            raise ExportError("a GPX page without a track segment")
        if document is None:
            document, segment = root, page_segment
        else:
            assert segment is not None
            segment.extend(page_segment.findall("gpx:trkpt", names))
    if document is None or segment is None:
        raise ExportError("no GPX page")
    points = len(segment.findall("gpx:trkpt", names))
    return ElementTree.tostring(document, encoding="unicode", xml_declaration=True) + "\n", points
