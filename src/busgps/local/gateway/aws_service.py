"""The AWS service integration (`type: aws`) for Kinesis actions, sent to the emulator.

Like API Gateway, it signs the rendered mapping template as the body of the service's own JSON API
call. The emulator is lax where Kinesis is strict, so Kinesis's request limits and its base64 decoding
are applied here, and answered the way Kinesis answers them.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

from busgps import aws_limits
from busgps.local.gateway.integrations import IntegrationResult

_ACTION_URI = re.compile(
    r"^arn:aws:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):action/(?P<action>[A-Za-z]+)$"
)
# The JSON API target prefix of each service this integration can call.
_TARGET_PREFIX = {"kinesis": "Kinesis_20131202"}
_CONNECTION_TIMEOUT_SECONDS = 30


class UnsupportedIntegration(ValueError):
    """An integration URI this local gateway cannot call."""


class _KinesisRefusal(Exception):
    """What Kinesis answers (its error type and message) to a request it refuses before writing."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _record_size(index: int, record: Any) -> int:
    try:
        data = base64.b64decode(str(record.get("Data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _KinesisRefusal("SerializationException", f"record {index}: Data is not valid base64") from None
    return len(data) + len(str(record.get("PartitionKey", "")).encode("utf-8"))


def _check_kinesis_request(action: str, request: Any) -> None:
    """Refuse, as Kinesis would, data that is not base64 and requests beyond Kinesis's limits."""
    if not isinstance(request, dict):
        return
    if action == "PutRecord":
        records = [request]
    elif action == "PutRecords":
        records = request.get("Records") or []
        if len(records) > aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS:
            raise _KinesisRefusal(
                "ValidationException",
                f"Records has {len(records)} entries; at most {aws_limits.KINESIS_PUT_RECORDS_MAX_RECORDS}",
            )
    else:
        return
    sizes = [_record_size(index, record) for index, record in enumerate(records) if isinstance(record, dict)]
    for index, size in enumerate(sizes):
        if size > aws_limits.KINESIS_RECORD_MAX_BYTES:
            raise _KinesisRefusal(
                "ValidationException",
                f"record {index} is {size} bytes; at most {aws_limits.KINESIS_RECORD_MAX_BYTES}",
            )
    if sum(sizes) > aws_limits.KINESIS_PUT_RECORDS_MAX_BYTES:
        raise _KinesisRefusal(
            "ValidationException",
            f"the request is {sum(sizes)} bytes; at most {aws_limits.KINESIS_PUT_RECORDS_MAX_BYTES}",
        )


class AwsServiceIntegration:
    """Calls service actions on the emulator, signed like any AWS call."""

    def __init__(self, endpoint_url: str) -> None:
        self._endpoint_url = endpoint_url
        # The integration timeout is enforced by the gateway; this only bounds a hung connection.
        self._http = URLLib3Session(timeout=_CONNECTION_TIMEOUT_SECONDS)
        credentials = botocore.session.get_session().get_credentials()
        # The emulator accepts any signature; the integration's role is not assumed locally.
        self._credentials = credentials or Credentials("local", "local")

    def call(
        self, integration: Mapping[str, Any], body: str, headers: Mapping[str, str]
    ) -> IntegrationResult:
        uri = str(integration.get("uri", ""))
        action_uri = _ACTION_URI.match(uri)
        if action_uri is None or action_uri.group("service") not in _TARGET_PREFIX:
            raise UnsupportedIntegration(f"the local gateway cannot call {uri!r}")
        service, action = action_uri.group("service"), action_uri.group("action")
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            parsed = None
        if service == "kinesis":
            try:
                _check_kinesis_request(action, parsed)
            except _KinesisRefusal as refusal:
                return IntegrationResult(
                    400, json.dumps({"__type": refusal.error_type, "message": str(refusal)})
                )
        request = AWSRequest(
            method=str(integration.get("httpMethod", "POST")),
            url=self._endpoint_url,
            data=body.encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                **headers,
                "X-Amz-Target": f"{_TARGET_PREFIX[service]}.{action}",
            },
        )
        SigV4Auth(self._credentials.get_frozen_credentials(), service, action_uri.group("region")).add_auth(
            request
        )
        response = self._http.send(request.prepare())
        return IntegrationResult(
            status=response.status_code,
            body=response.content.decode("utf-8", errors="replace"),
            headers={str(name): str(value) for name, value in response.headers.items()},
        )
