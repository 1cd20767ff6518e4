"""The client finds its stack: the local stack file by default, a deployed stack when told."""

import json
from pathlib import Path

import pytest

from busgps.client.target import TargetError, resolve_target

LOCAL_STACK = {
    "api_url": "http://127.0.0.1:4010",
    "ingest_url": "http://127.0.0.1:4011",
    "post_url": "http://127.0.0.1:4011/post-gps",
    "get_url": "http://127.0.0.1:4010/get-gps",
    "region": "us-east-1",
    "emulator_endpoint": "http://127.0.0.1:5000",
    "user_pool_id": "us-east-1_local",
    "app_client_id": "local-client",
    "username": "demo-device",
    "password": "Secret-123",
    "stream_name": "busgps-local-positions",
}


@pytest.fixture
def in_a_checkout_with_a_local_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "stack.json").write_text(json.dumps(LOCAL_STACK))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_the_local_stack_file_is_the_default():
    # Given a running local stack, and no arguments or environment
    target = resolve_target({}, environ={})

    # Then every value comes from .local/stack.json
    assert target.api_url == "http://127.0.0.1:4010"
    assert target.client_id == "local-client"
    assert target.cognito_endpoint == "http://127.0.0.1:5000"
    assert target.route("/v1/buses") == "http://127.0.0.1:4010/v1/buses"


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_arguments_override_the_local_stack_file():
    # Given a local stack, and another user on the command line
    target = resolve_target({"username": "bus-17", "password": None}, environ={})

    # Then that user is used; the rest still comes from the file
    assert (target.username, target.password) == ("bus-17", "Secret-123")


@pytest.mark.usefixtures("in_a_checkout_with_a_local_stack")
def test_a_deployed_stack_never_mixes_with_the_local_one():
    # Given a local stack, and a deployed stack's URL in the environment
    environ = {
        "BUSGPS_API_URL": "https://gps.example.com/production/",
        "BUSGPS_INGEST_URL": "https://gps.example.com/ingest/",
        "BUSGPS_REGION": "eu-west-1",
        "BUSGPS_CLIENT_ID": "deployed-client",
    }

    # When the target is resolved
    target = resolve_target({}, environ=environ)

    # Then nothing comes from the local file: no emulator endpoint, no demo user
    assert target.api_url == "https://gps.example.com/production"
    assert target.ingest_route("/v1/positions") == "https://gps.example.com/ingest/v1/positions"
    assert target.post_url == "https://gps.example.com/ingest/post-gps"
    assert target.get_url == "https://gps.example.com/production/get-gps"
    assert target.cognito_endpoint is None
    assert target.username is None
    assert target.region == "eu-west-1"


def test_arguments_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given no local stack, an environment, and an argument naming another region
    monkeypatch.chdir(tmp_path)
    environ = {"BUSGPS_API_URL": "https://a.example.com", "BUSGPS_REGION": "eu-west-1"}

    # Then the argument wins
    assert resolve_target({"region": "us-west-2"}, environ=environ).region == "us-west-2"


def test_an_explicit_stack_file_is_read_even_with_an_api_url(tmp_path: Path):
    # Given a stack file elsewhere, named in the environment, and an API URL argument
    stack_file = tmp_path / "other.json"
    stack_file.write_text(json.dumps(LOCAL_STACK))
    environ = {"BUSGPS_STACK_FILE": str(stack_file)}

    # Then the argument wins and the file fills in the rest
    target = resolve_target({"api_url": "http://127.0.0.1:9999"}, environ=environ)
    assert target.api_url == "http://127.0.0.1:9999"
    assert target.post_url == "http://127.0.0.1:4011/post-gps"
    assert target.stream_name == "busgps-local-positions"


def test_no_stack_at_all_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given no local stack and no deployed stack named
    monkeypatch.chdir(tmp_path)

    # Then the error says to start one or to name one
    with pytest.raises(TargetError, match=r"busgps local up.*--api-url"):
        resolve_target({}, environ={})


def test_a_missing_explicit_stack_file_is_an_error(tmp_path: Path):
    # Given a stack file path that does not exist, Then the error names it
    with pytest.raises(TargetError, match="does not exist"):
        resolve_target({}, environ={}, stack_file=tmp_path / "absent.json")


def test_a_broken_stack_file_is_an_error(tmp_path: Path):
    # Given a stack file that is not JSON, Then the error names the file
    broken = tmp_path / "stack.json"
    broken.write_text("{not json")
    with pytest.raises(TargetError, match="cannot read stack file"):
        resolve_target({}, environ={}, stack_file=broken)


def test_a_missing_value_names_its_option_and_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given a deployed stack named without its client id
    monkeypatch.chdir(tmp_path)
    target = resolve_target({"api_url": "https://a.example.com"}, environ={})

    # Then asking for the client id says how to give it
    with pytest.raises(TargetError, match=r"--client-id.*BUSGPS_CLIENT_ID"):
        target.required("client_id")


def test_the_region_defaults_to_the_user_pool_ids_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given a deployed stack named by its user pool id but no region
    monkeypatch.chdir(tmp_path)
    target = resolve_target(
        {"api_url": "https://a.example.com", "user_pool_id": "eu-west-1_AbC123"}, environ={}
    )

    # Then the region is the pool id's prefix, as Cognito writes it
    assert target.region == "eu-west-1"


def test_terraform_outputs_name_both_apis_and_the_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Given a local stack, and the outputs of a deployed environment named by the environment
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "stack.json").write_text(json.dumps(LOCAL_STACK))
    outputs = {
        "api_base_url": {"value": "https://abc.execute-api.eu-west-1.amazonaws.com/production"},
        "ingest_base_url": {"value": "https://def.execute-api.eu-west-1.amazonaws.com"},
        "post_gps_url": {"value": "https://def.execute-api.eu-west-1.amazonaws.com/post-gps"},
        "aws_region": {"value": "eu-west-1"},
        "user_pool_id": {"value": "eu-west-1_Pool"},
        "app_client_id": {"value": "deployed-client"},
        "stream_name": {"value": "busgps-production-positions"},
        "feed_url": {"value": "https://cdn.example.net/v1/gtfs-rt/vehicle-positions"},
    }
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    # When the target is resolved, with a username as an argument
    target = resolve_target({"username": "bus-17"}, environ={"BUSGPS_TERRAFORM_OUTPUTS": str(outputs_file)})
    # Then the reads and the devices' routes are the deployment's, and nothing is local
    assert target.route("/v1/buses") == "https://abc.execute-api.eu-west-1.amazonaws.com/production/v1/buses"
    assert (
        target.ingest_route("/v1/positions") == "https://def.execute-api.eu-west-1.amazonaws.com/v1/positions"
    )
    assert target.post_url == "https://def.execute-api.eu-west-1.amazonaws.com/post-gps"
    assert (target.region, target.user_pool_id, target.client_id) == (
        "eu-west-1",
        "eu-west-1_Pool",
        "deployed-client",
    )
    assert (target.username, target.password, target.cognito_endpoint) == ("bus-17", None, None)


def test_a_deployed_stack_without_its_ingest_api_says_how_to_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Given a deployed stack named by its read API only
    monkeypatch.chdir(tmp_path)
    target = resolve_target({"api_url": "https://a.example.com"}, environ={})
    # Then posting says how to name the devices' API, rather than guessing a URL
    assert target.post_url is None
    with pytest.raises(TargetError, match=r"--ingest-url.*BUSGPS_INGEST_URL.*ingest_base_url"):
        target.ingest_route("/v1/positions")
