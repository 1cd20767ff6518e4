"""Why a bus has no live position, when the invalid-records queue can tell."""

import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from busgps.client.models import iso_utc
from busgps.client.operator import rejects as invalid_records
from busgps.client.operator.target import resolve_operator_target
from busgps.client.target import TargetError


def why_no_live_position(
    bus_id: str, stack: Mapping[str, Any], environ: Mapping[str, str] = os.environ, confirm_empty: bool = True
) -> tuple[str, bool]:
    """The end of "bus X has no live position", and whether a refused fix explains it.

    `stack` holds the stack options given (stack_file, api_url): the queue looked at is that stack's.
    Without AWS credentials or a known queue (a rider of a deployed stack) it says where to look.
    """
    look = f"`busgps rejects --bus {bus_id}`"
    try:
        target = resolve_operator_target(stack, environ)
        if not target.invalid_records_queue_url:
            return f" (if its fixes were refused, {look} lists them)", False
        found = invalid_records.list_rejects(
            target.sqs(), target.invalid_records_queue_url, bus_id=bus_id, confirm_empty=confirm_empty
        )
    except (TargetError, ClientError, BotoCoreError):
        return f" (if its fixes were refused, {look} lists them)", False
    if not found:
        return ", and no fix of it was refused", False
    last = found[-1]
    when = iso_utc(last.arrived_at) if last.arrived_at else "unknown time"
    return f": its fix of {when} was refused: {last.reason} (see {look})", True
