output "consumer_function_name" {
  description = "Name of the consumer function."
  value       = aws_lambda_function.consumer.function_name
}

output "consumer_function_arn" {
  description = "ARN of the consumer function."
  value       = aws_lambda_function.consumer.arn
}

output "api_function_name" {
  description = "Name of the API function."
  value       = aws_lambda_function.api.function_name
}

output "api_function_arn" {
  description = "ARN of the API function."
  value       = aws_lambda_function.api.arn
}

output "api_function_invoke_arn" {
  description = "Invoke ARN of the API function: the uri of the API's Lambda proxy integrations."
  value       = aws_lambda_function.api.invoke_arn
}

output "event_source_mapping_uuid" {
  description = "Id of the consumer's Kinesis event source mapping."
  value       = aws_lambda_event_source_mapping.positions.uuid
}

output "consumer_role_arn" {
  description = "ARN of the consumer's execution role."
  value       = aws_iam_role.consumer.arn
}

output "api_role_arn" {
  description = "ARN of the API function's execution role."
  value       = aws_iam_role.api.arn
}

output "push_function_name" {
  description = "Name of the push function."
  value       = aws_lambda_function.push.function_name
}

output "websocket_function_name" {
  description = "Name of the WebSocket function."
  value       = aws_lambda_function.websocket.function_name
}

output "websocket_function_invoke_arn" {
  description = "Invoke ARN of the WebSocket function: the uri of the WebSocket API's integration."
  value       = aws_lambda_function.websocket.invoke_arn
}

output "ingest_function_name" {
  description = "Name of the ingest function."
  value       = aws_lambda_function.ingest.function_name
}

output "ingest_function_invoke_arn" {
  description = "Invoke ARN of the ingest function: the uri of the HTTP API's Lambda integrations."
  value       = aws_lambda_function.ingest.invoke_arn
}

output "ingest_role_arn" {
  description = "ARN of the ingest function's execution role."
  value       = aws_iam_role.ingest.arn
}
