"""Bounded exponential backoff with full jitter, for throttled and partly processed AWS calls."""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

THROTTLING_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@dataclass(frozen=True)
class Backoff:
    max_attempts: int = 6
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def attempts(self) -> Iterator[int]:
        """Attempt numbers 0, 1, ... up to the bound, sleeping before each retry."""
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt)))
            yield attempt
