"""`make soak` at a tenth of its size: 10,000 fixes under every fault kind, each kept exactly once.

The same code as `make soak` (busgps.soak), with a smaller fleet, faults of Lambda's kinds often
enough to happen in a hundred-odd invocations, and a short fuzzing of the running stack.
"""

from pathlib import Path

import pytest

from busgps.local.faults import KINDS, FaultSpec
from busgps.soak.plan import SoakPlan
from busgps.soak.run import SoakOptions, run_soak

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)
def test_ten_thousand_fixes_under_every_fault_kind_are_each_kept_once() -> None:
    # Given a soak of 100 buses of 100 fixes from 4 clients (2 % duplicates, 2 % late), on a stack of
    # its own injecting every fault kind
    options = SoakOptions(
        plan=SoakPlan(buses=100, fixes_per_bus=100, clients=4),
        faults=FaultSpec.parse("all,consumer-kill=0.05,consumer-timeout=0.03,redelivery=0.05,seed=7"),
        fuzz_examples=5,
        repository=REPOSITORY,
    )
    assert set(options.faults.rates) == set(KINDS)

    # When it runs to its end
    result = run_soak(options, say=lambda line: None)

    # Then every check passed: every fix in history once (by bus and in the fleet window), every latest
    # its bus's newest fix, nothing good in the queues, every fault kind injected, nothing the fuzzer
    # sent answered with a server error or against the document
    failed = [check for check in result.checks(options.faults) if not check.passed]
    assert failed == []
    assert result.drain.history.stored == result.plan.distinct == 10_000
    assert result.tally.accepted == 10_000 + result.fleet.duplicates
