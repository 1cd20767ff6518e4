"""The emulator: a moto server process with the resources that the local settings name."""

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from busgps.local.config import EnvironmentSettings, SettingsFileError, load_environment_settings
from busgps.local.emulator import (
    EmulatorError,
    LocalResources,
    MotoServer,
    create_resources,
    emulator_session,
    generate_password,
)

pytestmark = pytest.mark.integration

REPOSITORY = Path(__file__).resolve().parents[2]
LOCAL_SETTINGS = REPOSITORY / "terraform" / "environments" / "local.tfvars"


@dataclass(frozen=True)
class Emulated:
    server: MotoServer
    settings: EnvironmentSettings
    resources: LocalResources

    def client(self, service: str) -> Any:
        return emulator_session(self.settings.aws_region).client(
            service, endpoint_url=self.server.endpoint_url
        )


@pytest.fixture(scope="module")
def emulated() -> Iterator[Emulated]:
    settings = load_environment_settings(LOCAL_SETTINGS)
    with MotoServer() as server:
        yield Emulated(server, settings, create_resources(settings, server.endpoint_url))


def test_the_stream_has_the_settings_shard_count(emulated: Emulated) -> None:
    # Given the emulator set up from the local settings
    kinesis = emulated.client("kinesis")
    # When the stream is described
    summary = kinesis.describe_stream_summary(StreamName=emulated.settings.stream_name)
    # Then it is active with the configured number of shards
    description = summary["StreamDescriptionSummary"]
    assert description["StreamStatus"] == "ACTIVE"
    assert description["OpenShardCount"] == emulated.settings.kinesis_shard_count
    assert description["StreamARN"] == emulated.resources.stream_arn


@pytest.mark.parametrize(
    ("table_attribute", "key_schema"),
    [
        ("latest_table_name", [("busId", "HASH", "S")]),
        ("history_table_name", [("pk", "HASH", "S"), ("sk", "RANGE", "S")]),
        ("connections_table_name", [("connectionId", "HASH", "S")]),
    ],
)
def test_the_tables_have_the_contract_keys_and_ttl(
    emulated: Emulated, table_attribute: str, key_schema: list[tuple[str, str, str]]
) -> None:
    # Given the emulator set up from the local settings
    dynamodb = emulated.client("dynamodb")
    name = getattr(emulated.settings, table_attribute)
    # When the table is described
    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    # Then its keys, billing and TTL are those of the contract
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert [
        (k["AttributeName"], k["KeyType"], types[k["AttributeName"]]) for k in table["KeySchema"]
    ] == key_schema
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": emulated.settings.ttl_field_name}


def test_the_latest_position_table_streams_new_images_for_the_push_function(emulated: Emulated) -> None:
    # Given the emulator set up from the local settings
    table = emulated.client("dynamodb").describe_table(TableName=emulated.settings.latest_table_name)["Table"]
    # When its stream is read; then it carries each change's new image, at the ARN the stack uses
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table["LatestStreamArn"] == emulated.resources.latest_table_stream_arn


def test_both_queues_exist_under_their_settings_names(emulated: Emulated) -> None:
    # Given the emulator set up from the local settings
    sqs = emulated.client("sqs")
    # When the queues are looked up by name
    invalid = sqs.get_queue_url(QueueName=emulated.settings.invalid_records_queue_name)
    failures = sqs.get_queue_url(QueueName=emulated.settings.consumer_failure_queue_name)
    # Then they are the ones the resources name
    assert invalid["QueueUrl"] == emulated.resources.invalid_records_queue_url
    assert failures["QueueUrl"] == emulated.resources.consumer_failure_queue_url


