"""The soak's parts that need no stack: its fleet, its devices' resending, its judging, its windows."""

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from busgps.client.api import ApiError
from busgps.client.models import BatchResult, BusPosition, Position
from busgps.soak.fuzz import keep_position_rules, keep_window_rules
from busgps.soak.plan import SoakPlan, make_fleet
from busgps.soak.send import SendTally, post_until_accepted
from busgps.soak.verify import compare, fix_key

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_the_fleet_sends_every_fix_once_its_duplicates_twice_and_late_fixes_after_newer_ones() -> None:
    # Given a plan of 40 buses of 60 fixes, 5 % duplicates and 5 % late fixes, from 3 clients
    plan = SoakPlan(buses=40, fixes_per_bus=60, clients=3, duplicate_share=0.05, late_share=0.05, seed=3)

    # When its fleet is made
    fleet = make_fleet(plan, "run", NOW)

    # Then every fix goes out once, the duplicates twice, and nothing else
    sent = Counter(fix for schedule in fleet.schedules for fix in schedule)
    every_fix = [fix for fixes in fleet.fixes.values() for fix in fixes]
    assert len(every_fix) == plan.distinct == len(set(every_fix))
    assert set(sent) == set(every_fix)
    assert Counter(sent.values()) == {1: plan.distinct - fleet.duplicates, 2: fleet.duplicates}
    assert fleet.duplicates == fleet.late == 120
    # And each bus is one client's, its fixes past, within the last hour, and moving as a bus does
    for fixes in fleet.fixes.values():
        owners = [number for number, schedule in enumerate(fleet.schedules) if fixes[0] in schedule]
        assert len(owners) == 1
        assert all(fix in fleet.schedules[owners[0]] for fix in fixes)
        assert all(
            fix.timestamp is not None and NOW - timedelta(hours=1) < fix.timestamp < NOW for fix in fixes
        )
    # And exactly the late fixes go out after a newer fix of their bus
    late = 0
    for schedule in fleet.schedules:
        newest: dict[str, datetime] = {}
        for fix in schedule:
            assert fix.timestamp is not None
            if fix.timestamp < newest.get(fix.bus_id, fix.timestamp) and sent[fix] == 1:
                late += 1
            newest[fix.bus_id] = max(fix.timestamp, newest.get(fix.bus_id, fix.timestamp))
    assert late == fleet.late


@dataclass
class ScriptedClient:
    """Answers each post_batch with the next scripted answer: failed indexes, or an error to raise."""

    answers: list[list[int] | Exception]
    posted: list[list[str]] = field(default_factory=list)

    def post_batch(self, entries: list[Position]) -> BatchResult:
        self.posted.append([entry.bus_id for entry in entries])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        failed = [{"index": i, "errorCode": "ProvisionedThroughputExceededException"} for i in answer]
        return BatchResult.model_validate(
            {
                "message": "",
                "acceptedCount": len(entries) - len(answer),
                "failedCount": len(answer),
                "failed": failed,
            }
        )


class NoJitter:
    def uniform(self, low: float, high: float) -> float:
        return 0.0


def test_a_device_resends_only_the_failed_entries_and_a_whole_throttled_batch() -> None:
    # Given a client whose first answer is a 429, then two entries failed, then one, then none
    throttled = ApiError("POST", "/v1/positions", 429, "Too Many Requests", None)
    client = ScriptedClient([throttled, [1, 3], [0], []])
    batch = [Position(f"bus-{n}", 1.0, 2.0) for n in range(4)]
    tally = SendTally()

    # When the batch is posted until accepted
    post_until_accepted(client, batch, tally, NoJitter())  # type: ignore[arg-type]

    # Then the whole batch went again after the 429, then only the failed entries, each time
    assert client.posted == [
        ["bus-0", "bus-1", "bus-2", "bus-3"],
        ["bus-0", "bus-1", "bus-2", "bus-3"],
        ["bus-1", "bus-3"],
        ["bus-1"],
    ]
    assert (tally.accepted, tally.resent, tally.batch_retries, tally.unaccepted) == (4, 3, 1, [])


def test_a_refused_request_is_given_up_and_counted() -> None:
    # Given a client that answers a 400
    client = ScriptedClient([ApiError("POST", "/v1/positions", 400, "Invalid request body", None)])
    tally = SendTally()

    # When a batch is posted, Then it is not sent again, and its entries are counted as not accepted
    post_until_accepted(client, [Position("bus-1", 1.0, 2.0)], tally, NoJitter())  # type: ignore[arg-type]
    assert len(client.posted) == 1
    assert tally.unaccepted == [(Position("bus-1", 1.0, 2.0), "400: Invalid request body")]


def served(bus_id: str, moment: datetime, latitude: float = 1.0, **extra: Any) -> BusPosition:
    return BusPosition.model_validate(
        {"busId": bus_id, "latitude": latitude, "longitude": 2.0, "timestamp": moment, **extra}
    )


def test_history_is_judged_fix_by_fix() -> None:
    # Given four fixes sent, and history serving one twice, one at another place, one flagged, and one
    # it was never sent
    times = [NOW - timedelta(seconds=5 * n) for n in range(1, 5)]
    sent = [Position("b", 1.0, 2.0, moment) for moment in times]
    history = [
        served("b", times[0]),
        served("b", times[0]),
        served("b", times[1], latitude=1.5),
        served("b", times[2], flagged="speed"),
        served("b", NOW),
    ]

    # When they are compared
    findings = compare(sent, history)

    # Then one is lost, one duplicated, two are not as sent, one is flagged
    assert findings.stored == 3
    assert findings.lost == [fix_key("b", times[3])]
    assert findings.duplicated == 1
    assert sorted(findings.unexpected) == sorted([fix_key("b", times[1]), fix_key("b", NOW)])
    assert findings.flagged == 1


