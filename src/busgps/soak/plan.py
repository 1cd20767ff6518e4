"""What a soak sends: a fleet's fixes, some sent twice, some late, shared among concurrent clients.

Each bus drives along a line, a fix every `interval` seconds, in the recent past (so that every fix
is within retention, none is ahead of the clock, and the newest stays the live latest position). Its
speed is a bus's, far under the noise filter's limit, so no fix is flagged. As the README's devices
do, a bus reports its last `fixes_per_post` fixes at a time (every 30 s, a fix every 5 s); a client
posts the reports of its own buses round by round, as a depot's gateway would, in batches of at most
`batch_size` entries. A duplicate is an exact copy of a fix sent again a few rounds later; a late fix
is held back and sent a few rounds after newer fixes of its bus.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from busgps.client.models import Position

# How far along its line a bus moves between fixes (about 40 m), and how far apart buses' lines are.
STEP_DEGREES = 0.0005
LINE_SPACING_DEGREES = 0.001
ORIGIN = (38.70, -9.20)
# A late fix or a duplicate goes out this many rounds after its own.
DELAY_ROUNDS = (1, 3)


@dataclass(frozen=True)
class SoakPlan:
    """The numbers of one soak."""

    buses: int = 1000
    fixes_per_bus: int = 100
    clients: int = 4
    duplicate_share: float = 0.02
    late_share: float = 0.02
    batch_size: int = 500
    interval_seconds: float = 5.0
    fixes_per_post: int = 6
    seed: int = 7

    @property
    def distinct(self) -> int:
        return self.buses * self.fixes_per_bus


@dataclass
class Fleet:
    """Every fix of the soak by bus, oldest first, and what each client sends, in order."""

    fixes: dict[str, list[Position]]
    # Per client, its entries in sending order (duplicates and late fixes in their place).
    schedules: list[list[Position]]
    duplicates: int
    late: int
    start: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def newest(self) -> dict[str, Position]:
        return {bus_id: fixes[-1] for bus_id, fixes in self.fixes.items()}


def bus_id(run: str, number: int) -> str:
    return f"soak-{run}-{number:04d}"


def make_fleet(plan: SoakPlan, run: str, now: datetime) -> Fleet:
    """The fleet of `plan`, its fixes ending a minute before `now`, ids prefixed by `run`."""
    span = timedelta(seconds=plan.interval_seconds * plan.fixes_per_bus)
    start = (now - span - timedelta(minutes=1)).replace(microsecond=0)
    chooser = random.Random(plan.seed)
    fixes: dict[str, list[Position]] = {}
    for number in range(plan.buses):
        name = bus_id(run, number)
        # Buses report at moments of their own within the interval, to the millisecond.
        offset = timedelta(milliseconds=chooser.randrange(int(plan.interval_seconds * 1000)))
        latitude = round(ORIGIN[0] + number * LINE_SPACING_DEGREES, 6)
        fixes[name] = [
            Position(
                name,
                latitude,
                round(ORIGIN[1] + step * STEP_DEGREES, 6),
                start + offset + timedelta(seconds=plan.interval_seconds * step),
                speed=8.5,
                bearing=90.0,
            )
            for step in range(plan.fixes_per_bus)
        ]
    # A bus's newest fix is never late: nothing newer could go out before it.
    every_fix = [(name, step) for name in fixes for step in range(plan.fixes_per_bus - 1)]
    chosen = chooser.sample(every_fix, round(plan.distinct * (plan.duplicate_share + plan.late_share)))
    duplicated = set(chosen[: round(plan.distinct * plan.duplicate_share)])
    late = set(chosen[len(duplicated) :])
    # The round in which each entry goes out: its report's; late fixes and copies a few rounds later,
    # after that round's reports.
    reports: dict[int, list[Position]] = {}
    delayed: dict[int, list[Position]] = {}
    for name, bus_fixes in fixes.items():
        for step, fix in enumerate(bus_fixes):
            report = step // plan.fixes_per_post
            if (name, step) in late:
                delayed.setdefault(report + chooser.randint(*DELAY_ROUNDS), []).append(fix)
            else:
                reports.setdefault(report, []).append(fix)
            if (name, step) in duplicated:
                delayed.setdefault(report + chooser.randint(*DELAY_ROUNDS), []).append(fix)
    owner = {name: number % plan.clients for number, name in enumerate(fixes)}
    schedules: list[list[Position]] = [[] for _ in range(plan.clients)]
    for due in sorted(reports.keys() | delayed.keys()):
        for fix in reports.get(due, []) + delayed.get(due, []):
            schedules[owner[fix.bus_id]].append(fix)
    return Fleet(fixes, schedules, duplicates=len(duplicated), late=len(late), start=start)
