"""Buses that drive a static GTFS feed's trips on schedule, each fix carrying its trip."""

import heapq
from collections import Counter, defaultdict, deque
from datetime import datetime

from busgps.client.gtfs.schedule import Schedule, TripRun
from busgps.client.models import Position


class TimetableFleet:
    """Up to `bus_count` buses; each drives a trip in service until it ends, then takes another.

    When there are more trips in service than buses, buses are spread over the routes, so that a
    map or a feed shows every line moving.
    """

    def __init__(self, schedule: Schedule, bus_count: int, bus_id_prefix: str = "sim-") -> None:
        if bus_count < 1:
            raise ValueError("a fleet needs at least one bus")
        self.schedule = schedule
        self.bus_ids = [f"{bus_id_prefix}{number:03d}" for number in range(bus_count)]
        self.assignments: dict[str, TripRun] = {}

    def tick(self, now: datetime, elapsed_seconds: float = 0.0) -> list[Position]:
        """Where every bus on a trip is at `now`; buses without a trip in service report nothing.

        Positions follow the timetable at `now`, whatever time passed since the last tick.
        """
        self._assign(self.schedule.active_trips(now))
        positions = []
        for bus_id in self.bus_ids:
            run = self.assignments.get(bus_id)
            if run is None:
                continue
            fix = self.schedule.locate(run, now)
            positions.append(
                Position(
                    bus_id=bus_id,
                    latitude=round(fix.latitude, 6),
                    longitude=round(fix.longitude, 6),
                    timestamp=now,
                    speed=round(fix.speed, 2),
                    bearing=None if fix.bearing is None else round(fix.bearing, 1) % 360.0,
                    trip_id=run.trip.trip_id,
                    route_id=run.trip.route_id,
                    direction_id=run.trip.direction_id,
                    start_date=run.start_date,
                    start_time=run.start_time,
                    schedule_relationship=run.schedule_relationship,
                    vehicle_label=bus_id,
                )
            )
        return positions

    def _assign(self, runs: list[TripRun]) -> None:
        in_service = {run.key: run for run in runs}
        # A bus whose trip has ended is free again.
        self.assignments = {bus: run for bus, run in self.assignments.items() if run.key in in_service}
        taken = {run.key for run in self.assignments.values()}
        free = deque(bus for bus in self.bus_ids if bus not in self.assignments)
        waiting: defaultdict[str, deque[TripRun]] = defaultdict(deque)
        for run in runs:  # earliest start first
            if run.key not in taken:
                waiting[run.trip.route_id].append(run)
        load = Counter(run.trip.route_id for run in self.assignments.values())
        # The route with the fewest buses gets the next one: a heap of (buses on it, route id).
        routes = [(load[route_id], route_id) for route_id in waiting]
        heapq.heapify(routes)
        while free and routes:
            buses, route_id = heapq.heappop(routes)
            self.assignments[free.popleft()] = waiting[route_id].popleft()
            if waiting[route_id]:
                heapq.heappush(routes, (buses + 1, route_id))
