"""Stage throttling as API Gateway applies it: a token bucket over all requests of the stage."""

import threading
import time


class TokenBucket:
    """`rate` requests a second on average, bursts of up to `burst`; refused requests cost nothing."""

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a throttle needs a positive rate and a burst of at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._refilled_at = time.monotonic()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take one request's token if there is one."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
            self._refilled_at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