def test_the_app_client_allows_password_and_refresh_flows_without_a_secret(emulated: Emulated) -> None:
    # Given the emulator set up from the local settings
    cognito = emulated.client("cognito-idp")
    # When the app client is described
    app_client = cognito.describe_user_pool_client(
        UserPoolId=emulated.resources.user_pool_id, ClientId=emulated.resources.app_client_id
    )["UserPoolClient"]
    # Then it allows exactly the device flows, and has no secret
    assert sorted(app_client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert "ClientSecret" not in app_client


def test_the_demo_user_logs_in_with_its_generated_password_and_can_refresh(emulated: Emulated) -> None:
    # Given the demo user with its permanent password
    cognito = emulated.client("cognito-idp")
    resources = emulated.resources
    # When it logs in with USER_PASSWORD_AUTH, as the devices do
    login = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": resources.username, "PASSWORD": resources.password},
        ClientId=resources.app_client_id,
    )
    # Then it gets tokens straight away (no new-password challenge), and the refresh flow works
    assert "ChallengeName" not in login
    assert login["AuthenticationResult"]["IdToken"].count(".") == 2
    refreshed = cognito.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": login["AuthenticationResult"]["RefreshToken"]},
        ClientId=resources.app_client_id,
    )
    assert refreshed["AuthenticationResult"]["IdToken"]


def test_generated_passwords_meet_cognitos_default_policy_and_differ() -> None:
    # Given many generated passwords
    passwords = {generate_password() for _ in range(50)}
    # Then each has a lower, an upper, a digit and a symbol, and no two are the same
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 8
        assert re.search("[a-z]", password)
        assert re.search("[A-Z]", password)
        assert re.search("[0-9]", password)
        assert re.search("[^A-Za-z0-9]", password)


def test_a_busy_port_is_refused_with_a_message_that_names_it() -> None:
    # Given something already listening on a port
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        # When the emulator is asked to start there
        with pytest.raises(EmulatorError, match=f"port {port} is already in use"):
            MotoServer(port=port).start()


def test_the_stopped_server_no_longer_answers() -> None:
    # Given a running emulator
    server = MotoServer()
    server.start()
    sts = boto3.client("sts", endpoint_url=server.endpoint_url, region_name="us-east-1")
    assert sts.get_caller_identity()["Account"] == "123456789012"
    # When it is stopped
    server.stop()
    # Then its port is free again
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_every_environment_settings_file_is_valid() -> None:
    # Given the settings files of all environments
    for environment in ("local", "sandbox", "staging", "production"):
        # When each is loaded
        settings = load_environment_settings(
            REPOSITORY / "terraform" / "environments" / f"{environment}.tfvars"
        )
        # Then it validates, and names its own environment
        assert settings.environment == environment


def test_a_bad_setting_is_reported_with_its_file_and_key(tmp_path: Path) -> None:
    # Given the local settings with a batch size beyond Lambda's limit
    text = LOCAL_SETTINGS.read_text(encoding="utf-8")
    bad = tmp_path / "bad.tfvars"
    bad.write_text(
        re.sub(r"consumer_batch_size\s*=\s*\d+", "consumer_batch_size = 20000", text), encoding="utf-8"
    )
    # When it is loaded, then the error names the file and the key
    with pytest.raises(SettingsFileError, match=r"bad\.tfvars.*consumer_batch_size"):
        load_environment_settings(bad)


def test_a_missing_settings_file_says_what_to_do(tmp_path: Path) -> None:
    # When a settings file that does not exist is loaded, then the error says how to fix it
    with pytest.raises(SettingsFileError, match="--settings"):
        load_environment_settings(tmp_path / "absent.tfvars")


def test_the_emulator_ends_when_the_process_that_started_it_is_killed() -> None:
    # Given a process that started an emulator and printed its port
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from busgps.local.emulator import MotoServer; server = MotoServer(); "
            "server.start(); print(server.port, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    port = int(starter.stdout.readline())
    # When that process is killed outright, with no chance to stop the emulator
    starter.kill()
    starter.wait()
    # Then the emulator goes too, and frees its port
    deadline = time.monotonic() + 10
    while _listening(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _listening(port)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
