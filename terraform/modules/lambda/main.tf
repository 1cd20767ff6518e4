locals {
  consumer_function_name  = "${var.name_prefix}-consumer"
  api_function_name       = "${var.name_prefix}-api"
  push_function_name      = "${var.name_prefix}-push"
  websocket_function_name = "${var.name_prefix}-websocket"
  ingest_function_name    = "${var.name_prefix}-ingest"

  # X-Ray's sampling of the ingest and consumer functions (1 request a second and 5 % of the rest
  # each), where the environment traces them.
  ingest_and_consumer_tracing = var.trace_ingest_and_consumer ? "Active" : "PassThrough"
  # Lambda's names of Powertools' levels, for its advanced logging controls.
  lambda_log_level = { DEBUG = "DEBUG", INFO = "INFO", WARNING = "WARN", ERROR = "ERROR", CRITICAL = "FATAL" }

  # Settings the functions read (see the README's Configuration section).
  powertools_environment = {
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }
  table_environment = {
    DYNAMODB_TABLE_NAME    = var.latest_table_name
    HISTORY_TABLE_NAME     = var.history_table_name
    TTL_SECONDS            = tostring(var.ttl_seconds)
    TTL_FIELD_NAME         = var.ttl_field_name
    HISTORY_RETENTION_DAYS = tostring(var.history_retention_days)
  }
  # What the functions that speak to WebSocket clients read.
  connection_environment = {
    CONNECTIONS_TABLE_NAME = var.connections_table_name
    WEBSOCKET_CALLBACK_URL = var.websocket_callback_url
    TTL_FIELD_NAME         = var.ttl_field_name
  }
  push_environment = {
    POWERTOOLS_SERVICE_NAME = "busgps-push"
  }
  websocket_environment = {
    FEED_MAX_AGE_SECONDS    = tostring(var.feed_max_age_seconds)
    POWERTOOLS_SERVICE_NAME = "busgps-websocket"
  }
  # PostToConnection on the WebSocket stage's connections, the only management call the code makes.
  manage_connections_arn = "${var.websocket_execution_arn}/${var.websocket_stage_name}/POST/@connections/*"
  consumer_environment = {
    DEAD_LETTER_QUEUE_URL               = var.invalid_records_queue_url
    NOISE_MAX_SPEED_MPS                 = tostring(var.noise_max_speed_mps)
    NOISE_MAX_ACCURACY_M                = tostring(var.noise_max_accuracy_m)
    THINNING_STATIONARY_DISTANCE_M      = tostring(var.thinning.stationary_distance_m)
    THINNING_STATIONARY_MAX_GAP_SECONDS = tostring(var.thinning.stationary_max_gap_seconds)
    THINNING_MIN_INTERVAL_SECONDS       = tostring(var.thinning.min_interval_seconds)
    POWERTOOLS_SERVICE_NAME             = "busgps-consumer"
  }
  api_environment = {
    CORS_ALLOW_ORIGIN       = var.cors_allow_origin
    FEED_MAX_AGE_SECONDS    = tostring(var.feed_max_age_seconds)
    FEED_REFRESH_SECONDS    = tostring(var.feed_refresh_seconds)
    POWERTOOLS_SERVICE_NAME = "busgps-api"
  }
  # The ingest function reads only its stream (busgps.settings.IngestSettings), and Powertools' own.
  ingest_environment = {
    STREAM_NAME                  = var.stream_name
    POWERTOOLS_SERVICE_NAME      = "busgps-ingest"
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Consumer: Kinesis -> DynamoDB, invalid records to SQS.
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "consumer" {
  name              = "/aws/lambda/${local.consumer_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "consumer" {
  name               = local.consumer_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "consumer" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.consumer.arn}:*"]
  }

  statement {
    sid = "ReadThePositionsStream"
    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ]
    resources = [var.stream_arn]
  }

  # With enhanced fan-out, Lambda reads through the stream's consumer: it describes the consumer and
  # subscribes to each shard with it (as Lambda's documentation for Kinesis consumers lists).
  dynamic "statement" {
    for_each = var.stream_consumer_arn == null ? [] : [var.stream_consumer_arn]
    content {
      sid       = "ReadThroughTheStreamConsumer"
      actions   = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
      resources = [statement.value]
    }
  }

  statement {
    sid = "StorePositions"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:PutItem",
    ]
    resources = [var.latest_table_arn, var.history_table_arn]
  }

  # The noise filters judge a batch against each bus's stored latest fix.
  statement {
    sid       = "ReadLatestPositions"
    actions   = ["dynamodb:BatchGetItem"]
    resources = [var.latest_table_arn]
  }

  statement {
    # SendMessageBatch is authorized as sqs:SendMessage.
    sid       = "SendInvalidRecordsAndFailedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [var.invalid_records_queue_arn, var.consumer_failure_queue_arn]
  }

  # The stream, the queues and the environment variables are encrypted with this key.
  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: these two actions only accept "*".
  dynamic "statement" {
    for_each = var.trace_ingest_and_consumer ? ["traced"] : []
    content {
      sid       = "SendTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "consumer" {
  name   = "least-privilege"
  role   = aws_iam_role.consumer.id
  policy = data.aws_iam_policy_document.consumer.json
}

resource "aws_lambda_function" "consumer" {
  #checkov:skip=CKV_AWS_116:Kinesis invokes it synchronously; failed batches go to the event source mapping's on-failure queue.
  #checkov:skip=CKV_AWS_117:Talks only to Kinesis, DynamoDB and SQS public endpoints; a VPC would add NAT or endpoint costs and no protection.
  #checkov:skip=CKV_AWS_272:The zip is built by make package in CI from the reviewed commit; code signing needs an AWS Signer profile outside this stack.
  function_name                  = local.consumer_function_name
  description                    = "Stores bus positions from Kinesis in DynamoDB"
  role                           = aws_iam_role.consumer.arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "busgps.handlers.consumer.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.consumer_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(local.powertools_environment, local.table_environment, local.consumer_environment)
  }

  tracing_config {
    mode = local.ingest_and_consumer_tracing
  }

  depends_on = [aws_cloudwatch_log_group.consumer, aws_iam_role_policy.consumer]
}

