"""Request validation as API Gateway's request validators do it, against the document's models.

Parameters: only that required ones are present. Body: the model of the request's content type,
as JSON Schema draft 4 (API Gateway's model language).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from busgps.local.gateway.document import ApiDocument, Operation

_DOCUMENT_URI = "urn:busgps:api"
_MAX_REPORTED_ERRORS = 10
_MAX_ERROR_CHARS = 300
_MAX_SHOWN_VALUE_CHARS = 80
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


class BodyValidator:
    """Validates bodies against the models of one document (draft 4, `$ref`s into the document)."""

    def __init__(self, document: ApiDocument) -> None:
        self._document = document
        self._registry: Registry[Any] = Registry().with_resource(
            _DOCUMENT_URI, Resource.from_contents(dict(document.document), default_specification=DRAFT4)
        )
        self._validators: dict[tuple[str, str, str], Any] = {}

    def _validator(self, operation: Operation, content_type: str | None) -> Any:
        """The validator of the model for this content type (None if there is none), made once."""
        key = (operation.method, operation.resource_path, media_type(content_type))
        if key not in self._validators:
            content = (operation.request_body or {}).get("content") or {}
            schema = content.get(key[2], {}).get("schema")
            if isinstance(schema, Mapping) and "$ref" in schema:
                schema = {"$ref": _DOCUMENT_URI + str(schema["$ref"])}
            self._validators[key] = (
                None if schema is None else jsonschema.Draft4Validator(schema, registry=self._registry)
            )
        return self._validators[key]

    def check(self, operation: Operation, content_type: str | None, body: str) -> ValidationFailure | None:
        """A failure listing what is wrong with `body`, if the validator asks for body validation."""
        if not operation.validator.get("validateRequestBody"):
            return None
        validator = self._validator(operation, content_type)
        if validator is None:
            return None
        try:
            instance = json.loads(body) if body.strip() else None
        except json.JSONDecodeError as error:
            return ValidationFailure(
                "BAD_REQUEST_BODY", "Invalid request body", _error_string([f"not JSON: {error}"])
            )
        errors = sorted(
            validator.iter_errors(instance), key=lambda error: list(map(str, error.absolute_path))
        )
        if not errors:
            return None
        messages = [_describe(error) for error in errors[:_MAX_REPORTED_ERRORS]]
        if len(errors) > _MAX_REPORTED_ERRORS:
            messages.append(f"and {len(errors) - _MAX_REPORTED_ERRORS} more")
        return ValidationFailure("BAD_REQUEST_BODY", "Invalid request body", _error_string(messages))


def _location(error: jsonschema.ValidationError) -> str:
    location = "body"
    for part in error.absolute_path:
        location += f"[{part}]" if isinstance(part, int) else f".{part}"
    return location


def _summary(instance: Any) -> str:
    if isinstance(instance, list):
        return f"an array of {len(instance)} items"
    if isinstance(instance, str):
        return f"a string of {len(instance)} characters"
    return f"a {type(instance).__name__}"


def _describe(error: jsonschema.ValidationError) -> str:
    message = error.message
    shown = repr(error.instance)
    # jsonschema starts its messages with the value; a long one is summarised, not quoted.
    if len(shown) > _MAX_SHOWN_VALUE_CHARS and message.startswith(shown):
        message = _summary(error.instance) + message[len(shown) :]
    if len(message) > _MAX_ERROR_CHARS:
        message = message[:_MAX_ERROR_CHARS] + "..."
    return f"{_location(error)}: {message}"
