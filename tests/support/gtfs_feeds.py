"""Static GTFS feeds for tests: the two shipped under tests/data/gtfs, and small ones written on the spot."""

import textwrap
import zipfile
from pathlib import Path

FEEDS = Path(__file__).resolve().parents[1] / "data" / "gtfs"
# Europe/Lisbon: buses in service at any moment of any day from 2025 to 2035.
LISBON = FEEDS / "lisbon"
# Pacific/Auckland: night buses past midnight (to 26:15:00) and calendar_dates exceptions.
AUCKLAND = FEEDS / "auckland"

# The files every small feed of a test shares unless it gives its own.
_AGENCY = """\
agency_id,agency_name,agency_url,agency_timezone
A,Test Agency,https://agency.example.org,{timezone}
"""
_ROUTES = """\
route_id,agency_id,route_short_name,route_long_name,route_type
R,A,1,Test route,3
"""


def write_feed(directory: Path, timezone: str = "Europe/Lisbon", **files: str) -> Path:
    """A feed in `directory`: each keyword is a file (`stop_times="..."` is stop_times.txt), as CSV text.

    agency.txt (one agency in `timezone`) and routes.txt (route R) are written unless given.
    """
    directory.mkdir(parents=True, exist_ok=True)
    contents = {"agency": _AGENCY.format(timezone=timezone), "routes": _ROUTES, **files}
    for name, text in contents.items():
        (directory / f"{name}.txt").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return directory


def zipped(feed: Path, archive: Path, folder: str = "") -> Path:
    """The feed's .txt files zipped into `archive` (inside `folder`, if given, as some publishers do)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as output:
        for file in sorted(feed.glob("*.txt")):
            output.write(file, f"{folder}/{file.name}" if folder else file.name)
    return archive
