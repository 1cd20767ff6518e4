"""Cognito id tokens for devices, through USER_PASSWORD_AUTH (as the existing clients get them)."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# Renew a cached token this long before Cognito says it expires.
_RENEW_MARGIN_SECONDS = 60.0


class AuthError(RuntimeError):
    """Cognito refused to give an id token, or could not be reached."""


@dataclass(frozen=True)
class IdToken:
    value: str
    expires_at: float  # time.time() seconds


def cognito_client(region: str, endpoint_url: str | None) -> "CognitoIdentityProviderClient":
    # InitiateAuth is a public Cognito API: a device has no AWS credentials, so the call is unsigned.
    return boto3.client(
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(signature_version=UNSIGNED, retries={"mode": "standard"}),
    )


def fetch_id_token(
    client: "CognitoIdentityProviderClient",
    client_id: str,
    username: str,
    password: str,
    clock: Callable[[], float] = time.time,
) -> IdToken:
    """Log in with USER_PASSWORD_AUTH and return the id token (not the access token)."""
    try:
        response = client.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
            ClientId=client_id,
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        reason = f"{details.get('Code', 'Error')}: {details.get('Message', '')}"
        raise AuthError(f"Cognito refused to log in {username!r}: {reason}") from error
    except BotoCoreError as error:
        raise AuthError(f"cannot reach Cognito: {error}") from error

    if "ChallengeName" in response:
        raise AuthError(
            f"Cognito asks {username!r} to answer the challenge {response['ChallengeName']} first "
            "(for example to set a permanent password)"
        )
    result = response.get("AuthenticationResult", {})
    if "IdToken" not in result:
        raise AuthError("Cognito answered without an id token")
    return IdToken(value=result["IdToken"], expires_at=clock() + float(result.get("ExpiresIn", 3600)))


class CognitoTokenSource:
    """Keeps one id token and logs in again shortly before it expires."""

    def __init__(
        self,
        client: "CognitoIdentityProviderClient",
        client_id: str,
        username: str,
        password: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._client_id = client_id
        self._username = username
        self._password = password
        self._clock = clock
        self._token: IdToken | None = None

    def __call__(self) -> str:
        if self._token is None or self._clock() >= self._token.expires_at - _RENEW_MARGIN_SECONDS:
            self._token = fetch_id_token(
                self._client, self._client_id, self._username, self._password, self._clock
            )
        return self._token.value