resource "aws_lambda_event_source_mapping" "positions" {
  # The stream consumer's ARN makes the mapping an enhanced fan-out one: Kinesis pushes the records.
  event_source_arn                   = coalesce(var.stream_consumer_arn, var.stream_arn)
  function_name                      = aws_lambda_function.consumer.arn
  starting_position                  = var.starting_position
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  parallelization_factor             = var.parallelization_factor
  bisect_batch_on_function_error     = var.bisect_batch_on_function_error
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = var.consumer_failure_queue_arn
    }
  }
}

# ---------------------------------------------------------------------------------------------
# API: the read routes behind API Gateway.
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/lambda/${local.api_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "api" {
  name               = local.api_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.api.arn}:*"]
  }

  statement {
    sid       = "ReadPositions"
    actions   = ["dynamodb:Query", "dynamodb:Scan"]
    resources = [var.latest_table_arn, var.history_table_arn]
  }

  # The environment variables are encrypted with this key.
  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: these two actions only accept "*".
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "least-privilege"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}

resource "aws_lambda_function" "api" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes it synchronously and gets the error back; there is no asynchronous event to keep.
  #checkov:skip=CKV_AWS_117:Talks only to the DynamoDB public endpoint; a VPC would add NAT or endpoint costs and no protection.
  #checkov:skip=CKV_AWS_272:The zip is built by make package in CI from the reviewed commit; code signing needs an AWS Signer profile outside this stack.
  function_name                  = local.api_function_name
  description                    = "Serves bus positions to riders through API Gateway"
  role                           = aws_iam_role.api.arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "busgps.handlers.api.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.api_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(local.powertools_environment, local.table_environment, local.api_environment)
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.api, aws_iam_role_policy.api]
}

