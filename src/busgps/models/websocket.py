"""The WebSocket protocol, read from its one definition: `websocket.schema.json` beside this module.

Terraform reads the same file for the route selection expression and the route keys; the local
stack serves them; the functions check each client message against its definition here.
"""

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

SCHEMA_FILE = "websocket.schema.json"
# Routes that API Gateway itself defines: they carry no message of the client's.
CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"


@cache
def protocol_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files("busgps.models").joinpath(SCHEMA_FILE).read_text())
    return schema


def route_selection_expression() -> str:
    return str(protocol_schema()["x-route-selection-expression"])


def route_keys() -> list[str]:
    """Every route key of the API, as deployed and as served locally."""
    return list(protocol_schema()["x-routes"])


def map_fields() -> list[str]:
    """The fields the operations map subscribes to: those it shows (a push is billed by its size)."""
    return list(protocol_schema()["x-map-fields"])


def always_sent_fields() -> frozenset[str]:
    """The fields of every bus a message carries, whatever fields a subscription names."""
    return frozenset(protocol_schema()["$defs"]["bus"]["required"])


def message_routes() -> list[str]:
    """The routes a client selects with its message's `action`."""
    return list(protocol_schema()["x-client-messages"])


def selected_route(body: str | None) -> str:
    """The route API Gateway selects for a message: its `action` when a route has that key, else $default."""
    try:
        message = json.loads(body or "")
    except ValueError:
        return DEFAULT
    action = message.get("action") if isinstance(message, dict) else None
    return action if isinstance(action, str) and action in message_routes() else DEFAULT


def message_problem(route_key: str, message: Any) -> str | None:
    """What is wrong with a client message for `route_key`, as one line; None when it is valid."""
    reference = protocol_schema()["x-client-messages"][route_key]
    validator = _message_validator(reference)
    error = best_match(validator.iter_errors(message))
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path) or "message"
    # A `not` says nothing useful by itself; its subschema's description says what is wrong.
    if error.validator == "not" and isinstance(error.validator_value, dict):
        return f"{where}: {error.validator_value.get('description', error.message)}"
    return f"{where}: {error.message}"


@cache
def _message_validator(reference: str) -> Draft202012Validator:
    schema = protocol_schema()
    return Draft202012Validator({"$ref": reference, "$defs": schema["$defs"]})
