"""Id tokens come from Cognito's USER_PASSWORD_AUTH; refusals and challenges are reported, not hidden."""

from collections.abc import Iterator

import pytest
from botocore import UNSIGNED
from botocore.stub import Stubber

from busgps.client.auth import AuthError, CognitoTokenSource, cognito_client, fetch_id_token

EXPECTED_REQUEST = {
    "AuthFlow": "USER_PASSWORD_AUTH",
    "AuthParameters": {"USERNAME": "bus-17", "PASSWORD": "Secret-123"},
    "ClientId": "client-1",
}


def _success(id_token: str, expires_in: int = 3600) -> dict[str, object]:
    return {
        "AuthenticationResult": {
            "IdToken": id_token,
            "AccessToken": "access-token",
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        }
    }


@pytest.fixture
def stubbed() -> Iterator[tuple[object, Stubber]]:
    client = cognito_client("eu-west-1", endpoint_url=None)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_the_id_token_is_returned_not_the_access_token(stubbed):
    # Given Cognito accepting the device's password
    client, stubber = stubbed
    stubber.add_response("initiate_auth", _success("id-token"), EXPECTED_REQUEST)

    # When the device logs in
    token = fetch_id_token(client, "client-1", "bus-17", "Secret-123", clock=lambda: 1000.0)

    # Then it gets the id token, with its expiry
    assert token.value == "id-token"
    assert token.expires_at == 4600.0


def test_a_refused_login_names_the_user_and_the_reason(stubbed):
    # Given Cognito refusing the password
    client, stubber = stubbed
    stubber.add_client_error("initiate_auth", "NotAuthorizedException", "Incorrect username or password.")

    # Then the error says who and why
    with pytest.raises(AuthError, match=r"'bus-17'.*NotAuthorizedException.*Incorrect username"):
        fetch_id_token(client, "client-1", "bus-17", "Secret-123")


def test_a_challenge_is_reported(stubbed):
    # Given a user who must still set a permanent password
    client, stubber = stubbed
    stubber.add_response(
        "initiate_auth", {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s" * 20}, EXPECTED_REQUEST
    )

    # Then the error names the challenge
    with pytest.raises(AuthError, match="NEW_PASSWORD_REQUIRED"):
        fetch_id_token(client, "client-1", "bus-17", "Secret-123")


def test_the_login_call_is_unsigned():
    # Given the client a device uses, Then it signs nothing: InitiateAuth needs no AWS credentials
    client = cognito_client("eu-west-1", endpoint_url=None)
    assert client.meta.config.signature_version is UNSIGNED


def test_token_source_keeps_a_token_until_shortly_before_it_expires(stubbed):
    # Given a token source and Cognito issuing tokens valid for 300 s
    client, stubber = stubbed
    stubber.add_response("initiate_auth", _success("first", 300), EXPECTED_REQUEST)
    stubber.add_response("initiate_auth", _success("second", 300), EXPECTED_REQUEST)
    now = [0.0]
    source = CognitoTokenSource(client, "client-1", "bus-17", "Secret-123", clock=lambda: now[0])

    # When the token is asked for now and 200 s later
    first_answers = [source(), source()]
    now[0] = 200.0
    still_first = source()
    # And again 241 s later, within the renewal margin before expiry
    now[0] = 241.0
    renewed = source()

    # Then it logs in once, then again only near expiry
    assert first_answers == ["first", "first"]
    assert still_first == "first"
    assert renewed == "second"
