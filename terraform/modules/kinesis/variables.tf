variable "stream_name" {
  type        = string
  description = "Name of the positions stream."
}

variable "stream_mode" {
  type        = string
  description = "PROVISIONED (a fixed shard count) or ON_DEMAND (Kinesis scales the shards)."

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.stream_mode)
    error_message = "stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "shard_count" {
  type        = number
  description = "Number of shards of a PROVISIONED stream (ignored when ON_DEMAND)."

  validation {
    condition     = var.shard_count >= 1
    error_message = "shard_count must be at least 1."
  }
}

variable "retention_hours" {
  type        = number
  description = "How long records stay readable, in hours (24 to 8760)."

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760
    error_message = "retention_hours must be between 24 and 8760."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key that encrypts the stream."
}

variable "enhanced_fan_out" {
  type        = bool
  description = "Register an enhanced fan-out consumer for the consumer function's event source mapping."
}

variable "consumer_name" {
  type        = string
  description = "Name of the enhanced fan-out consumer (unique within the stream)."
}
