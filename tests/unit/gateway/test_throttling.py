"""Stage throttling: bursts up to the burst limit, then the average rate."""

import pytest

from busgps.local.gateway import throttling
from busgps.local.gateway.throttling import TokenBucket


def test_a_burst_passes_then_the_rate_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a bucket of 10 requests a second with bursts of 3, on a clock that only moves when told
    now = [100.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: now[0])
    bucket = TokenBucket(rate=10, burst=3)
    # When 4 requests come at once
    burst = [bucket.try_acquire() for _ in range(4)]
    # Then 3 pass and the 4th is refused
    assert burst == [True, True, True, False]
    # And 0.15 s later (one and a half requests' worth) one more passes, but not two
    now[0] += 0.15
    assert [bucket.try_acquire(), bucket.try_acquire()] == [True, False]
    # And a long pause refills only up to the burst
    now[0] += 60
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (5, 0)])
def test_a_throttle_needs_a_rate_and_a_burst(rate: float, burst: int) -> None:
    # Given a rate that is not positive or a burst below 1
    # When a bucket is made of it
    # Then it is refused
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate=rate, burst=burst)
