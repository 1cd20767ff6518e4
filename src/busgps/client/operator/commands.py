"""The operator's subcommands of `busgps`: rejects, failures, redrive; and why a bus has no position."""

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from busgps.client.commands import parse_time
from busgps.client.models import iso_utc
from busgps.client.operator import failures as failure_queue
from busgps.client.operator import redrive as redriving
from busgps.client.operator import rejects as invalid_records
from busgps.client.operator.target import OperatorTarget, resolve_operator_target
from busgps.client.output import print_json
from busgps.client.target import TargetError

Command = Callable[[argparse.Namespace], int]
_TARGET_FIELDS = (
    "region",
    "invalid_records_queue_url",
    "consumer_failure_queue_url",
    "consumer_function_name",
    "stack_file",
    "terraform_outputs",
)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def register(subcommands: "argparse._SubParsersAction[Any]") -> None:
    """Add the operator's subcommands; each sets `run` to a function of the parsed arguments."""
    target = operator_stack_options()

    rejects = subcommands.add_parser(
        "rejects",
        parents=[target],
        help="the records the consumer refused, each with its reason (the invalid-records queue)",
        description="List what the invalid-records queue holds, oldest first, each with its reason. "
        "The queue keeps every message: reading it takes nothing away from other operators.",
    )
    rejects.add_argument(
        "--since", type=parse_since, help="only records that arrived since: 30m, 2h, 1d, or a time"
    )
    rejects.add_argument("--bus", help="only the records of this bus")
    rejects.add_argument("--json", action="store_true", help="as JSON")
    rejects.add_argument(
        "--limit", type=_positive_int, default=invalid_records.DEFAULT_LIMIT, help="read at most this many"
    )
    rejects.set_defaults(run=_guarded(_run_rejects))

    failures = subcommands.add_parser(
        "failures",
        parents=[target],
        help="the batches Lambda gave up on (the consumer-failure queue)",
        description="List the consumer-failure queue's on-failure records, oldest first: shard, "
        "sequence range, why and when Lambda gave up. The queue keeps them; `busgps redrive` feeds "
        "them through the consumer again.",
    )
    failures.add_argument("--json", action="store_true", help="as JSON")
    failures.add_argument(
        "--limit", type=_positive_int, default=failure_queue.DEFAULT_LIMIT, help="read at most this many"
    )
    failures.set_defaults(run=_guarded(_run_failures))

    redrive = subcommands.add_parser(
        "redrive",
        parents=[target],
        help="feed the batches Lambda gave up on through the consumer again",
        description="For each entry of the consumer-failure queue, read its records back from the "
        "stream (while its retention keeps them) and invoke the consumer with them, as the event "
        "source mapping does. The consumer is idempotent, so a batch redriven twice is stored once. "
        "An entry is removed from the queue only when all of its records were processed.",
    )
    redrive.add_argument("--json", action="store_true", help="as JSON")
    redrive.add_argument(
        "--attempts",
        type=_positive_int,
        default=redriving.DEFAULT_ATTEMPTS,
        help="invocations per batch before it is left in the queue",
    )
    redrive.add_argument(
        "--limit", type=_positive_int, default=failure_queue.DEFAULT_LIMIT, help="redrive at most this many"
    )
    redrive.set_defaults(run=_guarded(_run_redrive))


def operator_stack_options() -> argparse.ArgumentParser:
    """The options that name an environment's queues and consumer (absent ones leave no attribute)."""
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group(
        "stack options",
        "default: the local stack's .local/stack.json; each also reads BUSGPS_<NAME> from the environment",
    )
    group.add_argument(
        "--terraform-outputs",
        type=Path,
        help="`terraform output -json` of a deployed environment (BUSGPS_TERRAFORM_OUTPUTS)",
    )
    group.add_argument("--invalid-records-queue-url", help="SQS queue of the records the consumer refused")
    group.add_argument("--consumer-failure-queue-url", help="SQS queue of the batches Lambda gave up on")
    group.add_argument(
        "--consumer-function-name", help="invoke this function instead of the one each failure names"
    )
    group.add_argument("--region", help="AWS region (default: the queue URL's)")
    group.add_argument("--stack-file", type=Path, help="read the stack from this file (BUSGPS_STACK_FILE)")
    return options


