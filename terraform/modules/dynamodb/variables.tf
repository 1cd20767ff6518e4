variable "latest_table_name" {
  type        = string
  description = "Name of the table of the latest position of each bus (hash key busId)."
}

variable "history_table_name" {
  type        = string
  description = "Name of the table of every kept fix (hash key pk, range key sk)."
}

variable "connections_table_name" {
  type        = string
  description = "Name of the table of open WebSocket connections (hash key connectionId)."
}

variable "ttl_field_name" {
  type        = string
  description = "Attribute holding each item's expiry time in epoch seconds (the functions' TTL_FIELD_NAME)."
}

variable "billing_mode" {
  type        = string
  description = "PAY_PER_REQUEST (on demand) or PROVISIONED (fixed read and write capacity)."

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  type        = number
  description = "Read capacity units of each table when billing_mode is PROVISIONED."
  default     = 5
}

variable "write_capacity" {
  type        = number
  description = "Write capacity units of each table when billing_mode is PROVISIONED."
  default     = 5
}

variable "deletion_protection" {
  type        = bool
  description = "Whether the tables refuse deletion until the protection is turned off."
  default     = false
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key that encrypts both tables."
}
