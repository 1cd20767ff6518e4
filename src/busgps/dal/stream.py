"""The Kinesis stream the devices' positions go to: the only code of the functions that writes to it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from busgps.logic.errors import StreamWriteFailed
from busgps.logic.intake import StreamRecord

if TYPE_CHECKING:
    from mypy_boto3_kinesis import KinesisClient
else:
    KinesisClient = Any

# Kinesis's own names, sorted by whose fault they are.
_THROTTLED = {"ProvisionedThroughputExceededException", "LimitExceededException", "KMSThrottlingException"}
_MISCONFIGURED = {
    "ResourceNotFoundException",
    "AccessDeniedException",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
    "KMSOptInRequired",
}


@dataclass(frozen=True)
class PutResult:
    """Where Kinesis put a record, or why it did not (a PutRecords entry can fail alone)."""

    shard_id: str | None = None
    sequence_number: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def _failure(error: ClientError | BotoCoreError) -> StreamWriteFailed:
    if isinstance(error, BotoCoreError):
        return StreamWriteFailed("unavailable", type(error).__name__, str(error))
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    message = str(details.get("Message", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
    if code in _THROTTLED:
        return StreamWriteFailed("throttled", code, message)
    if code in _MISCONFIGURED or code.startswith("KMS"):
        return StreamWriteFailed("misconfigured", code, message)
    if status >= 500:
        return StreamWriteFailed("unavailable", code, message)
    return StreamWriteFailed("refused", code, message)


@dataclass
class KinesisStream:
    client: KinesisClient
    stream_name: str

    def put(self, record: StreamRecord) -> PutResult:
        try:
            answer = self.client.put_record(
                StreamName=self.stream_name, Data=record.data, PartitionKey=record.partition_key
            )
        except (ClientError, BotoCoreError) as error:
            raise _failure(error) from error
        return PutResult(shard_id=answer["ShardId"], sequence_number=answer["SequenceNumber"])

    def put_many(self, records: Sequence[StreamRecord]) -> list[PutResult]:
        """One PutRecords call: a result per record, in order (failed entries carry their error)."""
        try:
            answer = self.client.put_records(
                StreamName=self.stream_name,
                Records=[{"Data": record.data, "PartitionKey": record.partition_key} for record in records],
            )
        except (ClientError, BotoCoreError) as error:
            raise _failure(error) from error
        return [
            PutResult(
                shard_id=entry.get("ShardId"),
                sequence_number=entry.get("SequenceNumber"),
                error_code=entry.get("ErrorCode"),
                error_message=entry.get("ErrorMessage"),
            )
            for entry in answer["Records"]
        ]
