variable "invalid_records_queue_name" {
  type        = string
  description = "Name of the queue that receives the records the consumer rejects as invalid."
}

variable "consumer_failure_queue_name" {
  type        = string
  description = "Name of the queue that receives the batches the event source mapping could not process."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key that encrypts both queues."
}

variable "kms_data_key_reuse_period_seconds" {
  type        = number
  description = "How long SQS reuses a data key before asking KMS again (60 to 86400); longer costs fewer KMS calls."
  default     = 3600

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be between 60 and 86400."
  }
}
