"""The soak's devices: concurrent clients posting their schedules through `POST /v1/positions` of the
devices' HTTP API (the stack file's `ingest_url`), each with the id token of its own login.

Each client does what a device must: it resends the entries the answer lists as failed (and only
those), and a whole batch the API throttled (429) or could not take (5xx, no connection), after an
exponential backoff with jitter. A refusal of the request itself (another 4xx) is a fault of the
soak or of the API: it is counted, never resent.
"""

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed
from busgps.client.models import Position

FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 2.0
# A device gives an entry up after this many tries; the soak then counts it as not accepted.
MAX_TRIES = 12


@dataclass
class SendTally:
    """What the clients sent and what the API answered."""

    accepted: int = 0
    # Entries sent again after the answer listed them as failed (the stream refused them).
    resent: int = 0
    # Whole batches sent again after a 429, a 5xx or a lost connection.
    batch_retries: int = 0
    # Entries the API never accepted (given up, or refused as a bad request), with the reason.
    unaccepted: list[tuple[Position, str]] = field(default_factory=list)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, accepted: int = 0, resent: int = 0, batch_retries: int = 0) -> None:
        with self._lock:
            self.accepted += accepted
            self.resent += resent
            self.batch_retries += batch_retries

    def give_up(self, entries: Sequence[Position], reason: str) -> None:
        with self._lock:
            self.unaccepted.extend((entry, reason) for entry in entries)

    @property
    def fixes_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


def _backoff(tries: int, jitter: random.Random) -> float:
    return jitter.uniform(0, min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**tries))


def post_until_accepted(
    client: BusGpsClient, batch: Sequence[Position], tally: SendTally, jitter: random.Random
) -> None:
    """Post `batch`, then resend what was not accepted, until all is or a device would give up."""
    pending = list(batch)
    for tries in range(MAX_TRIES):
        if tries:
            time.sleep(_backoff(tries, jitter))
        try:
            result = client.post_batch(pending)
        except ApiError as error:
            if error.status_code == 429 or error.status_code >= 500:
                tally.add(batch_retries=1)
                continue
            tally.give_up(pending, f"{error.status_code}: {error.message}")
            return
        except ConnectionFailed:
            tally.add(batch_retries=1)
            continue
        failed = sorted({entry.index for entry in result.failed})
        tally.add(accepted=len(pending) - len(failed), resent=len(failed))
        pending = [pending[index] for index in failed]
        if not pending:
            return
    tally.give_up(pending, f"still refused after {MAX_TRIES} tries")


def send_all(
    clients: Sequence[BusGpsClient],
    schedules: Sequence[Sequence[Position]],
    batch_size: int,
    progress: Callable[[SendTally], None] | None = None,
) -> SendTally:
    """Each client posts its schedule in batches, all at once; returns when every client is done."""
    tally = SendTally()
    errors: list[BaseException] = []

    def run(number: int) -> None:
        jitter = random.Random(number)
        schedule = schedules[number]
        try:
            for start in range(0, len(schedule), batch_size):
                post_until_accepted(clients[number], schedule[start : start + batch_size], tally, jitter)
                if progress is not None and number == 0:
                    progress(tally)
        except BaseException as error:  # reported by send_all, in the caller's thread
            errors.append(error)

    started = time.monotonic()
    threads = [
        threading.Thread(target=run, args=(number,), name=f"soak-client-{number}")
        for number in range(len(clients))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.monotonic() - started
    if errors:
        raise errors[0]
    return tally
