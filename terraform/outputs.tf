locals {
  # The custom domain when there is one, else the APIs' own URLs. Paths are those of api/openapi.yaml
  # (the reads) and api/ingest.yaml (the devices' POST routes).
  api_base_url    = var.domain_name != "" ? module.route53[0].url : module.api_gateway.invoke_url
  ingest_base_url = var.domain_name != "" ? module.route53[0].ingest_url : module.api_gateway.ingest_url
}

output "api_base_url" {
  description = "Base URL of the REST API of the reads (the custom domain when domain_name is set)."
  value       = local.api_base_url
}

output "ingest_base_url" {
  description = "Base URL of the devices' HTTP API, the POST routes (the custom domain's /ingest when domain_name is set)."
  value       = local.ingest_base_url
}

output "post_gps_url" {
  description = "POST URL of one position in the legacy wire format (the legacy clients' \"POST API url\"), on the devices' API."
  value       = "${local.ingest_base_url}/post-gps"
}

output "post_positions_url" {
  description = "POST URL of a batch of up to 500 positions, on the devices' API."
  value       = "${local.ingest_base_url}/v1/positions"
}

output "get_gps_url" {
  description = "GET URL of a bus's latest position, ?busId=... (the legacy clients' \"GET API url\")."
  value       = "${local.api_base_url}/get-gps"
}

output "get_buses_url" {
  description = "GET URL of the latest position of every bus (/v1/buses, /v1/buses/{busId}, /v1/buses/{busId}/positions)."
  value       = "${local.api_base_url}/v1/buses"
}

output "feed_url" {
  description = "GTFS-Realtime VehiclePositions feed through the CDN: the URL to give trip planners and rider apps."
  value       = module.cloudfront.feed_url
}

output "websocket_url" {
  description = "WebSocket URL of live positions (wss://...): subscribe as the README's protocol says."
  value       = module.api_gateway.websocket_url
}

output "map_url" {
  description = "URL of the operations map (through the CDN)."
  value       = module.cloudfront.map_url
}

output "stage_invoke_url" {
  description = "URL of the API stage on API Gateway's own host name."
  value       = module.api_gateway.invoke_url
}

output "aws_region" {
  description = "Region of the deployment, for clients that sign in with Cognito."
  value       = var.aws_region
}

output "user_pool_id" {
  description = "Id of the Cognito user pool of bus devices (create device users here)."
  value       = module.cognito.user_pool_id
}

output "app_client_id" {
  description = "Id of the Cognito app client devices sign in with (USER_PASSWORD_AUTH or SRP)."
  value       = module.cognito.app_client_id
}

output "cognito_hosted_ui_url" {
  description = "Base URL of the Cognito hosted UI, or null when none is configured."
  value       = module.cognito.hosted_ui_url
}

output "stream_name" {
  description = "Name of the Kinesis stream of positions (the StreamName of legacy POST bodies)."
  value       = module.kinesis.stream_name
}

output "latest_table_name" {
  description = "Name of the DynamoDB table of each bus's latest position."
  value       = module.dynamodb.latest_table_name
}

output "history_table_name" {
  description = "Name of the DynamoDB table of every position."
  value       = module.dynamodb.history_table_name
}

output "connections_table_name" {
  description = "Name of the DynamoDB table of open WebSocket connections and their subscriptions."
  value       = module.dynamodb.connections_table_name
}

output "invalid_records_queue_url" {
  description = "URL of the SQS queue of records the consumer rejected, each with its reason."
  value       = module.sqs.invalid_records_queue_url
}

output "consumer_failure_queue_url" {
  description = "URL of the SQS queue of batches the event source mapping gave up on."
  value       = module.sqs.consumer_failure_queue_url
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify; subscribe more endpoints to it as needed."
  value       = module.monitoring.alarm_topic_arn
}
