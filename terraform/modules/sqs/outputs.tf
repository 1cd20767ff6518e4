output "invalid_records_queue_url" {
  description = "URL of the invalid-records queue (the consumer's DEAD_LETTER_QUEUE_URL)."
  value       = aws_sqs_queue.invalid_records.url
}

output "invalid_records_queue_arn" {
  description = "ARN of the invalid-records queue."
  value       = aws_sqs_queue.invalid_records.arn
}

output "invalid_records_queue_name" {
  description = "Name of the invalid-records queue."
  value       = aws_sqs_queue.invalid_records.name
}

output "consumer_failure_queue_url" {
  description = "URL of the consumer-failure queue (the event source mapping's on-failure destination)."
  value       = aws_sqs_queue.consumer_failures.url
}

output "consumer_failure_queue_arn" {
  description = "ARN of the consumer-failure queue."
  value       = aws_sqs_queue.consumer_failures.arn
}

output "consumer_failure_queue_name" {
  description = "Name of the consumer-failure queue."
  value       = aws_sqs_queue.consumer_failures.name
}
