output "stream_name" {
  description = "Name of the positions stream."
  value       = aws_kinesis_stream.positions.name
}

output "stream_arn" {
  description = "ARN of the positions stream."
  value       = aws_kinesis_stream.positions.arn
}

output "consumer_arn" {
  description = "ARN of the enhanced fan-out consumer; null without enhanced fan-out."
  value       = one(aws_kinesis_stream_consumer.lambda[*].arn)
}
