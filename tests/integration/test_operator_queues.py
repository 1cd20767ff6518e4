"""Reading the operators' queues without consuming them, on the emulator's SQS."""

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest

from busgps.client.operator.queues import peeked
from busgps.client.operator.rejects import list_rejects

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(moto_endpoint: str) -> Iterator[str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"operator-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


def test_every_message_is_listed_and_stays_visible(queue: str) -> None:
    # Given 25 refused records, more than one receive returns
    sqs = boto3.client("sqs")
    for number in range(25):
        body = {"reason": f"reason {number}", "record": {"partitionKey": f"bus-{number}", "data": ""}}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))

    # When they are listed twice
    first = list_rejects(sqs, queue)
    second = list_rejects(sqs, queue)

    # Then each listing has all 25, once each
    assert sorted(reject.reason for reject in first) == sorted(f"reason {number}" for number in range(25))
    assert {reject.message_id for reject in second} == {reject.message_id for reject in first}
    # And another reader receives them at once: nothing was consumed or left hidden
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert len(received["Messages"]) == 10


def test_messages_are_visible_again_even_when_the_reader_fails(queue: str) -> None:
    # Given a message, and a reader that fails while it holds it
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody="{}")
    held: list[int] = []

    def read_and_fail() -> None:
        with peeked(sqs, queue, limit=10) as messages:
            held.append(len(messages))
            raise RuntimeError("the reader failed")

    with pytest.raises(RuntimeError):
        read_and_fail()
    assert held == [1]
    # Then the message is visible again at once
    assert len(sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0).get("Messages", [])) == 1
