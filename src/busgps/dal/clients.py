"""AWS clients, made once per process on first use (never at import).

boto3 reads AWS_ENDPOINT_URL, so the same code reaches AWS or the local emulator.
"""

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_sqs import SQSClient
else:
    DynamoDBClient = KinesisClient = SQSClient = Any

# Our writers retry throttling themselves, with their own bound; the SDK adds one retry for the network.
# The pool holds a connection for each of the consumer's concurrent writes of latest positions
# (`positions.LATEST_WRITE_CONCURRENCY`, 16) and more: with urllib3's default of 10, every write past
# the tenth opened a new connection (a TLS handshake on AWS) and threw it away afterwards.
MAX_POOL_CONNECTIONS = 32
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=5,
    read_timeout=10,
    max_pool_connections=MAX_POOL_CONNECTIONS,
)


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CONFIG)


@lru_cache(maxsize=1)
def sqs_client() -> SQSClient:
    return boto3.client("sqs", config=_CONFIG)


@lru_cache(maxsize=1)
def kinesis_client() -> KinesisClient:
    return boto3.client("kinesis", config=_CONFIG)
