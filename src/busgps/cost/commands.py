"""`busgps cost`: what an environment costs a month for a fleet, item by item."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from busgps.cost.model import CostModel, Item, monthly_total
from busgps.cost.traffic import Fleet
from busgps.local.config import SettingsFileError, load_environment_settings

ENVIRONMENTS_DIRECTORY = Path("terraform") / "environments"
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
    reference = REFERENCE_FLEET
    cost.add_argument("--buses", type=_at_least(1, int), default=reference.buses, help="buses sending fixes")
    cost.add_argument(
        "--interval",
        type=_at_least(0.1, float),
        default=reference.interval_seconds,
        help="seconds between a bus's fixes",
    )
    cost.add_argument(
        "--fixes-per-request",
        type=_at_least(1, int),
        default=reference.fixes_per_request,
        help="fixes a device sends in one POST",
    )
    cost.add_argument(
        "--history-days",
        type=_at_least(0, int),
        default=reference.history_days,
        help="days of history stored",
    )
    cost.add_argument(
        "--feed-consumers",
        type=_at_least(0, int),
        default=reference.feed_consumers,
        help="trip planners and apps polling the GTFS-Realtime feed",
    )
    cost.add_argument(
        "--feed-poll-seconds",
        type=_at_least(1, float),
        default=reference.feed_poll_seconds,
        help="seconds between a consumer's polls",
    )
    cost.add_argument(
        "--map-viewers",
        type=_at_least(0, int),
        default=reference.map_viewers,
        help="operations maps open all month",
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
    fleet = Fleet(
        buses=arguments.buses,
        interval_seconds=arguments.interval,
        fixes_per_request=arguments.fixes_per_request,
        history_days=arguments.history_days,
        feed_consumers=arguments.feed_consumers,
        feed_poll_seconds=arguments.feed_poll_seconds,
        map_viewers=arguments.map_viewers,
    )
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
