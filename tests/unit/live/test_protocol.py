"""The WebSocket protocol is written once, in its schema; the functions, the map's settings and
Terraform follow it."""

import re
from pathlib import Path

import pytest

from busgps.handlers.websocket import MESSAGE_HANDLERS
from busgps.local.config import load_environment_settings
from busgps.local.front import map_config
from busgps.models.websocket import (
    CONNECT,
    DEFAULT,
    DISCONNECT,
    message_problem,
    message_routes,
    route_keys,
    selected_route,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_every_route_a_client_selects_has_a_handler_and_no_handler_has_no_route() -> None:
    # Given the schema's message routes and the WebSocket function's handlers
    # Then they are the same routes, and API Gateway's own routes complete the API
    assert sorted(MESSAGE_HANDLERS) == sorted(message_routes())
    assert sorted(route_keys()) == sorted([CONNECT, DISCONNECT, DEFAULT, *message_routes()])


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "subscribe"}', "subscribe"),
        ('{"action": "ping"}', "ping"),
        ('{"action": "unsubscribe"}', DEFAULT),
        ('{"no": "action"}', DEFAULT),
        ("[1, 2]", DEFAULT),
        ("not json", DEFAULT),
        (None, DEFAULT),
    ],
)
def test_the_route_is_the_action_when_a_route_has_that_key_else_default(body: str | None, route: str) -> None:
    # Given a client's message; when API Gateway's route selection is applied; then this route is chosen
    assert selected_route(body) == route


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"action": "subscribe"}, None),
        ({"action": "subscribe", "bbox": [-9.2, 38.6, -9.0, 38.8]}, None),
        ({"action": "subscribe", "busIds": ["17", "bus-42"]}, None),
        ({"action": "subscribe", "bbox": [-9.2, 38.6, -9.0]}, "bbox: [-9.2, 38.6, -9.0] is too short"),
        (
            {"action": "subscribe", "bbox": [-9.2, 98.6, -9.0, 38.8]},
            "bbox.1: 98.6 is greater than the maximum of 90",
        ),
        ({"action": "subscribe", "busIds": []}, "busIds: [] should be non-empty"),
        ({"action": "subscribe", "busIds": ["no spaces"]}, "busIds.0: 'no spaces' does not match"),
        (
            {"action": "subscribe", "bbox": [0, 0, 1, 1], "busIds": ["17"]},
            "message: send bbox or busIds, not both",
        ),
        (
            {"action": "subscribe", "filter": "x"},
            "message: Additional properties are not allowed ('filter' was unexpected)",
        ),
    ],
)
def test_a_subscribe_message_is_checked_against_the_schema_saying_what_to_fix(
    message: dict[str, object], problem: str | None
) -> None:
    # Given a subscribe message; when it is checked; then its problem (if any) names where and what
    found = message_problem("subscribe", message)
    assert (found or "")[: len(problem or "")] == (problem or "")
    assert (found is None) is (problem is None)


def test_the_map_settings_have_the_keys_terraform_writes_into_config_json() -> None:
    # Given the map's config.json as the local stack serves it
    settings = load_environment_settings(PROJECT_ROOT / "terraform" / "environments" / "local.tfvars")
    local_keys = set(map_config(settings, "http://127.0.0.1:8000", "ws://127.0.0.1:8001/local"))
    # When the keys of the S3 module's config object are read
    variables = (PROJECT_ROOT / "terraform" / "modules" / "s3" / "variables.tf").read_text(encoding="utf-8")
    declared = re.search(r"map_config.*?object\(\{(?P<fields>.*?)\}\)", variables, re.DOTALL)
    assert declared is not None
    deployed_keys = set(re.findall(r"^\s*(\w+)\s*=", declared["fields"], re.MULTILINE))
    # Then the page gets the same settings deployed and locally
    assert local_keys == deployed_keys


def test_the_readme_documents_exactly_the_schema_s_routes() -> None:
    # Given the README's section on the WebSocket protocol
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Live positions over WebSocket", 1)[1].split("\n## ", 1)[0]
    # When the first column of its route table is read
    documented = re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)
    # Then it names every route of the schema, once
    assert sorted(documented) == sorted(route_keys())


def test_the_protocol_file_is_a_valid_json_schema() -> None:
    # Given the protocol's schema; when it is checked against JSON Schema's own; then it is valid
    from jsonschema import Draft202012Validator

    from busgps.models.websocket import protocol_schema

    Draft202012Validator.check_schema(protocol_schema())
