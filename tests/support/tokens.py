"""Tokens the Cognito authorizer must refuse, forged from a valid id token of the pool."""

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

UNACCEPTABLE_TOKEN_CASES = (
    "no token",
    "garbage",
    "expired",
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
        "wrong signature": forged(stranger_key),
        "alg none": jwt.encode(claims, key=None, algorithm="none"),
        "another pool's token": other_pool_id_token,
        "access token": access_token,
        "audience not an app client": forged(signing_key, aud="not-a-client-of-the-pool"),
    }
    assert tuple(tokens) == UNACCEPTABLE_TOKEN_CASES
    return tokens
