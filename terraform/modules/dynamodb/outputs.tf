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
