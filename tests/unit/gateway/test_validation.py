"""Request validation by the document's validators, as API Gateway validates a REST API's parameters."""

from dataclasses import replace

from busgps.local.gateway.document import ApiDocument
from busgps.local.gateway.validation import check_parameters

from .conftest import operation


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
