"""The local stack's Lambda Invoke API, through boto3's Lambda client as tools call AWS's."""

import base64
import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from busgps.local.lambda_api import LambdaApi, LocalFunction

pytestmark = pytest.mark.integration

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:busgps-test-consumer"


@pytest.fixture(scope="module")
def lambda_api() -> Iterator[tuple[LambdaApi, list[str]]]:
    """The API serving a function that prints what it handles and raises when told to; and its log."""
    log: list[str] = []
    function = LocalFunction(FUNCTION_ARN, "support.chatty_handler.lambda_handler", 5.0, 128, log.append)
    api = LambdaApi("127.0.0.1", 0, [function])
    api.start()
    yield api, log
    api.stop()


@pytest.fixture(scope="module")
def lambda_client(lambda_api: tuple[LambdaApi, list[str]]):  # type: ignore[no-untyped-def]
    return boto3.client(
        "lambda",
        endpoint_url=lambda_api[0].endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_an_invocation_answers_the_functions_response_and_its_log_tail(lambda_client, lambda_api):
    # When the function is invoked by name with two records, asking for the log's tail
    response = lambda_client.invoke(
        FunctionName="busgps-test-consumer",
        Payload=json.dumps({"Records": [{}, {}]}),
        LogType="Tail",
    )

    # Then it answers the handler's response, with no function error
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"batchItemFailures": []}
    # And the tail holds the invocation's log between Lambda's START and REPORT lines
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId: ")
    assert "handled 2 records\n" in tail
    assert "REPORT RequestId: " in tail
    # And the stack's log got the same output
    assert "handled 2 records\na warning\n" in lambda_api[1]


def test_a_handler_error_is_a_function_error_with_lambdas_payload(lambda_client):
    # When the function is invoked by ARN with an event that makes it raise
    response = lambda_client.invoke(FunctionName=FUNCTION_ARN, Payload=json.dumps({"fail": "bad batch"}))

    # Then the call succeeds, and says the function failed, with the error's type and message
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "bad batch")


@pytest.mark.parametrize("name", ["busgps-another-function", FUNCTION_ARN + ":7"])
def test_an_unknown_function_or_version_is_not_found(lambda_client, name):
    # When another function, or a version that is not $LATEST, is invoked
    with pytest.raises(ClientError) as refused:
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    # Then Lambda's error says it does not exist
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_payload_that_is_not_json_is_refused(lambda_client):
    with pytest.raises(ClientError) as refused:
        lambda_client.invoke(FunctionName="busgps-test-consumer", Payload=b"{not json")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_a_dry_run_checks_without_invoking(lambda_client, lambda_api):
    # Given what the function has logged so far
    logged = len(lambda_api[1])
    # When a dry run is asked, Then it answers 204 and the function did not run
    response = lambda_client.invoke(FunctionName="busgps-test-consumer", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert len(lambda_api[1]) == logged
