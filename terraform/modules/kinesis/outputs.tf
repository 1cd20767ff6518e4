output "stream_name" {
  description = "Name of the positions stream."
  value       = aws_kinesis_stream.positions.name
}

output "stream_arn" {
  description = "ARN of the positions stream."
  value       = aws_kinesis_stream.positions.arn
}
