output "latest_table_name" {
  description = "Name of the latest-position table (the functions' DYNAMODB_TABLE_NAME)."
  value       = aws_dynamodb_table.latest.name
}

output "latest_table_arn" {
  description = "ARN of the latest-position table."
  value       = aws_dynamodb_table.latest.arn
}

output "history_table_name" {
  description = "Name of the history table (the functions' HISTORY_TABLE_NAME)."
  value       = aws_dynamodb_table.history.name
}

output "history_table_arn" {
  description = "ARN of the history table."
  value       = aws_dynamodb_table.history.arn
}

output "latest_table_stream_arn" {
  description = "ARN of the latest-position table's stream (new images), the push function's event source."
  value       = aws_dynamodb_table.latest.stream_arn
}

output "connections_table_name" {
  description = "Name of the WebSocket connections table (the functions' CONNECTIONS_TABLE_NAME)."
  value       = aws_dynamodb_table.connections.name
}

output "connections_table_arn" {
  description = "ARN of the WebSocket connections table."
  value       = aws_dynamodb_table.connections.arn
}
