"""Faults AWS really produces, injected into the local stack where AWS produces them (`--faults SPEC`).

The emulator process injects the services' own faults into the answers it gives (DynamoDB throttling
and unprocessed items, Kinesis throttling), and the event source mapping injects Lambda's (an execution
environment killed or timed out in the middle of an invocation, a batch delivered again): the handlers
run unchanged and meet them as they would meet them on AWS.

A spec is a comma-separated list of `kind=rate` (a probability from 0 to 1), `seed=N` and `all` (every
kind at the rate of `ALL_RATES`); later items win, so `all,consumer-timeout=0` is everything but
timeouts. Each place that injects draws from a random generator of its own, seeded by the spec's seed
and its own name, so a run's faults are repeatable as far as the order of calls is.
"""

import argparse
import json
import logging
import os
import random
import signal
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from busgps.local.execution_environment import Interruption

logger = logging.getLogger(__name__)

# What each kind injects, and per what its rate is counted.
KINDS: dict[str, str] = {
    "dynamodb-throttle": "a PutItem or BatchWriteItem call refused with "
    "ProvisionedThroughputExceededException",
    "dynamodb-unprocessed": "a BatchWriteItem call that leaves part of its items in UnprocessedItems",
    "kinesis-throttle": "a PutRecords entry (counted in FailedRecordCount, not stored) or a PutRecord call "
    "refused with ProvisionedThroughputExceededException",
    "consumer-kill": "a consumer invocation whose execution environment is killed (SIGKILL) while it runs",
    "consumer-timeout": "a consumer invocation that overruns lambda_timeout_seconds (its environment hangs "
    "and is ended)",
    "redelivery": "a batch the consumer processed, invoked again by the event source mapping",
}
EMULATOR_KINDS = ("dynamodb-throttle", "dynamodb-unprocessed", "kinesis-throttle")
MAPPING_KINDS = ("consumer-kill", "consumer-timeout", "redelivery")
# `all`: every kind often enough to happen many times in a minute of a busy stack, rarely enough that
# the retries AWS's clients and Lambda make get through.
ALL_RATES: dict[str, float] = {
    "dynamodb-throttle": 0.05,
    "dynamodb-unprocessed": 0.05,
    "kinesis-throttle": 0.02,
    "consumer-kill": 0.01,
    "consumer-timeout": 0.005,
    "redelivery": 0.02,
}
FAULTS_FILE_NAME = "faults.json"


class FaultSpecError(ValueError):
    """A spec that cannot be read; the message says which item and what is allowed."""


@dataclass(frozen=True)
class FaultSpec:
    """Which faults, how often, from which seed."""

    rates: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> "FaultSpec":
        rates: dict[str, float] = {}
        seed = 0
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            if item == "all":
                rates.update(ALL_RATES)
                continue
            name, equals, value = item.partition("=")
            name = name.strip()
            if not equals:
                raise FaultSpecError(f"{item!r}: write kind=rate, seed=N or all")
            if name == "seed":
                try:
                    seed = int(value)
                except ValueError:
                    raise FaultSpecError(f"{item!r}: the seed is an integer") from None
                continue
            if name not in KINDS:
                raise FaultSpecError(f"{item!r}: unknown fault; the kinds are {', '.join(KINDS)}")
            try:
                rate = float(value)
            except ValueError:
                rate = -1.0
            if not 0 <= rate <= 1:
                raise FaultSpecError(f"{item!r}: the rate is a probability from 0 to 1")
            rates[name] = rate
        return cls({kind: rate for kind, rate in rates.items() if rate > 0}, seed)

    def rate(self, kind: str) -> float:
        return self.rates.get(kind, 0.0)

    def injects_any(self, kinds: tuple[str, ...]) -> bool:
        return any(self.rate(kind) > 0 for kind in kinds)

    def __str__(self) -> str:
        return ",".join(
            [*(f"{kind}={self.rates[kind]:g}" for kind in KINDS if kind in self.rates), f"seed={self.seed}"]
        )


class FaultDice:
    """Seeded draws for one place that injects faults; safe to share between threads."""

    def __init__(self, spec: FaultSpec, place: str) -> None:
        self.spec = spec
        self._random = random.Random(f"{spec.seed}:{place}")
        self._lock = threading.Lock()

    def roll(self, kind: str) -> bool:
        """Whether to inject `kind` this time, at its rate."""
        rate = self.spec.rate(kind)
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._random.uniform(low, high)

    def sample(self, count: int, size: int) -> list[int]:
        """`size` distinct indexes of `count`, in order."""
        with self._lock:
            return sorted(self._random.sample(range(count), size))


