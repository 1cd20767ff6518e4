"""The JWT authorizer of an HTTP API (`x-amazon-apigateway-authorizer` of type `jwt`), as API Gateway runs it.

A token passes when it is an RS256 JWT signed by a key of the issuer's JWKS, whose `iss` is the
configured issuer, that has not expired (`exp`), is already valid (`nbf`, `iat`), and whose `aud` (or,
without one, `client_id`) is one of the configured audiences. It may come as is or after `Bearer `.
Anything else is refused with the reason AWS gives in its `www-authenticate` header. What the token
is for (`token_use`) is not the authorizer's business: the function behind it decides.
"""

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt

_CACHE_SECONDS = 300.0
# A token naming a key the cache does not know triggers at most one refresh this often.
_REFRESH_SECONDS = 1.0


class Unauthorized(Exception):
    """No acceptable token; `description` is what API Gateway's www-authenticate header says."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    @property
    def challenge(self) -> str:
        """The www-authenticate header of the 401."""
        return f'Bearer scope="" error="invalid_token" error_description="{self.description}"'


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


def claim_string(value: Any) -> str:
    """A claim as an HTTP API hands it to the function: a string (a list as "[a b]")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, dict) else str(value)


def jwks_url(issuer: str, endpoint_url: str | None) -> str:
    """Where the issuer's keys are: `<issuer>/.well-known/jwks.json`, or the same path on an emulator
    (a Cognito issuer is https://cognito-idp.<region>.amazonaws.com/<pool id>)."""
    if endpoint_url is None:
        return f"{issuer.rstrip('/')}/.well-known/jwks.json"
    path = urllib.parse.urlsplit(issuer).path.rstrip("/")
    return f"{endpoint_url.rstrip('/')}{path}/.well-known/jwks.json"


class JwtAuthorizer:
    """Checks tokens against one issuer and its audiences."""

    def __init__(self, issuer: str, audience: Iterable[str], endpoint_url: str | None) -> None:
        self.issuer = issuer
        self.audience = frozenset(audience)
        if not issuer or not self.audience:
            raise ValueError("a jwt authorizer needs an issuer and at least one audience")
        self._url = jwks_url(issuer, endpoint_url)
        self._keys = _Cached(self._fetch_keys)

    def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        with urllib.request.urlopen(self._url, timeout=5) as response:  # noqa: S310 - the issuer's, or the emulator's
            key_set = jwt.PyJWKSet.from_dict(json.load(response))
        return {str(key.key_id): key for key in key_set.keys}

    def authorize(self, header_value: str | None) -> dict[str, str]:
        """The token's claims, as strings, if API Gateway would let it through; else Unauthorized."""
        token = (header_value or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise Unauthorized("the token is missing")
        try:
            header = jwt.get_unverified_header(token)
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a valid JWT") from None
        if header.get("alg") != "RS256":
            raise Unauthorized("the token does not have a valid signature")
        if unverified.get("iss") != self.issuer:
            raise Unauthorized("the token does not have a valid issuer")
        key = self._key(str(header.get("kid")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
            raise Unauthorized("the token is not valid yet") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token does not have a valid signature") from None
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a valid JWT") from None
        self._check_audience(claims)
        return {name: claim_string(value) for name, value in claims.items()}

    def _key(self, key_id: str) -> jwt.PyJWK:
        keys: Mapping[str, jwt.PyJWK] = self._keys.get()
        if key_id not in keys:
            keys = self._keys.get(refresh=True)
        if key_id not in keys:
            raise Unauthorized("the token does not have a valid signature")
        return keys[key_id]

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        # API Gateway reads client_id only when the token has no aud (Cognito's access tokens).
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        named = audience if isinstance(audience, list) else [audience]
        if not any(isinstance(value, str) and value in self.audience for value in named):
            raise Unauthorized("the token does not have a valid audience")
