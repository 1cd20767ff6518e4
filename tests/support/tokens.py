"""A device pool on the emulator with its tokens, and the tokens the devices' API must refuse, forged from
a valid id token of the pool."""

import time
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

PASSWORD = "Correct-horse-1!"


@dataclass(frozen=True)
class DevicePool:
    pool_id: str
    arn: str
    client_id: str
    id_token: str
    access_token: str

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens (the emulator's region is the ARN's)."""
        return f"https://cognito-idp.{self.arn.split(':')[3]}.amazonaws.com/{self.pool_id}"


def device_pool(name: str) -> DevicePool:
    """A user pool with an app client and one device user, logged in."""
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=name)["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="devices", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="bus-17", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="bus-17", Password=PASSWORD, Permanent=True
    )
    tokens = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bus-17", "PASSWORD": PASSWORD},
        ClientId=client["ClientId"],
    )["AuthenticationResult"]
    return DevicePool(pool["Id"], pool["Arn"], client["ClientId"], tokens["IdToken"], tokens["AccessToken"])


UNACCEPTABLE_TOKEN_CASES = (
    "no token",
    "garbage",
    "expired",
    "not valid yet",
    "wrong signature",
    "alg none",
    "another pool's token",
    "access token",
    "audience not an app client",
)


def unacceptable_tokens(id_token: str, access_token: str, other_pool_id_token: str) -> dict[str, str | None]:
    """Each case of UNACCEPTABLE_TOKEN_CASES: valid but for one thing (a forged one is signed with the
    emulator's own key, the same for every pool, unless its signature is what is wrong)."""
    claims = jwt.decode(id_token, options={"verify_signature": False})
    emulator_key = load_resource("cognitoidp/resources/jwks-private.json")
    signing_key, key_id = jwt.PyJWK.from_dict(emulator_key).key, emulator_key["kid"]
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())

    def forged(key: Any, **changed: Any) -> str:
        return jwt.encode({**claims, **changed}, key, algorithm="RS256", headers={"kid": key_id})

    tokens: dict[str, str | None] = {
        "no token": None,
        "garbage": "not-a-token",
        "expired": forged(signing_key, iat=now - 7200, exp=now - 3600),
        "not valid yet": forged(signing_key, nbf=now + 3600),
        "wrong signature": forged(stranger_key),
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "another pool's token": other_pool_id_token,
        "access token": access_token,
        "audience not an app client": forged(signing_key, aud="not-a-client-of-the-pool"),
    }
    assert tuple(tokens) == UNACCEPTABLE_TOKEN_CASES
    return tokens