# API Gateway may invoke the API function for GET routes of this API only.
resource "aws_lambda_permission" "api_gateway_invokes_api" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.api_execution_arn}/*/GET/*"
}

# ---------------------------------------------------------------------------------------------
# Push: the latest-position table's stream -> one message per WebSocket subscriber per batch.
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "push" {
  name              = "/aws/lambda/${local.push_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "push" {
  name               = local.push_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "push" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.push.arn}:*"]
  }

  # What the event source mapping reads on the function's behalf.
  statement {
    sid = "ReadTheLatestPositionsStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    resources = [var.latest_table_stream_arn]
  }

  statement {
    sid       = "FindAndForgetSubscribers"
    actions   = ["dynamodb:DeleteItem", "dynamodb:Scan"]
    resources = [var.connections_table_arn]
  }

  statement {
    sid       = "SendToSubscribers"
    actions   = ["execute-api:ManageConnections"]
    resources = [local.manage_connections_arn]
  }

  # The tables, their stream and the environment variables are encrypted with this key.
  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: these two actions only accept "*".
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "push" {
  name   = "least-privilege"
  role   = aws_iam_role.push.id
  policy = data.aws_iam_policy_document.push.json
}

resource "aws_lambda_function" "push" {
  #checkov:skip=CKV_AWS_116:The stream's event source mapping invokes it synchronously; a position not pushed is still stored and served.
  #checkov:skip=CKV_AWS_117:Talks only to DynamoDB and API Gateway public endpoints; a VPC would add NAT or endpoint costs and no protection.
  #checkov:skip=CKV_AWS_272:The zip is built by make package in CI from the reviewed commit; code signing needs an AWS Signer profile outside this stack.
  function_name                  = local.push_function_name
  description                    = "Pushes the buses that changed to WebSocket subscribers"
  role                           = aws_iam_role.push.arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "busgps.handlers.push.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.push_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(local.powertools_environment, local.connection_environment, local.push_environment)
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.push, aws_iam_role_policy.push]
}

# No on-failure destination: a change not pushed is still stored, and the next one follows.
resource "aws_lambda_event_source_mapping" "latest_positions" {
  event_source_arn                   = var.latest_table_stream_arn
  function_name                      = aws_lambda_function.push.arn
  starting_position                  = "LATEST"
  batch_size                         = var.push_batch_size
  maximum_batching_window_in_seconds = var.push_batching_window_seconds
  maximum_retry_attempts             = var.push_maximum_retry_attempts
  maximum_record_age_in_seconds      = var.push_maximum_record_age_seconds
  bisect_batch_on_function_error     = false
}

# ---------------------------------------------------------------------------------------------
# WebSocket: $connect, $disconnect, subscribe, ping and $default of the WebSocket API.
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "websocket" {
  name              = "/aws/lambda/${local.websocket_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "websocket" {
  name               = local.websocket_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "websocket" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.websocket.arn}:*"]
  }

  statement {
    sid       = "KeepConnectionsAndSubscriptions"
    actions   = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [var.connections_table_arn]
  }

  # A subscription's snapshot: the latest positions.
  statement {
    sid       = "ReadLatestPositions"
    actions   = ["dynamodb:Scan"]
    resources = [var.latest_table_arn]
  }

  statement {
    sid       = "AnswerClients"
    actions   = ["execute-api:ManageConnections"]
    resources = [local.manage_connections_arn]
  }

  # The tables and the environment variables are encrypted with this key.
  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: these two actions only accept "*".
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "websocket" {
  name   = "least-privilege"
  role   = aws_iam_role.websocket.id
  policy = data.aws_iam_policy_document.websocket.json
}

resource "aws_lambda_function" "websocket" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes it synchronously for each route; there is no asynchronous event to keep.
  #checkov:skip=CKV_AWS_117:Talks only to DynamoDB and API Gateway public endpoints; a VPC would add NAT or endpoint costs and no protection.
  #checkov:skip=CKV_AWS_272:The zip is built by make package in CI from the reviewed commit; code signing needs an AWS Signer profile outside this stack.
  function_name                  = local.websocket_function_name
  description                    = "Answers the WebSocket API's routes: connections and subscriptions"
  role                           = aws_iam_role.websocket.arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "busgps.handlers.websocket.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.websocket_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(local.powertools_environment, local.table_environment, local.connection_environment, local.websocket_environment)
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.websocket, aws_iam_role_policy.websocket]
}

# The WebSocket API may invoke it for its routes only.
resource "aws_lambda_permission" "websocket_api_invokes_websocket" {
  statement_id  = "AllowWebSocketApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.websocket.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.websocket_execution_arn}/${var.websocket_stage_name}/*"
}

# ---------------------------------------------------------------------------------------------
# Ingest: the devices' POST routes behind the HTTP API, to Kinesis.
# ---------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "ingest" {
  name              = "/aws/lambda/${local.ingest_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "ingest" {
  name               = local.ingest_function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.ingest.arn}:*"]
  }

  # What busgps.dal.stream calls, on the positions stream only.
  statement {
    sid       = "PutPositions"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = [var.stream_arn]
  }

  # The stream is encrypted with this key (writers need a data key), and so are the environment
  # variables (Lambda decrypts them with the function's role).
  statement {
    sid       = "UseTheKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions: these two actions only accept "*".
  dynamic "statement" {
    for_each = var.trace_ingest_and_consumer ? ["traced"] : []
    content {
      sid       = "SendTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "least-privilege"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_lambda_function" "ingest" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes it synchronously and gets the error back; there is no asynchronous event to keep.
  #checkov:skip=CKV_AWS_117:Talks only to the Kinesis public endpoint; a VPC would add NAT or endpoint costs and no protection.
  #checkov:skip=CKV_AWS_272:The zip is built by make package in CI from the reviewed commit; code signing needs an AWS Signer profile outside this stack.
  function_name                  = local.ingest_function_name
  description                    = "Checks the devices' positions and writes them to Kinesis, behind the HTTP API"
  role                           = aws_iam_role.ingest.arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "busgps.handlers.ingest.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.ingest_memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.ingest_reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.ingest_environment
  }

  # The function logs JSON itself; Lambda's own START, END and REPORT lines (three a request, 87.6
  # million requests a month for the reference fleet) are left out below WARN.
  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.ingest.name
    application_log_level = local.lambda_log_level[var.log_level]
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = local.ingest_and_consumer_tracing
  }

  depends_on = [aws_cloudwatch_log_group.ingest, aws_iam_role_policy.ingest]
}

# The devices' HTTP API may invoke the ingest function for its POST routes only.
resource "aws_lambda_permission" "api_gateway_invokes_ingest" {
  statement_id  = "AllowIngestApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.ingest.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.ingest_api_execution_arn}/*/POST/*"
}