def parse_since(text: str) -> datetime:
    """A duration back from now (`90s`, `30m`, `2h`, `1d`) or a time (ISO-8601 or epoch)."""
    match = _DURATION.match(text.strip())
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        return parse_time(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30m, 2h or 1d, or a time: {text!r}"
        ) from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _guarded(command: Command) -> Command:
    """AWS's refusals and missing settings as one clear line on stderr and exit code 2."""

    def run(arguments: argparse.Namespace) -> int:
        try:
            return command(arguments)
        except TargetError as error:
            print(f"busgps: {error}", file=sys.stderr)
            return 2
        except (ClientError, BotoCoreError) as error:
            print(f"busgps: {error}", file=sys.stderr)
            return 2

    return run


def _target(arguments: argparse.Namespace) -> OperatorTarget:
    given = {name: getattr(arguments, name, None) for name in _TARGET_FIELDS}
    return resolve_operator_target(given, os.environ)


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _run_rejects(arguments: argparse.Namespace) -> int:
    target = _target(arguments)
    queue_url = target.required("invalid_records_queue_url")
    found = invalid_records.list_rejects(
        target.sqs(), queue_url, since=arguments.since, bus_id=arguments.bus, limit=arguments.limit
    )
    if arguments.json:
        print_json({"rejects": [reject.to_json() for reject in found]})
        return 0
    scope = (f" of bus {arguments.bus}" if arguments.bus else "") + (
        " since " + iso_utc(arguments.since) if arguments.since else ""
    )
    if not found:
        print(f"no refused records{scope} in {_queue_name(queue_url)}")
        return 0
    count = f"{len(found)} refused record" + ("" if len(found) == 1 else "s")
    print(f"{count}{scope} in {_queue_name(queue_url)}, oldest first:")
    for reject in found:
        print(reject.line())
    return 0


def _run_failures(arguments: argparse.Namespace) -> int:
    target = _target(arguments)
    queue_url = target.required("consumer_failure_queue_url")
    batches, others = failure_queue.list_failures(target.sqs(), queue_url, arguments.limit)
    if arguments.json:
        print_json({"failures": [batch.to_json() for batch in batches], "otherMessages": others})
        return 0
    if not batches:
        print(f"no discarded batches in {_queue_name(queue_url)}")
    else:
        count = f"{len(batches)} discarded batch" + ("" if len(batches) == 1 else "es")
        print(f"{count} in {_queue_name(queue_url)}, oldest first (`busgps redrive` retries them):")
        for batch in batches:
            print(batch.line())
    if others:
        print(f"and {others} messages that are not on-failure records of a Kinesis source")
    return 0


def _run_redrive(arguments: argparse.Namespace) -> int:
    target = _target(arguments)
    queue_url = target.required("consumer_failure_queue_url")
    redriver = redriving.Redriver(
        kinesis=target.kinesis(),
        lambda_client=target.lambda_client(),
        # The identity that invokes, as Lambda names its execution role for the event source mapping.
        invoke_identity_arn=target.sts().get_caller_identity()["Arn"],
        function=target.consumer_function_name,
        attempts=arguments.attempts,
    )
    report = redriving.redrive_failure_queue(redriver, target.sqs(), queue_url, arguments.limit)
    left = [outcome for outcome in report.outcomes if not outcome.removed]
    if arguments.json:
        print_json(
            {
                "redriven": [outcome.to_json() for outcome in report.outcomes],
                "stored": report.stored,
                "remaining": len(left),
                "otherMessages": report.others,
            }
        )
    elif not report.outcomes:
        print(f"nothing to redrive: {_queue_name(queue_url)} holds no discarded batch")
    else:
        for outcome in report.outcomes:
            print(outcome.line())
        stored = "an unknown number of" if report.stored is None else str(report.stored)
        done = len(report.outcomes) - len(left)
        print(f"redrove {done} of {len(report.outcomes)} batches: {stored} positions stored")
    return 1 if left else 0
