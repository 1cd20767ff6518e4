locals {
  # The longest SQS allows: a failed record waits two weeks for someone to look at it.
  fourteen_days_in_seconds = 1209600
}

# Records the consumer rejected as invalid, each with the reason (DEAD_LETTER_QUEUE_URL).
resource "aws_sqs_queue" "invalid_records" {
  name                              = var.invalid_records_queue_name
  message_retention_seconds         = local.fourteen_days_in_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
}

# Batches the event source mapping gave up on (retries or record age exhausted).
resource "aws_sqs_queue" "consumer_failures" {
  name                              = var.consumer_failure_queue_name
  message_retention_seconds         = local.fourteen_days_in_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
}
