"""Request validation as API Gateway's request validators do it for the API's routes: the required
parameters are present (none of the REST API's routes takes a body)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from busgps.local.gateway.document import Operation

DEFAULT_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ValidationFailure:
    """A refused request: the gateway response type, its message, and the validation error string."""

    response_type: str
    message: str
    details: str


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header; API Gateway takes a missing one as application/json."""
    if not content_type:
        return DEFAULT_CONTENT_TYPE
    return content_type.split(";", 1)[0].strip().lower()


def _error_string(messages: list[str]) -> str:
    # Kept free of characters that would break the JSON of a gateway response template it is put in.
    return json.dumps("[" + ", ".join(messages) + "]", ensure_ascii=False)[1:-1]


def check_parameters(
    operation: Operation,
    path_parameters: Mapping[str, str],
    query_parameters: Mapping[str, str],
    headers: Mapping[str, str],
) -> ValidationFailure | None:
    """A failure naming every required parameter that is missing, if the validator asks for it."""
    if not operation.validator.get("validateRequestParameters"):
        return None
    lowered_headers = {name.lower() for name in headers}
    present = {
        "path": set(path_parameters),
        "query": set(query_parameters),
        "header": lowered_headers,
    }
    missing = [
        parameter["name"]
        for parameter in operation.parameters
        if parameter.get("required")
        and parameter["in"] in present
        and (parameter["name"].lower() if parameter["in"] == "header" else parameter["name"])
        not in present[parameter["in"]]
    ]
    if not missing:
        return None
    message = f"Missing required request parameters: [{', '.join(missing)}]"
    return ValidationFailure("BAD_REQUEST_PARAMETERS", message, _error_string([message]))