class FaultCounts:
    """How many faults of each kind were injected; safe to share between threads."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self._counts[kind] += count

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


# Where in an invocation a kill or a hang lands: a fraction of a typical invocation's duration, so
# that it meets the function in the middle of its batch, some writes done and some not.
_INTERRUPT_FROM, _INTERRUPT_TO = 0.1, 0.9
# Until an invocation has been timed, one is taken to last this long; then a moving average.
_FIRST_TYPICAL_SECONDS = 0.2
_TYPICAL_WEIGHT = 0.2
_INTERRUPTIONS = {"consumer-kill": signal.SIGKILL, "consumer-timeout": signal.SIGSTOP}


class InvocationFaults:
    """The faults the event source mapping injects into one shard's invocations.

    A kill or a timeout is drawn per invocation and lands only while the invocation runs: one drawn for
    an invocation that answered first is kept for the next, so the rate counts interrupted invocations.
    """

    def __init__(self, spec: FaultSpec, place: str, counts: FaultCounts) -> None:
        self._dice = FaultDice(spec, place)
        self._place = place
        self._counts = counts
        self._pending: str | None = None
        self._typical_seconds = _FIRST_TYPICAL_SECONDS

    def interruption(self) -> tuple[str, Interruption] | None:
        """The kind and the Interruption to inject into the next invocation, if any."""
        if self._pending is None:
            for kind in _INTERRUPTIONS:
                if self._dice.roll(kind):
                    self._pending = kind
                    break
        if self._pending is None:
            return None
        after = self._typical_seconds * self._dice.uniform(_INTERRUPT_FROM, _INTERRUPT_TO)
        return self._pending, Interruption(_INTERRUPTIONS[self._pending], after)

    def landed(self, kind: str) -> None:
        logger.warning("injected %s into an invocation on %s", kind, self._place)
        self._counts.add(kind)
        self._pending = None

    def timed(self, seconds: float) -> None:
        """How long an invocation that ran to its end took."""
        self._typical_seconds += _TYPICAL_WEIGHT * (seconds - self._typical_seconds)

    def redeliver(self) -> bool:
        """Whether to invoke the batch just processed once more."""
        if not self._dice.roll("redelivery"):
            return False
        logger.warning("injected redelivery of a batch on %s", self._place)
        self._counts.add("redelivery")
        return True


def fault_report(spec: FaultSpec, *counts: Mapping[str, int]) -> dict[str, Any]:
    """The content of the stack's faults.json: the spec, and the faults injected so far by kind."""
    injected = dict.fromkeys(spec.rates, 0)
    for part in counts:
        for kind, count in part.items():
            injected[kind] = injected.get(kind, 0) + count
    return {
        "spec": str(spec),
        "seed": spec.seed,
        "rates": dict(spec.rates),
        "injected": {kind: injected[kind] for kind in KINDS if kind in injected},
    }


def write_fault_report(path: Path, report: Mapping[str, Any]) -> None:
    """Atomically: a reader never sees half a file."""
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


# How often the stack brings its faults file up to date.
REPORT_INTERVAL_SECONDS = 1.0


class FaultReporter:
    """Keeps the stack's faults.json up to date while it runs, and writes it a last time at the end."""

    def __init__(self, spec: FaultSpec, path: Path, *sources: Callable[[], Mapping[str, int]]) -> None:
        self._spec = spec
        self._path = path
        self._sources = sources
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-report", daemon=True)

    def start(self) -> None:
        self._write()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._write()

    def _run(self) -> None:
        while not self._stop.wait(REPORT_INTERVAL_SECONDS):
            self._write()

    def _write(self) -> None:
        counts = []
        for source in self._sources:
            try:
                counts.append(source())
            except Exception as error:  # a part that is stopping: keep the last report
                logger.debug("fault counts unavailable: %s", error)
                return
        write_fault_report(self._path, fault_report(self._spec, *counts))


def fault_spec_argument(text: str) -> FaultSpec:
    """A fault spec given on a command line: argparse's type, its error the spec's own message."""
    try:
        return FaultSpec.parse(text)
    except FaultSpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
