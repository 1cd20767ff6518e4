"""`busgps cost`: what an environment costs a month for a fleet, item by item."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from busgps.cost.model import CostModel, Item, monthly_total
from busgps.cost.traffic import Fleet
from busgps.local.config import DEFAULT_SETTINGS_PATH, SettingsFileError, load_environment_settings

ENVIRONMENTS_DIRECTORY = DEFAULT_SETTINGS_PATH.parent
# The reference fleet an agency's finance office is quoted: the defaults of `busgps cost`.
REFERENCE_FLEET = Fleet(
    buses=1000,
    interval_seconds=5,
    fixes_per_request=6,
    history_days=30,
    feed_consumers=100,
    feed_poll_seconds=10,
    map_viewers=50,
)
# `busgps cost`'s options that describe the fleet: option, Fleet field, least value, type, help.
FLEET_OPTIONS: tuple[tuple[str, str, float, type[int] | type[float], str], ...] = (
    ("--buses", "buses", 1, int, "buses sending fixes"),
    ("--interval", "interval_seconds", 0.1, float, "seconds between a bus's fixes"),
    ("--fixes-per-request", "fixes_per_request", 1, int, "fixes a device sends in one POST"),
    ("--history-days", "history_days", 0, int, "days of history stored"),
    ("--feed-consumers", "feed_consumers", 0, int, "trip planners and apps polling the GTFS-Realtime feed"),
    ("--feed-poll-seconds", "feed_poll_seconds", 1, float, "seconds between a consumer's polls"),
    ("--map-viewers", "map_viewers", 0, int, "operations maps open all month"),
)


def _at_least(minimum: float, kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum:g}")
        return value

    return parse


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    cost = subcommands.add_parser(
        "cost",
        help="what an environment costs a month for a fleet, item by item",
        description="Price every billed item of an environment's tfvars for a fleet, a month, and the "
        "total. The defaults are the reference fleet. Prices: on-demand list prices of US East, "
        "written once in busgps.cost.prices with their source and date.",
    )
    cost.add_argument("--environment", default="production", help="the tfvars of terraform/environments/")
    cost.add_argument("--settings", type=Path, help="a tfvars file instead of --environment's")
    for option, field, minimum, kind, text in FLEET_OPTIONS:
        default = getattr(REFERENCE_FLEET, field)
        metavar = option.removeprefix("--").upper().replace("-", "_")
        cost.add_argument(
            option, dest=field, metavar=metavar, type=_at_least(minimum, kind), default=default, help=text
        )
    cost.add_argument("--json", action="store_true", help="as JSON")
    cost.set_defaults(run=_run_cost)


def _run_cost(arguments: argparse.Namespace) -> int:
    path = arguments.settings or ENVIRONMENTS_DIRECTORY / f"{arguments.environment}.tfvars"
    try:
        settings = load_environment_settings(path)
    except SettingsFileError as error:
        print(f"busgps: {error}", file=sys.stderr)
        return 2
    fleet = Fleet(**{field: getattr(arguments, field) for _, field, _, _, _ in FLEET_OPTIONS})
    items = CostModel(settings, fleet).items()
    if arguments.json:
        print(json.dumps(as_json(items), indent=2))
    else:
        print(as_table(items))
    return 0


def as_json(items: list[Item]) -> dict[str, Any]:
    return {
        "total_usd_per_month": round(monthly_total(items), 2),
        "items": [
            {"service": item.service, "usd_per_month": round(item.usd_per_month, 2), "basis": item.basis}
            for item in items
        ],
    }


def as_table(items: list[Item]) -> str:
    """A Markdown table, the README's cost table as it is printed."""
    rows = ["| Item | USD a month | Basis |", "| --- | ---: | --- |"]
    rows += [f"| {item.service} | {item.usd_per_month:,.2f} | {item.basis} |" for item in items]
    rows.append(f"| **Total** | **{monthly_total(items):,.2f}** | |")
    return "\n".join(rows)