@dataclass
class Case:
    method: str
    path: str
    query: dict[str, Any] | None


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        # A fleet window turned the right way round and cut to an hour
        (
            "/v1/positions",
            {"from": "2026-12-03T09:30:00Z", "to": "1796727600000"},
            {"from": "2026-12-03T09:30:00Z", "to": "2026-12-03T10:30:00.000Z"},
        ),
        # A window of long ago (digits below 100000000000 are epoch seconds) moved to end an hour ago
        (
            "/v1/buses/{busId}/positions",
            {"from": "0", "to": "1000"},
            {"from": "2026-12-03T08:43:20.000Z", "to": "2026-12-03T09:00:00.000Z"},
        ),
        # A history from the future with no end brought into the past
        (
            "/v1/buses/{busId}/positions",
            {"from": "2438-09-13T14:49:09Z"},
            {"from": "2026-12-03T09:00:00.000Z"},
        ),
        # Bounds that are not times, and windows that keep the rules, left alone
        ("/v1/positions", {"from": "yesterday", "to": "soon"}, {"from": "yesterday", "to": "soon"}),
        (
            "/v1/positions",
            {"from": "2026-12-03T09:30:00Z", "to": "2026-12-03T09:40:00Z", "limit": 5},
            {"from": "2026-12-03T09:30:00Z", "to": "2026-12-03T09:40:00Z", "limit": 5},
        ),
    ],
)
def test_generated_windows_keep_the_rules_the_document_states_in_words(
    path: str, query: dict[str, Any], expected: dict[str, Any]
) -> None:
    # When a generated request's window is made to keep the rules
    case = keep_window_rules(Case("GET", path, query), now=NOW)
    # Then its bounds are as the document allows
    assert case.query == expected


@dataclass
class PostCase:
    path: str
    body: Any
    method: str = "POST"


def _entry(**fields: Any) -> dict[str, Any]:
    return {"positions": [{"busId": "17", "latitude": 1, "longitude": 2, **fields}]}


NOW_SECONDS = int(NOW.timestamp())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Timestamps the document allows, beyond five minutes ahead, made the server's time, written alike
        (_entry(timestamp=NOW_SECONDS + 301), _entry(timestamp=NOW_SECONDS)),
        (_entry(timestamp=99_999_999_999), _entry(timestamp=NOW_SECONDS)),
        (_entry(timestamp=9_999_999_999_999.5), _entry(timestamp=NOW_SECONDS * 1000)),
        (_entry(timestamp="9999999999999"), _entry(timestamp=str(NOW_SECONDS))),
        (_entry(timestamp="2438-09-13T14:49:09Z"), _entry(timestamp="2026-12-03T10:00:00.000Z")),
        # Not of the calendar, or before 1970
        (_entry(timestamp="2026-02-30 08:00:00"), _entry(timestamp="2026-12-03T10:00:00.000Z")),
        (_entry(timestamp="1970-01-01T00:00:00+01:00"), _entry(timestamp="2026-12-03T10:00:00.000Z")),
        (_entry(startDate="20260230"), _entry(startDate="20261203")),
        # Kept: what the function takes, and what the document does not allow (a request that breaks it)
        (_entry(timestamp=NOW_SECONDS + 299, startDate="20261203"), None),
        (_entry(timestamp="2026-12-03T10:04:00+00:00"), None),
        (_entry(timestamp=-1), None),
        (_entry(timestamp=" 1764590000"), None),
        (_entry(timestamp=True), None),
        (_entry(startDate="20261301"), None),
        ({"positions": "none"}, None),
    ],
)
def test_generated_positions_keep_the_rules_the_document_states_in_words(
    body: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    # When a generated batch is made to keep the rules
    case = keep_position_rules(PostCase("/v1/positions", body), now=NOW)
    # Then only the values the document allows and the function refuses are changed
    assert case.body == (body if expected is None else expected)


def _legacy(data: str, partition_key: Any = "17") -> dict[str, Any]:
    return {"StreamName": "positions", "Data": data, "PartitionKey": partition_key}


def _base64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_generated_legacy_data_is_the_base64_of_a_position() -> None:
    # Given generated legacy bodies: padded base64 of bytes that are not a position, one that is, and
    # Data the document does not allow
    garbage, position = _legacy("0000"), _legacy(_base64({"latitude": "1.5", "longitude": "2.5"}))
    other_bus = _legacy(_base64({"busId": "18", "latitude": 1, "longitude": 2}))
    unpadded = _legacy("abc")
    # When each is made to keep the rules
    kept = [keep_position_rules(PostCase("/post-gps", body), now=NOW).body for body in (garbage, position)]
    kept_other, kept_unpadded = (
        keep_position_rules(PostCase("/post-gps", body), now=NOW).body for body in (other_bus, unpadded)
    )
    # Then Data that is no position of its partition key becomes one, and the rest is left as it was
    made = json.loads(base64.b64decode(kept[0]["Data"]))
    assert set(made) == {"latitude", "longitude"}
    assert -90 <= made["latitude"] <= 90
    assert {**kept[0], "Data": "0000"} == garbage
    assert kept[1] == position
    assert set(json.loads(base64.b64decode(kept_other["Data"]))) == {"latitude", "longitude"}
    assert kept_unpadded == unpadded
