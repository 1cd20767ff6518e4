locals {
  name_prefix   = "busgps-${var.environment}"
  is_production = var.environment == "production"

  # One zip serves every function; its architecture must match the functions'.
  lambda_package_path = "${var.lambda_package_dir}/busgps-lambda-${var.lambda_architecture}.zip"

  # The WebSocket protocol's one schema: its routes, and the fields the map subscribes to.
  websocket_schema_path = "${path.root}/../src/busgps/models/websocket.schema.json"
}

module "kms" {
  source = "./modules/kms"

  alias_name  = local.name_prefix
  description = "busgps ${var.environment}: stream, tables, queues, logs, topic and function settings"
}

module "kinesis" {
  source = "./modules/kinesis"

  stream_name     = var.stream_name
  stream_mode     = var.kinesis_stream_mode
  shard_count     = var.kinesis_shard_count
  retention_hours = var.kinesis_retention_hours
  kms_key_arn     = module.kms.key_arn

  enhanced_fan_out = var.consumer_enhanced_fan_out
  consumer_name    = "${local.name_prefix}-consumer"
}

module "dynamodb" {
  source = "./modules/dynamodb"

  latest_table_name          = var.latest_table_name
  history_table_name         = var.history_table_name
  connections_table_name     = var.connections_table_name
  ttl_field_name             = var.ttl_field_name
  billing_mode               = var.dynamodb_billing_mode
  capacity                   = var.dynamodb_capacity
  autoscaling_max_factor     = var.dynamodb_autoscaling_max_factor
  autoscaling_target_percent = var.dynamodb_autoscaling_target_percent
  deletion_protection        = local.is_production
  kms_key_arn                = module.kms.key_arn
}

module "sqs" {
  source = "./modules/sqs"

  invalid_records_queue_name  = var.invalid_records_queue_name
  consumer_failure_queue_name = var.consumer_failure_queue_name
  kms_key_arn                 = module.kms.key_arn
}

module "cognito" {
  source = "./modules/cognito"

  user_pool_name          = var.user_pool_name
  deletion_protection     = local.is_production
  hosted_ui_domain_prefix = var.cognito_hosted_ui_domain_prefix
}

module "lambda" {
  source = "./modules/lambda"

  name_prefix        = local.name_prefix
  package_path       = local.lambda_package_path
  architecture       = var.lambda_architecture
  memory_mb          = var.lambda_memory_mb
  ingest_memory_mb   = var.ingest_memory_mb
  timeout_seconds    = var.lambda_timeout_seconds
  log_retention_days = var.log_retention_days
  log_level          = local.is_production ? "INFO" : "DEBUG"
  kms_key_arn        = module.kms.key_arn

  trace_ingest_and_consumer = var.trace_ingest_and_consumer

  stream_arn             = module.kinesis.stream_arn
  stream_consumer_arn    = module.kinesis.consumer_arn
  stream_name            = module.kinesis.stream_name
  latest_table_name      = module.dynamodb.latest_table_name
  latest_table_arn       = module.dynamodb.latest_table_arn
  history_table_name     = module.dynamodb.history_table_name
  history_table_arn      = module.dynamodb.history_table_arn
  ttl_seconds            = var.ttl_seconds
  ttl_field_name         = var.ttl_field_name
  cors_allow_origin      = var.cors_allow_origin
  history_retention_days = var.history_retention_days
  noise_max_speed_mps    = var.noise_max_speed_mps
  noise_max_accuracy_m   = var.noise_max_accuracy_m
  thinning = {
    stationary_distance_m      = var.thinning_stationary_distance_m
    stationary_max_gap_seconds = var.thinning_stationary_max_gap_seconds
    min_interval_seconds       = var.thinning_min_interval_seconds
  }
  feed_max_age_seconds       = var.feed_max_age_seconds
  feed_refresh_seconds       = var.feed_refresh_seconds
  invalid_records_queue_url  = module.sqs.invalid_records_queue_url
  invalid_records_queue_arn  = module.sqs.invalid_records_queue_arn
  consumer_failure_queue_arn = module.sqs.consumer_failure_queue_arn
  api_execution_arn          = module.api_gateway.execution_arn
  ingest_api_execution_arn   = module.api_gateway.ingest_execution_arn

  latest_table_stream_arn         = module.dynamodb.latest_table_stream_arn
  connections_table_name          = module.dynamodb.connections_table_name
  connections_table_arn           = module.dynamodb.connections_table_arn
  websocket_callback_url          = module.api_gateway.websocket_callback_url
  websocket_execution_arn         = module.api_gateway.websocket_execution_arn
  websocket_stage_name            = module.api_gateway.websocket_stage_name
  push_batch_size                 = var.push_batch_size
  push_batching_window_seconds    = var.push_batching_window_seconds
  push_maximum_retry_attempts     = var.push_maximum_retry_attempts
  push_maximum_record_age_seconds = var.push_maximum_record_age_seconds

