"""The Lambda proxy integration's contract: the event API Gateway sends and the response it accepts."""

import base64
import re
from typing import Any

import pytest

from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.lambda_proxy import (
    BadProxyResponse,
    accepts_binary,
    function_arn,
    lambda_context,
    proxy_event,
    read_proxy_response,
)

from .conftest import INVOKE_ARN


def test_the_context_names_the_function_of_the_invoke_arn() -> None:
    # Given the invoke ARN of the query function
    # When a Lambda context is made for a call
    context = lambda_context(INVOKE_ARN, "req-1", memory_mb=256, timeout_seconds=30)
    # Then it names the function as Lambda would, and counts down its time
    assert function_arn(INVOKE_ARN) == "arn:aws:lambda:us-east-1:123456789012:function:busgps-test-api"
    assert context.function_name == "busgps-test-api"
    assert context.invoked_function_arn == function_arn(INVOKE_ARN)
    assert context.aws_request_id == "req-1"
    assert context.memory_limit_in_mb == 256
    assert 29_000 < context.get_remaining_time_in_millis() <= 30_000
    assert context.log_group_name == "/aws/lambda/busgps-test-api"


def test_the_event_has_the_rest_proxy_shape() -> None:
    # Given a request with repeated query parameters and headers, and no body
    facts = RequestFacts(
        api_id="abcdefghij",
        account_id="123456789012",
        stage="local",
        http_method="GET",
        path="/local/v1/buses/b1/positions",
        source_ip="10.0.0.7",
        user_agent="curl/8",
        domain_name="localhost",
        resource_path="/v1/buses/{busId}/positions",
    )
    # When the proxy event is built
    event = proxy_event(
        facts,
        {"busId": "b1"},
        "/v1/buses/b1/positions",
        {"accept": ["application/json"], "x-tag": ["a", "b"]},
        {"limit": ["5", "10"]},
        b"",
    )
    # Then it has the keys of API Gateway's REST (v1) proxy event, and their values
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert set(event["requestContext"]) == {
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "extendedRequestId",
        "httpMethod",
        "identity",
        "path",
        "protocol",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "resourceId",
        "resourcePath",
        "stage",
    }
    assert event["resource"] == "/v1/buses/{busId}/positions"
    assert event["path"] == "/v1/buses/b1/positions"
    assert event["httpMethod"] == "GET"
    assert event["headers"] == {"accept": "application/json", "x-tag": "b"}
    assert event["multiValueHeaders"]["x-tag"] == ["a", "b"]
    assert event["queryStringParameters"] == {"limit": "10"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5", "10"]}
    assert event["pathParameters"] == {"busId": "b1"}
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["path"] == "/local/v1/buses/b1/positions"
    assert context["resourcePath"] == "/v1/buses/{busId}/positions"
    assert context["identity"]["sourceIp"] == "10.0.0.7"
    assert context["identity"]["userAgent"] == "curl/8"
    assert isinstance(context["requestTimeEpoch"], int)
    # API Gateway's CLF time, e.g. 01/Dec/2026:08:32:42 +0000
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["requestTime"])
    assert "authorizer" not in context


def test_a_proxy_response_with_both_header_maps_is_read() -> None:
    # Given a function's proxy response with single and multi-value headers and a base64 body
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-One": ["m"]},
        "body": base64.b64encode(b"hello").decode(),
        "isBase64Encoded": True,
    }
    # When it is read for a client that accepts binary
    answer = read_proxy_response(result, binary=True)
    # Then the multi-value headers win over the single ones of the same name, and the body is decoded
    assert answer.status == 201
    assert sorted(answer.headers) == [
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-One", "m"),
    ]
    assert answer.body == b"hello"


@pytest.mark.parametrize(
    "result",
    [
        None,
        "200",
        {"body": "x"},
        {"statusCode": "ok"},
        {"statusCode": True},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "headers": ["a"]},
        {"statusCode": 200, "extra": 1},
        {"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 1)},
    ],
)
def test_a_malformed_proxy_response_is_refused(result: Any) -> None:
    # Given an answer that is not a valid proxy response (or one over Lambda's 6 MB)
    # When it is read
    # Then it is refused, as API Gateway answers 502 to it
    with pytest.raises(BadProxyResponse):
        read_proxy_response(result, binary=False)


def test_a_base64_body_stays_text_for_a_client_that_does_not_accept_binary() -> None:
    # Given a function's base64 protobuf answer
    result = {"statusCode": 200, "body": base64.b64encode(b"\x0a\x03").decode(), "isBase64Encoded": True}
    # When it is read for a client whose first Accept type is not a binary media type
    answer = read_proxy_response(result, binary=False)
    # Then the client gets the base64 text, as API Gateway sends it
    assert answer.body == b"CgM="


@pytest.mark.parametrize(
    ("accept", "binary"),
    [
        ("application/x-protobuf", True),
        ("application/x-protobuf;q=0.9, */*", True),
        ("application/json, application/x-protobuf", False),  # only the first type counts
        ("*/*", False),
        (None, False),
        ("", False),
    ],
)
def test_only_the_first_accept_type_decides_whether_the_answer_is_binary(
    accept: str | None, binary: bool
) -> None:
    # Given an API whose binary media type is protobuf's
    # When a client sends this Accept header
    # Then API Gateway sends binary only if its first type is a binary media type
    assert accepts_binary(accept, ["application/x-protobuf"]) is binary


def test_a_wildcard_binary_media_type_takes_any_accept_type() -> None:
    assert accepts_binary("text/html", ["*/*"])
    assert accepts_binary("image/png", ["image/*"])
    assert not accepts_binary("text/html", ["image/*"])
