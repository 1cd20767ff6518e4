"""`python -m busgps.soak` (`make soak`): run a soak, print its table and checks; exit 1 if one failed."""

import argparse
import sys
from collections.abc import Sequence

from busgps.local.faults import fault_spec_argument
from busgps.soak.plan import SoakPlan
from busgps.soak.report import render_checks, summary_line
from busgps.soak.run import SoakOptions, run_soak


def parser() -> argparse.ArgumentParser:
    defaults, plan = SoakOptions(), SoakPlan()
    parser = argparse.ArgumentParser(
        prog="python -m busgps.soak",
        description="Soak a local stack of its own under faults, and check through the API that nothing "
        "was lost or stored twice. Run from the repository root.",
    )
    parser.add_argument("--buses", type=int, default=plan.buses, help="(default: %(default)s)")
    parser.add_argument(
        "--fixes-per-bus", type=int, default=plan.fixes_per_bus, help="(default: %(default)s)"
    )
    parser.add_argument(
        "--clients", type=int, default=plan.clients, help="concurrent clients (default: %(default)s)"
    )
    parser.add_argument(
        "--faults",
        type=fault_spec_argument,
        default=defaults.faults,
        help="what `busgps local up --faults` injects (default: %(default)s)",
    )
    parser.add_argument(
        "--lambda-timeout-seconds",
        type=int,
        default=defaults.lambda_timeout_seconds,
        help="the consumer's timeout, which each injected timeout costs (default: %(default)s)",
    )
    parser.add_argument(
        "--fuzz-examples",
        type=int,
        default=defaults.fuzz_examples,
        help="generated requests per operation and mode; 0 fuzzes nothing (default: %(default)s)",
    )
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=defaults.stall_seconds,
        help="give the drain up after this long without progress (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=plan.seed, help="of the fleet (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    options = SoakOptions(
        plan=SoakPlan(
            buses=arguments.buses,
            fixes_per_bus=arguments.fixes_per_bus,
            clients=arguments.clients,
            seed=arguments.seed,
        ),
        faults=arguments.faults,
        lambda_timeout_seconds=arguments.lambda_timeout_seconds,
        fuzz_examples=arguments.fuzz_examples,
        stall_seconds=arguments.stall_seconds,
    )
    result = run_soak(options, lambda line: print(line, flush=True))
    checks = result.checks(options.faults)
    print()
    print(result.table())
    print()
    print(render_checks(checks))
    print(summary_line(checks))
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
