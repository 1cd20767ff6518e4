"""Noise filters and history thinning, fix by fix."""

from decimal import Decimal

import pytest

from busgps.logic.noise import BusState, NoisePolicy, distance_m, judge
from busgps.models.position import Position

START_MS = 1_796_114_700_000


def fix(
    seconds: float, latitude: str = "38.7000", *, accuracy: str | None = None, sequence: int = 0
) -> Position:
    return Position(
        bus_id="17",
        time_ms=START_MS + int(seconds * 1000),
        latitude=Decimal(latitude),
        longitude=Decimal("-9.1400"),
        received_at_ms=START_MS,
        sequence_number=str(10**55 + sequence + int(seconds * 1000)),
        accuracy=None if accuracy is None else Decimal(accuracy),
    )


def test_distance_is_the_great_circle_one() -> None:
    # A thousandth of a degree of latitude is about 111 m anywhere
    assert distance_m(fix(0, "38.7000"), fix(0, "38.7010")) == pytest.approx(111.2, abs=0.2)


def test_a_jump_faster_than_the_limit_is_flagged_and_the_next_fix_judged_against_the_last_accepted() -> None:
    # Given fixes 10 s apart: at rest, 5.5 km away (550 m/s), then 200 m from the first (20 m/s)
    fixes = [fix(0, "38.7000"), fix(10, "38.7500"), fix(20, "38.7018")]
    # When judged with a 70 m/s limit
    judgement = judge(fixes, {}, NoisePolicy(max_speed_mps=70))
    # Then only the jump is flagged, with the speed it implied; all three are kept
    reasons = [position.flagged for position in judgement.kept]
    assert (reasons[0], reasons[2]) == (None, None)
    assert reasons[1] == "implied speed 556.0 m/s from the previous fix exceeds 70 m/s"
    assert judgement.flagged == {"speed": 1}
    # And the bus's latest accepted fix is the third
    assert judgement.states["17"].latest == fixes[2]


def test_the_speed_is_judged_against_the_stored_latest_fix_of_an_earlier_batch() -> None:
    # Given a bus whose stored latest fix is at rest, and a batch with a fix 5.5 km away 10 s later
    previous = {"17": BusState(latest=fix(0, "38.7000"), kept=fix(0, "38.7000"))}
    judgement = judge([fix(10, "38.7500")], previous, NoisePolicy(max_speed_mps=70))
    # Then it is flagged, and the bus's latest stays the stored one
    assert judgement.flagged == {"speed": 1}
    assert judgement.states["17"] == previous["17"]


def test_a_late_fix_is_never_judged_by_speed_and_never_the_latest() -> None:
    # Given a stored latest fix, and a fix from before it far away
    previous = {"17": BusState(latest=fix(100, "38.7000"))}
    judgement = judge([fix(50, "39.0000")], previous, NoisePolicy(max_speed_mps=70))
    # Then it is kept unflagged (it can never become the latest), and the latest stays
    assert [position.flagged for position in judgement.kept] == [None]
    assert judgement.states["17"].latest == previous["17"].latest


def test_a_fix_less_accurate_than_the_limit_is_flagged() -> None:
    judgement = judge([fix(0, accuracy="250")], {}, NoisePolicy(max_accuracy_m=100))
    assert judgement.kept[0].flagged == "accuracy 250 m is worse than 100 m"
    assert judgement.flagged == {"accuracy": 1}
    assert judgement.states["17"].latest is None


def test_a_stationary_bus_keeps_one_fix_per_gap_and_its_latest_moves_on() -> None:
    # Given a bus standing still (within 3 m), a fix every 5 s for a minute
    fixes = [fix(seconds, "38.70000" if seconds % 10 else "38.70002") for seconds in range(0, 61, 5)]
    # When thinned at 10 m with a fix kept at least every 30 s
    judgement = judge(fixes, {}, NoisePolicy(stationary_distance_m=10, stationary_max_gap_seconds=30))
    # Then the fixes at 0, 30 and 60 s are kept, the rest counted as thinned
    assert [(position.time_ms - START_MS) // 1000 for position in judgement.kept] == [0, 30, 60]
    assert judgement.thinned == {"stationary": 10}
    # And the latest is the newest fix, the last kept the one of 60 s
    assert judgement.states["17"].latest == fixes[-1]
    assert judgement.states["17"].kept == fixes[-1]


def test_a_moving_bus_is_never_thinned_by_distance() -> None:
    fixes = [fix(seconds, f"38.{7000 + seconds:04d}") for seconds in range(0, 30, 5)]  # 555 m every 5 s
    judgement = judge(fixes, {}, NoisePolicy(stationary_distance_m=10))
    assert len(judgement.kept) == len(fixes)
    assert judgement.thinned == {}


def test_time_thinning_keeps_at_most_one_fix_per_interval() -> None:
    fixes = [fix(seconds, f"38.{7000 + seconds:04d}") for seconds in range(0, 60, 5)]
    judgement = judge(fixes, {}, NoisePolicy(min_interval_seconds=20))
    assert [(position.time_ms - START_MS) // 1000 for position in judgement.kept] == [0, 20, 40]
    assert judgement.thinned == {"interval": 9}


def test_thinning_measures_from_the_last_kept_fix_of_an_earlier_batch() -> None:
    # Given a bus whose last kept fix was 25 s before its newest (thinned) one
    previous = {"17": BusState(latest=fix(25), kept=fix(0))}
    policy = NoisePolicy(stationary_distance_m=10, stationary_max_gap_seconds=30)
    # When a fix comes 30 s after the last kept one
    judgement = judge([fix(30)], previous, policy)
    # Then it is kept: the gap is counted from the last kept fix, not from the latest
    assert judgement.kept == [fix(30)]
