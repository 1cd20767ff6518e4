"""Request validation by the document's validators and models, as API Gateway validates."""

import json
from dataclasses import replace
from typing import Any

import pytest

from busgps.local.gateway.document import ApiDocument
from busgps.local.gateway.validation import BodyValidator, check_parameters

from .conftest import STREAM_NAME, operation


def _position(**overrides: Any) -> dict[str, Any]:
    return {"busId": "bus-17", "latitude": 52.52, "longitude": 13.405, **overrides}


def _check_batch(document: ApiDocument, body: Any, content_type: str | None = "application/json") -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    return BodyValidator(document).check(operation(document, "POST", "/v1/positions"), content_type, text)


def test_a_valid_batch_passes(api_document: ApiDocument) -> None:
    # Given a batch of 500 positions, every optional field used once
    full = _position(timestamp=1764576000, speed=8.5, bearing=359.9, accuracy=4, altitude=-3.5)
    batch = {"positions": [full] + [_position(busId=f"bus-{index}") for index in range(499)]}
    # When it is validated
    # Then nothing is wrong with it
    assert _check_batch(api_document, batch) is None


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (_position(latitude=90.5), "body.positions[0].latitude: 90.5 is greater than the maximum of 90"),
        (_position(longitude=-181), "body.positions[0].longitude: -181 is less than the minimum of -180"),
        (_position(busId="bus 17"), "body.positions[0].busId: 'bus 17' does not match"),
        (_position(busId="x" * 65), "body.positions[0].busId"),
        (_position(latitude="52.5"), "body.positions[0].latitude: '52.5' is not of type 'number'"),
        (
            _position(bearing=360),
            "body.positions[0].bearing: 360 is greater than or equal to the maximum of 360",
        ),
        (_position(speed=-1), "body.positions[0].speed: -1 is less than the minimum of 0"),
        (
            _position(colour="red"),
            "body.positions[0]: Additional properties are not allowed ('colour' was unexpected)",
        ),
        ({"latitude": 1, "longitude": 2}, "body.positions[0]: 'busId' is a required property"),
    ],
)
def test_a_bad_position_is_named_by_its_index_and_field(
    api_document: ApiDocument, position: dict[str, Any], expected: str
) -> None:
    # Given a batch whose one position breaks the model
    # When it is validated
    failure = _check_batch(api_document, {"positions": [position]})
    # Then the failure is a bad request body that says which entry and field, and why
    assert failure is not None
    assert failure.response_type == "BAD_REQUEST_BODY"
    assert failure.message == "Invalid request body"
    assert expected in failure.details


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"positions": []}, "body.positions: [] should be non-empty"),
        ({"positions": [_position()] * 501}, "is too long"),
        ({}, "body: 'positions' is a required property"),
        ("", "body: None is not of type 'object'"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_batch_is_refused(api_document: ApiDocument, body: Any, expected: str) -> None:
    # Given a batch that is empty, too long, missing, or not JSON at all
    # When it is validated
    failure = _check_batch(api_document, body)
    # Then it is refused, saying why
    assert failure is not None
    assert expected in failure.details


def test_the_error_string_is_safe_inside_a_json_template(api_document: ApiDocument) -> None:
    # Given a position whose bus id holds quotes and a backslash
    failure = _check_batch(api_document, {"positions": [_position(busId="a\"b\\c'd")]})
    # When the validation error string is put between quotes in a JSON template
    assert failure is not None
    embedded = json.loads('{"details": "' + failure.details + '"}')
    # Then the JSON stays valid and keeps the message
    assert "does not match" in embedded["details"]


def test_many_errors_are_capped(api_document: ApiDocument) -> None:
    # Given a batch of 30 positions that are all bad
    failure = _check_batch(api_document, {"positions": [_position(latitude=100)] * 30})
    # When it is validated
    # Then ten are described and the rest counted
    assert failure is not None
    assert failure.details.count("latitude") == 10
    assert "and 20 more" in failure.details


def test_legacy_body_naming_another_stream_is_refused(api_document: ApiDocument) -> None:
    # Given a legacy body naming a stream other than the deployed one
    body = {"StreamName": "someone-elses-stream", "Data": "eyJhIjogMX0=", "PartitionKey": "17"}
    # When it is validated
    failure = BodyValidator(api_document).check(
        operation(api_document, "POST", "/post-gps"), "application/json; charset=utf-8", json.dumps(body)
    )
    # Then it is refused, naming the stream it must be
    assert failure is not None
    assert "StreamName" in failure.details
    assert STREAM_NAME in failure.details


def test_legacy_body_with_the_deployed_stream_passes(api_document: ApiDocument) -> None:
    # Given the legacy clients' body, as they build it
    body = {"StreamName": STREAM_NAME, "Data": "eyJsb25naXR1ZGUiOiAiMTIuMzQ1NjcifQ==", "PartitionKey": "17"}
    # When it is validated
    # Then it passes
    assert (
        BodyValidator(api_document).check(
            operation(api_document, "POST", "/post-gps"), None, json.dumps(body)
        )
        is None
    )


def test_a_body_of_another_media_type_is_left_to_the_integration(api_document: ApiDocument) -> None:
    # Given a body sent as text/plain (no model for it)
    # When it is validated
    # Then validation does not apply (the integration's passthrough rule refuses it instead)
    assert _check_batch(api_document, "whatever", content_type="text/plain") is None


def test_a_missing_required_query_parameter_is_named(api_document: ApiDocument) -> None:
    # Given a GET operation whose validator checks parameters, with a required query parameter
    fleet_window = operation(api_document, "GET", "/v1/positions")
    required = replace(fleet_window, parameters=[{"name": "busId", "in": "query", "required": True}])
    # When it is called without the parameter, and then with it
    failure = check_parameters(required, {}, {"other": "1"}, {})
    passing = check_parameters(required, {}, {"busId": "17"}, {})
    # Then the first is a bad request naming it and the second passes
    assert failure is not None
    assert failure.response_type == "BAD_REQUEST_PARAMETERS"
    assert failure.message == "Missing required request parameters: [busId]"
    assert passing is None


def test_get_gps_leaves_a_missing_bus_id_to_the_function(api_document: ApiDocument) -> None:
    # Given GET /get-gps, whose missing busId gets the old system's answer from the function
    get_gps = operation(api_document, "GET", "/get-gps")
    # When it is called without busId; Then the gateway lets it through
    assert check_parameters(get_gps, {}, {}, {}) is None


def test_get_routes_do_not_validate_bodies(api_document: ApiDocument) -> None:
    # Given a GET route (validator params-only)
    # When a body is checked
    # Then nothing is checked
    assert (
        BodyValidator(api_document).check(operation(api_document, "GET", "/v1/buses"), None, "{bad") is None
    )
