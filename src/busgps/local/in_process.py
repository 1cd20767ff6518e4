"""The functions the local gateways run in this process take turns, one invocation at a time.

Powertools' resolvers keep the invocation's event and context on a class every resolver shares
(`BaseRouter.current_event`). Lambda runs one invocation at a time in an execution environment, so
that is safe there; in one process, two invocations that overlap read each other's event. When they
did (the gateways call functions from several threads), a device's accepted position was written in
place of another's, which was lost. So the REST API's, the devices' HTTP API's and the WebSocket
API's functions share one turn here, as functions in one execution environment would.
"""

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

Answer = TypeVar("Answer")

_TURN = threading.Lock()


async def invoke_in_turn(
    handler: Callable[[dict[str, Any], Any], Answer], event: dict[str, Any], context: Any
) -> Answer:
    """`handler(event, context)` in a worker thread, once no other in-process invocation runs."""
    return await run_in_threadpool(_in_turn, handler, event, context)


def _in_turn(handler: Callable[[dict[str, Any], Any], Answer], event: dict[str, Any], context: Any) -> Answer:
    with _TURN:
        return handler(event, context)
