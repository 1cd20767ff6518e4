"""A client of the busgps API: tokens, posting positions and reading them back.

from busgps.client import BusGpsClient, CognitoTokenSource, Position, cognito_client, resolve_target

target = resolve_target({})  # the local stack's .local/stack.json, or BUSGPS_* variables
tokens = CognitoTokenSource(
    cognito_client(target.required("region"), target.cognito_endpoint),
    target.required("client_id"), target.required("username"), target.required("password"),
)
client = BusGpsClient(target, tokens)
client.post_position(Position("17", 38.7223, -9.1393))
client.latest("17")
"""

from busgps.client.api import ApiError, BusGpsClient, ConnectionFailed
from busgps.client.auth import AuthError, CognitoTokenSource, IdToken, cognito_client, fetch_id_token
from busgps.client.models import (
    BatchResult,
    BusPage,
    BusPosition,
    FailedEntry,
    HistoryPage,
    Position,
    PostResult,
)
from busgps.client.target import StackTarget, TargetError, resolve_target

__all__ = [
    "ApiError",
    "AuthError",
    "BatchResult",
    "BusGpsClient",
    "BusPage",
    "BusPosition",
    "CognitoTokenSource",
    "ConnectionFailed",
    "FailedEntry",
    "HistoryPage",
    "IdToken",
    "Position",
    "PostResult",
    "StackTarget",
    "TargetError",
    "cognito_client",
    "fetch_id_token",
    "resolve_target",
]
