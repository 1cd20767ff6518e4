"""The Lambda proxy integration's contract: the event API Gateway sends and the response it accepts."""

import base64
import re
from typing import Any

import pytest

from busgps.local.gateway.context import RequestFacts
from busgps.local.gateway.lambda_proxy import (
    BadProxyResponse,
    binary_answer,
    function_arn,
    http_api_event,
    lambda_context,
    proxy_event,
    read_http_api_response,
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
    # When it is read by an API whose every media type is binary
    answer = read_proxy_response(result, accept="text/plain", binary_media_types=["*/*"])
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
        read_proxy_response(result)


def test_a_base64_body_stays_text_for_a_client_that_does_not_accept_binary() -> None:
    # Given a function's base64 protobuf answer
    result = {"statusCode": 200, "body": base64.b64encode(b"\x0a\x03").decode(), "isBase64Encoded": True}
    # When it is read for a client whose first Accept type is not a binary media type
    answer = read_proxy_response(result, accept="text/html", binary_media_types=["application/x-protobuf"])
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
def test_only_the_first_accept_type_decides_whether_an_answer_of_another_type_is_binary(
    accept: str | None, binary: bool
) -> None:
    # Given an API whose binary media type is protobuf's, and an answer of no binary type
    # When a client sends this Accept header
    # Then API Gateway sends binary only if its first type is a binary media type
    assert binary_answer(accept, "application/json", ["application/x-protobuf"]) is binary


def test_an_answer_of_a_binary_media_type_is_binary_whatever_the_client_accepts() -> None:
    # Given answers whose Content-Type is, or is not, one of the API's binary media types
    # Then the type of the answer decides when the Accept header does not
    assert binary_answer(None, "application/x-protobuf", ["application/x-protobuf"])
    assert binary_answer("text/html", "application/x-protobuf", ["*/*"])
    assert binary_answer("image/png", None, ["image/*"])
    assert not binary_answer("text/html", "text/html", ["image/*"])


def test_a_rest_request_body_of_a_binary_media_type_reaches_the_function_as_base64() -> None:
    # Given an API whose every media type is binary, and a request with a body
    facts = RequestFacts(
        "abcdefghij", "123456789012", "local", "GET", "/x", "10.0.0.7", "curl/8", "localhost"
    )
    # When the proxy event is built
    event = proxy_event(facts, {}, "/x", {"content-type": ["text/plain"]}, {}, b"hi", ["*/*"])
    # Then its body is base64, as API Gateway sends a binary payload
    assert (event["body"], event["isBase64Encoded"]) == ("aGk=", True)


def test_the_http_api_event_has_the_payload_format_2_shape() -> None:
    # Given a device's POST with repeated headers, a cookie, a query string, and the authorizer's claims
    facts = RequestFacts(
        api_id="abcdefghij",
        account_id="123456789012",
        stage="$default",
        http_method="POST",
        path="/v1/positions",
        source_ip="10.0.0.7",
        user_agent="device/1.0",
        domain_name="127.0.0.1:9000",
        claims={"sub": "user-1", "token_use": "id"},
    )
    headers = {
        "content-type": ["application/json"],
        "x-tag": ["a", "b"],
        "cookie": ["c1=1; c2=2"],
        "user-agent": ["device/1.0"],
    }
    # When the payload format 2.0 event is built
    event = http_api_event(
        facts, "POST /v1/positions", {}, headers, "trace=1&trace=2&x=", b'{"positions": []}'
    )
    # Then it has AWS's keys and values: headers joined by commas, cookies apart, the query as sent and
    # parsed, the route key, the JWT claims, a text body as is
    assert list(event) == [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "body",
        "isBase64Encoded",
    ]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/positions"
    assert event["rawPath"] == "/v1/positions"
    assert event["rawQueryString"] == "trace=1&trace=2&x="
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert event["headers"] == {
        "content-type": "application/json",
        "x-tag": "a,b",
        "user-agent": "device/1.0",
    }
    assert event["queryStringParameters"] == {"trace": "1,2", "x": ""}
    assert (event["body"], event["isBase64Encoded"]) == ('{"positions": []}', False)
    context = event["requestContext"]
    assert context["authorizer"] == {"jwt": {"claims": {"sub": "user-1", "token_use": "id"}, "scopes": None}}
    assert context["http"] == {
        "method": "POST",
        "path": "/v1/positions",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.7",
        "userAgent": "device/1.0",
    }
    assert (context["routeKey"], context["stage"], context["apiId"]) == (
        "POST /v1/positions",
        "$default",
        "abcdefghij",
    )
    assert context["domainPrefix"] == "127"
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["time"])
    assert isinstance(context["timeEpoch"], int)


def test_an_http_api_event_without_a_body_or_query_leaves_them_out_and_a_binary_body_is_base64() -> None:
    facts = RequestFacts("abcdefghij", "123456789012", "$default", "POST", "/x", "10.0.0.7", "", "localhost")
    # Given a request without query or cookies, first without a body, then with a binary one
    bare = http_api_event(facts, "POST /x", {}, {}, "", b"")
    binary = http_api_event(facts, "POST /x", {}, {"content-type": ["application/octet-stream"]}, "", b"\x00")
    # Then the keys AWS leaves out are left out, and the binary body is base64
    assert set(bare) == {
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "isBase64Encoded",
    }
    assert "authorizer" not in bare["requestContext"]
    assert (binary["body"], binary["isBase64Encoded"]) == ("AA==", True)


@pytest.mark.parametrize(
    ("result", "status", "headers", "body"),
    [
        (
            {"statusCode": 201, "headers": {"Content-Type": "text/plain"}, "cookies": ["a=1"], "body": "hi"},
            201,
            [("Content-Type", "text/plain"), ("set-cookie", "a=1")],
            b"hi",
        ),
        (
            {"statusCode": 200, "body": base64.b64encode(b"\x0a").decode(), "isBase64Encoded": True},
            200,
            [],
            b"\x0a",
        ),
        (
            {"message": "no statusCode"},
            200,
            [("content-type", "application/json")],
            b'{"message": "no statusCode"}',
        ),
        ("plain", 200, [("content-type", "application/json")], b"plain"),
    ],
)
def test_an_http_api_reads_the_function_answer_by_the_payload_format_2_rules(
    result: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    # Given a function's answer: a response, or anything else (then taken as a JSON body of a 200)
    # When the HTTP API reads it
    answer = read_http_api_response(result)
    # Then it answers that status, those headers and that body
    assert (answer.status, answer.headers, answer.body) == (status, headers, body)


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "ok"},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "headers": ["a"]},
        {"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 1)},
        {1, 2},
    ],
)
def test_an_http_api_refuses_a_malformed_answer(result: Any) -> None:
    # Given an answer an HTTP API cannot send (or one over Lambda's 6 MB)
    # Then it is refused, as API Gateway answers 500 to it
    with pytest.raises(BadProxyResponse):
        read_http_api_response(result)
