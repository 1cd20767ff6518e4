"""AWS's documented service limits that our code must respect itself.

Emulators accept calls that AWS refuses (a BatchWriteItem of 26 items, a 2 MiB Kinesis record), so
the writers size their calls by these numbers and `busgps.local.aws_limits` fails any call beyond them.
"""

DYNAMODB_BATCH_WRITE_MAX_ITEMS = 25
DYNAMODB_ITEM_MAX_BYTES = 400 * 1024
KINESIS_PUT_RECORDS_MAX_RECORDS = 500
KINESIS_PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024
KINESIS_RECORD_MAX_BYTES = 1024 * 1024
KINESIS_PARTITION_KEY_MAX_CHARS = 256
API_GATEWAY_PAYLOAD_MAX_BYTES = 10 * 1024 * 1024
LAMBDA_RESPONSE_MAX_BYTES = 6 * 1024 * 1024
# A synchronous Invoke's payload (the event).
LAMBDA_INVOKE_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024
SQS_BATCH_MAX_ENTRIES = 10
# SQS accepts up to 1 MiB in newer accounts; 256 KiB holds everywhere.
SQS_MESSAGE_MAX_BYTES = 256 * 1024
# API Gateway WebSocket APIs: a frame carries at most 32 KB, messages are billed in 32 KB units, and a
# connection is closed after 10 idle minutes and after 2 hours in any case.
WEBSOCKET_FRAME_MAX_BYTES = 32 * 1024
WEBSOCKET_IDLE_TIMEOUT_SECONDS = 10 * 60
WEBSOCKET_CONNECTION_MAX_SECONDS = 2 * 60 * 60