  batch_size                     = var.consumer_batch_size
  batching_window_seconds        = var.consumer_batching_window_seconds
  parallelization_factor         = var.consumer_parallelization_factor
  starting_position              = var.consumer_starting_position
  bisect_batch_on_function_error = var.consumer_bisect_batch_on_function_error
  maximum_retry_attempts         = var.consumer_maximum_retry_attempts
  maximum_record_age_seconds     = var.consumer_maximum_record_age_seconds
}

module "api_gateway" {
  source = "./modules/api_gateway"

  name                         = local.name_prefix
  stage_name                   = var.environment
  openapi_template_path        = "${path.root}/../api/openapi.yaml"
  ingest_openapi_template_path = "${path.root}/../api/ingest.yaml"
  stream_name                  = module.kinesis.stream_name
  kms_key_arn                  = module.kms.key_arn
  api_function_invoke_arn      = module.lambda.api_function_invoke_arn
  ingest_function_invoke_arn   = module.lambda.ingest_function_invoke_arn
  user_pool_issuer             = module.cognito.issuer
  app_client_id                = module.cognito.app_client_id

  # The WebSocket API's routes come from the protocol's one schema.
  websocket_schema_path         = local.websocket_schema_path
  websocket_function_invoke_arn = module.lambda.websocket_function_invoke_arn
  cors_allow_origin             = var.cors_allow_origin

  throttling_rate_limit          = var.api_throttling_rate_limit
  throttling_burst_limit         = var.api_throttling_burst_limit
  logging_level                  = local.is_production ? "ERROR" : "INFO"
  log_retention_days             = var.log_retention_days
  manage_account_cloudwatch_role = var.manage_api_gateway_account
  waf_enabled                    = var.waf_enabled
  web_acl_arn                    = var.waf_enabled ? module.waf[0].web_acl_arn : null
}

# The GTFS-Realtime feed is read through CloudFront's caches (see the README's choice of CDN).
module "cloudfront" {
  source = "./modules/cloudfront"

  name                            = local.name_prefix
  api_domain_name                 = module.api_gateway.domain_name
  api_stage_name                  = module.api_gateway.stage_name
  map_bucket_regional_domain_name = module.s3.bucket_regional_domain_name
  origin_shield_region            = var.aws_region
  feed_refresh_seconds            = var.feed_refresh_seconds
}

# The operations map: static files in S3, read through the distribution (see the README's choice).
module "s3" {
  source = "./modules/s3"

  name             = local.name_prefix
  map_dir          = "${var.lambda_package_dir}/map"
  distribution_arn = module.cloudfront.distribution_arn
  # The page reads the API through the distribution, on its own origin.
  map_config = {
    apiUrl            = module.cloudfront.base_url
    websocketUrl      = module.api_gateway.websocket_url
    tileUrl           = var.map_tile_url
    tileAttribution   = var.map_tile_attribution
    staleAfterSeconds = var.map_stale_after_seconds
    maxAgeSeconds     = var.feed_max_age_seconds
    # The fields the page shows, from the protocol's schema: a push carries only those.
    subscribedFields = jsondecode(file(local.websocket_schema_path))["x-map-fields"]
  }
}

# Left out entirely when no domain is set.
module "route53" {
  source = "./modules/route53"
  count  = var.domain_name != "" ? 1 : 0

  domain_name      = var.domain_name
  hosted_zone_name = var.route53_zone_name
  rest_api_id      = module.api_gateway.rest_api_id
  stage_name       = module.api_gateway.stage_name
  ingest_api_id    = module.api_gateway.ingest_api_id
  ingest_stage     = module.api_gateway.ingest_stage_name
}

# Left out where waf_enabled is false.
module "waf" {
  source = "./modules/waf"
  count  = var.waf_enabled ? 1 : 0

  name                   = local.name_prefix
  rate_limit_per_address = var.waf_rate_limit_per_address
  cors_allow_origin      = var.cors_allow_origin
  log_retention_days     = var.log_retention_days
  kms_key_arn            = module.kms.key_arn
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix                 = local.name_prefix
  kms_key_arn                 = module.kms.key_arn
  alarm_email                 = var.alarm_email
  consumer_function_name      = module.lambda.consumer_function_name
  api_function_name           = module.lambda.api_function_name
  push_function_name          = module.lambda.push_function_name
  websocket_function_name     = module.lambda.websocket_function_name
  ingest_function_name        = module.lambda.ingest_function_name
  ingest_api_id               = module.api_gateway.ingest_api_id
  invalid_records_queue_name  = module.sqs.invalid_records_queue_name
  consumer_failure_queue_name = module.sqs.consumer_failure_queue_name
  rest_api_name               = module.api_gateway.rest_api_name
  stage_name                  = module.api_gateway.stage_name
}
