"""The existing clients' three functions work unchanged against the local stack.

The functions below are the legacy README's code, character for character. Only its placeholders
(the URLs, ids, region and the token) are filled in, and AWS_ENDPOINT_URL points boto3 at the
emulator, as it would point it at AWS's own endpoint. Each snippet runs as its own module because
two of them define a module-level `URL` of their own.
"""

import json
import time
import types
import uuid
from typing import Any

import pytest

from support.polling import wait_for

pytestmark = pytest.mark.e2e

GET_COGNITO_ID_TOKEN = """
import boto3

user_pool_id = "Your user pool id"
app_client_id = "Your app client id"
region = "Your region"


def get_cognito_id_token(username: str, password: str) -> str:
    client = boto3.client("cognito-idp", region_name=region)
    response = client.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": password,
        },
        ClientId=app_client_id
    )
    return response["AuthenticationResult"]["IdToken"]

"""

POST_DICT_DATA_TO_KINESIS = """
import base64
import json

import requests


URL = "Your POST API url"
TOKEN = "Your id token"
KINESIS_STREAM_NAME = "Your stream name"


def post_dict_data_to_kinesis(data: dict, partition_key: str) -> (int, str):
    jdata = json.dumps(data)
    bdata = jdata.encode("utf-8")
    b64data = base64.b64encode(bdata)
    sb64data = b64data.decode("utf-8")

    body = {
        "StreamName": KINESIS_STREAM_NAME,
        "Data": sb64data,
        "PartitionKey": partition_key,
    }
    headers = {
        "Content-Type": "application/json",
        "Authorization": TOKEN,
    }

    response = requests.post(URL, json=body, headers=headers)
    return response.status_code, response.text


# example of use
if __name__ == "__main__":
    partition_key = "17"  # unique bus id
    data = {
        "longitude": "12.34567",
        "latitude": "76.54321",
    }
    print(post_dict_data_to_kinesis(data, partition_key))

"""

GET_BUS_COORDINATES = """
import requests

URL = "Your GET API url"


def get_bus_coordinates(bus_id: str):
    params = {"busId": bus_id}
    return requests.get(URL, params)

"""


def legacy_module(name: str, source: str, placeholders: dict[str, str]) -> types.ModuleType:
    """Run a legacy snippet as a module, with each `"placeholder"` string replaced by its value."""
    for placeholder, value in placeholders.items():
        quoted = json.dumps(placeholder)
        assert source.count(quoted) == 1, f"the snippet has no {quoted} to fill in"
        source = source.replace(quoted, json.dumps(value))
    module = types.ModuleType(name)
    exec(compile(source, f"<legacy README: {name}>", "exec"), module.__dict__)  # noqa: S102 (our own text)
    return module


@pytest.fixture
def legacy_clients(local_stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    # boto3 finds the emulator the way it would find AWS: through the environment.
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_stack["emulator_endpoint"])
    token_module = legacy_module(
        "get_cognito_id_token",
        GET_COGNITO_ID_TOKEN,
        {
            "Your user pool id": local_stack["user_pool_id"],
            "Your app client id": local_stack["app_client_id"],
            "Your region": local_stack["region"],
        },
    )
    token = token_module.get_cognito_id_token(local_stack["username"], local_stack["password"])
    post_module = legacy_module(
        "post_dict_data_to_kinesis",
        POST_DICT_DATA_TO_KINESIS,
        {
            "Your POST API url": local_stack["post_url"],
            "Your id token": token,
            "Your stream name": local_stack["stream_name"],
        },
    )
    get_module = legacy_module(
        "get_bus_coordinates", GET_BUS_COORDINATES, {"Your GET API url": local_stack["get_url"]}
    )
    return types.SimpleNamespace(
        token=token,
        post_dict_data_to_kinesis=post_module.post_dict_data_to_kinesis,
        get_bus_coordinates=get_module.get_bus_coordinates,
    )


def test_legacy_clients_post_a_position_and_read_it_back(legacy_clients: types.SimpleNamespace):
    # Given an id token from the legacy token function, and a bus never seen before
    assert legacy_clients.token.count(".") == 2
    bus_id = f"compat-{uuid.uuid4().hex[:12]}"
    posted_at = int(time.time())

    # When the legacy POST function sends the README's example position
    status, text = legacy_clients.post_dict_data_to_kinesis(
        {"longitude": "12.34567", "latitude": "76.54321"}, bus_id
    )

    # Then the record is accepted, with its place on the stream
    assert status == 200, text
    answer = json.loads(text)
    assert answer["message"] == "Success"
    assert answer["shardId"].startswith("shardId-")
    assert answer["sequenceNumber"].isdigit()

    # And within a few seconds the legacy GET function sees it, in the legacy answer shape
    def read() -> dict[str, Any]:
        response = legacy_clients.get_bus_coordinates(bus_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    position = wait_for(read)
    assert set(position) == {"busId", "latitude", "longitude", "updatedAt"}
    assert position["busId"] == bus_id
    assert (position["latitude"], position["longitude"]) == ("76.54321", "12.34567")
    # updatedAt: epoch seconds as a string, the time the record reached the stream
    assert position["updatedAt"].isdigit()
    assert posted_at - 5 <= int(position["updatedAt"]) <= time.time() + 5


def test_legacy_get_of_an_unknown_bus_is_an_empty_object(legacy_clients: types.SimpleNamespace):
    # Given a bus that never posted, When the legacy GET function asks for it, Then the answer is {}
    response = legacy_clients.get_bus_coordinates(f"compat-absent-{uuid.uuid4().hex[:8]}")
    assert (response.status_code, response.json()) == (200, {})


def test_legacy_post_with_a_garbage_token_is_refused_honestly(local_stack: dict[str, Any]):
    # Given the legacy POST function with a token that is not one of the pool's
    post_module = legacy_module(
        "post_dict_data_to_kinesis_bad_token",
        POST_DICT_DATA_TO_KINESIS,
        {
            "Your POST API url": local_stack["post_url"],
            "Your id token": "not-a-token",
            "Your stream name": local_stack["stream_name"],
        },
    )

    # When it posts, Then the answer is the JWT authorizer's JSON 401, not the old system's 200 "Success"
    status, text = post_module.post_dict_data_to_kinesis({"longitude": "1", "latitude": "2"}, "17")
    assert status == 401
    assert json.loads(text) == {"message": "Unauthorized"}


@pytest.mark.parametrize("params", [{}, {"busId": ""}])
def test_legacy_get_without_a_bus_id_is_the_old_400(local_stack: dict[str, Any], params: dict[str, str]):
    # Given the deployed-shape gateway in front of the query function
    get_module = legacy_module(
        "get_bus_coordinates_no_bus", GET_BUS_COORDINATES, {"Your GET API url": local_stack["get_url"]}
    )
    # When GET /get-gps comes without a busId, or with an empty one
    response = get_module.requests.get(get_module.URL, params)
    # Then the answer is the old system's, word for word
    assert (response.status_code, response.json()) == (400, {"error": "Param busId is required"})
