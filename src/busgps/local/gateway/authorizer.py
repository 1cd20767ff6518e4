"""The Cognito user pool authorizer: an id token of one of the document's pools, or 401.

As API Gateway does it: RS256 signature by a key of the pool's JWKS, unexpired, issued by the pool,
`token_use` = id and an audience that is an app client of the pool.
"""

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import boto3
import jwt

_CACHE_SECONDS = 300.0
# A token naming a key or a client the cache does not know triggers at most one refresh this often.
_REFRESH_SECONDS = 1.0
_DATE_CLAIMS = ("exp", "iat", "auth_time")


class Unauthorized(Exception):
    """No acceptable token: the reason is logged; the client gets API Gateway's message."""

    def __init__(self, reason: str, client_message: str = "Unauthorized") -> None:
        super().__init__(reason)
        self.client_message = client_message


@dataclass(frozen=True)
class UserPool:
    region: str
    pool_id: str

    @classmethod
    def from_arn(cls, arn: str) -> "UserPool":
        # arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
            raise ValueError(f"not a Cognito user pool ARN: {arn!r}")
        return cls(region=parts[3], pool_id=parts[5].removeprefix("userpool/"))

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


class _Cached:
    """A value fetched on first use, again when stale, and again (rate-limited) on demand."""

    def __init__(self, fetch: Callable[[], Any]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._value: Any = None
        self._fetched_at = float("-inf")

    def get(self, refresh: bool = False) -> Any:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > _CACHE_SECONDS or (refresh and age > _REFRESH_SECONDS):
                self._value = self._fetch()
                self._fetched_at = time.monotonic()
            return self._value


def _claim_string(name: str, value: Any) -> str:
    """Claims as API Gateway hands them on: strings, with dates in Java's Date format."""
    if name in _DATE_CLAIMS and isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, dict) else str(value)


class CognitoAuthorizer:
    """Checks tokens against the pools of one `cognito_user_pools` authorizer."""

    def __init__(self, provider_arns: Iterable[str], endpoint_url: str) -> None:
        self._endpoint_url = endpoint_url.rstrip("/")
        self._pools = {pool.issuer: pool for pool in map(UserPool.from_arn, provider_arns)}
        if not self._pools:
            raise ValueError("a cognito_user_pools authorizer needs at least one providerARN")
        self._keys = {
            issuer: _Cached(partial(self._fetch_keys, pool)) for issuer, pool in self._pools.items()
        }
        self._clients = {
            issuer: _Cached(partial(self._fetch_clients, pool)) for issuer, pool in self._pools.items()
        }

    def _fetch_keys(self, pool: UserPool) -> dict[str, jwt.PyJWK]:
        # Where AWS serves https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json.
        url = f"{self._endpoint_url}/{pool.pool_id}/.well-known/jwks.json"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the configured emulator
            key_set = jwt.PyJWKSet.from_dict(json.load(response))
        return {str(key.key_id): key for key in key_set.keys}

    def _fetch_clients(self, pool: UserPool) -> frozenset[str]:
        # A session of its own: boto3's default one is not safe to share between threads.
        cognito = boto3.session.Session().client(
            "cognito-idp", region_name=pool.region, endpoint_url=self._endpoint_url
        )
        client_ids: set[str] = set()
        for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool.pool_id):
            client_ids.update(client["ClientId"] for client in page["UserPoolClients"])
        return frozenset(client_ids)

    def authorize(self, token: str | None) -> dict[str, str]:
        """The token's claims, as strings, if it is an acceptable id token; else Unauthorized."""
        if not token:
            raise Unauthorized("no token in the identity source header")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Unauthorized(f"not a JWT: {error}") from None
        if header.get("alg") != "RS256":
            raise Unauthorized(f"signed with {header.get('alg')!r}, not RS256")
        issuer = unverified.get("iss")
        if issuer not in self._pools:
            raise Unauthorized(f"issued by {issuer!r}, not by a pool of this authorizer")
        key = self._key(issuer, str(header.get("kid")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=issuer,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("expired", client_message="The incoming token has expired") from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"rejected: {error}") from None
        if claims.get("token_use") != "id":
            raise Unauthorized(f"token_use is {claims.get('token_use')!r}, an id token is required")
        self._check_audience(issuer, claims.get("aud"))
        return {name: _claim_string(name, value) for name, value in claims.items()}

    def _key(self, issuer: str, key_id: str) -> jwt.PyJWK:
        keys: Mapping[str, jwt.PyJWK] = self._keys[issuer].get()
        if key_id not in keys:
            keys = self._keys[issuer].get(refresh=True)
        if key_id not in keys:
            raise Unauthorized(f"key {key_id!r} is not in the pool's JWKS")
        return keys[key_id]

    def _check_audience(self, issuer: str, audience: Any) -> None:
        if not isinstance(audience, str):
            raise Unauthorized("the token has no single audience")
        if audience in self._clients[issuer].get():
            return
        if audience not in self._clients[issuer].get(refresh=True):
            raise Unauthorized(f"audience {audience!r} is not an app client of the pool")
