"""The devices' API over real HTTP against the local stack: its JWT authorizer and the ingest function's
checks of the token and the body.

Every token that is not a valid id token of the stack's user pool and app client gets a 401 (the
authorizer's, or the function's for an access token of the pool); a valid one gets 200. Forged tokens
are signed with the emulator's own key, so that each differs from a valid token in exactly one respect.
"""

import base64
import json
import uuid
from typing import Any

import boto3
import pytest
import requests

from support.tokens import UNACCEPTABLE_TOKEN_CASES, unacceptable_tokens

pytestmark = pytest.mark.e2e

ROUTES = ["/post-gps", "/v1/positions"]
PASSWORD = "Other-pool-passw0rd!"


def _emulator(stack: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        region_name=stack["region"],
        endpoint_url=stack["emulator_endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _records_keyed(stack: dict[str, Any], partition_key: str) -> list[Any]:
    """The stream's records with this partition key (the gateway writes before it answers)."""
    kinesis = _emulator(stack, "kinesis")
    found = []
    for shard in kinesis.list_shards(StreamName=stack["stream_name"])["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stack["stream_name"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            found += [record for record in page["Records"] if record["PartitionKey"] == partition_key]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return found


def _log_in(cognito: Any, client_id: str, username: str, password: str) -> dict[str, str]:
    result: dict[str, str] = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
        ClientId=client_id,
    )["AuthenticationResult"]
    return result


def _other_pool_id_token(cognito: Any) -> str:
    """An id token of a user of another pool on the same emulator."""
    pool_id = cognito.create_user_pool(PoolName=f"e2e-others-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="others", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="stranger", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="stranger", Password=PASSWORD, Permanent=True
    )
    return _log_in(cognito, client_id, "stranger", PASSWORD)["IdToken"]


@pytest.fixture(scope="module")
def tokens(local_stack: dict[str, Any]) -> dict[str, str | None]:
    """The demo device's valid id token, and every kind of token the authorizer must refuse."""
    cognito = _emulator(local_stack, "cognito-idp")
    own = _log_in(cognito, local_stack["app_client_id"], local_stack["username"], local_stack["password"])
    refused = unacceptable_tokens(own["IdToken"], own["AccessToken"], _other_pool_id_token(cognito))
    return {"valid id token": own["IdToken"], **refused}


def _body(route: str, stack: dict[str, Any], bus_id: str) -> dict[str, Any]:
    if route == "/post-gps":
        data = base64.b64encode(json.dumps({"latitude": 38.7, "longitude": -9.1}).encode()).decode()
        return {"StreamName": stack["stream_name"], "Data": data, "PartitionKey": bus_id}
    return {"positions": [{"busId": bus_id, "latitude": 38.7, "longitude": -9.1}]}


def _post(stack: dict[str, Any], route: str, body: Any, token: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    return requests.post(stack["ingest_url"] + route, json=body, headers=headers, timeout=10)


@pytest.mark.parametrize("case", UNACCEPTABLE_TOKEN_CASES)
@pytest.mark.parametrize("route", ROUTES)
def test_a_token_that_is_not_a_valid_id_token_gets_a_json_401(
    local_stack: dict[str, Any], tokens: dict[str, str | None], route: str, case: str
) -> None:
    # Given a well-formed body and a token that is not a valid id token of the stack's pool
    bus_id = f"auth-{uuid.uuid4().hex[:10]}"
    # When it is posted over HTTP
    response = _post(local_stack, route, _body(route, local_stack, bus_id), tokens[case])
    # Then the answer is a JSON 401: the JWT authorizer's, saying why in www-authenticate, or, for an
    # access token of the pool's app client (which the authorizer lets through), the function's,
    # saying what to send, with its request id
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    if case == "access token":
        assert answer["error"] == "Unauthorized"
        assert "id token" in answer["hint"]
        assert answer["requestId"] == response.headers["apigw-requestid"]
    else:
        assert answer == {"message": "Unauthorized"}
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # And nothing of it reached the stream
    assert _records_keyed(local_stack, bus_id) == []


@pytest.mark.parametrize("route", ROUTES)
def test_a_valid_id_token_gets_200(
    local_stack: dict[str, Any], tokens: dict[str, str | None], route: str
) -> None:
    # Given the demo device's id token, as is, in Authorization (as the existing clients send it)
    bus_id = f"auth-ok-{uuid.uuid4().hex[:10]}"
    # When a position is posted
    response = _post(local_stack, route, _body(route, local_stack, bus_id), tokens["valid id token"])
    # Then it is accepted, and its record is on the stream
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Success"
    assert len(_records_keyed(local_stack, bus_id)) == 1


@pytest.mark.parametrize(
    ("route", "body", "named"),
    [
        ("/post-gps", {"StreamName": "x", "PartitionKey": "17"}, "Data"),
        ("/post-gps", {"StreamName": "another-stream", "Data": "e30=", "PartitionKey": "17"}, "StreamName"),
        ("/v1/positions", {"positions": [{"busId": "17", "latitude": 1}]}, "longitude"),
        ("/v1/positions", {"positions": []}, "body.positions"),
    ],
)
def test_a_body_that_breaks_the_model_is_a_json_400_naming_the_field(
    local_stack: dict[str, Any], tokens: dict[str, str | None], route: str, body: Any, named: str
) -> None:
    # Given a valid token and a body the route's model (the consumer's rules) refuses
    # When it is posted over HTTP
    response = _post(local_stack, route, body, tokens["valid id token"])
    # Then the answer is a JSON 400 whose details name the field to fix
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"] == "Invalid request body"
    assert named in answer["details"]
    assert answer["hint"]
