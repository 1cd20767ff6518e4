output "rest_api_id" {
  description = "Id of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API, for Lambda permissions."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "domain_name" {
  description = "Domain name of the REST API's default endpoint, without scheme or stage (a CDN's origin)."
  value       = "${aws_api_gateway_rest_api.this.id}.execute-api.${local.region}.amazonaws.com"
}

output "invoke_url" {
  description = "Base URL of the stage, without a trailing slash."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "ingest_api_id" {
  description = "Id of the HTTP API of the devices' POST routes."
  value       = aws_apigatewayv2_api.ingest.id
}

output "ingest_execution_arn" {
  description = "Execution ARN of the HTTP API, for the ingest function's Lambda permission."
  value       = aws_apigatewayv2_api.ingest.execution_arn
}

output "ingest_stage_name" {
  description = "Name of the HTTP API's stage ($default: its URL has no stage segment)."
  value       = aws_apigatewayv2_stage.ingest.name
}

output "ingest_url" {
  description = "Base URL of the HTTP API on API Gateway's own host name, without a trailing slash."
  value       = aws_apigatewayv2_api.ingest.api_endpoint
}

output "ingest_access_log_group_name" {
  description = "Name of the HTTP API's access log group (JSON lines)."
  value       = aws_cloudwatch_log_group.ingest_access.name
}

output "access_log_group_name" {
  description = "Name of the stage's access log group (JSON lines)."
  value       = aws_cloudwatch_log_group.access.name
}

output "websocket_url" {
  description = "URL clients open for live positions, wss://<api id>.execute-api.<region>.amazonaws.com/<stage>."
  value       = aws_apigatewayv2_stage.websocket.invoke_url
}

output "websocket_callback_url" {
  description = "Management endpoint of the WebSocket stage (PostToConnection), the functions' WEBSOCKET_CALLBACK_URL."
  value       = "https://${aws_apigatewayv2_api.websocket.id}.execute-api.${local.region}.amazonaws.com/${var.stage_name}"
}

output "websocket_execution_arn" {
  description = "Execution ARN of the WebSocket API, for the invoke permission and execute-api:ManageConnections."
  value       = aws_apigatewayv2_api.websocket.execution_arn
}

output "websocket_stage_name" {
  description = "Name of the WebSocket API's stage (the same as the REST API's)."
  value       = var.stage_name
}
