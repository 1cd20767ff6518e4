"""What API Gateway knows about one request: `$context` in templates, `requestContext` in proxy events
(a REST API's, and an HTTP API's payload format 2.0)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def resource_id(resource_path: str) -> str:
    """A stable id per resource, shaped like API Gateway's (6 lowercase letters and digits)."""
    return hashlib.sha256(resource_path.encode("utf-8")).hexdigest()[:6]


@dataclass
class RequestFacts:
    """One request as the gateway saw it; mutable only where API Gateway fills things in as it goes."""

    api_id: str
    account_id: str
    stage: str
    http_method: str
    path: str  # as the client sent it, stage prefix included if any
    source_ip: str
    user_agent: str
    domain_name: str
    protocol: str = "HTTP/1.1"
    resource_path: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=lambda: secrets.token_urlsafe(12)[:15] + "=")
    request_time_epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    # The JWT authorizer's claims of the token, on an HTTP API route that has one.
    claims: dict[str, str] | None = None

    @property
    def request_time(self) -> str:
        """The request time in API Gateway's CLF format, e.g. 01/Dec/2026:08:32:42 +0000."""
        moment = datetime.fromtimestamp(self.request_time_epoch_ms / 1000, tz=UTC)
        return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")

    def response_headers(self) -> dict[str, str]:
        """The ids API Gateway puts on every answer."""
        return {"x-amzn-RequestId": self.request_id, "x-amz-apigw-id": self.extended_request_id}

    def _identity(self) -> dict[str, Any]:
        return {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": self.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": self.user_agent,
            "user": None,
        }

    def proxy_request_context(self) -> dict[str, Any]:
        """`requestContext` of a REST API proxy event."""
        request_context: dict[str, Any] = {
            "accountId": self.account_id,
            "apiId": self.api_id,
            "domainName": self.domain_name,
            "domainPrefix": self.domain_name.split(".")[0],
            "extendedRequestId": self.extended_request_id,
            "httpMethod": self.http_method,
            "identity": self._identity(),
            "path": self.path,
            "protocol": self.protocol,
            "requestId": self.request_id,
            "requestTime": self.request_time,
            "requestTimeEpoch": self.request_time_epoch_ms,
            "resourceId": resource_id(self.resource_path),
            "resourcePath": self.resource_path,
            "stage": self.stage,
        }
        return request_context

    def http_api_request_context(self, route_key: str) -> dict[str, Any]:
        """`requestContext` of an HTTP API's payload format 2.0 event; its request id is the
        `apigw-requestid` header of the answer."""
        request_context: dict[str, Any] = {
            "accountId": self.account_id,
            "apiId": self.api_id,
        }
        if self.claims is not None:
            request_context["authorizer"] = {"jwt": {"claims": dict(self.claims), "scopes": None}}
        request_context.update(
            {
                "domainName": self.domain_name,
                "domainPrefix": self.domain_name.split(".")[0],
                "http": {
                    "method": self.http_method,
                    "path": self.path,
                    "protocol": self.protocol,
                    "sourceIp": self.source_ip,
                    "userAgent": self.user_agent,
                },
                "requestId": self.extended_request_id,
                "routeKey": route_key,
                "stage": self.stage,
                "time": self.request_time,
                "timeEpoch": self.request_time_epoch_ms,
            }
        )
        return request_context

    def template_context(self, error: dict[str, str] | None = None) -> dict[str, Any]:
        """`$context` of a mapping template; `responseOverride` is where a template may #set overrides."""
        context = self.proxy_request_context()
        context["error"] = error or {}
        context["responseOverride"] = {"header": {}}
        return context
