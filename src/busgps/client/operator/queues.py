"""Reading an SQS queue without consuming it, so that what it holds stays for other operators.

SQS has no "peek". Receiving with a visibility timeout of 0 returns the same first messages again and
again (in the emulator always, in SQS often), so a listing could never get past them. Instead each
message is received, held for a short visibility timeout while the queue is walked, and made visible
again at once afterwards (ChangeMessageVisibility to 0), also when the command fails; should the
command die, SQS makes them visible again when the timeout ends. Nothing is deleted; only each
message's ApproximateReceiveCount grows (neither queue has a redrive policy that would act on it).
"""

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps import aws_limits

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

# Long enough to walk a queue of thousands of messages; they are made visible again right after.
PEEK_VISIBILITY_SECONDS = 30
# One long poll confirms that the queue is walked: SQS's short polls may answer empty on small queues.
CONFIRM_WAIT_SECONDS = 1


def receive_all(
    sqs: "SQSClient", queue_url: str, limit: int, visibility_seconds: int, confirm_empty: bool = True
) -> list["MessageTypeDef"]:
    """Up to `limit` distinct messages, each hidden for `visibility_seconds` (make them visible again)."""
    messages: dict[str, MessageTypeDef] = {}
    while len(messages) < limit:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(aws_limits.SQS_BATCH_MAX_ENTRIES, limit - len(messages)),
            VisibilityTimeout=visibility_seconds,
            MessageSystemAttributeNames=["SentTimestamp"],
        )
        received = response.get("Messages", [])
        if not received and confirm_empty:
            response = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(aws_limits.SQS_BATCH_MAX_ENTRIES, limit - len(messages)),
                VisibilityTimeout=visibility_seconds,
                MessageSystemAttributeNames=["SentTimestamp"],
                WaitTimeSeconds=CONFIRM_WAIT_SECONDS,
            )
            received = response.get("Messages", [])
        if not received:
            break
        for message in received:
            messages.setdefault(message["MessageId"], message)
    return list(messages.values())


def make_visible(sqs: "SQSClient", queue_url: str, messages: Sequence["MessageTypeDef"]) -> None:
    """Make received messages visible to everyone again (those deleted meanwhile are skipped)."""
    for start in range(0, len(messages), aws_limits.SQS_BATCH_MAX_ENTRIES):
        chunk = messages[start : start + aws_limits.SQS_BATCH_MAX_ENTRIES]
        with contextlib.suppress(ClientError):
            sqs.change_message_visibility_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                    for index, message in enumerate(chunk)
                ],
            )


@contextlib.contextmanager
def peeked(
    sqs: "SQSClient",
    queue_url: str,
    limit: int,
    visibility_seconds: int = PEEK_VISIBILITY_SECONDS,
    confirm_empty: bool = True,
) -> Iterator[list["MessageTypeDef"]]:
    """The queue's messages (up to `limit`), visible to others again when the block ends (but for those
    the block deleted)."""
    messages = receive_all(sqs, queue_url, limit, visibility_seconds, confirm_empty)
    try:
        yield messages
    finally:
        make_visible(sqs, queue_url, messages)


def sent_at_ms(message: "MessageTypeDef") -> int | None:
    attributes: Any = message.get("Attributes", {})
    value = attributes.get("SentTimestamp")
    return int(value) if value else None
